//! Reliable dispatch through real gRPC: asking for a new attempt, the global in-flight limit, a carrier's circuit
//! breaker (visible to ops, its work waiting for the probe), CAQH CORE's 90-second resubmission floor and the
//! verification deadline.

use std::time::{Duration, Instant};

use insurance_verifier::api::pb::{self, CircuitState, PlanType, VerificationOutcome, VerificationStatus};
use insurance_verifier::config::Settings;
use tonic_types::StatusExt;

use crate::helpers::{
    ADMISSIONS_TOKEN, Backend, OPS_TOKEN, TestApp, WEBSITE_TOKEN, form, spawn_app_with, spawn_app_with_directory,
    test_settings, wait, with_token,
};

/// Asks for a new attempt with the admissions token.
async fn retry(app: &TestApp, id: &str, wait_seconds: i64) -> Result<pb::RetryVerificationResponse, tonic::Status> {
    let message = pb::RetryVerificationRequest { id: id.to_owned(), wait_for_result: wait(wait_seconds) };
    app.client().await.retry_verification(with_token(message, ADMISSIONS_TOKEN)).await.map(|r| r.into_inner())
}

/// The carrier lanes as ops see them.
async fn carrier_status(app: &TestApp) -> pb::ListCarrierStatusResponse {
    app.client()
        .await
        .list_carrier_status(with_token(pb::ListCarrierStatusRequest {}, OPS_TOKEN))
        .await
        .expect("carrier status")
        .into_inner()
}

async fn submit_and_wait(app: &TestApp, carrier: &str, member_id: &str) -> pb::Verification {
    let mut message = form(carrier, member_id, PlanType::Employer);
    message.wait_for_result = wait(10);
    app.submit(message).await.expect("submit").verification.expect("verification")
}

async fn a_person_can_ask_for_a_new_attempt_on_a_completed_verification(app: &TestApp) {
    // Arrange
    let first = submit_and_wait(app, "Anthem Blue Cross Blue Shield", "ACT300001").await;
    assert_eq!(first.status(), VerificationStatus::Completed);
    let calls_before = (app.sandbox_requests)();

    // Act
    let response = retry(app, &first.id, 10).await.expect("retry");

    // Assert
    assert!(response.reopened);
    let again = response.verification.expect("verification");
    assert_eq!(again.status(), VerificationStatus::Completed, "{}", again.status_detail);
    assert_eq!(again.outcome(), VerificationOutcome::CoverageActive);
    let numbers: Vec<i32> = again.attempts.iter().map(|a| a.attempt_number).collect();
    assert_eq!(numbers, vec![1, 2], "attempt numbers keep counting across rounds");
    assert!(again.change_cursor > first.change_cursor);
    assert_eq!((app.sandbox_requests)(), calls_before + 1, "exactly one new carrier call");
}
crate::on_both_stores!(a_person_can_ask_for_a_new_attempt_on_a_completed_verification);

