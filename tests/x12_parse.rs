//! The X12 reader end to end: third-party 271/270 vectors and the synthetic Kentucky vectors in
//! `tests/data/x12/` (see its README), read by `parse` / `read_reply`, converted by `eligibility_json` and
//! judged by the same JSON normaliser and screening as an eligibility v3 answer.

use std::path::PathBuf;

use insurance_verifier::carriers::eligibility_json::interpret_response;
use insurance_verifier::carriers::json_summary::plan_facts;
use insurance_verifier::carriers::x12::{
    self, AckStatus, Acknowledgement, Delimiters, EnvelopeWarning, LevelCode, RejectionScope, X12Error, X12Reply,
    eligibility_271, eligibility_json, parse, read_reply,
};
use insurance_verifier::domain::{AaaClass, AttemptResult, AttemptResultClass, CoverageFinding, Verdict};
use insurance_verifier::screening::Screener;
use proptest::prelude::*;
use serde_json::Value;

fn synthetic(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/x12").join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A third-party vector from `../shared/testdata/third_party/`. Skipped (with a notice) only when the directory
/// is absent outside CI; under `CI=true` a missing vector fails the test.
fn third_party(relative: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/third_party").join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(error) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("third-party vector {} is required under CI=true: {error}", path.display())
        }
        Err(error) => {
            eprintln!("NOTICE: skipping, third-party vector {} not readable: {error}", path.display());
            None
        }
    }
}

/// The only 271 of an interchange as eligibility v3 JSON.
fn only_answer_json(input: &[u8]) -> Value {
    match read_reply(input).expect("readable reply") {
        X12Reply::Eligibility(answers) => {
            assert_eq!(answers.len(), 1, "one 271 expected");
            eligibility_json(&answers[0])
        }
        other => panic!("expected a 271, got {other:?}"),
    }
}

fn answered(doc: &Value) -> insurance_verifier::domain::EligibilityAnswer {
    match interpret_response(200, None, &doc.to_string()).0 {
        AttemptResult::Answered(answer) => *answer,
        AttemptResult::Failed { class, detail, .. } => panic!("expected an answer, got {class:?}: {detail}"),
    }
}

// -------------------------------------------------------------------------------------------------------------
// Third-party vectors
// -------------------------------------------------------------------------------------------------------------

#[test]
fn the_cms_medicare_271_yields_parts_a_and_b_and_is_screened_as_medicare() {
    let Some(input) = third_party("node_x12/271_medicare_cms.edi") else { return };

    // Act
    let interchange = parse(&input).expect("parses");
    let doc = only_answer_json(&input);
    let facts = plan_facts(&doc);
    let decision = Screener::embedded().screen_answer(&facts);

    // Assert: the file is cut after SE, which is reported, not fatal.
    assert_eq!(interchange.delimiters, Delimiters::STANDARD);
    assert!(interchange.warnings.iter().any(|w| matches!(w, EnvelopeWarning::MissingTrailer { trailer: "IEA", .. })));
    assert!(interchange.warnings.iter().any(|w| matches!(w, EnvelopeWarning::MissingTrailer { trailer: "GE", .. })));
    for code in ["MA", "MB", "QM"] {
        assert!(facts.insurance_type_codes.iter().any(|c| c == code), "{code} in {:?}", facts.insurance_type_codes);
    }
    let decision = decision.expect("a government plan is found");
    assert_eq!(decision.verdict, Verdict::Medicare, "{decision:?}");
    // The EB03 repetitions are all kept: 14 service types on the Part A row.
    let part_a = doc["benefitsInformation"]
        .as_array()
        .expect("present")
        .iter()
        .find(|row| row["insuranceTypeCode"] == "MA")
        .expect("Part A row");
    assert_eq!(part_a["serviceTypeCodes"].as_array().expect("present").len(), 14);
    assert_eq!(part_a["insuranceType"], "Medicare Part A");
    assert_eq!(part_a["benefitsDateInformation"]["plan"], "20150701");
    // The Part D plan's 2120 loop is kept with its contact.
    let part_d = doc["benefitsInformation"]
        .as_array()
        .expect("present")
        .iter()
        .find(|row| row["code"] == "R" && row["serviceTypeCodes"][0] == "88")
        .expect("Part D row");
    assert_eq!(part_d["benefitsRelatedEntity"]["entityName"], "SILVERSCRIPT INSURANCE COMPANY");
    assert_eq!(
        part_d["benefitsRelatedEntity"]["contactInformation"]["contacts"][0]["communicationNumber"],
        "8664430934"
    );
    assert_eq!(part_d["benefitsAdditionalInformation"]["planNetworkIdNumber"], "008");
    assert_eq!(doc["payer"]["name"], "CMS");
    assert_eq!(doc["provider"]["npi"], "1508165317");
}

