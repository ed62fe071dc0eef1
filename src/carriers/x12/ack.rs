//! Acknowledgements a carrier may send instead of (or besides) a 271: the TA1 interchange acknowledgement and
//! the 999 implementation acknowledgement, and [`read_reply`], which tells an eligibility answer from a refusal.
//!
//! Acknowledgements are owned (they outlive the input) and carry codes and positions only: the 999's IK404
//! (a copy of the bad element, which may be a name or a date of birth) is never read.

use std::fmt;

use super::model::{Eligibility271, eligibility_271};
use super::{Interchange, Segment, Transaction, X12Error, parse};

/// What an acknowledgement says about what it acknowledges (TA104, IK501, AK901).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckStatus {
    /// `A`: accepted.
    Accepted,
    /// `E`: accepted, but errors were noted.
    AcceptedWithErrors,
    /// `P` (AK901): some transaction sets accepted, some rejected.
    PartiallyAccepted,
    /// `R`: rejected.
    Rejected,
    /// `M`, `W`, `X` (999): rejected (message authentication, assurance or content failures).
    RejectedOther(String),
    /// Anything else, as sent (or empty when absent).
    Unknown(String),
}

impl AckStatus {
    /// Reads a status code.
    pub fn from_code(code: Option<&str>) -> Self {
        match code.unwrap_or_default() {
            "A" => AckStatus::Accepted,
            "E" => AckStatus::AcceptedWithErrors,
            "P" => AckStatus::PartiallyAccepted,
            "R" => AckStatus::Rejected,
            code @ ("M" | "W" | "X") => AckStatus::RejectedOther(code.to_owned()),
            other => AckStatus::Unknown(super::envelope::short_code(other)),
        }
    }

    /// True for the rejecting statuses (`R`, `M`, `W`, `X`).
    pub fn is_rejected(&self) -> bool {
        matches!(self, AckStatus::Rejected | AckStatus::RejectedOther(_))
    }

    /// The code as sent.
    pub fn code(&self) -> &str {
        match self {
            AckStatus::Accepted => "A",
            AckStatus::AcceptedWithErrors => "E",
            AckStatus::PartiallyAccepted => "P",
            AckStatus::Rejected => "R",
            AckStatus::RejectedOther(code) | AckStatus::Unknown(code) => code,
        }
    }

    /// The status in words.
    pub fn words(&self) -> &'static str {
        match self {
            AckStatus::Accepted => "accepted",
            AckStatus::AcceptedWithErrors => "accepted with errors",
            AckStatus::PartiallyAccepted => "partially accepted",
            AckStatus::Rejected | AckStatus::RejectedOther(_) => "rejected",
            AckStatus::Unknown(_) => "unknown status",
        }
    }
}

/// A coded error with the code list's description (an unknown code keeps its code with a generic description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckError {
    /// The code as sent.
    pub code: String,
    /// Its description from the X12 code list.
    pub description: &'static str,
}

impl AckError {
    fn new(code: &str, table: fn(&str) -> Option<&'static str>) -> Self {
        AckError { code: super::envelope::short_code(code), description: table(code).unwrap_or("Unknown error code") }
    }
}

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description, self.code)
    }
}

/// A TA1: the receiver's verdict on the interchange envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterchangeAck {
    /// TA101, the control number of the interchange acknowledged (our ISA13).
    pub control_number: String,
    /// TA104, the acknowledgement code.
    pub status: AckStatus,
    /// TA105, the interchange note code with its description.
    pub note: AckError,
}

/// An element error in a 999 (IK4). The copy of the bad data (IK404) is deliberately not kept: it is PHI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementError {
    /// IK401, the position in the segment (`3`, or `2:1` for a component).
    pub position: String,
    /// IK402, the data element reference number.
    pub reference: Option<String>,
    /// IK403, the error code.
    pub error: AckError,
}

/// A segment error in a 999 (IK3 and its IK4s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentError {
    /// IK301, the id of the segment in error.
    pub segment_id: String,
    /// IK302, the segment's position in the transaction set (ST is 1).
    pub position: Option<String>,
    /// IK303, the loop identifier.
    pub loop_id: Option<String>,
    /// IK304, the segment syntax error code.
    pub error: Option<AckError>,
    /// The IK4 element errors under it.
    pub elements: Vec<ElementError>,
}

