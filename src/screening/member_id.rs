//! Member ID shapes that only Medicare uses: the Medicare Beneficiary Identifier (MBI) and the older Health
//! Insurance Claim Number (HICN). Both checks work on the bytes in place: no allocation on the hot path.

use std::collections::HashSet;

/// Letters CMS never uses in an MBI (they look like digits or each other).
const MBI_EXCLUDED_LETTERS: &[u8] = b"SLOIBZ";
/// Length of an MBI without separators.
const MBI_LEN: usize = 11;

/// Up to `N` letters and digits of `raw`, upper-cased, skipping spaces and hyphens; `None` when anything else
/// appears or there are more than `N`.
fn compact<const N: usize>(raw: &str) -> Option<([u8; N], usize)> {
    let mut out = [0u8; N];
    let mut len = 0;
    for byte in raw.bytes() {
        match byte {
            b' ' | b'-' => {}
            b if b.is_ascii_alphanumeric() => {
                *out.get_mut(len)? = b.to_ascii_uppercase();
                len += 1;
            }
            _ => return None,
        }
    }
    Some((out, len))
}

fn is_mbi_letter(byte: u8) -> bool {
    byte.is_ascii_uppercase() && !MBI_EXCLUDED_LETTERS.contains(&byte)
}

/// True when `member_id` has the shape of a Medicare Beneficiary Identifier: 11 characters once spaces and hyphens
/// are removed; position 1 a digit 1-9; positions 2, 5, 8, 9 letters; 3 and 6 letters or digits; 4, 7, 10, 11
/// digits; letters never S, L, O, I, B or Z. Case is ignored.
pub fn looks_like_mbi(member_id: &str) -> bool {
    let Some((id, len)) = compact::<MBI_LEN>(member_id) else {
        return false;
    };
    if len != MBI_LEN {
        return false;
    }
    let letter_or_digit = |b: u8| b.is_ascii_digit() || is_mbi_letter(b);
    (b'1'..=b'9').contains(&id[0])
        && is_mbi_letter(id[1])
        && letter_or_digit(id[2])
        && id[3].is_ascii_digit()
        && is_mbi_letter(id[4])
        && letter_or_digit(id[5])
        && id[6].is_ascii_digit()
        && is_mbi_letter(id[7])
        && is_mbi_letter(id[8])
        && id[9].is_ascii_digit()
        && id[10].is_ascii_digit()
}

/// The HICN rule: a possible Social Security number followed by one of the reviewed beneficiary codes.
#[derive(Debug, Clone)]
pub(crate) struct HicnRule {
    suffixes: HashSet<String>,
}

impl HicnRule {
    /// Builds the rule from the reviewed suffix list; each suffix must be a letter, optionally followed by a
    /// letter or digit.
    pub fn new(suffixes: &[String]) -> Result<Self, String> {
        let mut set = HashSet::new();
        for raw in suffixes {
            let suffix = raw.trim().to_ascii_uppercase();
            let bytes = suffix.as_bytes();
            let valid = matches!(bytes.len(), 1 | 2)
                && bytes[0].is_ascii_uppercase()
                && bytes.iter().all(u8::is_ascii_alphanumeric);
            if !valid {
                return Err(format!(
                    "hicn.suffixes: \"{raw}\" must be a letter, optionally followed by a letter or digit"
                ));
            }
            if !set.insert(suffix) {
                return Err(format!("hicn.suffixes: \"{raw}\" is listed twice"));
            }
        }
        Ok(HicnRule { suffixes: set })
    }

    /// True when `member_id` has the shape of a Medicare HICN.
    pub fn matches(&self, member_id: &str) -> bool {
        let Some((id, len)) = compact::<11>(member_id) else {
            return false;
        };
        if !(10..=11).contains(&len) || !id[..9].iter().all(u8::is_ascii_digit) || !is_possible_ssn(&id[..9]) {
            return false;
        }
        std::str::from_utf8(&id[9..len]).is_ok_and(|suffix| self.suffixes.contains(suffix))
    }
}