#[test]
fn the_imsweb_4010_271_has_no_repetition_separator_and_keeps_its_primary_care_provider() {
    let Some(input) = third_party("imsweb_x12/x271.txt") else { return };

    let interchange = parse(&input).expect("parses");
    let transaction = interchange.transactions().next().expect("one transaction");
    let answer = eligibility_271(transaction).expect("a 271");
    let doc = eligibility_json(&answer);

    assert_eq!(interchange.delimiters, Delimiters { element: b'*', repetition: None, component: b'>', segment: b'~' });
    // The vector's SE count (22) and IEA control number differ from what it holds: warnings, not errors.
    assert!(
        interchange
            .warnings
            .iter()
            .any(|w| matches!(w, EnvelopeWarning::CountMismatch { trailer: "SE", counted: 18, .. }))
    );
    assert!(
        interchange.warnings.iter().any(|w| matches!(w, EnvelopeWarning::ControlNumberMismatch { trailer: "IEA", .. }))
    );
    let subscriber = answer.subscribers()[0];
    assert_eq!(subscriber.code, LevelCode::Subscriber);
    assert_eq!(subscriber.benefits.len(), 1);
    assert_eq!(subscriber.benefits[0].plan_coverage(), Some("GOLD 123 PLAN"));
    let pcp = &doc["benefitsInformation"][0]["benefitsRelatedEntity"];
    assert_eq!(pcp["entityIdentifier"], "Primary Care Provider");
    assert_eq!(pcp["entityName"], "JONES");
    assert_eq!(pcp["entityFirstname"], "MARCUS");
    assert_eq!(doc["subscriber"]["dateOfBirth"], "19630519");
    assert_eq!(doc["planDateInformation"]["planBegin"], "20060101");
    assert_eq!(doc["subscriberTraceNumbers"][0]["referenceIdentification"], "93175-012547");
    assert_eq!(answered(&doc).finding, CoverageFinding::Active);
}

#[test]
fn the_imsweb_270_reads_into_the_same_tree_and_is_not_a_reply() {
    let Some(input) = third_party("imsweb_x12/x270.txt") else { return };

    let interchange = parse(&input).expect("parses");
    let inquiry = eligibility_271(interchange.transactions().next().expect("present")).expect("a 270 reads too");
    let reply = read_reply(&input);

    assert_eq!(inquiry.set_id, "270");
    let subscriber = inquiry.subscribers()[0];
    assert_eq!(subscriber.inquiries.len(), 1);
    assert_eq!(subscriber.inquiries[0].eq.element(1), Some("30"));
    assert_eq!(subscriber.name().expect("present").reference("SY").map(|r| r.0), Some(Some("123456789")));
    // ST02 000121 and SE02 0000121 name the same set: no control number warning for the SE.
    assert!(
        !interchange.warnings.iter().any(|w| matches!(w, EnvelopeWarning::ControlNumberMismatch { trailer: "SE", .. }))
    );
    assert!(matches!(reply, Err(X12Error::WrongTransactionSet { .. })), "{reply:?}");
}

// -------------------------------------------------------------------------------------------------------------
// Synthetic Kentucky vectors
// -------------------------------------------------------------------------------------------------------------

