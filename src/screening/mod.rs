//! Government-plan screening: Medicaid and Medicare are refused before any carrier call, and a carrier's
//! answer is screened again. Pure: the rules are data (`data/screening/`), compiled in, parsed once.
//!
//! A request is screened on these signals, strongest first; the first that fires decides:
//! 1. the plan type chosen on the form (rule [`rule::PLAN_TYPE`]);
//! 2. a payer ID on the deny-list (`payer_ids.toml`, rule [`rule::PAYER_ID`]);
//! 3. a member ID shaped as a Medicare Beneficiary Identifier ([`rule::MEMBER_ID_MBI`]) or an old Health
//!    Insurance Claim Number ([`rule::MEMBER_ID_HICN`], `member_ids.toml`);
//! 4. the carrier and plan name (`names.toml`, rules `name:<category>`). Brands that sell commercial plans too
//!    are forwarded unless the name also names a government product: a wrong refusal loses a patient.
//!
//! A carrier's answer ([`PlanFacts`]) is screened on its EB04 insurance type codes (MA, MB, MP, CP, HN, QM, HS,
//! MH, MI, 12-16, 41-43, 47 for Medicare; MC for Medicaid), plan descriptions, other payers' names (other
//! payers that pay after the answering plan are left out by the connector), reference qualifiers (NQ Medicaid
//! recipient ID, F6 Medicare HIC number) and the answering payer's own name (`answer.toml` and `names.toml`,
//! rules `answer:*`), in that order; the first that fires decides, and its rule id is stored with the
//! verification.
//!
//! A decision's `reason` only ever names what the tables say (a plan, a programme, a code's meaning), never what
//! the applicant typed, and never the member ID.

mod answer;
mod data;
mod member_id;
mod names;
mod text;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::domain::{InsuranceCard, PayerId, PlanFacts, PlanType, ScreeningDecision, Verdict};

use answer::CodeTable;
use data::{AnswerFile, MemberIdsFile, NamesFile, PayerIdsFile};
use member_id::HicnRule;
use names::{NameContext, NameTable};

pub use member_id::looks_like_mbi;

/// The rule ids a [`ScreeningDecision`] reports (besides `name:<category>` for names).
pub mod rule {
    /// The plan type chosen on the form.
    pub const PLAN_TYPE: &str = "plan_type";
    /// A deny-listed payer ID.
    pub const PAYER_ID: &str = "payer_id";
    /// A member ID shaped as a Medicare Beneficiary Identifier.
    pub const MEMBER_ID_MBI: &str = "member_id_mbi";
    /// A member ID shaped as a Medicare Health Insurance Claim Number.
    pub const MEMBER_ID_HICN: &str = "member_id_hicn";
    /// Prefix of the name rules: `name:medicaid`, `name:medicaid_program`, `name:medicaid_mco`, `name:medicare`,
    /// `name:medicare_advantage`, `name:medicare_dual`, `name:medigap`, `name:medicare_part_d`.
    pub const NAME_PREFIX: &str = "name:";
    /// An EB04 insurance type code in the carrier's answer.
    pub const ANSWER_INSURANCE_TYPE: &str = "answer:insurance_type";
    /// A plan description in the carrier's answer.
    pub const ANSWER_PLAN_DESCRIPTION: &str = "answer:plan_description";
    /// Another payer named in the carrier's answer.
    pub const ANSWER_OTHER_PAYER: &str = "answer:other_payer";
    /// A reference qualifier (NQ, F6) in the carrier's answer.
    pub const ANSWER_REFERENCE: &str = "answer:reference";
    /// The answering payer's own name (e.g. a Medicaid managed-care plan answering for a brand name).
    pub const ANSWER_PAYER_NAME: &str = "answer:payer_name";
}

/// The reviewed name table, as shipped.
pub(crate) const EMBEDDED_NAMES: &str = include_str!("../../data/screening/names.toml");
const EMBEDDED_PAYER_IDS: &str = include_str!("../../data/screening/payer_ids.toml");
const EMBEDDED_MEMBER_IDS: &str = include_str!("../../data/screening/member_ids.toml");
const EMBEDDED_ANSWER: &str = include_str!("../../data/screening/answer.toml");