/// The 999's verdict on one transaction set (AK2 ... IK5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionAck {
    /// AK201, the transaction set acknowledged (`270`).
    pub set_id: String,
    /// AK202, its control number (our ST02).
    pub control_number: String,
    /// IK501, the verdict.
    pub status: AckStatus,
    /// IK502-IK506, the syntax error codes.
    pub errors: Vec<AckError>,
    /// The IK3 segment errors.
    pub segment_errors: Vec<SegmentError>,
}

/// A 999: the verdict on a functional group and each of its transaction sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionalAck {
    /// AK101, the functional identifier acknowledged (`HS` for 270s).
    pub functional_id: String,
    /// AK102, the group control number acknowledged (our GS06).
    pub group_control_number: String,
    /// AK901, the group's verdict.
    pub status: AckStatus,
    /// AK905-AK909, the group's syntax error codes.
    pub errors: Vec<AckError>,
    /// The verdicts on the transaction sets.
    pub transactions: Vec<TransactionAck>,
}

impl FunctionalAck {
    /// True when the group or any of its transaction sets was rejected.
    pub fn is_rejection(&self) -> bool {
        self.status.is_rejected() || self.transactions.iter().any(|transaction| transaction.status.is_rejected())
    }
}

/// An acknowledgement: a TA1 or a 999.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acknowledgement {
    /// A TA1 interchange acknowledgement.
    Interchange(InterchangeAck),
    /// A 999 implementation acknowledgement.
    Functional(FunctionalAck),
}

impl Acknowledgement {
    /// True when it refuses what it acknowledges (TA104 `R`; a 999 rejecting the group or a transaction set).
    pub fn is_rejection(&self) -> bool {
        match self {
            Acknowledgement::Interchange(ta1) => ta1.status.is_rejected(),
            Acknowledgement::Functional(ack) => ack.is_rejection(),
        }
    }

    /// A short code for the attempt record: `TA1:<TA105>` (e.g. `TA1:006`), or `999:<code>` with the first
    /// transaction set error (IK502), else the first segment error (IK304, as `IK3-<code>`), else the group's
    /// (AK905), else the verdict letter.
    pub fn error_code(&self) -> String {
        match self {
            Acknowledgement::Interchange(ta1) => format!("TA1:{}", ta1.note.code),
            Acknowledgement::Functional(ack) => {
                let transactions = || ack.transactions.iter();
                let code = transactions()
                    .find_map(|transaction| transaction.errors.first().map(|error| error.code.clone()))
                    .or_else(|| {
                        transactions()
                            .flat_map(|transaction| transaction.segment_errors.iter())
                            .find_map(|segment| segment.error.as_ref().map(|error| format!("IK3-{}", error.code)))
                    })
                    .or_else(|| ack.errors.first().map(|error| error.code.clone()))
                    .unwrap_or_else(|| {
                        transactions()
                            .map(|transaction| &transaction.status)
                            .find(|status| status.is_rejected())
                            .unwrap_or(&ack.status)
                            .code()
                            .to_owned()
                    });
                format!("999:{code}")
            }
        }
    }

    /// The acknowledgement in words, for an operator: verdict, codes with their descriptions, segment ids and
    /// positions. No element values.
    pub fn describe(&self) -> String {
        match self {
            Acknowledgement::Interchange(ta1) => format!(
                "TA1 interchange acknowledgement for interchange {}: {} ({}), note {}",
                ta1.control_number,
                ta1.status.words(),
                ta1.status.code(),
                ta1.note
            ),
            Acknowledgement::Functional(ack) => {
                let mut text = format!(
                    "999 acknowledgement for group {} ({}): {}",
                    ack.group_control_number,
                    ack.functional_id,
                    ack.status.words()
                );
                if !ack.errors.is_empty() {
                    text.push_str(&format!("; group errors: {}", join(&ack.errors)));
                }
                for transaction in &ack.transactions {
                    text.push_str(&format!(
                        "; transaction {} {}: {}",
                        transaction.set_id,
                        transaction.control_number,
                        transaction.status.words()
                    ));
                    if !transaction.errors.is_empty() {
                        text.push_str(&format!(" ({})", join(&transaction.errors)));
                    }
                    for segment in &transaction.segment_errors {
                        text.push_str(&format!(
                            "; segment {} at position {}{}",
                            segment.segment_id,
                            segment.position.as_deref().unwrap_or("?"),
                            segment.loop_id.as_deref().map(|id| format!(" in loop {id}")).unwrap_or_default()
                        ));
                        if let Some(error) = &segment.error {
                            text.push_str(&format!(": {error}"));
                        }
                        for element in &segment.elements {
                            text.push_str(&format!(", element {}: {}", element.position, element.error));
                        }
                    }
                }
                text
            }
        }
    }
}

