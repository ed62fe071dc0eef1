//! `interpret_response` against real eligibility JSON v3 answers (third-party vectors beside the project),
//! synthetic Kentucky-flavoured vectors (`tests/data/carriers/`), and arbitrary input (it must never panic).

use std::path::{Path, PathBuf};
use std::time::Duration;

use insurance_verifier::carriers::aaa::{AAA_CODES, AaaClass, ApplicantField};
use insurance_verifier::carriers::eligibility_json::interpret_response;
use insurance_verifier::carriers::x12::{X12Reply, eligibility_json, read_reply};
use insurance_verifier::domain::{
    AttemptResult, AttemptResultClass, BenefitSummary, CategoryBenefit, CoverageFinding, EligibilityAnswer,
    FollowUpAction, NetworkIndicator, NetworkTier, Verdict,
};
use insurance_verifier::report::render_summary;
use insurance_verifier::screening::{Screener, rule};
use proptest::prelude::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

fn third_party_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/third_party/change_health_json")
}

/// Reads a third-party vector. `None` (with a notice) when the folder is absent outside CI; in CI the vectors
/// must be there.
fn third_party(name: &str) -> Option<String> {
    let path = third_party_dir().join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(error) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but third-party vector {} is missing: {error}", path.display())
        }
        Err(_) => {
            eprintln!("SKIPPED: third-party vector {} not present (set CI=true to require it)", path.display());
            None
        }
    }
}

fn synthetic(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/carriers").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn answered(result: &AttemptResult) -> &EligibilityAnswer {
    match result {
        AttemptResult::Answered(answer) => answer,
        AttemptResult::Failed { class, detail, .. } => panic!("expected an answer, got {class:?}: {detail}"),
    }
}

fn failure_class(result: &AttemptResult) -> AttemptResultClass {
    match result {
        AttemptResult::Failed { class, .. } => *class,
        AttemptResult::Answered(answer) => panic!("expected a failure, got {:?}", answer.finding),
    }
}

fn category<'a>(summary: &'a BenefitSummary, code: &str) -> &'a CategoryBenefit {
    summary.category(code).unwrap_or_else(|| panic!("no category {code} in {:?}", summary.categories))
}

// ---------------------------------------------------------------------------------------------------------
// Third-party vectors
// ---------------------------------------------------------------------------------------------------------

#[test]
fn the_inactive_third_party_answer_is_coverage_inactive_with_its_plan_dates() {
    let Some(body) = third_party("000041.response.json") else { return };

    let (result, code) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::Inactive);
    assert_eq!(code, None);
    let summary = &answer.summary;
    assert_eq!(summary.coverage_active, Some(false));
    assert_eq!(summary.plan_name.as_deref(), Some("Open Choice"));
    assert_eq!(summary.plan_begin_date.as_deref(), Some("2013-12-10"));
    assert_eq!(summary.plan_end_date.as_deref(), Some("2013-12-12"));
    assert_eq!(category(summary, "30").active, Some(false));
    assert!(answer.plan_facts.plan_descriptions.contains(&"Open Choice".to_owned()));
}

#[test]
fn the_active_ppo_third_party_answer_yields_out_of_pocket_copays_and_coinsurance() {
    let Some(body) = third_party("000050.response.json") else { return };

    let (result, _) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::Active);
    let summary = &answer.summary;
    assert_eq!(summary.plan_name.as_deref(), Some("BASIC"));
    assert_eq!(summary.insurance_type_code.as_deref(), Some("PR"));
    assert_eq!(summary.group_number.as_deref(), Some("111"));
    assert_eq!(summary.plan_begin_date.as_deref(), Some("2003-01-11"));
    assert_eq!(summary.plan_end_date.as_deref(), Some("9999-12-31"));

    let plan = category(summary, "30");
    assert_eq!(plan.active, Some(true));
    assert_eq!(plan.in_network.out_of_pocket_individual.total_cents, Some(550_000));
    assert_eq!(plan.in_network.out_of_pocket_individual.remaining_cents, Some(419_537));
    assert!(plan.in_network.deductible_individual.is_unknown(), "no deductible row: unknown, not zero");

    let office = category(summary, "98");
    assert_eq!(office.in_network.copay_cents, Some(3000));
    assert_eq!(office.in_network.coinsurance_percent, Some(30.0));
    assert!(office.messages.iter().any(|m| m.contains("$40.00") && m.contains("SPECIALIST")), "{:?}", office.messages);
    assert!(office.messages.iter().any(|m| m == "Not covered out of network"), "{:?}", office.messages);
    assert_eq!(category(summary, "BZ").in_network.copay_cents, Some(0), "a zero copay is a real zero");

    assert_eq!(summary.categories[0].service_type_code, "30", "plan level first");
    assert!(summary.messages.iter().any(|m| m.contains("NOT A GUARANTEE OF PAYMENT")));
    assert!(answer.plan_facts.related_entity_names.contains(&"Payer of California".to_owned()));
}

#[test]
fn the_point_of_service_answer_keeps_deductibles_per_network_and_is_not_refused_for_medicare_as_secondary_payer() {
    let Some(body) = third_party("000045.response.json") else { return };

    let (result, _) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::Active);
    let summary = &answer.summary;
    assert_eq!(summary.plan_name.as_deref(), Some("Test Payer Choice POS II"));
    assert_eq!(summary.insurance_type_code.as_deref(), Some("PS"));
    assert_eq!(summary.plan_begin_date.as_deref(), Some("2015-01-01"));
    let plan = category(summary, "30");
    for share in [&plan.in_network, &plan.out_of_network] {
        assert_eq!(share.deductible_individual.total_cents, Some(50_000));
        assert_eq!(share.deductible_individual.remaining_cents, Some(0));
        assert_eq!(share.out_of_pocket_individual.total_cents, Some(500_000));
        assert_eq!(share.out_of_pocket_individual.remaining_cents, Some(285_674));
    }
    assert_eq!(category(summary, "MH").active, Some(true));
    assert_eq!(category(summary, "48").prior_authorization_required, Some(true));
    // Chiropractic's limit comes as two delivery patterns in words: 30 visits a year, 30 remaining.
    let chiropractic = &category(summary, "33").visit_limits;
    assert_eq!(chiropractic.len(), 1, "{chiropractic:?}");
    assert_eq!((chiropractic[0].quantity, chiropractic[0].remaining), (Some(30.0), Some(30.0)));
    assert_eq!(chiropractic[0].period.as_deref(), Some("year"));
    assert_eq!(summary.plan_dates.eligibility_begin.as_deref(), Some("2012-05-01"));
    assert_eq!(summary.plan_dates.service.as_deref(), Some("2016-09-15"));
    // Medicare pays after this commercial plan: staff see it, screening does not refuse on it.
    assert!(summary.messages.iter().any(|m| m == "Secondary Payer: MEDICARE"), "{:?}", summary.messages);
    assert!(!answer.plan_facts.related_entity_names.contains(&"MEDICARE".to_owned()));
    let screening = insurance_verifier::screening::Screener::embedded().screen_answer(&answer.plan_facts);
    assert_eq!(screening, None, "a commercial primary plan is forwarded");
    assert_eq!(answer.plan_facts.reference_qualifiers, ["6P", "18"], "group and plan numbers, nothing governmental");
}

