//! The interchange envelope: ISA/IEA, interchange acknowledgements (TA1), functional groups (GS/GE) and
//! transaction sets (ST/SE).
//!
//! Reading is lenient: a missing trailer, a wrong count or a control number that does not match becomes an
//! [`EnvelopeWarning`] and reading goes on, because a payer's answer with a sloppy envelope still carries the
//! eligibility facts. Only input that cannot be tokenized is an error.

use super::{Delimiters, Segment, X12Error, segments};

/// One interchange (ISA to IEA), borrowed from the input.
#[derive(Debug, Clone)]
pub struct Interchange<'a> {
    /// The delimiters read from the ISA.
    pub delimiters: Delimiters,
    /// The ISA segment (sender ISA06, receiver ISA08, date ISA09, usage indicator ISA15, ...).
    pub isa: Segment<'a>,
    /// The interchange control number, ISA13.
    pub control_number: &'a str,
    /// Interchange acknowledgements (TA1) found between the ISA and the first group.
    pub ta1: Vec<Segment<'a>>,
    /// The functional groups, in order.
    pub groups: Vec<FunctionalGroup<'a>>,
    /// The IEA trailer, when present.
    pub iea: Option<Segment<'a>>,
    /// What was wrong with the envelope without preventing reading.
    pub warnings: Vec<EnvelopeWarning>,
}

impl<'a> Interchange<'a> {
    /// Every transaction set of every group, in order.
    pub fn transactions(&self) -> impl Iterator<Item = &Transaction<'a>> {
        self.groups.iter().flat_map(|group| group.transactions.iter())
    }
}

/// One functional group (GS to GE).
#[derive(Debug, Clone)]
pub struct FunctionalGroup<'a> {
    /// The GS segment.
    pub gs: Segment<'a>,
    /// GS01, the functional identifier code: `HB` (271), `HS` (270), `FA` (999), ...
    pub functional_id: &'a str,
    /// GS06, the group control number.
    pub control_number: &'a str,
    /// GS08, the version / release / industry identifier, e.g. `005010X279A1`.
    pub version: Option<&'a str>,
    /// The transaction sets, in order.
    pub transactions: Vec<Transaction<'a>>,
    /// The GE trailer, when present.
    pub ge: Option<Segment<'a>>,
}

/// One transaction set (ST to SE).
#[derive(Debug, Clone)]
pub struct Transaction<'a> {
    /// The ST segment.
    pub st: Segment<'a>,
    /// ST01, the transaction set identifier: `271`, `270`, `999`, ...
    pub set_id: &'a str,
    /// ST02, the transaction set control number.
    pub control_number: &'a str,
    /// ST03, the implementation convention reference, e.g. `005010X279A1`.
    pub implementation: Option<&'a str>,
    /// The segments between ST and SE, both excluded, in order.
    pub segments: Vec<Segment<'a>>,
    /// The SE trailer, when present.
    pub se: Option<Segment<'a>>,
}

/// Something wrong with the envelope that did not stop reading. Texts carry segment ids, positions, counts
/// and control numbers (not PHI), never element values of the transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeWarning {
    /// A trailer is missing: the group, transaction or interchange ended without its closing segment.
    #[error("{trailer} missing for the {opened_by} at segment {index}")]
    MissingTrailer {
        /// The missing trailer id (`SE`, `GE`, `IEA`).
        trailer: &'static str,
        /// The opening segment id (`ST`, `GS`, `ISA`).
        opened_by: &'static str,
        /// The opening segment's position.
        index: usize,
    },
    /// A trailer's count does not match what was read.
    #[error("segment {index} ({trailer}): count {stated:?} but {counted} read")]
    CountMismatch {
        /// The trailer id.
        trailer: &'static str,
        /// The trailer's position.
        index: usize,
        /// The count as stated (the raw element; `None` when absent).
        stated: Option<String>,
        /// The count read.
        counted: usize,
    },
    /// A trailer's control number differs from its header's.
    #[error("segment {index} ({trailer}): control number {trailer_value:?} differs from the header's {header_value:?}")]
    ControlNumberMismatch {
        /// The trailer id.
        trailer: &'static str,
        /// The trailer's position.
        index: usize,
        /// The header's control number.
        header_value: String,
        /// The trailer's control number.
        trailer_value: Option<String>,
    },
    /// A segment appeared where the envelope has no place for it (e.g. between groups); it is not read.
    #[error("segment {index} ({segment}) outside any {expected_in}: ignored")]
    OutOfPlace {
        /// The segment id.
        segment: String,
        /// The segment's position.
        index: usize,
        /// The structure it should have been in.
        expected_in: &'static str,
    },
    /// Input continued after the IEA; only the first interchange is read.
    #[error("data after the IEA at segment {index}: ignored")]
    TrailingData {
        /// The IEA's position.
        index: usize,
    },
}