impl fmt::Display for Acknowledgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// An IK401 position for display: digits and colons only (a damaged file may hold anything there).
fn position_text(value: &str) -> String {
    if value.len() <= 15 && value.bytes().all(|byte| byte.is_ascii_digit() || byte == b':') {
        value.to_owned()
    } else {
        "(unreadable)".to_owned()
    }
}

fn join(errors: &[AckError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Reads a TA1 segment.
pub fn read_ta1(segment: &Segment<'_>) -> InterchangeAck {
    InterchangeAck {
        control_number: super::envelope::short_code(segment.element(1).unwrap_or_default()),
        status: AckStatus::from_code(segment.element(4)),
        note: AckError::new(segment.element(5).unwrap_or_default(), ta1_note),
    }
}

/// Reads a 999 transaction set. Errors when the transaction is not a 999.
pub fn read_999(transaction: &Transaction<'_>) -> Result<FunctionalAck, X12Error> {
    if transaction.set_id != "999" {
        return Err(X12Error::WrongTransactionSet {
            expected: "999",
            found: super::envelope::short_code(transaction.set_id),
        });
    }
    let mut ack = FunctionalAck {
        functional_id: String::new(),
        group_control_number: String::new(),
        status: AckStatus::Unknown(String::new()),
        errors: Vec::new(),
        transactions: Vec::new(),
    };
    let text =
        |segment: &Segment<'_>, position| super::envelope::short_code(segment.element(position).unwrap_or_default());
    for segment in &transaction.segments {
        match segment.id() {
            "AK1" => {
                ack.functional_id = text(segment, 1);
                ack.group_control_number = text(segment, 2);
            }
            "AK2" => ack.transactions.push(TransactionAck {
                set_id: text(segment, 1),
                control_number: text(segment, 2),
                status: AckStatus::Unknown(String::new()),
                errors: Vec::new(),
                segment_errors: Vec::new(),
            }),
            "IK3" => {
                if let Some(current) = ack.transactions.last_mut() {
                    current.segment_errors.push(SegmentError {
                        segment_id: text(segment, 1),
                        position: segment.element(2).map(super::envelope::short_code),
                        loop_id: segment.element(3).map(super::envelope::short_code),
                        error: segment.element(4).map(|code| AckError::new(code, segment_syntax_error)),
                        elements: Vec::new(),
                    });
                }
            }
            "IK4" => {
                if let Some(current) = ack.transactions.last_mut().and_then(|t| t.segment_errors.last_mut()) {
                    current.elements.push(ElementError {
                        position: position_text(&segment.components(1).collect::<Vec<_>>().join(":")),
                        reference: segment.element(2).map(super::envelope::short_code),
                        error: AckError::new(segment.element(3).unwrap_or_default(), element_syntax_error),
                    });
                }
            }
            "IK5" => {
                if let Some(current) = ack.transactions.last_mut() {
                    current.status = AckStatus::from_code(segment.element(1));
                    current.errors = (2..=6)
                        .filter_map(|p| segment.element(p))
                        .map(|c| AckError::new(c, transaction_syntax_error))
                        .collect();
                }
            }
            "AK9" => {
                ack.status = AckStatus::from_code(segment.element(1));
                ack.errors =
                    (5..=9).filter_map(|p| segment.element(p)).map(|c| AckError::new(c, group_syntax_error)).collect();
            }
            _ => {}
        }
    }
    Ok(ack)
}

/// What a carrier's X12 reply is.
#[derive(Debug, Clone)]
pub enum X12Reply<'a> {
    /// One or more 271s: every 271 transaction of the interchange, in order. Takes precedence over any
    /// acknowledgement in the same interchange, because the answer is there.
    Eligibility(Vec<Eligibility271<'a>>),
    /// A TA1 with TA104 `R`, or a 999 rejecting the group or a transaction set, and no 271.
    Rejected(Acknowledgement),
    /// Only an acknowledgement that does not refuse (TA1 `A`/`E`, 999 `A`/`E`): the request was accepted, but
    /// this reply holds no answer. Errors noted with an `E` verdict are in the acknowledgement.
    Acknowledged(Acknowledgement),
}

/// Reads a carrier's reply: an interchange holding 271s, a 999 or a TA1.
///
/// Errors when the input is not X12 (see [`parse`]) or holds none of these (a 270, a 277, an empty interchange).
pub fn read_reply(input: &[u8]) -> Result<X12Reply<'_>, X12Error> {
    let interchange = parse(input)?;
    reply_of(&interchange)
}

/// Classifies an interchange already parsed; see [`read_reply`].
pub fn reply_of<'a>(interchange: &Interchange<'a>) -> Result<X12Reply<'a>, X12Error> {
    let answers: Vec<Eligibility271<'a>> = interchange
        .transactions()
        .filter(|transaction| transaction.set_id == "271")
        .map(eligibility_271)
        .collect::<Result<_, _>>()?;
    if !answers.is_empty() {
        return Ok(X12Reply::Eligibility(answers));
    }
    let mut acknowledgements: Vec<Acknowledgement> =
        interchange.ta1.iter().map(|segment| Acknowledgement::Interchange(read_ta1(segment))).collect();
    for transaction in interchange.transactions().filter(|transaction| transaction.set_id == "999") {
        acknowledgements.push(Acknowledgement::Functional(read_999(transaction)?));
    }
    if let Some(rejection) = acknowledgements.iter().find(|ack| ack.is_rejection()) {
        return Ok(X12Reply::Rejected(rejection.clone()));
    }
    if let Some(first) = acknowledgements.into_iter().next() {
        return Ok(X12Reply::Acknowledged(first));
    }
    let found = interchange
        .transactions()
        .next()
        .map_or_else(|| "none".to_owned(), |transaction| super::envelope::short_code(transaction.set_id));
    Err(X12Error::WrongTransactionSet { expected: "271, 999 or TA1", found })
}

