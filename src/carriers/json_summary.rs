//! Normalisation of an eligibility JSON v3 answer (Change Healthcare / Stedi shape) that identified the member:
//! the coverage finding, the [`BenefitSummary`] admissions staff read, and the [`PlanFacts`] the screening rules
//! look at again. An X12 271 is converted into this same shape first, so everything here applies to both wire
//! formats; only documented v3 keys are read.
//!
//! Everything here reads a `serde_json::Value` defensively: payers send non-compliant values (numbers where
//! strings belong, a string where an array belongs, unknown codes), and nothing they send may panic or be
//! silently turned into a figure. Missing means unknown (`None`), never zero.
//!
//! Keys read:
//! * `planStatus[]` (`statusCode`, `planDetails`, `serviceTypeCodes`): several entries, for the plan (`30` or no
//!   service type) and per service type; each sets the activity of the categories it names.
//! * `benefitsInformation[]`: `code` (EB01), `coverageLevelCode` (EB02), `serviceTypeCodes`/`serviceTypes`
//!   (EB03), `insuranceTypeCode`/`insuranceType` (EB04), `planCoverage` (EB05), `timeQualifierCode`/
//!   `timeQualifier` (EB06), `benefitAmount` (EB07), `benefitPercent` (EB08), `quantityQualifierCode`/
//!   `quantityQualifier` (EB09), `benefitQuantity` (EB10), `authOrCertIndicator` (EB11),
//!   `inPlanNetworkIndicatorCode` (EB12), `additionalInformation[].description` (MSG), `benefitsDateInformation`
//!   (2110 DTP), `benefitsAdditionalInformation` (2110 REF), `benefitsServiceDelivery[]` (HSD:
//!   `quantityQualifierCode`, `quantity`, `unitForMeasurementCode`, `timePeriodQualifierCode`, `numOfPeriods`),
//!   `benefitsRelatedEntity` (Change Healthcare, one object) and `benefitsRelatedEntities` (Stedi, an array)
//!   (2120 NM1: `entityIdentifier`, `entityName`, `contactInformation.contacts[]`).
//! * `planDateInformation` (2100 DTP): `plan`, `planBegin`, `planEnd`, `eligibility`, `eligibilityBegin`,
//!   `eligibilityEnd`, `policyEffective`, `policyExpiration`, `service`, `premiumPaidToDateEnd`; every one may
//!   be a single `CCYYMMDD` date or a `CCYYMMDD-CCYYMMDD` range.
//! * `planInformation` (2100 REF), `subscriber`, `dependents[]` (when the patient is a dependent:
//!   `relationToSubscriber`), `payer.name`. AAA errors are read by the connector (`super::eligibility_json`).
//!
//! Codes used (X12 005010X279A1, as the JSON carries them):
//! * `benefitsInformation[].code` (EB01): `1`-`5` active coverage, `6`-`8` inactive, `A` co-insurance, `B`
//!   co-payment, `C` deductible, `G` out of pocket (stop loss), `F` limitations, `I` non-covered, `R` other or
//!   additional payer, `P` benefit disclaimer.
//! * `timeQualifierCode` (EB06): on deductible and out-of-pocket rows `29` remaining, `24` year to date (amount
//!   met), absent or `21`/`22`/`23`/`25` (years, contract) the total for the period; any other code (`32`
//!   lifetime, `26` episode, `36` admission, `30` exceeded, ...) is never the period's figure but a note with its
//!   period words. On a copay row, the copay's period (`27` visit, `36` admission; absent: unknown, not "per
//!   visit"). On a limitation row, `29` is the count remaining and any other code the period.
//! * Qualifiers (2115 III place of service in `eligibilityAdditionalInformationList`/
//!   `eligibilityAdditionalInformation`, EB13 `compositeMedicalProcedureIdentifier`, and on copay/coinsurance
//!   rows the first MSG): a cost row for an inpatient or residential place of service, a procedure other than
//!   an intensive outpatient one, or an inpatient message is a note naming its qualifier; unqualified and
//!   outpatient/office rows fill the figures admissions quotes.
//! * `aaaErrors` on a benefit row (an AAA inside a 2110 loop): the category's rejections; its status row then
//!   does not count as active.
//! * `quantityQualifierCode` (EB09): `VS` visits, `DY` days, `HS` hours, `MN` months, `YY` years, `P6`
//!   services, `99` quantity used (the remaining count is the limit less it), ...
//! * `coverageLevelCode` (EB02): `IND`, `EMP` (employee only), `SPO` (spouse only) or absent count as
//!   individual; `FAM`, `ESP`, `ECH`, `SPC`, `CHD`, `DEP`, `TWO`, `E1D`..`E9D` as family.
//! * `inPlanNetworkIndicatorCode` (EB12): `Y` in network, `N` out of network, `W` not applicable, `U` unknown;
//!   figures of `W`/`U`/absent rows are filed as "network not stated", and a category keeps its status row's
//!   code as its in-network indicator.
//! * `authOrCertIndicator` (EB11): `Y` prior authorisation required, `N` not required, `U` unknown.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use super::aaa;
use crate::domain::answer::follow_up_code;
use crate::domain::benefits::{category_rank, service_type_label};
use crate::domain::{
    Accumulator, BenefitSummary, CarrierRejection, CategoryBenefit, CostShare, CoverageFinding, FollowUpAction,
    NetworkIndicator, NetworkTier, PlanDates, PlanFacts, PlanStatus, VisitLimit,
};

pub use crate::domain::benefits::BEHAVIOURAL_HEALTH_CODES;

/// Reference identifiers in the answer (JSON key) and the X12 REF qualifier each stands for. Screening looks
/// at the qualifiers: a Medicaid recipient number (`NQ`) or a Medicare HIC number (`F6`) betrays a government
/// plan even when nothing else does.
pub const REFERENCE_KEYS: [(&str, &str); 10] = [
    ("groupNumber", "6P"),
    ("planNumber", "18"),
    ("planNetworkIdNumber", "N6"),
    ("policyNumber", "IG"),
    ("memberIdNumber", "1W"),
    ("familyUnitNumber", "49"),
    ("hicNumber", "F6"),
    ("medicareHicNumber", "F6"),
    // Change Healthcare's schema spells it "Recepient"; accept both spellings.
    ("medicaidRecepientIdNumber", "NQ"),
    ("medicaidRecipientIdNumber", "NQ"),
];

/// Behavioural-health administrators that carriers carve mental-health and substance-use benefits out to:
/// a lower-case fragment of the name as payers write it, and the name shown to admissions. A fragment matches
/// at a word start; pharmacy arms of the same companies (OptumRx, Magellan Rx, Express Scripts) are not listed.
pub const CARVE_OUT_ADMINISTRATORS: &[(&str, &str)] = &[
    ("carelon behavioral", "Carelon Behavioral Health"),
    ("carelon", "Carelon Behavioral Health"),
    ("beacon health", "Beacon Health Options (Carelon Behavioral Health)"),
    ("valueoptions", "ValueOptions (Carelon Behavioral Health)"),
    ("value options", "ValueOptions (Carelon Behavioral Health)"),
    ("optum behavioral", "Optum Behavioral Health"),
    ("optumhealth behavioral", "Optum Behavioral Health"),
    ("united behavioral", "United Behavioral Health (Optum)"),
    ("magellan behavioral", "Magellan Behavioral Health"),
    ("magellan health", "Magellan Health"),
    ("evernorth behavioral", "Evernorth Behavioral Health"),
    ("cigna behavioral", "Cigna Behavioral Health"),
    ("new directions", "New Directions Behavioral Health"),
    ("lucet", "Lucet"),
    ("compsych", "ComPsych"),
    ("managed health network", "Managed Health Network"),
    ("aetna behavioral", "Aetna Behavioral Health"),
    ("humana behavioral", "Humana Behavioral Health"),
    ("halcyon behavioral", "Halcyon Behavioral Health"),
];

// ---------------------------------------------------------------------------------------------------------
// Defensive accessors
// ---------------------------------------------------------------------------------------------------------

/// A field as text: a non-empty trimmed string, or a number written out. Anything else is absent.
pub(crate) fn text<'a>(value: &'a Value, key: &str) -> Option<Cow<'a, str>> {
    match value.get(key)? {
        Value::String(s) => {
            let trimmed = s.trim();
            (!trimmed.is_empty()).then_some(Cow::Borrowed(trimmed))
        }
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// A field as a slice of values: the array, or nothing.
pub(crate) fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    match value.get(key) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// A field that should be an array of strings; a lone string counts as a one-element list.
fn strings<'a>(value: &'a Value, key: &str) -> Vec<Cow<'a, str>> {
    match value.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) if !s.trim().is_empty() => Some(Cow::Borrowed(s.trim())),
                Value::Number(n) => Some(Cow::Owned(n.to_string())),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) if !s.trim().is_empty() => vec![Cow::Borrowed(s.trim())],
        _ => Vec::new(),
    }
}

/// The descriptions of a row's `additionalInformation` entries.
fn descriptions(row: &Value) -> Vec<Cow<'_, str>> {
    array(row, "additionalInformation").iter().filter_map(|info| text(info, "description")).collect()
}

/// Related entities of a row: `benefitsRelatedEntity` (Change Healthcare, an object) and
/// `benefitsRelatedEntities` (Stedi, an array).
fn related_entities(row: &Value) -> impl Iterator<Item = &Value> {
    let single = row.get("benefitsRelatedEntity").filter(|v| v.is_object());
    single.into_iter().chain(array(row, "benefitsRelatedEntities").iter().filter(|v| v.is_object()))
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !item.is_empty() && !list.iter().any(|existing| existing == item) {
        list.push(item.to_owned());
    }
}

