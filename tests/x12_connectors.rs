//! The two X12 connector forms (clearinghouse raw X12 in JSON, CAQH CORE multipart) against the sandbox
//! simulator over real HTTP on loopback: every scenario means the same through X12 as through eligibility JSON,
//! control numbers are fresh per attempt, refusals (999, CORE envelope errors) are recognised.

use std::net::SocketAddr;

use insurance_verifier::carriers::caqh_core::{
    CORE_RULE_VERSION, CaqhCoreConnector, CoreEnvelope, PAYLOAD_TYPE_270, PROCESSING_MODE_REAL_TIME,
    REQUIRED_RESPONSE_FIELDS,
};
use insurance_verifier::carriers::raw_x12::{RAW_X12_PATH, RawX12Connector};
use insurance_verifier::carriers::{
    AttemptOutput, CarrierRoute, Connector, Directory, EligibilityJsonConnector, EligibilityQuery, Provider,
};
use insurance_verifier::domain::test_support::sample_request;
use insurance_verifier::domain::{AttemptResult, AttemptResultClass, CoverageFinding, EligibilityAnswer, MemberId};
use insurance_verifier::sandbox::{self, SandboxHandle};
use insurance_verifier::screening::Screener;
use uuid::Uuid;

const LOOPBACK: ([u8; 4], u16) = ([127, 0, 0, 1], 0);

async fn start_sandbox() -> SandboxHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    sandbox::spawn(SocketAddr::from(LOOPBACK)).await.expect("sandbox starts")
}

/// A one-route directory in `format` pointing at the sandbox, read from TOML as an operator writes it.
fn route(format: &str, base_url: &str, request_timeout: &str) -> CarrierRoute {
    let text = format!(
        r#"
[[carriers]]
id = "bluegrass"
display_name = "Bluegrass Health Plan"
payer_ids = ["BGHP1"]
format = "{format}"
base_url = "{base_url}"
request_timeout = "{request_timeout}"
"#
    );
    Directory::from_toml_str(&text).expect("valid directory").routes()[0].clone()
}

fn provider() -> Provider {
    Provider { npi: "1234567893".to_owned(), organization_name: "Bluegrass Recovery IOP".to_owned() }
}