#[test]
fn the_kentucky_ppo_answer_gives_the_substance_use_summary_admissions_reads() {
    let input = synthetic("ky_anthem_ppo_271.x12");

    // Act
    let interchange = parse(&input).expect("parses");
    let doc = only_answer_json(&input);
    let answer = answered(&doc);
    let summary = &answer.summary;

    // Assert: the envelope is clean.
    assert!(interchange.warnings.is_empty(), "{:?}", interchange.warnings);
    assert_eq!(answer.finding, CoverageFinding::Active);
    assert_eq!(summary.plan_name.as_deref(), Some("BLUE ACCESS PPO"));
    assert_eq!(summary.group_number.as_deref(), Some("KY0042100"));
    assert_eq!(summary.plan_begin_date.as_deref(), Some("2026-01-01"));
    assert_eq!(summary.plan_end_date.as_deref(), Some("2026-12-31"));
    assert_eq!(summary.carve_out_administrator.as_deref(), Some("Carelon Behavioral Health"));
    assert_eq!(summary.carve_out_phone.as_deref(), Some("800-555-0199"));

    let plan = summary.category("30").expect("plan level");
    assert_eq!(plan.in_network.deductible_individual.total_cents, Some(150_000));
    assert_eq!(plan.in_network.deductible_individual.remaining_cents, Some(60_000));
    assert_eq!(plan.in_network.deductible_family.total_cents, Some(300_000));
    assert_eq!(plan.in_network.deductible_family.remaining_cents, Some(210_000));
    assert_eq!(plan.in_network.out_of_pocket_individual.total_cents, Some(600_000));
    assert_eq!(plan.in_network.out_of_pocket_individual.remaining_cents, Some(435_000));
    assert_eq!(plan.in_network.out_of_pocket_family.total_cents, Some(1_200_000));
    assert_eq!(plan.in_network.out_of_pocket_family.remaining_cents, Some(980_000));
    assert_eq!(plan.out_of_network.deductible_individual.total_cents, Some(300_000));
    assert_eq!(plan.out_of_network.deductible_individual.remaining_cents, Some(300_000));
    assert_eq!(plan.out_of_network.out_of_pocket_individual.total_cents, Some(1_200_000));
    assert_eq!(plan.out_of_network.out_of_pocket_individual.remaining_cents, None, "missing means unknown");

    let substance = summary.category("AI").expect("substance abuse");
    assert_eq!(substance.active, Some(true));
    assert_eq!(substance.in_network.copay_cents, Some(3500));
    assert_eq!(substance.in_network.coinsurance_percent, Some(20.0));
    assert_eq!(substance.out_of_network.coinsurance_percent, Some(40.0));
    assert_eq!(substance.prior_authorization_required, Some(true));
    let limit = substance.visit_limits.iter().find(|l| l.quantity == Some(30.0)).expect("30 visits");
    assert_eq!(limit.unit_code.as_deref(), Some("VS"));
    assert_eq!(limit.period_code.as_deref(), Some("23"));
    assert_eq!(limit.remaining, Some(22.0));
    assert!(substance.messages.iter().any(|m| m.contains("PRIOR AUTHORIZATION")), "{:?}", substance.messages);

    let facility = summary.category("CJ").expect("substance abuse facility outpatient");
    assert_eq!(facility.active, Some(true));
    assert_eq!(facility.in_network.copay_cents, Some(5000));
    let mental = summary.category("MH").expect("mental health");
    assert_eq!((mental.in_network.copay_cents, mental.in_network.coinsurance_percent), (Some(3000), Some(20.0)));
    assert_eq!(summary.category("A6").and_then(|c| c.in_network.copay_cents), Some(2500));
    let partial = summary.category("BB").expect("partial hospitalisation");
    assert_eq!(partial.in_network.coinsurance_percent, Some(10.0));
    assert_eq!(partial.prior_authorization_required, Some(true));

    // Commercial: the screening of the answer finds nothing.
    assert_eq!(Screener::embedded().screen_answer(&answer.plan_facts), None);
}

#[test]
fn the_ppo_answer_keeps_every_loop_with_its_level_in_the_tree() {
    let input = synthetic("ky_anthem_ppo_271.x12");

    let interchange = parse(&input).expect("present");
    let answer = eligibility_271(interchange.transactions().next().expect("present")).expect("present");

    assert_eq!(answer.sources.len(), 1);
    let source = &answer.sources[0];
    assert_eq!(source.code, LevelCode::InformationSource);
    assert_eq!(source.children[0].code, LevelCode::InformationReceiver);
    let subscriber = &source.children[0].children[0];
    assert_eq!(subscriber.code, LevelCode::Subscriber);
    assert_eq!(subscriber.traces[0].reference, Some("260115001"));
    let name = subscriber.name().expect("present");
    assert_eq!(name.relationship.and_then(|ins| ins.element(2)), Some("18"));
    assert_eq!(name.date("346"), Some((Some("D8"), Some("20260101"))));
    let carve_out = subscriber.benefits.iter().find(|b| b.code() == Some("U")).expect("present");
    assert_eq!(carve_out.service_types().collect::<Vec<_>>(), ["MH", "AI"]);
    assert_eq!(carve_out.related[0].bracket, Some("2120"));
    assert_eq!(carve_out.related[0].last_or_organization_name(), Some("CARELON BEHAVIORAL HEALTH"));
    assert_eq!(carve_out.related[0].city.and_then(|n4| n4.element(2)), Some("KY"));
    let cj =
        subscriber.benefits.iter().find(|b| b.service_types().eq(["CJ"]) && b.code() == Some("B")).expect("present");
    assert_eq!(cj.delivery.len(), 1);
    assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);
}

