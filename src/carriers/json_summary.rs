//! Normalisation of an eligibility JSON v3 answer (Change Healthcare / Stedi shape) that identified the member:
//! the coverage finding, the [`BenefitSummary`] admissions staff read, and the [`PlanFacts`] the screening rules
//! look at again.
//!
//! Everything here reads a `serde_json::Value` defensively: payers send non-compliant values (numbers where
//! strings belong, a string where an array belongs, unknown codes), and nothing they send may panic or be
//! silently turned into a figure. Missing means unknown (`None`), never zero.
//!
//! Codes used (X12 005010X279A1, as the JSON carries them):
//! * `benefitsInformation[].code` (EB01): `1`-`5` active coverage, `6`-`8` inactive, `A` co-insurance, `B`
//!   co-payment, `C` deductible, `G` out of pocket (stop loss), `F` limitations, `I` non-covered, `R` other or
//!   additional payer, `P` benefit disclaimer.
//! * `timeQualifierCode` (EB06): `29` remaining, `24` year to date (amount met), `30`/`31`/`33` not a period
//!   total (ignored for accumulators), anything else (`22` service year, `23` calendar year, ... or absent) the
//!   total for the period.
//! * `coverageLevelCode` (EB02): `IND`, `EMP` (employee only), `SPO` (spouse only) or absent count as
//!   individual; `FAM`, `ESP`, `ECH`, `SPC`, `CHD`, `DEP`, `TWO`, `E1D`..`E9D` as family.
//! * `inPlanNetworkIndicatorCode` (EB12): `Y` in network, `N` out of network, `W`/`U`/absent unspecified.
//! * `authOrCertIndicator` (EB11): `Y` prior authorisation required, `N` not required, `U` unknown.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use crate::domain::benefits::service_type_label;
use crate::domain::{Accumulator, BenefitSummary, CategoryBenefit, CostShare, CoverageFinding, NetworkTier, PlanFacts};

/// Behavioural-health service type codes, in the order the summary lists them after plan level (`30`).
pub const BEHAVIOURAL_HEALTH_CODES: [&str; 14] =
    ["AI", "AJ", "AK", "CJ", "CI", "MH", "CF", "CE", "CH", "CG", "A8", "A4", "BB", "A6"];

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
    format!("${}.{:02}", cents / 100, cents % 100)
}

fn tier_words(tier: NetworkTier) -> &'static str {
    match tier {
        NetworkTier::InNetwork => "in network",
        NetworkTier::OutOfNetwork => "out of network",
        NetworkTier::Unspecified => "network not stated",
    }
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

