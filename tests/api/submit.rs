//! `SubmitVerification`: refusal up front, forwarding, waiting, idempotency, validation.

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::{PlanType, ScreeningVerdict, VerificationOutcome, VerificationStatus};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{TestApp, form, wait};
use crate::on_both_stores;

async fn medicaid_is_rejected_before_any_carrier_call(app: &TestApp) {
    // Arrange
    let message = form("Kentucky Medicaid", "ACT555001", PlanType::Unknown);
    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    // Assert
    assert_eq!(verification.status(), VerificationStatus::Rejected);
    let screening = verification.screening.clone().expect("screening");
    assert_eq!(screening.verdict(), ScreeningVerdict::Medicaid);
    assert!(!screening.rule.is_empty(), "the deciding rule is named");
    assert_eq!(verification.follow_up_state(), pb::FollowUpState::ReferElsewhere);
    assert!(verification.attempts.is_empty());
    assert_eq!((app.sandbox_requests)(), 0, "no carrier was called");
    let stored = app.get(&verification.id).await.expect("stored for a call-back");
    assert_eq!(stored.status(), VerificationStatus::Rejected);
    assert_eq!(stored.applicant.expect("applicant").first_name, "Jordan");
}
on_both_stores!(medicaid_is_rejected_before_any_carrier_call);

async fn every_government_signal_refuses_without_a_carrier_call(app: &TestApp) {
    // Arrange: plan type, Medicaid managed-care brand, Medicare Advantage name, MBI-shaped member ID.
    let cases = [
        (form("Anthem Blue Cross Blue Shield", "ACT555002", PlanType::Medicare), ScreeningVerdict::Medicare),
        (form("Passport by Molina Healthcare", "ACT555003", PlanType::Unknown), ScreeningVerdict::Medicaid),
        (form("Humana Gold Plus HMO", "ACT555004", PlanType::Unknown), ScreeningVerdict::Medicare),
        (form("UnitedHealthcare", "1EG4-TE5-MK73", PlanType::Unknown), ScreeningVerdict::Medicare),
    ];
    for (message, expected) in cases {
        // Act
        let verification = app.submit(message).await.expect("submit").verification.expect("verification");
        // Assert
        assert_eq!(verification.status(), VerificationStatus::Rejected);
        assert_eq!(verification.screening.expect("screening").verdict(), expected);
    }
    assert_eq!((app.sandbox_requests)(), 0);
}
on_both_stores!(every_government_signal_refuses_without_a_carrier_call);

async fn an_active_commercial_member_completes_with_benefits_in_the_same_reply(app: &TestApp) {
    // Arrange
    let mut message = form("Anthem Blue Cross Blue Shield", "ACT100001", PlanType::Employer);
    message.wait_for_result = wait(10);
    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    // Assert
    assert_eq!(verification.status(), VerificationStatus::Completed);
    assert_eq!(verification.outcome(), VerificationOutcome::CoverageActive);
    assert_eq!(verification.follow_up_state(), pb::FollowUpState::CallApplicant);
    assert_eq!(verification.attempts.len(), 1);
    assert_eq!(verification.attempts[0].result_class(), pb::AttemptResultClass::Answered);
    let benefits = verification.benefits.expect("benefit summary");
    assert_eq!(benefits.coverage_active, Some(true));
    let substance_abuse =
        benefits.categories.iter().find(|c| c.service_type_code == "AI").expect("substance abuse category");
    let in_network = substance_abuse.in_network.as_ref().expect("in-network cost share");
    assert!(in_network.copay_cents.is_some() || in_network.coinsurance_percent.is_some());
    assert!((app.sandbox_requests)() >= 1);
}
on_both_stores!(an_active_commercial_member_completes_with_benefits_in_the_same_reply);

async fn without_waiting_the_reply_is_pending_and_the_dispatcher_completes_it(app: &TestApp) {
    // Arrange
    let message = form("Cigna", "INA200002", PlanType::Employer);
    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    // Assert
    assert_eq!(verification.status(), VerificationStatus::Pending);
    let done = app.wait_until_final(&verification.id).await;
    assert_eq!(done.status(), VerificationStatus::Completed);
    assert_eq!(done.outcome(), VerificationOutcome::CoverageInactive);
}
on_both_stores!(without_waiting_the_reply_is_pending_and_the_dispatcher_completes_it);