/// Reads a whole interchange: the ISA, TA1s, groups with their transactions, the IEA.
///
/// Errors only when the input cannot be tokenized (no ISA, bad delimiters, a segment that is not UTF-8 or is cut
/// short); envelope problems are collected in [`Interchange::warnings`].
pub fn parse(input: &[u8]) -> Result<Interchange<'_>, X12Error> {
    let (delimiters, mut tokens) = segments(input)?;
    let isa = tokens.next().ok_or(X12Error::NotAnInterchange)??;
    if isa.id() != "ISA" {
        return Err(X12Error::NotAnInterchange);
    }
    let mut interchange = Interchange {
        delimiters,
        isa,
        control_number: isa.element(13).unwrap_or_default(),
        ta1: Vec::new(),
        groups: Vec::new(),
        iea: None,
        warnings: Vec::new(),
    };
    let mut group: Option<FunctionalGroup<'_>> = None;
    let mut transaction: Option<Transaction<'_>> = None;
    // Transactions of one interchange are alike in size: start each one's list at the size of the last, instead
    // of growing it one doubling at a time (that cost a sixth of the whole read of a large batch).
    let mut last_transaction_len = 0;
    for token in tokens.by_ref() {
        let segment = token?;
        match segment.id() {
            "ST" => {
                if let Some(open) = transaction.take() {
                    interchange.warnings.push(missing("SE", "ST", open.st.index()));
                    close_transaction(&mut group, &mut interchange, open);
                }
                if group.is_none() {
                    interchange.warnings.push(EnvelopeWarning::OutOfPlace {
                        segment: "ST".to_owned(),
                        index: segment.index(),
                        expected_in: "functional group (GS)",
                    });
                }
                transaction = Some(Transaction {
                    st: segment,
                    set_id: segment.element(1).unwrap_or_default(),
                    control_number: segment.element(2).unwrap_or_default(),
                    implementation: segment.element(3),
                    segments: Vec::with_capacity(last_transaction_len),
                    se: None,
                });
            }
            "SE" => match transaction.take() {
                Some(mut open) => {
                    last_transaction_len = open.segments.len();
                    check_count(&mut interchange.warnings, "SE", &segment, open.segments.len() + 2);
                    check_control(&mut interchange.warnings, "SE", &segment, 2, open.control_number);
                    open.se = Some(segment);
                    close_transaction(&mut group, &mut interchange, open);
                }
                None => interchange.warnings.push(out_of_place(&segment, "transaction set (ST)")),
            },
            "GS" | "GE" | "IEA" | "ISA" | "TA1" if transaction.is_some() => {
                if let Some(open) = transaction.take() {
                    interchange.warnings.push(missing("SE", "ST", open.st.index()));
                    close_transaction(&mut group, &mut interchange, open);
                }
                if !handle_envelope_segment(segment, &mut group, &mut interchange) {
                    break;
                }
            }
            _ if transaction.is_some() => {
                if let Some(open) = transaction.as_mut() {
                    open.segments.push(segment);
                }
            }
            _ => {
                if !handle_envelope_segment(segment, &mut group, &mut interchange) {
                    break;
                }
            }
        }
    }
    if let Some(open) = transaction.take() {
        interchange.warnings.push(missing("SE", "ST", open.st.index()));
        close_transaction(&mut group, &mut interchange, open);
    }
    if let Some(open) = group.take() {
        interchange.warnings.push(missing("GE", "GS", open.gs.index()));
        interchange.groups.push(open);
    }
    match interchange.iea {
        None => interchange.warnings.push(missing("IEA", "ISA", isa.index())),
        // Whatever follows the IEA (a second interchange, stray segments, even unreadable bytes) is not read;
        // saying so is enough, so a tokenizer error there is not an error of this interchange.
        Some(iea) => {
            if tokens.next().is_some() {
                interchange.warnings.push(EnvelopeWarning::TrailingData { index: iea.index() });
            }
        }
    }
    Ok(interchange)
}

