//! The normalised benefit summary admissions staff read. Missing means unknown, never zero: every figure is an
//! `Option`, and a list that is empty means the carrier said nothing about it.
//!
//! Summaries are stored as JSON with each verification; fields added after the first release carry
//! `#[serde(default)]` so that summaries stored earlier keep deserialising.

use serde::{Deserialize, Serialize};

use super::answer::CarrierRejection;

/// An amount that runs down over the plan year (deductible, out-of-pocket maximum), in cents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    /// The amount for the period.
    pub total_cents: Option<i64>,
    /// What is left to meet.
    pub remaining_cents: Option<i64>,
}

impl Accumulator {
    /// True when neither figure is known.
    pub fn is_unknown(&self) -> bool {
        self.total_cents.is_none() && self.remaining_cents.is_none()
    }

    /// Fills the figures this accumulator does not know from `other`.
    pub fn fill_from(&mut self, other: &Accumulator) {
        fill(&mut self.total_cents, &other.total_cents);
        fill(&mut self.remaining_cents, &other.remaining_cents);
    }
}

/// What the applicant pays for one category within one network tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostShare {
    /// Copay, in cents, for the period in `copay_period_code` (per visit only when the carrier said so).
    pub copay_cents: Option<i64>,
    /// The X12 time period code the copay is for (EB06, e.g. `27` visit, `36` admission); `None` when the
    /// carrier did not say, which is an unknown period, not "per visit".
    #[serde(default)]
    pub copay_period_code: Option<String>,
    /// The copay's period in words ("visit", "admission", ...), when known.
    #[serde(default)]
    pub copay_period: Option<String>,
    /// True when the carrier said the category is not covered in this tier (X12 EB01 `I`, non-covered).
    #[serde(default)]
    pub not_covered: bool,
    /// Coinsurance the patient pays, in percent (20.0 means 20%).
    pub coinsurance_percent: Option<f64>,
    /// Individual deductible.
    pub deductible_individual: Accumulator,
    /// Family deductible.
    pub deductible_family: Accumulator,
    /// Individual out-of-pocket maximum.
    pub out_of_pocket_individual: Accumulator,
    /// Family out-of-pocket maximum.
    pub out_of_pocket_family: Accumulator,
}

impl CostShare {
    /// True when nothing is known.
    pub fn is_unknown(&self) -> bool {
        self.copay_cents.is_none()
            && !self.not_covered
            && self.coinsurance_percent.is_none()
            && self.deductible_individual.is_unknown()
            && self.deductible_family.is_unknown()
            && self.out_of_pocket_individual.is_unknown()
            && self.out_of_pocket_family.is_unknown()
    }

    /// Fills the figures this cost share does not know from `other`.
    pub fn fill_from(&mut self, other: &CostShare) {
        // The period belongs to the amount: it is taken only with the copay it qualifies.
        if self.copay_cents.is_none() && other.copay_cents.is_some() {
            self.copay_cents = other.copay_cents;
            self.copay_period_code.clone_from(&other.copay_period_code);
            self.copay_period.clone_from(&other.copay_period);
        }
        // "Not covered" from either answer wins, as inactivity does for a category.
        self.not_covered |= other.not_covered;
        fill(&mut self.coinsurance_percent, &other.coinsurance_percent);
        self.deductible_individual.fill_from(&other.deductible_individual);
        self.deductible_family.fill_from(&other.deductible_family);
        self.out_of_pocket_individual.fill_from(&other.out_of_pocket_individual);
        self.out_of_pocket_family.fill_from(&other.out_of_pocket_family);
    }
}

/// Which network tier a benefit row applies to (X12 EB12 / JSON `inPlanNetworkIndicatorCode`), for filing its
/// figures: `W` (not applicable) and `U` (unknown) rows are filed as unspecified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkTier {
    /// In network (`Y`).
    InNetwork,
    /// Out of network (`N`).
    OutOfNetwork,
    /// Not said, or not applicable (`W`, `U` or absent).
    #[default]
    Unspecified,
}