#[test]
fn the_kentucky_medicaid_managed_care_answer_is_screened_as_medicaid() {
    let doc = only_answer_json(&synthetic("ky_medicaid_mco_271.x12"));

    let answer = answered(&doc);
    let decision = Screener::embedded().screen_answer(&answer.plan_facts).expect("government plan");

    assert_eq!(decision.verdict, Verdict::Medicaid, "{decision:?}");
    assert!(answer.plan_facts.insurance_type_codes.contains(&"MC".to_owned()));
    assert!(answer.plan_facts.reference_qualifiers.contains(&"NQ".to_owned()));
    assert_eq!(doc["planInformation"]["medicaidRecepientIdNumber"], "9900000002");
    assert_eq!(doc["planDateInformation"]["eligibilityBegin"], "20250701");
}

#[test]
fn the_medicare_advantage_answer_is_screened_as_medicare() {
    let doc = only_answer_json(&synthetic("ky_medicare_advantage_271.x12"));

    let answer = answered(&doc);
    let decision = Screener::embedded().screen_answer(&answer.plan_facts).expect("government plan");

    assert_eq!(answer.finding, CoverageFinding::Active);
    assert_eq!(decision.verdict, Verdict::Medicare, "{decision:?}");
    for code in ["HN", "MA", "MB"] {
        assert!(answer.plan_facts.insurance_type_codes.iter().any(|c| c == code), "{code}");
    }
}

#[test]
fn a_dependent_answer_takes_the_benefits_from_the_dependent_loop() {
    let input = synthetic("ky_dependent_child_271.x12");

    let doc = only_answer_json(&input);
    let answer = answered(&doc);

    assert_eq!(answer.finding, CoverageFinding::Active);
    assert_eq!(answer.summary.patient_is_dependent, Some(true));
    assert_eq!(answer.summary.dependent_relationship.as_deref(), Some("Child"));
    assert_eq!(doc["dependents"][0]["firstName"], "JESSE");
    assert_eq!(doc["dependents"][0]["dateOfBirth"], "20070915");
    assert_eq!(doc["subscriber"]["firstName"], "DONNA");
    assert_eq!(doc["dependentTraceNumbers"][0]["referenceIdentification"], "260115004D");
    // The dependent's own plan dates, and the subscriber's group number filling the gap.
    assert_eq!(answer.summary.plan_begin_date.as_deref(), Some("2026-01-01"));
    assert_eq!(answer.summary.group_number.as_deref(), Some("GRP77001"));
    let substance = answer.summary.category("AI").expect("AI row of the dependent");
    assert_eq!(substance.in_network.copay_cents, Some(4000));
    let plan = answer.summary.category("30").expect("present");
    assert_eq!(plan.in_network.deductible_family.total_cents, Some(400_000));
    assert_eq!(plan.in_network.deductible_family.remaining_cents, Some(325_050));
    assert_eq!(answer.summary.plan_name.as_deref(), Some("CHOICE PLUS POS"));
}

#[test]
fn aaa_72_at_subscriber_level_means_fix_the_member_id() {
    let input = synthetic("aaa_72_subscriber_271.x12");
    let interchange = parse(&input).expect("present");
    let tree = eligibility_271(interchange.transactions().next().expect("present")).expect("present");

    let doc = only_answer_json(&input);
    let answer = answered(&doc);

    let rejection = tree.rejections()[0];
    assert_eq!((rejection.level, rejection.scope), (LevelCode::Subscriber, RejectionScope::Name));
    assert_eq!(rejection.loop_id(), "2100C");
    assert_eq!(doc["subscriber"]["aaaErrors"][0]["code"], "72");
    assert_eq!(doc["subscriber"]["aaaErrors"][0]["location"], "Loop 2100C");
    assert_eq!(doc["subscriber"]["aaaErrors"][0]["followupAction"], "Please Correct and Resubmit");
    assert_eq!(answer.finding, CoverageFinding::MemberNotFound);
    assert_eq!(answer.error_code.as_deref(), Some("AAA:72"));
    let recorded = &answer.summary.rejections[0];
    assert_eq!(recorded.code, "72");
    assert!(matches!(recorded.class, AaaClass::FixApplicant(_)), "{:?}", recorded.class);
    assert_eq!(recorded.source.as_deref(), Some("subscriber"));
}