#[test]
fn the_family_plan_answer_separates_family_from_individual_accumulators() {
    let Some(body) = third_party("000047.response.json") else { return };

    let (result, _) = interpret_response(200, None, &body);

    let answer = answered(&result);
    let plan = category(&answer.summary, "30");
    assert_eq!(plan.in_network.deductible_family.total_cents, Some(200_000));
    assert_eq!(plan.in_network.deductible_family.remaining_cents, Some(85_575));
    assert_eq!(plan.in_network.deductible_individual.total_cents, Some(100_000));
    assert_eq!(plan.in_network.deductible_individual.remaining_cents, Some(0));
    assert_eq!(plan.in_network.out_of_pocket_family.total_cents, Some(1_120_000));
    assert_eq!(plan.in_network.out_of_pocket_family.remaining_cents, Some(935_576));
    assert_eq!(plan.out_of_network.out_of_pocket_individual.remaining_cents, Some(390_001));
    assert_eq!(answer.summary.plan_name.as_deref(), Some("Open Choice"));
}

#[test]
fn an_error_body_with_name_and_birth_date_rejections_is_a_mismatch_naming_both_fields() {
    let Some(body) = third_party("error_response.fields.json") else { return };

    for status in [200, 400] {
        let (result, code) = interpret_response(status, None, &body);

        let answer = answered(&result);
        assert_eq!(answer.finding, CoverageFinding::DemographicsMismatch, "HTTP {status}");
        assert_eq!(code.as_deref(), Some("AAA:73"));
        let hint = answer.hint.as_deref().unwrap_or_default();
        assert!(hint.contains("policy holder's name") && hint.contains("date of birth"), "{hint}");
    }
}

#[test]
fn validation_and_oauth_error_bodies_are_rejections() {
    for name in ["error_response.inputDto.json", "error_response.json"] {
        let Some(body) = third_party(name) else { return };

        let (result, code) = interpret_response(400, None, &body);

        assert_eq!(failure_class(&result), AttemptResultClass::Rejected, "{name}");
        assert_eq!(code.as_deref(), Some("HTTP:400"), "{name}");
    }
    let Some(body) = third_party("error_response.inputDto.json") else { return };
    let (result, _) = interpret_response(200, None, &body);
    assert_eq!(failure_class(&result), AttemptResultClass::Rejected, "errors without AAA on a 200");
}

#[test]
fn every_third_party_answer_interprets_without_a_failure_class_surprise() {
    if !third_party_dir().exists() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but {} is missing", third_party_dir().display());
        }
        eprintln!("SKIPPED: {} not present", third_party_dir().display());
        return;
    }
    for entry in std::fs::read_dir(third_party_dir()).expect("readable folder") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let body = std::fs::read_to_string(&path).expect("readable vector");
        for status in [200, 400] {
            let (result, _) = interpret_response(status, None, &body);
            if let AttemptResult::Failed { class, .. } = result {
                assert!(
                    matches!(class, AttemptResultClass::Rejected | AttemptResultClass::InvalidResponse),
                    "{}: {class:?}",
                    path.display()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Synthetic Kentucky vectors
// ---------------------------------------------------------------------------------------------------------

#[test]
fn a_kentucky_ppo_with_an_ended_and_a_current_plan_is_active_with_substance_use_benefits() {
    let body = synthetic("ky_anthem_ppo_iop_active.json");

    let (result, code) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::Active, "any active plan-level status wins");
    assert_eq!(code, None);
    let summary = &answer.summary;
    assert_eq!(summary.plan_name.as_deref(), Some("Anthem Blue Access PPO"));
    assert_eq!(summary.group_number.as_deref(), Some("270145M001"));
    assert_eq!(summary.plan_begin_date.as_deref(), Some("2026-01-01"));
    assert_eq!(summary.plan_end_date.as_deref(), Some("2026-12-31"));
    assert_eq!(summary.carve_out_administrator.as_deref(), Some("Carelon Behavioral Health"));

    let codes: Vec<&str> = summary.categories.iter().map(|c| c.service_type_code.as_str()).collect();
    assert_eq!(codes, ["30", "AI", "CJ", "MH"], "plan level, then behavioural health in order");

    let plan = category(summary, "30");
    assert_eq!(plan.in_network.deductible_individual.total_cents, Some(200_000));
    assert_eq!(plan.in_network.deductible_individual.remaining_cents, Some(74_960), "total minus year to date");
    assert_eq!(plan.in_network.deductible_family.total_cents, Some(400_000), "ESP counts as family");
    assert_eq!(plan.in_network.deductible_family.remaining_cents, Some(274_960));
    assert_eq!(plan.in_network.out_of_pocket_individual.total_cents, Some(735_000));
    assert_eq!(plan.in_network.out_of_pocket_individual.remaining_cents, Some(591_225));

    let substance = category(summary, "AI");
    assert_eq!(substance.label, "Substance abuse");
    assert_eq!(substance.active, Some(true));
    assert_eq!(substance.in_network.copay_cents, Some(2500));
    assert_eq!(substance.prior_authorization_required, Some(true));

    let facility = category(summary, "CJ");
    assert_eq!(facility.in_network.coinsurance_percent, Some(10.0));
    assert_eq!(facility.out_of_network.coinsurance_percent, Some(50.0));
    assert!(facility.in_network.copay_cents.is_none(), "no copay row: unknown, not zero");
    assert_eq!(facility.limits, ["20 Visits per Calendar Year: PARTIAL HOSPITALIZATION AND IOP COMBINED"]);

    let mental = category(summary, "MH");
    assert_eq!(mental.in_network.copay_cents, Some(2500));
    assert_eq!(mental.prior_authorization_required, Some(false));
    assert!(mental.messages.iter().any(|m| m.contains("$0.00") && m.contains("TELEHEALTH")), "{:?}", mental.messages);
}

#[test]
fn a_kentucky_medicaid_managed_care_answer_exposes_its_government_plan_facts() {
    let body = synthetic("ky_passport_medicaid_mco.json");

    let (result, _) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::Active);
    assert_eq!(answer.plan_facts.insurance_type_codes, ["MC"]);
    assert!(answer.plan_facts.reference_qualifiers.contains(&"NQ".to_owned()));
    assert!(answer.plan_facts.plan_descriptions.iter().any(|d| d.contains("MEDICAID")));
    assert_eq!(answer.summary.plan_begin_date.as_deref(), Some("2026-01-01"), "eligibility range as fallback");
}

#[test]
fn a_medicare_advantage_answer_exposes_hn_mb_and_the_part_d_payer() {
    let body = synthetic("ky_wellcare_medicare_advantage.json");

    let (result, _) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::Active);
    assert_eq!(answer.plan_facts.insurance_type_codes, ["HN", "MB"]);
    assert!(answer.plan_facts.plan_descriptions.iter().any(|d| d.contains("Medicare Advantage")));
    assert!(answer.plan_facts.related_entity_names.contains(&"WELLCARE MEDICARE PART D".to_owned()));
    assert_eq!(answer.summary.insurance_type_code.as_deref(), Some("HN"));
}