async fn a_retry_is_refused_with_the_reason_when_no_carrier_may_be_asked(app: &TestApp) {
    // Arrange: a Medicaid card (refused up front) and a carrier the directory does not know.
    let medicaid = app
        .submit(form("Passport Health Plan", "ACT300002", PlanType::Medicaid))
        .await
        .expect("submit")
        .verification
        .expect("verification");
    let unknown = submit_and_wait(app, "Gemstone Casualty Benefits Trust", "ACT300003").await;
    assert_eq!(unknown.outcome(), VerificationOutcome::CarrierNotSupported);

    // Act
    let on_medicaid = retry(app, &medicaid.id, 0).await.expect_err("refused");
    let on_unknown = retry(app, &unknown.id, 0).await.expect_err("no route");
    let malformed = retry(app, "not-a-uuid", 0).await.expect_err("malformed");
    let missing = retry(app, "0190e3c4-0000-7000-8000-000000000000", 0).await.expect_err("missing");
    let message = pb::RetryVerificationRequest { id: medicaid.id.clone(), wait_for_result: None };
    let website = app.client().await.retry_verification(with_token(message, WEBSITE_TOKEN)).await.expect_err("role");

    // Assert
    assert_eq!(on_medicaid.code(), tonic::Code::FailedPrecondition);
    let reasons = |status: &tonic::Status| -> Vec<String> {
        status
            .get_details_precondition_failure()
            .map(|failure| failure.violations.into_iter().map(|v| v.r#type).collect())
            .unwrap_or_default()
    };
    assert_eq!(reasons(&on_medicaid), vec!["REFUSED_UP_FRONT".to_owned()]);
    assert_eq!(on_unknown.code(), tonic::Code::FailedPrecondition);
    assert_eq!(reasons(&on_unknown), vec!["NO_REALTIME_ROUTE".to_owned()]);
    assert_eq!(malformed.code(), tonic::Code::InvalidArgument);
    let fields: Vec<String> = malformed
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    assert_eq!(fields, vec!["id".to_owned()]);
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert_eq!(website.code(), tonic::Code::PermissionDenied);
    let stored = app.get(&medicaid.id).await.expect("get");
    assert_eq!(stored.status(), VerificationStatus::Rejected, "a refused retry changes nothing");
}
crate::on_both_stores_with_directory!(flaky_directory, a_retry_is_refused_with_the_reason_when_no_carrier_may_be_asked);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_in_flight_limit_get_resource_exhausted_at_once() {
    // Arrange: two calls at once; each waits for a carrier that answers after 1.5 s.
    let mut settings = test_settings();
    settings.submit.max_in_flight = 2;
    let app = spawn_app_with(Backend::Sqlite, settings).await.expect("app");
    let calls = (0..6).map(|i| {
        let mut message = form("Anthem Blue Cross Blue Shield", &format!("SLOW1500X{i}"), PlanType::Employer);
        message.wait_for_result = wait(10);
        let app = &app;
        async move {
            let started = Instant::now();
            (app.submit(message).await, started.elapsed())
        }
    });

    // Act
    let results = futures::future::join_all(calls).await;

    // Assert
    let refused: Vec<&(Result<pb::SubmitVerificationResponse, tonic::Status>, Duration)> =
        results.iter().filter(|(result, _)| result.is_err()).collect();
    let accepted = results.len() - refused.len();
    assert!((1..=2).contains(&accepted), "{accepted} accepted with a limit of 2");
    assert!(!refused.is_empty());
    for (result, took) in refused {
        let status = result.as_ref().expect_err("refused");
        assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
        assert!(status.get_details_retry_info().is_some(), "tells the caller when to retry");
        assert!(*took < Duration::from_millis(1000), "refused quickly, not queued ({took:?})");
    }
    app.shutdown().await;
}

/// One carrier on the simulator (scenarios by member ID) for the circuit-breaker test.
fn flaky_directory(base_url: &str) -> String {
    format!(
        r#"
        [[carriers]]
        id = "flaky"
        display_name = "Flaky Mutual"
        payer_ids = ["FLAKY"]
        format = "eligibility_json_v3"
        base_url = "{base_url}"
        request_timeout = "2s"
        "#
    )
}

/// Test settings with a breaker that opens after two failures for one to two seconds (equal jitter), and one
/// attempt per verification, so the failing ones end at once and the first probe is the healthy one.
fn breaker_settings() -> Settings {
    let mut settings = test_settings();
    settings.dispatcher.max_attempts = 1;
    settings.dispatcher.circuit_breaker.consecutive_failures = 2;
    settings.dispatcher.circuit_breaker.open_for = Duration::from_secs(2);
    settings.dispatcher.circuit_breaker.open_for_max = Duration::from_secs(2);
    settings
}

async fn an_open_circuit_is_visible_and_its_verifications_wait_for_the_probe(backend: Backend) {
    let Some(app) = spawn_app_with_directory(backend, breaker_settings(), flaky_directory).await else { return };
    // Arrange: two 500s in a row open the breaker.
    for i in 0..2 {
        let message = form("Flaky Mutual", &format!("ERR40000{i}"), PlanType::Employer);
        app.submit(message).await.expect("submit");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let opened = loop {
        let status = carrier_status(&app).await;
        let flaky = status.carriers.iter().find(|c| c.carrier == "flaky").expect("flaky lane").clone();
        if flaky.circuit_state() == CircuitState::Open || Instant::now() > deadline {
            break flaky;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(opened.circuit_state(), CircuitState::Open, "two failures in a row open the breaker");
    assert!(opened.circuit_opened_count >= 1);

    // Act: a healthy member of the same carrier arrives while the breaker is open.
    let healthy = app
        .submit(form("Flaky Mutual", "ACT400009", PlanType::Employer))
        .await
        .expect("submit")
        .verification
        .expect("verification");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let while_open = app.get(&healthy.id).await.expect("get");
    let state_after_read = carrier_status(&app).await.carriers[0].circuit_state();
    let finished = app.wait_until_final(&healthy.id).await;

    // Assert: it waited (no attempt, not failed) while the breaker was open (at least one second), then the probe
    // answered it and the breaker closed.
    assert_eq!(state_after_read, CircuitState::Open, "still within the open period");
    assert_eq!(while_open.status(), VerificationStatus::Pending);
    assert!(while_open.attempts.is_empty(), "no call while the circuit is open");
    assert_eq!(finished.status(), VerificationStatus::Completed, "{}", finished.status_detail);
    assert_eq!(finished.outcome(), VerificationOutcome::CoverageActive);
    let closed = carrier_status(&app).await;
    assert_eq!(closed.carriers[0].circuit_state(), CircuitState::Closed, "a successful probe closes it");
    assert!(!closed.replica.is_empty());
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_circuit_is_visible_and_its_verifications_wait_for_the_probe_on_sqlite() {
    an_open_circuit_is_visible_and_its_verifications_wait_for_the_probe(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_circuit_is_visible_and_its_verifications_wait_for_the_probe_on_postgres() {
    an_open_circuit_is_visible_and_its_verifications_wait_for_the_probe(Backend::Postgres).await;
}

/// A CAQH CORE carrier on the simulator.
fn core_directory(base_url: &str) -> String {
    format!(
        r#"
        [[carriers]]
        id = "core-health"
        display_name = "Core Health Plan"
        payer_ids = ["COREH"]
        format = "caqh_core"
        base_url = "{base_url}/core/realtime"
        request_timeout = "1s"
        "#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_core_carrier_is_not_asked_again_sooner_than_ninety_seconds() {
    // Arrange
    let app = spawn_app_with_directory(Backend::Sqlite, test_settings(), core_directory).await.expect("app");

    // Act: AAA 42 "try later" from a CORE carrier.
    let submitted = app
        .submit(form("Core Health Plan", "BUSY500001", PlanType::Employer))
        .await
        .expect("submit")
        .verification
        .expect("verification");
    let deadline = Instant::now() + Duration::from_secs(10);
    let after_first = loop {
        let v = app.get(&submitted.id).await.expect("get");
        if !v.attempts.is_empty() || Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    // Assert
    assert_eq!(after_first.status(), VerificationStatus::Pending, "{}", after_first.status_detail);
    let attempt = &after_first.attempts[0];
    let next = after_first.next_attempt_at.expect("a retry is scheduled");
    let started = attempt.started_at.expect("started");
    assert!(next.seconds - started.seconds >= 90, "next attempt {}s after the first", next.seconds - started.seconds);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_that_would_fall_after_the_deadline_hands_the_verification_to_a_person() {
    // Arrange: a deadline shorter than CORE's 90-second resubmission floor.
    let mut settings = test_settings();
    settings.dispatcher.request_timeout = Duration::from_secs(1);
    settings.dispatcher.verification_deadline = Duration::from_secs(30);
    let app = spawn_app_with_directory(Backend::Sqlite, settings, core_directory).await.expect("app");

    // Act
    let verification = submit_and_wait(&app, "Core Health Plan", "BUSY500002").await;

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Failed);
    assert_eq!(verification.outcome(), VerificationOutcome::CarrierUnavailable);
    assert!(verification.status_detail.contains("deadline"), "{}", verification.status_detail);
    assert_eq!(verification.attempts.len(), 1, "one attempt, then a person takes over");
    assert_eq!(verification.follow_up_state(), pb::FollowUpState::VerifyManually);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_waiting_for_a_result_answers_at_once_when_shutdown_begins() {
    // Arrange: a carrier that answers after 3 s (within its timeout, beyond the 1 s shutdown grace), and a caller
    // willing to wait 15 s.
    let mut settings = test_settings();
    settings.dispatcher.request_timeout = Duration::from_secs(4);
    settings.shutdown_grace = Duration::from_secs(1);
    let app = spawn_app_with(Backend::Sqlite, settings).await.expect("app");
    let client = app.client().await;
    let mut message = form("Anthem Blue Cross Blue Shield", "SLOW3000X600001", PlanType::Employer);
    message.wait_for_result = wait(15);
    let waiting = tokio::spawn(async move {
        let mut client = client;
        let started = Instant::now();
        (client.submit_verification(with_token(message, WEBSITE_TOKEN)).await, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Act
    let store = app.store.clone();
    app.shutdown().await;
    let (result, took) = waiting.await.expect("task");

    // Assert: the caller got the stored state (pending: the carrier had not answered) well before its wait ran out.
    let verification = result.expect("answered, not cut off").into_inner().verification.expect("verification");
    assert_eq!(verification.status(), VerificationStatus::Pending);
    assert!(took < Duration::from_millis(2500), "answered when shutdown began, took {took:?}");
    let id = verification.id.parse().expect("uuid");
    let stored = store.get_verification(id).await.expect("read").expect("stored");
    assert!(stored.attempts.is_empty(), "the abandoned call recorded nothing");
    let reclaim = store
        .claim_one(id, "next-replica", time::OffsetDateTime::now_utc(), Duration::from_secs(30))
        .await
        .expect("claim");
    assert!(reclaim.is_some(), "its claim was released for another replica");
}

/// One carrier that takes one verification at a time.
fn narrow_directory(base_url: &str) -> String {
    format!(
        r#"
        [[carriers]]
        id = "narrow"
        display_name = "Narrow Gate Health"
        payer_ids = ["NARROW"]
        format = "eligibility_json_v3"
        base_url = "{base_url}"
        max_concurrency = 1
        request_timeout = "2s"
        "#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_carriers_backlog_moves_as_soon_as_a_place_frees_not_at_the_next_poll() {
    // Arrange: a dispatcher that polls only every 20 s, and a carrier that takes one verification at a time.
    let mut settings = test_settings();
    settings.dispatcher.poll_interval = Duration::from_secs(20);
    let app = spawn_app_with_directory(Backend::Sqlite, settings, narrow_directory).await.expect("app");
    let started = Instant::now();

    // Act: four applicants at once.
    let submits = (0..4).map(|i| {
        let app = &app;
        async move { submit_and_wait(app, "Narrow Gate Health", &format!("SLOW200X{i}")).await }
    });
    let verifications = futures::future::join_all(submits).await;

    // Assert
    for verification in &verifications {
        assert_eq!(verification.status(), VerificationStatus::Completed, "{}", verification.status_detail);
    }
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
    assert_eq!((app.sandbox_most_in_flight.as_ref().expect("directory mode"))(), 1, "one at a time");
    app.shutdown().await;
}
