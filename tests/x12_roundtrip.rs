//! Round trips through the X12 builders and readers:
//! (a) arbitrary eligibility queries -> `build_270` -> `read_270` give back what was asked, after the documented
//!     cleaning of names and identifiers, whatever the delimiters;
//! (b) arbitrary benefit rows in an eligibility JSON v3 answer -> `build_271_from_json` -> `parse` ->
//!     `eligibility_json` summarise to the same benefit summary as the answer itself;
//! (c) a real third-party 270 (`../shared/testdata/third_party/imsweb_x12/x270.txt`) reads with `read_270`.

use std::path::Path;

use insurance_verifier::carriers::eligibility_json::interpret_response;
use insurance_verifier::carriers::json_summary::summarise;
use insurance_verifier::carriers::x12::build::{Envelope, Usage, build_270, build_271_from_json};
use insurance_verifier::carriers::x12::inquiry::{Inquiry270, read_270};
use insurance_verifier::carriers::x12::{Delimiters, codes, eligibility_271, eligibility_json, parse};
use insurance_verifier::carriers::{EligibilityQuery, Provider};
use insurance_verifier::domain::test_support::sample_request;
use insurance_verifier::domain::{
    AttemptResult, BenefitSummary, ControlNumbers, MemberId, Person, Relationship, VerificationRequest,
};
use insurance_verifier::sandbox::scenarios::{PersonEcho, SandboxRequest, Templates};
use proptest::prelude::*;
use serde_json::Value;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

/// Reads a third-party vector. `None` (with a notice) when absent outside CI; with `CI=true` it must be there.
fn third_party(relative: &str) -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/third_party").join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(error) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but third-party vector {} is missing: {error}", path.display())
        }
        Err(_) => {
            eprintln!("SKIPPED: third-party vector {} not present (set CI=true to require it)", path.display());
            None
        }
    }
}

/// The test's own statement of the documented name cleaning (not the builder's code): upper case, the few
/// accented letters the strategies use without accents, delimiters to spaces, spaces collapsed and trimmed.
fn expected_name(raw: &str, delimiters: &Delimiters) -> String {
    let upper: String = raw
        .chars()
        .map(|c| match c {
            'é' | 'É' => 'E',
            'ü' | 'Ü' => 'U',
            'ñ' | 'Ñ' => 'N',
            '’' => '\'',
            other => other.to_ascii_uppercase(),
        })
        .map(|c| if is_delimiter(c, delimiters) { ' ' } else { c })
        .collect();
    upper.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The documented member ID form: upper case, whitespace and delimiter characters removed.
fn expected_member_id(raw: &str, delimiters: &Delimiters) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && !is_delimiter(*c, delimiters))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn is_delimiter(c: char, d: &Delimiters) -> bool {
    let mut all = vec![d.element, d.component, d.segment];
    all.extend(d.repetition);
    c.is_ascii() && all.contains(&(c as u8))
}

// ---------------------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------------------

/// Characters X12 senders use as delimiters (and `'`, `&`, `(`, `)`, which occur in names), never a space, `.`
/// or `-` (which the builders refuse: amounts and date ranges need them).
const DELIMITER_POOL: &[u8] = b"*|~^:>!+{}`\\#$&();<=?@[]_%'";

/// A valid delimiter set: four (or three, without repetition) distinct characters from the pool; the segment
/// terminator may also be a line feed.
fn delimiters() -> impl Strategy<Value = Delimiters> {
    (proptest::sample::subsequence(DELIMITER_POOL.to_vec(), 4).prop_shuffle(), any::<bool>(), any::<bool>()).prop_map(
        |(chosen, with_repetition, newline_terminator)| Delimiters {
            element: chosen[0],
            component: chosen[1],
            segment: if newline_terminator { b'\n' } else { chosen[2] },
            repetition: with_repetition.then_some(chosen[3]),
        },
    )
}

/// A name part: starts with a letter, then letters (some accented), hyphens, apostrophes, periods, spaces and
/// delimiter characters a careless form could let through.
fn name_part() -> impl Strategy<Value = String> {
    "[A-Za-zéüñ][A-Za-zéüñ’' .*~:^|>!-]{0,24}"
}

fn date_of_birth() -> impl Strategy<Value = Date> {
    (1910i32..2025, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| {
        Date::from_calendar_date(y, Month::try_from(m).unwrap_or(Month::January), d).unwrap_or(Date::MIN)
    })
}

fn person() -> impl Strategy<Value = Person> {
    (name_part(), name_part(), proptest::option::of(name_part()), date_of_birth()).prop_map(
        |(first_name, last_name, middle_name, date_of_birth)| Person {
            first_name,
            last_name,
            middle_name,
            date_of_birth,
        },
    )
}

