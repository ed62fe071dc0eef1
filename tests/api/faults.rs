//! Faulty carriers next to a healthy one, all on the carrier simulator's forced scenarios: a carrier that hangs,
//! one that answers HTTP 500, one that answers AAA 42 and one that sends garbage. The healthy carrier's
//! verifications must keep completing while the others are stuck (per-carrier bulkheads: a stuck carrier's
//! backlog holds none of the dispatcher's slots), and each faulty carrier's verifications end as the design says:
//! transient failures retried, then `FAILED` / carrier unavailable; garbage `FAILED` / carrier rejected at once.

use std::time::Duration;

use insurance_verifier::api::pb::{
    AttemptResultClass, PlanType, Verification, VerificationOutcome, VerificationStatus,
};
use insurance_verifier::config::Settings;

use crate::helpers::{Backend, TestApp, form, spawn_app_with_directory, test_settings};

/// Verifications submitted to each carrier.
const PER_CARRIER: usize = 8;
/// Attempts per verification before "carrier unavailable".
const MAX_ATTEMPTS: u32 = 2;
/// How long after their submission the healthy carrier's verifications must all be complete.
const HEALTHY_WITHIN: Duration = Duration::from_secs(2);
/// The whole test's bound.
const TEST_BOUND: Duration = Duration::from_secs(30);

/// One carrier of the test directory: its name as typed on the card, its payer ID, its simulator path.
struct Carrier {
    name: &'static str,
    payer_id: &'static str,
}

const HEALTHY: Carrier = Carrier { name: "Healthy Health", payer_id: "FTHEALTHY" };
const HANGING: Carrier = Carrier { name: "Hanging Health", payer_id: "FTHANG" };
const ERRORING: Carrier = Carrier { name: "Erroring Health", payer_id: "FTERROR" };
const BUSY: Carrier = Carrier { name: "Busy Health", payer_id: "FTBUSY" };
const GARBAGE: Carrier = Carrier { name: "Garbage Health", payer_id: "FTGARBAGE" };

/// Five carriers on one simulator, each allowed two calls at once and 300 ms per call. The faulty ones use the
/// simulator's `/scenario/{name}` prefix; wire formats are mixed (JSON and raw X12) so both connectors meet the
/// faults. CAQH CORE is left out on purpose: CORE carriers get a long minimum delay between resubmissions.
fn directory(base_url: &str) -> String {
    let route = |id: &str, carrier: &Carrier, format: &str, path: &str| {
        format!(
            r#"
            [[carriers]]
            id = "{id}"
            display_name = "{name}"
            payer_ids = ["{payer_id}"]
            format = "{format}"
            base_url = "{base_url}{path}"
            request_timeout = "300ms"
            max_concurrency = 2
            "#,
            name = carrier.name,
            payer_id = carrier.payer_id,
        )
    };
    [
        route("healthy", &HEALTHY, "eligibility_json_v3", ""),
        route("hanging", &HANGING, "eligibility_json_v3", "/scenario/hang"),
        route("erroring", &ERRORING, "x12_raw_json", "/scenario/server_error"),
        route("busy", &BUSY, "eligibility_json_v3", "/scenario/busy"),
        route("garbage", &GARBAGE, "x12_raw_json", "/scenario/garbage"),
    ]
    .concat()
}

/// Few dispatcher slots (fewer than the faulty carriers' combined backlog), two attempts, tiny backoff. The
/// circuit breakers keep their thresholds but open briefly, and the retry budget always allows a few retries a
/// second, so the faulty carriers' verifications (which wait while their breaker is open) reach their last
/// attempt within the test's bound.
fn settings() -> Settings {
    let mut settings = test_settings();
    settings.dispatcher.concurrency = 6;
    settings.dispatcher.max_attempts = MAX_ATTEMPTS;
    settings.dispatcher.backoff_base = Duration::from_millis(20);
    settings.dispatcher.backoff_max = Duration::from_millis(50);
    settings.dispatcher.poll_interval = Duration::from_millis(50);
    settings.dispatcher.circuit_breaker.open_for = Duration::from_secs(1);
    settings.dispatcher.circuit_breaker.open_for_max = Duration::from_secs(1);
    settings.dispatcher.retry_budget.min_per_second = 10;
    settings
}

/// Submits `count` verifications to `carrier` (by payer ID and name) without waiting; returns their ids.
async fn submit_to(app: &TestApp, carrier: &Carrier, count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let mut message = form(carrier.name, &format!("ACT{n:06}"), PlanType::Employer);
        if let Some(card) = message.card.as_mut() {
            card.payer_id = carrier.payer_id.to_owned();
        }
        let verification = app.submit(message).await.expect("submit").verification.expect("verification");
        assert!(!verification.carrier.is_empty(), "{} was routed to a carrier", carrier.name);
        ids.push(verification.id);
    }
    ids
}

