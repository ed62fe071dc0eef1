//! The sandbox carrier over real HTTP on loopback, called with the eligibility JSON connector: every scenario
//! of the table in `src/sandbox/mod.rs`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use insurance_verifier::carriers::{
    AttemptOutput, CarrierRoute, Connector, Directory, EligibilityJsonConnector, EligibilityQuery, Provider,
};
use insurance_verifier::domain::test_support::sample_request;
use insurance_verifier::domain::{
    AttemptResult, AttemptResultClass, CoverageFinding, EligibilityAnswer, MemberId, Person, Relationship,
};
use insurance_verifier::sandbox::{self, SandboxHandle};
use time::macros::date;
use uuid::Uuid;

const LOOPBACK: ([u8; 4], u16) = ([127, 0, 0, 1], 0);

async fn start_sandbox() -> SandboxHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    sandbox::spawn(SocketAddr::from(LOOPBACK)).await.expect("sandbox starts")
}

fn route_to(base_url: &str, request_timeout: Duration) -> CarrierRoute {
    let directory = Directory::sandbox(base_url).with_timeouts(Duration::from_secs(2), request_timeout);
    directory.routes()[0].clone()
}

fn connector(sandbox: &SandboxHandle) -> EligibilityJsonConnector {
    EligibilityJsonConnector::new(&route_to(&sandbox.base_url(), Duration::from_secs(10))).expect("connector")
}

fn provider() -> Provider {
    Provider { npi: "1234567893".to_owned(), organization_name: "Bluegrass Recovery IOP".to_owned() }
}

/// Calls the connector for a sample applicant whose card carries `member_id`.
async fn check(connector: &EligibilityJsonConnector, member_id: &str) -> AttemptOutput {
    let mut request = sample_request();
    request.card.member_id = MemberId::parse(member_id).expect("valid member id");
    let provider = provider();
    connector
        .check_eligibility(EligibilityQuery {
            verification_id: Uuid::now_v7(),
            attempt_number: 1,
            request: &request,
            payer_id: "SANDBOX",
            payer_name: "Bluegrass Health Plan",
            provider: &provider,
            service_types: &["30", "AI", "MH"],
        })
        .await
}

fn answer(output: &AttemptOutput) -> &EligibilityAnswer {
    match &output.result {
        AttemptResult::Answered(answer) => answer,
        AttemptResult::Failed { class, detail, .. } => panic!("expected an answer, got {class:?}: {detail}"),
    }
}

fn failure(output: &AttemptOutput) -> AttemptResultClass {
    match &output.result {
        AttemptResult::Failed { class, .. } => *class,
        AttemptResult::Answered(answer) => panic!("expected a failure, got {:?}", answer.finding),
    }
}