#[test]
fn an_invalid_member_id_in_the_subscriber_loop_is_member_not_found_with_a_hint() {
    let body = synthetic("aaa_72_invalid_member_id.json");

    let (result, code) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::MemberNotFound);
    assert_eq!(code.as_deref(), Some("AAA:72"));
    assert_eq!(answer.error_code.as_deref(), Some("AAA:72"));
    assert!(answer.hint.as_deref().unwrap_or_default().contains("member ID"));
    assert!(!answer.hint.as_deref().unwrap_or_default().contains("99999999900"), "never the value");
}

#[test]
fn subscriber_not_found_is_decided_from_the_body_even_on_http_400() {
    let body = synthetic("aaa_75_subscriber_not_found.json");

    let (result, code) = interpret_response(400, None, &body);

    assert_eq!(answered(&result).finding, CoverageFinding::MemberNotFound);
    assert_eq!(code.as_deref(), Some("AAA:75"));
}

#[test]
fn unable_to_respond_is_a_transient_busy_carrier_that_keeps_retry_after() {
    let body = synthetic("aaa_42_unable_to_respond.json");

    let (result, code) = interpret_response(200, Some(Duration::from_secs(30)), &body);

    assert_eq!(
        result,
        AttemptResult::Failed {
            class: AttemptResultClass::CarrierBusy,
            detail: "AAA 42: Unable to Respond at Current Time; the carrier asks: Resubmission Allowed (R)".to_owned(),
            retry_after: Some(Duration::from_secs(30)),
        }
    );
    assert_eq!(code.as_deref(), Some("AAA:42"));
    assert!(AttemptResultClass::CarrierBusy.is_transient());
}

#[test]
fn an_unknown_provider_is_a_rejection_for_an_operator() {
    let body = synthetic("aaa_43_invalid_provider.json");

    let (result, code) = interpret_response(200, None, &body);

    assert_eq!(failure_class(&result), AttemptResultClass::Rejected);
    assert_eq!(code.as_deref(), Some("AAA:43"));
    let AttemptResult::Failed { detail, .. } = result else { unreachable!() };
    assert!(detail.contains("set-up"), "{detail}");
}

#[test]
fn a_dependent_missing_from_the_policy_is_member_not_found_pointing_at_the_relationship() {
    let body = synthetic("aaa_77_dependent_not_found.json");

    let (result, code) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::MemberNotFound);
    assert_eq!(code.as_deref(), Some("AAA:77"));
    assert!(answer.hint.as_deref().unwrap_or_default().contains("relationship"));
}

#[test]
fn a_payer_the_clearinghouse_does_not_know_is_rejected_not_retried() {
    let body = synthetic("stedi_payer_not_configured.json");

    let (result, code) = interpret_response(400, None, &body);

    assert_eq!(failure_class(&result), AttemptResultClass::Rejected);
    assert_eq!(code.as_deref(), Some("AAA:33"));
}

#[test]
fn a_dependent_childs_answer_keeps_statuses_limits_network_indicators_dates_and_the_carve_out() {
    // Arrange
    let body = synthetic("ky_humana_pos_dependent_child.json");

    // Act
    let (result, code) = interpret_response(200, None, &body);

    // Assert: the patient and the plan.
    let answer = answered(&result);
    assert_eq!((answer.finding, code), (CoverageFinding::Active, None));
    let summary = &answer.summary;
    assert_eq!(summary.patient_is_dependent, Some(true));
    assert_eq!(summary.dependent_relationship.as_deref(), Some("Child"));
    assert_eq!(summary.payer_name.as_deref(), Some("Humana"));
    assert_eq!(summary.plan_name.as_deref(), Some("Humana National POS"));
    // Dates: a range sent in `planBegin`, an eligibility range, premiums paid to, the date of service.
    assert_eq!(
        (summary.plan_begin_date.as_deref(), summary.plan_end_date.as_deref()),
        (Some("2026-01-01"), Some("2026-12-31"))
    );
    let dates = &summary.plan_dates;
    assert_eq!(
        (dates.eligibility_begin.as_deref(), dates.eligibility_end.as_deref()),
        (Some("2024-08-01"), Some("2026-12-31"))
    );
    assert_eq!(dates.premium_paid_to_end.as_deref(), Some("2026-03-31"));
    assert_eq!(dates.service.as_deref(), Some("2026-03-02"));
    // Several planStatus entries: one per service type group, each sets its categories.
    assert_eq!(summary.plan_statuses.len(), 2);
    assert_eq!(summary.plan_statuses[1].service_type_codes, ["A6"]);
    assert_eq!(category(summary, "A6").active, Some(false), "psychotherapy is inactive by its own planStatus");
    assert_eq!(category(summary, "CF").active, Some(true), "listed in the active planStatus only");
    // The carve-out, named in a singular `benefitsRelatedEntity`, with its phone number.
    assert_eq!(summary.carve_out_administrator.as_deref(), Some("New Directions Behavioral Health"));
    assert_eq!(summary.carve_out_phone.as_deref(), Some("800-555-0177"));

    // Substance abuse: in network by its status row, its own dates, copay, out-of-network coinsurance, limit.
    let substance = category(summary, "AI");
    assert_eq!(substance.network_indicator, Some(NetworkIndicator::InNetwork));
    assert_eq!(
        (substance.coverage_begin_date.as_deref(), substance.coverage_end_date.as_deref()),
        (Some("2026-01-01"), Some("2026-06-30"))
    );
    assert_eq!(substance.in_network.copay_cents, Some(4_000));
    assert_eq!(substance.out_of_network.coinsurance_percent, Some(40.0));
    assert_eq!(substance.prior_authorization_required, Some(true));
    assert_eq!(substance.visit_limits.len(), 1, "{:?}", substance.visit_limits);
    let limit = &substance.visit_limits[0];
    assert_eq!((limit.quantity, limit.remaining), (Some(30.0), Some(12.0)));
    assert_eq!((limit.unit_code.as_deref(), limit.unit.as_deref()), (Some("VS"), Some("visits")));
    assert_eq!((limit.period_code.as_deref(), limit.period.as_deref()), (Some("23"), Some("calendar year")));
    assert_eq!(limit.network, NetworkTier::InNetwork);
    assert_eq!(limit.description.as_deref(), Some("INTENSIVE OUTPATIENT COMBINED WITH OUTPATIENT"));

    // W and U are kept apart as indicators.
    assert_eq!(category(summary, "MH").network_indicator, Some(NetworkIndicator::NotApplicable));
    assert_eq!(category(summary, "BB").network_indicator, Some(NetworkIndicator::Unknown));
    // A delivery pattern (HSD) is a limit: 20 days per service year, remaining unknown.
    let partial = &category(summary, "BB").visit_limits;
    assert_eq!(partial.len(), 1);
    assert_eq!(
        (partial[0].quantity, partial[0].unit.as_deref(), partial[0].period.as_deref()),
        (Some(20.0), Some("days"), Some("service year"))
    );
    assert_eq!(partial[0].remaining, None, "not given: unknown, not zero");
    // Quantity used (EB09 99) gives the remaining count.
    let outpatient = &category(summary, "CF").visit_limits;
    assert_eq!((outpatient[0].quantity, outpatient[0].remaining), (Some(52.0), Some(44.0)));

    // Plan level: deductibles in network, out-of-pocket out of network; what is not given stays unknown.
    let plan = category(summary, "30");
    assert_eq!(plan.in_network.deductible_individual.remaining_cents, Some(112_500));
    assert_eq!(plan.in_network.deductible_family.total_cents, Some(300_000));
    assert_eq!(plan.in_network.deductible_family.remaining_cents, None);
    assert_eq!(plan.out_of_network.out_of_pocket_individual.total_cents, Some(900_000));
    assert!(plan.in_network.out_of_pocket_individual.is_unknown());
    // The answering payer is a commercial brand: not refused.
    assert_eq!(answer.plan_facts.payer_names, ["Humana"]);
    assert_eq!(Screener::embedded().screen_answer(&answer.plan_facts), None);
}

