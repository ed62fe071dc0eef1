//! The starter carrier directory (`data/carriers/kentucky.toml`) against the project's name tables: what
//! applicants type must find its carrier, and never a wrong one.
//!
//! * `tests/data/carriers/names.csv`: typed name, expected route id (empty: no carrier), why. Written for this
//!   directory: misspellings, noise words, abbreviations and near-misses.
//! * `tests/data/screening/plans.csv`: the screening table. Every row is taken through the service's own path
//!   (screen, then route when forwarded); every forwarded carrier text must be labelled in `names.csv`.
//!
//! Precision must be 100% (a wrong carrier sends an applicant's details to a company that has never heard of them);
//! recall (rows with an expected carrier that find it) is reported and held to a measured floor.

use std::collections::HashMap;

use insurance_verifier::carriers::Directory;
use insurance_verifier::domain::{InsuranceCard, MemberId, PayerId, PlanType, Routing, Verdict};
use insurance_verifier::screening::Screener;
use proptest::prelude::*;

const STARTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/carriers/kentucky.toml");
const NAMES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/carriers/names.csv");
const PLANS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/screening/plans.csv");
/// A member ID no screening rule refuses.
const NEUTRAL_MEMBER_ID: &str = "XJH123456789";
/// The names table must hold at least this many rows.
const MIN_NAME_ROWS: usize = 150;
/// Share of the rows with an expected carrier that must find it. Measured: 124 of 127 (97.6%) when the table was
/// written; the three misses are labelled "known miss" in the table. One more miss fails the test.
const RECALL_FLOOR: f64 = 0.97;

fn starter() -> Directory {
    Directory::load(STARTER).unwrap_or_else(|e| panic!("{STARTER}: {e}"))
}

/// One labelled row of `names.csv`.
#[derive(Debug)]
struct NameRow {
    line: u64,
    typed: String,
    expected: Option<String>,
    why: String,
}

fn name_rows() -> Vec<NameRow> {
    let mut reader = csv::Reader::from_path(NAMES).unwrap_or_else(|e| panic!("cannot open {NAMES}: {e}"));
    reader
        .records()
        .map(|record| {
            let record = record.unwrap_or_else(|e| panic!("{NAMES}: malformed row: {e}"));
            let field = |i: usize| record.get(i).unwrap_or("").trim().to_owned();
            NameRow {
                line: record.position().map_or(0, |p| p.line()),
                typed: field(0),
                expected: Some(field(1)).filter(|id| !id.is_empty()),
                why: field(2),
            }
        })
        .collect()
}

fn card(carrier_name: &str, payer_id: Option<&str>, plan_type: PlanType) -> InsuranceCard {
    card_with_member(carrier_name, NEUTRAL_MEMBER_ID, payer_id, plan_type)
}

fn card_with_member(carrier_name: &str, member_id: &str, payer_id: Option<&str>, plan_type: PlanType) -> InsuranceCard {
    InsuranceCard {
        carrier_name: carrier_name.to_owned(),
        plan_name: None,
        payer_id: payer_id.map(|id| PayerId::parse(id).unwrap_or_else(|e| panic!("payer id {id:?} {e}"))),
        member_id: MemberId::parse(member_id).unwrap_or_else(|e| panic!("member id {member_id:?} {e}")),
        group_number: None,
        plan_type,
    }
}

/// The route id a card ends at, real-time or batch-only, as the service would decide it.
fn routed_to(directory: &Directory, card: &InsuranceCard) -> Option<String> {
    match directory.routing(card) {
        Routing::Route(choice) | Routing::BatchOnly { route: choice, .. } => Some(choice.carrier),
        Routing::UnknownCarrier => None,
    }
}

#[test]
fn the_starter_directory_is_valid_and_every_carrier_resolves_by_its_names_and_payer_ids() {
    // Arrange
    let directory = starter();
    let mut problems = Vec::new();

    // Act
    for route in directory.routes() {
        for name in std::iter::once(&route.display_name).chain(&route.names).chain(&route.brands) {
            let found = routed_to(&directory, &card(name, None, PlanType::Employer));
            if found.as_deref() != Some(route.id.as_str()) {
                problems.push(format!("name {name:?} of {} resolves to {found:?}", route.id));
            }
        }
        for payer_id in &route.payer_ids {
            // The payer ID wins over whatever name was typed.
            let choice = directory.match_card(&card("Unknown Carrier Name", Some(payer_id), PlanType::Employer));
            if choice.as_ref().map(|c| (c.carrier.as_str(), c.payer_id.as_str()))
                != Some((route.id.as_str(), payer_id.as_str()))
            {
                problems.push(format!("payer ID {payer_id} of {} resolves to {choice:?}", route.id));
            }
        }
    }

    // Assert
    assert!(problems.is_empty(), "{STARTER}:\n  {}", problems.join("\n  "));
    let ids: Vec<&str> = directory.routes().iter().map(|route| route.id.as_str()).collect();
    for carrier in [
        "anthem-ky",
        "humana",
        "unitedhealthcare",
        "umr",
        "aetna",
        "cigna",
        "caresource",
        "ambetter-ky",
        "optum-bh",
        "carelon-bh",
    ] {
        assert!(ids.contains(&carrier), "the starter directory routes {carrier}");
    }
}