#[tokio::test]
async fn an_active_member_gets_the_substance_use_benefit_summary_admissions_needs() {
    let sandbox = start_sandbox().await;
    let connector = connector(&sandbox);

    let output = check(&connector, "ACT100001").await;

    assert_eq!(output.http_status, Some(200));
    assert_eq!(output.error_code, None);
    assert!(output.latency > Duration::ZERO);
    assert!(output.raw_request.as_deref().unwrap_or_default().contains("\"memberId\":\"ACT100001\""));
    assert!(output.raw_response.as_deref().unwrap_or_default().contains("Blue Access PPO"));
    let answer = answer(&output);
    assert_eq!(answer.finding, CoverageFinding::Active);
    let summary = &answer.summary;
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(summary.plan_name.as_deref(), Some("Blue Access PPO"));
    assert_eq!(summary.coverage_active, Some(true));
    assert_eq!(summary.insurance_type_code.as_deref(), Some("PR"));
    assert_eq!(summary.group_number.as_deref(), Some("KY45P0123"));
    assert_eq!(summary.plan_begin_date, Some(format!("{year}-01-01")));
    assert_eq!(summary.plan_end_date, Some(format!("{year}-12-31")));
    assert_eq!(summary.carve_out_administrator.as_deref(), Some("Carelon Behavioral Health"));

    let plan = summary.category("30").expect("plan level");
    let in_net = &plan.in_network;
    assert_eq!(
        (in_net.deductible_individual.total_cents, in_net.deductible_individual.remaining_cents),
        (Some(150_000), Some(60_000))
    );
    assert_eq!(
        (in_net.deductible_family.total_cents, in_net.deductible_family.remaining_cents),
        (Some(300_000), Some(210_000))
    );
    assert_eq!(
        (in_net.out_of_pocket_individual.total_cents, in_net.out_of_pocket_individual.remaining_cents),
        (Some(600_000), Some(435_000))
    );
    assert_eq!(
        (in_net.out_of_pocket_family.total_cents, in_net.out_of_pocket_family.remaining_cents),
        (Some(1_200_000), Some(980_000))
    );
    let out_net = &plan.out_of_network;
    assert_eq!(
        (out_net.deductible_individual.total_cents, out_net.deductible_individual.remaining_cents),
        (Some(300_000), Some(300_000))
    );

    let substance = summary.category("AI").expect("substance abuse");
    assert_eq!(substance.active, Some(true));
    assert_eq!(substance.in_network.copay_cents, Some(3500));
    assert_eq!(substance.in_network.coinsurance_percent, Some(20.0));
    assert_eq!(substance.out_of_network.coinsurance_percent, Some(40.0));
    assert_eq!(substance.prior_authorization_required, Some(true));
    assert!(
        substance.limits.iter().any(|limit| limit.starts_with("30 Visits per Calendar Year")),
        "{:?}",
        substance.limits
    );

    let mental = summary.category("MH").expect("mental health");
    assert_eq!(mental.in_network.copay_cents, Some(3000));
    assert_eq!(mental.prior_authorization_required, Some(false));
    assert_eq!(summary.category("CF").and_then(|c| c.in_network.copay_cents), Some(3000));
    assert_eq!(answer.plan_facts.insurance_type_codes, ["PR"]);
}

#[tokio::test]
async fn an_inactive_member_is_found_but_not_covered() {
    let sandbox = start_sandbox().await;

    let output = check(&connector(&sandbox), "INA200002").await;

    let answer = answer(&output);
    assert_eq!(answer.finding, CoverageFinding::Inactive);
    assert_eq!(answer.summary.coverage_active, Some(false));
    let last_year = time::OffsetDateTime::now_utc().year() - 1;
    assert_eq!(answer.summary.plan_end_date, Some(format!("{last_year}-12-31")));
}

#[tokio::test]
async fn subscriber_not_found_is_decided_from_the_body_even_on_http_400() {
    let sandbox = start_sandbox().await;

    let output = check(&connector(&sandbox), "NF300003").await;

    assert_eq!(output.http_status, Some(400));
    assert_eq!(output.error_code.as_deref(), Some("AAA:75"));
    let answer = answer(&output);
    assert_eq!(answer.finding, CoverageFinding::MemberNotFound);
    assert_eq!(answer.error_code.as_deref(), Some("AAA:75"));
}

#[tokio::test]
async fn a_name_mismatch_asks_to_fix_the_name_without_repeating_it() {
    let sandbox = start_sandbox().await;

    let output = check(&connector(&sandbox), "MM400004").await;

    let answer = answer(&output);
    assert_eq!(answer.finding, CoverageFinding::DemographicsMismatch);
    assert_eq!(output.error_code.as_deref(), Some("AAA:73"));
    let hint = answer.hint.as_deref().unwrap_or_default();
    assert!(hint.contains("name"), "{hint}");
    assert!(!hint.contains("Jordan") && !hint.contains("Sample"), "{hint}");
    assert!(output.raw_response.as_deref().unwrap_or_default().contains("Jordan"), "the payer echoes the name");
}

#[tokio::test]
async fn a_birth_date_mismatch_asks_to_fix_the_date_of_birth() {
    let sandbox = start_sandbox().await;

    let output = check(&connector(&sandbox), "dob-500005").await;

    let answer = answer(&output);
    assert_eq!(answer.finding, CoverageFinding::DemographicsMismatch);
    assert_eq!(output.error_code.as_deref(), Some("AAA:71"));
    assert!(answer.hint.as_deref().unwrap_or_default().contains("date of birth"));
}

