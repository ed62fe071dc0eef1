//! A carrier's eligibility answer after a connector has parsed it, before the lifecycle decides what it means;
//! the carrier's AAA rejections and follow-up actions; and [`merge`], which joins the answers of one member
//! asked about one service type per request.

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

impl CoverageFinding {
    /// How bad the finding is for admissions, for [`merge`]: member not found (nothing is known) is worst, then
    /// demographics mismatch (the applicant must fix something), then inactive, then active.
    pub fn severity(self) -> u8 {
        match self {
            CoverageFinding::Active => 0,
            CoverageFinding::Inactive => 1,
            CoverageFinding::DemographicsMismatch => 2,
            CoverageFinding::MemberNotFound => 3,
        }
    }
}

/// The applicant's detail a carrier's rejection points at: what admissions asks the applicant to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantField {
    /// The member ID (AAA 64, 72).
    MemberId,
    /// Who the member is as a whole: member ID, name and date of birth together (AAA 67, 68, 75, 76).
    MemberIdentity,
    /// The patient's relationship to the policy holder (AAA 77: the policy holder was found, the patient not).
    Relationship,
    /// The group number (AAA 78).
    GroupNumber,
    /// A date of birth (AAA 58, 60, 71).
    DateOfBirth,
    /// The patient's name (AAA 65).
    PatientName,
    /// The policy holder's name (AAA 73).
    SubscriberName,
}

impl ApplicantField {
    /// Every field.
    pub const ALL: [ApplicantField; 7] = [
        ApplicantField::MemberId,
        ApplicantField::MemberIdentity,
        ApplicantField::Relationship,
        ApplicantField::GroupNumber,
        ApplicantField::DateOfBirth,
        ApplicantField::PatientName,
        ApplicantField::SubscriberName,
    ];

    /// Stable text for storage, logs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicantField::MemberId => "member_id",
            ApplicantField::MemberIdentity => "member_identity",
            ApplicantField::Relationship => "relationship",
            ApplicantField::GroupNumber => "group_number",
            ApplicantField::DateOfBirth => "date_of_birth",
            ApplicantField::PatientName => "patient_name",
            ApplicantField::SubscriberName => "subscriber_name",
        }
    }

    /// The field in words, for hints: "member ID", "date of birth", ...
    pub fn words(self) -> &'static str {
        match self {
            ApplicantField::MemberId => "member ID",
            ApplicantField::MemberIdentity => "member ID, name and date of birth",
            ApplicantField::Relationship => "relationship to the policy holder",
            ApplicantField::GroupNumber => "group number",
            ApplicantField::DateOfBirth => "date of birth",
            ApplicantField::PatientName => "patient's name",
            ApplicantField::SubscriberName => "policy holder's name",
        }
    }

    /// The finding a rejection on this field means: a name or date of birth that does not match is a
    /// demographics mismatch; anything that means "no such member" is member not found.
    pub fn finding(self) -> CoverageFinding {
        match self {
            ApplicantField::DateOfBirth | ApplicantField::PatientName | ApplicantField::SubscriberName => {
                CoverageFinding::DemographicsMismatch
            }
            ApplicantField::MemberId
            | ApplicantField::MemberIdentity
            | ApplicantField::Relationship
            | ApplicantField::GroupNumber => CoverageFinding::MemberNotFound,
        }
    }
}

/// What a carrier's AAA03 reject reason code means for the verification (the table is
/// `crate::carriers::aaa::AAA_CODES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AaaClass {
    /// The applicant's details need fixing, and which: completes as member not found or demographics mismatch.
    FixApplicant(ApplicantField),
    /// The payer (or the line to it) cannot answer now: retried.
    Transient,
    /// The clinic's provider identification or enrolment with the payer, or the carrier directory, is wrong: an
    /// operator must act. Fails as "carrier rejected".
    ProviderSetup,
    /// Anything else (our request's dates or codes, gender, eligibility rules): a person verifies by phone.
    Other,
}

