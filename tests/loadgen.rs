//! The load generator's library entry point against the real service on SQLite over loopback gRPC: each
//! scenario for about a second at 4 in flight, with its baseline, checked through the JSON report.

#[path = "api/helpers.rs"]
mod helpers;
#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use insurance_verifier::loadgen::{self, Baseline, Load, LoadConfig, Scenario};
use serde_json::Value;

/// Starts the app on a SQLite file in a fresh temporary directory; returns it with that database's URL.
async fn sqlite_app() -> (helpers::TestApp, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = support::sqlite_url(dir.path());
    let mut settings = helpers::test_settings();
    settings.data_dir = dir.path().to_path_buf();
    settings.database_url = Some(url.clone());
    (helpers::start(settings, Box::new(dir)).await, url)
}

/// One second at 4 in flight after a short warm-up, as the website role, sampling this process as the server
/// (the app runs in it).
fn short_run(app: &helpers::TestApp, scenario: Scenario) -> LoadConfig {
    let mut config = LoadConfig::new(app.address.clone(), scenario);
    config.load = Load::Concurrency(4);
    config.duration = Duration::from_secs(1);
    config.warmup = Duration::from_millis(200);
    config.token = Some(helpers::WEBSITE_TOKEN.to_owned());
    config.channels = 2;
    config.server_pid = Some(std::process::id());
    config
}

/// Runs `config` and returns the report as the JSON `--json` prints.
async fn run_json(config: &LoadConfig) -> Value {
    let report = loadgen::run(config).await.expect("load run");
    serde_json::to_value(&report).expect("report serialises")
}

/// The checks every scenario's report must pass: calls succeeded, none failed, the figures are filled in.
fn assert_clean_result(json: &Value) {
    let result = &json["result"];
    assert!(result["ok"].as_u64().expect("ok") > 0, "{json:#}");
    assert_eq!(result["ok"], result["sent"], "{json:#}");
    assert_eq!(result["errors"], serde_json::json!({}), "{json:#}");
    assert_eq!(result["unexpected"], serde_json::json!({}), "{json:#}");
    assert_eq!(result["unfinished"], 0, "{json:#}");
    assert!(result["throughput_per_s"].as_f64().expect("throughput") > 0.0, "{json:#}");
    let latency = &result["latency_ms"];
    for key in ["p50", "p90", "p99", "p999", "max"] {
        assert!(latency[key].as_f64().expect(key) > 0.0, "{key}: {json:#}");
    }
    assert!(latency["p50"].as_f64() <= latency["p99"].as_f64(), "{json:#}");
    assert_eq!(json["load"]["concurrency"], 4, "{json:#}");
    let server = &json["server"];
    assert!(server["peak_rss_mib"].as_f64().expect("server RSS") > 1.0, "{json:#}");
    // Not compared with the sampled peak: the kernel updates VmHWM from lazily synced counters, so it can trail
    // a VmRSS sample by a few pages.
    assert!(server["vm_hwm_mib"].as_f64().expect("server VmHWM") > 1.0, "{json:#}");
    assert!(server["cpu_cores"].as_f64().expect("server CPU") > 0.0, "{json:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_all_answered_rejected_and_compared_with_a_bare_grpc_call() {
    // Arrange
    let (app, _) = sqlite_app().await;
    let mut config = short_run(&app, Scenario::Refusals);
    config.baselines = vec![Baseline::Grpc];
    // Act
    let json = run_json(&config).await;
    // Assert
    assert_eq!(json["scenario"], "refusals");
    assert_clean_result(&json);
    assert_eq!(json["baselines"][0]["kind"], "grpc");
    assert!(json["baselines"][0]["result"]["ok"].as_u64().expect("baseline ok") > 0, "{json:#}");
    let ratio = json["ratios"]["grpc"]["throughput"].as_f64().expect("ratio");
    assert!(ratio > 0.0, "{json:#}");
    assert_eq!(app.sandbox_requests.as_ref()(), 0, "a refusal never calls the carrier");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_submits_are_stored_and_compared_with_plain_inserts_into_a_scratch_table() {
    // Arrange
    let (app, database_url) = sqlite_app().await;
    let mut config = short_run(&app, Scenario::Submits);
    config.baselines = vec![Baseline::Store];
    config.database_url = Some(database_url.clone());
    // Act
    let json = run_json(&config).await;
    // Assert
    assert_eq!(json["scenario"], "submits");
    assert_clean_result(&json);
    assert_eq!(json["baselines"][0]["kind"], "store");
    assert_eq!(json["baselines"][0]["backend"], "sqlite");
    assert!(json["baselines"][0]["result"]["ok"].as_u64().expect("baseline ok") > 0, "{json:#}");
    assert!(json["ratios"]["store"]["throughput"].as_f64().expect("ratio") > 0.0, "{json:#}");
    let directory = std::path::Path::new(database_url.trim_start_matches("sqlite://")).parent().expect("dir");
    let leftovers: Vec<_> = std::fs::read_dir(directory)
        .expect("data dir")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("loadgen_baseline_"))
        .collect();
    assert!(leftovers.is_empty(), "the scratch database is removed: {leftovers:?}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_verifications_complete_within_the_wait_and_are_compared_with_the_ideal_rate() {
    // Arrange
    let (app, _) = sqlite_app().await;
    let mut config = short_run(&app, Scenario::E2e);
    config.carrier_latency = Duration::from_millis(50);
    config.wait_for_result = Duration::from_secs(5);
    // Act
    let json = run_json(&config).await;
    // Assert
    assert_eq!(json["scenario"], "e2e");
    assert_clean_result(&json);
    assert_eq!(json["still_pending"], 0, "{json:#}");
    assert_eq!(json["carrier_latency_ms"], 50);
    assert_eq!(json["baselines"][0]["kind"], "ideal");
    assert_eq!(json["baselines"][0]["throughput_per_s"], 80.0, "4 in flight / 50 ms");
    let p50 = json["result"]["latency_ms"]["p50"].as_f64().expect("p50");
    assert!(p50 >= 50.0, "a verification cannot complete before the carrier answers: {json:#}");
    let ratio = json["ratios"]["ideal"]["throughput"].as_f64().expect("ratio");
    assert!(ratio > 0.0 && ratio <= 1.05, "{json:#}");
    assert!(app.sandbox_requests.as_ref()() > 0, "the carrier was called");
    app.shutdown().await;
}