#[test]
fn a_medicare_hic_number_alone_reveals_a_government_plan() {
    let body = synthetic("ky_aetna_pos_hic_number.json");

    let (result, _) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::Active);
    assert!(answer.plan_facts.reference_qualifiers.contains(&"F6".to_owned()), "{:?}", answer.plan_facts);
    let decision = Screener::embedded().screen_answer(&answer.plan_facts).expect("a government plan");
    assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, rule::ANSWER_REFERENCE));
    assert!(!decision.reason.contains("999999999A"), "never the number itself");
}

#[test]
fn a_kentucky_medicaid_answer_and_a_medicare_advantage_answer_are_screened_with_their_rules() {
    let screener = Screener::embedded();

    let (medicaid, _) = interpret_response(200, None, &synthetic("ky_passport_medicaid_mco.json"));
    let (medicare, _) = interpret_response(200, None, &synthetic("ky_wellcare_medicare_advantage.json"));

    let medicaid = screener.screen_answer(&answered(&medicaid).plan_facts).expect("Medicaid");
    let medicare = screener.screen_answer(&answered(&medicare).plan_facts).expect("Medicare");
    assert_eq!((medicaid.verdict, medicaid.rule.as_str()), (Verdict::Medicaid, rule::ANSWER_INSURANCE_TYPE));
    assert_eq!((medicare.verdict, medicare.rule.as_str()), (Verdict::Medicare, rule::ANSWER_INSURANCE_TYPE));
}

#[test]
fn an_other_payer_row_screens_by_its_role_primary_medicare_refuses_secondary_does_not() {
    let answer_with = |role: &str| {
        json!({
            "planStatus": [{ "statusCode": "1", "serviceTypeCodes": ["30"] }],
            "benefitsInformation": [
                { "code": "1", "serviceTypeCodes": ["30"], "insuranceTypeCode": "PR" },
                { "code": "R", "insuranceTypeCode": "MB", "insuranceType": "Medicare Part B",
                  "benefitsRelatedEntity": { "entityIdentifier": role, "entityName": "MEDICARE PART B" } }
            ]
        })
        .to_string()
    };

    let (secondary, _) = interpret_response(200, None, &answer_with("Secondary Payer"));
    let (primary, _) = interpret_response(200, None, &answer_with("Primary Payer"));

    let screener = Screener::embedded();
    assert_eq!(screener.screen_answer(&answered(&secondary).plan_facts), None, "commercial plan pays first");
    assert_eq!(answered(&secondary).plan_facts.insurance_type_codes, ["PR"]);
    let decision = screener.screen_answer(&answered(&primary).plan_facts).expect("Medicare pays first");
    assert_eq!(decision.verdict, Verdict::Medicare);
}

#[test]
fn a_plan_description_and_a_payer_name_each_reveal_a_government_plan() {
    let screener = Screener::embedded();
    let described = json!({
        "planStatus": [{ "statusCode": "1", "planDetails": "HUMANA GOLD PLUS HMO", "serviceTypeCodes": ["30"] }]
    });
    let by_payer = json!({
        "payer": { "name": "Kentucky Medicaid" },
        "planStatus": [{ "statusCode": "1", "serviceTypeCodes": ["30"] }]
    });

    let (described, _) = interpret_response(200, None, &described.to_string());
    let (by_payer, _) = interpret_response(200, None, &by_payer.to_string());

    let described = screener.screen_answer(&answered(&described).plan_facts).expect("Medicare Advantage");
    let by_payer = screener.screen_answer(&answered(&by_payer).plan_facts).expect("Medicaid");
    assert_eq!(described.rule, rule::ANSWER_PLAN_DESCRIPTION);
    assert_eq!((by_payer.verdict, by_payer.rule.as_str()), (Verdict::Medicaid, rule::ANSWER_PAYER_NAME));
}

#[test]
fn a_wait_ten_days_follow_up_is_not_retried_and_says_so() {
    let body = synthetic("aaa_42_wait_10_days.json");

    let (result, code) = interpret_response(200, None, &body);

    assert_eq!(failure_class(&result), AttemptResultClass::Rejected);
    assert_eq!(code.as_deref(), Some("AAA:42"));
    let AttemptResult::Failed { detail, .. } = result else { unreachable!() };
    assert!(detail.contains("Please Wait 10 Days and Resubmit (X)"), "{detail}");
    assert!(detail.contains("not retried"), "{detail}");
}

#[test]
fn a_dependents_birth_date_rejection_names_the_field_and_keeps_the_follow_up_code() {
    let body = synthetic("aaa_71_dependent_birth_date_code_c.json");

    let (result, code) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.finding, CoverageFinding::DemographicsMismatch);
    assert_eq!(code.as_deref(), Some("AAA:71"));
    let hint = answer.hint.as_deref().unwrap_or_default();
    assert!(hint.contains("date of birth") && hint.contains("Please Correct and Resubmit (C)"), "{hint}");
    let rejection = &answer.summary.rejections[0];
    assert_eq!(rejection.class, AaaClass::FixApplicant(ApplicantField::DateOfBirth));
    assert_eq!(rejection.source.as_deref(), Some("dependent"));
    assert_eq!(rejection.follow_up, Some(FollowUpAction::CorrectAndResubmit));
    assert_eq!(answer.summary.payer_name.as_deref(), Some("Ambetter from WellCare of Kentucky"));
    assert!(!hint.contains("SKYLER") && !hint.contains("20080808"), "never the values");
}

