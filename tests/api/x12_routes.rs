//! X12 routes end to end through real gRPC: a raw-X12 clearinghouse route and a CAQH CORE route that answers one
//! service type per request, both on the carrier simulator over loopback HTTP.

use insurance_verifier::api::pb::{PlanType, VerificationOutcome, VerificationStatus};

use crate::helpers::{TestApp, form, wait};

/// Two carriers on the simulator: raw X12 for "Bluegrass Raw", CORE (one service type per request) for
/// "Bluegrass Core". Request timeouts stay under the test settings' dispatcher lease.
fn directory(base_url: &str) -> String {
    format!(
        r#"
        [[carriers]]
        id = "bluegrass-raw"
        display_name = "Bluegrass Raw Health"
        payer_ids = ["BGRAW"]
        format = "x12_raw_json"
        base_url = "{base_url}"
        request_timeout = "2s"

        [[carriers]]
        id = "bluegrass-core"
        display_name = "Bluegrass Core Health"
        payer_ids = ["BGCORE"]
        format = "caqh_core"
        base_url = "{base_url}/core/realtime"
        one_service_type_per_request = true
        service_types = ["30", "AI", "MH"]
        request_timeout = "2s"

        [[carriers]]
        id = "bluegrass-narrow"
        display_name = "Bluegrass Narrow Health"
        payer_ids = ["BGNARROW"]
        format = "x12_raw_json"
        base_url = "{base_url}"
        one_service_type_per_request = true
        service_types = ["30", "AI", "MH"]
        max_concurrency = 1
        request_timeout = "2s"
        "#
    )
}

async fn a_raw_x12_route_completes_with_the_benefit_summary_and_stores_the_control_numbers(app: &TestApp) {
    // Arrange
    let mut message = form("Bluegrass Raw Health", "ACT200001", PlanType::Employer);
    message.wait_for_result = wait(10);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Completed, "{:?}", verification.status_detail);
    assert_eq!(verification.outcome(), VerificationOutcome::CoverageActive);
    assert_eq!(verification.carrier, "bluegrass-raw");
    let benefits = verification.benefits.expect("benefit summary");
    let ai = benefits.categories.iter().find(|c| c.service_type_code == "AI").expect("substance abuse category");
    assert_eq!(ai.in_network.as_ref().and_then(|share| share.copay_cents), Some(3500));
    let stored = app.get(&verification.id).await.expect("stored");
    let numbers = stored.attempts[0].control_numbers.clone().expect("control numbers are stored");
    for number in [&numbers.interchange, &numbers.group, &numbers.transaction, &numbers.trace] {
        assert!(!number.is_empty() && number.chars().all(|c| c.is_ascii_digit()), "{numbers:?}");
    }
    assert_eq!((app.sandbox_requests)(), 1);
}
crate::on_both_stores_with_directory!(
    directory,
    a_raw_x12_route_completes_with_the_benefit_summary_and_stores_the_control_numbers
);

async fn a_carrier_answering_one_service_type_per_request_is_asked_separately_and_the_answers_merged(app: &TestApp) {
    // Arrange
    let mut message = form("Bluegrass Core Health", "ACT200002", PlanType::Employer);
    message.wait_for_result = wait(10);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Completed, "{:?}", verification.status_detail);
    assert_eq!(verification.outcome(), VerificationOutcome::CoverageActive);
    assert_eq!((app.sandbox_requests)(), 3, "30, AI and MH asked in separate requests");
    assert_eq!(verification.attempts.len(), 1, "one attempt holds the three exchanges");
    let codes: Vec<&str> = verification
        .benefits
        .as_ref()
        .expect("summary")
        .categories
        .iter()
        .map(|c| c.service_type_code.as_str())
        .collect();
    for code in ["30", "AI", "MH"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
}
crate::on_both_stores_with_directory!(
    directory,
    a_carrier_answering_one_service_type_per_request_is_asked_separately_and_the_answers_merged
);

async fn a_medicare_advantage_answer_over_core_completes_as_a_government_plan_with_its_rule(app: &TestApp) {
    // Arrange
    let mut message = form("Bluegrass Core Health", "MA200003", PlanType::Employer);
    message.wait_for_result = wait(10);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Completed, "{:?}", verification.status_detail);
    assert_eq!(verification.outcome(), VerificationOutcome::GovernmentPlanFound);
    let screening = verification.screening.expect("screening decision");
    assert!(screening.rule.starts_with("answer:"), "the rule that found it: {}", screening.rule);
}
crate::on_both_stores_with_directory!(
    directory,
    a_medicare_advantage_answer_over_core_completes_as_a_government_plan_with_its_rule
);

async fn a_carriers_concurrency_limit_holds_even_when_its_requests_are_split(app: &TestApp) {
    // Arrange: three separate requests (30, AI, MH), each answered after 300 ms, to a carrier allowed one at once.
    let mut message = form("Bluegrass Narrow Health", "SLOW300", PlanType::Employer);
    message.wait_for_result = wait(10);

    // Act
    let verification = app.submit(message).await.expect("submit").verification.expect("verification");

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Completed, "{:?}", verification.status_detail);
    assert_eq!((app.sandbox_requests)(), 3);
    let most = app.sandbox_most_in_flight.as_ref().expect("directory mode")();
    assert_eq!(most, 1, "max_concurrency = 1 allows one call at a time, split calls included");
}
crate::on_both_stores_with_directory!(directory, a_carriers_concurrency_limit_holds_even_when_its_requests_are_split);