// ---------------------------------------------------------------------------------------------------------
// Codes and values
// ---------------------------------------------------------------------------------------------------------

/// EB01 eligibility codes: `Some(true)` for active coverage (`1`-`5`), `Some(false)` for inactive (`6`-`8`).
pub fn status_code_activity(code: &str) -> Option<bool> {
    match code {
        "1" | "2" | "3" | "4" | "5" => Some(true),
        "6" | "7" | "8" => Some(false),
        _ => None,
    }
}

/// The network tier of an EB12 code.
pub fn network_tier(code: Option<&str>) -> NetworkTier {
    match code {
        Some("Y") => NetworkTier::InNetwork,
        Some("N") => NetworkTier::OutOfNetwork,
        _ => NetworkTier::Unspecified,
    }
}

/// True when an EB02 coverage level code covers a family rather than one person. Absent or unknown codes
/// count as individual: payers omit the level on individual figures far more often than on family ones.
pub fn is_family_level(code: Option<&str>) -> bool {
    match code {
        Some("FAM" | "ESP" | "ECH" | "SPC" | "CHD" | "DEP" | "TWO") => true,
        Some(other) => {
            let bytes = other.as_bytes();
            bytes.len() == 3 && bytes[0] == b'E' && bytes[1].is_ascii_digit() && bytes[2] == b'D'
        }
        None => false,
    }
}

/// Parses a money amount (`"4195.37"`, `"5500"`, `".5"`, or a JSON number) into whole cents, rounding half up
/// beyond two decimals. Negative, non-finite, malformed or absurdly large amounts are unknown (`None`).
pub fn parse_cents(raw: &str) -> Option<i64> {
    let raw = raw.trim().trim_start_matches('$').trim();
    if raw.is_empty() || raw.len() > 24 {
        return None;
    }
    if raw.contains(['e', 'E']) {
        let value: f64 = raw.parse().ok()?;
        return (value.is_finite() && (0.0..1e15).contains(&value)).then(|| (value * 100.0).round() as i64);
    }
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut digits = fraction.bytes().map(|b| i64::from(b - b'0'));
    let tens = digits.next().unwrap_or(0);
    let ones = digits.next().unwrap_or(0);
    let round_up = i64::from(digits.next().unwrap_or(0) >= 5);
    whole.checked_mul(100)?.checked_add(tens * 10 + ones + round_up)
}

/// Parses EB08 (`benefitPercent`, a fraction such as `".2"`) into a percentage (`20.0`). A value above 1 and
/// at most 100 is taken as already being a percentage (some payers send `"20"`); anything else is unknown.
pub fn parse_percent(raw: &str) -> Option<f64> {
    let raw = raw.trim().trim_end_matches('%').trim();
    if raw.is_empty() || raw.len() > 24 || !raw.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = raw.parse().ok()?;
    let percent = if value <= 1.0 {
        value * 100.0
    } else if value <= 100.0 {
        value
    } else {
        return None;
    };
    // Round away binary noise (0.1 * 100 = 10.000000000000002) without losing real precision.
    Some((percent * 10_000.0).round() / 10_000.0)
}

/// Parses an X12 date (`CCYYMMDD`, or already `CCYY-MM-DD`) into `YYYY-MM-DD`; impossible dates are `None`.
pub fn parse_date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let compact: String = match raw.len() {
        8 => raw.to_owned(),
        10 if raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-' => raw.replace('-', ""),
        _ => return None,
    };
    if compact.len() != 8 || !compact.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = compact[0..4].parse().ok()?;
    let month: u8 = compact[4..6].parse().ok()?;
    let day: u8 = compact[6..8].parse().ok()?;
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    Some(crate::domain::person::format_iso_date(date))
}

/// Parses a date or a range (`CCYYMMDD-CCYYMMDD`) into (begin, end); a single date is a begin date.
pub fn parse_date_or_range(raw: &str) -> (Option<String>, Option<String>) {
    let raw = raw.trim();
    if raw.len() == 17 && raw.as_bytes()[8] == b'-' {
        return (parse_date(&raw[..8]), parse_date(&raw[9..]));
    }
    (parse_date(raw), None)
}

fn format_cents(cents: i64) -> String {
    crate::report::money(Some(cents))
}

fn tier_words(tier: NetworkTier) -> &'static str {
    tier.words()
}

/// Parses a quantity (EB10, HSD02: a decimal such as `"30"`, `"2.5"`, or a JSON number). Negative, malformed
/// or absurdly large quantities are unknown.
pub fn parse_quantity(raw: &str) -> Option<f64> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 15 || !raw.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = raw.parse().ok()?;
    (value.is_finite() && value <= 1e9).then_some(value)
}

pub use super::x12::codes::quantity_unit_words;

/// An X12 time period qualifier (EB06, HSD05; code list 615) in words (the shared table in
/// [`super::x12::codes`]).
pub fn period_words(code: &str) -> Option<&'static str> {
    super::x12::codes::time_period_words(code)
}

// ---------------------------------------------------------------------------------------------------------
// Finding
// ---------------------------------------------------------------------------------------------------------

/// True when a status entry applies to the whole plan: it names service type `30`, or no service type.
fn is_plan_level(entry: &Value) -> bool {
    let codes = strings(entry, "serviceTypeCodes");
    codes.is_empty() || codes.iter().any(|code| code == "30")
}

/// Whether the answer says the coverage is active: from `planStatus[].statusCode` and the status rows of
/// `benefitsInformation[]`. Plan-level entries decide when there are any (active if any of them is active:
/// a member with an ended plan and a current one is covered); otherwise any entry does. `None` when the
/// answer carries no status at all.
pub fn coverage_finding(doc: &Value) -> Option<CoverageFinding> {
    let statuses = array(doc, "planStatus")
        .iter()
        .filter_map(|entry| Some((is_plan_level(entry), status_code_activity(&text(entry, "statusCode")?)?)))
        .chain(
            array(doc, "benefitsInformation")
                .iter()
                // A status row with an AAA of its own is a refused inquiry, not a coverage status.
                .filter(|row| benefit_rejections(row).is_empty())
                .filter_map(|row| Some((is_plan_level(row), status_code_activity(&text(row, "code")?)?))),
        );
    let (mut plan_level, mut any_level) = (None::<bool>, None::<bool>);
    for (plan, active) in statuses {
        if plan {
            plan_level = Some(plan_level.unwrap_or(false) || active);
        }
        any_level = Some(any_level.unwrap_or(false) || active);
    }
    plan_level.or(any_level).map(|active| if active { CoverageFinding::Active } else { CoverageFinding::Inactive })
}

// ---------------------------------------------------------------------------------------------------------
// Plan facts
// ---------------------------------------------------------------------------------------------------------

/// The answering payer's name (`payer.name`, or `payer.organizationName` as some payers send it).
pub fn payer_name(doc: &Value) -> Option<String> {
    let payer = doc.get("payer")?;
    text(payer, "name")
        .or_else(|| text(payer, "organizationName"))
        .filter(|name| !name.eq_ignore_ascii_case("unknown"))
        .map(Cow::into_owned)
}

/// The government-plan evidence in an answer: every insurance type code, plan description and related entity
/// name, the reference qualifiers present, and the payer's name. Raw texts, for the screening rules (data) to
/// judge.
///
/// An other-payer row (EB01 `R`) whose entity pays after the answering plan ("Secondary Payer: MEDICARE")
/// contributes nothing: the commercial plan is primary, and a wrong refusal loses a patient. A primary or
/// unstated other payer counts with its insurance type, plan description and name.
pub fn plan_facts(doc: &Value) -> PlanFacts {
    let mut facts = PlanFacts::default();
    for entry in array(doc, "planStatus") {
        if let Some(details) = text(entry, "planDetails") {
            push_unique(&mut facts.plan_descriptions, &details);
        }
    }
    for row in array(doc, "benefitsInformation") {
        let secondary_payer_row =
            text(row, "code").as_deref() == Some("R") && related_entities(row).any(pays_after_this_plan);
        if secondary_payer_row {
            continue;
        }
        if let Some(code) = text(row, "insuranceTypeCode") {
            push_unique(&mut facts.insurance_type_codes, &code);
        }
        for key in ["planCoverage", "insuranceType"] {
            if let Some(description) = text(row, key) {
                push_unique(&mut facts.plan_descriptions, &description);
            }
        }
        for entity in related_entities(row).filter(|entity| !pays_after_this_plan(entity)) {
            if let Some(name) = entity_name(entity) {
                push_unique(&mut facts.related_entity_names, &name);
            }
        }
        if let Some(info) = row.get("benefitsAdditionalInformation") {
            collect_reference_qualifiers(info, &mut facts.reference_qualifiers);
        }
    }
    if let Some(plan) = doc.get("planInformation") {
        for key in ["planDescription", "groupDescription"] {
            if let Some(description) = text(plan, key) {
                push_unique(&mut facts.plan_descriptions, &description);
            }
        }
        collect_reference_qualifiers(plan, &mut facts.reference_qualifiers);
    }
    if let Some(subscriber) = doc.get("subscriber") {
        collect_reference_qualifiers(subscriber, &mut facts.reference_qualifiers);
    }
    for dependent in array(doc, "dependents") {
        collect_reference_qualifiers(dependent, &mut facts.reference_qualifiers);
        if let Some(plan) = dependent.get("planInformation") {
            collect_reference_qualifiers(plan, &mut facts.reference_qualifiers);
        }
    }
    if let Some(name) = payer_name(doc) {
        push_unique(&mut facts.payer_names, &name);
    }
    facts
}