fn service_types() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(vec!["30", "AI", "AJ", "AK", "CJ", "MH", "CF", "CH", "A8", "BB", "A6", "98"])
                .prop_map(str::to_owned),
            "[A-Z0-9]{1,2}",
        ],
        0..6,
    )
}

fn control_numbers() -> impl Strategy<Value = ControlNumbers> {
    ("[0-9]{9}", "[1-9][0-9]{0,8}", "[0-9]{4,9}", "[A-Za-z0-9]{1,30}").prop_map(|(i, g, t, trace)| ControlNumbers {
        interchange: Some(i),
        group: Some(g),
        transaction: Some(t),
        trace: Some(trace),
        other_requests: Vec::new(),
    })
}

fn moment() -> impl Strategy<Value = OffsetDateTime> {
    (2000i32..2099, 1u8..=12, 1u8..=28, 0u8..24, 0u8..60, 0u8..60).prop_map(|(y, mo, d, h, mi, s)| {
        let date = Date::from_calendar_date(y, Month::try_from(mo).unwrap_or(Month::January), d).unwrap_or(Date::MIN);
        let time = Time::from_hms(h, mi, s).unwrap_or(Time::MIDNIGHT);
        PrimitiveDateTime::new(date, time).assume_utc()
    })
}

#[derive(Debug, Clone)]
struct Case {
    applicant: Person,
    holder: Option<(Person, Relationship)>,
    member_id: String,
    group_number: Option<String>,
    payer_id: String,
    npi: String,
    clinic: String,
    service_types: Vec<String>,
    delimiters: Delimiters,
    newline: bool,
    control: ControlNumbers,
    now: OffsetDateTime,
}

fn case() -> impl Strategy<Value = Case> {
    let relationship = proptest::sample::select(vec![Relationship::Spouse, Relationship::Child, Relationship::Other]);
    (
        (person(), proptest::option::of((person(), relationship))),
        ("[A-Za-z0-9][A-Za-z0-9 -]{1,30}", proptest::option::of("[A-Z0-9][A-Z0-9-]{0,12}")),
        ("[A-Z0-9]{2,10}", "[0-9]{10}", "[A-Za-z][A-Za-z &'.-]{0,30}"),
        service_types(),
        (delimiters(), any::<bool>(), control_numbers(), moment()),
    )
        .prop_map(
            |((applicant, holder), (member_id, group_number), (payer_id, npi, clinic), service_types, rest)| {
                let (delimiters, newline, control, now) = rest;
                Case {
                    applicant,
                    holder,
                    member_id,
                    group_number,
                    payer_id,
                    npi,
                    clinic,
                    service_types,
                    delimiters,
                    newline,
                    control,
                    now,
                }
            },
        )
}

fn request_of(case: &Case) -> VerificationRequest {
    let mut request = sample_request();
    request.applicant = case.applicant.clone();
    match &case.holder {
        Some((holder, relationship)) => {
            request.relationship = *relationship;
            request.subscriber = Some(holder.clone());
        }
        None => {
            request.relationship = Relationship::SelfInsured;
            request.subscriber = None;
        }
    }
    request.card.member_id = MemberId::parse(&case.member_id).unwrap_or_else(|_| request.card.member_id.clone());
    request.card.group_number = case.group_number.clone();
    request
}