/// Polls until every verification of `ids` is final or `bound` passes; returns them as last seen.
async fn wait_final(app: &TestApp, ids: &[String], bound: Duration) -> Vec<Verification> {
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        let mut seen = Vec::with_capacity(ids.len());
        for id in ids {
            seen.push(app.get(id).await.expect("get"));
        }
        let all_final = seen.iter().all(|v| v.status() != VerificationStatus::Pending);
        if all_final || tokio::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A one-line, PHI-free summary of a verification for failure messages.
fn describe(v: &Verification) -> String {
    let attempts: Vec<String> =
        v.attempts.iter().map(|a| format!("#{} {:?} {}", a.attempt_number, a.result_class(), a.error_code)).collect();
    format!("{} {:?} {:?} [{}] {}", v.carrier, v.status(), v.outcome(), attempts.join(", "), v.status_detail)
}

/// Asserts that every verification of a transiently failing carrier gave up as "carrier unavailable" after
/// `MAX_ATTEMPTS` attempts numbered 1, 2, ..., every one of `class`. (An open circuit or an empty retry budget
/// postpones attempts; it does not use them up.)
fn assert_unavailable_after_retries(carrier: &str, verifications: &[Verification], class: AttemptResultClass) {
    for v in verifications {
        assert_eq!(v.status(), VerificationStatus::Failed, "{carrier}: {}", describe(v));
        assert_eq!(v.outcome(), VerificationOutcome::CarrierUnavailable, "{carrier}: {}", describe(v));
        let numbers: Vec<i32> = v.attempts.iter().map(|a| a.attempt_number).collect();
        let expected: Vec<i32> = (1..=MAX_ATTEMPTS as i32).collect();
        assert_eq!(numbers, expected, "{carrier}: attempts retried up to the limit: {}", describe(v));
        for attempt in &v.attempts {
            assert_eq!(attempt.result_class(), class, "{carrier}: {}", describe(v));
        }
    }
}

async fn faulty_carriers_fail_as_designed_while_a_healthy_carrier_keeps_completing(app: &TestApp) {
    // Arrange: the faulty carriers' backlogs first, so that they are stuck when the healthy cards arrive.
    let hanging = submit_to(app, &HANGING, PER_CARRIER).await;
    let erroring = submit_to(app, &ERRORING, PER_CARRIER).await;
    let busy = submit_to(app, &BUSY, PER_CARRIER).await;
    let garbage = submit_to(app, &GARBAGE, PER_CARRIER).await;

    // Act
    let healthy_submitted = tokio::time::Instant::now();
    let healthy = submit_to(app, &HEALTHY, PER_CARRIER).await;
    let healthy_done = wait_final(app, &healthy, HEALTHY_WITHIN).await;
    let healthy_took = healthy_submitted.elapsed();
    let hanging_meanwhile = wait_final(app, &hanging, Duration::ZERO).await;
    let bound = TEST_BOUND.saturating_sub(healthy_took + Duration::from_secs(2));
    let hanging_done = wait_final(app, &hanging, bound).await;
    let erroring_done = wait_final(app, &erroring, Duration::from_secs(5)).await;
    let busy_done = wait_final(app, &busy, Duration::from_secs(5)).await;
    let garbage_done = wait_final(app, &garbage, Duration::from_secs(5)).await;

    // Assert: the healthy carrier was not held up by the others' backlogs...
    let late: Vec<String> =
        healthy_done.iter().filter(|v| v.status() != VerificationStatus::Completed).map(describe).collect();
    assert!(
        late.is_empty(),
        "the healthy carrier's verifications were not all COMPLETED within {HEALTHY_WITHIN:?} of their submission \
         (faulty carriers' backlogs held the dispatcher): {} of {PER_CARRIER} not done: {late:?}",
        late.len()
    );
    for v in &healthy_done {
        assert_eq!(v.outcome(), VerificationOutcome::CoverageActive, "{}", describe(v));
        assert_eq!(v.attempts.len(), 1, "{}", describe(v));
        assert_eq!(v.attempts[0].result_class(), AttemptResultClass::Answered, "{}", describe(v));
    }
    // ...even though the hanging carrier was still stuck then (its backlog needs more than 2 s: at least
    // 8 verifications x 2 attempts x 300 ms / 2 at once).
    assert!(
        hanging_meanwhile.iter().any(|v| v.status() == VerificationStatus::Pending),
        "the hanging carrier's verifications were already final when the healthy ones completed: {:?}",
        hanging_meanwhile.iter().map(describe).collect::<Vec<_>>()
    );
    // The faulty carriers' verifications end as the design says.
    assert_unavailable_after_retries("hanging", &hanging_done, AttemptResultClass::Timeout);
    assert_unavailable_after_retries("erroring", &erroring_done, AttemptResultClass::ServerError);
    for v in &erroring_done {
        for attempt in &v.attempts {
            assert_eq!(attempt.http_status, Some(500), "{}", describe(v));
            assert_eq!(attempt.error_code, "HTTP:500", "{}", describe(v));
        }
    }
    assert_unavailable_after_retries("busy", &busy_done, AttemptResultClass::CarrierBusy);
    for v in &busy_done {
        for attempt in &v.attempts {
            assert_eq!(attempt.error_code, "AAA:42", "{}", describe(v));
        }
    }
    for v in &garbage_done {
        assert_eq!(v.status(), VerificationStatus::Failed, "garbage: {}", describe(v));
        assert_eq!(v.outcome(), VerificationOutcome::CarrierRejected, "garbage: {}", describe(v));
        assert_eq!(v.attempts.len(), 1, "garbage is not retried: {}", describe(v));
        assert_eq!(v.attempts[0].result_class(), AttemptResultClass::InvalidResponse, "garbage: {}", describe(v));
    }
}

/// Runs the test on `backend` within [`TEST_BOUND`]; `None` from the app (PostgreSQL not configured outside CI)
/// skips it.
async fn run_on(backend: Backend) {
    let Some(app) = spawn_app_with_directory(backend, settings(), directory).await else {
        return;
    };
    let outcome = tokio::time::timeout(
        TEST_BOUND,
        faulty_carriers_fail_as_designed_while_a_healthy_carrier_keeps_completing(&app),
    )
    .await;
    app.shutdown().await;
    assert!(
        outcome.is_ok(),
        "faulty-carrier test did not finish within {TEST_BOUND:?}: verifications stayed PENDING (stuck dispatcher, \
         or circuit breakers that hold work longer than the test allows)"
    );
}

mod faulty_carriers_fail_as_designed_while_a_healthy_carrier_keeps_completing {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::run_on(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::run_on(Backend::Postgres).await;
    }
}