#[tokio::test]
async fn a_medicare_advantage_answer_carries_the_plan_facts_screening_needs() {
    let sandbox = start_sandbox().await;

    let output = check(&connector(&sandbox), "MA600006").await;

    let answer = answer(&output);
    assert_eq!(answer.finding, CoverageFinding::Active);
    let facts = &answer.plan_facts;
    assert!(facts.insurance_type_codes.contains(&"HN".to_owned()), "{facts:?}");
    assert!(facts.insurance_type_codes.contains(&"MA".to_owned()), "{facts:?}");
    assert!(facts.plan_descriptions.iter().any(|d| d.contains("Medicare Advantage")), "{facts:?}");
}

#[tokio::test]
async fn a_busy_payer_is_a_transient_carrier_busy() {
    let sandbox = start_sandbox().await;

    let output = check(&connector(&sandbox), "BUSY700007").await;

    assert_eq!(output.http_status, Some(200));
    assert_eq!(failure(&output), AttemptResultClass::CarrierBusy);
    assert_eq!(output.error_code.as_deref(), Some("AAA:42"));
}

#[tokio::test]
async fn a_server_error_is_a_transient_server_error() {
    let sandbox = start_sandbox().await;

    let output = check(&connector(&sandbox), "ERR800008").await;

    assert_eq!(output.http_status, Some(500));
    assert_eq!(failure(&output), AttemptResultClass::ServerError);
    assert_eq!(output.error_code.as_deref(), Some("HTTP:500"));
}

#[tokio::test]
async fn a_garbage_body_is_an_invalid_response_kept_for_the_record() {
    let sandbox = start_sandbox().await;

    let output = check(&connector(&sandbox), "BAD900009").await;

    assert_eq!(output.http_status, Some(200));
    assert_eq!(failure(&output), AttemptResultClass::InvalidResponse);
    assert!(output.raw_response.as_deref().unwrap_or_default().contains("Proxy Error"));
}

#[tokio::test]
async fn a_slow_carrier_past_the_request_timeout_is_a_timeout() {
    let sandbox = start_sandbox().await;
    let impatient =
        EligibilityJsonConnector::new(&route_to(&sandbox.base_url(), Duration::from_millis(300))).expect("connector");

    let output = check(&impatient, "SLOW5000").await;

    assert_eq!(failure(&output), AttemptResultClass::Timeout);
    assert_eq!(output.http_status, None);
    assert!(
        output.latency >= Duration::from_millis(300) && output.latency < Duration::from_secs(3),
        "{:?}",
        output.latency
    );
}

#[tokio::test]
async fn a_slow_carrier_within_the_timeout_answers_after_its_delay() {
    let sandbox = start_sandbox().await;

    let output = check(&connector(&sandbox), "SLOW250").await;

    assert_eq!(answer(&output).finding, CoverageFinding::Active);
    assert!(output.latency >= Duration::from_millis(250), "{:?}", output.latency);
}

#[tokio::test]
async fn a_closed_port_is_a_connection_error() {
    let sandbox = start_sandbox().await;
    let base_url = sandbox.base_url();
    sandbox.shutdown().await;
    let connector = EligibilityJsonConnector::new(&route_to(&base_url, Duration::from_secs(2))).expect("connector");

    let output = check(&connector, "ACT1").await;

    assert_eq!(failure(&output), AttemptResultClass::ConnectionError);
    assert!(output.raw_request.is_some(), "what was attempted is kept");
}

#[tokio::test]
async fn the_request_counter_counts_eligibility_calls_only() {
    let sandbox = start_sandbox().await;
    let connector = connector(&sandbox);
    assert_eq!(sandbox.requests_served(), 0);

    let health = reqwest::get(format!("{}/health", sandbox.base_url())).await.expect("health answers");
    let health_status = health.status().as_u16();
    let health_body = health.text().await.expect("health body");
    check(&connector, "ACT1").await;
    check(&connector, "NF1").await;

    assert_eq!(health_status, 200);
    assert_eq!(health_body, "{\"status\":\"UP\"}");
    assert_eq!(sandbox.requests_served(), 2);
}