// ---------------------------------------------------------------------------------------------------------
// (a) 270 round trip
// ---------------------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_built_270_reads_back_as_the_same_inquiry(case in case()) {
        let request = request_of(&case);
        let provider = Provider { npi: case.npi.clone(), organization_name: case.clinic.clone() };
        let types: Vec<&str> = case.service_types.iter().map(String::as_str).collect();
        let query = EligibilityQuery {
            verification_id: Uuid::nil(),
            attempt_number: 1,
            request: &request,
            payer_id: &case.payer_id,
            payer_name: "Bluegrass Health Plan",
            provider: &provider,
            service_types: &types,
        };
        let envelope = Envelope {
            delimiters: case.delimiters,
            newline_after_segment: case.newline,
            usage: Usage::Test,
            ..Envelope::new("BLUEGRASSIOP", "KYPAYER")
        };

        let text = build_270(&query, &envelope, &case.control, case.now);
        let inquiry = read_270(text.as_bytes());

        let inquiry = match inquiry {
            Ok(inquiry) => inquiry,
            Err(error) => return Err(TestCaseError::fail(format!("{error}"))),
        };
        let d = &case.delimiters;
        prop_assert_eq!(inquiry.envelope.delimiters, *d);
        prop_assert_eq!(inquiry.envelope.usage, Usage::Test);
        prop_assert_eq!(&inquiry.envelope.sender_id, "BLUEGRASSIOP");
        prop_assert_eq!(&inquiry.payer_id, &case.payer_id);
        prop_assert_eq!(inquiry.provider_npi(), Some(case.npi.as_str()));
        prop_assert_eq!(inquiry.provider_name.clone().unwrap_or_default(), expected_name(&case.clinic, d));
        prop_assert_eq!(&inquiry.control, &case.control);
        let trace = inquiry.trace.clone().expect("the patient's TRN");
        prop_assert_eq!(trace.originator, Some(format!("9{}", &case.npi[..9])));
        prop_assert_eq!(inquiry.created_at.date(), case.now.date());
        prop_assert_eq!((inquiry.created_at.hour(), inquiry.created_at.minute()), (case.now.hour(), case.now.minute()));

        let holder = request.policy_holder();
        let subscriber = &inquiry.subscriber;
        prop_assert_eq!(subscriber.member_id.clone(), Some(expected_member_id(request.card.member_id.as_str(), d)));
        prop_assert_eq!(&subscriber.last_name, &expected_name(&holder.last_name, d));
        prop_assert_eq!(subscriber.first_name.clone().unwrap_or_default(), expected_name(&holder.first_name, d));
        prop_assert_eq!(
            subscriber.middle_name.clone().unwrap_or_default(),
            holder.middle_name.as_deref().map(|m| expected_name(m, d)).unwrap_or_default()
        );
        prop_assert_eq!(subscriber.date_of_birth, Some(holder.date_of_birth));
        let group = case.group_number.as_deref().map(|g| g.chars().map(|c| if is_delimiter(c, d) { ' ' } else { c }).collect::<String>().trim().to_owned()).filter(|g| !g.is_empty());
        prop_assert_eq!(&subscriber.group_number, &group);

        match &case.holder {
            Some((_, relationship)) => {
                let dependent = inquiry.dependent.clone().expect("a dependent loop");
                prop_assert_eq!(&dependent.last_name, &expected_name(&case.applicant.last_name, d));
                prop_assert_eq!(dependent.first_name.unwrap_or_default(), expected_name(&case.applicant.first_name, d));
                prop_assert_eq!(dependent.date_of_birth, Some(case.applicant.date_of_birth));
                let code = match relationship { Relationship::Spouse => "01", Relationship::Child => "19", _ => "34" };
                prop_assert_eq!(dependent.relationship_code.as_deref(), Some(code));
            }
            None => prop_assert!(inquiry.dependent.is_none()),
        }
        let asked: Vec<String> = case.service_types.iter().map(|c| expected_member_id(c, d)).filter(|c| !c.is_empty()).collect();
        let asked = if asked.is_empty() { vec!["30".to_owned()] } else { asked };
        prop_assert_eq!(&inquiry.service_types, &asked);
    }
}

// ---------------------------------------------------------------------------------------------------------
// (c) a real third-party 270
// ---------------------------------------------------------------------------------------------------------

#[test]
fn the_third_party_imsweb_270_reads_with_its_payer_receiver_subscriber_and_trace() {
    let Some(bytes) = third_party("imsweb_x12/x270.txt") else { return };

    let inquiry = read_270(&bytes).expect("the imsweb 270 reads");

    assert_eq!(inquiry.payer_id, "356000158");
    assert_eq!(inquiry.payer_id_qualifier, "FI");
    assert_eq!(inquiry.payer_name.as_deref(), Some("CHILDRENS SPECIAL HEALTHCARE"));
    assert_eq!((inquiry.provider_id_qualifier.as_str(), inquiry.provider_id.as_str()), ("SV", "123456"));
    assert_eq!(inquiry.provider_npi(), None, "an SV identifier is not an NPI");
    assert_eq!(inquiry.provider_name, None);
    assert_eq!(inquiry.subscriber.last_name, "DOE");
    assert_eq!(inquiry.subscriber.first_name.as_deref(), Some("JANE"));
    assert_eq!(inquiry.subscriber.member_id.as_deref(), Some("123456"));
    assert_eq!(inquiry.subscriber.date_of_birth, Date::from_calendar_date(1985, Month::October, 31).ok());
    assert!(inquiry.dependent.is_none());
    assert_eq!(inquiry.service_types, ["30"]);
    assert_eq!(
        inquiry.control,
        ControlNumbers {
            interchange: Some("000003438".into()),
            group: Some("14420".into()),
            transaction: Some("000121".into()),
            trace: Some("1234667890".into()),
            other_requests: Vec::new(),
        }
    );
    assert_eq!(inquiry.trace.as_ref().and_then(|t| t.originator.as_deref()), Some("9876543210"));
    assert_eq!(
        inquiry.created_at,
        PrimitiveDateTime::new(
            Date::from_calendar_date(2002, Month::October, 10).expect("date"),
            Time::from_hms(8, 0, 0).expect("time")
        )
    );
    assert_eq!(inquiry.envelope.delimiters.repetition, None, "a 004010 envelope has no repetition separator");
    assert_eq!(inquiry.envelope.usage, Usage::Production);
}

