//! The synthetic 271 generator behind the X12 benchmark and the peer comparison (`benches/support/generate_271.rs`):
//! deterministic, as large as asked, a well-formed 005010X279A1 envelope (checked here by an independent reader
//! written for this test, and by the project's own parser), and carrying every kind of answer the benchmark is
//! meant to exercise.

#[path = "../benches/support/generate_271.rs"]
mod generate_271;

use generate_271::{Generated, TRANSACTIONS_PER_GROUP, generate_271};
use insurance_verifier::carriers::x12::model::LevelCode;
use insurance_verifier::carriers::x12::{eligibility_271, parse, segments};
use proptest::prelude::*;

/// The generator's segments as element lists (id first), split by its fixed delimiters. Independent of the
/// project's tokenizer on purpose, so a bug shared by both cannot hide.
fn split(generated: &Generated) -> Vec<Vec<&str>> {
    let text = std::str::from_utf8(&generated.bytes).expect("the generator writes ASCII");
    let body = text.strip_suffix("~\n").expect("the file ends with a terminator and a newline");
    body.split("~\n").map(|segment| segment.split('*').collect()).collect()
}

/// Checks what pyx12's `X12Reader` checks, and a little more: trailer counts and control numbers, HL numbering
/// and nesting, no trailing empty element. Returns the problems found, empty when none.
fn envelope_problems(generated: &Generated) -> Vec<String> {
    let mut problems = Vec::new();
    let segments = split(generated);
    let isa13 = segments.first().and_then(|isa| isa.get(13)).copied().unwrap_or_default();
    let (mut groups, mut transactions_in_group, mut in_transaction) = (0_usize, 0_usize, 0_usize);
    let (mut gs06, mut st02) = ("", "");
    // HL01 values of the current transaction with their level code (HL03), whether each declared children
    // (HL04 1) and whether it has any.
    let mut hls: Vec<(usize, &str, bool, bool)> = Vec::new();
    for (at, segment) in segments.iter().enumerate() {
        let id = segment[0];
        if segment.len() > 1 && segment.last().is_some_and(|last| last.is_empty()) {
            problems.push(format!("segment {}: {id} ends with an empty element", at + 1));
        }
        in_transaction += 1;
        match id {
            "GS" => {
                groups += 1;
                transactions_in_group = 0;
                gs06 = segment[6];
            }
            "GE" if segment[1] != transactions_in_group.to_string() || segment[2] != gs06 => {
                problems.push(format!("GE {:?} after {transactions_in_group} transactions in {gs06}", segment));
            }
            "ST" => {
                transactions_in_group += 1;
                in_transaction = 1;
                st02 = segment[2];
                hls.clear();
                if segment.get(3) != Some(&"005010X279A1") || segment[1] != "271" {
                    problems.push(format!("ST {st02}: not a 005010X279A1 271"));
                }
            }
            "SE" => {
                if segment[1] != in_transaction.to_string() || segment[2] != st02 {
                    problems.push(format!("SE {:?}: counted {in_transaction} segments in {st02}", segment));
                }
                if let Some((number, ..)) = hls.iter().find(|(_, _, declared, has)| declared != has) {
                    problems.push(format!("ST {st02}: HL {number}: HL04 does not tell whether it has children"));
                }
            }
            "HL" => {
                let number: usize = segment[1].parse().unwrap_or_default();
                if number != hls.len() + 1 {
                    problems.push(format!("ST {st02}: HL {number} out of sequence"));
                }
                let expected_parent = match segment[3] {
                    "20" => None,
                    "21" => Some("20"),
                    "22" => Some("21"),
                    "23" => Some("22"),
                    other => {
                        problems.push(format!("ST {st02}: HL level {other}"));
                        None
                    }
                };
                let parent = segment[2].parse::<usize>().ok().and_then(|p| hls.iter_mut().find(|(n, ..)| *n == p));
                match (expected_parent, parent) {
                    (None, None) => {}
                    (Some(level), Some(parent)) if parent.1 == level => parent.3 = true,
                    _ => problems.push(format!("ST {st02}: HL {number} has the wrong parent")),
                }
                hls.push((number, segment[3], segment.get(4) == Some(&"1"), false));
            }
            _ => {}
        }
    }
    let iea = segments.last().cloned().unwrap_or_default();
    if iea.first() != Some(&"IEA") || iea.get(1) != Some(&groups.to_string().as_str()) || iea.get(2) != Some(&isa13) {
        problems.push(format!("IEA {iea:?} after {groups} groups, ISA13 {isa13}"));
    }
    problems
}