/// TA105 interchange note codes.
pub fn ta1_note(code: &str) -> Option<&'static str> {
    Some(match code {
        "000" => "No error",
        "001" => "The Interchange Control Number in the Header and Trailer Do Not Match",
        "002" => "This Standard as Noted in the Control Standards Identifier is Not Supported",
        "003" => "This Version of the Controls is Not Supported",
        "004" => "The Segment Terminator is Invalid",
        "005" => "Invalid Interchange ID Qualifier for Sender",
        "006" => "Invalid Interchange Sender ID",
        "007" => "Invalid Interchange ID Qualifier for Receiver",
        "008" => "Invalid Interchange Receiver ID",
        "009" => "Unknown Interchange Receiver ID",
        "010" => "Invalid Authorization Information Qualifier Value",
        "011" => "Invalid Authorization Information Value",
        "012" => "Invalid Security Information Qualifier Value",
        "013" => "Invalid Security Information Value",
        "014" => "Invalid Interchange Date Value",
        "015" => "Invalid Interchange Time Value",
        "016" => "Invalid Interchange Standards Identifier Value",
        "017" => "Invalid Interchange Version ID Value",
        "018" => "Invalid Interchange Control Number Value",
        "019" => "Invalid Acknowledgment Requested Value",
        "020" => "Invalid Test Indicator Value",
        "021" => "Invalid Number of Included Groups Value",
        "022" => "Invalid Control Structure",
        "023" => "Improper (Premature) End-of-File (Transmission)",
        "024" => "Invalid Interchange Content (e.g., Invalid GS Segment)",
        "025" => "Duplicate Interchange Control Number",
        "026" => "Invalid Data Element Separator",
        "027" => "Invalid Component Element Separator",
        "028" => "Invalid Delivery Date in Deferred Delivery Request",
        "029" => "Invalid Delivery Time in Deferred Delivery Request",
        "030" => "Invalid Delivery Time Code in Deferred Delivery Request",
        "031" => "Invalid Grade of Service Code",
        _ => return None,
    })
}