#[test]
fn aaa_75_means_the_subscriber_was_not_found() {
    let doc = only_answer_json(&synthetic("aaa_75_subscriber_271.x12"));

    let answer = answered(&doc);

    assert_eq!(answer.finding, CoverageFinding::MemberNotFound);
    assert_eq!(answer.error_code.as_deref(), Some("AAA:75"));
    assert_eq!(doc["errors"][0]["code"], "75", "repeated at the top level, as Stedi does");
}

#[test]
fn aaa_42_at_source_level_is_transient_and_retried() {
    let input = synthetic("aaa_42_source_271.x12");
    let interchange = parse(&input).expect("present");
    let tree = eligibility_271(interchange.transactions().next().expect("present")).expect("present");

    let doc = only_answer_json(&input);
    let (result, code) = interpret_response(200, None, &doc.to_string());

    let rejection = tree.rejections()[0];
    assert_eq!((rejection.level, rejection.scope), (LevelCode::InformationSource, RejectionScope::Level));
    assert_eq!(doc["payer"]["aaaErrors"][0]["location"], "Loop 2000A");
    assert_eq!(doc["payer"]["aaaErrors"][0]["followupAction"], "Resubmission Allowed");
    assert!(matches!(result, AttemptResult::Failed { class: AttemptResultClass::CarrierBusy, .. }), "{result:?}");
    assert_eq!(code.as_deref(), Some("AAA:42"));
}

#[test]
fn a_999_rejection_is_recognised_without_echoing_the_bad_data() {
    let input = synthetic("ack_999_rejected.x12");
    let reply = read_reply(&input).expect("readable");

    let X12Reply::Rejected(Acknowledgement::Functional(ack)) = &reply else { panic!("{reply:?}") };
    let acknowledgement = Acknowledgement::Functional(ack.clone());

    assert_eq!(ack.status, AckStatus::Rejected);
    assert_eq!(ack.group_control_number, "900001");
    let transaction = &ack.transactions[0];
    assert_eq!((transaction.set_id.as_str(), transaction.control_number.as_str()), ("270", "0001"));
    assert_eq!(transaction.status, AckStatus::Rejected);
    assert_eq!(transaction.errors[0].code, "5");
    let segment = &transaction.segment_errors[0];
    assert_eq!(segment.segment_id, "NM1");
    assert_eq!(segment.loop_id.as_deref(), Some("2100C"));
    assert_eq!(segment.elements[0].error.description, "Invalid Character in Data Element");
    assert_eq!(acknowledgement.error_code(), "999:5");
    let described = acknowledgement.describe();
    assert!(described.contains("NM1") && described.contains("2100C"), "{described}");
    assert!(!described.contains("BADID"), "IK404 is PHI: {described}");
    assert!(!format!("{ack:?}").contains("BADID"));
}

#[test]
fn a_ta1_rejection_is_recognised_with_its_note() {
    let input = synthetic("ack_ta1_rejected.x12");
    let reply = read_reply(&input).expect("readable");

    let X12Reply::Rejected(acknowledgement) = &reply else { panic!("{reply:?}") };
    let Acknowledgement::Interchange(ta1) = acknowledgement else { panic!("{acknowledgement:?}") };

    assert_eq!(ta1.control_number, "000000905");
    assert_eq!(ta1.status, AckStatus::Rejected);
    assert_eq!(ta1.note.code, "006");
    assert_eq!(ta1.note.description, "Invalid Interchange Sender ID");
    assert_eq!(acknowledgement.error_code(), "TA1:006");
    assert!(acknowledgement.describe().contains("Invalid Interchange Sender ID"));
}