impl AaaClass {
    /// Stable text for logs and metrics (the field is [`ApplicantField::as_str`]).
    pub fn as_str(self) -> &'static str {
        match self {
            AaaClass::FixApplicant(_) => "fix_applicant",
            AaaClass::Transient => "transient",
            AaaClass::ProviderSetup => "provider_setup",
            AaaClass::Other => "other",
        }
    }

    /// The field to fix, for [`AaaClass::FixApplicant`].
    pub fn field(self) -> Option<ApplicantField> {
        match self {
            AaaClass::FixApplicant(field) => Some(field),
            _ => None,
        }
    }
}

/// The follow-up action a payer recommends with a rejection (X12 AAA04, code list 889; JSON `followupAction`,
/// which carries the code's text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpAction {
    /// `C`: Please Correct and Resubmit.
    CorrectAndResubmit,
    /// `N`: Resubmission Not Allowed.
    ResubmissionNotAllowed,
    /// `P`: Please Resubmit Original Transaction.
    ResubmitOriginal,
    /// `R`: Resubmission Allowed.
    ResubmissionAllowed,
    /// `S`: Do Not Resubmit; Inquiry Initiated to a Third Party.
    InquiryInitiatedToThirdParty,
    /// `W`: Please Wait 30 Days and Resubmit.
    Wait30Days,
    /// `X`: Please Wait 10 Days and Resubmit.
    Wait10Days,
    /// `Y`: Do Not Resubmit; We Will Hold Your Request and Respond Again Shortly.
    HoldAndRespond,
}

impl FollowUpAction {
    /// Every action.
    pub const ALL: [FollowUpAction; 8] = [
        FollowUpAction::CorrectAndResubmit,
        FollowUpAction::ResubmissionNotAllowed,
        FollowUpAction::ResubmitOriginal,
        FollowUpAction::ResubmissionAllowed,
        FollowUpAction::InquiryInitiatedToThirdParty,
        FollowUpAction::Wait30Days,
        FollowUpAction::Wait10Days,
        FollowUpAction::HoldAndRespond,
    ];

    /// The AAA04 code.
    pub fn code(self) -> &'static str {
        match self {
            FollowUpAction::CorrectAndResubmit => "C",
            FollowUpAction::ResubmissionNotAllowed => "N",
            FollowUpAction::ResubmitOriginal => "P",
            FollowUpAction::ResubmissionAllowed => "R",
            FollowUpAction::InquiryInitiatedToThirdParty => "S",
            FollowUpAction::Wait30Days => "W",
            FollowUpAction::Wait10Days => "X",
            FollowUpAction::HoldAndRespond => "Y",
        }
    }

    /// The code's meaning in the X12 code list.
    pub fn meaning(self) -> &'static str {
        match self {
            FollowUpAction::CorrectAndResubmit => "Please Correct and Resubmit",
            FollowUpAction::ResubmissionNotAllowed => "Resubmission Not Allowed",
            FollowUpAction::ResubmitOriginal => "Please Resubmit Original Transaction",
            FollowUpAction::ResubmissionAllowed => "Resubmission Allowed",
            FollowUpAction::InquiryInitiatedToThirdParty => "Do Not Resubmit; Inquiry Initiated to a Third Party",
            FollowUpAction::Wait30Days => "Please Wait 30 Days and Resubmit",
            FollowUpAction::Wait10Days => "Please Wait 10 Days and Resubmit",
            FollowUpAction::HoldAndRespond => "Do Not Resubmit; We Will Hold Your Request and Respond Again Shortly",
        }
    }

    /// Parses what a payer sent: the one-letter code (`C`), or the code's text in any case and spacing
    /// ("Please Correct and Resubmit", "please correct & resubmit"). Older code lists end `Y` with "We Will Hand
    /// Deliver ..."; that reads as `Y` too. Anything else is `None`: a payer's free text is never kept, since
    /// it could quote what was sent.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.len() == 1 {
            return FollowUpAction::ALL.into_iter().find(|action| action.code().eq_ignore_ascii_case(raw));
        }
        let wanted = squash(raw);
        if wanted.is_empty() {
            return None;
        }
        if let Some(action) = FollowUpAction::ALL.into_iter().find(|action| squash(action.meaning()) == wanted) {
            return Some(action);
        }
        // "Do Not Resubmit; We Will Hand Deliver (or Hold) ..." variants of Y.
        wanted.starts_with("donotresubmitwewill").then_some(FollowUpAction::HoldAndRespond)
    }

    /// True when the payer says asking again later (as a retry would) is pointless or unwelcome: `N` not
    /// allowed, `S` a third party was asked instead, `W`/`X` wait 30 or 10 days (far beyond a retry schedule).
    pub fn forbids_prompt_retry(self) -> bool {
        matches!(
            self,
            FollowUpAction::ResubmissionNotAllowed
                | FollowUpAction::InquiryInitiatedToThirdParty
                | FollowUpAction::Wait30Days
                | FollowUpAction::Wait10Days
        )
    }
}