/// Handles a segment outside any transaction. Returns false when reading should stop (after the IEA).
fn handle_envelope_segment<'a>(
    segment: Segment<'a>,
    group: &mut Option<FunctionalGroup<'a>>,
    interchange: &mut Interchange<'a>,
) -> bool {
    match segment.id() {
        "GS" => {
            if let Some(open) = group.take() {
                interchange.warnings.push(missing("GE", "GS", open.gs.index()));
                interchange.groups.push(open);
            }
            *group = Some(FunctionalGroup {
                gs: segment,
                functional_id: segment.element(1).unwrap_or_default(),
                control_number: segment.element(6).unwrap_or_default(),
                version: segment.element(8),
                transactions: Vec::new(),
                ge: None,
            });
        }
        "GE" => match group.take() {
            Some(mut open) => {
                check_count(&mut interchange.warnings, "GE", &segment, open.transactions.len());
                check_control(&mut interchange.warnings, "GE", &segment, 2, open.control_number);
                open.ge = Some(segment);
                interchange.groups.push(open);
            }
            None => interchange.warnings.push(out_of_place(&segment, "functional group (GS)")),
        },
        "TA1" if group.is_none() => interchange.ta1.push(segment),
        "IEA" => {
            if let Some(open) = group.take() {
                interchange.warnings.push(missing("GE", "GS", open.gs.index()));
                interchange.groups.push(open);
            }
            check_count(&mut interchange.warnings, "IEA", &segment, interchange.groups.len());
            check_control(&mut interchange.warnings, "IEA", &segment, 2, interchange.control_number);
            interchange.iea = Some(segment);
            return false;
        }
        _ => {
            let expected_in = if group.is_some() { "transaction set (ST)" } else { "functional group (GS)" };
            interchange.warnings.push(out_of_place(&segment, expected_in));
        }
    }
    true
}

/// Files a finished transaction in the open group, or in a group of its own when the GS was missing.
fn close_transaction<'a>(
    group: &mut Option<FunctionalGroup<'a>>,
    interchange: &mut Interchange<'a>,
    transaction: Transaction<'a>,
) {
    match group.as_mut() {
        Some(open) => open.transactions.push(transaction),
        None => interchange.groups.push(FunctionalGroup {
            gs: transaction.st,
            functional_id: "",
            control_number: "",
            version: None,
            transactions: vec![transaction],
            ge: None,
        }),
    }
}

fn missing(trailer: &'static str, opened_by: &'static str, index: usize) -> EnvelopeWarning {
    EnvelopeWarning::MissingTrailer { trailer, opened_by, index }
}

fn out_of_place(segment: &Segment<'_>, expected_in: &'static str) -> EnvelopeWarning {
    EnvelopeWarning::OutOfPlace { segment: segment.id().to_owned(), index: segment.index(), expected_in }
}

/// Compares a trailer's count (element 1) with what was read.
fn check_count(warnings: &mut Vec<EnvelopeWarning>, trailer: &'static str, segment: &Segment<'_>, counted: usize) {
    let stated = segment.element(1);
    if stated.and_then(|value| value.trim().parse::<usize>().ok()) != Some(counted) {
        warnings.push(EnvelopeWarning::CountMismatch {
            trailer,
            index: segment.index(),
            stated: stated.map(short_code),
            counted,
        });
    }
}

/// Compares a trailer's control number with its header's. Numeric control numbers compare by value, because
/// senders differ in zero padding (`000121` and `0000121` name the same set).
fn check_control(
    warnings: &mut Vec<EnvelopeWarning>,
    trailer: &'static str,
    segment: &Segment<'_>,
    position: usize,
    header: &str,
) {
    let value = segment.element(position);
    if !value.is_some_and(|value| same_control_number(value, header)) {
        warnings.push(EnvelopeWarning::ControlNumberMismatch {
            trailer,
            index: segment.index(),
            header_value: short_code(header),
            trailer_value: value.map(short_code),
        });
    }
}

/// True when two control numbers name the same thing: equal after trimming, or equal as numbers.
pub(crate) fn same_control_number(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return true;
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|byte| byte.is_ascii_digit());
    digits(a) && digits(b) && a.trim_start_matches('0') == b.trim_start_matches('0')
}

