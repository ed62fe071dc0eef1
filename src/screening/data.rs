//! The shapes of the reviewed data files in `data/screening/`, as they are parsed. Checking what they say (unknown
//! words, duplicates, empty reasons) happens where each table is built.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::domain::Verdict;

/// `names.toml`: carrier and plan names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NamesFile {
    pub stop_words: Vec<String>,
    pub negations: Vec<String>,
    pub prefix_words: Vec<String>,
    pub never_fuzzy: Vec<String>,
    pub commercial_markers: Vec<String>,
    #[serde(default)]
    pub misspellings: BTreeMap<String, Vec<String>>,
    #[serde(rename = "plan")]
    pub plans: Vec<PlanEntry>,
}

/// One government plan, programme or product in `names.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanEntry {
    pub name: String,
    pub category: Category,
    pub patterns: Vec<String>,
    pub reason: String,
    #[serde(default = "default_priority")]
    pub priority: u8,
    #[serde(default)]
    pub negatable: bool,
    #[serde(default)]
    pub unless_commercial: bool,
    #[serde(default)]
    pub answer_only: bool,
}

fn default_priority() -> u8 {
    1
}

/// What kind of government plan a name entry is; decides the verdict and the rule id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Category {
    Medicaid,
    MedicaidProgram,
    MedicaidMco,
    Medicare,
    MedicareAdvantage,
    MedicareDual,
    Medigap,
    MedicarePartD,
}

impl Category {
    /// Medicaid or Medicare.
    pub fn verdict(self) -> Verdict {
        match self {
            Category::Medicaid | Category::MedicaidProgram | Category::MedicaidMco => Verdict::Medicaid,
            Category::Medicare
            | Category::MedicareAdvantage
            | Category::MedicareDual
            | Category::Medigap
            | Category::MedicarePartD => Verdict::Medicare,
        }
    }

    /// The rule id reported when a name of this category decides.
    pub fn rule(self) -> &'static str {
        match self {
            Category::Medicaid => "name:medicaid",
            Category::MedicaidProgram => "name:medicaid_program",
            Category::MedicaidMco => "name:medicaid_mco",
            Category::Medicare => "name:medicare",
            Category::MedicareAdvantage => "name:medicare_advantage",
            Category::MedicareDual => "name:medicare_dual",
            Category::Medigap => "name:medigap",
            Category::MedicarePartD => "name:medicare_part_d",
        }
    }
}

/// `payer_ids.toml`: deny-listed payer IDs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PayerIdsFile {
    #[serde(rename = "payer")]
    pub payers: Vec<PayerEntry>,
}

/// One deny-listed payer ID.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PayerEntry {
    pub id: String,
    pub verdict: Verdict,
    pub name: String,
}

/// `member_ids.toml`: member ID shapes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberIdsFile {
    pub hicn: HicnSection,
}

/// The HICN rule's switch and its beneficiary codes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HicnSection {
    pub enabled: bool,
    pub suffixes: Vec<String>,
}

/// `answer.toml`: codes in a carrier's answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerFile {
    pub insurance_type: Vec<CodeEntry>,
    pub reference: Vec<CodeEntry>,
}

/// One code and what it means.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeEntry {
    pub code: String,
    pub verdict: Verdict,
    pub meaning: String,
}
