//! The structured codes in a carrier's answer that reveal Medicare or Medicaid (`data/screening/answer.toml`).

use crate::domain::Verdict;

use super::data::CodeEntry;

/// One code of the table.
#[derive(Debug, Clone)]
pub(crate) struct Code {
    /// The code, upper-case.
    pub code: String,
    /// Medicaid or Medicare.
    pub verdict: Verdict,
    /// What it means, for admissions staff.
    pub meaning: String,
}

/// A code list (EB04 insurance types, or REF01 qualifiers). Small: a linear scan beats hashing a fresh string.
#[derive(Debug, Clone)]
pub(crate) struct CodeTable {
    codes: Vec<Code>,
}

impl CodeTable {
    /// Builds a code list, refusing duplicates, blanks and `forward`.
    pub fn new(entries: &[CodeEntry], section: &str) -> Result<Self, String> {
        let mut codes: Vec<Code> = Vec::with_capacity(entries.len());
        for entry in entries {
            let code = entry.code.trim().to_ascii_uppercase();
            if code.is_empty() || code.len() > 3 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("{section}: \"{}\" is not a code", entry.code));
            }
            if entry.verdict == Verdict::Forward {
                return Err(format!("{section}: {code} must be medicaid or medicare"));
            }
            if entry.meaning.trim().is_empty() {
                return Err(format!("{section}: {code} has no meaning"));
            }
            if codes.iter().any(|c| c.code == code) {
                return Err(format!("{section}: {code} is listed twice"));
            }
            codes.push(Code { code, verdict: entry.verdict, meaning: entry.meaning.trim().to_owned() });
        }
        Ok(CodeTable { codes })
    }

    /// The table entry for the first of `found` that is listed, preferring Medicare: a member with both
    /// (dual-eligible) has Medicare as the primary plan.
    pub fn first_of<'a, S: AsRef<str>>(&'a self, found: &[S]) -> Option<&'a Code> {
        let lookup = |raw: &S| {
            let raw = raw.as_ref().trim();
            self.codes.iter().find(|c| c.code.eq_ignore_ascii_case(raw))
        };
        let mut medicaid = None;
        for code in found.iter().filter_map(lookup) {
            match code.verdict {
                Verdict::Medicare => return Some(code),
                _ => medicaid = medicaid.or(Some(code)),
            }
        }
        medicaid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CodeTable {
        let entries = [
            CodeEntry { code: "MA".to_owned(), verdict: Verdict::Medicare, meaning: "Medicare Part A".to_owned() },
            CodeEntry { code: "mc".to_owned(), verdict: Verdict::Medicaid, meaning: "Medicaid".to_owned() },
        ];
        CodeTable::new(&entries, "test").expect("valid codes")
    }

    #[test]
    fn codes_are_compared_without_case_or_padding() {
        let table = table();

        assert_eq!(table.first_of(&[" ma "]).map(|c| c.verdict), Some(Verdict::Medicare));
        assert_eq!(table.first_of(&["MC"]).map(|c| c.verdict), Some(Verdict::Medicaid));
    }

    #[test]
    fn medicare_wins_over_medicaid_wherever_it_appears() {
        let table = table();

        let found = table.first_of(&["MC", "PR", "MA"]);

        assert_eq!(found.map(|c| c.code.as_str()), Some("MA"));
    }

    #[test]
    fn commercial_codes_find_nothing() {
        let table = table();

        assert!(table.first_of(&["PR", "C1", "HM", "", "MAX"]).is_none());
    }

    #[test]
    fn duplicate_or_forward_codes_are_refused() {
        let duplicate = [
            CodeEntry { code: "MA".to_owned(), verdict: Verdict::Medicare, meaning: "a".to_owned() },
            CodeEntry { code: "ma".to_owned(), verdict: Verdict::Medicare, meaning: "b".to_owned() },
        ];
        let forward = [CodeEntry { code: "PR".to_owned(), verdict: Verdict::Forward, meaning: "PPO".to_owned() }];

        assert!(CodeTable::new(&duplicate, "test").is_err());
        assert!(CodeTable::new(&forward, "test").is_err());
    }
}