fn collect_reference_qualifiers(object: &Value, out: &mut Vec<String>) {
    for (key, qualifier) in REFERENCE_KEYS {
        if text(object, key).is_some() {
            push_unique(out, qualifier);
        }
    }
}

/// True for an other-payer row whose role says it pays after the answering plan (X12 NM101 `PR` with a secondary
/// or tertiary role, e.g. "Secondary Payer: MEDICARE"): the commercial plan is primary, so naming Medicare there
/// is no reason to refuse the applicant. A wrong refusal loses a patient; primary or unstated roles still count.
fn pays_after_this_plan(entity: &Value) -> bool {
    text(entity, "entityIdentifier").is_some_and(|role| {
        let role = role.to_ascii_lowercase();
        role.contains("secondary") || role.contains("tertiary")
    })
}

/// An entity's name: an organisation's `entityName`, or a person's first and last name.
fn entity_name(entity: &Value) -> Option<String> {
    let last = text(entity, "entityName")?;
    Some(match text(entity, "entityFirstname").or_else(|| text(entity, "entityFirstName")) {
        Some(first) => format!("{first} {last}"),
        None => last.into_owned(),
    })
}

// ---------------------------------------------------------------------------------------------------------
// Carve-out administrators
// ---------------------------------------------------------------------------------------------------------

/// The administrator a text names: a listed brand ([`CARVE_OUT_ADMINISTRATORS`], matched at a word start,
/// case-insensitively), else `None`.
pub fn known_carve_out(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    CARVE_OUT_ADMINISTRATORS.iter().find_map(|(fragment, name)| {
        lower
            .match_indices(fragment)
            .any(|(at, _)| at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric())
            .then_some(*name)
    })
}

/// True when an entity's own name says it is a behavioural-health company.
fn names_behavioural_health(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["behavioral health", "behavioural health", "mental health", "behavioral services"]
        .iter()
        .any(|word| lower.contains(word))
}

/// A telephone number from an entity's `contactInformation.contacts[]` (communication mode "Telephone" or
/// `TE`), written `NNN-NNN-NNNN` when it has ten digits. A company's number, not PHI.
fn entity_phone(entity: &Value) -> Option<String> {
    let contacts = entity.get("contactInformation").map(|info| array(info, "contacts")).unwrap_or_default();
    contacts.iter().find_map(|contact| {
        let mode = text(contact, "communicationMode")?.to_ascii_lowercase();
        if !(mode.contains("telephone") || mode == "te" || mode.contains("phone")) {
            return None;
        }
        let number = text(contact, "communicationNumber")?;
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let digits = digits.strip_prefix('1').filter(|rest| rest.len() == 10).map_or(digits.as_str(), |d| d);
        (digits.len() == 10).then(|| format!("{}-{}-{}", &digits[..3], &digits[3..6], &digits[6..]))
    })
}

/// X12 2120 NM101 entity identifier codes of the roles in which an organisation administers benefits for the
/// answering plan: `13` contracted service provider, `1I` preferred provider organisation, `2B` third-party
/// administrator, `PR` payer, `PRP` primary payer, `VN` vendor, `X3` utilisation management organisation, `Y2`
/// managed care organisation. A primary care provider (`P3`), a provider (`1P`), a secondary or tertiary payer
/// and the like are never the carve-out administrator.
pub const ADMINISTRATOR_ROLES: [&str; 8] = ["13", "1I", "2B", "PR", "PRP", "VN", "X3", "Y2"];

/// True when an entity's role (`entityIdentifier`: the NM101 code, or its name as the v3 JSON writes it) is one
/// of [`ADMINISTRATOR_ROLES`].
fn in_administrator_role(entity: &Value) -> bool {
    let Some(role) = text(entity, "entityIdentifier") else { return false };
    ADMINISTRATOR_ROLES.iter().any(|code| {
        role.as_ref() == *code
            || super::x12::codes::entity_identifier(code).is_some_and(|name| name.eq_ignore_ascii_case(&role))
    })
}

/// True when an entity is a person (NM102 `1`, "Person", or a first name given): never an administrator.
fn is_person(entity: &Value) -> bool {
    let kind = text(entity, "entityType");
    kind.as_deref().is_some_and(|k| k == "1" || k.eq_ignore_ascii_case("person"))
        || text(entity, "entityFirstname").or_else(|| text(entity, "entityFirstName")).is_some()
}

/// True when an entity is an organisation (NM102 `2`, "Non-Person Entity").
fn is_organisation(entity: &Value) -> bool {
    text(entity, "entityType").is_some_and(|k| k.as_ref() == "2" || k.eq_ignore_ascii_case("non-person entity"))
}

/// True when a related entity may be named as the carve-out administrator: a listed administrator or a company
/// calling itself a behavioural-health company (not a person), or an organisation in an administrator role on a
/// behavioural-health row.
fn is_administrator(entity: &Value, behavioural_row: bool) -> bool {
    let Some(name) = entity_name(entity) else { return false };
    if is_person(entity) {
        return false;
    }
    known_carve_out(&name).is_some()
        || names_behavioural_health(&name)
        || (behavioural_row && is_organisation(entity) && in_administrator_role(entity))
}

fn is_behavioural_row(row: &Value) -> bool {
    strings(row, "serviceTypeCodes").iter().any(|code| BEHAVIOURAL_HEALTH_CODES.contains(&code.as_ref()))
}

/// The behavioural-health carve-out administrator, strongest evidence first: a related entity (on any row) that
/// is a listed administrator or calls itself a behavioural-health company; an organisation in an administrator
/// role ([`ADMINISTRATOR_ROLES`]) on a behavioural-health row; a listed administrator named in a
/// behavioural-health row's messages. People (a primary care provider, say) never are. Returns the name and the
/// entity's telephone number when it has one.
fn carve_out(rows: &[Value]) -> Option<(String, Option<String>)> {
    let entities = || rows.iter().flat_map(|row| related_entities(row).map(move |entity| (row, entity)));
    let is_behavioural = |row: &Value| is_behavioural_row(row);
    let named = |entity: &Value| entity_name(entity).filter(|name| !name.eq_ignore_ascii_case("unknown"));
    if let Some((name, entity)) = entities().filter(|(_, entity)| !is_person(entity)).find_map(|(_, entity)| {
        let name = named(entity)?;
        match known_carve_out(&name) {
            Some(known) => Some((known.to_owned(), entity)),
            None => names_behavioural_health(&name).then_some((name, entity)),
        }
    }) {
        return Some((name, entity_phone(entity)));
    }
    if let Some((name, entity)) = entities()
        .filter(|(row, entity)| is_behavioural(row) && is_administrator(entity, true))
        .find_map(|(_, entity)| Some((named(entity)?, entity)))
    {
        return Some((name, entity_phone(entity)));
    }
    rows.iter()
        .filter(|row| is_behavioural(row))
        .flat_map(descriptions)
        .find_map(|note| known_carve_out(&note))
        .map(|name| (name.to_owned(), None))
}

// ---------------------------------------------------------------------------------------------------------
// Benefit summary
// ---------------------------------------------------------------------------------------------------------

/// Which accumulator a row feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AccumulatorKind {
    Deductible,
    OutOfPocket,
}

/// A limitation row's count that belongs to a limit stated in another row: what remains (EB06 `29`) or what
/// was used (EB09 `99`).
#[derive(Debug, Clone)]
struct LimitCount {
    index: usize,
    tier: NetworkTier,
    unit_code: Option<String>,
    quantity: f64,
    used: bool,
}

#[derive(Default)]
struct SummaryBuilder {
    categories: Vec<CategoryBenefit>,
    index: HashMap<String, usize>,
    /// Amounts met so far (time qualifier 24), turned into "remaining" at the end when the payer sent a total
    /// but no remaining figure. Key: (category index, tier, kind, family).
    met: HashMap<(usize, NetworkTier, AccumulatorKind, bool), i64>,
    /// Remaining and used counts, matched to their limits at the end (the payer may send them first).
    counts: Vec<LimitCount>,
    messages: Vec<String>,
    /// Categories an active status row without an AAA of its own made active: a category whose inquiry the
    /// carrier rejected stays active only when such a row says so.
    confirmed_active: std::collections::HashSet<usize>,
}

impl SummaryBuilder {
    fn category(&mut self, code: &str, payer_label: Option<&str>) -> usize {
        if let Some(&index) = self.index.get(code) {
            return index;
        }
        let known = service_type_label(code);
        let label = match (known, payer_label) {
            ("Other service type", Some(label)) => label.to_owned(),
            _ => known.to_owned(),
        };
        self.categories.push(CategoryBenefit {
            service_type_code: code.to_owned(),
            label,
            ..CategoryBenefit::default()
        });
        let index = self.categories.len() - 1;
        self.index.insert(code.to_owned(), index);
        index
    }
}

/// Sets a figure when it is unknown; a different second figure for the same slot (a payer listing a specialist
/// copay after the office copay, say) is kept as a message instead of being lost or overwriting the first.
fn set_or_note<T: PartialEq + Copy>(
    slot: &mut Option<T>,
    value: T,
    messages: &mut Vec<String>,
    describe: impl FnOnce() -> String,
) {
    match slot {
        None => *slot = Some(value),
        Some(existing) if *existing == value => {}
        Some(_) => push_unique(messages, &describe()),
    }
}

