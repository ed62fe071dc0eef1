//! The operations guide stays complete: every setting the service reads has its environment variable in
//! `docs/OPERATIONS.md`, and the README points on-call engineers to the guide.
//!
//! The settings are found by serialising `Settings::default()`, so a setting added to `src/config.rs` without a
//! line in the guide fails here (an `Option` field serialises as `null` and is still a key).

use std::path::Path;

use insurance_verifier::config::Settings;
use serde_json::Value;

/// The file at `relative` under the crate root, as text.
fn read_crate_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// Collects the path of every leaf under `value` (anything but an object: numbers, strings, lists, null).
fn leaf_paths(value: &Value, prefix: &mut Vec<String>, leaves: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                prefix.push(key.clone());
                leaf_paths(field, prefix, leaves);
                prefix.pop();
            }
        }
        _ => leaves.push(prefix.clone()),
    }
}

/// The environment variable figment reads for a setting: `IV_`, then the path joined by `__`, upper-cased.
fn env_var_name(path: &[String]) -> String {
    format!("IV_{}", path.join("__").to_uppercase())
}

/// True when `text` contains `name` as a whole word: `IV_LISTEN_ADDR` inside `IV_METRICS__LISTEN_ADDR`, or
/// `..._OPEN_FOR` inside `..._OPEN_FOR_MAX`, does not count.
fn mentions_whole_name(text: &str, name: &str) -> bool {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + name.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char)
    })
}

/// Every setting's environment variable name, in the order `Settings` declares them.
fn every_settings_env_var() -> Vec<String> {
    let serialised = serde_json::to_value(Settings::default()).expect("Settings serialises to JSON");
    let mut leaves = Vec::new();
    leaf_paths(&serialised, &mut Vec::new(), &mut leaves);
    leaves.iter().map(|path| env_var_name(path)).collect()
}

#[test]
fn the_settings_walk_reaches_nested_and_optional_settings() {
    // Arrange / Act
    let names = every_settings_env_var();

    // Assert: a nested leaf, an Option that defaults to None, and a token list are all found.
    for expected in ["IV_DISPATCHER__CIRCUIT_BREAKER__OPEN_FOR", "IV_TELEMETRY__OTLP_ENDPOINT", "IV_AUTH__OPS_TOKENS"] {
        assert!(names.iter().any(|name| name == expected), "{expected} missing from {names:?}");
    }
    assert!(!names.iter().any(|name| name == "IV_DISPATCHER"), "sections are not settings: {names:?}");
}

#[test]
fn a_name_inside_a_longer_name_is_not_a_mention() {
    // Arrange
    let text = "IV_METRICS__LISTEN_ADDR and IV_DISPATCHER__CIRCUIT_BREAKER__OPEN_FOR_MAX, `IV_LOG__FORMAT`.";

    // Act / Assert
    assert!(!mentions_whole_name(text, "IV_LISTEN_ADDR"));
    assert!(!mentions_whole_name(text, "IV_DISPATCHER__CIRCUIT_BREAKER__OPEN_FOR"));
    assert!(mentions_whole_name(text, "IV_LOG__FORMAT"));
}

#[test]
fn every_setting_is_in_the_operations_guide() {
    // Arrange
    let guide = read_crate_file("docs/OPERATIONS.md");
    let names = every_settings_env_var();

    // Act
    let missing: Vec<&String> = names.iter().filter(|name| !mentions_whole_name(&guide, name)).collect();

    // Assert
    assert!(
        missing.is_empty(),
        "docs/OPERATIONS.md does not mention these settings' environment variables (add them to its \
         configuration reference): {missing:?}"
    );
}

#[test]
fn the_readme_links_the_operations_guide() {
    // Arrange
    let readme = read_crate_file("README.md");

    // Act
    let links_the_guide = readme.contains("docs/OPERATIONS.md");

    // Assert
    assert!(links_the_guide, "README.md should link docs/OPERATIONS.md so on-call engineers find it");
}