/// A control number or count for a warning text: envelope elements are not PHI, but in a damaged file they may
/// hold anything, so only short runs of letters and digits are echoed.
pub(crate) fn short_code(value: &str) -> String {
    if value.len() <= 15 && value.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b' ') {
        value.to_owned()
    } else {
        "(unreadable)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::carriers::x12::test_support::{ISA, interchange};

    #[test]
    fn a_clean_interchange_has_its_groups_transactions_and_no_warnings() {
        let text = interchange("271", &["BHT*0022*11*REF1*20260115*0930", "HL*1**20*1"]);

        let parsed = parse(text.as_bytes()).expect("parses");

        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(parsed.control_number, "000000101");
        let group = &parsed.groups[0];
        assert_eq!((group.functional_id, group.control_number, group.version), ("HB", "101", Some("005010X279A1")));
        let transaction = &group.transactions[0];
        assert_eq!((transaction.set_id, transaction.control_number), ("271", "0001"));
        assert_eq!(transaction.implementation, Some("005010X279A1"));
        assert_eq!(transaction.segments.iter().map(|s| s.id()).collect::<Vec<_>>(), ["BHT", "HL"]);
        assert!(transaction.se.is_some() && group.ge.is_some() && parsed.iea.is_some());
    }

    #[test]
    fn a_missing_se_is_reported_and_both_transactions_are_kept() {
        let text = format!(
            "{ISA}GS*HB*S*R*20260115*0930*7*X*005010X279A1~ST*271*0001~HL*1**20*1~ST*271*0002~HL*1**20*1~SE*3*0002~GE*2*7~IEA*1*000000101~"
        );

        let parsed = parse(text.as_bytes()).expect("parses");

        let numbers: Vec<_> = parsed.transactions().map(|t| t.control_number).collect();
        assert_eq!(numbers, ["0001", "0002"]);
        assert_eq!(parsed.warnings, [EnvelopeWarning::MissingTrailer { trailer: "SE", opened_by: "ST", index: 3 }]);
    }

    #[test]
    fn a_transaction_without_a_group_is_kept_in_a_group_of_its_own() {
        let text = format!("{ISA}ST*271*0001~HL*1**20*1~SE*3*0001~IEA*0*000000101~");

        let parsed = parse(text.as_bytes()).expect("parses");

        assert_eq!(parsed.transactions().count(), 1);
        assert_eq!(parsed.groups[0].functional_id, "");
        assert!(
            parsed
                .warnings
                .iter()
                .any(|w| matches!(w, EnvelopeWarning::OutOfPlace { expected_in, .. } if expected_in.contains("GS")))
        );
        // The IEA says 0 groups, one (implicit) was read.
        assert!(
            parsed
                .warnings
                .iter()
                .any(|w| matches!(w, EnvelopeWarning::CountMismatch { trailer: "IEA", counted: 1, .. }))
        );
    }

    #[test]
    fn ta1_segments_before_the_first_group_are_collected() {
        let text = format!("{ISA}TA1*000000905*260115*0931*R*006~IEA*0*000000101~");

        let parsed = parse(text.as_bytes()).expect("parses");

        assert_eq!(parsed.ta1.len(), 1);
        assert_eq!(parsed.ta1[0].element(5), Some("006"));
        assert!(parsed.groups.is_empty());
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    }

    #[test]
    fn wrong_group_counts_and_control_numbers_are_warnings() {
        let text = interchange("271", &["HL*1**20*1"]).replace("GE*1*101", "GE*3*102");

        let parsed = parse(text.as_bytes()).expect("parses");

        assert_eq!(
            parsed.warnings,
            [
                EnvelopeWarning::CountMismatch { trailer: "GE", index: 6, stated: Some("3".to_owned()), counted: 1 },
                EnvelopeWarning::ControlNumberMismatch {
                    trailer: "GE",
                    index: 6,
                    header_value: "101".to_owned(),
                    trailer_value: Some("102".to_owned()),
                },
            ]
        );
    }

    #[test]
    fn input_that_is_not_x12_is_an_error_not_a_warning() {
        assert_eq!(parse(b"<html>busy</html>").expect_err("not X12"), X12Error::NotAnInterchange);
    }

    #[test]
    fn garbage_in_a_trailer_is_not_echoed_in_the_warning() {
        let text = interchange("271", &["HL*1**20*1"]).replace("SE*3*0001", "SE*3*DOE JANE 19800101 X");

        let parsed = parse(text.as_bytes()).expect("parses");

        let shown: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 1);
        assert!(shown[0].contains("(unreadable)") && !shown[0].contains("DOE"), "{shown:?}");
    }

    proptest! {
        #[test]
        fn control_numbers_match_whatever_their_zero_padding(number in 0u64..1_000_000_000, a in 0usize..4, b in 0usize..4) {
            let left = format!("{}{number}", "0".repeat(a));
            let right = format!("{}{number}", "0".repeat(b));
            prop_assert!(same_control_number(&left, &right));
        }

        #[test]
        fn different_control_numbers_never_match(x in 0u64..1_000_000, y in 0u64..1_000_000) {
            prop_assume!(x != y);
            let (left, right) = (format!("{x:09}"), y.to_string());
            prop_assert!(!same_control_number(&left, &right));
        }
    }
}