// ---------------------------------------------------------------------------------------------------------
// (b) JSON -> 271 -> JSON: the simulator's scenarios and the synthetic samples
// ---------------------------------------------------------------------------------------------------------

/// The inquiry a 271 answers: the sample request (self-insured, or with a dependent patient), built and read.
fn sample_inquiry(dependent: bool) -> Inquiry270 {
    let mut request = sample_request();
    if dependent {
        request.relationship = Relationship::Child;
        request.subscriber = Some(Person {
            first_name: "Pat".into(),
            last_name: "Sample".into(),
            middle_name: None,
            date_of_birth: Date::from_calendar_date(1961, Month::July, 4).expect("date"),
        });
    }
    let provider = Provider { npi: "1234567893".into(), organization_name: "Bluegrass Recovery IOP".into() };
    let query = EligibilityQuery {
        verification_id: Uuid::nil(),
        attempt_number: 1,
        request: &request,
        payer_id: "00660",
        payer_name: "Bluegrass Health Plan",
        provider: &provider,
        service_types: &["30", "AI", "MH"],
    };
    let control = ControlNumbers::generate();
    let moment = PrimitiveDateTime::new(
        Date::from_calendar_date(2026, Month::March, 2).expect("date"),
        Time::from_hms(9, 5, 0).expect("time"),
    )
    .assume_utc();
    let text = build_270(&query, &Envelope::new("BLUEGRASSIOP", "KYPAYER"), &control, moment);
    read_270(text.as_bytes()).expect("the built 270 reads")
}

/// JSON -> 271 -> parse -> JSON, with the 271 text.
fn through_271(doc: &Value, inquiry: &Inquiry270, envelope: &Envelope) -> (String, Value) {
    let text = build_271_from_json(doc, inquiry, envelope, &ControlNumbers::generate());
    let interchange = parse(text.as_bytes()).expect("the 271 tokenizes");
    assert!(interchange.warnings.is_empty(), "envelope warnings: {:?}", interchange.warnings);
    let transaction = interchange.transactions().next().expect("one transaction");
    let tree = eligibility_271(transaction).expect("a 271");
    assert!(tree.warnings.is_empty(), "structure warnings: {:?}", tree.warnings);
    let json = eligibility_json(&tree);
    (text, json)
}

/// The answer as X12 can carry it (the builders' documented cleaning, restated here): every delimiter
/// character in a string value becomes a space.
fn cleaned(value: &Value, delimiters: &Delimiters) -> Value {
    match value {
        Value::String(text) => {
            Value::String(text.chars().map(|c| if is_delimiter(c, delimiters) { ' ' } else { c }).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(|item| cleaned(item, delimiters)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(key, item)| (key.clone(), cleaned(item, delimiters))).collect())
        }
        other => other.clone(),
    }
}

/// The answer as the reader describes it: X12 carries codes, not their descriptions, so every known code gets
/// the code list's description (`quantityQualifierCode` `VS` gains `quantityQualifier` `Visits`, service type
/// labels are the list's), and a description sent without its code gets the code.
fn described(doc: &Value) -> Value {
    type Table = fn(&str) -> Option<&'static str>;
    const PAIRS: [(&str, &str, Table); 6] = [
        ("code", "name", codes::eligibility_code),
        ("coverageLevelCode", "coverageLevel", codes::coverage_level),
        ("insuranceTypeCode", "insuranceType", codes::insurance_type),
        ("timeQualifierCode", "timeQualifier", codes::time_period),
        ("quantityQualifierCode", "quantityQualifier", codes::quantity_qualifier),
        ("inPlanNetworkIndicatorCode", "inPlanNetworkIndicator", codes::yes_no),
    ];
    const DELIVERY: [(&str, &str, Table); 2] = [
        ("quantityQualifierCode", "quantityQualifier", codes::quantity_qualifier),
        ("timePeriodQualifierCode", "timePeriodQualifier", codes::time_period),
    ];
    /// Fills the missing half of each (code, description) pair from the code list.
    fn complete(object: &mut serde_json::Map<String, Value>, pairs: &[(&str, &str, Table)]) {
        for (code_key, name_key, table) in pairs {
            let code = object.get(*code_key).and_then(Value::as_str).map(str::to_owned);
            let name = object.get(*name_key).and_then(Value::as_str).map(str::to_owned);
            match (code, name) {
                (Some(code), _) => {
                    if let Some(description) = table(&code) {
                        object.insert((*name_key).to_owned(), Value::String(description.to_owned()));
                    }
                }
                (None, Some(name)) => {
                    if let Some(code) = code_of(*table, &name) {
                        object.insert((*code_key).to_owned(), Value::String(code));
                    }
                }
                _ => {}
            }
        }
    }
    let mut doc = doc.clone();
    if let Some(Value::Array(rows)) = doc.get_mut("benefitsInformation") {
        for row in rows.iter_mut().filter_map(Value::as_object_mut) {
            complete(row, &PAIRS);
            let labels: Option<Vec<Value>> = row.get("serviceTypeCodes").and_then(Value::as_array).map(|codes| {
                codes
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|code| Value::String(codes::service_type(code).unwrap_or(code).to_owned()))
                    .collect()
            });
            if let Some(labels) = labels {
                row.insert("serviceTypes".to_owned(), Value::Array(labels));
            }
            if let Some(Value::Array(deliveries)) = row.get_mut("benefitsServiceDelivery") {
                for delivery in deliveries.iter_mut().filter_map(Value::as_object_mut) {
                    complete(delivery, &DELIVERY);
                }
            }
        }
    }
    doc
}