#[test]
fn an_accepting_ta1_alone_is_acknowledged_not_rejected() {
    let text = String::from_utf8(synthetic("ack_ta1_rejected.x12")).expect("present").replace("*R*006~", "*A*000~");

    let reply = read_reply(text.as_bytes()).expect("readable");

    let X12Reply::Acknowledged(Acknowledgement::Interchange(ta1)) = reply else { panic!("{reply:?}") };
    assert_eq!(ta1.status, AckStatus::Accepted);
    assert_eq!(ta1.note.description, "No error");
}

#[test]
fn a_two_transaction_interchange_yields_both_answers_in_order() {
    let input = synthetic("two_transactions_271.x12");

    let interchange = parse(&input).expect("present");
    let X12Reply::Eligibility(answers) = read_reply(&input).expect("present") else { panic!("not eligibility") };
    let findings: Vec<CoverageFinding> = answers.iter().map(|a| answered(&eligibility_json(a)).finding).collect();

    assert_eq!(interchange.groups.len(), 1);
    assert_eq!(interchange.groups[0].transactions.len(), 2);
    assert!(interchange.warnings.is_empty(), "{:?}", interchange.warnings);
    assert_eq!(answers.iter().map(|a| a.control_number).collect::<Vec<_>>(), ["0010", "0011"]);
    assert_eq!(findings, [CoverageFinding::Active, CoverageFinding::Inactive]);
    let traces: Vec<Value> = answers
        .iter()
        .map(|a| eligibility_json(a)["subscriberTraceNumbers"][0]["referenceIdentification"].clone())
        .collect();
    assert_eq!(traces, ["260115010", "260115011"]);
}

#[test]
fn unusual_delimiters_with_crlf_are_read_from_the_isa() {
    let input = synthetic("unusual_delimiters_271.x12");

    let interchange = parse(&input).expect("present");
    let doc = only_answer_json(&input);
    let answer = answered(&doc);

    assert_eq!(
        interchange.delimiters,
        Delimiters { element: b'|', repetition: Some(b'^'), component: b'>', segment: b'~' }
    );
    assert!(interchange.warnings.is_empty(), "{:?}", interchange.warnings);
    let copay =
        doc["benefitsInformation"].as_array().expect("present").iter().find(|row| row["code"] == "B").expect("present");
    assert_eq!(copay["compositeMedicalProcedureIdentifier"]["procedureCode"], "H0015");
    assert_eq!(copay["compositeMedicalProcedureIdentifier"]["productOrServiceIdQualifierCode"], "HC");
    assert_eq!(doc["benefitsInformation"][0]["serviceTypeCodes"], serde_json::json!(["30", "AI", "MH"]));
    let substance = answer.summary.category("AI").expect("present");
    assert_eq!(substance.in_network.copay_cents, Some(4500));
    assert_eq!(substance.prior_authorization_required, Some(true));
    assert_eq!(answer.summary.category("MH").expect("present").in_network.coinsurance_percent, Some(25.0));
    assert_eq!(answer.summary.plan_name.as_deref(), Some("AMBETTER BALANCED CARE 11"));
}

#[test]
fn a_wrong_segment_count_is_a_warning_and_the_answer_is_still_read() {
    let text =
        String::from_utf8(synthetic("aaa_75_subscriber_271.x12")).expect("present").replace("SE*15*0006", "SE*99*0007");

    let interchange = parse(text.as_bytes()).expect("present");

    assert!(
        interchange
            .warnings
            .iter()
            .any(|w| matches!(w, EnvelopeWarning::CountMismatch { trailer: "SE", counted: 15, .. })),
        "{:?}",
        interchange.warnings
    );
    assert!(
        interchange.warnings.iter().any(|w| matches!(w, EnvelopeWarning::ControlNumberMismatch { trailer: "SE", .. }))
    );
    assert!(matches!(read_reply(text.as_bytes()), Ok(X12Reply::Eligibility(_))));
}