#[test]
fn every_name_row_finds_its_labelled_carrier_and_never_a_wrong_one() {
    // Arrange
    let directory = starter();
    let rows = name_rows();
    assert!(rows.len() >= MIN_NAME_ROWS, "{NAMES} has {} rows; at least {MIN_NAME_ROWS} expected", rows.len());
    for row in &rows {
        if let Some(expected) = &row.expected {
            assert!(directory.route(expected).is_some(), "line {}: {expected:?} is not a route id", row.line);
        }
    }

    // Act
    let mut wrong = Vec::new();
    let mut missed = Vec::new();
    let mut found = 0usize;
    for row in &rows {
        let got = routed_to(&directory, &card(&row.typed, None, PlanType::Employer));
        match (&row.expected, &got) {
            (Some(expected), Some(got)) if expected == got => found += 1,
            (None, None) => {}
            (Some(_), None) => {
                missed.push(format!("line {}: {:?} found no carrier ({})", row.line, row.typed, row.why))
            }
            (_, Some(got)) => wrong.push(format!(
                "line {}: {:?} went to {got}, expected {:?} ({})",
                row.line, row.typed, row.expected, row.why
            )),
        }
    }
    let labelled = rows.iter().filter(|row| row.expected.is_some()).count();
    let recall = found as f64 / labelled as f64;
    println!("carrier name recall: {found} of {labelled} labelled rows ({:.1}%)", recall * 100.0);
    for miss in &missed {
        println!("  missed {miss}");
    }

    // Assert
    assert!(wrong.is_empty(), "WRONG carriers (precision must be 100%):\n  {}", wrong.join("\n  "));
    assert!(
        recall >= RECALL_FLOOR,
        "recall {:.1}% is under the floor {:.0}%:\n  {}",
        recall * 100.0,
        RECALL_FLOOR * 100.0,
        missed.join("\n  ")
    );
}

#[test]
fn every_row_of_the_screening_table_is_routed_as_the_names_table_says() {
    // Arrange
    let directory = starter();
    let screener = Screener::embedded();
    let labels: HashMap<String, Option<String>> =
        name_rows().into_iter().map(|row| (row.typed, row.expected)).collect();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(PLANS)
        .unwrap_or_else(|e| panic!("cannot open {PLANS}: {e}"));
    let mut problems = Vec::new();
    let mut rows = 0usize;

    // Act: the service's path, row by row: screen; route only what the screening forwards.
    for record in reader.records() {
        let record = record.unwrap_or_else(|e| panic!("{PLANS}: malformed row: {e}"));
        rows += 1;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let (carrier_text, labelled_verdict, payer_id) = (field(0), field(3), field(6));
        // Rows without a carrier text test other signals (a member ID alone): nothing to route.
        if carrier_text.is_empty() {
            continue;
        }
        let plan_type = PlanType::parse(field(2)).unwrap_or(PlanType::Unknown);
        let label = labels.get(carrier_text);
        if labelled_verdict == "forward" && label.is_none() {
            problems.push(format!("line {line}: forwarded carrier text {carrier_text:?} is not labelled in {NAMES}"));
            continue;
        }
        let member_id = Some(field(1)).filter(|id| !id.is_empty()).unwrap_or(NEUTRAL_MEMBER_ID);
        let card = card_with_member(carrier_text, member_id, Some(payer_id).filter(|id| !id.is_empty()), plan_type);
        if screener.screen_request(&card).verdict != Verdict::Forward {
            // Refused up front: the directory is never asked (tests/screening_table.rs checks the verdicts).
            continue;
        }
        let got = routed_to(&directory, &card);
        match label {
            Some(expected) if *expected == got => {}
            Some(expected) => problems.push(format!(
                "line {line}: {carrier_text:?} (payer ID {payer_id:?}) went to {got:?}, labelled {expected:?}"
            )),
            // A row the screening forwards although the table expects a refusal: it still must not reach a carrier
            // the names table has not vouched for.
            None if got.is_none() => {}
            None => problems.push(format!(
                "line {line}: {carrier_text:?} is forwarded and routed to {got:?} but is not labelled in {NAMES}"
            )),
        }
    }

    // Assert
    assert!(rows > 0, "{PLANS} has no rows");
    assert!(problems.is_empty(), "{} problems:\n  {}", problems.len(), problems.join("\n  "));
}

