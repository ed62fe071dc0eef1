//! The insurance card and contact details as validated domain values.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::validation::Violations;

/// The kind of plan the applicant chose on the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanType {
    /// Through an employer (group health plan), including COBRA.
    Employer,
    /// Bought on the Marketplace or directly from a carrier.
    Marketplace,
    /// Medicaid, Medicaid managed care or CHIP.
    Medicaid,
    /// Medicare, Medicare Advantage, Medigap or Part D.
    Medicare,
    /// TRICARE (military).
    Tricare,
    /// Anything else.
    Other,
    /// The applicant does not know, or was not asked.
    Unknown,
}

impl PlanType {
    /// Stable text used in storage and telemetry.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanType::Employer => "employer",
            PlanType::Marketplace => "marketplace",
            PlanType::Medicaid => "medicaid",
            PlanType::Medicare => "medicare",
            PlanType::Tricare => "tricare",
            PlanType::Other => "other",
            PlanType::Unknown => "unknown",
        }
    }

    /// Parses the text of [`PlanType::as_str`]; empty text is `Unknown`.
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw.trim().to_ascii_lowercase().as_str() {
            "employer" => PlanType::Employer,
            "marketplace" => PlanType::Marketplace,
            "medicaid" => PlanType::Medicaid,
            "medicare" => PlanType::Medicare,
            "tricare" => PlanType::Tricare,
            "other" => PlanType::Other,
            "unknown" | "" => PlanType::Unknown,
            _ => return None,
        })
    }
}

/// A member ID: 2-80 characters of `[A-Za-z0-9 -]`. PHI: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MemberId(String);

impl MemberId {
    /// Shortest member ID accepted.
    pub const MIN_LEN: usize = 2;
    /// Longest member ID accepted.
    pub const MAX_LEN: usize = 80;

    /// Validates a member ID (trimmed; inner spaces kept as typed).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("is required");
        }
        let len = value.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err("must be 2-80 characters");
        }
        if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
            return Err("may contain only letters, digits, spaces and hyphens");
        }
        if !value.chars().any(|c| c.is_ascii_alphanumeric()) {
            return Err("must contain letters or digits");
        }
        Ok(MemberId(value.to_owned()))
    }

    /// The member ID as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The member ID without spaces and hyphens, upper-cased: how carriers and the MBI check compare it.
    pub fn compact(&self) -> String {
        self.0.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
    }
}

impl fmt::Debug for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemberId(<redacted>)")
    }
}

/// A payer ID: 1-20 characters of `[A-Za-z0-9]`, leading zeros kept (it is an identifier, not a number).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PayerId(String);

impl PayerId {
    /// Validates a payer ID; upper-cases letters so `cms` and `CMS` compare equal.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let value = raw.trim();
        if value.is_empty() || value.len() > 20 {
            return Err("must be 1-20 characters");
        }
        if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("may contain only letters and digits");
        }
        Ok(PayerId(value.to_ascii_uppercase()))
    }

    /// The payer ID text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The insurance card as the applicant typed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuranceCard {
    /// Carrier name as typed, 1-120 characters, trimmed. Not PHI (it names a company).
    pub carrier_name: String,
    /// Plan name as printed on the card, when given.
    pub plan_name: Option<String>,
    /// Payer ID, when given.
    pub payer_id: Option<PayerId>,
    /// Member ID (PHI).
    pub member_id: MemberId,
    /// Group number, when given.
    pub group_number: Option<String>,
    /// Plan type chosen on the form.
    pub plan_type: PlanType,
}

/// Longest carrier or plan name accepted.
pub const MAX_CARRIER_NAME_LEN: usize = 120;
/// Longest group number accepted.
pub const MAX_GROUP_NUMBER_LEN: usize = 50;

impl InsuranceCard {
    /// Validates the raw card fields, recording every problem under `card.*`.
    pub fn parse(
        carrier_name: &str,
        plan_name: &str,
        payer_id: &str,
        member_id: &str,
        group_number: &str,
        plan_type: PlanType,
        violations: &mut Violations,
    ) -> Option<Self> {
        let carrier_name = carrier_name.trim();
        let carrier_ok = if carrier_name.is_empty() {
            violations.add("card.carrier_name", "is required");
            false
        } else if carrier_name.chars().count() > MAX_CARRIER_NAME_LEN || carrier_name.chars().any(char::is_control) {
            violations.add("card.carrier_name", "must be 1-120 printable characters");
            false
        } else {
            true
        };
        let plan_name = plan_name.trim();
        let plan_ok = if plan_name.chars().count() > MAX_CARRIER_NAME_LEN || plan_name.chars().any(char::is_control) {
            violations.add("card.plan_name", "must be at most 120 printable characters");
            false
        } else {
            true
        };
        let payer_id = match payer_id.trim() {
            "" => Some(None),
            raw => match PayerId::parse(raw) {
                Ok(id) => Some(Some(id)),
                Err(why) => {
                    violations.add("card.payer_id", why);
                    None
                }
            },
        };
        let member_id = match MemberId::parse(member_id) {
            Ok(id) => Some(id),
            Err(why) => {
                violations.add("card.member_id", why);
                None
            }
        };
        let group_number = group_number.trim();
        let group_ok = if group_number.chars().count() > MAX_GROUP_NUMBER_LEN
            || !group_number.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            violations.add("card.group_number", "must be at most 50 letters, digits, spaces and hyphens");
            false
        } else {
            true
        };
        if !(carrier_ok && plan_ok && group_ok) {
            return None;
        }
        Some(InsuranceCard {
            carrier_name: carrier_name.to_owned(),
            plan_name: non_empty(plan_name),
            payer_id: payer_id?,
            member_id: member_id?,
            group_number: non_empty(group_number),
            plan_type,
        })
    }
}