/// The code a code list describes as `name` (case ignored), searching every code of one to three characters.
fn code_of(table: fn(&str) -> Option<&'static str>, name: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let one = ALPHABET.iter().map(|a| char::from(*a).to_string());
    let two =
        ALPHABET.iter().flat_map(|a| ALPHABET.iter().map(move |b| format!("{}{}", char::from(*a), char::from(*b))));
    let three = ALPHABET.iter().flat_map(|a| {
        ALPHABET.iter().flat_map(move |b| {
            ALPHABET.iter().map(move |c| format!("{}{}{}", char::from(*a), char::from(*b), char::from(*c)))
        })
    });
    one.chain(two).chain(three).find(|code| table(code).is_some_and(|d| d.eq_ignore_ascii_case(name)))
}

/// What must survive the trip: the summary of the cleaned answer, where the 271 could carry it. Two things it
/// cannot: plan statuses (below), and a missing payer: 2100A NM103 is required, so an answer without a payer
/// comes back with the inquiry's payer name.
fn expected_after_trip(doc: &Value, delimiters: &Delimiters, back: &BenefitSummary) -> BenefitSummary {
    let mut expected = without_statuses(summarise(&described(&cleaned(doc, delimiters))));
    if doc.get("payer").is_none() {
        expected.payer_name.clone_from(&back.payer_name);
    }
    // An AAA about the member sits in the member's name loop, which names the member: an answer that carried
    // the AAA alone comes back about the subscriber (the inquiry's).
    if doc.get("subscriber").is_none() && doc.get("dependents").is_none() && back.patient_is_dependent == Some(false) {
        expected.patient_is_dependent = Some(false);
    }
    // A dependent the answer gives no relationship code gets the inquiry's INS02 (here: child).
    let unrelated = |d: &Value| d.get("relationToSubscriberCode").is_none();
    if items(doc, "dependents").first().is_some_and(unrelated)
        && back.dependent_relationship.as_deref() == Some("Child")
    {
        expected.dependent_relationship = Some("Child".to_owned());
    }
    expected
}

/// What a verdict says, without the summary (compared field by field elsewhere): the finding, error code and
/// hint of an answer, or the class and detail of a failure.
fn verdict(result: &AttemptResult) -> String {
    match result {
        AttemptResult::Answered(answer) => {
            format!("answered {:?} {:?} {:?}", answer.finding, answer.error_code, answer.hint)
        }
        AttemptResult::Failed { class, detail, .. } => format!("failed {class:?} {detail}"),
    }
}

/// A summary with the plan statuses left out: a 271 has no plan-status segment, so the reader derives them
/// from the status rows, one per row; an answer whose `planStatus` groups rows differently cannot keep its
/// grouping through X12. Everything else must survive.
fn without_statuses(mut summary: BenefitSummary) -> BenefitSummary {
    summary.plan_statuses.clear();
    summary
}