/// IK502-IK506 transaction set syntax error codes (code list 718).
pub fn transaction_syntax_error(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Transaction Set Not Supported",
        "2" => "Transaction Set Trailer Missing",
        "3" => "Transaction Set Control Number in Header and Trailer Do Not Match",
        "4" => "Number of Included Segments Does Not Match Actual Count",
        "5" => "One or More Segments in Error",
        "6" => "Missing or Invalid Transaction Set Identifier",
        "7" => "Missing or Invalid Transaction Set Control Number",
        "8" => "Authentication Key Name Unknown",
        "9" => "Encryption Key Name Unknown",
        "10" => "Requested Service (Authentication or Encrypted) Not Available",
        "11" => "Unknown Security Recipient",
        "12" => "Incorrect Message Length (Encryption Only)",
        "13" => "Message Authentication Code Failed",
        "15" => "Unknown Security Originator",
        "16" => "Syntax Error in Decrypted Text",
        "17" => "Security Not Supported",
        "18" => "Transaction Set not in Functional Group",
        "19" => "Invalid Transaction Set Implementation Convention Reference",
        "23" => "Transaction Set Control Number Not Unique within the Functional Group",
        "24" => "S3E Security End Segment Missing for S3S Security Start Segment",
        "25" => "S3S Security Start Segment Missing for S3E Security End Segment",
        "26" => "S4E Security End Segment Missing for S4S Security Start Segment",
        "27" => "S4S Security Start Segment Missing for S4E Security End Segment",
        "I5" => "Implementation One or More Segments in Error",
        "I6" => "Implementation Convention Not Supported",
        _ => return None,
    })
}

/// AK905-AK909 functional group syntax error codes (code list 716).
pub fn group_syntax_error(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Functional Group Not Supported",
        "2" => "Functional Group Version Not Supported",
        "3" => "Functional Group Trailer Missing",
        "4" => "Group Control Number in the Functional Group Header and Trailer Do Not Agree",
        "5" => "Number of Included Transaction Sets Does Not Match Actual Count",
        "6" => "Group Control Number Violates Syntax",
        "10" => "Authentication Key Name Unknown",
        "11" => "Encryption Key Name Unknown",
        "12" => "Requested Service (Authentication or Encryption) Not Available",
        "13" => "Unknown Security Recipient",
        "14" => "Unknown Security Originator",
        "15" => "Syntax Error in Decrypted Text",
        "16" => "Security Not Supported",
        "17" => "Incorrect Message Length (Encryption Only)",
        "18" => "Message Authentication Code Failed",
        "19" => "Functional Group Control Number not Unique within Interchange",
        "23" => "S3E Security End Segment Missing for S3S Security Start Segment",
        "24" => "S3S Security Start Segment Missing for S3E Security End Segment",
        "25" => "S4E Security End Segment Missing for S4S Security Start Segment",
        "26" => "S4S Security Start Segment Missing for S4E Security End Segment",
        _ => return None,
    })
}

/// IK304 segment syntax error codes (code list 620).
pub fn segment_syntax_error(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Unrecognized segment ID",
        "2" => "Unexpected segment",
        "3" => "Required Segment Missing",
        "4" => "Loop Occurs Over Maximum Times",
        "5" => "Segment Exceeds Maximum Use",
        "6" => "Segment Not in Defined Transaction Set",
        "7" => "Segment Not in Proper Sequence",
        "8" => "Segment Has Data Element Errors",
        "I4" => "Implementation \"Not Used\" Segment Present",
        "I6" => "Implementation Dependent Segment Missing",
        "I7" => "Implementation Loop Occurs Under Minimum Times",
        "I8" => "Implementation Segment Below Minimum Use",
        "I9" => "Implementation Dependent \"Not Used\" Segment Present",
        _ => return None,
    })
}