impl NetworkTier {
    /// Words for people: "in network", "out of network", "network not stated".
    pub fn words(self) -> &'static str {
        match self {
            NetworkTier::InNetwork => "in network",
            NetworkTier::OutOfNetwork => "out of network",
            NetworkTier::Unspecified => "network not stated",
        }
    }
}

/// The in-plan-network indicator exactly as the carrier gave it (X12 EB12, JSON `inPlanNetworkIndicatorCode`).
/// Unlike [`NetworkTier`] it keeps `W` and `U` apart, so a category's indicator can be shown as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkIndicator {
    /// `Y`: the benefits apply in network.
    InNetwork,
    /// `N`: the benefits apply out of network.
    OutOfNetwork,
    /// `W`: not applicable (the benefits apply regardless of network).
    NotApplicable,
    /// `U`: the carrier does not know.
    Unknown,
}

impl NetworkIndicator {
    /// Parses an EB12 code (`Y`, `N`, `W`, `U`, any case); anything else is `None`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim() {
            "Y" | "y" => Some(NetworkIndicator::InNetwork),
            "N" | "n" => Some(NetworkIndicator::OutOfNetwork),
            "W" | "w" => Some(NetworkIndicator::NotApplicable),
            "U" | "u" => Some(NetworkIndicator::Unknown),
            _ => None,
        }
    }

    /// The EB12 code.
    pub fn code(self) -> &'static str {
        match self {
            NetworkIndicator::InNetwork => "Y",
            NetworkIndicator::OutOfNetwork => "N",
            NetworkIndicator::NotApplicable => "W",
            NetworkIndicator::Unknown => "U",
        }
    }

    /// Words for people.
    pub fn words(self) -> &'static str {
        match self {
            NetworkIndicator::InNetwork => "in network",
            NetworkIndicator::OutOfNetwork => "out of network",
            NetworkIndicator::NotApplicable => "in and out of network (network does not apply)",
            NetworkIndicator::Unknown => "network unknown to the carrier",
        }
    }

    /// The tier a row with this indicator is filed under.
    pub fn tier(self) -> NetworkTier {
        match self {
            NetworkIndicator::InNetwork => NetworkTier::InNetwork,
            NetworkIndicator::OutOfNetwork => NetworkTier::OutOfNetwork,
            NetworkIndicator::NotApplicable | NetworkIndicator::Unknown => NetworkTier::Unspecified,
        }
    }
}

/// A limit on how much of a service the plan covers, as structured as the carrier sent it: X12 EB01 `F`
/// (limitations) with EB09/EB10 quantity and EB06 period, or an HSD service-delivery pattern
/// (`benefitsServiceDelivery`). Example: 30 visits (`VS`) per calendar year (`23`), 12 remaining.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitLimit {
    /// How many (EB10 / HSD02); `None` when the carrier gave only an amount or words.
    #[serde(default)]
    pub quantity: Option<f64>,
    /// The X12 code of what is counted (EB09 / HSD01), e.g. `VS` visits, `DY` days, `HS` hours.
    #[serde(default)]
    pub unit_code: Option<String>,
    /// What is counted, in words: "visits", "days", ...
    #[serde(default)]
    pub unit: Option<String>,
    /// The X12 time period code (EB06 / HSD05), e.g. `23` calendar year, `22` service year, `27` visit.
    #[serde(default)]
    pub period_code: Option<String>,
    /// The period in words: "calendar year", "service year", "month", ...
    #[serde(default)]
    pub period: Option<String>,
    /// How many periods (HSD06), e.g. 2 in "per 2 months"; `None` means one.
    #[serde(default)]
    pub period_count: Option<u32>,
    /// How many are left (EB06 `29` remaining, or the total less EB09 `99` quantity used), when given.
    #[serde(default)]
    pub remaining: Option<f64>,
    /// A dollar limit (EB07 on a limitation row), in cents.
    #[serde(default)]
    pub amount_cents: Option<i64>,
    /// The network tier the limit applies to.
    #[serde(default)]
    pub network: NetworkTier,
    /// The carrier's own words about the limit (its `additionalInformation`).
    #[serde(default)]
    pub description: Option<String>,
}