/// Normalises an answer that identified the member into the benefit summary.
pub fn summarise(doc: &Value) -> BenefitSummary {
    let finding = coverage_finding(doc);
    let rows = array(doc, "benefitsInformation");
    let mut builder = SummaryBuilder::default();

    for row in rows {
        let Some(code) = text(row, "code") else { continue };
        let code = code.as_ref();
        let service_codes = strings(row, "serviceTypeCodes");
        let service_names = strings(row, "serviceTypes");
        let indicator = text(row, "inPlanNetworkIndicatorCode").as_deref().and_then(NetworkIndicator::from_code);
        let tier = indicator.map_or(NetworkTier::Unspecified, NetworkIndicator::tier);
        let notes = descriptions(row);

        // Rows that name no service type: status and cost figures apply to the plan (30); anything else
        // (disclaimers, other sources of data, other payers) is a plan-wide message.
        let is_figure = status_code_activity(code).is_some() || matches!(code, "A" | "B" | "C" | "G" | "F" | "I");
        let targets: Vec<Cow<'_, str>> = if !service_codes.is_empty() {
            service_codes.clone()
        } else if is_figure {
            vec![Cow::Borrowed("30")]
        } else {
            plan_wide_messages(row, code, &notes, &mut builder.messages);
            continue;
        };

        for (position, target) in targets.iter().enumerate() {
            let payer_label = service_names.get(position).map(Cow::as_ref);
            let index = builder.category(target, payer_label);
            apply_row(&mut builder, index, row, code, indicator, tier, &notes);
        }
    }

    // planStatus entries: the plan (30) or the service types they list. Any active entry makes its category
    // active, as with status rows.
    let mut plan_statuses = Vec::new();
    for entry in array(doc, "planStatus") {
        let Some(status_code) = text(entry, "statusCode") else { continue };
        let active = status_code_activity(&status_code);
        let service_type_codes: Vec<String> =
            strings(entry, "serviceTypeCodes").into_iter().map(Cow::into_owned).collect();
        if let Some(active) = active {
            let targets =
                if service_type_codes.is_empty() { vec!["30".to_owned()] } else { service_type_codes.clone() };
            for target in &targets {
                let index = builder.category(target, None);
                let category = &mut builder.categories[index];
                category.active = Some(category.active.unwrap_or(false) || active);
            }
        }
        plan_statuses.push(PlanStatus {
            status_code: status_code.into_owned(),
            active,
            plan_details: text(entry, "planDetails").map(Cow::into_owned),
            service_type_codes,
        });
    }

    // Remaining = total - met, where the payer reported the amount met instead of what is left.
    let met = std::mem::take(&mut builder.met);
    for ((index, tier, kind, family), met_cents) in met {
        let accumulator = accumulator_mut(builder.categories[index].tier_mut(tier), kind, family);
        if let (Some(total), None) = (accumulator.total_cents, accumulator.remaining_cents) {
            accumulator.remaining_cents = Some((total - met_cents).max(0));
        }
    }
    resolve_limit_counts(&mut builder);
    // A category whose inquiry the carrier rejected (an AAA in its benefit loop) is not active on the strength
    // of the rejected row or of a `planStatus` entry repeating it: unknown, unless a clean row says active.
    for (index, category) in builder.categories.iter_mut().enumerate() {
        if !category.rejections.is_empty()
            && category.active == Some(true)
            && !builder.confirmed_active.contains(&index)
        {
            category.active = None;
        }
    }

    let mut categories = builder.categories;
    categories.sort_by_key(|category| category_rank(&category.service_type_code));

    let plan_dates = plan_dates(doc);
    let plan_row_dates = plan_status_row_dates(rows);
    let (carve_out_administrator, carve_out_phone) = match carve_out(rows) {
        Some((name, phone)) => (Some(name), phone),
        None => (None, None),
    };
    let (patient_is_dependent, dependent_relationship) = patient(doc);
    BenefitSummary {
        plan_name: plan_name(doc),
        group_number: group_number(doc),
        coverage_active: finding.map(|f| f == CoverageFinding::Active),
        plan_begin_date: plan_dates.plan_begin.clone().or(plan_dates.eligibility_begin.clone()).or(plan_row_dates.0),
        plan_end_date: plan_dates.plan_end.clone().or(plan_dates.eligibility_end.clone()).or(plan_row_dates.1),
        insurance_type_code: insurance_type_code(doc),
        categories,
        carve_out_administrator,
        messages: builder.messages,
        plan_dates,
        plan_statuses,
        payer_name: payer_name(doc),
        patient_is_dependent,
        dependent_relationship,
        carve_out_phone,
        rejections: Vec::new(),
    }
}

/// Whether the answer is about a dependent: `dependents[]` present (the benefits then apply to the dependent),
/// with its relationship to the policy holder; a `subscriber` alone means the policy holder.
fn patient(doc: &Value) -> (Option<bool>, Option<String>) {
    if let Some(dependent) = array(doc, "dependents").iter().find(|d| d.is_object()) {
        let relationship = text(dependent, "relationToSubscriber")
            .or_else(|| text(dependent, "relationToSubscriberCode").and_then(|code| relationship_words(&code)))
            .map(Cow::into_owned);
        return (Some(true), relationship);
    }
    (doc.get("subscriber").filter(|s| s.is_object()).map(|_| false), None)
}

/// An X12 individual relationship code (INS02) in words, from the table the X12 path uses too.
fn relationship_words(code: &str) -> Option<Cow<'static, str>> {
    super::x12::codes::relationship(code).map(Cow::Borrowed)
}

/// Remaining and used counts of limitation rows, attached to the limit of the same category, tier and unit (or
/// a limit with no unit); a count with no such limit becomes a limit of its own that knows only what remains.
fn resolve_limit_counts(builder: &mut SummaryBuilder) {
    let counts = std::mem::take(&mut builder.counts);
    // Remaining counts first: a payer that sends both a remaining and a used count is believed on the first.
    let (remaining, used): (Vec<LimitCount>, Vec<LimitCount>) = counts.into_iter().partition(|count| !count.used);
    for count in remaining.into_iter().chain(used) {
        let limits = &mut builder.categories[count.index].visit_limits;
        let same_unit = |limit: &VisitLimit| {
            limit.unit_code.is_none() || count.unit_code.is_none() || limit.unit_code == count.unit_code
        };
        let target = limits.iter_mut().find(|limit| {
            limit.network == count.tier && same_unit(limit) && limit.remaining.is_none() && limit.quantity.is_some()
        });
        match (target, count.used) {
            (Some(limit), false) => limit.remaining = Some(count.quantity),
            (Some(limit), true) => {
                limit.remaining = limit.quantity.map(|total| (total - count.quantity).max(0.0));
            }
            (None, false) => limits.push(VisitLimit {
                unit: count.unit_code.as_deref().and_then(quantity_unit_words).map(str::to_owned),
                unit_code: count.unit_code,
                remaining: Some(count.quantity),
                network: count.tier,
                ..VisitLimit::default()
            }),
            // A used count with no limit to subtract it from says nothing about what is left.
            (None, true) => {}
        }
    }
}