/// The text of the four screening data files.
#[derive(Debug, Clone, Copy)]
pub struct RuleSources<'a> {
    /// `names.toml`: carrier and plan names.
    pub names: &'a str,
    /// `payer_ids.toml`: deny-listed payer IDs.
    pub payer_ids: &'a str,
    /// `member_ids.toml`: member ID shapes.
    pub member_ids: &'a str,
    /// `answer.toml`: codes in a carrier's answer.
    pub answer: &'a str,
}

impl RuleSources<'static> {
    /// The files in `data/screening/`, compiled in.
    pub const EMBEDDED: RuleSources<'static> = RuleSources {
        names: EMBEDDED_NAMES,
        payer_ids: EMBEDDED_PAYER_IDS,
        member_ids: EMBEDDED_MEMBER_IDS,
        answer: EMBEDDED_ANSWER,
    };
}

/// A screening data file that cannot be used. Names the file and the problem; never contains applicant data.
#[derive(Debug, thiserror::Error)]
pub enum ScreeningDataError {
    /// The file is not valid TOML or does not have the expected fields.
    #[error("screening data file {file} cannot be read: {source}")]
    Syntax {
        /// Which file.
        file: &'static str,
        /// What the TOML parser said.
        #[source]
        source: toml::de::Error,
    },
    /// The file parses but says something the screener refuses (an unknown word, a duplicate, an empty reason).
    #[error("screening data file {file}: {problem}")]
    Invalid {
        /// Which file.
        file: &'static str,
        /// What is wrong.
        problem: String,
    },
}

/// A deny-listed payer ID's verdict and reason.
#[derive(Debug)]
struct PayerRule {
    verdict: Verdict,
    reason: String,
}

/// Everything compiled from the data files.
struct Rules {
    names: NameTable,
    payer_ids: HashMap<String, PayerRule>,
    hicn: Option<HicnRule>,
    insurance_types: CodeTable,
    references: CodeTable,
}

/// The screening rules, loaded once. Cloning is cheap (the tables are shared).
#[derive(Clone)]
pub struct Screener {
    rules: Arc<Rules>,
}

impl fmt::Debug for Screener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Screener")
            .field("name_entries", &self.rules.names.entry_count())
            .field("payer_ids", &self.rules.payer_ids.len())
            .field("hicn", &self.rules.hicn.is_some())
            .finish_non_exhaustive()
    }
}

