//! What the two X12 connectors (raw X12 over a clearinghouse's JSON API, CAQH CORE) share: the 270 for one
//! attempt with fresh control numbers, and what a carrier's X12 reply means.
//!
//! A 271 is read by [`super::x12`], converted to the eligibility v3 JSON shape and judged by the same rules as
//! a JSON answer ([`super::eligibility_json::interpret_document`]): one normaliser for both wire formats, so the
//! benefit summary, the AAA classes and the government-plan evidence cannot drift apart. A 999 or TA1 that
//! refuses the interchange is a rejection an operator must look at (the 270 or the envelope is wrong, not the
//! applicant).

use std::time::Duration;

use serde_json::Value;

use super::directory::{X12Identity, X12Usage};
use super::x12::build::{Envelope, Usage, build_270, wire_control_numbers};
use super::x12::{self, Acknowledgement, X12Reply};
use super::{CarrierRoute, EligibilityQuery, eligibility_json};
use crate::domain::{AttemptResult, AttemptResultClass, ControlNumbers};

/// The 270 of one attempt and the control numbers it carries (stored with the attempt).
#[derive(Clone)]
pub struct X12Request {
    /// The interchange text (PHI).
    pub x12: String,
    /// ISA13, GS06, ST02 and TRN02 as written in `x12`.
    pub control_numbers: ControlNumbers,
}

/// The X12 envelope of a route: its `[carriers.x12]` identity, or the sandbox's when it has none.
pub fn envelope_for(route: &CarrierRoute) -> Envelope {
    let identity = route.x12.clone().unwrap_or_else(X12Identity::sandbox);
    let mut envelope = Envelope::new(identity.sender_id, identity.receiver_id);
    envelope.sender_qualifier = identity.sender_qualifier;
    envelope.receiver_qualifier = identity.receiver_qualifier;
    envelope.usage = match identity.usage {
        X12Usage::Production => Usage::Production,
        X12Usage::Test => Usage::Test,
    };
    envelope
}

/// Builds the 270 for one attempt with fresh control numbers.
pub fn build_request(query: &EligibilityQuery<'_>, envelope: &Envelope) -> X12Request {
    let control_numbers = wire_control_numbers(&ControlNumbers::generate());
    let x12 = build_270(query, envelope, &control_numbers, time::OffsetDateTime::now_utc());
    X12Request { x12, control_numbers }
}

/// What an X12 reply to `sent` means. `http_status` is the status the reply came with (a 2xx by the time the
/// connectors call this). Pure and total: any bytes give an [`AttemptResult`], never a panic.
///
/// * Not readable as X12: [`AttemptResultClass::InvalidResponse`].
/// * A TA1 or 999 refusing the interchange: [`AttemptResultClass::Rejected`] with code `TA1:<note code>` or
///   `999:<code>`.
/// * A 999 or TA1 accepting the 270 but no 271: [`AttemptResultClass::InvalidResponse`].
/// * A 271: the subscriber answering our trace number (TRN02), or the only one, converted to eligibility v3
///   JSON and judged as a JSON answer (coverage, AAA codes, benefit summary, plan facts).
pub fn interpret_x12(
    http_status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    sent: &X12Request,
) -> (AttemptResult, Option<String>) {
    let failed = |class, detail: String| AttemptResult::Failed { class, detail, retry_after: None };
    // Payers that write names in ISO-8859-1 send bytes that are not UTF-8: replace them (one byte for one, so
    // fixed-width segments keep their shape) rather than refuse the whole answer.
    let body = x12::replace_invalid_utf8(body);
    let reply = match x12::read_reply(&body) {
        Ok(reply) => reply,
        Err(error) => {
            let detail = format!("the carrier's X12 answer could not be read: {error}");
            return (failed(AttemptResultClass::InvalidResponse, detail), None);
        }
    };
    match reply {
        X12Reply::Rejected(acknowledgement) => rejection(&acknowledgement),
        X12Reply::Acknowledged(acknowledgement) => {
            // Accepted, but no answer: a real-time exchange must carry the 271 itself.
            let detail =
                format!("the carrier acknowledged the 270 without answering it: {}", acknowledgement.describe());
            (failed(AttemptResultClass::InvalidResponse, detail), Some(acknowledgement.error_code()))
        }
        X12Reply::Eligibility(answers) => {
            // One document per subscriber: a 271 may answer for several members (batch-style payers).
            let documents: Vec<Value> = answers.iter().flat_map(x12::eligibility_json_all).collect();
            let trace = sent.control_numbers.trace.as_deref().unwrap_or_default();
            // The answer must be to our question: the document echoing our trace number, or else the only
            // document when it carries no trace at all (some payers omit TRN). A 271 echoing someone else's trace
            // is never taken: it would attach another person's coverage to this applicant.
            let chosen = documents.iter().find(|doc| echoes_trace(doc, trace)).or_else(|| match documents.as_slice() {
                [only] if traces_of(only).next().is_none() => Some(only),
                _ => None,
            });
            match chosen {
                Some(document) => eligibility_json::interpret_document(http_status, retry_after, document),
                None if documents.is_empty() => {
                    (failed(AttemptResultClass::InvalidResponse, "the X12 answer holds no 271".to_owned()), None)
                }
                None => {
                    let detail = "no 271 in the answer carries our trace number (TRN02)".to_owned();
                    (failed(AttemptResultClass::InvalidResponse, detail), None)
                }
            }
        }
    }
}