/// The Social Security Administration never issued area 000, 666 or 900-999, group 00 or serial 0000.
fn is_possible_ssn(digits: &[u8]) -> bool {
    let number = |range: std::ops::Range<usize>| digits[range].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let (area, group, serial) = (number(0..3), number(3..5), number(5..9));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hicn() -> HicnRule {
        HicnRule::new(&["A".to_owned(), "B".to_owned(), "C1".to_owned(), "D".to_owned(), "M".to_owned()])
            .expect("valid suffixes")
    }

    #[test]
    fn the_cms_sample_mbi_is_recognised_with_or_without_separators() {
        assert!(looks_like_mbi("1EG4-TE5-MK73"));
        assert!(looks_like_mbi("1EG4TE5MK73"));
        assert!(looks_like_mbi("1eg4 te5 mk73"));
    }

    #[test]
    fn an_mbi_with_an_excluded_letter_is_not_an_mbi() {
        for id in ["1SG4-TE5-MK73", "1EG4-TE5-MO73", "1EZ4-TE5-MK73", "1EG4-BE5-MK73"] {
            assert!(!looks_like_mbi(id), "{id}");
        }
    }

    #[test]
    fn an_mbi_must_start_with_a_digit_from_one_to_nine() {
        assert!(!looks_like_mbi("0EG4TE5MK73"));
        assert!(!looks_like_mbi("AEG4TE5MK73"));
    }

    #[test]
    fn commercial_member_ids_are_not_mbis() {
        for id in ["XJH123456789", "W123456789", "123456789", "ACT100001", "U1234567801", "1EG4TE5MK7", "1EG4TE5MK733"]
        {
            assert!(!looks_like_mbi(id), "{id}");
        }
    }

    #[test]
    fn a_hicn_is_a_possible_ssn_with_a_listed_beneficiary_code() {
        let rule = hicn();

        assert!(rule.matches("123-45-6789A"));
        assert!(rule.matches("123456789c1"));
        assert!(rule.matches("123 45 6789 M"));
    }

    #[test]
    fn commercial_numeric_ids_are_not_hicns() {
        let rule = hicn();

        for id in ["123456789", "12345678901", "123456789-01", "W123456789", "A123456789", "123456789Z"] {
            assert!(!rule.matches(id), "{id}");
        }
    }

    #[test]
    fn a_number_the_ssa_never_issued_is_not_a_hicn() {
        let rule = hicn();

        for id in ["000456789A", "666456789A", "900456789A", "123006789A", "123450000A"] {
            assert!(!rule.matches(id), "{id}");
        }
    }

    #[test]
    fn a_malformed_suffix_list_is_refused() {
        assert!(HicnRule::new(&["1A".to_owned()]).is_err());
        assert!(HicnRule::new(&["ABC".to_owned()]).is_err());
        assert!(HicnRule::new(&["A".to_owned(), "a".to_owned()]).is_err());
    }

    fn mbi_letter() -> impl Strategy<Value = char> {
        prop::sample::select("ACDEFGHJKMNPQRTUVWXY".chars().collect::<Vec<_>>())
    }

    fn mbi_letter_or_digit() -> impl Strategy<Value = char> {
        prop::sample::select("ACDEFGHJKMNPQRTUVWXY0123456789".chars().collect::<Vec<_>>())
    }

    fn digit() -> impl Strategy<Value = char> {
        prop::sample::select("0123456789".chars().collect::<Vec<_>>())
    }

    prop_compose! {
        /// Any MBI CMS could issue.
        pub(crate) fn any_mbi()(
            first in prop::sample::select("123456789".chars().collect::<Vec<_>>()),
            c2 in mbi_letter(), c3 in mbi_letter_or_digit(), c4 in digit(),
            c5 in mbi_letter(), c6 in mbi_letter_or_digit(), c7 in digit(),
            c8 in mbi_letter(), c9 in mbi_letter(), c10 in digit(), c11 in digit(),
        ) -> String {
            [first, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11].iter().collect()
        }
    }

    proptest! {
        #[test]
        fn every_generated_mbi_is_recognised_in_any_case_and_format(
            mbi in any_mbi(),
            lower in any::<bool>(),
            dashed in any::<bool>(),
        ) {
            let cased = if lower { mbi.to_ascii_lowercase() } else { mbi.clone() };
            let typed = if dashed { format!("{}-{}-{}", &cased[..4], &cased[4..7], &cased[7..]) } else { cased };
            prop_assert!(looks_like_mbi(&typed));
        }

        #[test]
        fn shape_checks_never_panic(raw in ".{0,40}") {
            let _ = looks_like_mbi(&raw);
            let _ = hicn().matches(&raw);
        }
    }
}