#[test]
fn every_sandbox_scenario_survives_the_trip_through_a_271() {
    let templates = Templates::new(2026);
    let request = SandboxRequest {
        control_number: Some("000000042".into()),
        trading_partner_service_id: Some("SANDBOX".into()),
        provider: None,
        subscriber: Some(PersonEcho {
            member_id: Some("ACT100001".into()),
            first_name: Some("JORDAN".into()),
            last_name: Some("SAMPLE".into()),
            date_of_birth: Some("19880412".into()),
            ..PersonEcho::default()
        }),
        dependents: Vec::new(),
    };
    let scenarios = [
        ("active_ppo", &templates.active_ppo),
        ("inactive", &templates.inactive),
        ("subscriber_not_found", &templates.subscriber_not_found),
        ("name_mismatch", &templates.name_mismatch),
        ("birth_date_mismatch", &templates.birth_date_mismatch),
        ("medicare_advantage", &templates.medicare_advantage),
        ("busy", &templates.busy),
    ];
    let inquiry = sample_inquiry(false);
    for (name, template) in scenarios {
        let doc: Value = serde_json::from_str(&template.render(&request)).expect("JSON");

        let (text, back) = through_271(&doc, &inquiry, &inquiry.envelope.reply());

        let after = without_statuses(summarise(&back));
        let before = expected_after_trip(&doc, &Delimiters::STANDARD, &after);
        assert!(after == before, "{name}: {}\n{text}", differences(&after, &before));
        assert_eq!(
            verdict(&interpret_response(template.status, None, &back.to_string()).0),
            verdict(&interpret_response(template.status, None, &doc.to_string()).0),
            "{name}: the same verdict"
        );
    }
}

#[test]
fn every_synthetic_carrier_sample_survives_the_trip_through_a_271() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/carriers");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/carriers")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "{files:?}");
    for path in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        let inquiry = sample_inquiry(!items(&doc, "dependents").is_empty());

        let (text, back) = through_271(&doc, &inquiry, &inquiry.envelope.reply());

        let after = without_statuses(summarise(&back));
        let before = expected_after_trip(&doc, &Delimiters::STANDARD, &after);
        assert!(after == before, "{}: {}\n{text}", path.display(), differences(&after, &before));
    }
}

/// Where two summaries differ, as JSON paths with both values (for failure messages).
fn differences(left: &BenefitSummary, right: &BenefitSummary) -> String {
    fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                    let (va, vb) = (x.get(key).unwrap_or(&Value::Null), y.get(key).unwrap_or(&Value::Null));
                    walk(&format!("{path}.{key}"), va, vb, out);
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                    walk(&format!("{path}[{i}]"), va, vb, out);
                }
            }
            _ if a != b => out.push(format!("{path}: {a} != {b}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let (a, b) = (serde_json::to_value(left).unwrap_or_default(), serde_json::to_value(right).unwrap_or_default());
    walk("", &a, &b, &mut out);
    out.join("\n")
}

fn items<'v>(doc: &'v Value, key: &str) -> &'v [Value] {
    doc.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

#[test]
fn the_third_party_change_healthcare_answers_survive_the_trip_through_a_271() {
    for name in ["000041.response.json", "000045.response.json", "000047.response.json", "000050.response.json"] {
        let Some(bytes) = third_party(&format!("change_health_json/{name}")) else { return };
        let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
        let inquiry = sample_inquiry(!items(&doc, "dependents").is_empty());

        let (text, back) = through_271(&doc, &inquiry, &inquiry.envelope.reply());

        let after = without_statuses(summarise(&back));
        let before = expected_after_trip(&doc, &Delimiters::STANDARD, &after);
        assert!(after == before, "{name}: {}\n{text}", differences(&after, &before));
    }
}

// ---------------------------------------------------------------------------------------------------------
// (b) arbitrary benefit rows
// ---------------------------------------------------------------------------------------------------------

/// Free text as payers write it in plan names and messages, delimiter characters included.
fn free_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 ,.'()/&$%:*~^|!-]{0,40}"
}

fn one_of(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(values).prop_map(str::to_owned)
}

const SERVICE_TYPES: &[&str] = &["30", "AI", "AJ", "AK", "CJ", "MH", "CF", "CH", "A8", "BB", "A6", "98", "UC", "88"];
const ROLES: &[&str] = &[
    "Third-Party Administrator",
    "Primary Care Provider",
    "Payer",
    "Primary Payer",
    "Secondary Payer",
    "Utilization Management Organization",
    "Managed Care Organization",
];

/// A related entity (2120): a role, an organisation or a person, maybe a telephone number.
fn related_entity() -> impl Strategy<Value = Value> {
    (one_of(ROLES), free_text(), proptest::option::of("[A-Z][a-z]{1,10}"), proptest::option::of("[0-9]{10}")).prop_map(
        |(role, name, first, phone)| {
            let mut entity = serde_json::json!({
                "entityIdentifier": role,
                "entityType": if first.is_some() { "Person" } else { "Non-Person Entity" },
                "entityName": name,
            });
            if let Some(first) = first {
                entity["entityFirstname"] = Value::String(first);
            }
            if let Some(phone) = phone {
                entity["contactInformation"] =
                    serde_json::json!({ "contacts": [{ "communicationMode": "Telephone", "communicationNumber": phone }] });
            }
            entity
        },
    )
}

