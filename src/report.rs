//! Readable text for people: the benefit summary an admissions lead reads out on the phone, and what a
//! carrier's answer meant (finding, hint, the carrier's rejections and follow-up actions, the government-plan
//! evidence screened). Used by the CLI's `get` and `submit`, and by `explain` on a stored answer.
//!
//! The layout is per category, in network then out of network, and says "unknown" where the carrier gave no
//! figure: a missing copay is never shown as $0, and a copay is "per visit" only when the carrier said so. The categories an intensive outpatient programme needs
//! ([`ADMISSIONS_CATEGORIES`]) are always listed with their key figures, the ones the carrier left out named as
//! unknown; other categories show only what the carrier said. Nothing here prints PHI: summaries hold no names,
//! dates of birth or member IDs.

use std::fmt::Write as _;

use crate::domain::benefits::{ADMISSIONS_CATEGORIES, service_type_label};
use crate::domain::{
    Accumulator, BenefitSummary, CarrierRejection, CategoryBenefit, CostShare, CoverageFinding, EligibilityAnswer,
    NetworkTier, PlanFacts, ScreeningDecision, VisitLimit,
};

/// Money in dollars with thousands separators (`$1,500.00`); "unknown" when not known.
pub fn money(cents: Option<i64>) -> String {
    let Some(cents) = cents else {
        return "unknown".to_owned();
    };
    let dollars = (cents / 100).unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, digit) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}${grouped}.{:02}", (cents % 100).abs())
}

/// An accumulator: "$1,500.00 (remaining $600.00)", "$600.00 remaining", "$1,500.00", or "unknown".
pub fn accumulator(a: &Accumulator) -> String {
    match (a.total_cents, a.remaining_cents) {
        (Some(total), Some(remaining)) => format!("{} (remaining {})", money(Some(total)), money(Some(remaining))),
        (Some(total), None) => format!("{} (remaining unknown)", money(Some(total))),
        (None, Some(remaining)) => format!("{} remaining", money(Some(remaining))),
        (None, None) => "unknown".to_owned(),
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "unknown".to_owned(), |p| format!("{p}%"))
}

fn yes_no_unknown(value: Option<bool>, yes: &str, no: &str) -> String {
    match value {
        Some(true) => yes.to_owned(),
        Some(false) => no.to_owned(),
        None => "unknown".to_owned(),
    }
}

fn number(value: f64) -> String {
    // Quantities are whole numbers almost always; `30` reads better than `30.0`.
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value}") }
}

/// A structured limit in words: "30 visits per calendar year, 12 remaining, in network: PARTIAL
/// HOSPITALIZATION AND IOP COMBINED".
pub fn render_limit(limit: &VisitLimit) -> String {
    let mut parts: Vec<String> = Vec::new();
    let unit = limit.unit.as_deref().or(limit.unit_code.as_deref());
    match (limit.quantity, unit) {
        (Some(quantity), Some(unit)) => parts.push(format!("{} {unit}", number(quantity))),
        (Some(quantity), None) => parts.push(number(quantity)),
        (None, _) => {}
    }
    if let Some(cents) = limit.amount_cents {
        parts.push(money(Some(cents)));
    }
    let mut text = if parts.is_empty() { "limit of unknown size".to_owned() } else { parts.join(" and ") };
    let period = limit.period.as_deref().or(limit.period_code.as_deref());
    match (period, limit.period_count) {
        (Some(period), Some(count)) if count > 1 => {
            let _ = write!(text, " per {count} {period}s");
        }
        (Some(period), _) => {
            let _ = write!(text, " per {period}");
        }
        _ => {}
    }
    match (limit.remaining, limit.quantity.is_none() && limit.amount_cents.is_none()) {
        (Some(remaining), true) => text = format!("{} {} remaining", number(remaining), unit.unwrap_or("")),
        (Some(remaining), false) => {
            let _ = write!(text, ", {} remaining", number(remaining));
        }
        (None, _) => text.push_str(", remaining unknown"),
    }
    let text = text.replace("  ", " ");
    let mut text = text;
    if limit.network != NetworkTier::Unspecified {
        let _ = write!(text, ", {}", limit.network.words());
    }
    if let Some(description) = &limit.description {
        let _ = write!(text, ": {description}");
    }
    text
}

