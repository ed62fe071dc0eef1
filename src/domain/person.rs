//! The applicant and the policy holder as validated domain values.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use super::validation::Violations;

/// Longest name part accepted (given, family or middle name).
pub const MAX_NAME_LEN: usize = 60;
/// Oldest date of birth accepted, in years before today.
pub const MAX_AGE_YEARS: i32 = 120;

/// A person's name and date of birth. PHI: its `Debug` output is redacted so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Given name, 1-60 characters, trimmed.
    pub first_name: String,
    /// Family name, 1-60 characters, trimmed.
    pub last_name: String,
    /// Middle name or initial; `None` when not given.
    pub middle_name: Option<String>,
    /// Date of birth: in the past, at most 120 years ago.
    pub date_of_birth: Date,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Person(<redacted>)")
    }
}

impl Person {
    /// Validates raw form values into a `Person`, recording every problem under `field_prefix` (e.g.
    /// `applicant`) in `violations`. Returns `None` when any field is invalid.
    pub fn parse(
        field_prefix: &str,
        first_name: &str,
        last_name: &str,
        middle_name: &str,
        date_of_birth: &str,
        today: Date,
        violations: &mut Violations,
    ) -> Option<Self> {
        let first = parse_name(&format!("{field_prefix}.first_name"), first_name, true, violations);
        let last = parse_name(&format!("{field_prefix}.last_name"), last_name, true, violations);
        let middle = parse_name(&format!("{field_prefix}.middle_name"), middle_name, false, violations);
        let dob = parse_date_of_birth(&format!("{field_prefix}.date_of_birth"), date_of_birth, today, violations);
        Some(Person { first_name: first??, last_name: last??, middle_name: middle?, date_of_birth: dob? })
    }
}

/// Parses one name part. Returns `None` on error, `Some(None)` for an allowed empty value.
fn parse_name(field: &str, raw: &str, required: bool, violations: &mut Violations) -> Option<Option<String>> {
    let value = raw.trim();
    if value.is_empty() {
        if required {
            violations.add(field, "is required");
            return None;
        }
        return Some(None);
    }
    if value.chars().count() > MAX_NAME_LEN {
        violations.add(field, format!("must be at most {MAX_NAME_LEN} characters"));
        return None;
    }
    // Letters of any script, spaces, hyphens, apostrophes and periods cover real names (O'Brien, Smith-Jones,
    // J.); digits and control characters do not belong in a name and would break X12 NM1 segments.
    if !value.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.' | '’')) {
        violations.add(field, "may contain only letters, spaces, hyphens, apostrophes and periods");
        return None;
    }
    Some(Some(value.to_owned()))
}

/// Parses a `YYYY-MM-DD` date of birth that lies in the past and at most [`MAX_AGE_YEARS`] ago.
pub fn parse_date_of_birth(field: &str, raw: &str, today: Date, violations: &mut Violations) -> Option<Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        violations.add(field, "is required");
        return None;
    }
    let Some(date) = parse_iso_date(raw) else {
        violations.add(field, "must be a real calendar date written YYYY-MM-DD");
        return None;
    };
    if date >= today {
        violations.add(field, "must be in the past");
        return None;
    }
    let oldest = today
        .replace_year(today.year() - MAX_AGE_YEARS)
        // 29 February minus 120 years may not exist: fall back to 1 March.
        .unwrap_or_else(|_| Date::from_calendar_date(today.year() - MAX_AGE_YEARS, Month::March, 1).unwrap_or(today));
    if date < oldest {
        violations.add(field, format!("must be at most {MAX_AGE_YEARS} years ago"));
        return None;
    }
    Some(date)
}

/// Parses exactly `YYYY-MM-DD` into a calendar date; `None` for anything else or an impossible date.
pub fn parse_iso_date(raw: &str) -> Option<Date> {
    let bytes = raw.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: i32 = raw.get(0..4)?.parse().ok()?;
    let month: u8 = raw.get(5..7)?.parse().ok()?;
    let day: u8 = raw.get(8..10)?.parse().ok()?;
    if !raw[0..4].bytes().all(|b| b.is_ascii_digit())
        || !raw[5..7].bytes().all(|b| b.is_ascii_digit())
        || !raw[8..10].bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_iso_date(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// How the applicant relates to the policy holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// The applicant holds the policy.
    SelfInsured,
    /// The applicant is the policy holder's spouse.
    Spouse,
    /// The applicant is the policy holder's child.
    Child,
    /// Any other dependent.
    Other,
}

impl Relationship {
    /// Stable text used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::SelfInsured => "self",
            Relationship::Spouse => "spouse",
            Relationship::Child => "child",
            Relationship::Other => "other",
        }
    }

    /// Parses the storage text.
    pub fn from_str_opt(raw: &str) -> Option<Self> {
        Some(match raw {
            "self" => Relationship::SelfInsured,
            "spouse" => Relationship::Spouse,
            "child" => Relationship::Child,
            "other" => Relationship::Other,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_real_past_date_is_accepted() {
        let mut v = Violations::default();
        let parsed = parse_date_of_birth("dob", "1985-02-28", date!(2026 - 11 - 27), &mut v);
        assert_eq!(parsed, Some(date!(1985 - 02 - 28)));
        assert!(v.is_empty());
    }

    #[test]
    fn impossible_future_and_ancient_dates_are_refused() {
        for raw in ["1985-02-30", "2027-01-01", "2026-11-27", "1900-01-01", "85-02-28", "1985/02/28", "+985-02-28"] {
            let mut v = Violations::default();
            assert!(parse_date_of_birth("dob", raw, date!(2026 - 11 - 27), &mut v).is_none(), "{raw}");
            assert_eq!(v.len(), 1, "{raw}");
        }
    }

    #[test]
    fn person_debug_output_hides_phi() {
        let mut v = Violations::default();
        let person = Person::parse("applicant", "Canary", "Zyxwv", "", "1990-01-01", date!(2026 - 11 - 27), &mut v)
            .expect("valid");
        assert!(!format!("{person:?}").contains("Canary"));
    }

    #[test]
    fn every_bad_name_part_is_reported() {
        let mut v = Violations::default();
        let person = Person::parse("applicant", "", "R2D2", "", "", date!(2026 - 11 - 27), &mut v);
        assert!(person.is_none());
        let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["applicant.first_name", "applicant.last_name", "applicant.date_of_birth"]);
    }
}