/// One benefit row with its codes described as the reader describes them.
fn benefit_row() -> impl Strategy<Value = Value> {
    let code = one_of(&["1", "6", "A", "B", "C", "G", "F", "I", "P", "R", "D", "L"]);
    let service_types = proptest::collection::btree_set(one_of(SERVICE_TYPES), 0..4);
    let figures = (
        proptest::option::of("[0-9]{1,5}(\\.[0-9]{1,2})?"),
        proptest::option::of(prop_oneof!["0\\.[0-9]{1,2}", "\\.[0-9]{1,2}", Just("1".to_owned())]),
        proptest::option::of((one_of(&["VS", "DY", "HS", "P6"]), "[1-9][0-9]{0,2}")),
        proptest::option::of((one_of(&["VS", "DY"]), "[1-9][0-9]{0,2}", one_of(&["21", "22", "23", "29", "34"]))),
    );
    let qualifiers = (
        proptest::option::of(one_of(&["IND", "FAM", "EMP", "ESP", "CHD"])),
        proptest::option::of(one_of(&["PR", "HM", "PS", "C1", "EP", "MC", "MA", "HN"])),
        proptest::option::of(one_of(&["23", "29", "24", "27", "22", "32", "33"])),
        proptest::option::of(one_of(&["Y", "N", "U"])),
        proptest::option::of(one_of(&["Y", "N", "W"])),
    );
    let texts = (
        proptest::option::of(free_text()),
        proptest::collection::vec(free_text(), 0..3),
        proptest::option::of(related_entity()),
        proptest::option::of(one_of(&["20260101-20261231", "20260101", "20250101-20251231"])),
    );
    (code, service_types, figures, qualifiers, texts).prop_map(
        |(code, types, (amount, percent, quantity, delivery), (level, insurance, time, auth, network), texts)| {
            let (plan, messages, entity, dates) = texts;
            let mut row = serde_json::Map::new();
            let mut put = |key: &str, value: Option<String>| {
                if let Some(value) = value {
                    row.insert(key.to_owned(), Value::String(value));
                }
            };
            put("name", codes::eligibility_code(&code).map(str::to_owned));
            put("code", Some(code));
            put("coverageLevel", level.as_deref().and_then(codes::coverage_level).map(str::to_owned));
            put("coverageLevelCode", level);
            put("insuranceType", insurance.as_deref().and_then(codes::insurance_type).map(str::to_owned));
            put("insuranceTypeCode", insurance);
            put("planCoverage", plan);
            put("timeQualifier", time.as_deref().and_then(codes::time_period).map(str::to_owned));
            put("timeQualifierCode", time);
            put("benefitAmount", amount);
            put("benefitPercent", percent);
            if let Some((qualifier, quantity)) = quantity {
                put("quantityQualifier", codes::quantity_qualifier(&qualifier).map(str::to_owned));
                put("quantityQualifierCode", Some(qualifier));
                put("benefitQuantity", Some(quantity));
            }
            put("authOrCertIndicator", auth);
            put("inPlanNetworkIndicator", network.as_deref().and_then(codes::yes_no).map(str::to_owned));
            put("inPlanNetworkIndicatorCode", network);
            if !types.is_empty() {
                let labels: Vec<Value> =
                    types.iter().map(|t| Value::String(codes::service_type(t).unwrap_or(t).to_owned())).collect();
                row.insert("serviceTypeCodes".into(), Value::Array(types.into_iter().map(Value::String).collect()));
                row.insert("serviceTypes".into(), Value::Array(labels));
            }
            if let Some((qualifier, quantity, period)) = delivery {
                row.insert(
                    "benefitsServiceDelivery".into(),
                    serde_json::json!([{
                        "quantityQualifierCode": qualifier,
                        "quantityQualifier": codes::quantity_qualifier(&qualifier),
                        "quantity": quantity,
                        "timePeriodQualifierCode": period,
                        "timePeriodQualifier": codes::time_period(&period),
                    }]),
                );
            }
            if !messages.is_empty() {
                let info: Vec<Value> = messages.into_iter().map(|m| serde_json::json!({ "description": m })).collect();
                row.insert("additionalInformation".into(), Value::Array(info));
            }
            if let Some(entity) = entity {
                row.insert("benefitsRelatedEntity".into(), entity);
            }
            if let Some(dates) = dates {
                row.insert("benefitsDateInformation".into(), serde_json::json!({ "plan": dates }));
            }
            Value::Object(row)
        },
    )
}