/// Plan-wide messages from a row without service types: its descriptions, and the other payer it names.
fn plan_wide_messages(row: &Value, code: &str, notes: &[Cow<'_, str>], messages: &mut Vec<String>) {
    for note in notes {
        push_unique(messages, note);
    }
    if code == "R" {
        for entity in related_entities(row) {
            if let Some(name) = entity_name(entity) {
                let role = text(entity, "entityIdentifier").map_or(Cow::Borrowed("Other payer"), |r| r);
                push_unique(messages, &format!("{role}: {name}"));
            }
        }
    }
}

fn accumulator_mut(share: &mut CostShare, kind: AccumulatorKind, family: bool) -> &mut Accumulator {
    match (kind, family) {
        (AccumulatorKind::Deductible, false) => &mut share.deductible_individual,
        (AccumulatorKind::Deductible, true) => &mut share.deductible_family,
        (AccumulatorKind::OutOfPocket, false) => &mut share.out_of_pocket_individual,
        (AccumulatorKind::OutOfPocket, true) => &mut share.out_of_pocket_family,
    }
}

/// The cost share of one tier and the category's messages, borrowed together.
fn share_and_messages(category: &mut CategoryBenefit, tier: NetworkTier) -> (&mut CostShare, &mut Vec<String>) {
    let share = match tier {
        NetworkTier::InNetwork => &mut category.in_network,
        NetworkTier::OutOfNetwork => &mut category.out_of_network,
        NetworkTier::Unspecified => &mut category.network_unspecified,
    };
    (share, &mut category.messages)
}

/// A date or range from a `benefitsDateInformation` / `planDateInformation` object: the `range_key` (a date or
/// a range), else the `begin_key` (which may itself be a range) and `end_key`.
fn dates_from(object: &Value, range_key: &str, begin_key: &str, end_key: &str) -> (Option<String>, Option<String>) {
    let (range_begin, range_end) = text(object, range_key).map_or((None, None), |raw| parse_date_or_range(&raw));
    let (begin, begin_end) = text(object, begin_key).map_or((None, None), |raw| parse_date_or_range(&raw));
    let end = text(object, end_key).and_then(|raw| parse_date_or_range(&raw).0);
    (range_begin.or(begin), range_end.or(begin_end).or(end))
}

/// The coverage dates a status row carries for itself (`benefitsDateInformation`): plan, then eligibility,
/// then benefit period.
fn row_coverage_dates(row: &Value) -> (Option<String>, Option<String>) {
    let Some(dates) = row.get("benefitsDateInformation").filter(|d| d.is_object()) else { return (None, None) };
    let plan = dates_from(dates, "plan", "planBegin", "planEnd");
    let eligibility = dates_from(dates, "eligibility", "eligibilityBegin", "eligibilityEnd");
    let benefit = dates_from(dates, "benefit", "benefitBegin", "benefitEnd");
    (plan.0.or(eligibility.0).or(benefit.0), plan.1.or(eligibility.1).or(benefit.1))
}

/// The dates of the plan-level status rows (active ones first), for answers without `planDateInformation`.
fn plan_status_row_dates(rows: &[Value]) -> (Option<String>, Option<String>) {
    let status = |row: &&Value, want_active: bool| {
        is_plan_level(row)
            && text(row, "code").as_deref().and_then(status_code_activity).is_some_and(|active| active || !want_active)
    };
    for want_active in [true, false] {
        for row in rows.iter().filter(|row| status(row, want_active)) {
            let dates = row_coverage_dates(row);
            if dates.0.is_some() || dates.1.is_some() {
                return dates;
            }
        }
    }
    (None, None)
}

/// Applies one benefit row to one category.
fn apply_row(
    builder: &mut SummaryBuilder,
    index: usize,
    row: &Value,
    code: &str,
    indicator: Option<NetworkIndicator>,
    tier: NetworkTier,
    notes: &[Cow<'_, str>],
) {
    let row_name = text(row, "name");
    let qualifier = notes.first().map(|note| format!(" ({note})")).unwrap_or_default();
    let context = format!("{}, {}", row_name.as_deref().unwrap_or(code), tier_words(tier));
    let rejections = benefit_rejections(row);
    let category = &mut builder.categories[index];
    // Judged per category, not per row: a row naming 30 and AI says the same as one row for each.
    let behavioural = BEHAVIOURAL_HEALTH_CODES.contains(&category.service_type_code.as_str());
    for rejection in &rejections {
        if !category.rejections.contains(rejection) {
            category.rejections.push(rejection.clone());
        }
    }
    // Related entities that are not the carve-out administrator (a primary care provider, another payer) are
    // kept as messages naming their role.
    for entity in related_entities(row).filter(|entity| !is_administrator(entity, behavioural)) {
        if let Some(name) = entity_name(entity) {
            let role = text(entity, "entityIdentifier").map_or(Cow::Borrowed("Related entity"), |r| r);
            push_unique(&mut category.messages, &format!("{role}: {name}"));
        }
    }

    match text(row, "authOrCertIndicator").as_deref() {
        Some("Y") => category.prior_authorization_required = Some(true),
        Some("N") if category.prior_authorization_required.is_none() => {
            category.prior_authorization_required = Some(false);
        }
        _ => {}
    }

    if let Some(active) = status_code_activity(code) {
        if rejections.is_empty() {
            category.active = Some(category.active.unwrap_or(false) || active);
            if active {
                builder.confirmed_active.insert(index);
            }
        }
        let category = &mut builder.categories[index];
        // The category's own network indicator and dates come from its status rows (an active one first).
        if active || category.network_indicator.is_none() {
            category.network_indicator = indicator.or(category.network_indicator);
        }
        let (begin, end) = row_coverage_dates(row);
        if active || category.coverage_begin_date.is_none() {
            category.coverage_begin_date = begin.or(category.coverage_begin_date.take());
            category.coverage_end_date = end.or(category.coverage_end_date.take());
        }
        for note in notes {
            push_unique(&mut category.messages, note);
        }
        // A status row with a delivery pattern ("covered, 20 visits per calendar year") states a limit too.
        let delivery = service_delivery(row, tier, notes);
        apply_delivery(builder, index, tier, delivery);
        return;
    }

    // A cost row qualified by an inpatient place of service, a procedure or an inpatient message is not the
    // figure an outpatient programme quotes: it becomes a note naming its qualifier.
    if matches!(code, "A" | "B" | "C" | "G")
        && let Some(setting) = qualified_setting(row, code, notes)
    {
        if let Some(figure) = cost_figure(row, code) {
            push_unique(&mut category.messages, &format!("{figure}, {} ({setting})", tier_words(tier)));
        }
        return;
    }

    match code {
        "A" => {
            if let Some(percent) = text(row, "benefitPercent").as_deref().and_then(parse_percent) {
                let (share, messages) = share_and_messages(category, tier);
                set_or_note(&mut share.coinsurance_percent, percent, messages, || {
                    format!("Also co-insurance {percent}% {}{qualifier}", tier_words(tier))
                });
            }
        }
        "B" => {
            if let Some(cents) = text(row, "benefitAmount").as_deref().and_then(parse_cents) {
                let (period_code, period) = row_period(row);
                let per = period.as_deref().map(|p| format!(" per {p}")).unwrap_or_default();
                let (share, messages) = share_and_messages(category, tier);
                if share.copay_cents.is_none() {
                    // The period belongs to the amount it qualifies.
                    share.copay_period_code = period_code;
                    share.copay_period = period;
                }
                set_or_note(&mut share.copay_cents, cents, messages, || {
                    format!("Also co-payment {}{per} {}{qualifier}", format_cents(cents), tier_words(tier))
                });
            }
        }
        "C" | "G" => {
            let kind = if code == "C" { AccumulatorKind::Deductible } else { AccumulatorKind::OutOfPocket };
            let family = is_family_level(text(row, "coverageLevelCode").as_deref());
            if let Some(cents) = text(row, "benefitAmount").as_deref().and_then(parse_cents) {
                match text(row, "timeQualifierCode").as_deref() {
                    Some("29") => {
                        let (share, messages) = share_and_messages(category, tier);
                        let slot = &mut accumulator_mut(share, kind, family).remaining_cents;
                        set_or_note(slot, cents, messages, || {
                            format!("Also {context}: {} remaining{qualifier}", format_cents(cents))
                        });
                    }
                    Some("24") => {
                        builder.met.entry((index, tier, kind, family)).or_insert(cents);
                    }
                    // Only a year (or the contract, whose period is the plan's) is the period total admissions
                    // quotes. Lifetime, episode, admission, visit, exceeded, ... figures are notes with their
                    // period words, never the deductible or out-of-pocket maximum.
                    Some(period) if !is_period_total(period) => {
                        if let Some(figure) = cost_figure(row, code) {
                            push_unique(&mut category.messages, &format!("{figure}, {}{qualifier}", tier_words(tier)));
                        }
                    }
                    _ => {
                        let (share, messages) = share_and_messages(category, tier);
                        let slot = &mut accumulator_mut(share, kind, family).total_cents;
                        set_or_note(slot, cents, messages, || {
                            format!("Also {context}: {} total{qualifier}", format_cents(cents))
                        });
                    }
                }
            }
        }
        "F" => {
            let limit = limitation_text(row, notes, tier);
            if !limit.is_empty() {
                push_unique(&mut category.limits, &limit);
            }
            apply_limitation(builder, index, row, tier, notes);
            return;
        }
        "I" => {
            category.tier_mut(tier).not_covered = true;
            // Not covered whatever the network: the category is not active, unless a status row says it is.
            if tier == NetworkTier::Unspecified && category.active.is_none() {
                category.active = Some(false);
            }
            push_unique(&mut category.messages, &format!("Not covered {}", tier_words(tier)));
        }
        _ => {}
    }
    let category = &mut builder.categories[index];
    for note in notes {
        push_unique(&mut category.messages, &format!("{context}: {note}"));
    }
}

/// True for the EB06 codes whose accumulator figure is the period total: absent (handled by the caller), `21`
/// years, `22` service year, `23` calendar year, `25` contract (the contract period is the plan period).
fn is_period_total(code: &str) -> bool {
    matches!(code, "21" | "22" | "23" | "25")
}

/// A row's EB06 period: the code, and its words (from the code, else the payer's own text).
fn row_period(row: &Value) -> (Option<String>, Option<String>) {
    let code = text(row, "timeQualifierCode").map(Cow::into_owned);
    let words = code
        .as_deref()
        .and_then(period_words)
        .map(str::to_owned)
        .or_else(|| text(row, "timeQualifier").map(|p| period_in_words(&p)));
    (code, words)
}

/// A cost row's figure in words with its period: "Co-payment $500.00 per admission", "Deductible $10,000.00 per
/// lifetime", "Out of pocket $200.00 (lifetime remaining)". `None` when the row carries no figure.
fn cost_figure(row: &Value, code: &str) -> Option<String> {
    let figure = match code {
        "A" => format!("{}%", text(row, "benefitPercent").as_deref().and_then(parse_percent)?),
        _ => format_cents(text(row, "benefitAmount").as_deref().and_then(parse_cents)?),
    };
    let kind = match code {
        "A" => "Co-insurance",
        "B" => "Co-payment",
        "C" => "Deductible",
        _ => "Out of pocket",
    };
    let family = if is_family_level(text(row, "coverageLevelCode").as_deref()) { " (family)" } else { "" };
    let period = match row_period(row) {
        // States, not periods: "remaining", "exceeded", "year to date", ...
        (Some(code), Some(words)) if matches!(code.as_str(), "24" | "28" | "29" | "30" | "31" | "33") => {
            format!(" ({words})")
        }
        (_, Some(words)) => format!(" per {words}"),
        (Some(code), None) => format!(" (time period {code})"),
        (None, None) => String::new(),
    };
    Some(format!("{kind}{family} {figure}{period}"))
}

/// X12 place of service codes (CMS list, sent in a 2115 `III*ZZ*<code>`) an outpatient programme's figures come
/// from: office, outpatient hospital, clinics, community mental health, non-residential substance-use and opioid
/// treatment.
const OUTPATIENT_PLACES: [&str; 9] = ["11", "19", "22", "49", "50", "53", "57", "58", "71"];

/// Procedure codes (HCPCS) of an intensive outpatient programme itself: `H0015` alcohol and/or drug services,
/// intensive outpatient; `S9480` intensive outpatient psychiatric services. A row for one of them is exactly the
/// figure this clinic quotes, so it may fill the headline; any other procedure code makes its row a note.
const INTENSIVE_OUTPATIENT_PROCEDURES: [&str; 2] = ["H0015", "S9480"];

/// A place of service code in words, for the note naming a qualified row.
fn place_of_service_words(code: &str) -> Option<&'static str> {
    Some(match code {
        "02" | "10" => "telehealth",
        "11" => "office",
        "12" => "home",
        "19" | "22" => "outpatient hospital",
        "20" => "urgent care facility",
        "21" => "inpatient hospital",
        "23" => "emergency room",
        "31" => "skilled nursing facility",
        "49" => "independent clinic",
        "50" => "federally qualified health center",
        "51" => "inpatient psychiatric facility",
        "52" => "psychiatric facility - partial hospitalization",
        "53" => "community mental health center",
        "55" => "residential substance abuse treatment facility",
        "56" => "psychiatric residential treatment center",
        "57" => "non-residential substance abuse treatment facility",
        "58" => "non-residential opioid treatment facility",
        "61" => "comprehensive inpatient rehabilitation facility",
        "71" => "public health clinic",
        _ => return None,
    })
}

/// The places of service a row names: `eligibilityAdditionalInformationList[]` and
/// `eligibilityAdditionalInformation` (an object, or an array as some payers send it) entries whose code list
/// qualifier is `ZZ` (mutually defined: the place of service), or absent.
fn places_of_service(row: &Value) -> Vec<Cow<'_, str>> {
    let single = row.get("eligibilityAdditionalInformation");
    let entries =
        array(row, "eligibilityAdditionalInformationList").iter().chain(single.filter(|v| v.is_object())).chain(
            single
                .map(|v| match v {
                    Value::Array(items) => items.as_slice(),
                    _ => &[],
                })
                .unwrap_or_default(),
        );
    entries
        .filter(|entry| {
            text(entry, "codeListQualifierCode")
                .is_none_or(|q| q.as_ref() == "ZZ" || q.eq_ignore_ascii_case("mutually defined"))
        })
        .filter_map(|entry| text(entry, "industryCode"))
        .collect()
}

