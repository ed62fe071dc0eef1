//! A carrier's eligibility answer after a connector has parsed it, before the lifecycle decides what it means.

use serde::{Deserialize, Serialize};

use super::benefits::BenefitSummary;

/// What the carrier said about the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageFinding {
    /// The member was found and the plan-level coverage is active.
    Active,
    /// The member was found but coverage is not active.
    Inactive,
    /// No such member (AAA 72 invalid member ID, 75 subscriber not found, 67 patient not found, ...).
    MemberNotFound,
    /// The member ID matched but name or date of birth did not (AAA 71, 73).
    DemographicsMismatch,
}

/// The facts in an answer that reveal a government plan, gathered by the connector for screening.
/// Raw codes and texts, so that the screening rules (data, not code) decide.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFacts {
    /// Every X12 EB04 insurance type code in the answer (e.g. `PR`, `MA`, `HN`, `MC`).
    pub insurance_type_codes: Vec<String>,
    /// Plan names and descriptions (EB05, `planInformation`, `planDescription`, group names).
    pub plan_descriptions: Vec<String>,
    /// Names of other payers and related entities (2120 NM1, `benefitsRelatedEntities`).
    pub related_entity_names: Vec<String>,
    /// Reference identifier qualifiers present (e.g. `NQ` Medicaid recipient ID, `F6` HIC number).
    pub reference_qualifiers: Vec<String>,
}

/// A parsed eligibility answer in which the carrier identified the member (or said it could not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EligibilityAnswer {
    /// What the carrier said about the member.
    pub finding: CoverageFinding,
    /// The normalised benefits (empty when the member was not found).
    pub summary: BenefitSummary,
    /// Government-plan evidence, screened again after the call.
    pub plan_facts: PlanFacts,
    /// The carrier's error code when the finding came from one, e.g. `AAA:75`.
    pub error_code: Option<String>,
    /// What the carrier said the applicant should fix, when it did (e.g. "date of birth"). No PHI.
    pub hint: Option<String>,
}