/// Letters and digits only, lower case, "&" read as "and": what is left of a code text after payers' spacing
/// and punctuation.
fn squash(text: &str) -> String {
    text.replace('&', "and").chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// One AAA rejection in a carrier's answer, in our words (never the payer's text, which may echo what was sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierRejection {
    /// The AAA03 reject reason code, e.g. `75`.
    pub code: String,
    /// The code's name in the X12 code list, or "unknown reject reason".
    pub description: String,
    /// What it means for the verification.
    pub class: AaaClass,
    /// Where the payer put it: `payer`, `provider`, `subscriber`, `dependent`, or `None` (top-level `errors`).
    #[serde(default)]
    pub source: Option<String>,
    /// The payer's recommended follow-up action (AAA04), when it gave a known one.
    #[serde(default)]
    pub follow_up: Option<FollowUpAction>,
    /// The AAA04 code exactly as the payer sent it, when it was code-shaped ([`follow_up_code`]): kept beside
    /// `follow_up` so that a code this service does not know still reaches the attempt detail and the API.
    #[serde(default)]
    pub follow_up_code: Option<String>,
}

/// The raw AAA04 code worth keeping from what a payer sent: the code of a known action (its text is turned
/// back into the code), or one or two upper-case letters or digits. Anything longer is free text, which is
/// never kept: it could quote what was sent.
pub fn follow_up_code(raw: &str) -> Option<String> {
    if let Some(action) = FollowUpAction::parse(raw) {
        return Some(action.code().to_owned());
    }
    let raw = raw.trim();
    let code_shaped = (1..=2).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    code_shaped.then(|| raw.to_owned())
}

/// The facts in an answer that reveal a government plan, gathered by the connector for screening.
/// Raw codes and texts, so that the screening rules (data, not code) decide.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFacts {
    /// Every X12 EB04 insurance type code in the answer (e.g. `PR`, `MA`, `HN`, `MC`), except those of other
    /// payers that pay after the answering plan.
    pub insurance_type_codes: Vec<String>,
    /// Plan names and descriptions (EB05, `planInformation`, `planDescription`, group names).
    pub plan_descriptions: Vec<String>,
    /// Names of other payers and related entities (2120 NM1, `benefitsRelatedEntities`).
    pub related_entity_names: Vec<String>,
    /// Reference identifier qualifiers present (e.g. `NQ` Medicaid recipient ID, `F6` HIC number).
    pub reference_qualifiers: Vec<String>,
    /// The answering payer's own name (`payer.name`, 2100A NM103).
    #[serde(default)]
    pub payer_names: Vec<String>,
}

impl PlanFacts {
    /// Adds `other`'s facts that this one does not have.
    pub fn union(&mut self, other: &PlanFacts) {
        for (mine, theirs) in [
            (&mut self.insurance_type_codes, &other.insurance_type_codes),
            (&mut self.plan_descriptions, &other.plan_descriptions),
            (&mut self.related_entity_names, &other.related_entity_names),
            (&mut self.reference_qualifiers, &other.reference_qualifiers),
            (&mut self.payer_names, &other.payer_names),
        ] {
            for fact in theirs {
                if !mine.contains(fact) {
                    mine.push(fact.clone());
                }
            }
        }
    }
}

