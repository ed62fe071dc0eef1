//! `insurance-verifier explain FILE`, run as the built binary on real and synthetic carrier answers: what an
//! engineer or an admissions lead sees for a stored answer.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_insurance-verifier");

/// The third-party vectors beside the project (present on these machines and in CI).
fn third_party(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/third_party").join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var("CI").is_err(), "third-party vector {relative} is missing under CI");
    None
}

fn ours(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(relative)
}

/// Runs `explain` and returns (success, stdout, stderr).
fn explain(path: &Path, json: bool) -> (bool, String, String) {
    let mut command = Command::new(BINARY);
    command.arg("explain").arg(path);
    if json {
        command.arg("--json");
    }
    let output = command.output().expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn explain_json(path: &Path) -> Value {
    let (ok, stdout, stderr) = explain(path, true);
    assert!(ok, "explain failed: {stderr}");
    serde_json::from_str(&stdout).expect("--json prints JSON")
}

#[test]
fn the_cms_medicare_271_is_explained_as_a_government_plan() {
    // Arrange
    let Some(path) = third_party("node_x12/271_medicare_cms.edi") else { return };

    // Act
    let explanation = explain_json(&path);

    // Assert
    assert_eq!(explanation["format"], "x12");
    let first = &explanation["answers"][0];
    assert_eq!(first["result"], "answered", "{first}");
    assert_eq!(first["government_plan"]["verdict"], "medicare", "{first}");
}

#[test]
fn a_kentucky_ppo_271_prints_the_substance_use_benefits_readably() {
    // Arrange
    let path = ours("x12/ky_anthem_ppo_271.x12");

    // Act
    let (ok, text, stderr) = explain(&path, false);
    let explanation = explain_json(&path);

    // Assert
    assert!(ok, "{stderr}");
    assert!(text.contains("Format: x12"), "{text}");
    assert!(text.to_lowercase().contains("substance"), "the AI category is printed: {text}");
    let answer = &explanation["answers"][0]["answer"];
    assert_eq!(answer["finding"], "active");
    let categories = answer["summary"]["categories"].as_array().expect("categories");
    assert!(categories.iter().any(|c| c["service_type_code"] == "AI"), "{categories:?}");
    assert!(explanation["answers"][0].get("government_plan").is_none(), "a commercial PPO is not refused");
}

#[test]
fn an_eligibility_json_answer_is_explained_with_the_same_rules() {
    // Arrange
    let path = ours("carriers/ky_wellcare_medicare_advantage.json");

    // Act
    let explanation = explain_json(&path);

    // Assert
    assert_eq!(explanation["format"], "eligibility_json");
    assert_eq!(explanation["answers"][0]["government_plan"]["verdict"], "medicare");
}

#[test]
fn a_999_rejection_is_explained_as_the_carrier_refusing_the_270() {
    // Arrange
    let path = ours("x12/ack_999_rejected.x12");

    // Act
    let explanation = explain_json(&path);

    // Assert
    let report = &explanation["answers"][0];
    assert_eq!(report["result"], "rejected", "{report}");
    assert!(report["error_code"].as_str().unwrap_or_default().starts_with("999:"), "{report}");
}

#[test]
fn a_stored_array_of_separate_answers_is_explained_one_by_one_and_merged() {
    // Arrange: what the dispatcher stores for a carrier asked one service type per request.
    let dir = tempfile::tempdir().expect("tempdir");
    let first = std::fs::read_to_string(ours("x12/ky_anthem_ppo_271.x12")).expect("vector");
    let second = std::fs::read_to_string(ours("carriers/ky_anthem_ppo_iop_active.json")).expect("vector");
    let path = dir.path().join("stored.json");
    std::fs::write(&path, serde_json::to_string(&vec![first, second]).expect("json")).expect("write");

    // Act
    let explanation = explain_json(&path);

    // Assert
    assert_eq!(explanation["format"], "array");
    let answers = explanation["answers"].as_array().expect("answers");
    assert_eq!(answers.len(), 3, "two answers and their merge: {answers:?}");
    assert_eq!(answers[2]["source"], "all answers merged");
    assert_eq!(answers[2]["answer"]["finding"], "active");
}

#[test]
fn a_file_that_is_no_carrier_answer_fails_without_quoting_it() {
    // Arrange
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "Jordan Sample 1988-04-12 member ACT100001").expect("write");

    // Act
    let (ok, stdout, stderr) = explain(&path, false);

    // Assert
    assert!(!ok);
    assert!(stderr.contains("not a carrier answer"), "{stderr}");
    assert!(!stderr.contains("Jordan") && !stdout.contains("Jordan"), "the content is never echoed");
}