#[test]
fn every_aaa_code_leads_to_its_class_outcome_with_the_follow_up_kept() {
    for row in AAA_CODES {
        // Arrange: the code alone, with a follow-up that allows asking again.
        let body = json!({ "subscriber": { "aaaErrors": [
            { "field": "AAA", "code": row.code, "followupAction": "Please Correct and Resubmit", "location": "Loop 2100C" }
        ]}})
        .to_string();

        // Act
        let (result, code) = interpret_response(200, None, &body);

        // Assert
        assert_eq!(code, Some(format!("AAA:{}", row.code)), "AAA {}", row.code);
        match (row.class, &result) {
            (AaaClass::FixApplicant(field), AttemptResult::Answered(answer)) => {
                assert_eq!(answer.finding, field.finding(), "AAA {}", row.code);
                let hint = answer.hint.as_deref().unwrap_or_default();
                assert!(hint.contains("Please Correct and Resubmit (C)"), "AAA {}: {hint}", row.code);
                assert_eq!(answer.summary.rejections[0].class, row.class);
                assert_eq!(answer.summary.rejections[0].follow_up, Some(FollowUpAction::CorrectAndResubmit));
            }
            (AaaClass::Transient, AttemptResult::Failed { class, detail, .. }) => {
                assert_eq!(*class, AttemptResultClass::CarrierBusy, "AAA {}", row.code);
                assert!(detail.contains("Please Correct and Resubmit (C)"), "{detail}");
            }
            (AaaClass::ProviderSetup, AttemptResult::Failed { class, detail, .. }) => {
                assert_eq!(*class, AttemptResultClass::Rejected, "AAA {}", row.code);
                assert!(detail.contains("operator"), "AAA {}: {detail}", row.code);
            }
            (AaaClass::Other, AttemptResult::Failed { class, detail, .. }) => {
                assert_eq!(*class, AttemptResultClass::Rejected, "AAA {}", row.code);
                assert!(detail.contains(row.description), "AAA {}: {detail}", row.code);
            }
            (class, other) => panic!("AAA {}: class {class:?} gave {other:?}", row.code),
        }
    }
}

#[test]
fn a_transient_code_is_retried_unless_its_follow_up_says_not_to_ask_again_soon() {
    for action in FollowUpAction::ALL {
        let body = json!({ "payer": { "aaaErrors": [
            { "field": "AAA", "code": "42", "followupAction": action.meaning(), "location": "Loop 2100A" }
        ]}})
        .to_string();

        let (result, _) = interpret_response(200, None, &body);

        let expected =
            if action.forbids_prompt_retry() { AttemptResultClass::Rejected } else { AttemptResultClass::CarrierBusy };
        assert_eq!(failure_class(&result), expected, "{action:?}");
    }
}

#[test]
fn loop_level_errors_repeated_at_the_top_level_count_once_with_their_loop() {
    let body = json!({
        "errors": [{ "field": "AAA", "code": "75", "location": "Loop 2100C" }],
        "subscriber": { "aaaErrors": [
            { "field": "AAA", "code": "75", "followupAction": "Please Correct and Resubmit", "location": "Loop 2100C" }
        ]}
    })
    .to_string();

    let (result, _) = interpret_response(400, None, &body);

    let rejections = &answered(&result).summary.rejections;
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].source.as_deref(), Some("subscriber"));
    assert_eq!(rejections[0].follow_up, Some(FollowUpAction::CorrectAndResubmit));
}

#[test]
fn a_payers_free_text_follow_up_is_never_kept() {
    let body = json!({ "subscriber": { "aaaErrors": [
        { "field": "AAA", "code": "72", "followupAction": "Call Canaryfirst Zyxwvlast at home", "location": "Loop 2100C" }
    ]}})
    .to_string();

    let (result, _) = interpret_response(200, None, &body);

    let answer = answered(&result);
    assert_eq!(answer.summary.rejections[0].follow_up, None);
    assert!(!format!("{answer:?}").contains("Canaryfirst"));
}

// ---------------------------------------------------------------------------------------------------------
// Status and shape rules
// ---------------------------------------------------------------------------------------------------------

#[test]
fn too_many_requests_and_server_errors_are_transient_whatever_the_body() {
    for status in [429, 500, 502, 503, 504] {
        let (result, code) = interpret_response(status, Some(Duration::from_secs(7)), "{\"errors\":[]}");

        assert_eq!(
            result,
            AttemptResult::Failed {
                class: AttemptResultClass::ServerError,
                detail: format!("HTTP {status} from the carrier"),
                retry_after: Some(Duration::from_secs(7)),
            }
        );
        assert_eq!(code, Some(format!("HTTP:{status}")));
    }
}

#[test]
fn a_body_that_is_not_json_is_an_invalid_response_on_200_and_a_rejection_on_4xx() {
    let (ok, ok_code) = interpret_response(200, None, "<html>Bad Gateway</html>");
    let (bad, bad_code) = interpret_response(401, None, "Unauthorized");

    assert_eq!(failure_class(&ok), AttemptResultClass::InvalidResponse);
    assert_eq!(ok_code, None);
    assert_eq!(failure_class(&bad), AttemptResultClass::Rejected);
    assert_eq!(bad_code.as_deref(), Some("HTTP:401"));
}

#[test]
fn json_without_a_coverage_status_is_an_invalid_response() {
    for body in ["{}", "{\"benefitsInformation\":[{\"code\":\"B\",\"benefitAmount\":\"20\"}]}", "[]", "null"] {
        let (result, _) = interpret_response(200, None, body);

        assert_eq!(failure_class(&result), AttemptResultClass::InvalidResponse, "{body}");
    }
}

#[test]
fn a_data_problem_outranks_a_transient_code_and_a_set_up_problem_outranks_both() {
    let mismatch_and_busy = json!({ "errors": [
        { "field": "AAA", "code": "42", "location": "Loop 2100A" },
        { "field": "AAA", "code": "71", "location": "Loop 2100C" }
    ]});
    let provider_and_mismatch = json!({ "errors": [
        { "field": "AAA", "code": "71", "location": "Loop 2100C" },
        { "field": "AAA", "code": "51", "location": "Loop 2100B" }
    ]});

    let (first, _) = interpret_response(200, None, &mismatch_and_busy.to_string());
    let (second, code) = interpret_response(200, None, &provider_and_mismatch.to_string());

    assert_eq!(answered(&first).finding, CoverageFinding::DemographicsMismatch);
    assert_eq!(failure_class(&second), AttemptResultClass::Rejected);
    assert_eq!(code.as_deref(), Some("AAA:51"));
}

#[test]
fn code_79_is_retried_from_a_payer_but_not_from_the_clearinghouse() {
    let body =
        json!({ "errors": [{ "field": "AAA", "code": "79", "followupAction": "Resubmission Allowed" }] }).to_string();

    let (from_payer, _) = interpret_response(200, None, &body);
    let (from_clearinghouse, _) = interpret_response(400, None, &body);

    assert_eq!(failure_class(&from_payer), AttemptResultClass::CarrierBusy);
    assert_eq!(failure_class(&from_clearinghouse), AttemptResultClass::Rejected);
}