/// True when a 271 (as eligibility JSON) echoes `trace` in a subscriber or dependent trace number.
fn echoes_trace(document: &Value, trace: &str) -> bool {
    !trace.is_empty() && traces_of(document).any(|echoed| echoed == trace)
}

/// Every trace number (TRN02) a 271 document carries, at the subscriber and the dependent levels.
fn traces_of(document: &Value) -> impl Iterator<Item = &str> {
    let holders = std::iter::once(document)
        .chain(document.get("subscriber"))
        .chain(document.get("dependents").and_then(Value::as_array).into_iter().flatten());
    holders.flat_map(|holder| {
        ["subscriberTraceNumbers", "dependentTraceNumbers", "traceNumbers"]
            .into_iter()
            .filter_map(move |key| holder.get(key).and_then(Value::as_array))
            .flatten()
            .filter_map(|trace| trace.get("referenceIdentification").and_then(Value::as_str))
    })
}

/// A 999 / TA1 refusal as an attempt result.
fn rejection(acknowledgement: &Acknowledgement) -> (AttemptResult, Option<String>) {
    let detail = format!("the carrier refused the 270: {}", acknowledgement.describe());
    let result = AttemptResult::Failed { class: AttemptResultClass::Rejected, detail, retry_after: None };
    (result, Some(acknowledgement.error_code()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sent(trace: &str) -> X12Request {
        X12Request {
            x12: String::new(),
            control_numbers: ControlNumbers { trace: Some(trace.to_owned()), ..ControlNumbers::default() },
        }
    }

    #[test]
    fn a_document_echoing_our_trace_number_is_found_among_several() {
        let ours = json!({ "subscriberTraceNumbers": [{ "referenceIdentification": "000000042" }] });
        let theirs = json!({ "subscriberTraceNumbers": [{ "referenceIdentification": "000000099" }] });
        assert!(echoes_trace(&ours, "000000042"));
        assert!(!echoes_trace(&theirs, "000000042"));
        assert!(!echoes_trace(&ours, ""), "an empty trace matches nothing");
    }

    #[test]
    fn a_271_answering_someone_elses_trace_number_is_not_taken_as_our_answer() {
        // Arrange: a well-formed 271 for an active member, whose TRN02 is not the one we sent.
        let x12 = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *261127*1200*^*00501*000000001*0*P*:~\
GS*HB*PAYER*CLINIC*20261127*1200*1*X*005010X279A1~ST*271*0001*005010X279A1~BHT*0022*11*1*20261127*1200~\
HL*1**20*1~NM1*PR*2*BLUEGRASS HEALTH*****PI*BGHP1~HL*2*1*21*1~NM1*1P*2*CLINIC*****XX*1234567893~\
HL*3*2*22*0~TRN*2*000000099*9123456789~NM1*IL*1*SAMPLE*JORDAN****MI*ACT1~EB*1**30~SE*11*0001~GE*1*1~IEA*1*000000001~";

        // Act
        let (result, _) = interpret_x12(200, None, x12.as_bytes(), &sent("000000042"));

        // Assert
        assert!(
            matches!(result, AttemptResult::Failed { class: AttemptResultClass::InvalidResponse, .. }),
            "{result:?}"
        );
    }

    #[test]
    fn a_single_271_without_any_trace_number_is_taken() {
        // Arrange: some payers leave TRN out; the only answer in the reply is then ours.
        let x12 = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *261127*1200*^*00501*000000001*0*P*:~\
GS*HB*PAYER*CLINIC*20261127*1200*1*X*005010X279A1~ST*271*0001*005010X279A1~BHT*0022*11*1*20261127*1200~\
HL*1**20*1~NM1*PR*2*BLUEGRASS HEALTH*****PI*BGHP1~HL*2*1*21*1~NM1*1P*2*CLINIC*****XX*1234567893~\
HL*3*2*22*0~NM1*IL*1*SAMPLE*JORDAN****MI*ACT1~EB*1**30~SE*10*0001~GE*1*1~IEA*1*000000001~";

        // Act
        let (result, _) = interpret_x12(200, None, x12.as_bytes(), &sent("000000042"));

        // Assert
        assert!(matches!(result, AttemptResult::Answered(_)), "{result:?}");
    }
}