#[test]
fn the_same_size_gives_the_same_bytes_at_least_that_long() {
    // Arrange
    let target = 300 * 1024;

    // Act
    let first = generate_271(target);
    let second = generate_271(target);

    // Assert
    assert_eq!(first.bytes, second.bytes, "the peer script must read the bytes the benchmark parses");
    assert!(first.bytes.len() >= target, "{} bytes for a {target}-byte target", first.bytes.len());
    assert!(first.bytes.len() < target + 64 * 1024, "at most one transaction over: {}", first.bytes.len());
    assert!(first.summary().starts_with(&format!("{} bytes,", first.bytes.len())));
}

#[test]
fn isa_is_fixed_width_and_declares_the_delimiters_used() {
    // Arrange / Act
    let generated = generate_271(0);
    let isa = &generated.bytes[..107];

    // Assert: pyx12 reads exactly 106 bytes; node-x12 takes the delimiters at fixed offsets.
    assert!(isa.starts_with(b"ISA*"));
    assert_eq!(isa[82], b'^', "ISA11 repetition separator");
    assert_eq!(isa[83], b'*');
    assert_eq!(&isa[84..89], b"00501", "ISA12 version");
    assert_eq!(isa[104], b':', "ISA16 component separator");
    assert_eq!(&isa[105..107], b"~\n", "terminator, then a newline");
}

#[test]
fn a_multi_megabyte_file_has_a_valid_envelope_and_hierarchy() {
    // Arrange
    let generated = generate_271(5 * 1024 * 1024);

    // Act
    let problems = envelope_problems(&generated);

    // Assert
    assert!(problems.is_empty(), "{} problems, first: {:?}", problems.len(), &problems[..problems.len().min(5)]);
    assert!(generated.groups > 1, "several functional groups: {}", generated.summary());
    assert!(generated.transactions > TRANSACTIONS_PER_GROUP, "{}", generated.summary());
}

#[test]
fn the_counts_it_reports_are_those_of_the_file() {
    // Arrange
    let generated = generate_271(1024 * 1024);

    // Act
    let segments = split(&generated);
    let count = |id: &str, level: Option<&str>| {
        segments.iter().filter(|s| s[0] == id && level.is_none_or(|level| s.get(3) == Some(&level))).count()
    };

    // Assert
    assert_eq!(generated.segments, segments.len());
    assert_eq!(generated.transactions, count("ST", None));
    assert_eq!(generated.groups, count("GS", None));
    assert_eq!(generated.subscribers, count("HL", Some("22")));
    assert_eq!(generated.dependents, count("HL", Some("23")));
}

#[test]
fn values_never_contain_a_delimiter_and_repetitions_and_components_are_where_x12_allows_them() {
    // Arrange
    let generated = generate_271(1024 * 1024);

    // Act: every element of every segment but the ISA (whose ISA11 and ISA16 are the delimiters themselves).
    let misplaced: Vec<String> = split(&generated)
        .iter()
        .skip(1)
        .flat_map(|segment| segment.iter().enumerate().skip(1).map(move |(at, value)| (segment[0], at, *value)))
        .filter(|(id, at, value)| {
            let repetition_ok = *id == "EB" && *at == 3;
            let component_ok = *id == "EB" && *at == 13;
            value.contains('~')
                || value.contains('\n')
                || (value.contains('^') && !repetition_ok)
                || (value.contains(':') && !component_ok)
        })
        .map(|(id, at, _)| format!("{id}{at:02}"))
        .collect();

    // Assert
    assert!(misplaced.is_empty(), "delimiters inside values at {misplaced:?}");
}