/// IK403 element syntax error codes (code list 621).
pub fn element_syntax_error(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Required Data Element Missing",
        "2" => "Conditional Required Data Element Missing",
        "3" => "Too Many Data Elements",
        "4" => "Data Element Too Short",
        "5" => "Data Element Too Long",
        "6" => "Invalid Character in Data Element",
        "7" => "Invalid Code Value",
        "8" => "Invalid Date",
        "9" => "Invalid Time",
        "10" => "Exclusion Condition Violated",
        "12" => "Too Many Repetitions",
        "13" => "Too Many Components",
        "I6" => "Code Value Not Used in Implementation",
        "I9" => "Implementation Dependent Data Element Missing",
        "I10" => "Implementation \"Not Used\" Data Element Present",
        "I11" => "Implementation Too Few Repetitions",
        "I12" => "Implementation Pattern Match Failure",
        "I13" => "Implementation Dependent \"Not Used\" Data Element Present",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::carriers::x12::test_support::{ISA, interchange};

    fn reply(text: &str) -> X12Reply<'_> {
        read_reply(text.as_bytes()).expect("readable")
    }

    #[test]
    fn an_accepting_999_is_acknowledged_not_rejected() {
        let text = interchange("999", &["AK1*HS*900001*005010X279A1", "AK2*270*0001", "IK5*A", "AK9*A*1*1*1"]);

        let X12Reply::Acknowledged(Acknowledgement::Functional(ack)) = reply(&text) else { panic!("not acknowledged") };

        assert_eq!(ack.status, AckStatus::Accepted);
        assert_eq!(ack.transactions[0].status, AckStatus::Accepted);
        assert!(!ack.is_rejection());
    }

    #[test]
    fn a_partially_accepted_group_with_our_transaction_rejected_is_a_rejection() {
        let text = interchange(
            "999",
            &["AK1*HS*900001", "AK2*270*0001", "IK5*A", "AK2*270*0002", "IK3*DMG*9*2100C*8", "IK5*R", "AK9*P*2*2*1"],
        );

        let X12Reply::Rejected(ack) = reply(&text) else { panic!("not rejected") };

        // No IK5 error code: the segment error names the problem.
        assert_eq!(ack.error_code(), "999:IK3-8");
        assert!(ack.describe().contains("transaction 270 0002: rejected"), "{}", ack.describe());
    }

    #[test]
    fn a_999_with_errors_but_accepted_is_acknowledged_with_its_errors_kept() {
        let text =
            interchange("999", &["AK1*HS*1", "AK2*270*0001", "IK3*REF*12**8", "IK4*2*128*7", "IK5*E*5", "AK9*E*1*1*1"]);

        let X12Reply::Acknowledged(ack) = reply(&text) else { panic!("not acknowledged") };

        assert_eq!(ack.error_code(), "999:5");
        let Acknowledgement::Functional(ack) = ack else { panic!("not a 999") };
        assert_eq!(ack.transactions[0].segment_errors[0].elements[0].error.description, "Invalid Code Value");
    }

    #[test]
    fn a_271_in_the_same_interchange_as_a_rejecting_ta1_is_still_the_answer() {
        let text = interchange("271", &["HL*1**20*0"]).replacen("~\n", "~\nTA1*000000101*260115*0931*R*022~\n", 1);

        let X12Reply::Eligibility(answers) = reply(&text) else { panic!("not eligibility") };

        assert_eq!(answers.len(), 1);
    }

    #[test]
    fn an_unknown_ta1_note_code_is_kept_raw() {
        let text = format!("{ISA}TA1*000000101*260115*0931*R*777~IEA*0*000000101~");

        let X12Reply::Rejected(ack) = reply(&text) else { panic!("not rejected") };

        assert_eq!(ack.error_code(), "TA1:777");
        assert!(ack.describe().contains("Unknown error code (777)"), "{}", ack.describe());
    }

    #[test]
    fn an_interchange_with_neither_answer_nor_acknowledgement_is_an_error() {
        let text = interchange("277", &["BHT*0010*08"]);

        let error = read_reply(text.as_bytes()).expect_err("not a reply");

        assert_eq!(error, X12Error::WrongTransactionSet { expected: "271, 999 or TA1", found: "277".to_owned() });
    }

    #[test]
    fn every_code_table_answers_for_its_documented_codes_only() {
        assert_eq!(ta1_note("024"), Some("Invalid Interchange Content (e.g., Invalid GS Segment)"));
        assert_eq!(transaction_syntax_error("I5"), Some("Implementation One or More Segments in Error"));
        assert_eq!(group_syntax_error("5"), Some("Number of Included Transaction Sets Does Not Match Actual Count"));
        assert_eq!(segment_syntax_error("I9"), Some("Implementation Dependent \"Not Used\" Segment Present"));
        assert_eq!(element_syntax_error("I12"), Some("Implementation Pattern Match Failure"));
        for table in
            [ta1_note, transaction_syntax_error, group_syntax_error, segment_syntax_error, element_syntax_error]
        {
            assert_eq!(table("ZZZ"), None);
        }
    }
}