/// What makes a cost row a figure for something other than an outpatient visit, in words, or `None` when the
/// row is unqualified or outpatient (it may then fill the headline figure): a place of service that is not an
/// outpatient one (inpatient hospital 21, inpatient psychiatric 51, residential 55/56, inpatient rehabilitation
/// 61, ...), a procedure code (EB13), or, on a copay or coinsurance row, a first message saying inpatient,
/// residential or emergency. Only the first message counts, and never on deductible or out-of-pocket rows:
/// payers list every service an accumulator covers there ("Emergency use of Emergency Room", ...).
fn qualified_setting(row: &Value, code: &str, notes: &[Cow<'_, str>]) -> Option<String> {
    let places = places_of_service(row);
    if let Some(place) = places.iter().find(|place| !OUTPATIENT_PLACES.contains(&place.as_ref())) {
        return Some(match place_of_service_words(place) {
            Some(words) => format!("{words}, place of service {place}"),
            None => format!("place of service {place}"),
        });
    }
    if let Some(procedure) = row.get("compositeMedicalProcedureIdentifier")
        && let Some(code) = text(procedure, "procedureCode")
        && !INTENSIVE_OUTPATIENT_PROCEDURES.contains(&code.as_ref())
    {
        return Some(match text(procedure, "productOrServiceIdQualifierCode") {
            Some(qualifier) => format!("procedure {qualifier} {code}"),
            None => format!("procedure {code}"),
        });
    }
    if !places.is_empty() || !matches!(code, "A" | "B") {
        return None;
    }
    notes
        .first()
        .filter(|note| {
            let upper = note.to_ascii_uppercase();
            let elsewhere = ["INPATIENT", "RESIDENTIAL", "EMERGENCY", "IN-PATIENT"].iter().any(|w| upper.contains(w));
            let outpatient = ["OUTPATIENT", "OUT-PATIENT", "OFFICE"].iter().any(|w| upper.contains(w));
            elsewhere && !outpatient
        })
        .map(|note| note.clone().into_owned())
}

/// The AAAs of a benefit row (`aaaErrors`, where an X12 AAA inside a 2110 loop lands): the carrier refused the
/// inquiry for the row's categories. In our words, with the follow-up action and its raw code.
fn benefit_rejections(row: &Value) -> Vec<CarrierRejection> {
    let mut out: Vec<CarrierRejection> = Vec::new();
    for entry in array(row, "aaaErrors") {
        let Some(code) = text(entry, "code").filter(|code| aaa::looks_like_code(code)) else { continue };
        let follow_up_text = text(entry, "followupAction").or_else(|| text(entry, "followUpAction"));
        let rejection = CarrierRejection {
            description: aaa::description(&code).to_owned(),
            // A benefit-loop rejection arrives in an answer (HTTP 2xx).
            class: aaa::classify(&code, 200),
            code: code.into_owned(),
            source: Some("benefit".to_owned()),
            follow_up: follow_up_text.as_deref().and_then(FollowUpAction::parse),
            follow_up_code: follow_up_text.as_deref().and_then(follow_up_code),
        };
        if !out.contains(&rejection) {
            out.push(rejection);
        }
    }
    out
}

fn push_limit(limits: &mut Vec<VisitLimit>, limit: VisitLimit) {
    if !limits.contains(&limit) {
        limits.push(limit);
    }
}

/// A limitation row (EB01 `F`) as a structured limit: its quantity and unit (EB09/EB10), period (EB06) and
/// amount (EB07); or, with EB06 `29` or EB09 `99`, a count that belongs to another row's limit. A row without a
/// quantity of its own takes its limits from its delivery pattern (`benefitsServiceDelivery`).
fn apply_limitation(
    builder: &mut SummaryBuilder,
    index: usize,
    row: &Value,
    tier: NetworkTier,
    notes: &[Cow<'_, str>],
) {
    let quantity = text(row, "benefitQuantity").as_deref().and_then(parse_quantity);
    let unit_code = text(row, "quantityQualifierCode").map(Cow::into_owned);
    let period_code = text(row, "timeQualifierCode").map(Cow::into_owned);
    let description = (!notes.is_empty()).then(|| notes.iter().map(Cow::as_ref).collect::<Vec<_>>().join("; "));
    if let Some(quantity) = quantity {
        let used = unit_code.as_deref() == Some("99");
        if used || period_code.as_deref() == Some("29") {
            builder.counts.push(LimitCount {
                index,
                tier,
                unit_code: unit_code.filter(|code| code != "99"),
                quantity,
                used,
            });
            return;
        }
    }
    let delivery = service_delivery(row, tier, notes);
    if quantity.is_none() && !delivery.is_empty() {
        apply_delivery(builder, index, tier, delivery);
        return;
    }
    let category = &mut builder.categories[index];
    // The row's own period; a delivery pattern may say "per 2 months" where the row says nothing.
    let pattern = delivery.iter().find_map(|item| match item {
        Delivery::Limit(limit) => Some(limit),
        Delivery::Remaining { .. } => None,
    });
    let period_code = period_code.or_else(|| pattern.and_then(|p| p.period_code.clone()));
    let limit = VisitLimit {
        quantity,
        unit: unit_code
            .as_deref()
            .and_then(quantity_unit_words)
            .map(str::to_owned)
            .or_else(|| text(row, "quantityQualifier").map(|u| u.to_lowercase())),
        unit_code,
        period: period_code
            .as_deref()
            .and_then(period_words)
            .map(str::to_owned)
            .or_else(|| text(row, "timeQualifier").map(|p| period_in_words(&p))),
        period_count: pattern.and_then(|p| p.period_count),
        period_code,
        remaining: None,
        amount_cents: text(row, "benefitAmount").as_deref().and_then(parse_cents),
        network: tier,
        description,
    };
    // A limitation row with no figure at all ("VISIT LIMITS APPLY") is a message, kept in `limits` already.
    if !limit.has_no_figure() {
        push_limit(&mut category.visit_limits, limit);
    }
}

/// What one `benefitsServiceDelivery[]` entry (X12 HSD) states: a limit, or the count remaining of a limit
/// (time period `29`, or only the text "Remaining", as Change Healthcare sends it).
#[derive(Debug, Clone)]
enum Delivery {
    Limit(VisitLimit),
    Remaining { unit_code: Option<String>, quantity: f64 },
}

/// A period the payer wrote in words ("Years", "Calendar Year"), lower case and singular.
fn period_in_words(raw: &str) -> String {
    let lower = raw.to_lowercase();
    match lower.strip_suffix('s') {
        Some(singular) if !singular.ends_with('s') => singular.to_owned(),
        _ => lower,
    }
}

/// What a row's `benefitsServiceDelivery[]` (X12 HSD) states: quantity (HSD02) of a unit (HSD01, else HSD03),
/// per a number of periods (HSD06 of HSD05), each as a code or, where the payer sent only words, as its words.
fn service_delivery(row: &Value, tier: NetworkTier, notes: &[Cow<'_, str>]) -> Vec<Delivery> {
    let description = (!notes.is_empty()).then(|| notes.iter().map(Cow::as_ref).collect::<Vec<_>>().join("; "));
    array(row, "benefitsServiceDelivery")
        .iter()
        .filter_map(|delivery| {
            let quantity = text(delivery, "quantity").as_deref().and_then(parse_quantity)?;
            let unit_code = text(delivery, "quantityQualifierCode")
                .or_else(|| text(delivery, "unitForMeasurementCode"))
                .map(Cow::into_owned);
            let period_code = text(delivery, "timePeriodQualifierCode").map(Cow::into_owned);
            let period_text = text(delivery, "timePeriodQualifier");
            let remaining = period_code.as_deref() == Some("29")
                || (period_code.is_none()
                    && period_text.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("remaining")));
            if remaining {
                return Some(Delivery::Remaining { unit_code, quantity });
            }
            let period_count = text(delivery, "numOfPeriods").and_then(|n| n.parse::<u32>().ok()).filter(|n| *n > 0);
            Some(Delivery::Limit(VisitLimit {
                quantity: Some(quantity),
                unit: unit_code
                    .as_deref()
                    .and_then(quantity_unit_words)
                    .map(str::to_owned)
                    .or_else(|| text(delivery, "quantityQualifier").map(|u| u.to_lowercase())),
                unit_code,
                period: period_code
                    .as_deref()
                    .and_then(period_words)
                    .map(str::to_owned)
                    .or_else(|| period_text.as_deref().map(period_in_words)),
                period_code,
                period_count,
                remaining: None,
                amount_cents: None,
                network: tier,
                description: description.clone(),
            }))
        })
        .collect()
}

/// Files what a delivery pattern states: limits on the category, remaining counts for matching at the end.
fn apply_delivery(builder: &mut SummaryBuilder, index: usize, tier: NetworkTier, items: Vec<Delivery>) {
    for item in items {
        match item {
            Delivery::Limit(limit) => push_limit(&mut builder.categories[index].visit_limits, limit),
            Delivery::Remaining { unit_code, quantity } => {
                builder.counts.push(LimitCount { index, tier, unit_code, quantity, used: false });
            }
        }
    }
}

/// A limitation row in words: quantity, amount, period, network, then the payer's own descriptions, e.g.
/// "30 Visits per Calendar Year, network not stated: Intensive outpatient ...".
fn limitation_text(row: &Value, notes: &[Cow<'_, str>], tier: NetworkTier) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(quantity) = text(row, "benefitQuantity") {
        let unit = text(row, "quantityQualifier").or_else(|| text(row, "quantityQualifierCode"));
        parts.push(match unit {
            Some(unit) => format!("{quantity} {unit}"),
            None => quantity.into_owned(),
        });
    }
    if let Some(cents) = text(row, "benefitAmount").as_deref().and_then(parse_cents) {
        parts.push(format_cents(cents));
    }
    let mut head = parts.join(" ");
    if !head.is_empty() {
        if let Some(period) = text(row, "timeQualifier") {
            head.push_str(&format!(" per {period}"));
        }
        if tier != NetworkTier::Unspecified {
            head.push_str(&format!(", {}", tier_words(tier)));
        }
    }
    let tail = notes.iter().map(Cow::as_ref).collect::<Vec<_>>().join("; ");
    match (head.is_empty(), tail.is_empty()) {
        (false, false) => format!("{head}: {tail}"),
        (false, true) => head,
        (true, _) => tail,
    }
}

/// Plan name: the plan-level status row's plan coverage (active rows first), then the plan status details,
/// then `planInformation.planDescription`, then the plan-level row's insurance type name.
fn plan_name(doc: &Value) -> Option<String> {
    let rows = array(doc, "benefitsInformation");
    let statuses = array(doc, "planStatus");
    let plan_status_rows = |want_active: bool| {
        rows.iter().filter(move |row| {
            is_plan_level(row)
                && text(row, "code").as_deref().and_then(status_code_activity).is_some_and(|a| a || !want_active)
        })
    };
    let plan_statuses = |want_active: bool| {
        statuses.iter().filter(move |entry| {
            is_plan_level(entry)
                && text(entry, "statusCode")
                    .as_deref()
                    .and_then(status_code_activity)
                    .is_some_and(|a| a || !want_active)
        })
    };
    plan_status_rows(true)
        .find_map(|row| text(row, "planCoverage"))
        .or_else(|| plan_statuses(true).find_map(|entry| text(entry, "planDetails")))
        .or_else(|| plan_status_rows(false).find_map(|row| text(row, "planCoverage")))
        .or_else(|| plan_statuses(false).find_map(|entry| text(entry, "planDetails")))
        .or_else(|| doc.get("planInformation").and_then(|plan| text(plan, "planDescription")))
        .or_else(|| plan_status_rows(false).find_map(|row| text(row, "insuranceType")))
        .map(Cow::into_owned)
}

/// Group number: `planInformation.groupNumber`, then the subscriber's, then the group's description.
fn group_number(doc: &Value) -> Option<String> {
    let plan = doc.get("planInformation");
    plan.and_then(|p| text(p, "groupNumber"))
        .or_else(|| doc.get("subscriber").and_then(|s| text(s, "groupNumber")))
        .or_else(|| plan.and_then(|p| text(p, "groupDescription")))
        .map(Cow::into_owned)
}

/// Every date of `planDateInformation`; each key may hold a date or a range.
pub fn plan_dates(doc: &Value) -> PlanDates {
    let Some(dates) = doc.get("planDateInformation").filter(|d| d.is_object()) else { return PlanDates::default() };
    let (plan_begin, plan_end) = dates_from(dates, "plan", "planBegin", "planEnd");
    let (eligibility_begin, eligibility_end) = dates_from(dates, "eligibility", "eligibilityBegin", "eligibilityEnd");
    let single = |key: &str| text(dates, key).and_then(|raw| parse_date_or_range(&raw).0);
    // The premium-paid-to period's end; a range in the begin key ends there too.
    let premium_paid_to_end = single("premiumPaidToDateEnd")
        .or_else(|| text(dates, "premiumPaidToDateBegin").and_then(|raw| parse_date_or_range(&raw).1));
    PlanDates {
        plan_begin,
        plan_end,
        eligibility_begin,
        eligibility_end,
        policy_effective: single("policyEffective"),
        policy_expiration: single("policyExpiration"),
        service: single("service"),
        premium_paid_to_end,
    }
}

/// Insurance type code of the plan: the plan-level status row's (active first), else the first row's.
fn insurance_type_code(doc: &Value) -> Option<String> {
    let rows = array(doc, "benefitsInformation");
    let status_rows = || {
        rows.iter()
            .filter(|row| is_plan_level(row) && text(row, "code").as_deref().and_then(status_code_activity).is_some())
    };
    status_rows()
        .filter(|row| text(row, "code").as_deref().and_then(status_code_activity) == Some(true))
        .find_map(|row| text(row, "insuranceTypeCode"))
        .or_else(|| status_rows().find_map(|row| text(row, "insuranceTypeCode")))
        .or_else(|| rows.iter().find_map(|row| text(row, "insuranceTypeCode")))
        .map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn money_is_parsed_to_cents_without_float_error() {
        assert_eq!(parse_cents("4195.37"), Some(419_537));
        assert_eq!(parse_cents("5500"), Some(550_000));
        assert_eq!(parse_cents(".5"), Some(50));
        assert_eq!(parse_cents("0"), Some(0));
        assert_eq!(parse_cents("12.345"), Some(1235));
        assert_eq!(parse_cents("$35"), Some(3500));
        for bad in ["", ".", "-5", "abc", "1.2.3", "1e400", "99999999999999999999999"] {
            assert_eq!(parse_cents(bad), None, "{bad}");
        }
    }

    #[test]
    fn percentages_accept_fractions_and_whole_percentages() {
        assert_eq!(parse_percent(".3"), Some(30.0));
        assert_eq!(parse_percent("0.2"), Some(20.0));
        assert_eq!(parse_percent("0.1"), Some(10.0));
        assert_eq!(parse_percent("1"), Some(100.0));
        assert_eq!(parse_percent("20"), Some(20.0));
        assert_eq!(parse_percent("250"), None);
        assert_eq!(parse_percent("-0.2"), None);
    }

    #[test]
    fn dates_and_ranges_become_iso_dates() {
        assert_eq!(parse_date("20240131").as_deref(), Some("2024-01-31"));
        assert_eq!(parse_date("2024-01-31").as_deref(), Some("2024-01-31"));
        assert_eq!(parse_date("20240231"), None);
        assert_eq!(
            parse_date_or_range("20240101-20241231"),
            (Some("2024-01-01".to_owned()), Some("2024-12-31".to_owned()))
        );
        assert_eq!(parse_date_or_range("20160819"), (Some("2016-08-19".to_owned()), None));
    }

    #[test]
    fn family_levels_are_told_from_individual_ones() {
        for family in ["FAM", "ESP", "ECH", "E1D", "E9D"] {
            assert!(is_family_level(Some(family)), "{family}");
        }
        for individual in [None, Some("IND"), Some("EMP"), Some("SPO"), Some("XYZ")] {
            assert!(!is_family_level(individual), "{individual:?}");
        }
    }

    #[test]
    fn any_active_plan_level_status_makes_the_coverage_active() {
        let doc = json!({
            "planStatus": [
                {"statusCode": "6", "serviceTypeCodes": ["30"]},
                {"statusCode": "1", "serviceTypeCodes": ["30"]}
            ]
        });
        assert_eq!(coverage_finding(&doc), Some(CoverageFinding::Active));

        let inactive_plan = json!({
            "planStatus": [{"statusCode": "6", "serviceTypeCodes": ["30"]}],
            "benefitsInformation": [{"code": "1", "serviceTypeCodes": ["98"]}]
        });
        assert_eq!(coverage_finding(&inactive_plan), Some(CoverageFinding::Inactive));
        assert_eq!(coverage_finding(&json!({"benefitsInformation": []})), None);
    }

    #[test]
    fn year_to_date_amounts_give_the_remaining_figure_when_the_payer_sends_no_remaining() {
        let doc = json!({
            "benefitsInformation": [
                {"code": "1", "serviceTypeCodes": ["30"]},
                {"code": "C", "serviceTypeCodes": ["30"], "inPlanNetworkIndicatorCode": "Y",
                 "coverageLevelCode": "IND", "timeQualifierCode": "23", "benefitAmount": "1000"},
                {"code": "C", "serviceTypeCodes": ["30"], "inPlanNetworkIndicatorCode": "Y",
                 "coverageLevelCode": "IND", "timeQualifierCode": "24", "benefitAmount": "250.50"}
            ]
        });

        let summary = summarise(&doc);

        let deductible = &summary.category("30").expect("plan level").in_network.deductible_individual;
        assert_eq!((deductible.total_cents, deductible.remaining_cents), (Some(100_000), Some(74_950)));
    }

    #[test]
    fn a_delivery_pattern_sent_in_words_only_gives_a_limit_and_its_remaining_count() {
        // Arrange: Change Healthcare's shape, with qualifier texts and no codes.
        let doc = json!({
            "benefitsInformation": [
                {"code": "1", "serviceTypeCodes": ["30"]},
                {"code": "F", "serviceTypeCodes": ["AI"], "inPlanNetworkIndicatorCode": "W",
                 "benefitsServiceDelivery": [{"numOfPeriods": "1", "quantity": "30", "quantityQualifier": "Visits",
                                              "timePeriodQualifier": "Years"}]},
                {"code": "F", "serviceTypeCodes": ["AI"], "inPlanNetworkIndicatorCode": "W",
                 "benefitsServiceDelivery": [{"quantity": "18", "quantityQualifier": "Visits",
                                              "timePeriodQualifier": "Remaining"}]}
            ]
        });

        // Act
        let summary = summarise(&doc);

        // Assert
        let limits = &summary.category("AI").expect("AI").visit_limits;
        assert_eq!(limits.len(), 1, "{limits:?}");
        assert_eq!((limits[0].quantity, limits[0].remaining), (Some(30.0), Some(18.0)));
        assert_eq!((limits[0].unit.as_deref(), limits[0].period.as_deref()), (Some("visits"), Some("year")));
        assert_eq!(limits[0].network, NetworkTier::Unspecified);
    }

    #[test]
    fn a_remaining_count_without_its_limit_is_kept_as_what_remains() {
        let doc = json!({"benefitsInformation": [
            {"code": "F", "serviceTypeCodes": ["AI"], "benefitQuantity": "5", "quantityQualifierCode": "DY",
             "timeQualifierCode": "29"}
        ]});

        let limits = summarise(&doc).categories.remove(0).visit_limits;

        assert_eq!(limits.len(), 1);
        assert_eq!(
            (limits[0].quantity, limits[0].remaining, limits[0].unit.as_deref()),
            (None, Some(5.0), Some("days"))
        );
    }

    #[test]
    fn a_limitation_row_without_any_figure_is_words_only() {
        let doc = json!({"benefitsInformation": [
            {"code": "F", "serviceTypeCodes": ["AI"], "additionalInformation": [{"description": "VISIT LIMITS APPLY"}]}
        ]});

        let category = summarise(&doc).categories.remove(0);

        assert!(category.visit_limits.is_empty());
        assert_eq!(category.limits, ["VISIT LIMITS APPLY"]);
    }

    #[test]
    fn carve_out_brands_match_at_word_starts_and_pharmacy_arms_do_not() {
        assert_eq!(known_carve_out("CARELON BEHAVIORAL HEALTH INC"), Some("Carelon Behavioral Health"));
        assert_eq!(known_carve_out("Beacon Health Options"), Some("Beacon Health Options (Carelon Behavioral Health)"));
        assert_eq!(known_carve_out("UNITED BEHAVIORAL HEALTH"), Some("United Behavioral Health (Optum)"));
        assert_eq!(known_carve_out("call Magellan Healthcare for auth"), Some("Magellan Health"));
        assert_eq!(known_carve_out("Lucet"), Some("Lucet"));
        for not_behavioural in ["OptumRx", "Magellan Rx Management", "Express Scripts", "Evernorth Pharmacy", "Fluceto"]
        {
            assert_eq!(known_carve_out(not_behavioural), None, "{not_behavioural}");
        }
    }

    #[test]
    fn a_carve_out_named_only_in_a_behavioural_rows_message_is_found() {
        let doc = json!({"benefitsInformation": [
            {"code": "1", "serviceTypeCodes": ["30"]},
            {"code": "1", "serviceTypeCodes": ["MH"],
             "additionalInformation": [{"description": "MENTAL HEALTH AND SUBSTANCE USE ADMINISTERED BY OPTUM BEHAVIORAL HEALTH"}]}
        ]});

        assert_eq!(summarise(&doc).carve_out_administrator.as_deref(), Some("Optum Behavioral Health"));
    }

    #[test]
    fn plan_dates_accept_ranges_in_any_key_and_keep_every_date() {
        let doc = json!({"planDateInformation": {
            "planBegin": "20260101-20261231", "eligibilityBegin": "20250601", "policyEffective": "20200101",
            "policyExpiration": "20271231", "premiumPaidToDateEnd": "20260430", "service": "20260315-20260316"
        }});

        let dates = plan_dates(&doc);

        assert_eq!((dates.plan_begin.as_deref(), dates.plan_end.as_deref()), (Some("2026-01-01"), Some("2026-12-31")));
        assert_eq!((dates.eligibility_begin.as_deref(), dates.eligibility_end.as_deref()), (Some("2025-06-01"), None));
        assert_eq!(dates.policy_effective.as_deref(), Some("2020-01-01"));
        assert_eq!(dates.policy_expiration.as_deref(), Some("2027-12-31"));
        assert_eq!(dates.premium_paid_to_end.as_deref(), Some("2026-04-30"));
        assert_eq!(dates.service.as_deref(), Some("2026-03-15"));
        assert!(plan_dates(&json!({"planDateInformation": "20260101"})).is_empty(), "not an object: nothing");
    }

    #[test]
    fn a_service_type_plan_status_sets_only_its_categories() {
        let doc = json!({"planStatus": [
            {"statusCode": "1", "serviceTypeCodes": ["30"]},
            {"statusCode": "6", "serviceTypeCodes": ["AI", "AK"]}
        ]});

        let summary = summarise(&doc);

        assert_eq!(summary.coverage_active, Some(true));
        assert_eq!(summary.category("30").and_then(|c| c.active), Some(true));
        assert_eq!(summary.category("AI").and_then(|c| c.active), Some(false));
        assert_eq!(summary.category("AK").and_then(|c| c.active), Some(false));
        assert_eq!(summary.plan_statuses.len(), 2);
    }

    #[test]
    fn the_patient_is_the_dependent_when_the_answer_lists_one() {
        let dependent = json!({"subscriber": {}, "dependents": [{"relationToSubscriberCode": "01"}]});
        let holder = json!({"subscriber": {"memberId": "X"}});

        assert_eq!(patient(&dependent), (Some(true), Some("Spouse".to_owned())));
        assert_eq!(patient(&holder), (Some(false), None));
        assert_eq!(patient(&json!({})), (None, None));
    }

    #[test]
    fn quantities_are_plain_non_negative_decimals() {
        assert_eq!(parse_quantity("30"), Some(30.0));
        assert_eq!(parse_quantity("2.5"), Some(2.5));
        for bad in ["", "-1", "1e3", "abc", "9999999999999999"] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_second_different_copay_is_kept_as_a_message() {
        let doc = json!({
            "benefitsInformation": [
                {"code": "B", "serviceTypeCodes": ["98"], "inPlanNetworkIndicatorCode": "Y", "benefitAmount": "30"},
                {"code": "B", "serviceTypeCodes": ["98"], "inPlanNetworkIndicatorCode": "Y", "benefitAmount": "40",
                 "additionalInformation": [{"description": "SPECIALIST"}]}
            ]
        });

        let summary = summarise(&doc);

        let office = summary.category("98").expect("office visits");
        assert_eq!(office.in_network.copay_cents, Some(3000));
        assert!(
            office.messages.iter().any(|m| m.contains("$40.00") && m.contains("SPECIALIST")),
            "{:?}",
            office.messages
        );
    }
}
