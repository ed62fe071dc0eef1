//! A 270 eligibility inquiry as data: what the simulator reads from a carrier request, and what the round-trip
//! tests compare with what was built.
//!
//! [`Inquiry270`] owns its values (names, member ID, date of birth are PHI: its `Debug` output shows which parts
//! are present and how many, never a value). [`read_270`] reads one from X12 text; its errors name the missing
//! part (loop, segment, element), never a value.

use std::fmt;

use time::{Date, Month, PrimitiveDateTime, Time};

use super::build::{Envelope, envelope_of};
use super::model::{HierarchicalLevel, InquiryLoop, LevelCode, eligibility_271};
use super::{Segment, X12Error, parse};
use crate::domain::ControlNumbers;

/// A person named in a 270 (2100C subscriber or 2100D dependent). PHI: `Debug` is redacted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct InquiryPerson {
    /// NM103, last name (as sent: upper case after the builder's cleaning).
    pub last_name: String,
    /// NM104, first name.
    pub first_name: Option<String>,
    /// NM105, middle name.
    pub middle_name: Option<String>,
    /// NM109 when NM108 is `MI` (member identification number) or `II` (unique health identifier).
    pub member_id: Option<String>,
    /// DMG02 when DMG01 is `D8`.
    pub date_of_birth: Option<Date>,
    /// DMG03, gender code, when sent.
    pub gender: Option<String>,
    /// REF02 of `REF*6P`, the group number, when sent.
    pub group_number: Option<String>,
    /// INS02, the individual relationship code to the subscriber (dependents: `01`, `19`, `34`, ...).
    pub relationship_code: Option<String>,
}

impl fmt::Debug for InquiryPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InquiryPerson")
            .field("last_name", &Redacted::text(&self.last_name))
            .field("first_name", &Redacted::option(self.first_name.as_deref()))
            .field("middle_name", &Redacted::option(self.middle_name.as_deref()))
            .field("member_id", &Redacted::option(self.member_id.as_deref()))
            .field("date_of_birth", &self.date_of_birth.map(|_| Redacted::Present))
            .field("gender", &Redacted::option(self.gender.as_deref()))
            .field("group_number", &Redacted::option(self.group_number.as_deref()))
            .field("relationship_code", &self.relationship_code)
            .finish()
    }
}

/// The trace of an inquiry (TRN in the patient's loop), which the payer echoes in its 271. Not PHI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InquiryTrace {
    /// TRN02, the trace number (the attempt's `ControlNumbers::trace`).
    pub number: String,
    /// TRN03, the originating company identifier (10 characters, e.g. `9` + nine digits).
    pub originator: Option<String>,
    /// TRN04, the originator's supplemental identifier, when sent.
    pub supplemental: Option<String>,
}

/// One 270 eligibility inquiry, owned. Holds PHI (subscriber and dependent): `Debug` shows no personal value.
#[derive(Clone, PartialEq, Eq)]
pub struct Inquiry270 {
    /// The interchange envelope it came in (sender, receiver, usage, delimiters); [`Envelope::reply`] gives the
    /// envelope of the answer.
    pub envelope: Envelope,
    /// 2100A NM109, the payer's identifier.
    pub payer_id: String,
    /// 2100A NM108, the payer identifier's qualifier (`PI` payor identification; `FI`, `XV`, ...).
    pub payer_id_qualifier: String,
    /// 2100A NM103, the payer's name.
    pub payer_name: Option<String>,
    /// 2100B NM109, the information receiver's identifier: the clinic's NPI when the qualifier is `XX`.
    pub provider_id: String,
    /// 2100B NM108, the receiver identifier's qualifier (`XX` NPI, `SV`, `FI`, ...).
    pub provider_id_qualifier: String,
    /// 2100B NM103, the receiver's organisation (or last) name.
    pub provider_name: Option<String>,
    /// 2000C/2100C, the subscriber (policy holder).
    pub subscriber: InquiryPerson,
    /// 2000D/2100D, the dependent, when the patient is not the subscriber.
    pub dependent: Option<InquiryPerson>,
    /// EQ01 service type codes of the patient's loop, in order (every repetition of every EQ).
    pub service_types: Vec<String>,
    /// ISA13, GS06, ST02 and TRN02 as read.
    pub control: ControlNumbers,
    /// The patient's TRN, when sent.
    pub trace: Option<InquiryTrace>,
    /// BHT03, the submitter's transaction reference, when sent.
    pub reference: Option<String>,
    /// BHT04 and BHT05: when the inquiry was created (midnight when BHT05 is absent).
    pub created_at: PrimitiveDateTime,
}

