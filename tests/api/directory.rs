//! The carrier directory through real gRPC: the app runs with a directory file (not sandbox mode) whose routes
//! point at a carrier simulator on loopback, so every carrier call is a real HTTP request that can be counted.

use std::time::Duration;

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::{PlanType, VerificationOutcome, VerificationStatus};

use crate::helpers::{TestApp, form, wait};

/// Two carriers on the simulator: Humana answers in real time, Carelon in batch only. Request timeouts stay under
/// the test settings' dispatcher lease.
fn directory(base_url: &str) -> String {
    format!(
        r#"
        [[carriers]]
        id = "humana"
        display_name = "Humana"
        payer_ids = ["61101"]
        brands = ["Humana"]
        not_names = ["Military"]
        format = "eligibility_json_v3"
        base_url = "{base_url}"
        connect_timeout = "1s"
        request_timeout = "2s"

        [[carriers]]
        id = "carelon-bh"
        display_name = "Carelon Behavioral Health"
        names = ["Beacon Health Options"]
        payer_ids = ["SANDBOXCARELON"]
        format = "eligibility_json_v3"
        base_url = "{base_url}"
        realtime = false
        request_timeout = "2s"
        "#
    )
}

async fn an_unknown_carrier_fails_as_not_supported_and_is_stored_for_manual_verification(app: &TestApp) {
    // Arrange: a commercial-sounding carrier the directory does not know.
    let mut message = form("Limestone Valley Mutual", "ACT100101", PlanType::Employer);
    message.wait_for_result = wait(5);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Failed);
    assert_eq!(verification.outcome(), VerificationOutcome::CarrierNotSupported);
    assert_eq!(verification.follow_up_state(), pb::FollowUpState::VerifyManually);
    assert_eq!(verification.carrier, "", "no carrier was chosen");
    assert!(verification.attempts.is_empty());
    let stored = app.get(&verification.id).await.expect("stored");
    assert_eq!(stored.status(), VerificationStatus::Failed);
    assert_eq!(stored.outcome(), VerificationOutcome::CarrierNotSupported);
    assert!(stored.status_detail.contains("verify by phone"), "{:?}", stored.status_detail);
    assert_eq!(stored.card.expect("card").carrier_name, "Limestone Valley Mutual", "kept for the person verifying");
    assert_eq!((app.sandbox_requests)(), 0, "no carrier was called");
}
crate::on_both_stores_with_directory!(
    directory,
    an_unknown_carrier_fails_as_not_supported_and_is_stored_for_manual_verification
);

async fn a_misspelt_known_carrier_is_forwarded_to_its_route(app: &TestApp) {
    // Arrange
    let mut message = form("Humanna", "ACT100102", PlanType::Employer);
    message.wait_for_result = wait(10);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Completed, "{:?}", verification.status_detail);
    assert_eq!(verification.outcome(), VerificationOutcome::CoverageActive);
    assert_eq!(verification.carrier, "humana");
    assert_eq!(verification.payer_id, "61101", "a name match sends the route's first payer ID");
    assert_eq!(verification.attempts.len(), 1);
    assert_eq!((app.sandbox_requests)(), 1, "exactly one call, to the simulator behind the humana route");
}
crate::on_both_stores_with_directory!(directory, a_misspelt_known_carrier_is_forwarded_to_its_route);

async fn a_near_miss_of_a_known_carrier_is_not_forwarded(app: &TestApp) {
    // Arrange: starts with the Humana brand but is TRICARE (the route's `not_names`).
    let mut message = form("Humana Military", "ACT100104", PlanType::Other);
    message.wait_for_result = wait(5);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Failed);
    assert_eq!(verification.outcome(), VerificationOutcome::CarrierNotSupported);
    assert_eq!(verification.carrier, "");
    assert_eq!((app.sandbox_requests)(), 0);
}
crate::on_both_stores_with_directory!(directory, a_near_miss_of_a_known_carrier_is_not_forwarded);

async fn a_batch_only_carrier_is_not_called_and_is_left_for_manual_verification(app: &TestApp) {
    // Arrange: Carelon's former name, so the match goes through an alias.
    let mut message = form("Beacon Health Options", "ACT100103", PlanType::Employer);
    message.wait_for_result = wait(5);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");
    // Give the dispatcher several poll intervals in which it could (wrongly) pick the verification up.
    tokio::time::sleep(Duration::from_millis(400)).await;

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Failed);
    assert_eq!(verification.outcome(), VerificationOutcome::CarrierNotSupported);
    assert_eq!(verification.follow_up_state(), pb::FollowUpState::VerifyManually);
    let stored = app.get(&verification.id).await.expect("stored");
    assert_eq!(stored.status(), VerificationStatus::Failed);
    assert_eq!(stored.carrier, "carelon-bh", "the carrier to phone is kept");
    assert!(stored.status_detail.contains("batch only"), "{:?}", stored.status_detail);
    assert!(stored.attempts.is_empty());
    assert_eq!((app.sandbox_requests)(), 0, "a batch-only carrier is never called");
}
crate::on_both_stores_with_directory!(
    directory,
    a_batch_only_carrier_is_not_called_and_is_left_for_manual_verification
);