impl VisitLimit {
    /// True when neither a quantity, a remaining count nor an amount is known.
    pub fn has_no_figure(&self) -> bool {
        self.quantity.is_none() && self.remaining.is_none() && self.amount_cents.is_none()
    }
}

/// One `planStatus` entry of the answer: a coverage status for the plan (`30`) or for listed service types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStatus {
    /// The EB01 status code, e.g. `1` active coverage, `6` inactive.
    pub status_code: String,
    /// Whether the code means active (`Some(true)`), inactive (`Some(false)`) or neither.
    #[serde(default)]
    pub active: Option<bool>,
    /// The carrier's plan details text, e.g. "Open Choice".
    #[serde(default)]
    pub plan_details: Option<String>,
    /// The service types the status applies to (empty: the plan).
    #[serde(default)]
    pub service_type_codes: Vec<String>,
}

/// The dates of the plan (`planDateInformation`), each `YYYY-MM-DD`. A field the carrier sent as a range
/// (`CCYYMMDD-CCYYMMDD`) fills both its begin and end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDates {
    /// First day of the plan period (`plan`, `planBegin`).
    #[serde(default)]
    pub plan_begin: Option<String>,
    /// Last day of the plan period (`plan`, `planEnd`).
    #[serde(default)]
    pub plan_end: Option<String>,
    /// First day of the member's eligibility (`eligibility`, `eligibilityBegin`).
    #[serde(default)]
    pub eligibility_begin: Option<String>,
    /// Last day of the member's eligibility (`eligibility`, `eligibilityEnd`).
    #[serde(default)]
    pub eligibility_end: Option<String>,
    /// When the policy took effect (`policyEffective`).
    #[serde(default)]
    pub policy_effective: Option<String>,
    /// When the policy expires (`policyExpiration`).
    #[serde(default)]
    pub policy_expiration: Option<String>,
    /// The date of service the answer speaks for (`service`).
    #[serde(default)]
    pub service: Option<String>,
    /// The last day premiums are paid to (`premiumPaidToDateEnd`): coverage after it may lapse (grace period).
    #[serde(default)]
    pub premium_paid_to_end: Option<String>,
}

impl PlanDates {
    /// True when no date is known.
    pub fn is_empty(&self) -> bool {
        *self == PlanDates::default()
    }

    /// Fills the dates this one does not know from `other`.
    pub fn fill_from(&mut self, other: &PlanDates) {
        fill(&mut self.plan_begin, &other.plan_begin);
        fill(&mut self.plan_end, &other.plan_end);
        fill(&mut self.eligibility_begin, &other.eligibility_begin);
        fill(&mut self.eligibility_end, &other.eligibility_end);
        fill(&mut self.policy_effective, &other.policy_effective);
        fill(&mut self.policy_expiration, &other.policy_expiration);
        fill(&mut self.service, &other.service);
        fill(&mut self.premium_paid_to_end, &other.premium_paid_to_end);
    }
}