/// Every name of the names table, for the properties below.
fn typed_names() -> Vec<String> {
    name_rows().into_iter().map(|row| row.typed).collect()
}

/// `name` with every letter's case flipped by `flips` and its words joined by separators picked by `joins`.
fn disguise(name: &str, flips: &[bool], joins: &[usize]) -> String {
    const SEPARATORS: [&str; 7] = [" ", "  ", "-", ".", ", ", " / ", " - "];
    let words: Vec<String> = name
        .split_whitespace()
        .map(|word| {
            word.chars()
                .enumerate()
                .map(|(i, c)| {
                    if flips.get(i % flips.len().max(1)).copied().unwrap_or(false) {
                        if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() }
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect();
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push_str(SEPARATORS[joins.get(i % joins.len().max(1)).copied().unwrap_or(0) % SEPARATORS.len()]);
        }
        out.push_str(word);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn resolving_arbitrary_text_never_panics_and_ignores_ascii_case_and_separators(text in "\\PC{0,160}") {
        let directory = starter();
        let as_typed = directory.match_name(&text).map(|route| route.id.clone());

        let shouted = directory.match_name(&text.to_ascii_uppercase()).map(|route| route.id.clone());
        let dashed = directory.match_name(&text.replace(' ', "-")).map(|route| route.id.clone());
        let _ = directory.routing(&card(&text, None, PlanType::Unknown));

        prop_assert_eq!(&as_typed, &shouted);
        prop_assert_eq!(&as_typed, &dashed);
    }

    #[test]
    fn every_table_name_resolves_the_same_in_any_case_and_with_any_punctuation_between_words(
        index in any::<prop::sample::Index>(),
        flips in prop::collection::vec(any::<bool>(), 1..8),
        joins in prop::collection::vec(0usize..7, 1..6),
    ) {
        let directory = starter();
        let names = typed_names();
        let name = index.get(&names);

        let plain = directory.match_name(name).map(|route| route.id.clone());
        let disguised = disguise(name, &flips, &joins);
        let found = directory.match_name(&disguised).map(|route| route.id.clone());

        prop_assert_eq!(plain, found, "{:?} disguised as {:?}", name, disguised);
    }
}

#[test]
fn the_compose_directory_is_the_starter_pointed_at_the_compose_simulator() {
    // Arrange
    let compose_path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/carriers.compose.toml");
    let starter_text = std::fs::read_to_string(STARTER).expect("starter readable");
    let compose_text = std::fs::read_to_string(compose_path).expect("compose directory readable");

    // Act
    let regenerated = format!(
        "# Generated from data/carriers/kentucky.toml for the compose stack: every route goes to the sandbox-carrier \
         service.\n{}",
        starter_text.replace("http://127.0.0.1:9700", "http://sandbox-carrier:9700")
    );
    let compose = Directory::load(compose_path).unwrap_or_else(|e| panic!("{compose_path}: {e}"));

    // Assert
    assert!(compose_text == regenerated, "{compose_path} is stale: regenerate it from {STARTER}");
    assert!(compose.routes().iter().all(|route| route.base_url.starts_with("http://sandbox-carrier:9700")));
    assert_eq!(compose.routes().len(), starter().routes().len());
}

#[test]
fn the_kubernetes_directories_load_and_match_names_as_the_starter_does() {
    // Arrange
    let base_path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/k8s/base/carriers.toml");
    let staging_path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/k8s/overlays/staging/carriers.toml");
    let starter = starter();

    // Act
    let base = Directory::load(base_path).unwrap_or_else(|e| panic!("{base_path}: {e}"));
    let staging = Directory::load(staging_path).unwrap_or_else(|e| panic!("{staging_path}: {e}"));

    // Assert: production routes are https, and an applicant's typed name finds the same carrier everywhere.
    assert!(base.routes().iter().all(|route| route.base_url.starts_with("https://")));
    assert_eq!(staging.routes().len(), starter.routes().len());
    for name in typed_names() {
        let expected = starter.match_name(&name).map(|route| route.id.clone());
        assert_eq!(base.match_name(&name).map(|route| route.id.clone()), expected, "{name:?} (base)");
        assert_eq!(staging.match_name(&name).map(|route| route.id.clone()), expected, "{name:?} (staging)");
    }
}