/// One rejection in words: "AAA 72 Invalid/Missing Subscriber/Insured ID (subscriber): the applicant should
/// check the member ID; the carrier asks: Please Correct and Resubmit (C)".
pub fn render_rejection(rejection: &CarrierRejection) -> String {
    let mut text = format!("AAA {} {}", rejection.code, rejection.description);
    if let Some(source) = &rejection.source {
        let _ = write!(text, " ({source})");
    }
    let action = match rejection.class {
        crate::domain::AaaClass::FixApplicant(field) => format!("the applicant should check the {}", field.words()),
        crate::domain::AaaClass::Transient => "the carrier cannot answer now: retried".to_owned(),
        crate::domain::AaaClass::ProviderSetup => "the clinic's set-up with this carrier needs an operator".to_owned(),
        crate::domain::AaaClass::Other => "verify by phone".to_owned(),
    };
    let _ = write!(text, ": {action}");
    match (rejection.follow_up, rejection.follow_up_code.as_deref()) {
        (Some(follow_up), _) => {
            let _ = write!(text, "; the carrier asks: {} ({})", follow_up.meaning(), follow_up.code());
        }
        (None, Some(code)) => {
            let _ = write!(text, "; the carrier's follow-up code {code} is not one this service knows");
        }
        (None, None) => {}
    }
    text
}

/// A screening decision on one line: "MEDICARE (rule answer:insurance_type): The carrier's answer ...".
pub fn render_screening(decision: &ScreeningDecision) -> String {
    let verdict = decision.verdict.as_str().to_ascii_uppercase();
    if decision.rule.is_empty() { verdict } else { format!("{verdict} (rule {}): {}", decision.rule, decision.reason) }
}

/// Each line of `text` prefixed with `prefix` (for nesting a rendering inside another).
pub fn indented(text: &str, prefix: &str) -> String {
    text.lines().map(|line| format!("{prefix}{line}\n")).collect()
}

/// A copay with its period: "$35.00 per visit", "$250.00 per admission", "$35.00" when the carrier gave no
/// period (never assumed to be per visit), or "unknown".
pub fn copay(share: &CostShare) -> String {
    let Some(cents) = share.copay_cents else { return "unknown".to_owned() };
    let period = share.copay_period.as_deref().or(share.copay_period_code.as_deref());
    match period {
        Some(period) => format!("{} per {period}", money(Some(cents))),
        None => money(Some(cents)),
    }
}