/// The benefits of one service category (an X12 service type code).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryBenefit {
    /// X12 service type code, e.g. `30`, `AI`, `MH`.
    pub service_type_code: String,
    /// A label for people, e.g. "Substance abuse".
    pub label: String,
    /// Whether coverage for this category is active (its status rows and `planStatus` entries; any active one
    /// wins).
    pub active: Option<bool>,
    /// In-network cost share.
    pub in_network: CostShare,
    /// Out-of-network cost share.
    pub out_of_network: CostShare,
    /// Cost share where the carrier did not say which network.
    pub network_unspecified: CostShare,
    /// Whether prior authorisation is required.
    pub prior_authorization_required: Option<bool>,
    /// Limits in words, as the carrier stated them (kept for summaries stored before `visit_limits`).
    pub limits: Vec<String>,
    /// The carrier's free-text messages for this category.
    pub messages: Vec<String>,
    /// The in-plan-network indicator of the category's coverage status row (EB12 on EB01 `1`-`8`).
    #[serde(default)]
    pub network_indicator: Option<NetworkIndicator>,
    /// Structured visit and day limits.
    #[serde(default)]
    pub visit_limits: Vec<VisitLimit>,
    /// First day this category's coverage applies, when its status row has its own dates
    /// (`benefitsDateInformation`), `YYYY-MM-DD`.
    #[serde(default)]
    pub coverage_begin_date: Option<String>,
    /// Last day this category's coverage applies, when its status row has its own dates.
    #[serde(default)]
    pub coverage_end_date: Option<String>,
    /// The carrier's AAA rejections of this category's inquiry (an AAA inside its benefit loop): the carrier
    /// refused to answer for the category, so its status rows do not count as active.
    #[serde(default)]
    pub rejections: Vec<CarrierRejection>,
}

impl CategoryBenefit {
    /// The cost share of one network tier, for filling in.
    pub fn tier_mut(&mut self, tier: NetworkTier) -> &mut CostShare {
        match tier {
            NetworkTier::InNetwork => &mut self.in_network,
            NetworkTier::OutOfNetwork => &mut self.out_of_network,
            NetworkTier::Unspecified => &mut self.network_unspecified,
        }
    }

    /// The cost share of one network tier.
    pub fn tier(&self, tier: NetworkTier) -> &CostShare {
        match tier {
            NetworkTier::InNetwork => &self.in_network,
            NetworkTier::OutOfNetwork => &self.out_of_network,
            NetworkTier::Unspecified => &self.network_unspecified,
        }
    }

    /// Completes this category with what `other` (the same category from another answer) knows and this one
    /// does not. Where both know a figure this one's stands; activity is the exception: `Some(false)` from
    /// either wins, the worst finding (a merged answer must not claim coverage one answer denies).
    pub fn fill_from(&mut self, other: &CategoryBenefit) {
        self.active = match (self.active, other.active) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (mine, theirs) => mine.or(theirs),
        };
        self.in_network.fill_from(&other.in_network);
        self.out_of_network.fill_from(&other.out_of_network);
        self.network_unspecified.fill_from(&other.network_unspecified);
        // Prior authorisation: "required" from either answer wins, for the same reason.
        self.prior_authorization_required =
            match (self.prior_authorization_required, other.prior_authorization_required) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (mine, theirs) => mine.or(theirs),
            };
        union(&mut self.limits, &other.limits);
        union(&mut self.messages, &other.messages);
        fill(&mut self.network_indicator, &other.network_indicator);
        for limit in &other.visit_limits {
            if !self.visit_limits.contains(limit) {
                self.visit_limits.push(limit.clone());
            }
        }
        fill(&mut self.coverage_begin_date, &other.coverage_begin_date);
        fill(&mut self.coverage_end_date, &other.coverage_end_date);
        for rejection in &other.rejections {
            if !self.rejections.contains(rejection) {
                self.rejections.push(rejection.clone());
            }
        }
    }
}