/// A parsed eligibility answer in which the carrier identified the member (or said it could not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EligibilityAnswer {
    /// What the carrier said about the member.
    pub finding: CoverageFinding,
    /// The normalised benefits; for a member the carrier did not find, only its rejections.
    pub summary: BenefitSummary,
    /// Government-plan evidence, screened again after the call.
    pub plan_facts: PlanFacts,
    /// The carrier's error code when the finding came from one, e.g. `AAA:75`.
    pub error_code: Option<String>,
    /// What the applicant should fix, and the carrier's follow-up action, when it said (e.g. "date of birth").
    /// No PHI: names fields, never values.
    pub hint: Option<String>,
}

impl EligibilityAnswer {
    /// A PHI-free line for the attempt record: the finding, and for a rejection its code, field and the payer's
    /// follow-up action, e.g. "answered: member not found (AAA 72, member ID; follow-up C: Please Correct and
    /// Resubmit)".
    pub fn attempt_detail(&self) -> String {
        let finding = match self.finding {
            CoverageFinding::Active => "coverage active",
            CoverageFinding::Inactive => "coverage inactive",
            CoverageFinding::MemberNotFound => "member not found",
            CoverageFinding::DemographicsMismatch => "demographics mismatch",
        };
        let Some(rejection) = self.summary.rejections.iter().find(|r| r.class.field().is_some()) else {
            return format!("answered: {finding}");
        };
        let field = rejection.class.field().map(|f| format!(", {}", f.words())).unwrap_or_default();
        let follow_up = follow_up_words(rejection);
        format!("answered: {finding} (AAA {}{field}{follow_up})", rejection.code)
    }
}

/// "; follow-up C: Please Correct and Resubmit", "; follow-up Q: a code this service does not know", or nothing.
fn follow_up_words(rejection: &CarrierRejection) -> String {
    match (rejection.follow_up, rejection.follow_up_code.as_deref()) {
        (Some(action), _) => format!("; follow-up {}: {}", action.code(), action.meaning()),
        (None, Some(code)) => format!("; follow-up {code}: a code this service does not know"),
        (None, None) => String::new(),
    }
}

