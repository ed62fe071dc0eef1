//! PHI never reaches the logs: canary names, dates of birth, member IDs, phone numbers and e-mail addresses go
//! through every path (refusal, each carrier answer, invalid input, conflicts) with the most verbose log level
//! and JSON output, and none of them appears in what was written.

#[path = "api/helpers.rs"]
mod helpers;
#[path = "support/mod.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::PlanType;
use insurance_verifier::config::{LogFormat, LogSettings};
use tracing_subscriber::fmt::MakeWriter;

use helpers::{Backend, form, spawn_app, wait};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const FIRST: &str = "Quillonia";
const LAST: &str = "Vexcanary";
const SUBSCRIBER_FIRST: &str = "Brixtanne";
const DOB: &str = "1977-07-19";
const SUBSCRIBER_DOB: &str = "1961-03-17";
const PHONE_DIGITS: &str = "5025550199";
const EMAIL: &str = "quillonia.canary@example.org";

fn canary_form(member_id: &str, carrier: &str, plan_type: PlanType) -> pb::SubmitVerificationRequest {
    let mut message = form(carrier, member_id, plan_type);
    message.applicant = Some(pb::Person {
        first_name: FIRST.into(),
        last_name: LAST.into(),
        middle_name: String::new(),
        date_of_birth: DOB.into(),
    });
    message.relationship = pb::SubscriberRelationship::Spouse as i32;
    message.subscriber = Some(pb::Person {
        first_name: SUBSCRIBER_FIRST.into(),
        last_name: LAST.into(),
        middle_name: String::new(),
        date_of_birth: SUBSCRIBER_DOB.into(),
    });
    message.contact =
        Some(pb::Contact { phone: "(502) 555-0199".into(), email: EMAIL.into(), preferred_time: String::new() });
    message.wait_for_result = wait(10);
    message
}

/// Two X12 routes on the test's simulator: raw X12 (Anthem) and CAQH CORE, one service type per request (Cigna).
fn x12_directory(base_url: &str) -> String {
    format!(
        r#"
        [[carriers]]
        id = "anthem"
        display_name = "Anthem Blue Cross Blue Shield"
        payer_ids = ["00660"]
        format = "x12_raw_json"
        base_url = "{base_url}"
        request_timeout = "2s"

        [[carriers]]
        id = "cigna"
        display_name = "Cigna"
        payer_ids = ["62308"]
        format = "caqh_core"
        base_url = "{base_url}/core/realtime"
        one_service_type_per_request = true
        request_timeout = "2s"
        "#
    )
}

/// Submits canary PHI through every path: each sandbox scenario, a refusal, invalid input, a conflict, a list.
async fn exercise_every_path(app: &helpers::TestApp, member_ids: &[&str]) {
    for member_id in member_ids.iter().copied() {
        let response = app.submit(canary_form(member_id, "Anthem Blue Cross Blue Shield", PlanType::Employer)).await;
        let id = response.expect("submit").verification.expect("v").id;
        app.wait_until_final(&id).await;
    }
    app.submit(canary_form("ACTQX7709", "Kentucky Medicaid", PlanType::Medicaid)).await.expect("refused");
    let mut invalid = canary_form("Q", "Cigna", PlanType::Employer);
    invalid.applicant.as_mut().expect("applicant").date_of_birth = "1977-19-07".into();
    let _ = app.submit(invalid).await.expect_err("invalid");
    let mut conflict = canary_form("ACTQX7710", "Cigna", PlanType::Employer);
    conflict.request_id = "phi-conflict-1".into();
    app.submit(conflict.clone()).await.expect("first");
    conflict.card.as_mut().expect("card").member_id = "ACTQX7711".into();
    let _ = app.submit(conflict).await.expect_err("conflict");
    app.list(pb::ListVerificationsRequest::default()).await.expect("list");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_phi_never_appears_in_the_logs() {
    // Arrange: the most verbose JSON logs of every crate, captured.
    let captured = Captured::default();
    let settings = LogSettings { format: LogFormat::Json, filter: "trace".to_owned() };
    // RUST_LOG would override the filter; the test process sets none.
    let subscriber = insurance_verifier::telemetry::subscriber(&settings, captured.clone(), false);
    tracing::subscriber::set_global_default(subscriber).expect("first subscriber in this test binary");
    let member_ids =
        ["ACTQX7701", "INAQX7702", "NFQX7703", "MMQX7704", "MAQX7705", "ERRQX7706", "BADQX7707", "BUSYQX7708"];

    // Act: every path, on each store (PostgreSQL when configured).
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app(backend).await else { continue };
        exercise_every_path(&app, &member_ids).await;
        app.shutdown().await;
    }

    // The X12 wire formats too: raw X12 for Anthem, CAQH CORE asked one service type per request for Cigna.
    if let Some(app) = helpers::spawn_app_with_directory(Backend::Sqlite, helpers::test_settings(), x12_directory).await
    {
        exercise_every_path(&app, &member_ids).await;
        for member_id in ["ACTQX7712", "NFQX7713", "MAQX7714"] {
            let response = app.submit(canary_form(member_id, "Cigna", PlanType::Employer)).await;
            let id = response.expect("submit").verification.expect("v").id;
            app.wait_until_final(&id).await;
        }
        app.shutdown().await;
    }

    // A field value written the way a leak would be written: proves the capture sees field values.
    tracing::info!(probe = "capture-probe-7741", "probe");

    // Assert
    let logs = String::from_utf8_lossy(&captured.0.lock().expect("log buffer")).to_lowercase();
    assert!(logs.contains("verification accepted"), "the capture works: the service's logs were written");
    assert!(logs.contains("capture-probe-7741"), "the capture works: field values are in it");
    let mut canaries: Vec<String> =
        vec![FIRST.into(), LAST.into(), SUBSCRIBER_FIRST.into(), DOB.into(), SUBSCRIBER_DOB.into(), EMAIL.into()];
    canaries.push(DOB.replace('-', ""));
    canaries.push(SUBSCRIBER_DOB.replace('-', ""));
    canaries.push(PHONE_DIGITS.into());
    canaries.push("555-0199".into());
    canaries.extend(member_ids.iter().map(|m| m.to_string()));
    canaries.extend(["ACTQX7712", "NFQX7713", "MAQX7714"].map(String::from));
    canaries.push("QX77".into());
    for canary in canaries {
        assert!(!logs.contains(&canary.to_lowercase()), "PHI canary {canary:?} found in the logs");
    }
}