/// The carrier's answer, normalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenefitSummary {
    /// The carrier's plan name or description.
    pub plan_name: Option<String>,
    /// The group number or name the carrier returned.
    pub group_number: Option<String>,
    /// Whether plan-level coverage is active.
    pub coverage_active: Option<bool>,
    /// First day of coverage, `YYYY-MM-DD` (the plan period, else the eligibility period).
    pub plan_begin_date: Option<String>,
    /// Last day of coverage, `YYYY-MM-DD` (the plan period, else the eligibility period).
    pub plan_end_date: Option<String>,
    /// X12 insurance type code of the plan (e.g. `PR`).
    pub insurance_type_code: Option<String>,
    /// Per category: plan level (`30`) first, then the behavioural-health categories, then the rest.
    pub categories: Vec<CategoryBenefit>,
    /// The behavioural-health carve-out administrator, when named.
    pub carve_out_administrator: Option<String>,
    /// Plan-wide messages.
    pub messages: Vec<String>,
    /// Every date of `planDateInformation`.
    #[serde(default)]
    pub plan_dates: PlanDates,
    /// Every `planStatus` entry, in the carrier's order.
    #[serde(default)]
    pub plan_statuses: Vec<PlanStatus>,
    /// The answering payer's name (`payer.name`).
    #[serde(default)]
    pub payer_name: Option<String>,
    /// True when the carrier answered for a dependent of the policy holder (the answer has `dependents`), false
    /// when for the policy holder, unknown when it did not say.
    #[serde(default)]
    pub patient_is_dependent: Option<bool>,
    /// The dependent's relationship to the policy holder as the carrier states it (e.g. "Child"). Not PHI: a
    /// relationship, never a name.
    #[serde(default)]
    pub dependent_relationship: Option<String>,
    /// A telephone number for the carve-out administrator, when the carrier gave one (a company's number).
    #[serde(default)]
    pub carve_out_phone: Option<String>,
    /// The carrier's AAA rejections with their follow-up actions (empty when it identified the member).
    #[serde(default)]
    pub rejections: Vec<CarrierRejection>,
}

impl BenefitSummary {
    /// The category with this service type code, if present.
    pub fn category(&self, service_type_code: &str) -> Option<&CategoryBenefit> {
        self.categories.iter().find(|c| c.service_type_code == service_type_code)
    }

    /// Completes this summary's plan-level facts (plan name, group, dates, insurance type, carve-out, payer,
    /// patient) with what `other` knows and this one does not, unions the messages, plan statuses and
    /// rejections, and merges categories: a category only `other` has is added, one both have is completed
    /// with [`CategoryBenefit::fill_from`]. Categories stay in plan-level, behavioural-health, other order.
    pub fn fill_from(&mut self, other: &BenefitSummary) {
        fill(&mut self.plan_name, &other.plan_name);
        fill(&mut self.group_number, &other.group_number);
        self.coverage_active = match (self.coverage_active, other.coverage_active) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (mine, theirs) => mine.or(theirs),
        };
        fill(&mut self.plan_begin_date, &other.plan_begin_date);
        fill(&mut self.plan_end_date, &other.plan_end_date);
        fill(&mut self.insurance_type_code, &other.insurance_type_code);
        fill(&mut self.carve_out_administrator, &other.carve_out_administrator);
        fill(&mut self.carve_out_phone, &other.carve_out_phone);
        fill(&mut self.payer_name, &other.payer_name);
        fill(&mut self.patient_is_dependent, &other.patient_is_dependent);
        fill(&mut self.dependent_relationship, &other.dependent_relationship);
        self.plan_dates.fill_from(&other.plan_dates);
        union(&mut self.messages, &other.messages);
        for status in &other.plan_statuses {
            if !self.plan_statuses.contains(status) {
                self.plan_statuses.push(status.clone());
            }
        }
        for rejection in &other.rejections {
            if !self.rejections.iter().any(|r| r.code == rejection.code) {
                self.rejections.push(rejection.clone());
            }
        }
        for category in &other.categories {
            match self.categories.iter_mut().find(|c| c.service_type_code == category.service_type_code) {
                Some(mine) => mine.fill_from(category),
                None => self.categories.push(category.clone()),
            }
        }
        self.categories.sort_by_key(|category| category_rank(&category.service_type_code));
    }
}

/// Behavioural-health service type codes, in the order a summary lists them after plan level (`30`): substance
/// use (AI, AJ, AK, the substance-abuse facility codes CJ/CI), mental health (MH and its provider and facility
/// codes), psychiatric (A8, A4), partial hospitalisation (BB), psychotherapy (A6).
pub const BEHAVIOURAL_HEALTH_CODES: [&str; 14] =
    ["AI", "AJ", "AK", "CJ", "CI", "MH", "CF", "CE", "CH", "CG", "A8", "A4", "BB", "A6"];