/// An answer around `rows`: payer, provider, subscriber (and maybe a dependent patient), plan information and
/// dates, and `planStatus` as a 271 reader derives it (one entry per status row).
fn answer(rows: Vec<Value>, dependent: bool) -> Value {
    let statuses: Vec<Value> = rows
        .iter()
        .filter(|row| row["code"].as_str().is_some_and(|c| ("1"..="8").contains(&c) && c.len() == 1))
        .map(|row| {
            let mut status = serde_json::json!({
                "statusCode": row["code"],
                "status": row["name"],
            });
            if let Some(plan) = row.get("planCoverage") {
                status["planDetails"] = plan.clone();
            }
            if let Some(types) = row.get("serviceTypeCodes") {
                status["serviceTypeCodes"] = types.clone();
            }
            status
        })
        .collect();
    let mut doc = serde_json::json!({
        "controlNumber": "123456789",
        "payer": { "name": "Bluegrass Health Plan", "payorIdentification": "00660" },
        "provider": { "providerName": "Bluegrass Recovery IOP", "npi": "1234567893" },
        "subscriber": { "memberId": "ACT100001", "firstName": "JORDAN", "lastName": "SAMPLE", "dateOfBirth": "19880412" },
        "planInformation": { "groupNumber": "KY45P0123", "groupDescription": "Louisville Sample Employers" },
        "planDateInformation": { "plan": "20260101-20261231", "eligibilityBegin": "20230301" },
        "benefitsInformation": rows,
    });
    if !statuses.is_empty() {
        doc["planStatus"] = Value::Array(statuses);
    }
    if dependent {
        doc["dependents"] = serde_json::json!([{
            "firstName": "RILEY", "lastName": "SAMPLE", "dateOfBirth": "20100505",
            "relationToSubscriberCode": "19", "relationToSubscriber": "Child",
        }]);
    }
    doc
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_benefit_rows_summarise_the_same_after_a_271(
        rows in proptest::collection::vec(benefit_row(), 1..12),
        dependent in any::<bool>(),
        delimiters in delimiters(),
        newline in any::<bool>(),
    ) {
        let doc = answer(rows, dependent);
        let inquiry = sample_inquiry(dependent);
        let envelope = Envelope { delimiters, newline_after_segment: newline, ..inquiry.envelope.reply() };

        let (text, back) = through_271(&doc, &inquiry, &envelope);

        let mut after = summarise(&back);
        let mut before = summarise(&described(&cleaned(&doc, &delimiters)));
        // Without a repetition separator a row of several service types is written as one EB per type, and the
        // reader derives one plan status per EB.
        if delimiters.repetition.is_none() {
            (after, before) = (without_statuses(after), without_statuses(before));
        }
        prop_assert!(after == before, "{}\n{text}", differences(&after, &before));
        prop_assert_eq!(&back["payer"]["payorIdentification"], &Value::String("00660".into()));
    }
}

// ---------------------------------------------------------------------------------------------------------
// Any JSON at all
// ---------------------------------------------------------------------------------------------------------

/// Keys the 271 builder reads, so that arbitrary documents reach its code paths.
const KEYS: &[&str] = &[
    "payer",
    "provider",
    "subscriber",
    "dependents",
    "errors",
    "aaaErrors",
    "benefitsInformation",
    "planStatus",
    "planInformation",
    "planDateInformation",
    "code",
    "name",
    "serviceTypeCodes",
    "serviceTypes",
    "benefitAmount",
    "benefitPercent",
    "timeQualifierCode",
    "quantityQualifier",
    "benefitsRelatedEntity",
    "benefitsRelatedEntities",
    "entityIdentifier",
    "entityType",
    "entityName",
    "contactInformation",
    "contacts",
    "communicationMode",
    "benefitsServiceDelivery",
    "benefitsDateInformation",
    "plan",
    "planBegin",
    "groupNumber",
    "address",
    "city",
    "location",
    "followupAction",
    "statusCode",
    "planDetails",
    "dateOfBirth",
    "relationToSubscriberCode",
    "additionalInformation",
    "description",
    "compositeMedicalProcedureIdentifier",
    "procedureModifiers",
    "subscriberTraceNumbers",
    "referenceIdentification",
    "healthCareDiagnosisCodes",
    "diagnosisCode",
];

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        ".{0,24}".prop_map(Value::String),
        "[0-9A-Z*~:^|-]{0,21}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 96, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_json_gives_a_271_that_reads_back(doc in any_json(), delimiters in delimiters()) {
        let inquiry = sample_inquiry(false);
        let envelope = Envelope { delimiters, ..inquiry.envelope.reply() };

        let text = build_271_from_json(&doc, &inquiry, &envelope, &ControlNumbers::generate());

        let interchange = parse(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(interchange.warnings.is_empty(), "{:?}\n{text}", interchange.warnings);
        let transaction = interchange.transactions().next().expect("one transaction");
        let tree = eligibility_271(transaction).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(tree.source().is_some());
        let _ = summarise(&eligibility_json(&tree));
    }
}
