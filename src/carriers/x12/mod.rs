//! X12 005010X279A1: reading interchanges (270/271 eligibility, 999 and TA1 acknowledgements).
//!
//! Layers, each usable alone:
//! - [`tokenizer`]: delimiters from the ISA ([`Delimiters`]), a lazy borrowing iterator of [`Segment`]s
//!   ([`segments`]). No allocation per segment or element.
//! - [`envelope`]: the ISA/GS/ST structure ([`parse`] -> [`Interchange`] -> [`FunctionalGroup`] ->
//!   [`Transaction`]), trailers and counts checked leniently into [`EnvelopeWarning`]s.
//! - [`model`]: one 271 (or 270) transaction as its HL tree and loops ([`eligibility_271`] ->
//!   [`Eligibility271`]).
//! - [`ack`]: TA1 and 999 acknowledgements ([`Acknowledgement`]) and [`read_reply`], which tells a carrier's
//!   answer ([`X12Reply::Eligibility`]) from a refusal ([`X12Reply::Rejected`]).
//! - [`to_json`]: one 271 as eligibility v3 response JSON ([`eligibility_json`]), so the JSON normaliser
//!   reads both wire formats; [`codes`] holds the code lists it describes codes with.
//!
//! API notes for other modules: the tokenizer API is as agreed (module `tokenizer`), plus
//! [`Segment::component`] (one component, 1-based), [`Segment::elements`], [`Segment::index`] (1-based position
//! in the interchange, used in errors), [`Segment::raw`], [`Segment::from_text`], [`read_delimiters`],
//! [`Delimiters::validate`] and [`replace_invalid_utf8`] (for callers that prefer `?` in an ISO-8859-1 name to
//! an error). Segments are tied to their input's lifetime. [`X12Reply`] has a third variant besides
//! `Eligibility` and `Rejected`: [`X12Reply::Acknowledged`], an acknowledgement that refuses nothing (TA1 or 999
//! `A`/`E`) with no 271 in the reply.
//!
//! Errors ([`X12Error`]) and warnings name segment ids and positions, never element values: those carry PHI.

pub mod ack;
pub mod build;
pub mod codes;
pub mod envelope;
pub mod inquiry;
pub mod model;
pub mod to_json;
pub mod tokenizer;

pub use ack::{
    AckError, AckStatus, Acknowledgement, ElementError, FunctionalAck, InterchangeAck, SegmentError, TransactionAck,
    X12Reply, read_reply,
};
pub use envelope::{EnvelopeWarning, FunctionalGroup, Interchange, Transaction, parse};
pub use model::{
    BenefitLoop, Eligibility271, HierarchicalLevel, InquiryLoop, LevelCode, NameLoop, Rejection, RejectionScope,
    StructureWarning, Trace, eligibility_271,
};
pub use to_json::{eligibility_json, eligibility_json_all};
pub use tokenizer::{Delimiters, Segment, Segments, read_delimiters, replace_invalid_utf8, segments};

/// Why X12 input could not be read. Messages name segment ids and positions (1-based, ISA is 1), never element
/// values, which may be PHI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X12Error {
    /// The input does not start with an ISA segment (after any whitespace or byte order mark).
    #[error("not an X12 interchange: the input does not start with an ISA segment")]
    NotAnInterchange,
    /// The ISA segment cannot be read.
    #[error("invalid ISA segment: {reason}")]
    InvalidIsa {
        /// What is wrong.
        reason: &'static str,
    },
    /// The delimiters in the ISA cannot tokenize the interchange.
    #[error("invalid delimiters in the ISA segment: {reason}")]
    InvalidDelimiters {
        /// What is wrong.
        reason: &'static str,
    },
    /// A segment does not start with a valid segment id.
    #[error("segment {index}: missing or invalid segment id")]
    InvalidSegmentId {
        /// The segment's position.
        index: usize,
    },
    /// The input ends inside a segment (no terminator): the file is truncated.
    #[error("segment {index}: no segment terminator before the end of the input (truncated?)")]
    UnterminatedSegment {
        /// The segment's position.
        index: usize,
    },
    /// A segment holds bytes that are not UTF-8.
    #[error("segment {index}{}: not valid UTF-8", segment.as_deref().map(|id| format!(" ({id})")).unwrap_or_default())]
    NotUtf8 {
        /// The segment's position.
        index: usize,
        /// The segment id, when readable.
        segment: Option<String>,
    },
    /// A required segment is missing.
    #[error("{context}: missing {expected} segment")]
    MissingSegment {
        /// The segment id expected, e.g. `ST`.
        expected: &'static str,
        /// Where it was expected, e.g. `transaction 0001`.
        context: String,
    },
    /// A segment or element breaks the structure the reader needs.
    #[error("segment {index} ({segment}): {reason}")]
    Structure {
        /// The segment's position.
        index: usize,
        /// The segment id.
        segment: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The transaction is not of the set the reader expects.
    #[error("transaction set {found} where {expected} was expected")]
    WrongTransactionSet {
        /// The set expected, e.g. `271`.
        expected: &'static str,
        /// The set found (ST01), e.g. `999`.
        found: String,
    },
}

impl X12Error {
    /// A structure error at `segment`.
    pub(crate) fn structure(segment: &Segment<'_>, reason: &'static str) -> X12Error {
        X12Error::Structure { index: segment.index(), segment: segment.id().to_owned(), reason }
    }
}

/// Builders of small interchanges for the unit tests of this module.
#[cfg(test)]
pub(crate) mod test_support {
    /// A 106-byte 005010 ISA with the standard delimiters.
    pub const ISA: &str =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260115*0930*^*00501*000000101*0*T*:~";

    /// An interchange with one group holding one transaction set `set_id` whose body is `segments` (without
    /// terminators), with correct trailers and counts.
    pub fn interchange(set_id: &str, segments: &[&str]) -> String {
        let functional_id = match set_id {
            "270" => "HS",
            "999" => "FA",
            _ => "HB",
        };
        let mut text = format!("{ISA}\nGS*{functional_id}*SENDER*RECEIVER*20260115*0930*101*X*005010X279A1~\n");
        text.push_str(&format!("ST*{set_id}*0001*005010X279A1~\n"));
        for segment in segments {
            text.push_str(segment);
            text.push_str("~\n");
        }
        text.push_str(&format!("SE*{}*0001~\nGE*1*101~\nIEA*1*000000101~\n", segments.len() + 2));
        text
    }
}
