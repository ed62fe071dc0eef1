//! Every row of `tests/data/screening/plans.csv` (what applicants type, labelled with what the service must do)
//! must be screened as labelled. All mismatches are reported at once, so a change to the name tables shows its
//! whole effect in one run.
//!
//! Columns: `carrier_text`, `member_id`, `plan_type`, `expected` (`medicaid`, `medicare`, `forward`), `why`, and
//! optionally `plan_name`, `payer_id` and `expected_rule` (rows copied from the shared table have only the first
//! five).

use std::path::Path;

use insurance_verifier::domain::{InsuranceCard, MemberId, PayerId, PlanType, Verdict};
use insurance_verifier::screening::Screener;

/// A member ID no rule refuses: used when a row leaves the member ID empty.
const NEUTRAL_MEMBER_ID: &str = "XJH123456789";
/// The project's copy of the table, extended with the project's own rows.
const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/screening/plans.csv");
/// The shared, labelled table the copy started from (beside the project, here and in CI).
const SHARED_TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata/screening/plans.csv");
/// The project's own rows must add at least this many to the shared ones.
const MIN_OWN_ROWS: usize = 60;

/// One labelled row.
#[derive(Debug)]
struct Row {
    line: u64,
    carrier_text: String,
    member_id: String,
    plan_type: String,
    expected: String,
    why: String,
    plan_name: String,
    payer_id: String,
    expected_rule: String,
}

fn read_rows(path: &str) -> Vec<Row> {
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).from_path(path).unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    reader
        .records()
        .map(|record| {
            let record = record.unwrap_or_else(|e| panic!("{path}: malformed row: {e}"));
            let field = |i: usize| record.get(i).unwrap_or("").to_owned();
            Row {
                line: record.position().map_or(0, |p| p.line()),
                carrier_text: field(0),
                member_id: field(1),
                plan_type: field(2),
                expected: field(3),
                why: field(4),
                plan_name: field(5),
                payer_id: field(6),
                expected_rule: field(7),
            }
        })
        .collect()
}

/// The card an applicant would submit for this row, or why the row itself is malformed.
fn card_of(row: &Row) -> Result<InsuranceCard, String> {
    let member_id = if row.member_id.trim().is_empty() { NEUTRAL_MEMBER_ID } else { row.member_id.as_str() };
    let payer_id = match row.payer_id.trim() {
        "" => None,
        raw => Some(PayerId::parse(raw).map_err(|e| format!("payer_id {raw:?} {e}"))?),
    };
    Ok(InsuranceCard {
        carrier_name: row.carrier_text.trim().to_owned(),
        plan_name: Some(row.plan_name.trim().to_owned()).filter(|p| !p.is_empty()),
        payer_id,
        member_id: MemberId::parse(member_id).map_err(|e| format!("member_id {member_id:?} {e}"))?,
        group_number: None,
        plan_type: PlanType::parse(&row.plan_type)
            .ok_or_else(|| format!("plan_type {:?} is unknown", row.plan_type))?,
    })
}

/// What is wrong with the screener's decision for this row, if anything.
fn check(screener: &Screener, row: &Row) -> Option<String> {
    let expected = match Verdict::parse(row.expected.trim()) {
        Some(verdict) => verdict,
        None => return Some(format!("expected {:?} is not medicaid, medicare or forward", row.expected)),
    };
    let card = match card_of(row) {
        Ok(card) => card,
        Err(why) => return Some(format!("row is malformed: {why}")),
    };
    let decision = screener.screen_request(&card);
    let mut problems = Vec::new();
    if decision.verdict != expected {
        problems.push(format!("expected {}, got {}", expected.as_str(), decision.verdict.as_str()));
    }
    let expected_rule = row.expected_rule.trim();
    if !expected_rule.is_empty() && decision.rule != expected_rule {
        problems.push(format!("expected rule {expected_rule}, got {:?}", decision.rule));
    }
    if decision.refuses() && (decision.rule.is_empty() || decision.reason.trim().is_empty()) {
        problems.push("a refusal needs a rule and a reason".to_owned());
    }
    let compact = card.member_id.compact();
    if card.member_id.as_str() != NEUTRAL_MEMBER_ID
        && (decision.reason.contains(card.member_id.as_str()) || decision.reason.contains(&compact))
    {
        problems.push("the reason contains the member ID".to_owned());
    }
    if problems.is_empty() {
        return None;
    }
    Some(format!(
        "{} (rule {:?}, reason {:?}; row says: {})",
        problems.join("; "),
        decision.rule,
        decision.reason,
        row.why
    ))
}

#[test]
fn every_row_of_the_screening_table_is_screened_as_labelled() {
    // Arrange
    let screener = Screener::embedded();
    let rows = read_rows(TABLE);
    assert!(!rows.is_empty(), "{TABLE} has no rows");

    // Act
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            check(&screener, row).map(|problem| {
                format!(
                    "  line {}: carrier {:?}, plan {:?}, member id {:?}, payer id {:?}, plan type {:?}: {problem}",
                    row.line, row.carrier_text, row.plan_name, row.member_id, row.payer_id, row.plan_type
                )
            })
        })
        .collect();

    // Assert
    assert!(
        failures.is_empty(),
        "{} of {} rows of {TABLE} are screened wrongly:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_holds_every_shared_row_and_enough_of_its_own() {
    // Arrange
    if !Path::new(SHARED_TABLE).exists() {
        // A user's clone has no shared folder beside it; CI always has, so there the check may not be skipped.
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{SHARED_TABLE} must exist when CI=true");
        eprintln!("notice: {SHARED_TABLE} is not there; only the project's copy is checked");
        return;
    }
    let key =
        |row: &Row| (row.carrier_text.clone(), row.member_id.clone(), row.plan_type.clone(), row.expected.clone());
    let shared: Vec<Row> = read_rows(SHARED_TABLE);
    let ours: Vec<Row> = read_rows(TABLE);

    // Act
    let ours_keys: Vec<_> = ours.iter().map(key).collect();
    let missing: Vec<String> = shared
        .iter()
        .filter(|row| !ours_keys.contains(&key(row)))
        .map(|row| format!("  {:?} {:?} {:?} -> {}", row.carrier_text, row.member_id, row.plan_type, row.expected))
        .collect();

    // Assert
    assert!(missing.is_empty(), "shared rows missing from (or relabelled in) {TABLE}:\n{}", missing.join("\n"));
    assert!(
        ours.len() >= shared.len() + MIN_OWN_ROWS,
        "{TABLE} has {} rows; the shared {} plus at least {MIN_OWN_ROWS} of our own are expected",
        ours.len(),
        shared.len()
    );
}

#[test]
fn every_verdict_and_every_request_rule_is_covered_by_some_row() {
    // Arrange
    let rows = read_rows(TABLE);
    let rules: Vec<&str> = rows.iter().map(|row| row.expected_rule.trim()).collect();

    // Act / Assert
    for rule in [
        "plan_type",
        "payer_id",
        "member_id_mbi",
        "member_id_hicn",
        "name:medicaid",
        "name:medicaid_program",
        "name:medicaid_mco",
        "name:medicare",
        "name:medicare_advantage",
        "name:medicare_dual",
        "name:medigap",
        "name:medicare_part_d",
    ] {
        assert!(rules.contains(&rule), "no row of {TABLE} names rule {rule} in expected_rule");
    }
    for verdict in ["medicaid", "medicare", "forward"] {
        assert!(rows.iter().any(|row| row.expected == verdict), "no row expects {verdict}");
    }
}