/// How admissions reaches the applicant. PHI: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Phone in E.164 (`+1NXXNXXXXXX`), when given.
    pub phone: Option<String>,
    /// E-mail address, when given.
    pub email: Option<String>,
    /// Preferred call time, free text, when given.
    pub preferred_time: Option<String>,
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Contact(<redacted>)")
    }
}

/// Longest e-mail address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest preferred-time text accepted.
pub const MAX_PREFERRED_TIME_LEN: usize = 100;

impl Contact {
    /// Validates contact details; at least a phone or an e-mail is required.
    pub fn parse(phone: &str, email: &str, preferred_time: &str, violations: &mut Violations) -> Option<Self> {
        let before = violations.len();
        let phone = match phone.trim() {
            "" => None,
            raw => {
                let normalised = normalise_us_phone(raw);
                if normalised.is_none() {
                    violations.add("contact.phone", "must be a 10-digit US phone number");
                }
                normalised
            }
        };
        let email = match email.trim() {
            "" => None,
            raw if is_plausible_email(raw) => Some(raw.to_owned()),
            _ => {
                violations.add("contact.email", "must be an e-mail address like name@example.org");
                None
            }
        };
        let preferred_time = preferred_time.trim();
        if preferred_time.chars().count() > MAX_PREFERRED_TIME_LEN || preferred_time.chars().any(char::is_control) {
            violations.add("contact.preferred_time", "must be at most 100 printable characters");
        }
        if violations.len() != before {
            return None;
        }
        if phone.is_none() && email.is_none() {
            violations.add("contact", "needs a phone number or an e-mail address");
            return None;
        }
        Some(Contact { phone, email, preferred_time: non_empty(preferred_time) })
    }
}

/// Normalises a US phone number to E.164, accepting common punctuation and an optional leading 1 / +1.
/// NANP rules: area code and exchange start with 2-9.
pub fn normalise_us_phone(raw: &str) -> Option<String> {
    if !raw.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '+')) {
        return None;
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        10 => digits.as_str(),
        11 if digits.starts_with('1') => &digits[1..],
        _ => return None,
    };
    let bytes = national.as_bytes();
    if !(b'2'..=b'9').contains(&bytes[0]) || !(b'2'..=b'9').contains(&bytes[3]) {
        return None;
    }
    Some(format!("+1{national}"))
}

/// A deliberately simple e-mail shape check: one `@`, a non-empty local part, a dotted domain of letters,
/// digits and hyphens, no spaces. Deliverability is for the mail system to judge.
pub fn is_plausible_email(raw: &str) -> bool {
    if raw.len() > MAX_EMAIL_LEN || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = raw.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn phone_numbers_are_normalised_to_e164() {
        assert_eq!(normalise_us_phone("(502) 555-0142").as_deref(), Some("+15025550142"));
        assert_eq!(normalise_us_phone("+1 502.555.0142").as_deref(), Some("+15025550142"));
        assert_eq!(normalise_us_phone("15025550142").as_deref(), Some("+15025550142"));
    }

    #[test]
    fn malformed_phone_numbers_are_refused() {
        for raw in ["555-0142", "(102) 555-0142", "502 155 0142", "502-555-014x", "25025550142", "+44 20 7946 0958"] {
            assert_eq!(normalise_us_phone(raw), None, "{raw}");
        }
    }

    #[test]
    fn email_shape_is_checked() {
        assert!(is_plausible_email("jane.doe+iop@example.org"));
        for raw in ["jane", "jane@", "@example.org", "jane@example", "jane doe@example.org", "a@b@c.org", "j@-x.org"] {
            assert!(!is_plausible_email(raw), "{raw}");
        }
    }

    #[test]
    fn member_id_accepts_the_documented_alphabet_only() {
        assert!(MemberId::parse("XYZ 123-456").is_ok());
        assert!(MemberId::parse("A").is_err());
        assert!(MemberId::parse("ABC_123").is_err());
        assert!(MemberId::parse("- -").is_err(), "punctuation alone is no member ID");
        assert!(MemberId::parse(&"9".repeat(81)).is_err());
    }

    #[test]
    fn payer_ids_keep_leading_zeros() {
        assert_eq!(PayerId::parse("00060").map(|p| p.as_str().to_owned()), Ok("00060".to_owned()));
    }

    #[test]
    fn contact_needs_a_phone_or_an_email() {
        let mut v = Violations::default();
        assert!(Contact::parse("", "", "mornings", &mut v).is_none());
        assert_eq!(v.iter().next().map(|v| v.field.as_str()), Some("contact"));
    }

    proptest! {
        #[test]
        fn member_id_validation_never_panics_and_accepts_only_its_alphabet(raw in "\\PC{0,100}") {
            if let Ok(id) = MemberId::parse(&raw) {
                let len = id.as_str().chars().count();
                prop_assert!((2..=80).contains(&len));
                prop_assert!(id.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-'));
                prop_assert!(!id.compact().is_empty());
            }
        }

        #[test]
        fn every_valid_ten_digit_number_round_trips(area in 200u32..1000, exchange in 200u32..1000, line in 0u32..10000) {
            let formatted = format!("({area}) {exchange}-{line:04}");
            prop_assert_eq!(normalise_us_phone(&formatted), Some(format!("+1{area}{exchange}{line:04}")));
        }

        #[test]
        fn phone_and_email_checks_never_panic(raw in "\\PC{0,300}") {
            let _ = normalise_us_phone(&raw);
            let _ = is_plausible_email(&raw);
        }
    }
}