impl Screener {
    /// The rules shipped with the service, parsed on first use and shared afterwards.
    pub fn embedded() -> Self {
        static EMBEDDED: OnceLock<Screener> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                // The test `the_embedded_rules_are_valid` parses exactly these files, so this cannot fail in a
                // build whose tests pass.
                Screener::from_toml(&RuleSources::EMBEDDED)
                    .expect("data/screening/*.toml is checked by the test the_embedded_rules_are_valid")
            })
            .clone()
    }

    /// Compiles rules from the text of the data files, checking them.
    pub fn from_toml(sources: &RuleSources<'_>) -> Result<Self, ScreeningDataError> {
        let names: NamesFile = parse("names.toml", sources.names)?;
        let payer_ids: PayerIdsFile = parse("payer_ids.toml", sources.payer_ids)?;
        let member_ids: MemberIdsFile = parse("member_ids.toml", sources.member_ids)?;
        let answer: AnswerFile = parse("answer.toml", sources.answer)?;

        let invalid = |file| move |problem| ScreeningDataError::Invalid { file, problem };
        let names = NameTable::build(names).map_err(invalid("names.toml"))?;
        let payer_ids = payer_rules(&payer_ids).map_err(invalid("payer_ids.toml"))?;
        let hicn = if member_ids.hicn.enabled {
            Some(HicnRule::new(&member_ids.hicn.suffixes).map_err(invalid("member_ids.toml"))?)
        } else {
            None
        };
        let insurance_types =
            CodeTable::new(&answer.insurance_type, "insurance_type").map_err(invalid("answer.toml"))?;
        let references = CodeTable::new(&answer.reference, "reference").map_err(invalid("answer.toml"))?;
        Ok(Screener { rules: Arc::new(Rules { names, payer_ids, hicn, insurance_types, references }) })
    }

    /// Screens a card before any carrier call.
    pub fn screen_request(&self, card: &InsuranceCard) -> ScreeningDecision {
        match card.plan_type {
            PlanType::Medicaid => {
                return refuse(
                    Verdict::Medicaid,
                    rule::PLAN_TYPE,
                    "The applicant chose Medicaid as the plan type on the form.".to_owned(),
                );
            }
            PlanType::Medicare => {
                return refuse(
                    Verdict::Medicare,
                    rule::PLAN_TYPE,
                    "The applicant chose Medicare as the plan type on the form.".to_owned(),
                );
            }
            _ => {}
        }
        if let Some(payer) = card.payer_id.as_ref().and_then(|id| self.rules.payer_ids.get(id.as_str())) {
            return refuse(payer.verdict, rule::PAYER_ID, payer.reason.clone());
        }
        let member_id = card.member_id.as_str();
        if looks_like_mbi(member_id) {
            return refuse(
                Verdict::Medicare,
                rule::MEMBER_ID_MBI,
                "The member ID has the shape of a Medicare Beneficiary Identifier (MBI).".to_owned(),
            );
        }
        if self.rules.hicn.as_ref().is_some_and(|hicn| hicn.matches(member_id)) {
            return refuse(
                Verdict::Medicare,
                rule::MEMBER_ID_HICN,
                "The member ID has the shape of a Medicare Health Insurance Claim Number (HICN): nine digits and a \
                 beneficiary code."
                    .to_owned(),
            );
        }
        let texts = [card.carrier_name.as_str(), card.plan_name.as_deref().unwrap_or_default()];
        let context = NameContext::Request { marketplace_chosen: card.plan_type == PlanType::Marketplace };
        match self.rules.names.find(&texts, context) {
            Some(hit) => refuse(hit.category.verdict(), hit.category.rule(), hit.reason.to_owned()),
            None => ScreeningDecision::forward(),
        }
    }

    /// Screens a carrier's answer; `Some` when it reveals Medicaid or Medicare.
    pub fn screen_answer(&self, facts: &PlanFacts) -> Option<ScreeningDecision> {
        if let Some(code) = self.rules.insurance_types.first_of(&facts.insurance_type_codes) {
            return Some(refuse(
                code.verdict,
                rule::ANSWER_INSURANCE_TYPE,
                format!("The carrier's answer reports insurance type {} ({}).", code.code, code.meaning),
            ));
        }
        if let Some(hit) = self.first_name_in(&facts.plan_descriptions) {
            return Some(refuse(
                hit.category.verdict(),
                rule::ANSWER_PLAN_DESCRIPTION,
                format!("The carrier's answer describes the plan: {}", hit.reason),
            ));
        }
        if let Some(hit) = self.first_name_in(&facts.related_entity_names) {
            return Some(refuse(
                hit.category.verdict(),
                rule::ANSWER_OTHER_PAYER,
                format!("The carrier's answer names another payer: {}", hit.reason),
            ));
        }
        if let Some(code) = self.rules.references.first_of(&facts.reference_qualifiers) {
            return Some(refuse(
                code.verdict,
                rule::ANSWER_REFERENCE,
                format!("The carrier's answer carries a {} (reference qualifier {}).", code.meaning, code.code),
            ));
        }
        if let Some(hit) = self.first_name_in(&facts.payer_names) {
            return Some(refuse(
                hit.category.verdict(),
                rule::ANSWER_PAYER_NAME,
                format!("The carrier's answer comes from a government plan: {}", hit.reason),
            ));
        }
        None
    }

    /// The first of `texts` (each read on its own) that names a government plan.
    fn first_name_in<'a>(&'a self, texts: &[String]) -> Option<names::NameHit<'a>> {
        texts.iter().find_map(|text| self.rules.names.find(&[text.as_str()], NameContext::Answer))
    }
}

fn refuse(verdict: Verdict, rule: &str, reason: String) -> ScreeningDecision {
    ScreeningDecision { verdict, rule: rule.to_owned(), reason }
}

fn parse<T: serde::de::DeserializeOwned>(file: &'static str, text: &str) -> Result<T, ScreeningDataError> {
    toml::from_str(text).map_err(|source| ScreeningDataError::Syntax { file, source })
}