impl Inquiry270 {
    /// The clinic's NPI: the receiver identifier when its qualifier is `XX`.
    pub fn provider_npi(&self) -> Option<&str> {
        (self.provider_id_qualifier == "XX").then_some(self.provider_id.as_str())
    }

    /// The patient: the dependent when there is one, else the subscriber.
    pub fn patient(&self) -> &InquiryPerson {
        self.dependent.as_ref().unwrap_or(&self.subscriber)
    }
}

impl fmt::Debug for Inquiry270 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Payer and provider identify companies, not people; the control numbers and trace are not PHI.
        f.debug_struct("Inquiry270")
            .field("usage", &self.envelope.usage)
            .field("payer_id", &self.payer_id)
            .field("payer_id_qualifier", &self.payer_id_qualifier)
            .field("provider_id_qualifier", &self.provider_id_qualifier)
            .field("subscriber", &self.subscriber)
            .field("dependent", &self.dependent)
            .field("service_types", &self.service_types)
            .field("control", &self.control)
            .field("trace", &self.trace)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// How a PHI value shows in `Debug` output.
enum Redacted {
    Present,
    Chars(usize),
}

impl Redacted {
    fn text(value: &str) -> Redacted {
        Redacted::Chars(value.chars().count())
    }

    fn option(value: Option<&str>) -> Option<Redacted> {
        value.map(Redacted::text)
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Redacted::Present => f.write_str("<redacted>"),
            Redacted::Chars(n) => write!(f, "<{n} chars redacted>"),
        }
    }
}