async fn carrier_answers_map_to_outcomes(app: &TestApp) {
    // Arrange
    let cases = [
        ("NF300003", VerificationStatus::Completed, VerificationOutcome::MemberNotFound),
        ("MM400004", VerificationStatus::Completed, VerificationOutcome::DemographicsMismatch),
        ("MA500005", VerificationStatus::Completed, VerificationOutcome::GovernmentPlanFound),
        ("ERR600006", VerificationStatus::Failed, VerificationOutcome::CarrierUnavailable),
        ("BUSY700007", VerificationStatus::Failed, VerificationOutcome::CarrierUnavailable),
        ("BAD800008", VerificationStatus::Failed, VerificationOutcome::CarrierRejected),
    ];
    for (member_id, status, outcome) in cases {
        let mut message = form("Humana", member_id, PlanType::Employer);
        message.wait_for_result = wait(10);
        // Act
        let verification = app.submit(message).await.expect("submit").verification.expect("verification");
        let verification = app.wait_until_final(&verification.id).await;
        // Assert
        assert_eq!((verification.status(), verification.outcome()), (status, outcome), "{member_id}");
        assert!(!verification.attempts.is_empty(), "{member_id}: attempts are recorded");
    }
}
on_both_stores!(carrier_answers_map_to_outcomes);

async fn a_medicare_advantage_answer_is_screened_again(app: &TestApp) {
    // Arrange: Humana sells commercial and Medicare plans: forwarded on its name, caught in the answer.
    let mut message = form("Humana", "MA900009", PlanType::Unknown);
    message.wait_for_result = wait(10);
    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    // Assert
    assert_eq!(verification.outcome(), VerificationOutcome::GovernmentPlanFound);
    let screening = verification.screening.clone().expect("screening");
    assert_eq!(screening.verdict(), ScreeningVerdict::Medicare);
    assert!(screening.rule.starts_with("answer:"), "rule {}", screening.rule);
    assert_eq!(verification.follow_up_state(), pb::FollowUpState::ReferElsewhere);
}
on_both_stores!(a_medicare_advantage_answer_is_screened_again);

async fn the_same_request_id_and_content_returns_the_stored_verification(app: &TestApp) {
    // Arrange
    let mut message = form("Aetna", "ACT100010", PlanType::Employer);
    message.request_id = "form-7f3a-0001".into();
    // Act
    let first = app.submit(message.clone()).await.expect("first");
    let second = app.submit(message).await.expect("second");
    // Assert
    assert!(!first.replayed);
    assert!(second.replayed);
    assert_eq!(first.verification.expect("v").id, second.verification.expect("v").id);
}
on_both_stores!(the_same_request_id_and_content_returns_the_stored_verification);

async fn the_same_request_id_with_different_content_is_already_exists(app: &TestApp) {
    // Arrange
    let mut message = form("Aetna", "ACT100011", PlanType::Employer);
    message.request_id = "form-7f3a-0002".into();
    app.submit(message.clone()).await.expect("first");
    message.card.as_mut().expect("card").member_id = "ACT100012".into();
    // Act
    let error = app.submit(message).await.expect_err("conflict");
    // Assert
    assert_eq!(error.code(), Code::AlreadyExists);
}
on_both_stores!(the_same_request_id_with_different_content_is_already_exists);

async fn concurrent_submits_with_one_request_id_create_one_verification(app: &TestApp) {
    // Arrange
    let mut message = form("Cigna", "ACT100013", PlanType::Employer);
    message.request_id = "form-concurrent-0001".into();
    message.wait_for_result = wait(10);
    // Act: the website retries the same form 64 times at once (each on its own connection).
    let submits = (0..64).map(|_| {
        let message = message.clone();
        async move { app.submit(message).await }
    });
    let results = futures::future::join_all(submits).await;
    // Assert
    let responses: Vec<_> = results.into_iter().map(|r| r.expect("submit")).collect();
    let ids: std::collections::HashSet<String> =
        responses.iter().map(|r| r.verification.as_ref().expect("v").id.clone()).collect();
    assert_eq!(ids.len(), 1, "one verification");
    assert_eq!(responses.iter().filter(|r| !r.replayed).count(), 1, "exactly one submit created it");
    let listed = app.list(pb::ListVerificationsRequest { page_size: 500, ..Default::default() }).await.expect("list");
    assert_eq!(listed.verifications.len(), 1, "nothing else was stored");
    let id = ids.into_iter().next().expect("id");
    let verification = app.wait_until_final(&id).await;
    assert_eq!(verification.attempts.len(), 1, "the carrier was asked once");
    assert_eq!((app.sandbox_requests)(), 1);
}
on_both_stores!(concurrent_submits_with_one_request_id_create_one_verification);