#[test]
fn errors_and_warnings_never_carry_element_values() {
    // A member ID in a damaged place: after the IEA, in a garbled segment, and a non-UTF-8 name.
    let base = String::from_utf8(synthetic("aaa_72_subscriber_271.x12")).expect("present");
    let after_iea = format!("{base}NM1*IL*1*HICKORY*ANN****MI*U9999999905~");
    let mut latin1 = base.clone().into_bytes();
    let at = base.find("HICKORY").expect("present");
    latin1[at + 1] = 0xC9;

    let warnings = parse(after_iea.as_bytes()).expect("present").warnings;
    let error = parse(&latin1).expect_err("an error");

    assert!(warnings.iter().any(|w| matches!(w, EnvelopeWarning::TrailingData { .. })), "{warnings:?}");
    let texts: Vec<String> = warnings.iter().map(ToString::to_string).chain([error.to_string()]).collect();
    for text in &texts {
        assert!(!text.contains("HICKORY") && !text.contains("U9999999905"), "{text}");
    }
    assert!(matches!(error, X12Error::NotUtf8 { segment: Some(ref id), .. } if id == "NM1"), "{error:?}");
}

// -------------------------------------------------------------------------------------------------------------
// Never panics
// -------------------------------------------------------------------------------------------------------------

const VECTORS: [&str; 11] = [
    "ky_anthem_ppo_271.x12",
    "ky_medicaid_mco_271.x12",
    "ky_medicare_advantage_271.x12",
    "ky_dependent_child_271.x12",
    "aaa_72_subscriber_271.x12",
    "aaa_75_subscriber_271.x12",
    "aaa_42_source_271.x12",
    "ack_999_rejected.x12",
    "ack_ta1_rejected.x12",
    "two_transactions_271.x12",
    "unusual_delimiters_271.x12",
];

/// Everything a caller may do with bytes: parse, read the reply, convert every 271.
fn exercise(input: &[u8]) {
    if let Ok(interchange) = parse(input) {
        for transaction in interchange.transactions() {
            if let Ok(answer) = eligibility_271(transaction) {
                let _ = x12::eligibility_json_all(&answer);
            }
        }
    }
    if let Ok(reply) = read_reply(input) {
        match reply {
            X12Reply::Eligibility(answers) => answers.iter().for_each(|answer| drop(eligibility_json(answer))),
            X12Reply::Rejected(ack) | X12Reply::Acknowledged(ack) => drop((ack.describe(), ack.error_code())),
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, u8),
    SwapDelimiters(u8, u8),
    Delete(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let delimiter = prop::sample::select(vec![b'*', b'^', b':', b'~', b'|', b'>', b'\n', b'\r', b'A', b'1']);
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip(at, byte)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert(at, byte)),
        (delimiter.clone(), delimiter).prop_map(|(a, b)| Mutation::SwapDelimiters(a, b)),
        any::<usize>().prop_map(Mutation::Delete),
    ]
}

fn apply(mut bytes: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    let len = bytes.len().max(1);
    match *mutation {
        Mutation::Truncate(at) => bytes.truncate(at % len),
        Mutation::Flip(at, byte) => {
            if let Some(slot) = bytes.get_mut(at % len) {
                *slot = byte;
            }
        }
        Mutation::Insert(at, byte) => bytes.insert(at % (bytes.len() + 1), byte),
        Mutation::SwapDelimiters(a, b) => {
            for byte in &mut bytes {
                if *byte == a {
                    *byte = b;
                } else if *byte == b {
                    *byte = a;
                }
            }
        }
        Mutation::Delete(at) => {
            if !bytes.is_empty() {
                bytes.remove(at % len);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_isa_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut bytes = synthetic("aaa_42_source_271.x12")[..106].to_vec();
        bytes.extend_from_slice(&tail);
        exercise(&bytes);
    }

    #[test]
    fn mutated_valid_vectors_never_panic(
        vector in prop::sample::select(VECTORS.to_vec()),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let bytes = mutations.iter().fold(synthetic(vector), apply);
        exercise(&bytes);
    }

    #[test]
    fn segments_shuffled_into_any_order_never_panic(
        vector in prop::sample::select(VECTORS.to_vec()),
        order in proptest::collection::vec(any::<prop::sample::Index>(), 1..40),
    ) {
        // Structure abuse: the segments of a valid vector in random order and repetition (HL before its
        // parent, LE without LS, SE before ST, ...), behind the original ISA.
        let text = String::from_utf8(synthetic(vector)).expect("present");
        let terminator = '~';
        let segments: Vec<&str> = text.split(terminator).map(str::trim).filter(|s| !s.is_empty()).collect();
        let mut shuffled = format!("{}{terminator}", segments[0]);
        for index in &order {
            let segment: &&str = index.get(&segments[1..]);
            shuffled.push_str(segment);
            shuffled.push(terminator);
        }
        exercise(shuffled.as_bytes());
    }
}