/// Parses `CCYYMMDD`; `None` for anything else or an impossible date.
pub(crate) fn parse_ccyymmdd(raw: &str) -> Option<Date> {
    let raw = raw.trim();
    if raw.len() != 8 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = raw.get(0..4)?.parse().ok()?;
    let month: u8 = raw.get(4..6)?.parse().ok()?;
    let day: u8 = raw.get(6..8)?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Parses `HHMM`, `HHMMSS` or `HHMMSSD..` (the decimal seconds are ignored); `None` for anything else.
pub(crate) fn parse_hhmm(raw: &str) -> Option<Time> {
    let raw = raw.trim();
    if raw.len() < 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hour: u8 = raw.get(0..2)?.parse().ok()?;
    let minute: u8 = raw.get(2..4)?.parse().ok()?;
    let second: u8 = match raw.get(4..6) {
        Some(s) if s.len() == 2 => s.parse().ok()?,
        _ => 0,
    };
    Time::from_hms(hour, minute, second).ok()
}

// ---------------------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------------------

fn missing(expected: &'static str, context: &str) -> X12Error {
    X12Error::MissingSegment { expected, context: context.to_owned() }
}

/// Reads a 270 eligibility inquiry with the loop model ([`eligibility_271`], which reads 270s too): the first
/// 270 transaction set of the interchange, its information source (2100A), receiver (2100B), first subscriber
/// (2000C/2100C/2110C) and that subscriber's first dependent (2000D/2100D/2110D). 004010 inquiries read too
/// (their layout is the same for these loops).
///
/// Errors, naming loops, segments and elements but never a value: input that is not X12 (see [`parse`]);
/// [`X12Error::WrongTransactionSet`] when the interchange holds no 270; [`X12Error::MissingSegment`] for a
/// missing BHT, HL 20/21/22 or their NM1; [`X12Error::Structure`] for a required element that is missing
/// (NM109 of the payer and the receiver, NM103 of a person, BHT04) or a date that is not `CCYYMMDD`.
///
/// Service types are the EQ01 codes of the patient's loop (the dependent's when there is one), every
/// repetition of every EQ, in order; when that loop has none, every EQ of the transaction. The trace is the
/// patient's first TRN (or, failing that, the subscriber's).
pub fn read_270(input: &[u8]) -> Result<Inquiry270, X12Error> {
    let interchange = parse(input)?;
    let Some((group, transaction)) = interchange
        .groups
        .iter()
        .flat_map(|group| group.transactions.iter().map(move |transaction| (group, transaction)))
        .find(|(_, transaction)| transaction.set_id == "270")
    else {
        return Err(match interchange.transactions().next() {
            Some(other) => X12Error::WrongTransactionSet { expected: "270", found: set_id_text(other.set_id) },
            None => missing("ST", "interchange"),
        });
    };
    let tree = eligibility_271(transaction)?;

    let bht = tree.bht.ok_or_else(|| missing("BHT", "transaction set 270 header"))?;
    let created_at = created_at(&bht)?;
    let source = tree.source().ok_or_else(|| missing("HL", "loop 2000A (information source)"))?;
    let payer = source.name().ok_or_else(|| missing("NM1", "loop 2100A (information source)"))?;
    let payer_id = payer.id().ok_or_else(|| X12Error::structure(&payer.nm1, "NM109 (payer identifier) is missing"))?;
    let receiver = tree.receiver().ok_or_else(|| missing("HL", "loop 2000B (information receiver)"))?;
    let provider = receiver.name().ok_or_else(|| missing("NM1", "loop 2100B (information receiver)"))?;
    let provider_id =
        provider.id().ok_or_else(|| X12Error::structure(&provider.nm1, "NM109 (receiver identifier) is missing"))?;
    let subscriber = tree.subscribers().into_iter().next().ok_or_else(|| missing("HL", "loop 2000C (subscriber)"))?;
    let subscriber_person = person(subscriber, "loop 2100C (subscriber name)")?;
    let dependent = subscriber.children.iter().find(|level| level.code == LevelCode::Dependent);
    let dependent_person = match dependent {
        Some(level) => {
            let dependent = person(level, "loop 2100D (dependent name)")?;
            // In a 270's 2100D, INS01 (insured indicator) may only be `N`: the dependent is not the insured.
            if let Some(ins) = level.name().and_then(|name| name.relationship.as_ref())
                && ins.element(1).is_some_and(|insured| insured != "N")
            {
                return Err(X12Error::structure(ins, "INS01 of a dependent (loop 2100D) must be N"));
            }
            Some(dependent)
        }
        None => None,
    };

    let patient = dependent.unwrap_or(subscriber);
    let own: Vec<&InquiryLoop<'_>> = patient.inquiries.iter().collect();
    let eqs =
        if own.is_empty() { tree.levels().into_iter().flat_map(|level| level.inquiries.iter()).collect() } else { own };
    let service_types: Vec<String> = eqs
        .iter()
        .flat_map(|inquiry| inquiry.eq.repetitions(1))
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        .collect();
    let trace = patient.traces.first().or(subscriber.traces.first()).and_then(|trn| {
        Some(InquiryTrace {
            number: trn.reference?.trim().to_owned(),
            originator: owned(trn.originator),
            supplemental: owned(trn.secondary_reference),
        })
    });
    Ok(Inquiry270 {
        envelope: envelope_of(&interchange, input),
        payer_id: payer_id.trim().to_owned(),
        payer_id_qualifier: payer.id_qualifier().unwrap_or_default().trim().to_owned(),
        payer_name: owned(payer.last_or_organization_name()),
        provider_id: provider_id.trim().to_owned(),
        provider_id_qualifier: provider.id_qualifier().unwrap_or_default().trim().to_owned(),
        provider_name: owned(provider.last_or_organization_name()),
        subscriber: subscriber_person,
        dependent: dependent_person,
        service_types,
        control: ControlNumbers {
            interchange: owned(Some(interchange.control_number)),
            group: owned(Some(group.control_number)),
            transaction: owned(Some(transaction.control_number)),
            trace: trace.as_ref().map(|t| t.number.clone()),
            other_requests: Vec::new(),
        },
        trace,
        reference: owned(bht.element(3)),
        created_at,
    })
}

/// A value trimmed, when not blank.
fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// ST01 for an error text: a transaction set identifier is three digits; anything else is not echoed.
fn set_id_text(raw: &str) -> String {
    if raw.len() <= 3 && raw.bytes().all(|b| b.is_ascii_digit()) { raw.to_owned() } else { "(unreadable)".to_owned() }
}

/// BHT04 and BHT05.
fn created_at(bht: &Segment<'_>) -> Result<PrimitiveDateTime, X12Error> {
    let date = bht.element(4).ok_or_else(|| X12Error::structure(bht, "BHT04 (creation date) is missing"))?;
    let date = parse_ccyymmdd(date).ok_or_else(|| X12Error::structure(bht, "BHT04 is not a CCYYMMDD date"))?;
    let time = match bht.element(5) {
        Some(raw) => parse_hhmm(raw).ok_or_else(|| X12Error::structure(bht, "BHT05 is not an HHMM time"))?,
        None => Time::MIDNIGHT,
    };
    Ok(PrimitiveDateTime::new(date, time))
}

/// The person of a subscriber or dependent level (its 2100C or 2100D loop).
fn person(level: &HierarchicalLevel<'_>, context: &str) -> Result<InquiryPerson, X12Error> {
    let name = level.name().ok_or_else(|| missing("NM1", context))?;
    let last_name = name
        .last_or_organization_name()
        .ok_or_else(|| X12Error::structure(&name.nm1, "NM103 (last name) is missing"))?;
    let member_id = match name.id_qualifier() {
        Some("MI" | "II") | None => owned(name.id()),
        Some(_) => None,
    };
    let date_of_birth = match &name.demographics {
        Some(dmg) if dmg.element(1) == Some("D8") => match dmg.element(2) {
            Some(raw) => {
                Some(parse_ccyymmdd(raw).ok_or_else(|| X12Error::structure(dmg, "DMG02 is not a CCYYMMDD date"))?)
            }
            None => None,
        },
        _ => None,
    };
    Ok(InquiryPerson {
        last_name: last_name.trim().to_owned(),
        first_name: owned(name.first_name()),
        middle_name: owned(name.middle_name()),
        member_id,
        date_of_birth,
        gender: name.demographics.as_ref().and_then(|dmg| owned(dmg.element(3))),
        group_number: name.reference("6P").and_then(|(id, _)| owned(id)),
        relationship_code: name.relationship.as_ref().and_then(|ins| owned(ins.element(2))),
    })
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::carriers::x12::Delimiters;

    /// A small synthetic 270 (Kentucky clinic, Kentucky payer): `{e}` element, `{r}` repetition, `{s}` segment.
    fn sample_270() -> String {
        [
            "ISA*00*          *00*          *ZZ*BLUEGRASSIOP   *ZZ*00660          *260302*0905*^*00501*000000101*0*T*:~",
            "GS*HS*BLUEGRASSIOP*00660*20260302*0905*101*X*005010X279A1~",
            "ST*270*0101*005010X279A1~",
            "BHT*0022*13*REF42*20260302*090512~",
            "HL*1**20*1~",
            "NM1*PR*2*ANTHEM BLUE CROSS AND BLUE SHIELD KENTUCKY*****PI*00660~",
            "HL*2*1*21*1~",
            "NM1*1P*2*BLUEGRASS RECOVERY IOP*****XX*1234567893~",
            "HL*3*2*22*1~",
            "NM1*IL*1*EXAMPLE*CASEY*R***MI*YRK123456789~",
            "REF*6P*270145M001~",
            "DMG*D8*19850615*F~",
            "HL*4*3*23*0~",
            "TRN*1*555000111*9123456789~",
            "NM1*03*1*EXAMPLE*RILEY~",
            "DMG*D8*20080229~",
            "INS*N*19~",
            "DTP*291*D8*20260302~",
            "EQ*30^AI~",
            "EQ*MH~",
            "SE*19*0101~",
            "GE*1*101~",
            "IEA*1*000000101~",
        ]
        .join("\n")
    }

    #[test]
    fn a_dependent_inquiry_is_read_whole() {
        let text = sample_270();

        let inquiry = read_270(text.as_bytes()).expect("a valid 270");

        assert_eq!(inquiry.payer_id, "00660");
        assert_eq!(inquiry.payer_id_qualifier, "PI");
        assert_eq!(inquiry.payer_name.as_deref(), Some("ANTHEM BLUE CROSS AND BLUE SHIELD KENTUCKY"));
        assert_eq!(inquiry.provider_npi(), Some("1234567893"));
        assert_eq!(inquiry.provider_name.as_deref(), Some("BLUEGRASS RECOVERY IOP"));
        assert_eq!(inquiry.subscriber.last_name, "EXAMPLE");
        assert_eq!(inquiry.subscriber.first_name.as_deref(), Some("CASEY"));
        assert_eq!(inquiry.subscriber.middle_name.as_deref(), Some("R"));
        assert_eq!(inquiry.subscriber.member_id.as_deref(), Some("YRK123456789"));
        assert_eq!(inquiry.subscriber.date_of_birth, Some(date!(1985 - 06 - 15)));
        assert_eq!(inquiry.subscriber.gender.as_deref(), Some("F"));
        assert_eq!(inquiry.subscriber.group_number.as_deref(), Some("270145M001"));
        let dependent = inquiry.dependent.as_ref().expect("a dependent");
        assert_eq!(dependent.first_name.as_deref(), Some("RILEY"));
        assert_eq!(dependent.date_of_birth, Some(date!(2008 - 02 - 29)));
        assert_eq!(dependent.relationship_code.as_deref(), Some("19"));
        assert_eq!(dependent.member_id, None);
        assert_eq!(inquiry.patient(), dependent);
        assert_eq!(inquiry.service_types, ["30", "AI", "MH"]);
        assert_eq!(
            inquiry.control,
            ControlNumbers {
                interchange: Some("000000101".into()),
                group: Some("101".into()),
                transaction: Some("0101".into()),
                trace: Some("555000111".into()),
                other_requests: Vec::new(),
            }
        );
        let trace = inquiry.trace.as_ref().expect("a trace");
        assert_eq!(trace.originator.as_deref(), Some("9123456789"));
        assert_eq!(inquiry.reference.as_deref(), Some("REF42"));
        assert_eq!(inquiry.created_at, datetime!(2026-03-02 09:05:12));
        assert_eq!(inquiry.envelope.sender_id, "BLUEGRASSIOP");
        assert_eq!(inquiry.envelope.receiver_id, "00660");
        assert_eq!(inquiry.envelope.usage, crate::carriers::x12::build::Usage::Test);
        assert!(inquiry.envelope.newline_after_segment);
        assert_eq!(inquiry.envelope.delimiters, Delimiters::STANDARD);
    }

    #[test]
    fn debug_output_shows_no_personal_value() {
        let inquiry = read_270(sample_270().as_bytes()).expect("a valid 270");

        let debug = format!("{inquiry:?}");

        for secret in ["EXAMPLE", "CASEY", "RILEY", "YRK123456789", "1985", "2008", "270145M001"] {
            assert!(!debug.contains(secret), "{secret} leaked: {debug}");
        }
        assert!(debug.contains("00660"), "the payer is not PHI: {debug}");
    }

    /// The 270 without the segment starting with `prefix`.
    fn without(prefix: &str) -> String {
        sample_270().lines().filter(|line| !line.starts_with(prefix)).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn missing_parts_are_named_without_values() {
        let cases = [
            (without("BHT"), "missing BHT"),
            (without("NM1*PR"), "loop 2100A"),
            (without("NM1*1P"), "loop 2100B"),
            (without("HL*3"), "loop 2000C"),
            (without("NM1*IL"), "loop 2100C"),
            (without("NM1*03"), "loop 2100D"),
            (sample_270().replace("*PI*00660~", "*PI~"), "NM109 (payer identifier)"),
            (sample_270().replace("*XX*1234567893~", "~"), "NM109 (receiver identifier)"),
            (sample_270().replace("NM1*03*1*EXAMPLE*RILEY~", "NM1*03*1~"), "NM103"),
            (sample_270().replace("D8*19850615", "D8*19851315"), "DMG02"),
            (sample_270().replace("*20260302*090512", "*2026-03-02"), "BHT04"),
            (sample_270().replace("INS*N*19~", "INS*Y*19~"), "INS01 of a dependent"),
        ];
        for (text, expected) in cases {
            let error = read_270(text.as_bytes()).expect_err(expected);

            let message = error.to_string();
            assert!(message.contains(expected), "{expected}: {message}");
            for value in ["EXAMPLE", "RILEY", "00660", "1234567893", "19851315"] {
                assert!(!message.contains(value), "{value} in {message}");
            }
        }
    }

    #[test]
    fn a_271_is_not_read_as_an_inquiry() {
        let text = sample_270().replace("ST*270*", "ST*271*");

        let error = read_270(text.as_bytes()).expect_err("not a 270");

        assert_eq!(error, X12Error::WrongTransactionSet { expected: "270", found: "271".into() });
    }

    #[test]
    fn bytes_that_are_not_x12_are_refused() {
        assert_eq!(read_270(b"{\"subscriber\":{}}"), Err(X12Error::NotAnInterchange));
        assert!(read_270(b"").is_err());
    }

    #[test]
    fn dates_and_times_are_read_strictly() {
        assert_eq!(parse_ccyymmdd("20240229"), Some(date!(2024 - 02 - 29)));
        assert_eq!(parse_ccyymmdd("20230229"), None);
        assert_eq!(parse_ccyymmdd("2024022"), None);
        assert_eq!(parse_hhmm("0905"), Time::from_hms(9, 5, 0).ok());
        assert_eq!(parse_hhmm("09051234"), Time::from_hms(9, 5, 12).ok());
        assert_eq!(parse_hhmm("2460"), None);
        assert_eq!(parse_hhmm("9:05"), None);
    }
}