async fn invalid_input_names_every_bad_field_and_stores_nothing(app: &TestApp) {
    // Arrange
    let mut message = form("", "X", PlanType::Employer);
    message.applicant.as_mut().expect("applicant").date_of_birth = "2099-01-01".into();
    message.contact =
        Some(pb::Contact { phone: "12".into(), email: "not-an-email".into(), preferred_time: String::new() });
    message.consent = false;
    // Act
    let error = app.submit(message).await.expect_err("invalid");
    // Assert
    assert_eq!(error.code(), Code::InvalidArgument);
    let bad_request = error.get_details_bad_request().expect("BadRequest details");
    let fields: Vec<_> = bad_request.field_violations.iter().map(|v| v.field.as_str()).collect();
    for expected in
        ["applicant.date_of_birth", "card.carrier_name", "card.member_id", "contact.phone", "contact.email", "consent"]
    {
        assert!(fields.contains(&expected), "{expected} missing from {fields:?}");
    }
    let listed = app.list(pb::ListVerificationsRequest::default()).await.expect("list");
    assert!(listed.verifications.is_empty(), "nothing was stored");
}
on_both_stores!(invalid_input_names_every_bad_field_and_stores_nothing);

async fn a_dependent_is_verified_under_the_subscribers_policy(app: &TestApp) {
    // Arrange
    let mut message = form("UnitedHealthcare", "ACT100014", PlanType::Employer);
    message.relationship = pb::SubscriberRelationship::Child as i32;
    message.subscriber = Some(pb::Person {
        first_name: "Pat".into(),
        last_name: "Sample".into(),
        middle_name: String::new(),
        date_of_birth: "1965-09-30".into(),
    });
    message.wait_for_result = wait(10);
    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    // Assert
    assert_eq!(verification.outcome(), VerificationOutcome::CoverageActive);
    assert_eq!(verification.subscriber.expect("subscriber").first_name, "Pat");
}
on_both_stores!(a_dependent_is_verified_under_the_subscribers_policy);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_result_is_capped_and_a_slow_carrier_leaves_the_reply_pending() {
    // Arrange: a 1 s cap, a carrier that answers after 3 s, a caller willing to wait 15 s.
    let mut settings = crate::helpers::test_settings();
    settings.submit.max_wait_for_result = std::time::Duration::from_secs(1);
    settings.dispatcher.request_timeout = std::time::Duration::from_secs(5);
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, settings).await.expect("app");
    let mut message = form("Cigna", "SLOW3000", PlanType::Employer);
    message.wait_for_result = wait(15);
    // Act
    let started = std::time::Instant::now();
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    let waited = started.elapsed();
    // Assert
    assert_eq!(verification.status(), VerificationStatus::Pending);
    assert!(waited >= std::time::Duration::from_millis(900), "waited {waited:?}");
    assert!(waited < std::time::Duration::from_secs(3), "the cap, not the caller's 15 s, bounds the wait: {waited:?}");
    let done = app.wait_until_final(&verification.id).await;
    assert_eq!(done.outcome(), VerificationOutcome::CoverageActive, "the work goes on after the reply");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_slower_than_its_timeout_is_retried_then_reported_unavailable() {
    // Arrange: a 300 ms carrier timeout against a 1 s answer.
    let mut settings = crate::helpers::test_settings();
    settings.dispatcher.request_timeout = std::time::Duration::from_millis(300);
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, settings).await.expect("app");
    let mut message = form("Cigna", "SLOW1000", PlanType::Employer);
    message.wait_for_result = wait(10);
    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    let verification = app.wait_until_final(&verification.id).await;
    // Assert
    assert_eq!(verification.status(), VerificationStatus::Failed);
    assert_eq!(verification.outcome(), VerificationOutcome::CarrierUnavailable);
    assert_eq!(verification.follow_up_state(), pb::FollowUpState::VerifyManually);
    assert_eq!(verification.attempts.len(), 3, "max_attempts in the test settings");
    assert!(verification.attempts.iter().all(|a| a.result_class() == pb::AttemptResultClass::Timeout));
    app.shutdown().await;
}