#[test]
fn failure_details_and_hints_never_repeat_what_the_payer_echoed() {
    let canaries = ["Canaryfirst", "Zyxwvlast", "19770707", "CANARY12345"];
    let subscriber = json!({
        "firstName": canaries[0], "lastName": canaries[1], "dateOfBirth": canaries[2], "memberId": canaries[3]
    });
    for code in ["42", "43", "71", "72", "73", "75", "ZZ"] {
        let body = json!({
            "subscriber": subscriber,
            "errors": [{
                "field": "AAA", "code": code, "location": "Loop 2100C",
                "description": format!("{} not found", canaries[0])
            }]
        })
        .to_string();

        let (result, code_out) = interpret_response(200, None, &body);

        let texts = match &result {
            AttemptResult::Failed { detail, .. } => vec![detail.clone()],
            AttemptResult::Answered(answer) => vec![answer.hint.clone().unwrap_or_default()],
        };
        for text in texts.iter().chain(code_out.iter()) {
            for canary in canaries {
                assert!(!text.contains(canary), "{code}: {text}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Never panic
// ---------------------------------------------------------------------------------------------------------

/// Keys the parser looks at, so that arbitrary documents reach deep into it.
const KEYS: &[&str] = &[
    "benefitsInformation",
    "planStatus",
    "errors",
    "aaaErrors",
    "subscriber",
    "dependents",
    "payer",
    "provider",
    "planInformation",
    "planDateInformation",
    "code",
    "field",
    "location",
    "followupAction",
    "statusCode",
    "serviceTypeCodes",
    "serviceTypes",
    "benefitAmount",
    "benefitPercent",
    "timeQualifierCode",
    "coverageLevelCode",
    "inPlanNetworkIndicatorCode",
    "authOrCertIndicator",
    "additionalInformation",
    "description",
    "planCoverage",
    "insuranceTypeCode",
    "insuranceType",
    "benefitsRelatedEntity",
    "benefitsRelatedEntities",
    "entityName",
    "entityFirstname",
    "entityIdentifier",
    "benefitQuantity",
    "quantityQualifier",
    "timeQualifier",
    "plan",
    "planBegin",
    "planEnd",
    "eligibility",
    "eligibilityBegin",
    "groupNumber",
    "planDetails",
    "name",
    "benefitsAdditionalInformation",
    "medicaidRecepientIdNumber",
    "medicaidRecipientIdNumber",
    "hicNumber",
    "benefitsServiceDelivery",
    "quantity",
    "quantityQualifierCode",
    "timePeriodQualifierCode",
    "numOfPeriods",
    "unitForMeasurementCode",
    "benefitsDateInformation",
    "benefit",
    "premiumPaidToDateEnd",
    "relationToSubscriber",
    "relationToSubscriberCode",
    "contactInformation",
    "contacts",
    "communicationMode",
    "communicationNumber",
    "followUpAction",
];

/// Values the parser gives meaning to.
const WORDS: &[&str] = &[
    "1",
    "5",
    "6",
    "8",
    "A",
    "B",
    "C",
    "G",
    "F",
    "I",
    "R",
    "P",
    "W",
    "Y",
    "N",
    "U",
    "IND",
    "FAM",
    "ESP",
    "E1D",
    "22",
    "23",
    "24",
    "29",
    "30",
    "33",
    "AI",
    "MH",
    "CJ",
    "AAA",
    "42",
    "43",
    "71",
    "72",
    "73",
    "75",
    "77",
    "79",
    "T4",
    "20240101",
    "20240101-20241231",
    "2024-02-30",
    "99991231",
    "12.5",
    ".3",
    "250",
    "-1",
    "1e400",
    "",
    " ",
    "99999999999999999999999",
    ".",
    "$",
    "Ā0",
    "20240\u{e9}01-2",
    "VS",
    "DY",
    "99",
    "Please Wait 10 Days and Resubmit",
    "X",
    "Child",
    "19",
    "Telephone",
    "18005550100",
    "Carelon Behavioral Health",
];

fn json_value() -> impl Strategy<Value = Value> {
    let word = prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(|w| Value::String(w.to_owned())),
        1 => "\\PC{0,12}".prop_map(Value::String),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        word,
    ];
    let key = prop_oneof![3 => prop::sample::select(KEYS).prop_map(str::to_owned), 1 => "[a-zA-Z]{1,8}"];
    leaf.prop_recursive(5, 96, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(400), Just(404), Just(429), Just(500), Just(302), any::<u16>()]
}

proptest! {
    #[test]
    fn any_aaa_code_with_any_follow_up_in_any_loop_decides_by_its_class(
        index in 0..AAA_CODES.len(),
        action in prop::option::of(prop::sample::select(FollowUpAction::ALL.to_vec())),
        as_code in any::<bool>(),
        holder in prop::sample::select(vec!["subscriber", "payer", "provider", "top"]),
        status in prop_oneof![Just(200u16), Just(400u16)],
    ) {
        let row = &AAA_CODES[index];
        let mut entry = json!({ "field": "AAA", "code": row.code, "location": "Loop 2100C" });
        if let Some(action) = action {
            entry["followupAction"] = json!(if as_code { action.code() } else { action.meaning() });
        }
        let body = if holder == "top" {
            json!({ "errors": [entry] })
        } else {
            json!({ holder: { "aaaErrors": [entry] } })
        };

        let (result, code) = interpret_response(status, None, &body.to_string());

        prop_assert_eq!(code, Some(format!("AAA:{}", row.code)));
        let class = insurance_verifier::carriers::aaa::classify(row.code, status);
        match (class, &result) {
            (AaaClass::FixApplicant(field), AttemptResult::Answered(answer)) => {
                prop_assert_eq!(answer.finding, field.finding());
                prop_assert_eq!(answer.summary.rejections[0].follow_up, action);
            }
            (AaaClass::Transient, AttemptResult::Failed { class, .. }) => {
                let expected = if action.is_some_and(FollowUpAction::forbids_prompt_retry) {
                    AttemptResultClass::Rejected
                } else {
                    AttemptResultClass::CarrierBusy
                };
                prop_assert_eq!(*class, expected);
            }
            (AaaClass::ProviderSetup | AaaClass::Other, AttemptResult::Failed { class, .. }) => {
                prop_assert_eq!(*class, AttemptResultClass::Rejected);
            }
            (class, other) => prop_assert!(false, "AAA {}: {:?} gave {:?}", row.code, class, other),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(status in status(), body in "\\PC{0,400}") {
        let _ = interpret_response(status, None, &body);
    }

    #[test]
    fn arbitrary_bytes_never_panic(status in status(), bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = interpret_response(status, None, &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json_documents_never_panic(status in status(), value in json_value()) {
        let (result, code) = interpret_response(status, None, &value.to_string());
        if let AttemptResult::Answered(answer) = &result {
            prop_assert!(matches!(status, 200..=299) || answer.error_code.is_some());
        }
        if let Some(code) = code {
            prop_assert!(code.starts_with("AAA:") || code.starts_with("HTTP:"));
        }
    }

    #[test]
    fn arbitrary_documents_under_the_expected_keys_never_panic(
        status in status(),
        pairs in prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..6),
    ) {
        let doc = Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let _ = interpret_response(status, None, &doc.to_string());
    }
}

// ---------------------------------------------------------------------------------------------------------
// Summary correctness: the figure admissions reads must be the one the payer meant
// ---------------------------------------------------------------------------------------------------------

/// A 005010 ISA with the standard delimiters, for the small 271s below.
const ISA: &str =
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260115*0930*^*00501*000000101*0*T*:~";

/// A 271 for one synthetic Kentucky subscriber whose 2110 loops are `benefits`, converted to eligibility v3
/// JSON and interpreted as a 200 answer.
fn x12_answer(benefits: &[&str]) -> EligibilityAnswer {
    let mut segments = vec![
        "BHT*0022*11*REF1*20260115*0930",
        "HL*1**20*1",
        "NM1*PR*2*BLUEGRASS MUTUAL HEALTH*****PI*SYNKY",
        "HL*2*1*21*1",
        "NM1*1P*2*LOUISVILLE RECOVERY IOP*****XX*1234567893",
        "HL*3*2*22*0",
        "NM1*IL*1*SAMPLE*CASEY****MI*SYNKY0611",
    ];
    segments.extend_from_slice(benefits);
    let mut text =
        format!("{ISA}\nGS*HB*SENDER*RECEIVER*20260115*0930*101*X*005010X279A1~\nST*271*0001*005010X279A1~\n");
    for segment in &segments {
        text.push_str(segment);
        text.push_str("~\n");
    }
    text.push_str(&format!("SE*{}*0001~\nGE*1*101~\nIEA*1*000000101~\n", segments.len() + 2));
    let X12Reply::Eligibility(answers) = read_reply(text.as_bytes()).expect("a readable 271") else {
        panic!("not a 271")
    };
    let doc = eligibility_json(&answers[0]);
    let (result, _) = interpret_response(200, None, &doc.to_string());
    answered(&result).clone()
}

fn json_answer(doc: &Value) -> EligibilityAnswer {
    let (result, _) = interpret_response(200, None, &doc.to_string());
    answered(&result).clone()
}

#[test]
fn a_copay_per_admission_is_shown_per_admission_not_per_visit() {
    // Arrange: the reviewer's partial hospitalisation row, EB06 36 (admission).
    let answer = x12_answer(&["EB*1**30", "EB*B*IND*BB*PR**36*250"]);

    // Act
    let share = &category(&answer.summary, "BB").network_unspecified;
    let text = render_summary(&answer.summary);

    // Assert
    assert_eq!(share.copay_cents, Some(25_000));
    assert_eq!((share.copay_period_code.as_deref(), share.copay_period.as_deref()), (Some("36"), Some("admission")));
    assert!(text.contains("copay $250.00 per admission"), "{text}");
    assert!(!text.contains("per visit"), "{text}");
}

#[test]
fn a_copay_without_a_period_has_no_period_and_one_per_visit_says_per_visit() {
    let doc = json!({"benefitsInformation": [
        {"code": "1", "serviceTypeCodes": ["30"]},
        {"code": "B", "serviceTypeCodes": ["AI"], "inPlanNetworkIndicatorCode": "Y", "benefitAmount": "35"},
        {"code": "B", "serviceTypeCodes": ["MH"], "inPlanNetworkIndicatorCode": "Y", "benefitAmount": "30",
         "timeQualifierCode": "27"}
    ]});

    let answer = json_answer(&doc);
    let text = render_summary(&answer.summary);

    assert_eq!(category(&answer.summary, "AI").in_network.copay_period_code, None, "absent is unknown");
    assert!(text.contains("in network:         copay $35.00; coinsurance unknown"), "{text}");
    assert!(text.contains("in network:         copay $30.00 per visit;"), "{text}");
}

#[test]
fn an_inpatient_copay_becomes_a_note_and_the_office_copay_is_the_headline() {
    // Arrange: the reviewer's 271: the inpatient row (place of service 21) comes first.
    let answer = x12_answer(&[
        "EB*1**30",
        "EB*1**AI",
        "EB*B*IND*AI****500*****Y",
        "III*ZZ*21",
        "EB*B*IND*AI****35*****Y",
        "III*ZZ*11",
    ]);

    // Act
    let substance = category(&answer.summary, "AI");

    // Assert
    assert_eq!(substance.in_network.copay_cents, Some(3_500));
    assert!(
        substance.messages.iter().any(|m| m.contains("$500.00") && m.contains("inpatient hospital")),
        "{:?}",
        substance.messages
    );
}

#[test]
fn procedure_and_inpatient_message_rows_are_notes_naming_their_qualifier() {
    let doc = json!({"benefitsInformation": [
        {"code": "1", "serviceTypeCodes": ["30"]},
        {"code": "B", "serviceTypeCodes": ["AI"], "inPlanNetworkIndicatorCode": "Y", "benefitAmount": "250",
         "additionalInformation": [{"description": "INPATIENT SERVICES"}]},
        {"code": "B", "serviceTypeCodes": ["AI"], "inPlanNetworkIndicatorCode": "Y", "benefitAmount": "15",
         "compositeMedicalProcedureIdentifier": {"productOrServiceIdQualifierCode": "HC", "procedureCode": "H0020"}},
        {"code": "B", "serviceTypeCodes": ["AI"], "inPlanNetworkIndicatorCode": "Y", "benefitAmount": "40"}
    ]});

    let substance = category(&json_answer(&doc).summary, "AI").clone();

    assert_eq!(substance.in_network.copay_cents, Some(4_000));
    assert!(substance.messages.iter().any(|m| m.contains("$250.00") && m.contains("INPATIENT")), "{substance:?}");
    assert!(substance.messages.iter().any(|m| m.contains("$15.00") && m.contains("H0020")), "{substance:?}");
}

#[test]
fn an_intensive_outpatient_procedure_row_is_the_headline_figure() {
    let doc = json!({"benefitsInformation": [
        {"code": "1", "serviceTypeCodes": ["30"]},
        {"code": "B", "serviceTypeCodes": ["AI"], "inPlanNetworkIndicatorCode": "Y", "benefitAmount": "45",
         "compositeMedicalProcedureIdentifier": {"productOrServiceIdQualifierCode": "HC", "procedureCode": "H0015"}}
    ]});

    assert_eq!(category(&json_answer(&doc).summary, "AI").in_network.copay_cents, Some(4_500));
}

#[test]
fn a_lifetime_deductible_is_a_note_and_the_calendar_year_one_is_the_deductible() {
    // Arrange: the lifetime row first, as the reviewer saw it.
    let answer = x12_answer(&["EB*1**30", "EB*C*IND*30***32*10000*****Y", "EB*C*IND*30***23*500*****Y"]);

    // Act
    let plan = category(&answer.summary, "30");

    // Assert
    assert_eq!(plan.in_network.deductible_individual.total_cents, Some(50_000));
    assert!(plan.messages.iter().any(|m| m.contains("$10,000.00") && m.contains("lifetime")), "{:?}", plan.messages);
}

#[test]
fn episode_and_admission_deductibles_never_become_the_period_total() {
    for code in ["26", "36", "27", "33", "30", "31", "7", "99"] {
        let doc = json!({"benefitsInformation": [
            {"code": "1", "serviceTypeCodes": ["30"]},
            {"code": "G", "serviceTypeCodes": ["30"], "benefitAmount": "750", "timeQualifierCode": code}
        ]});

        let plan = category(&json_answer(&doc).summary, "30").clone();

        assert!(plan.network_unspecified.out_of_pocket_individual.is_unknown(), "EB06 {code}: {plan:?}");
        assert!(plan.messages.iter().any(|m| m.contains("$750.00")), "EB06 {code} kept as a note: {plan:?}");
    }
}

#[test]
fn a_non_covered_row_marks_its_category_not_covered_and_says_so() {
    // Arrange
    let answer = x12_answer(&["EB*1**30", "EB*I**AI"]);

    // Act
    let substance = category(&answer.summary, "AI");
    let text = render_summary(&answer.summary);

    // Assert
    assert_eq!(substance.active, Some(false));
    assert!(substance.network_unspecified.not_covered);
    assert!(text.contains("[AI] Substance abuse: NOT covered"), "{text}");
    assert!(!text.contains("[AI] Substance abuse: status unknown"), "{text}");
}

#[test]
fn a_non_covered_out_of_network_tier_leaves_in_network_coverage_active() {
    let doc = json!({"benefitsInformation": [
        {"code": "1", "serviceTypeCodes": ["30"]},
        {"code": "I", "serviceTypeCodes": ["AK"], "inPlanNetworkIndicatorCode": "N"},
        {"code": "1", "serviceTypeCodes": ["AK"], "inPlanNetworkIndicatorCode": "Y"}
    ]});

    let summary = json_answer(&doc).summary;
    let text = render_summary(&summary);

    let drugs = category(&summary, "AK");
    assert_eq!(
        (drugs.active, drugs.in_network.not_covered, drugs.out_of_network.not_covered),
        (Some(true), false, true)
    );
    assert!(text.contains("out of network:     NOT covered"), "{text}");
}

#[test]
fn an_aaa_in_a_benefit_loop_is_a_category_rejection_and_the_category_is_not_active() {
    // Arrange: the reviewer's 271.
    let answer = x12_answer(&["EB*1**30", "EB*1**AI", "AAA*N**53*C"]);

    // Act
    let substance = category(&answer.summary, "AI");
    let text = render_summary(&answer.summary);

    // Assert
    assert_eq!(answer.finding, CoverageFinding::Active, "the member is still covered");
    assert_ne!(substance.active, Some(true));
    assert_eq!(substance.rejections.len(), 1, "{substance:?}");
    assert_eq!(substance.rejections[0].code, "53");
    assert_eq!(substance.rejections[0].follow_up, Some(FollowUpAction::CorrectAndResubmit));
    assert!(text.contains("AAA 53 Inquired Benefit Inconsistent with Provider Type"), "{text}");
    assert!(text.contains("Please Correct and Resubmit (C)"), "{text}");
}

#[test]
fn a_primary_care_provider_on_a_behavioural_row_is_not_the_carve_out_administrator() {
    let answer = x12_answer(&["EB*1**30", "EB*1**MH", "LS*2120", "NM1*P3*1*JONES*MARCUS", "LE*2120"]);

    let summary = &answer.summary;

    assert_eq!(summary.carve_out_administrator, None);
    assert!(
        category(summary, "MH").messages.iter().any(|m| m.contains("Primary Care Provider")),
        "{:?}",
        category(summary, "MH").messages
    );
}

#[test]
fn an_organisation_in_an_administrator_role_on_a_behavioural_row_is_the_carve_out_administrator() {
    let answer = x12_answer(&["EB*1**30", "EB*1**AI", "LS*2120", "NM1*VN*2*RIVER CITY RECOVERY NETWORK", "LE*2120"]);

    assert_eq!(answer.summary.carve_out_administrator.as_deref(), Some("RIVER CITY RECOVERY NETWORK"));
}

#[test]
fn an_other_adult_dependent_keeps_its_relationship() {
    let doc = json!({
        "subscriber": {"memberId": "SYNKY0612"},
        "dependents": [{"relationToSubscriberCode": "34"}],
        "benefitsInformation": [{"code": "1", "serviceTypeCodes": ["30"]}]
    });

    assert_eq!(json_answer(&doc).summary.dependent_relationship.as_deref(), Some("Other Adult"));
}

#[test]
fn an_unknown_follow_up_code_reaches_the_rejection_and_the_attempt_detail() {
    // Arrange: AAA 72 with a follow-up code outside the code list.
    let body = json!({"subscriber": {"aaaErrors": [{"field": "AAA", "code": "72", "followupAction": "Q"}]}});

    // Act
    let (result, _) = interpret_response(200, None, &body.to_string());
    let (failed, _) = interpret_response(
        200,
        None,
        &json!({"errors": [{"field": "AAA", "code": "43", "followupAction": "Q"}]}).to_string(),
    );

    // Assert
    let answer = answered(&result);
    let rejection = &answer.summary.rejections[0];
    assert_eq!((rejection.follow_up, rejection.follow_up_code.as_deref()), (None, Some("Q")));
    assert!(answer.attempt_detail().contains("follow-up Q"), "{}", answer.attempt_detail());
    let AttemptResult::Failed { detail, .. } = failed else { panic!("expected a failure") };
    assert!(detail.contains("follow-up code Q"), "{detail}");
}

#[test]
fn a_free_text_follow_up_is_still_not_kept_as_a_code() {
    let body = json!({"subscriber": {"aaaErrors": [{"field": "AAA", "code": "72",
        "followupAction": "call Jordan Sample at home"}]}});

    let (result, _) = interpret_response(200, None, &body.to_string());

    assert_eq!(answered(&result).summary.rejections[0].follow_up_code, None);
}

#[test]
fn a_request_timeout_from_the_carrier_is_transient_and_retried() {
    let (result, code) = interpret_response(408, Some(Duration::from_secs(3)), "{\"errors\":[]}");

    assert_eq!(failure_class(&result), AttemptResultClass::ServerError);
    assert_eq!(code.as_deref(), Some("HTTP:408"));
}

#[test]
fn the_qualified_rows_vector_reads_as_admissions_needs_it() {
    // Arrange
    let body = synthetic("ky_bluegrass_ppo_qualified_rows.json");

    // Act
    let answer = json_answer(&serde_json::from_str(&body).expect("json"));
    let summary = &answer.summary;
    let text = render_summary(summary);

    // Assert: calendar-year deductible, office copay per visit, inpatient and procedure rows as notes.
    assert_eq!(category(summary, "30").in_network.deductible_individual.total_cents, Some(50_000));
    let substance = category(summary, "AI");
    assert_eq!(substance.in_network.copay_cents, Some(3_500));
    assert!(text.contains("copay $35.00 per visit"), "{text}");
    assert!(substance.messages.iter().any(|m| m.contains("$500.00") && m.contains("per admission")), "{substance:?}");
    assert!(substance.messages.iter().any(|m| m.contains("H0020")), "{substance:?}");
    // Not covered out of network only; a refused CJ inquiry; a PCP who is not an administrator.
    assert!(category(summary, "AK").out_of_network.not_covered);
    assert_eq!(category(summary, "AK").active, Some(true));
    assert_eq!(category(summary, "CJ").rejections[0].code, "53");
    assert_ne!(category(summary, "CJ").active, Some(true));
    assert_eq!(summary.carve_out_administrator, None);
}