async fn check(connector: &dyn Connector, member_id: &str) -> AttemptOutput {
    let mut request = sample_request();
    request.card.member_id = MemberId::parse(member_id).expect("valid member id");
    let provider = provider();
    connector
        .check_eligibility(EligibilityQuery {
            verification_id: Uuid::now_v7(),
            attempt_number: 1,
            request: &request,
            payer_id: "BGHP1",
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

fn failure_class(output: &AttemptOutput) -> AttemptResultClass {
    match &output.result {
        AttemptResult::Answered(answer) => panic!("expected a failure, got {:?}", answer.finding),
        AttemptResult::Failed { class, .. } => *class,
    }
}

/// The three connectors of one sandbox: JSON (the reference), raw X12, CORE.
struct Connectors {
    json: EligibilityJsonConnector,
    raw: RawX12Connector,
    core: CaqhCoreConnector,
}

fn connectors(sandbox: &SandboxHandle, timeout: &str) -> Connectors {
    let base = sandbox.base_url();
    Connectors {
        json: EligibilityJsonConnector::new(&route("eligibility_json_v3", &base, timeout)).expect("json connector"),
        raw: RawX12Connector::new(&route("x12_raw_json", &base, timeout)).expect("raw connector"),
        core: CaqhCoreConnector::new(&route("caqh_core", &format!("{base}/core/realtime"), timeout))
            .expect("core connector"),
    }
}

#[tokio::test]
async fn an_active_ppo_reads_the_same_through_raw_x12_and_core_as_through_json() {
    // Arrange
    let sandbox = start_sandbox().await;
    let connectors = connectors(&sandbox, "10s");

    // Act
    let json = check(&connectors.json, "ACT100001").await;
    let raw = check(&connectors.raw, "ACT100001").await;
    let core = check(&connectors.core, "ACT100001").await;

    // Assert
    let reference = answer(&json);
    assert_eq!(reference.finding, CoverageFinding::Active);
    for (name, output) in [("raw x12", &raw), ("core", &core)] {
        let through_x12 = answer(output);
        assert_eq!(through_x12.finding, CoverageFinding::Active, "{name}");
        let ai = through_x12.summary.category("AI").unwrap_or_else(|| panic!("{name}: AI category"));
        assert_eq!(ai.in_network.copay_cents, Some(3500), "{name}: AI copay");
        assert_eq!(ai.prior_authorization_required, Some(true), "{name}: AI prior auth");
        assert_eq!(
            through_x12.summary.carve_out_administrator, reference.summary.carve_out_administrator,
            "{name}: carve-out"
        );
        assert_eq!(
            through_x12.summary.category("30").map(|c| &c.in_network.deductible_individual),
            reference.summary.category("30").map(|c| &c.in_network.deductible_individual),
            "{name}: deductible"
        );
        assert_eq!(output.http_status, Some(200), "{name}");
    }
}

#[tokio::test]
async fn every_x12_attempt_carries_four_fresh_control_numbers_that_appear_in_the_270() {
    // Arrange
    let sandbox = start_sandbox().await;
    let connectors = connectors(&sandbox, "10s");

    // Act
    let first = check(&connectors.raw, "ACT100001").await;
    let second = check(&connectors.core, "ACT100001").await;

    // Assert
    for output in [&first, &second] {
        let numbers = &output.control_numbers;
        let request = output.raw_request.as_deref().expect("request kept");
        for number in [&numbers.interchange, &numbers.group, &numbers.transaction, &numbers.trace] {
            let number = number.as_deref().expect("every control number is set");
            assert!(request.contains(number), "the 270 carries {number}");
        }
    }
    assert_ne!(first.control_numbers.interchange, second.control_numbers.interchange);
    assert_ne!(first.control_numbers.trace, second.control_numbers.trace);
}

#[tokio::test]
async fn carrier_rejections_through_x12_mean_what_they_mean_through_json() {
    // Arrange
    let sandbox = start_sandbox().await;
    let connectors = connectors(&sandbox, "10s");

    for connector in [&connectors.raw as &dyn Connector, &connectors.core] {
        // Act
        let not_found = check(connector, "NF100001").await;
        let birth_date = check(connector, "DOB100001").await;
        let name = check(connector, "MM100001").await;
        let inactive = check(connector, "INA100001").await;
        let busy = check(connector, "BUSY100001").await;

        // Assert
        assert_eq!(answer(&not_found).finding, CoverageFinding::MemberNotFound);
        assert_eq!(not_found.error_code.as_deref(), Some("AAA:75"));
        assert_eq!(answer(&birth_date).finding, CoverageFinding::DemographicsMismatch);
        assert!(answer(&birth_date).hint.as_deref().unwrap_or_default().contains("date of birth"));
        assert_eq!(answer(&name).finding, CoverageFinding::DemographicsMismatch);
        assert_eq!(answer(&inactive).finding, CoverageFinding::Inactive);
        assert_eq!(failure_class(&busy), AttemptResultClass::CarrierBusy, "AAA 42 is retried");
    }
}

#[tokio::test]
async fn a_medicare_advantage_answer_through_x12_is_caught_by_the_answer_screening() {
    // Arrange
    let sandbox = start_sandbox().await;
    let connectors = connectors(&sandbox, "10s");
    let screener = Screener::embedded();

    for connector in [&connectors.raw as &dyn Connector, &connectors.core] {
        // Act
        let output = check(connector, "MA100001").await;

        // Assert
        let decision = screener.screen_answer(&answer(&output).plan_facts).expect("a government plan is found");
        assert!(decision.rule.starts_with("answer:"), "{}", decision.rule);
    }
}

#[tokio::test]
async fn server_errors_garbage_and_slow_carriers_are_classified_through_x12() {
    // Arrange
    let sandbox = start_sandbox().await;
    let connectors = connectors(&sandbox, "1s");

    for connector in [&connectors.raw as &dyn Connector, &connectors.core] {
        // Act
        let server_error = check(connector, "ERR100001").await;
        let garbage = check(connector, "BAD100001").await;
        let slow = check(connector, "SLOW3000").await;

        // Assert
        assert_eq!(failure_class(&server_error), AttemptResultClass::ServerError);
        assert_eq!(failure_class(&garbage), AttemptResultClass::InvalidResponse);
        assert_eq!(failure_class(&slow), AttemptResultClass::Timeout);
    }
}

#[tokio::test]
async fn an_unreadable_270_is_answered_with_a_999_that_the_connector_reads_as_a_rejection() {
    // Arrange
    let sandbox = start_sandbox().await;
    let client = reqwest::Client::new();
    let broken = "ISA*00*          *00*          *ZZ*BLUEGRASSIOP   *ZZ*SANDBOX        *261127*1200*^*00501*000000007*0*T*:~GS*HS*BLUEGRASSIOP*SANDBOX*20261127*1200*7*X*005010X279A1~ST*270*0007*005010X279A1~SE*2*0007~GE*1*7~IEA*1*000000007~";

    // Act
    let reply = client
        .post(format!("{}{RAW_X12_PATH}", sandbox.base_url()))
        .json(&serde_json::json!({ "x12": broken }))
        .send()
        .await
        .expect("sandbox answers");
    let status = reply.status().as_u16();
    let body: serde_json::Value = reply.json().await.expect("JSON reply");
    let x12 = body["x12"].as_str().expect("an x12 member");
    let reply = insurance_verifier::carriers::x12::read_reply(x12.as_bytes()).expect("readable reply");

    // Assert
    assert_eq!(status, 200);
    assert!(
        matches!(reply, insurance_verifier::carriers::x12::X12Reply::Rejected(_)),
        "a 999 refusing the 270 is a rejection"
    );
}

#[tokio::test]
async fn a_core_envelope_with_a_wrong_rule_version_is_refused_with_the_rules_error_code() {
    // Arrange
    let sandbox = start_sandbox().await;
    let envelope = CoreEnvelope {
        payload_type: PAYLOAD_TYPE_270.to_owned(),
        processing_mode: PROCESSING_MODE_REAL_TIME.to_owned(),
        payload_id: Uuid::new_v4().to_string(),
        timestamp: "2026-11-27T12:00:00Z".to_owned(),
        sender_id: "BLUEGRASSIOP".to_owned(),
        receiver_id: "SANDBOX".to_owned(),
        core_rule_version: "1.1.0".to_owned(),
        payload: "ISA*...".to_owned(),
        ..CoreEnvelope::default()
    };
    let (content_type, body) = envelope.encode();

    // Act
    let reply = reqwest::Client::new()
        .post(format!("{}/core/realtime", sandbox.base_url()))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sandbox answers");
    let status = reply.status().as_u16();
    let content_type = reply.headers()["content-type"].to_str().expect("ascii").to_owned();
    let decoded =
        CoreEnvelope::decode(&content_type, reply.bytes().await.expect("body").to_vec(), &REQUIRED_RESPONSE_FIELDS)
            .await
            .expect("a CORE envelope comes back");

    // Assert
    assert_eq!(status, 400);
    assert_eq!(decoded.error_code.as_deref(), Some("VersionMismatch"));
    assert_eq!(decoded.payload_id, envelope.payload_id, "the payload id is echoed");
    assert_eq!(decoded.core_rule_version, CORE_RULE_VERSION);
}

#[tokio::test]
async fn a_core_route_whose_credential_variables_are_unset_refuses_to_start_naming_the_variable() {
    // Arrange: variable names nobody sets (the crate forbids `unsafe`, so tests cannot set variables).
    let sandbox = start_sandbox().await;
    let (user_env, password_env) = ("IV_TEST_CORE_USER_UNSET_7F3A", "IV_TEST_CORE_PASSWORD_UNSET_7F3A");
    let text = format!(
        r#"
[[carriers]]
id = "bluegrass-core"
display_name = "Bluegrass Health Plan"
payer_ids = ["BGHP1"]
format = "caqh_core"
base_url = "{}/core/realtime"
username_env = "{user_env}"
password_env = "{password_env}"
"#,
        sandbox.base_url()
    );
    let directory = Directory::from_toml_str(&text).expect("valid directory");
    let route = directory.routes()[0].clone();

    // Act
    let missing = CaqhCoreConnector::new(&route);

    // Assert
    let error = missing.expect_err("credentials are required").to_string();
    assert!(error.contains(user_env), "{error}");
}

#[tokio::test]
async fn a_dependent_inquiry_is_accepted_by_the_simulator_through_both_x12_forms() {
    // Arrange: a child on a parent's plan, so the 270 carries a 2000D/2100D dependent loop.
    let sandbox = start_sandbox().await;
    let connectors = connectors(&sandbox, "10s");
    let request = insurance_verifier::domain::test_support::sample_dependent_request();
    let provider = provider();

    for connector in [&connectors.raw as &dyn Connector, &connectors.core] {
        // Act
        let output = connector
            .check_eligibility(EligibilityQuery {
                verification_id: Uuid::now_v7(),
                attempt_number: 1,
                request: &request,
                payer_id: "BGHP1",
                payer_name: "Bluegrass Health Plan",
                provider: &provider,
                service_types: &["30", "AI"],
            })
            .await;

        // Assert: the simulator refuses a 2100D `INS*Y` with a 999, so an answer proves the loop is valid.
        assert_eq!(answer(&output).finding, CoverageFinding::Active);
        assert!(output.raw_request.as_deref().unwrap_or_default().contains("INS*N*19"));
    }
}