/// The government-plan evidence in an answer: every insurance type code, plan description and related entity
/// name, and the reference qualifiers present. Raw texts, for the screening rules (data) to judge.
pub fn plan_facts(doc: &Value) -> PlanFacts {
    let mut facts = PlanFacts::default();
    for entry in array(doc, "planStatus") {
        if let Some(details) = text(entry, "planDetails") {
            push_unique(&mut facts.plan_descriptions, &details);
        }
    }
    for row in array(doc, "benefitsInformation") {
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

/// An entity's name: an organisation's `entityName`, or a person's first and last name.
/// True for an other-payer row whose role says it pays after the answering plan (X12 NM101 `PR` with a secondary
/// or tertiary role, e.g. "Secondary Payer: MEDICARE"): the commercial plan is primary, so naming Medicare there
/// is no reason to refuse the applicant. A wrong refusal loses a patient; primary or unstated roles still count.
fn pays_after_this_plan(entity: &Value) -> bool {
    text(entity, "entityIdentifier").is_some_and(|role| {
        let role = role.to_ascii_lowercase();
        role.contains("secondary") || role.contains("tertiary")
    })
}

fn entity_name(entity: &Value) -> Option<String> {
    let last = text(entity, "entityName")?;
    Some(match text(entity, "entityFirstname").or_else(|| text(entity, "entityFirstName")) {
        Some(first) => format!("{first} {last}"),
        None => last.into_owned(),
    })
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

#[derive(Default)]
struct SummaryBuilder {
    categories: Vec<CategoryBenefit>,
    index: HashMap<String, usize>,
    /// Amounts met so far (time qualifier 24), turned into "remaining" at the end when the payer sent a total
    /// but no remaining figure. Key: (category index, tier, kind, family).
    met: HashMap<(usize, NetworkTier, AccumulatorKind, bool), i64>,
    messages: Vec<String>,
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
    let mut carve_out: Option<String> = None;

    for row in rows {
        let Some(code) = text(row, "code") else { continue };
        let code = code.as_ref();
        let service_codes = strings(row, "serviceTypeCodes");
        let service_names = strings(row, "serviceTypes");
        let tier = network_tier(text(row, "inPlanNetworkIndicatorCode").as_deref());
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

        let is_behavioural = targets.iter().any(|t| BEHAVIOURAL_HEALTH_CODES.contains(&t.as_ref()));
        if is_behavioural && carve_out.is_none() {
            carve_out =
                related_entities(row).filter_map(entity_name).find(|name| !name.eq_ignore_ascii_case("unknown"));
        }

        for (position, target) in targets.iter().enumerate() {
            let payer_label = service_names.get(position).map(Cow::as_ref);
            let index = builder.category(target, payer_label);
            apply_row(&mut builder, index, row, code, tier, &notes);
        }
    }

    // Remaining = total - met, where the payer reported the amount met instead of what is left.
    let met = std::mem::take(&mut builder.met);
    for ((index, tier, kind, family), met_cents) in met {
        let accumulator = accumulator_mut(builder.categories[index].tier_mut(tier), kind, family);
        if let (Some(total), None) = (accumulator.total_cents, accumulator.remaining_cents) {
            accumulator.remaining_cents = Some((total - met_cents).max(0));
        }
    }

    let mut categories = builder.categories;
    categories.sort_by_key(|category| category_rank(&category.service_type_code));

    let (plan_begin_date, plan_end_date) = plan_dates(doc);
    BenefitSummary {
        plan_name: plan_name(doc),
        group_number: group_number(doc),
        coverage_active: finding.map(|f| f == CoverageFinding::Active),
        plan_begin_date,
        plan_end_date,
        insurance_type_code: insurance_type_code(doc),
        categories,
        carve_out_administrator: carve_out,
        messages: builder.messages,
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

/// Sort key: plan level first, then behavioural health in [`BEHAVIOURAL_HEALTH_CODES`] order, then the rest
/// in the order the payer sent them (the sort is stable).
fn category_rank(code: &str) -> usize {
    if code == "30" {
        return 0;
    }
    BEHAVIOURAL_HEALTH_CODES.iter().position(|c| *c == code).map_or(usize::MAX, |p| p + 1)
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

/// Applies one benefit row to one category.
fn apply_row(
    builder: &mut SummaryBuilder,
    index: usize,
    row: &Value,
    code: &str,
    tier: NetworkTier,
    notes: &[Cow<'_, str>],
) {
    let row_name = text(row, "name");
    let qualifier = notes.first().map(|note| format!(" ({note})")).unwrap_or_default();
    let context = format!("{}, {}", row_name.as_deref().unwrap_or(code), tier_words(tier));
    let category = &mut builder.categories[index];

    match text(row, "authOrCertIndicator").as_deref() {
        Some("Y") => category.prior_authorization_required = Some(true),
        Some("N") if category.prior_authorization_required.is_none() => {
            category.prior_authorization_required = Some(false);
        }
        _ => {}
    }

    if let Some(active) = status_code_activity(code) {
        category.active = Some(category.active.unwrap_or(false) || active);
        for note in notes {
            push_unique(&mut category.messages, note);
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
                let (share, messages) = share_and_messages(category, tier);
                set_or_note(&mut share.copay_cents, cents, messages, || {
                    format!("Also co-payment {} {}{qualifier}", format_cents(cents), tier_words(tier))
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
                    // Exceeded / not exceeded / lifetime remaining are not the period's figures.
                    Some("30" | "31" | "33") => {}
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
            return;
        }
        "I" => push_unique(&mut category.messages, &format!("Not covered {}", tier_words(tier))),
        _ => {}
    }
    let category = &mut builder.categories[index];
    for note in notes {
        push_unique(&mut category.messages, &format!("{context}: {note}"));
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

/// Plan dates from `planDateInformation`: the plan period first (`plan` range or date, `planBegin`,
/// `planEnd`), then the member's eligibility period.
fn plan_dates(doc: &Value) -> (Option<String>, Option<String>) {
    let Some(dates) = doc.get("planDateInformation") else { return (None, None) };
    let range = |key: &str| text(dates, key).map_or((None, None), |raw| parse_date_or_range(&raw));
    let single = |key: &str| text(dates, key).and_then(|raw| parse_date(&raw));
    let (plan_begin, plan_end) = range("plan");
    let (eligibility_begin, eligibility_end) = range("eligibility");
    let begin = plan_begin.or_else(|| single("planBegin")).or(eligibility_begin).or_else(|| single("eligibilityBegin"));
    let end = plan_end.or_else(|| single("planEnd")).or(eligibility_end).or_else(|| single("eligibilityEnd"));
    (begin, end)
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
