//! The normalised benefit summary admissions staff read. Missing means unknown, never zero: every figure is an
//! `Option`.

use serde::{Deserialize, Serialize};

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
}

/// What the applicant pays for one category within one network tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostShare {
    /// Copay per visit, in cents.
    pub copay_cents: Option<i64>,
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
            && self.coinsurance_percent.is_none()
            && self.deductible_individual.is_unknown()
            && self.deductible_family.is_unknown()
            && self.out_of_pocket_individual.is_unknown()
            && self.out_of_pocket_family.is_unknown()
    }
}

/// Which network tier a benefit row applies to (X12 EB12 / JSON `inPlanNetworkIndicatorCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkTier {
    /// In network (`Y`).
    InNetwork,
    /// Out of network (`N`).
    OutOfNetwork,
    /// Not said, or not applicable (`W`, `U` or absent).
    Unspecified,
}

/// The benefits of one service category (an X12 service type code).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryBenefit {
    /// X12 service type code, e.g. `30`, `AI`, `MH`.
    pub service_type_code: String,
    /// A label for people, e.g. "Substance abuse".
    pub label: String,
    /// Whether coverage for this category is active.
    pub active: Option<bool>,
    /// In-network cost share.
    pub in_network: CostShare,
    /// Out-of-network cost share.
    pub out_of_network: CostShare,
    /// Cost share where the carrier did not say which network.
    pub network_unspecified: CostShare,
    /// Whether prior authorisation is required.
    pub prior_authorization_required: Option<bool>,
    /// Visit limits as stated by the carrier.
    pub limits: Vec<String>,
    /// The carrier's free-text messages for this category.
    pub messages: Vec<String>,
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
    /// First day of coverage, `YYYY-MM-DD`.
    pub plan_begin_date: Option<String>,
    /// Last day of coverage, `YYYY-MM-DD`.
    pub plan_end_date: Option<String>,
    /// X12 insurance type code of the plan (e.g. `PR`).
    pub insurance_type_code: Option<String>,
    /// Per category: plan level (`30`) first, then the behavioural-health categories, then the rest.
    pub categories: Vec<CategoryBenefit>,
    /// The behavioural-health carve-out administrator, when named.
    pub carve_out_administrator: Option<String>,
    /// Plan-wide messages.
    pub messages: Vec<String>,
}

impl BenefitSummary {
    /// The category with this service type code, if present.
    pub fn category(&self, service_type_code: &str) -> Option<&CategoryBenefit> {
        self.categories.iter().find(|c| c.service_type_code == service_type_code)
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