/// The categories admissions reads for an intensive outpatient substance-use programme, in the order the readable
/// summary shows them: plan level, substance abuse (AI, AJ, AK), substance-abuse facility outpatient (CJ),
/// mental health (MH, CF, CH, A8), partial hospitalisation (BB), psychotherapy (A6).
pub const ADMISSIONS_CATEGORIES: [&str; 11] = ["30", "AI", "AJ", "AK", "CJ", "MH", "CF", "CH", "A8", "BB", "A6"];

/// Sort key: plan level first, then behavioural health in [`BEHAVIOURAL_HEALTH_CODES`] order, then the rest
/// (a stable sort keeps the carrier's order among them).
pub fn category_rank(code: &str) -> usize {
    if code == "30" {
        return 0;
    }
    BEHAVIOURAL_HEALTH_CODES.iter().position(|c| *c == code).map_or(usize::MAX, |p| p + 1)
}

fn fill<T: Clone>(slot: &mut Option<T>, other: &Option<T>) {
    if slot.is_none() {
        slot.clone_from(other);
    }
}

fn union(list: &mut Vec<String>, other: &[String]) {
    for item in other {
        if !list.contains(item) {
            list.push(item.clone());
        }
    }
}

/// A label for an X12 service type code (the ones admissions cares about; others keep their code).
pub fn service_type_label(code: &str) -> &'static str {
    match code {
        "30" => "Health benefit plan coverage",
        "AI" => "Substance abuse",
        "AJ" => "Alcoholism",
        "AK" => "Drug addiction",
        "CJ" => "Substance abuse facility - outpatient",
        "CI" => "Substance abuse facility - inpatient",
        "MH" => "Mental health",
        "CF" => "Mental health provider - outpatient",
        "CE" => "Mental health provider - inpatient",
        "CH" => "Mental health facility - outpatient",
        "CG" => "Mental health facility - inpatient",
        "A8" => "Psychiatric - outpatient",
        "A4" => "Psychiatric",
        "A6" => "Psychotherapy",
        "BB" => "Partial hospitalization (psychiatric)",
        "98" => "Professional (physician) visit - office",
        "1" => "Medical care",
        "33" => "Chiropractic",
        "35" => "Dental care",
        "47" => "Hospital",
        "48" => "Hospital - inpatient",
        "50" => "Hospital - outpatient",
        "86" => "Emergency services",
        "88" => "Pharmacy",
        "UC" => "Urgent care",
        _ => "Other service type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(code: &str) -> CategoryBenefit {
        CategoryBenefit {
            service_type_code: code.to_owned(),
            label: service_type_label(code).to_owned(),
            ..CategoryBenefit::default()
        }
    }

    #[test]
    fn filling_keeps_known_figures_and_takes_only_unknown_ones() {
        // Arrange
        let mut mine = category("AI");
        mine.in_network.copay_cents = Some(2_500);
        let mut theirs = category("AI");
        theirs.in_network.copay_cents = Some(4_000);
        theirs.in_network.coinsurance_percent = Some(20.0);
        theirs.out_of_network.deductible_individual.total_cents = Some(300_000);

        // Act
        mine.fill_from(&theirs);

        // Assert
        assert_eq!(mine.in_network.copay_cents, Some(2_500), "a known figure stands");
        assert_eq!(mine.in_network.coinsurance_percent, Some(20.0));
        assert_eq!(mine.out_of_network.deductible_individual.total_cents, Some(300_000));
        assert_eq!(mine.out_of_network.deductible_individual.remaining_cents, None, "unknown stays unknown");
    }

    #[test]
    fn inactive_and_authorisation_required_win_when_answers_disagree() {
        let mut mine = category("AI");
        mine.active = Some(true);
        mine.prior_authorization_required = Some(false);
        let mut theirs = category("AI");
        theirs.active = Some(false);
        theirs.prior_authorization_required = Some(true);

        mine.fill_from(&theirs);

        assert_eq!((mine.active, mine.prior_authorization_required), (Some(false), Some(true)));
    }

    #[test]
    fn summaries_union_categories_in_admissions_order() {
        let mut plan = BenefitSummary { categories: vec![category("30"), category("98")], ..Default::default() };
        let substance = BenefitSummary {
            plan_name: Some("Other name".to_owned()),
            categories: vec![category("AI"), category("30")],
            ..Default::default()
        };
        plan.plan_name = Some("Blue Access PPO".to_owned());

        plan.fill_from(&substance);

        let codes: Vec<&str> = plan.categories.iter().map(|c| c.service_type_code.as_str()).collect();
        assert_eq!(codes, ["30", "AI", "98"]);
        assert_eq!(plan.plan_name.as_deref(), Some("Blue Access PPO"));
    }

    #[test]
    fn summaries_stored_before_the_new_fields_still_deserialise() {
        // A summary as the first release stored it: none of the fields added later.
        let stored = r#"{"plan_name":"Blue Access PPO","group_number":null,"coverage_active":true,
            "plan_begin_date":"2026-01-01","plan_end_date":null,"insurance_type_code":"PR",
            "categories":[{"service_type_code":"AI","label":"Substance abuse","active":true,
              "in_network":{"copay_cents":3500,"coinsurance_percent":null,
                "deductible_individual":{"total_cents":null,"remaining_cents":null},
                "deductible_family":{"total_cents":null,"remaining_cents":null},
                "out_of_pocket_individual":{"total_cents":null,"remaining_cents":null},
                "out_of_pocket_family":{"total_cents":null,"remaining_cents":null}},
              "out_of_network":{"copay_cents":null,"coinsurance_percent":null,
                "deductible_individual":{"total_cents":null,"remaining_cents":null},
                "deductible_family":{"total_cents":null,"remaining_cents":null},
                "out_of_pocket_individual":{"total_cents":null,"remaining_cents":null},
                "out_of_pocket_family":{"total_cents":null,"remaining_cents":null}},
              "network_unspecified":{"copay_cents":null,"coinsurance_percent":null,
                "deductible_individual":{"total_cents":null,"remaining_cents":null},
                "deductible_family":{"total_cents":null,"remaining_cents":null},
                "out_of_pocket_individual":{"total_cents":null,"remaining_cents":null},
                "out_of_pocket_family":{"total_cents":null,"remaining_cents":null}},
              "prior_authorization_required":true,"limits":["30 visits"],"messages":[]}],
            "carve_out_administrator":null,"messages":[]}"#;

        let summary: BenefitSummary = serde_json::from_str(stored).expect("old summaries deserialise");

        let substance = summary.category("AI").expect("AI");
        assert_eq!(substance.in_network.copay_cents, Some(3_500));
        assert!(substance.visit_limits.is_empty());
        assert_eq!(substance.network_indicator, None);
        assert!(summary.plan_dates.is_empty());
        assert!(summary.rejections.is_empty());
    }

    #[test]
    fn network_indicators_keep_w_and_u_apart_but_file_both_as_unspecified() {
        for (code, indicator, tier) in [
            ("Y", NetworkIndicator::InNetwork, NetworkTier::InNetwork),
            ("N", NetworkIndicator::OutOfNetwork, NetworkTier::OutOfNetwork),
            ("W", NetworkIndicator::NotApplicable, NetworkTier::Unspecified),
            ("U", NetworkIndicator::Unknown, NetworkTier::Unspecified),
        ] {
            let parsed = NetworkIndicator::from_code(code).expect(code);
            assert_eq!((parsed, parsed.code(), parsed.tier()), (indicator, code, tier));
        }
        assert_eq!(NetworkIndicator::from_code("X"), None);
    }
}