fn payer_rules(file: &PayerIdsFile) -> Result<HashMap<String, PayerRule>, String> {
    let mut rules = HashMap::with_capacity(file.payers.len());
    for payer in &file.payers {
        // Stored as `PayerId` normalises it, so "cms" on a card finds "CMS" here.
        let id = PayerId::parse(&payer.id).map_err(|why| format!("payer \"{}\": {why}", payer.id))?;
        if payer.verdict == Verdict::Forward {
            return Err(format!("payer {id}: verdict must be medicaid or medicare"));
        }
        if payer.name.trim().is_empty() {
            return Err(format!("payer {id}: name is empty"));
        }
        let reason = format!("The payer ID on the card belongs to {}.", payer.name.trim());
        if rules.insert(id.as_str().to_owned(), PayerRule { verdict: payer.verdict, reason }).is_some() {
            return Err(format!("payer {id} is listed twice"));
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::MemberId;

    fn card(carrier: &str, member_id: &str, plan_type: PlanType) -> InsuranceCard {
        InsuranceCard {
            carrier_name: carrier.to_owned(),
            plan_name: None,
            payer_id: None,
            member_id: MemberId::parse(member_id).expect("valid member id"),
            group_number: None,
            plan_type,
        }
    }

    fn commercial(carrier: &str) -> InsuranceCard {
        card(carrier, "XJH123456789", PlanType::Unknown)
    }

    #[test]
    fn the_embedded_rules_are_valid() {
        // Arrange / Act
        let screener = Screener::from_toml(&RuleSources::EMBEDDED);

        // Assert
        assert!(screener.is_ok(), "{:?}", screener.err());
    }

    #[test]
    fn medicaid_plan_type_is_refused_before_anything_else() {
        // Arrange: a commercial carrier, but Medicaid chosen on the form.
        let screener = Screener::embedded();
        let card = card("Anthem Blue Cross Blue Shield", "XJH123456789", PlanType::Medicaid);

        // Act
        let decision = screener.screen_request(&card);

        // Assert
        assert_eq!(decision.verdict, Verdict::Medicaid);
        assert_eq!(decision.rule, rule::PLAN_TYPE);
    }

    #[test]
    fn medicare_plan_type_wins_over_a_medicaid_name() {
        let screener = Screener::embedded();

        let decision = screener.screen_request(&card("Passport Health Plan", "XJH123456789", PlanType::Medicare));

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, rule::PLAN_TYPE));
    }

    #[test]
    fn a_deny_listed_payer_id_is_refused_whatever_its_case() {
        // Arrange
        let screener = Screener::embedded();
        let mut card = commercial("Aetna");
        card.payer_id = Some(PayerId::parse("cms").expect("valid payer id"));

        // Act
        let decision = screener.screen_request(&card);

        // Assert
        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, rule::PAYER_ID));
        assert!(decision.reason.contains("Centers for Medicare"));
    }

    #[test]
    fn a_commercial_payer_id_is_forwarded() {
        let screener = Screener::embedded();
        let mut card = commercial("Humana");
        card.payer_id = Some(PayerId::parse("61101").expect("valid payer id"));

        assert_eq!(screener.screen_request(&card), ScreeningDecision::forward());
    }

    #[test]
    fn a_payer_id_decides_before_the_member_id() {
        let screener = Screener::embedded();
        let mut card = card("Kentucky Medicaid", "1EG4-TE5-MK73", PlanType::Unknown);
        card.payer_id = Some(PayerId::parse("SKKY0").expect("valid payer id"));

        let decision = screener.screen_request(&card);

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicaid, rule::PAYER_ID));
    }

    #[test]
    fn an_mbi_member_id_is_medicare_even_with_a_commercial_carrier() {
        let screener = Screener::embedded();

        let decision = screener.screen_request(&card("Aetna", "1EG4-TE5-MK73", PlanType::Employer));

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, rule::MEMBER_ID_MBI));
    }

    #[test]
    fn a_hicn_member_id_is_medicare() {
        let screener = Screener::embedded();

        let decision = screener.screen_request(&card("Humana", "123-45-6789A", PlanType::Unknown));

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, rule::MEMBER_ID_HICN));
    }

    #[test]
    fn a_medicaid_mco_name_is_refused_with_the_table_reason() {
        let screener = Screener::embedded();

        let decision = screener.screen_request(&commercial("passport by molina"));

        assert_eq!(decision.verdict, Verdict::Medicaid);
        assert_eq!(decision.rule, "name:medicaid_mco");
        assert_eq!(
            decision.reason,
            "Passport Health Plan by Molina Healthcare is a Kentucky Medicaid managed-care plan."
        );
    }

    #[test]
    fn the_plan_name_is_screened_with_the_carrier_name() {
        let screener = Screener::embedded();
        let mut card = commercial("Humana");
        card.plan_name = Some("Gold Plus HMO".to_owned());

        let decision = screener.screen_request(&card);

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, "name:medicare_advantage"));
    }

    #[test]
    fn a_commercial_card_is_forwarded_with_an_empty_rule() {
        let screener = Screener::embedded();

        let decision = screener.screen_request(&commercial("Anthem Blue Cross Blue Shield"));

        assert_eq!(decision, ScreeningDecision::forward());
        assert!(!decision.refuses());
    }

    #[test]
    fn a_reason_never_contains_the_member_id_or_the_typed_text() {
        // Arrange: a misspelt name with a marker word that only the applicant could have typed.
        let screener = Screener::embedded();
        let mut card = card("Zebulon's medicade plan", "1EG4-TE5-MK73", PlanType::Unknown);

        // Act
        let by_mbi = screener.screen_request(&card);
        card.member_id = MemberId::parse("XJH123456789").expect("valid member id");
        let by_name = screener.screen_request(&card);

        // Assert
        for decision in [by_mbi, by_name] {
            assert!(decision.refuses());
            assert!(!decision.reason.contains("1EG4"));
            assert!(!decision.reason.to_lowercase().contains("zebulon"));
            assert!(!decision.reason.contains("medicade"));
        }
    }

    #[test]
    fn an_answer_with_a_medicare_insurance_type_is_medicare() {
        let screener = Screener::embedded();
        let facts = PlanFacts { insurance_type_codes: vec!["PR".to_owned(), "hn".to_owned()], ..PlanFacts::default() };

        let decision = screener.screen_answer(&facts).expect("refused");

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, rule::ANSWER_INSURANCE_TYPE));
        assert!(decision.reason.contains("HN"));
    }

    #[test]
    fn an_answer_with_only_the_medicaid_insurance_type_is_medicaid() {
        let screener = Screener::embedded();
        let facts = PlanFacts { insurance_type_codes: vec!["MC".to_owned()], ..PlanFacts::default() };

        let decision = screener.screen_answer(&facts).expect("refused");

        assert_eq!(decision.verdict, Verdict::Medicaid);
    }

    #[test]
    fn a_service_type_code_in_a_plan_description_is_not_an_insurance_type() {
        // "MH" is mental health as a service type; only insurance_type_codes are read as EB04.
        let screener = Screener::embedded();
        let facts = PlanFacts {
            insurance_type_codes: vec!["PR".to_owned()],
            plan_descriptions: vec!["MH".to_owned(), "Open Access Plus".to_owned()],
            ..PlanFacts::default()
        };

        assert_eq!(screener.screen_answer(&facts), None);
    }

    #[test]
    fn a_plan_description_naming_a_medicare_advantage_plan_is_medicare() {
        let screener = Screener::embedded();
        let facts = PlanFacts { plan_descriptions: vec!["HUMANA GOLD PLUS HMO".to_owned()], ..PlanFacts::default() };

        let decision = screener.screen_answer(&facts).expect("refused");

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, rule::ANSWER_PLAN_DESCRIPTION));
    }

    #[test]
    fn another_payer_named_cms_is_medicare() {
        let screener = Screener::embedded();
        let facts = PlanFacts { related_entity_names: vec!["CMS".to_owned()], ..PlanFacts::default() };

        let decision = screener.screen_answer(&facts).expect("refused");

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, rule::ANSWER_OTHER_PAYER));
    }

    #[test]
    fn a_medicaid_recipient_id_qualifier_is_medicaid() {
        let screener = Screener::embedded();
        let facts = PlanFacts { reference_qualifiers: vec!["1W".to_owned(), "NQ".to_owned()], ..PlanFacts::default() };

        let decision = screener.screen_answer(&facts).expect("refused");

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicaid, rule::ANSWER_REFERENCE));
    }

    #[test]
    fn a_commercial_answer_is_not_refused() {
        let screener = Screener::embedded();
        let facts = PlanFacts {
            insurance_type_codes: vec!["PR".to_owned(), "C1".to_owned()],
            plan_descriptions: vec!["Choice POS II".to_owned(), "Ambetter from WellCare of Kentucky".to_owned()],
            related_entity_names: vec!["Express Scripts".to_owned()],
            reference_qualifiers: vec!["18".to_owned(), "6P".to_owned()],
            payer_names: vec!["Anthem Blue Cross and Blue Shield".to_owned(), "HUMANA".to_owned()],
        };

        assert_eq!(screener.screen_answer(&facts), None);
    }

    #[test]
    fn a_medicare_hic_number_qualifier_is_medicare() {
        let screener = Screener::embedded();
        let facts = PlanFacts { reference_qualifiers: vec!["F6".to_owned()], ..PlanFacts::default() };

        let decision = screener.screen_answer(&facts).expect("refused");

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicare, rule::ANSWER_REFERENCE));
        assert!(decision.reason.contains("HIC"), "{}", decision.reason);
    }

    #[test]
    fn every_listed_insurance_type_code_is_refused_with_its_verdict() {
        let screener = Screener::embedded();
        let medicare = [
            "MA", "MB", "MP", "CP", "HN", "QM", "HS", "MH", "MI", "12", "13", "14", "15", "16", "41", "42", "43", "47",
        ];

        for code in medicare.into_iter().chain(["MC"]) {
            let facts = PlanFacts { insurance_type_codes: vec![code.to_owned()], ..PlanFacts::default() };

            let decision = screener.screen_answer(&facts).unwrap_or_else(|| panic!("{code} must be refused"));

            let expected = if code == "MC" { Verdict::Medicaid } else { Verdict::Medicare };
            assert_eq!((decision.verdict, decision.rule.as_str()), (expected, rule::ANSWER_INSURANCE_TYPE), "{code}");
        }
    }

    #[test]
    fn a_medicaid_payer_answering_is_medicaid_by_its_name() {
        let screener = Screener::embedded();
        let facts = PlanFacts { payer_names: vec!["Kentucky Medicaid".to_owned()], ..PlanFacts::default() };

        let decision = screener.screen_answer(&facts).expect("refused");

        assert_eq!((decision.verdict, decision.rule.as_str()), (Verdict::Medicaid, rule::ANSWER_PAYER_NAME));
    }

    #[test]
    fn an_empty_answer_is_not_refused() {
        assert_eq!(Screener::embedded().screen_answer(&PlanFacts::default()), None);
    }

    #[test]
    fn broken_data_is_reported_with_the_file_name() {
        let sources = RuleSources { payer_ids: "[[payer]]\nid = \"CMS\"\n", ..RuleSources::EMBEDDED };

        let error = Screener::from_toml(&sources).expect_err("missing fields");

        assert!(error.to_string().contains("payer_ids.toml"), "{error}");
    }

    #[test]
    fn a_payer_listed_as_forward_is_refused_at_load() {
        let sources = RuleSources {
            payer_ids: "[[payer]]\nid = \"60054\"\nverdict = \"forward\"\nname = \"Aetna\"\n",
            ..RuleSources::EMBEDDED
        };

        assert!(matches!(Screener::from_toml(&sources), Err(ScreeningDataError::Invalid { .. })));
    }

    #[test]
    fn well_known_commercial_payer_ids_are_not_deny_listed() {
        // Aetna, Cigna, UnitedHealthcare, Humana, UMR, Ambetter: a refusal on these would be wrong.
        let screener = Screener::embedded();

        for id in ["60054", "62308", "87726", "61101", "39026", "68069"] {
            assert!(!screener.rules.payer_ids.contains_key(id), "{id}");
        }
    }

    #[test]
    fn the_debug_output_shows_table_sizes_not_contents() {
        let shown = format!("{:?}", Screener::embedded());

        assert!(shown.starts_with("Screener"));
        assert!(!shown.contains("Passport"));
    }

    fn any_member_id() -> impl Strategy<Value = MemberId> {
        "[A-Za-z0-9][A-Za-z0-9 -]{0,40}[A-Za-z0-9]".prop_filter_map("valid member id", |raw| MemberId::parse(&raw).ok())
    }

    fn any_plan_type() -> impl Strategy<Value = PlanType> {
        prop::sample::select(vec![
            PlanType::Employer,
            PlanType::Marketplace,
            PlanType::Medicaid,
            PlanType::Medicare,
            PlanType::Tricare,
            PlanType::Other,
            PlanType::Unknown,
        ])
    }

    /// Names from the shared table with their verdicts.
    const KNOWN: &[(&str, Verdict)] = &[
        ("Kentucky Medicaid", Verdict::Medicaid),
        ("Passport by Molina Healthcare", Verdict::Medicaid),
        ("Humana Healthy Horizons in Kentucky", Verdict::Medicaid),
        ("Healthy Indiana Plan", Verdict::Medicaid),
        ("Humana Gold Plus HMO", Verdict::Medicare),
        ("AARP Medicare Supplement Plan G", Verdict::Medicare),
        ("UnitedHealthcare Dual Complete", Verdict::Medicare),
        ("Ambetter from WellCare of Kentucky", Verdict::Forward),
        ("Anthem BCBS PPO", Verdict::Forward),
        ("Medical Mutual", Verdict::Forward),
        ("Medica", Verdict::Forward),
        ("Humana", Verdict::Forward),
    ];

    /// Respells a name: random case per letter, random separators between words.
    fn respelled(name: &'static str, seed: Vec<(bool, u8)>) -> String {
        let separators = [" ", "  ", "-", " / ", ", ", "."];
        let mut out = String::new();
        for (i, word) in name.split(' ').enumerate() {
            let (upper, sep) = seed.get(i).copied().unwrap_or((false, 0));
            if i > 0 {
                out.push_str(separators[usize::from(sep) % separators.len()]);
            }
            out.extend(word.chars().map(|c| if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }));
        }
        format!("  {out} ")
    }

    proptest! {
        #[test]
        fn screen_request_never_panics(
            carrier in ".{0,130}",
            plan in proptest::option::of(".{0,130}"),
            member_id in any_member_id(),
            plan_type in any_plan_type(),
        ) {
            let screener = Screener::embedded();
            let mut card = card("x", "XJH123456789", plan_type);
            card.carrier_name = carrier;
            card.plan_name = plan;
            card.member_id = member_id;

            let decision = screener.screen_request(&card);

            prop_assert_eq!(decision.refuses(), !decision.rule.is_empty());
        }

        #[test]
        fn screen_answer_never_panics(
            codes in prop::collection::vec(".{0,4}", 0..5),
            texts in prop::collection::vec(".{0,60}", 0..4),
        ) {
            let facts = PlanFacts {
                insurance_type_codes: codes.clone(),
                plan_descriptions: texts.clone(),
                related_entity_names: texts.clone(),
                reference_qualifiers: codes,
                payer_names: texts,
            };
            let _ = Screener::embedded().screen_answer(&facts);
        }

        #[test]
        fn a_generated_mbi_is_always_medicare(mbi in member_id::tests::any_mbi(), carrier in "[A-Za-z ]{1,30}") {
            let decision = Screener::embedded().screen_request(&card(&carrier, &mbi, PlanType::Employer));

            prop_assert_eq!(decision.verdict, Verdict::Medicare);
            prop_assert_eq!(decision.rule.as_str(), rule::MEMBER_ID_MBI);
        }

        #[test]
        fn case_and_separators_do_not_change_the_verdict(
            index in 0..KNOWN.len(),
            seed in prop::collection::vec((any::<bool>(), any::<u8>()), 6),
        ) {
            let (name, expected) = KNOWN[index];

            let decision = Screener::embedded().screen_request(&commercial(&respelled(name, seed)));

            prop_assert_eq!(decision.verdict, expected, "{}", name);
        }

        #[test]
        fn brand_words_with_commercial_product_words_are_forwarded(
            brand in prop::sample::select(vec![
                "Humana", "Aetna", "Anthem", "Anthem Blue Cross and Blue Shield", "Molina", "Molina Healthcare",
                "CareSource", "WellCare", "UnitedHealthcare", "United Healthcare", "UHC", "Cigna", "Blue Cross",
                "Amerigroup", "Ambetter", "Oscar", "Medica", "Medical Mutual", "Passport",
            ]),
            products in prop::collection::vec(prop::sample::select(vec![
                "PPO", "HMO", "EPO", "POS", "Choice", "Select", "Open Access", "Bronze", "Silver", "Platinum",
                "Core", "National", "Employer", "Group", "Individual", "Family", "HSA", "Network", "Preferred",
                "Standard", "Indiana", "Ohio", "Marketplace", "Balanced Care", "Secure", "Options",
            ]), 0..4),
        ) {
            let name = std::iter::once(brand).chain(products.iter().copied()).collect::<Vec<_>>().join(" ");

            let decision = Screener::embedded().screen_request(&commercial(&name));

            prop_assert_eq!(decision.verdict, Verdict::Forward, "{}", name);
        }
    }
}