fn share_line(share: &CostShare, plan_level: bool, always: bool) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if share.not_covered {
        // Nothing else in this tier matters as much: say it first, and do not list unknown figures after it.
        parts.push("NOT covered".to_owned());
    }
    let always = always && !share.not_covered;
    let cost_known = share.copay_cents.is_some() || share.coinsurance_percent.is_some();
    if !plan_level || cost_known {
        if always || share.copay_cents.is_some() {
            parts.push(format!("copay {}", copay(share)));
        }
        if always || share.coinsurance_percent.is_some() {
            parts.push(format!("coinsurance {}", percent(share.coinsurance_percent)));
        }
    }
    for (label, value) in [
        ("deductible", &share.deductible_individual),
        ("family deductible", &share.deductible_family),
        ("out-of-pocket", &share.out_of_pocket_individual),
        ("family out-of-pocket", &share.out_of_pocket_family),
    ] {
        // Plan level is where deductibles and out-of-pocket maximums live: always listed there.
        if (plan_level && always) || !value.is_unknown() {
            parts.push(format!("{label} {}", accumulator(value)));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn render_category(out: &mut String, category: &CategoryBenefit, admissions: bool) {
    let mut head = format!("[{}] {}: ", category.service_type_code, category.label);
    head.push_str(match category.active {
        Some(true) => "active",
        // A non-covered row (X12 EB01 `I`) whatever the network: not covered, which says more than inactive.
        Some(false) if category.network_unspecified.not_covered => "NOT covered",
        Some(false) => "NOT active",
        None if !category.rejections.is_empty() => "status unknown (the carrier rejected the inquiry)",
        None => "status unknown",
    });
    if let Some(indicator) = category.network_indicator {
        let _ = write!(head, "; network indicator: {} ({})", indicator.words(), indicator.code());
    }
    if category.coverage_begin_date.is_some() || category.coverage_end_date.is_some() {
        let _ = write!(
            head,
            "; coverage {} to {}",
            category.coverage_begin_date.as_deref().unwrap_or("unknown"),
            category.coverage_end_date.as_deref().unwrap_or("unknown")
        );
    }
    let _ = writeln!(out, "{head}");
    let plan_level = category.service_type_code == "30";
    for tier in [NetworkTier::InNetwork, NetworkTier::OutOfNetwork, NetworkTier::Unspecified] {
        // In and out of network are always shown for the admissions categories; "network not stated" only when
        // the carrier filed figures there.
        let always = admissions && tier != NetworkTier::Unspecified;
        if let Some(line) = share_line(category.tier(tier), plan_level, always) {
            let _ = writeln!(out, "  {:<19} {line}", format!("{}:", tier.words()));
        }
    }
    if admissions || category.prior_authorization_required.is_some() {
        let _ = writeln!(
            out,
            "  prior authorisation: {}",
            yes_no_unknown(category.prior_authorization_required, "required", "not required")
        );
    }
    for limit in &category.visit_limits {
        let _ = writeln!(out, "  visit limit: {}", render_limit(limit));
    }
    if category.visit_limits.is_empty() {
        for limit in &category.limits {
            let _ = writeln!(out, "  limit: {limit}");
        }
    }
    for rejection in &category.rejections {
        let _ = writeln!(out, "  the carrier's rejection: {}", render_rejection(rejection));
    }
    for message in &category.messages {
        let _ = writeln!(out, "  note: {message}");
    }
}

/// The benefit summary, readable by an admissions lead: plan, coverage and dates, carve-out, the carrier's
/// rejections, then per category (plan level, the substance-use and mental-health categories, then the rest)
/// what is paid in and out of network, prior authorisation and visit limits, "unknown" where the carrier said
/// nothing.
pub fn render_summary(summary: &BenefitSummary) -> String {
    let mut out = String::new();
    let unknown = || "unknown".to_owned();
    let mut plan = summary.plan_name.clone().unwrap_or_else(unknown);
    let mut extras: Vec<String> = Vec::new();
    if let Some(group) = &summary.group_number {
        extras.push(format!("group {group}"));
    }
    if let Some(code) = &summary.insurance_type_code {
        extras.push(format!("insurance type {code}"));
    }
    if !extras.is_empty() {
        let _ = write!(plan, " ({})", extras.join(", "));
    }
    let _ = writeln!(out, "plan:           {plan}");
    if let Some(payer) = &summary.payer_name {
        let _ = writeln!(out, "payer:          {payer}");
    }
    let _ = writeln!(out, "coverage:       {}", yes_no_unknown(summary.coverage_active, "active", "NOT active"));
    let _ = writeln!(
        out,
        "coverage dates: {} to {}",
        summary.plan_begin_date.as_deref().unwrap_or("unknown"),
        summary.plan_end_date.as_deref().unwrap_or("unknown")
    );
    let dates = &summary.plan_dates;
    if dates.eligibility_begin.is_some() || dates.eligibility_end.is_some() {
        let _ = writeln!(
            out,
            "eligibility:    {} to {}",
            dates.eligibility_begin.as_deref().unwrap_or("unknown"),
            dates.eligibility_end.as_deref().unwrap_or("unknown")
        );
    }
    if let Some(paid_to) = &dates.premium_paid_to_end {
        let _ = writeln!(out, "premiums paid to {paid_to}: coverage after it may lapse");
    }
    match (summary.patient_is_dependent, &summary.dependent_relationship) {
        (Some(true), Some(relationship)) => {
            let _ = writeln!(out, "patient:        a dependent of the policy holder ({relationship})");
        }
        (Some(true), None) => {
            let _ = writeln!(out, "patient:        a dependent of the policy holder");
        }
        (Some(false), _) => {
            let _ = writeln!(out, "patient:        the policy holder");
        }
        (None, _) => {}
    }
    if let Some(administrator) = &summary.carve_out_administrator {
        let phone = summary.carve_out_phone.as_deref().map(|p| format!(" (phone {p})")).unwrap_or_default();
        let _ = writeln!(out, "behavioural health administered by {administrator}{phone}");
    }
    if summary.plan_statuses.len() > 1 {
        let _ = writeln!(out, "plan statuses:");
        for status in &summary.plan_statuses {
            let services = if status.service_type_codes.is_empty() {
                "plan".to_owned()
            } else {
                status.service_type_codes.join(", ")
            };
            let _ = writeln!(
                out,
                "  {} ({}){}: {services}",
                status.status_code,
                yes_no_unknown(status.active, "active", "inactive"),
                status.plan_details.as_deref().map(|d| format!(" {d}")).unwrap_or_default()
            );
        }
    }
    if !summary.rejections.is_empty() {
        let _ = writeln!(out, "the carrier's rejections:");
        for rejection in &summary.rejections {
            let _ = writeln!(out, "  {}", render_rejection(rejection));
        }
    }
    if !summary.categories.is_empty() {
        let mut missing: Vec<String> = Vec::new();
        for code in ADMISSIONS_CATEGORIES {
            match summary.category(code) {
                Some(category) => render_category(&mut out, category, true),
                None => missing.push(format!("{code} {}", service_type_label(code))),
            }
        }
        if !missing.is_empty() {
            let _ = writeln!(out, "not in the carrier's answer (unknown): {}", missing.join(", "));
        }
        let others: Vec<&CategoryBenefit> = summary
            .categories
            .iter()
            .filter(|c| !ADMISSIONS_CATEGORIES.contains(&c.service_type_code.as_str()))
            .collect();
        if !others.is_empty() {
            let _ = writeln!(out, "other categories (figures as given):");
            for category in others {
                let mut text = String::new();
                render_category(&mut text, category, false);
                out.push_str(&indented(&text, "  "));
            }
        }
    }
    for message in &summary.messages {
        let _ = writeln!(out, "note: {message}");
    }
    out
}

fn render_facts(facts: &PlanFacts) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (label, list) in [
        ("insurance types", &facts.insurance_type_codes),
        ("plan descriptions", &facts.plan_descriptions),
        ("other payers and entities", &facts.related_entity_names),
        ("reference qualifiers", &facts.reference_qualifiers),
        ("payer", &facts.payer_names),
    ] {
        if !list.is_empty() {
            parts.push(format!("{label}: {}", list.join(", ")));
        }
    }
    if parts.is_empty() { "none".to_owned() } else { parts.join("; ") }
}

/// What a carrier's answer meant: the finding and its error code, the hint for the applicant, the screening of
/// the answer (`None`: not screened), the government-plan evidence it was screened on, then the summary.
pub fn render_answer(answer: &EligibilityAnswer, screening: Option<&ScreeningDecision>) -> String {
    let mut out = String::new();
    let finding = match answer.finding {
        CoverageFinding::Active => "coverage active",
        CoverageFinding::Inactive => "coverage inactive",
        CoverageFinding::MemberNotFound => "member not found",
        CoverageFinding::DemographicsMismatch => "demographics mismatch (fix and submit again)",
    };
    let code = answer.error_code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
    let _ = writeln!(out, "finding:   {finding}{code}");
    if let Some(hint) = &answer.hint {
        let _ = writeln!(out, "hint:      {hint}");
    }
    match screening {
        Some(decision) if decision.refuses() => {
            let _ = writeln!(
                out,
                "screening: government plan found in the carrier's answer: {}",
                render_screening(decision)
            );
        }
        Some(_) => {
            let _ = writeln!(out, "screening: no government plan found in the answer");
        }
        None => {}
    }
    let _ = writeln!(out, "evidence screened: {}", render_facts(&answer.plan_facts));
    let _ = writeln!(out, "benefits:");
    out.push_str(&indented(&render_summary(&answer.summary), "  "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AaaClass, ApplicantField, FollowUpAction, NetworkIndicator, Verdict};

    fn substance_abuse() -> CategoryBenefit {
        let mut category = CategoryBenefit {
            service_type_code: "AI".to_owned(),
            label: "Substance abuse".to_owned(),
            active: Some(true),
            network_indicator: Some(NetworkIndicator::InNetwork),
            prior_authorization_required: Some(true),
            ..CategoryBenefit::default()
        };
        category.in_network.copay_cents = Some(3_500);
        category.in_network.copay_period_code = Some("27".to_owned());
        category.in_network.copay_period = Some("visit".to_owned());
        category.out_of_network.coinsurance_percent = Some(40.0);
        category.visit_limits.push(VisitLimit {
            quantity: Some(30.0),
            unit_code: Some("VS".to_owned()),
            unit: Some("visits".to_owned()),
            period_code: Some("23".to_owned()),
            period: Some("calendar year".to_owned()),
            remaining: Some(12.0),
            network: NetworkTier::InNetwork,
            ..VisitLimit::default()
        });
        category
    }

    fn summary() -> BenefitSummary {
        let mut plan = CategoryBenefit {
            service_type_code: "30".to_owned(),
            label: "Health benefit plan coverage".to_owned(),
            active: Some(true),
            ..CategoryBenefit::default()
        };
        plan.in_network.deductible_individual =
            Accumulator { total_cents: Some(150_000), remaining_cents: Some(60_000) };
        BenefitSummary {
            plan_name: Some("Blue Access PPO".to_owned()),
            coverage_active: Some(true),
            plan_begin_date: Some("2026-01-01".to_owned()),
            carve_out_administrator: Some("Carelon Behavioral Health".to_owned()),
            carve_out_phone: Some("800-555-0142".to_owned()),
            categories: vec![plan, substance_abuse()],
            ..BenefitSummary::default()
        }
    }

    #[test]
    fn money_is_written_in_dollars_with_thousands_separators() {
        assert_eq!(money(Some(150_000)), "$1,500.00");
        assert_eq!(money(Some(3_505)), "$35.05");
        assert_eq!(money(Some(123_456_789)), "$1,234,567.89");
        assert_eq!(money(Some(0)), "$0.00", "a real zero is shown as zero");
        assert_eq!(money(None), "unknown");
    }

    #[test]
    fn the_summary_shows_each_category_in_and_out_of_network_with_unknowns_named() {
        // Act
        let text = render_summary(&summary());

        // Assert
        assert!(text.contains("coverage:       active"), "{text}");
        assert!(text.contains("coverage dates: 2026-01-01 to unknown"), "{text}");
        assert!(text.contains("behavioural health administered by Carelon Behavioral Health (phone 800-555-0142)"));
        assert!(text.contains("[AI] Substance abuse: active; network indicator: in network (Y)"), "{text}");
        assert!(text.contains("in network:         copay $35.00 per visit; coinsurance unknown"), "{text}");
        assert!(text.contains("out of network:     copay unknown; coinsurance 40%"), "{text}");
        assert!(text.contains("prior authorisation: required"), "{text}");
        assert!(text.contains("visit limit: 30 visits per calendar year, 12 remaining, in network"), "{text}");
        assert!(text.contains("deductible $1,500.00 (remaining $600.00); family deductible unknown"), "{text}");
        assert!(text.contains("not in the carrier's answer (unknown): AJ Alcoholism"), "{text}");
        assert!(!text.contains("$0.00"), "nothing unknown is shown as zero: {text}");
    }

    #[test]
    fn plan_level_figures_precede_the_substance_use_categories() {
        let text = render_summary(&summary());

        let plan = text.find("[30]").expect("plan level");
        let substance = text.find("[AI]").expect("substance abuse");
        assert!(plan < substance, "{text}");
    }

    #[test]
    fn limits_read_naturally_with_or_without_figures() {
        let remaining_only =
            VisitLimit { unit: Some("visits".to_owned()), remaining: Some(4.0), ..VisitLimit::default() };
        let every_two_months = VisitLimit {
            quantity: Some(6.0),
            unit: Some("days".to_owned()),
            period: Some("month".to_owned()),
            period_count: Some(2),
            description: Some("PARTIAL HOSPITALIZATION".to_owned()),
            ..VisitLimit::default()
        };

        assert_eq!(render_limit(&remaining_only), "4 visits remaining");
        assert_eq!(render_limit(&every_two_months), "6 days per 2 months, remaining unknown: PARTIAL HOSPITALIZATION");
    }

    #[test]
    fn an_answer_shows_its_finding_hint_rejection_follow_up_and_screening() {
        // Arrange
        let mut summary = BenefitSummary::default();
        summary.rejections.push(CarrierRejection {
            code: "72".to_owned(),
            description: "Invalid/Missing Subscriber/Insured ID".to_owned(),
            class: AaaClass::FixApplicant(ApplicantField::MemberId),
            source: Some("subscriber".to_owned()),
            follow_up: Some(FollowUpAction::CorrectAndResubmit),
            follow_up_code: Some("C".to_owned()),
        });
        let answer = EligibilityAnswer {
            finding: CoverageFinding::MemberNotFound,
            summary,
            plan_facts: PlanFacts { reference_qualifiers: vec!["F6".to_owned()], ..PlanFacts::default() },
            error_code: Some("AAA:72".to_owned()),
            hint: Some("carrier found no such member: check the member ID against the insurance card".to_owned()),
        };
        let screening = ScreeningDecision {
            verdict: Verdict::Medicare,
            rule: "answer:reference".to_owned(),
            reason: "The carrier's answer carries a Medicare HIC number.".to_owned(),
        };

        // Act
        let text = render_answer(&answer, Some(&screening));

        // Assert
        assert!(text.contains("finding:   member not found (AAA:72)"), "{text}");
        assert!(text.contains("hint:      carrier found no such member"), "{text}");
        assert!(text.contains("MEDICARE (rule answer:reference)"), "{text}");
        assert!(text.contains("reference qualifiers: F6"), "{text}");
        assert!(
            text.contains(
                "AAA 72 Invalid/Missing Subscriber/Insured ID (subscriber): the applicant should check the member ID; \
                 the carrier asks: Please Correct and Resubmit (C)"
            ),
            "{text}"
        );
        assert!(!text.contains("[30]"), "no categories for a member not found: {text}");
    }
}
