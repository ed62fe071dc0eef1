//! The ops endpoint as Prometheus and an orchestrator's HTTP probes see it: `/metrics`, `/livez`, `/readyz`.
//!
//! The `metrics` recorder is process-wide, so other tests in this binary add to the same counters: assertions
//! here look for the series this test's calls must have produced and compare counters before and after.

use std::time::Duration;

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::PlanType;
use insurance_verifier::api::pb::verification_service_client::VerificationServiceClient;
use tonic::transport::Channel;

use crate::helpers::{Backend, form, spawn_app_with, test_settings, wait};

/// The value of the sample with exactly this name and label set, if present.
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

async fn scrape(app: &crate::helpers::TestApp) -> String {
    let response = reqwest::get(format!("{}/metrics", app.ops_address)).await.expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("ascii").to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    response.text().await.expect("body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_rpcs_verifications_carrier_attempts_queue_breakers_and_store_latency() {
    // Arrange
    let mut settings = test_settings();
    settings.metrics.queue_poll_interval = Duration::from_millis(100);
    let app = spawn_app_with(Backend::Sqlite, settings).await.expect("app");
    let before = scrape(&app).await;
    let attempts_series = r#"iv_carrier_attempts_total{carrier="sandbox",result_class="answered"}"#;
    let attempts_before = sample(&before, attempts_series).unwrap_or(0.0);

    // Act: one answered verification, one refused up front, one call without a token.
    let mut active = form("Anthem Blue Cross Blue Shield", "ACT300001", PlanType::Employer);
    active.wait_for_result = wait(10);
    let answered = app.submit(active).await.expect("submit");
    assert_eq!(answered.verification.expect("verification").status(), pb::VerificationStatus::Completed);
    app.submit(form("Kentucky Medicaid", "MCD300002", PlanType::Unknown)).await.expect("refused, stored");
    let channel = Channel::from_shared(app.address.clone()).expect("uri").connect().await.expect("connect");
    let unauthenticated = VerificationServiceClient::new(channel)
        .submit_verification(form("Anthem", "ACT300003", PlanType::Employer))
        .await
        .expect_err("no token");
    assert_eq!(unauthenticated.code(), tonic::Code::Unauthenticated);
    // The queue gauges are read from the store every 100 ms here.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let body = scrape(&app).await;

    // Assert: every family the ops guide documents, with this test's series in it.
    for series in [
        r#"iv_grpc_requests_total{method="VerificationService/SubmitVerification",code="OK"}"#,
        r#"iv_grpc_requests_total{method="VerificationService/SubmitVerification",code="UNAUTHENTICATED"}"#,
        r#"iv_grpc_request_duration_seconds_count{method="VerificationService/SubmitVerification",code="OK"}"#,
        r#"iv_verifications_total{status="completed",outcome="coverage_active"}"#,
        r#"iv_verifications_total{status="rejected",outcome="medicaid"}"#,
        r#"iv_verifications_submitted_total{result="accepted"}"#,
        r#"iv_verifications_submitted_total{result="refused"}"#,
        r#"iv_carrier_attempt_duration_seconds_count{carrier="sandbox",result_class="answered"}"#,
        r#"iv_circuit_breaker_state{carrier="sandbox"}"#,
        r#"iv_carrier_in_flight{carrier="sandbox"}"#,
        "iv_queue_depth",
        "iv_queue_oldest_pending_age_seconds",
        r#"iv_store_operation_duration_seconds_count{operation="insert_verification",backend="sqlite",result="ok"}"#,
        r#"iv_store_operation_duration_seconds_count{operation="record_attempt",backend="sqlite",result="ok"}"#,
        "iv_store_up",
    ] {
        assert!(sample(&body, series).is_some(), "{series} missing from:\n{body}");
    }
    assert!(sample(&body, attempts_series).expect("attempts") >= attempts_before + 1.0);
    assert!(body.contains(
        "iv_carrier_attempt_duration_seconds_bucket{carrier=\"sandbox\",result_class=\"answered\",le=\"0.005\"}"
    ));
    assert!(body.contains("# HELP iv_queue_depth "), "metrics are described");
    assert_eq!(sample(&body, "iv_store_up"), Some(1.0));
    assert_eq!(sample(&body, r#"iv_circuit_breaker_state{carrier="sandbox"}"#), Some(0.0));
    // No PHI in any label or value: the applicant's name, date of birth, member IDs and contact details.
    for phi in ["Jordan", "Sample", "1988-04-12", "ACT300001", "MCD300002", "555-0142", "jordan.sample"] {
        assert!(!body.contains(phi), "{phi} found in /metrics");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_grpc_paths_are_counted_under_one_label() {
    // Arrange
    let app = spawn_app_with(Backend::Sqlite, test_settings()).await.expect("app");
    let before = sample(&scrape(&app).await, r#"iv_grpc_requests_total{method="unknown",code="UNIMPLEMENTED"}"#);

    // Act: a gRPC call to a method the server does not have.
    let response = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client")
        .post(format!("{}/insurance.verification.v1.VerificationService/DropEverything", app.address))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(vec![0u8, 0, 0, 0, 0])
        .send()
        .await
        .expect("call");
    assert_eq!(response.headers()["grpc-status"], "12");
    let body = scrape(&app).await;

    // Assert
    let after = sample(&body, r#"iv_grpc_requests_total{method="unknown",code="UNIMPLEMENTED"}"#).expect("counted");
    assert!(after >= before.unwrap_or(0.0) + 1.0);
    assert!(!body.contains("DropEverything"), "a caller's path never becomes a label");
    app.shutdown().await;
}

#[tokio::test]
async fn livez_and_readyz_answer_while_the_store_is_reachable() {
    // Arrange
    let app = spawn_app_with(Backend::Sqlite, test_settings()).await.expect("app");
    // Act
    let live = reqwest::get(format!("{}/livez", app.ops_address)).await.expect("livez");
    let ready = reqwest::get(format!("{}/readyz", app.ops_address)).await.expect("readyz");
    // Assert
    assert_eq!(live.status(), 200);
    assert_eq!(ready.status(), 200);
    app.shutdown().await;
}