#[test]
fn every_kind_of_answer_the_benchmark_needs_is_in_a_one_megabyte_file() {
    // Arrange
    let generated = generate_271(1024 * 1024);
    let text = String::from_utf8(generated.bytes).expect("ASCII");

    // Act
    let missing: Vec<&str> = [
        "EB*1*IND*AI^AJ^AK*",  // substance abuse, repeated service types
        "*27*",                // copay per visit
        "****.2***",           // coinsurance
        "*VS*",                // visit limit
        "*HC:H0015",           // EB13 composite procedure (intensive outpatient)
        "\nHSD*VS*",           // delivery
        "\nIII*ZZ*11",         // 2115 loop
        "\nLS*2120~\nNM1*2B*", // carve-out administrator as third-party administrator
        "\nNM1*P3*1*",         // primary care provider
        "\nPRV*PC*PXC*",
        "\nMSG*",
        "\nEB*6**30*",    // inactive
        "*30*HN*",        // Medicare Advantage
        "*30*MC*",        // Medicaid managed care
        "\nREF*NQ*",      // Medicaid recipient ID
        "\nAAA*N**72*C~", // invalid member ID
        "\nAAA*N**73*C~", // invalid name
        "\nAAA*N**75*C~", // subscriber not found
        "\nAAA*N**42*R~", // unable to respond now
        "*23*0~\n",       // a dependent
        "\nINS*Y*18*001*25~",
    ]
    .into_iter()
    .filter(|needle| !text.contains(needle))
    .collect();

    // Assert
    assert!(missing.is_empty(), "not generated: {missing:?}");
    assert_eq!(text.matches("\nLS*2120~").count(), text.matches("\nLE*2120~").count(), "LS/LE balanced");
}

#[test]
fn the_project_tokenizer_sees_every_segment_the_generator_wrote() {
    // Arrange
    let generated = generate_271(2 * 1024 * 1024);

    // Act
    let (delimiters, tokens) = segments(&generated.bytes).expect("the ISA is readable");
    let ids: Result<Vec<String>, _> = tokens.map(|segment| segment.map(|s| s.id().to_owned())).collect();

    // Assert
    let ids = ids.expect("every segment tokenizes");
    assert_eq!((delimiters.element, delimiters.repetition, delimiters.component), (b'*', Some(b'^'), b':'));
    assert_eq!(ids.len(), generated.segments);
    assert_eq!(ids.iter().filter(|id| *id == "ST").count(), generated.transactions);
}

#[test]
fn the_project_parser_reads_the_envelope_without_warnings() {
    // Arrange
    let generated = generate_271(2 * 1024 * 1024);

    // Act
    let interchange = parse(&generated.bytes).expect("the interchange parses");

    // Assert
    assert!(interchange.warnings.is_empty(), "envelope warnings: {:?}", interchange.warnings);
    assert_eq!(interchange.groups.len(), generated.groups);
    assert_eq!(interchange.transactions().count(), generated.transactions);
    assert!(interchange.transactions().all(|t| t.set_id == "271" && t.se.is_some()));
}

#[test]
fn the_project_model_places_every_segment_in_its_loop_and_finds_every_patient() {
    // Arrange
    let generated = generate_271(1024 * 1024);
    let interchange = parse(&generated.bytes).expect("the interchange parses");

    // Act
    let (mut subscribers, mut dependents, mut benefit_loops, mut related, mut unplaced) = (0, 0, 0, 0, 0);
    for transaction in interchange.transactions() {
        let answer = eligibility_271(transaction).expect("every transaction reads");
        assert!(answer.warnings.is_empty(), "ST {}: {:?}", answer.control_number, answer.warnings);
        unplaced += answer.other.len();
        for level in answer.sources.iter().flat_map(|source| std::iter::once(source).chain(source.descendants())) {
            match level.code {
                LevelCode::Subscriber => subscribers += 1,
                LevelCode::Dependent => dependents += 1,
                _ => {}
            }
            unplaced += level.other.len() + level.names.iter().map(|name| name.other.len()).sum::<usize>();
            for benefit in &level.benefits {
                benefit_loops += 1;
                related += benefit.related.len();
                unplaced += benefit.other.len();
            }
        }
    }

    // Assert: a segment the model keeps in an `other` list is one the 005010X279A1 guide has no place for there.
    assert_eq!(unplaced, 0, "segments outside the loops the guide defines");
    assert_eq!((subscribers, dependents), (generated.subscribers, generated.dependents));
    let text = String::from_utf8(generated.bytes).expect("ASCII");
    assert_eq!(benefit_loops, text.matches("\nEB*").count());
    assert_eq!(related, text.matches("\nLS*2120~").count());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_target_size_gives_a_valid_envelope_just_past_the_target(target in 0_usize..400_000) {
        let generated = generate_271(target);

        let problems = envelope_problems(&generated);

        prop_assert!(problems.is_empty(), "{:?}", &problems[..problems.len().min(5)]);
        prop_assert!(generated.bytes.len() >= target);
        prop_assert!(generated.bytes.len() < target.max(1) + 64 * 1024);
    }
}