#[tokio::test]
async fn a_dependent_applicant_is_looked_up_under_the_policy_holder_and_echoed_back() {
    let sandbox = start_sandbox().await;
    let connector = connector(&sandbox);
    let mut request = sample_request();
    request.relationship = Relationship::Spouse;
    request.subscriber = Some(Person {
        first_name: "Pat".into(),
        last_name: "Sample".into(),
        middle_name: None,
        date_of_birth: date!(1980 - 02 - 29),
    });
    let provider = provider();

    let output = connector
        .check_eligibility(EligibilityQuery {
            verification_id: Uuid::now_v7(),
            attempt_number: 1,
            request: &request,
            payer_id: "SANDBOX",
            payer_name: "Bluegrass Health Plan",
            provider: &provider,
            service_types: &["30"],
        })
        .await;

    assert_eq!(answer(&output).finding, CoverageFinding::Active);
    let echoed: serde_json::Value =
        serde_json::from_str(output.raw_response.as_deref().unwrap_or_default()).expect("JSON answer");
    assert_eq!(echoed["subscriber"]["firstName"], "Pat");
    assert_eq!(echoed["subscriber"]["dateOfBirth"], "19800229");
    assert_eq!(echoed["dependents"][0]["firstName"], "Jordan");
    assert_eq!(echoed["dependents"][0]["individualRelationshipCode"], "01");
}

#[tokio::test]
async fn the_connector_sends_the_bearer_token_and_the_verification_id_but_no_phi_in_headers() {
    // A one-route capture server standing in for a carrier.
    let seen: Arc<Mutex<Option<HeaderMap>>> = Arc::default();
    let captured = Arc::clone(&seen);
    let app = Router::new().route(
        "/medicalnetwork/eligibility/v3",
        post(move |headers: HeaderMap| {
            let captured = Arc::clone(&captured);
            async move {
                *captured.lock().expect("lock") = Some(headers);
                "{\"planStatus\":[{\"statusCode\":\"1\",\"serviceTypeCodes\":[\"30\"]}]}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(LOOPBACK)).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut route = route_to(&format!("http://{addr}"), Duration::from_secs(5));
    // PATH is set in every test environment; the connector reads whatever variable the route names.
    route.credential_env = Some("PATH".to_owned());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let connector = EligibilityJsonConnector::new(&route).expect("connector");
    let verification_id = Uuid::now_v7();
    let request = sample_request();
    let provider = provider();

    let output = connector
        .check_eligibility(EligibilityQuery {
            verification_id,
            attempt_number: 1,
            request: &request,
            payer_id: "60054",
            payer_name: "Bluegrass Health Plan",
            provider: &provider,
            service_types: &["30"],
        })
        .await;

    assert_eq!(answer(&output).finding, CoverageFinding::Active);
    let headers = seen.lock().expect("lock").clone().expect("request seen");
    let expected = format!("Bearer {}", std::env::var("PATH").expect("PATH set"));
    assert_eq!(headers.get("authorization").and_then(|v| v.to_str().ok()), Some(expected.as_str()));
    assert_eq!(
        headers.get("x-verification-id").and_then(|v| v.to_str().ok()),
        Some(verification_id.to_string().as_str())
    );
    assert_eq!(headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/json"));
    for (_, value) in &headers {
        let value = value.to_str().unwrap_or_default();
        assert!(!value.contains("ACT100001") && !value.contains("Jordan"), "PHI in a header: {value}");
    }
}

#[tokio::test]
async fn many_calls_in_flight_are_all_answered() {
    let sandbox = start_sandbox().await;
    let connector = Arc::new(connector(&sandbox));

    let calls = (0..200).map(|i| {
        let connector = Arc::clone(&connector);
        let member_id = if i % 2 == 0 { format!("SLOW100X{i}") } else { format!("ACT{i:05}") };
        tokio::spawn(async move { check(&connector, &member_id).await })
    });
    let outputs = futures_join(calls.collect()).await;

    assert_eq!(outputs.len(), 200);
    assert!(
        outputs
            .iter()
            .all(|output| matches!(&output.result, AttemptResult::Answered(a) if a.finding == CoverageFinding::Active))
    );
    assert_eq!(sandbox.requests_served(), 200);
}

/// Awaits every task (no extra dependency for `join_all`).
async fn futures_join(handles: Vec<tokio::task::JoinHandle<AttemptOutput>>) -> Vec<AttemptOutput> {
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("task finished"));
    }
    outputs
}