/// Merges the answers one member's carrier gave to separate requests, each asking one service type (carriers
/// that answer one service type per request are asked `30`, then each substance-use category). Pure.
///
/// Each item pairs the service type code asked with its answer. `None` only when there are no answers.
///
/// The rule:
/// * **Finding**: the worst wins ([`CoverageFinding::severity`]: member not found, then demographics mismatch,
///   then inactive, then active); its `error_code` and `hint` come with it. A member one request did not find
///   is not covered because another request found someone. Answers disagree on coverage only when they speak
///   about the same thing: an answer that states no plan-level (`30`) status ("substance abuse: inactive" alone)
///   says nothing about the plan, so its active/inactive finding only marks its category (unless no answer
///   states the plan's status at all). The merged `coverage_active` follows the merged finding.
/// * **Plan-level facts** (plan name, group, coverage dates, insurance type, payer, carve-out administrator,
///   patient) come from the answer to `30` (the first answer when `30` was not asked); what it leaves unknown
///   is filled from the other answers in order.
/// * **Categories** are unioned. A category is taken from the answer that asked for it (its figures are the
///   specific ones), then completed from the others. Where answers disagree on activity or prior
///   authorisation, the worst wins: inactive over active, required over not required.
/// * **Plan facts** (government-plan evidence), messages, plan statuses and rejections are unioned, so that
///   screening sees everything any answer revealed.
pub fn merge<S: AsRef<str>>(answers: Vec<(S, EligibilityAnswer)>) -> Option<EligibilityAnswer> {
    let plan_index = answers.iter().position(|(asked, _)| asked.as_ref() == "30").unwrap_or(0);
    let speaks_for_plan = |answer: &EligibilityAnswer| {
        matches!(answer.finding, CoverageFinding::MemberNotFound | CoverageFinding::DemographicsMismatch)
            || answer.summary.category("30").is_some_and(|plan| plan.active.is_some())
    };
    let any_speaks_for_plan = answers.iter().any(|(_, answer)| speaks_for_plan(answer));
    let worst_index = answers
        .iter()
        .enumerate()
        .filter(|(_, (_, answer))| !any_speaks_for_plan || speaks_for_plan(answer))
        // `max_by_key` keeps the last of equals; reversing keeps the first, so ties go to the earlier answer.
        .rev()
        .max_by_key(|(_, (_, answer))| answer.finding.severity())
        .map(|(index, _)| index)?;

    let (_, plan_answer) = &answers[plan_index];
    let mut summary = plan_answer.summary.clone();
    let mut plan_facts = plan_answer.plan_facts.clone();
    // Categories first from the answer that asked for them, so their specific figures stand.
    for (asked, answer) in answers.iter().enumerate().filter(|(i, _)| *i != plan_index).map(|(_, pair)| pair) {
        if let Some(own) = answer.summary.category(asked.as_ref()) {
            match summary.categories.iter_mut().find(|c| c.service_type_code == own.service_type_code) {
                Some(existing) => {
                    let mut specific = own.clone();
                    specific.fill_from(existing);
                    *existing = specific;
                }
                None => summary.categories.push(own.clone()),
            }
        }
    }
    for (index, (_, answer)) in answers.iter().enumerate() {
        if index != plan_index {
            summary.fill_from(&answer.summary);
            plan_facts.union(&answer.plan_facts);
        }
    }

    let (_, worst) = &answers[worst_index];
    // The plan-level flag follows the finding: an inactive or unfound member is not "active" anywhere, and a
    // category-only answer's "inactive" does not make an active plan inactive.
    summary.coverage_active = match worst.finding {
        CoverageFinding::Active => Some(true),
        CoverageFinding::Inactive => Some(false),
        _ => summary.coverage_active.filter(|active| !active),
    };
    Some(EligibilityAnswer {
        finding: worst.finding,
        summary,
        plan_facts,
        error_code: worst.error_code.clone(),
        hint: worst.hint.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::benefits::CategoryBenefit;

    fn category(code: &str, copay: Option<i64>) -> CategoryBenefit {
        let mut category = CategoryBenefit { service_type_code: code.to_owned(), ..CategoryBenefit::default() };
        category.in_network.copay_cents = copay;
        category.active = Some(true);
        category
    }

    fn answer(finding: CoverageFinding, plan_name: &str, categories: Vec<CategoryBenefit>) -> EligibilityAnswer {
        EligibilityAnswer {
            finding,
            summary: BenefitSummary {
                plan_name: Some(plan_name.to_owned()),
                coverage_active: Some(finding == CoverageFinding::Active),
                categories,
                ..BenefitSummary::default()
            },
            plan_facts: PlanFacts::default(),
            error_code: None,
            hint: None,
        }
    }

    #[test]
    fn merging_nothing_gives_nothing() {
        assert_eq!(merge::<&str>(Vec::new()), None);
    }

    #[test]
    fn plan_level_facts_come_from_the_30_answer_and_categories_are_unioned() {
        // Arrange: the AI answer is listed first, and carries its own (stale) view of plan level.
        let ai = answer(
            CoverageFinding::Active,
            "AI answer's plan name",
            vec![category("30", None), category("AI", Some(3_500))],
        );
        let mut plan = answer(CoverageFinding::Active, "Anthem Blue Access PPO", vec![category("30", None)]);
        plan.summary.group_number = None;
        let mut mh = answer(CoverageFinding::Active, "MH plan", vec![category("MH", Some(2_500))]);
        mh.summary.group_number = Some("270145M001".to_owned());

        // Act
        let merged = merge(vec![("AI", ai), ("30", plan), ("MH", mh)]).expect("answers");

        // Assert
        assert_eq!(merged.finding, CoverageFinding::Active);
        assert_eq!(merged.summary.plan_name.as_deref(), Some("Anthem Blue Access PPO"));
        assert_eq!(merged.summary.group_number.as_deref(), Some("270145M001"), "a gap is filled from another answer");
        let codes: Vec<&str> = merged.summary.categories.iter().map(|c| c.service_type_code.as_str()).collect();
        assert_eq!(codes, ["30", "AI", "MH"]);
        assert_eq!(merged.summary.category("AI").and_then(|c| c.in_network.copay_cents), Some(3_500));
    }

    #[test]
    fn a_category_takes_the_figures_of_the_answer_that_asked_for_it() {
        let plan = answer(CoverageFinding::Active, "PPO", vec![category("30", None), category("AI", Some(5_000))]);
        let ai = answer(CoverageFinding::Active, "PPO", vec![category("AI", Some(3_500))]);

        let merged = merge(vec![("30", plan), ("AI", ai)]).expect("answers");

        assert_eq!(merged.summary.category("AI").and_then(|c| c.in_network.copay_cents), Some(3_500));
    }

    #[test]
    fn the_worst_finding_wins_with_its_error_code_and_hint() {
        let plan = answer(CoverageFinding::Active, "PPO", vec![category("30", None)]);
        let mut ai = answer(CoverageFinding::MemberNotFound, "", vec![]);
        ai.error_code = Some("AAA:72".to_owned());
        ai.hint = Some("check the member ID".to_owned());
        let inactive = answer(CoverageFinding::Inactive, "PPO", vec![]);

        let merged = merge(vec![("30", plan), ("AI", ai), ("MH", inactive)]).expect("answers");

        assert_eq!(merged.finding, CoverageFinding::MemberNotFound);
        assert_eq!(merged.error_code.as_deref(), Some("AAA:72"));
        assert_eq!(merged.hint.as_deref(), Some("check the member ID"));
        assert_ne!(merged.summary.coverage_active, Some(true), "not found is never active");
        assert_eq!(merged.summary.plan_name.as_deref(), Some("PPO"), "plan facts still from the 30 answer");
    }

    #[test]
    fn an_inactive_category_in_one_answer_beats_an_active_one_in_another() {
        let mut plan = answer(CoverageFinding::Active, "PPO", vec![category("30", None), category("AI", None)]);
        plan.summary.categories[1].active = Some(true);
        let mut ai_answer = answer(CoverageFinding::Active, "PPO", vec![category("AI", None)]);
        ai_answer.summary.categories[0].active = Some(false);

        let merged = merge(vec![("30", plan), ("AI", ai_answer)]).expect("answers");

        assert_eq!(merged.summary.category("AI").and_then(|c| c.active), Some(false));
        assert_eq!(merged.summary.coverage_active, Some(true), "plan level stays as the 30 answer says");
    }

    #[test]
    fn an_answer_about_one_category_only_does_not_make_an_active_plan_inactive() {
        // Arrange: the 30 answer states the plan active; the AI answer states only AI, inactive (not covered).
        let mut plan_level = category("30", None);
        plan_level.active = Some(true);
        let plan = answer(CoverageFinding::Active, "PPO", vec![plan_level]);
        let mut not_covered = category("AI", None);
        not_covered.active = Some(false);
        let ai = answer(CoverageFinding::Inactive, "PPO", vec![not_covered]);

        // Act
        let merged = merge(vec![("30", plan), ("AI", ai)]).expect("answers");

        // Assert
        assert_eq!(merged.finding, CoverageFinding::Active);
        assert_eq!(merged.summary.coverage_active, Some(true));
        assert_eq!(merged.summary.category("AI").and_then(|c| c.active), Some(false), "the category says so");
    }

    #[test]
    fn an_inactive_plan_level_status_in_any_answer_makes_the_merge_inactive() {
        let mut active_plan = category("30", None);
        active_plan.active = Some(true);
        let mut inactive_plan = category("30", None);
        inactive_plan.active = Some(false);
        let plan = answer(CoverageFinding::Active, "PPO", vec![active_plan]);
        let ai = answer(CoverageFinding::Inactive, "PPO", vec![inactive_plan, category("AI", None)]);

        let merged = merge(vec![("30", plan), ("AI", ai)]).expect("answers");

        assert_eq!((merged.finding, merged.summary.coverage_active), (CoverageFinding::Inactive, Some(false)));
    }

    #[test]
    fn government_plan_evidence_from_any_answer_survives_the_merge() {
        let plan = answer(CoverageFinding::Active, "PPO", vec![]);
        let mut ai = answer(CoverageFinding::Active, "PPO", vec![]);
        ai.plan_facts.insurance_type_codes.push("HN".to_owned());
        ai.plan_facts.reference_qualifiers.push("F6".to_owned());

        let merged = merge(vec![("30", plan), ("AI", ai)]).expect("answers");

        assert_eq!(merged.plan_facts.insurance_type_codes, ["HN"]);
        assert_eq!(merged.plan_facts.reference_qualifiers, ["F6"]);
    }

    #[test]
    fn without_a_30_answer_the_first_answer_gives_the_plan_level_facts() {
        let ai = answer(CoverageFinding::Active, "First", vec![category("AI", Some(1))]);
        let mh = answer(CoverageFinding::Active, "Second", vec![category("MH", Some(2))]);

        let merged = merge(vec![("AI".to_owned(), ai), ("MH".to_owned(), mh)]).expect("answers");

        assert_eq!(merged.summary.plan_name.as_deref(), Some("First"));
        assert_eq!(merged.summary.categories.len(), 2);
    }

    #[test]
    fn follow_up_actions_parse_from_codes_and_texts_but_never_keep_free_text() {
        for action in FollowUpAction::ALL {
            assert_eq!(FollowUpAction::parse(action.code()), Some(action));
            assert_eq!(FollowUpAction::parse(&action.meaning().to_uppercase()), Some(action));
        }
        assert_eq!(FollowUpAction::parse(" please correct & resubmit "), Some(FollowUpAction::CorrectAndResubmit));
        assert_eq!(
            FollowUpAction::parse("Do Not Resubmit; We Will Hand Deliver Requested Information"),
            Some(FollowUpAction::HoldAndRespond)
        );
        for unknown in ["", "Z", "call Jordan Sample at home", "Resubmit"] {
            assert_eq!(FollowUpAction::parse(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn only_names_and_dates_of_birth_are_demographics_mismatches() {
        for field in ApplicantField::ALL {
            let expected = matches!(
                field,
                ApplicantField::DateOfBirth | ApplicantField::PatientName | ApplicantField::SubscriberName
            );
            assert_eq!(field.finding() == CoverageFinding::DemographicsMismatch, expected, "{field:?}");
        }
    }

    #[test]
    fn the_attempt_detail_names_the_code_the_field_and_the_follow_up() {
        let mut not_found = answer(CoverageFinding::MemberNotFound, "", vec![]);
        not_found.summary.rejections.push(CarrierRejection {
            code: "72".to_owned(),
            description: "Invalid/Missing Subscriber/Insured ID".to_owned(),
            class: AaaClass::FixApplicant(ApplicantField::MemberId),
            source: Some("subscriber".to_owned()),
            follow_up: Some(FollowUpAction::CorrectAndResubmit),
            follow_up_code: Some("C".to_owned()),
        });

        assert_eq!(
            not_found.attempt_detail(),
            "answered: member not found (AAA 72, member ID; follow-up C: Please Correct and Resubmit)"
        );
        assert_eq!(answer(CoverageFinding::Active, "", vec![]).attempt_detail(), "answered: coverage active");
    }
}
