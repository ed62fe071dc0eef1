//! `insurance-verifier explain FILE`: what the service makes of one stored carrier answer, for an engineer or an
//! admissions lead looking at a verification that seems wrong.
//!
//! It reads what the store keeps as an attempt's raw response (or what a carrier sent by other means) and runs
//! it through exactly the code the dispatcher uses: the X12 reader, the eligibility JSON normaliser, the AAA
//! table and the answer screening. Accepted inputs, recognised by their first characters:
//! * an X12 interchange (`ISA…`): every 271 in it, or the 999 / TA1 refusing the 270;
//! * an eligibility v3 JSON answer (`{…}`), or a raw-X12 reply (`{"x12": "ISA…"}`);
//! * a CAQH CORE multipart reply (`--boundary…`), as the CORE connector stores it;
//! * a JSON array of answers (`[…]`): the separate answers of a carrier asked one service type per request,
//!   merged as the dispatcher merges them.
//!
//! The HTTP status is not in the file: answers are judged as if they came with 200 (payers send rejections with
//! 200 and 400 alike; the body decides). Nothing here logs: the output goes to the person who asked for it.

use serde::Serialize;
use serde_json::Value;

use crate::carriers::caqh_core::CoreEnvelope;
use crate::carriers::eligibility_json::interpret_document;
use crate::carriers::x12::{self, X12Reply};
use crate::domain::answer::merge;
use crate::domain::{AttemptResult, EligibilityAnswer, ScreeningDecision};
use crate::report;
use crate::screening::Screener;

/// Why a file could not be explained. Never quotes the file's content.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// The file is empty or is neither X12, JSON nor a CORE envelope.
    #[error("not a carrier answer: expected an X12 interchange (ISA...), eligibility JSON, or a CORE envelope")]
    UnknownFormat,
    /// A CORE envelope could not be read.
    #[error("the CAQH CORE envelope could not be read: {0}")]
    Core(String),
    /// The JSON array holds no answer.
    #[error("the JSON array holds no answers")]
    EmptyArray,
}

/// What the service makes of one answer (one 271 transaction, one JSON body, or one merged set).
#[derive(Debug, Clone, Serialize)]
pub struct AnswerReport {
    /// Where in the input it came from, e.g. `271 transaction 0001` or `eligibility JSON`.
    pub source: String,
    /// `answered` or the failure class (`rejected`, `carrier_busy`, `invalid_response`, ...).
    pub result: String,
    /// The failure's description, when the answer is not usable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The carrier's error code, e.g. `AAA:75`, `999:R`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The normalised answer, when the carrier identified the member (or said it could not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<EligibilityAnswer>,
    /// The answer screening's verdict when it found a government plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub government_plan: Option<ScreeningDecision>,
}

/// Everything `explain` found in one file.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// `x12`, `eligibility_json`, `raw_x12_json`, `caqh_core` or `array`.
    pub format: &'static str,
    /// One report per answer found.
    pub answers: Vec<AnswerReport>,
}

/// Explains the bytes of a stored carrier answer.
pub async fn explain(input: &[u8], screener: &Screener) -> Result<Explanation, ExplainError> {
    let trimmed = trim_start(input);
    if trimmed.starts_with(b"ISA") {
        return Ok(Explanation { format: "x12", answers: explain_x12(trimmed, screener) });
    }
    if trimmed.starts_with(b"--") {
        let boundary_line = trimmed.split(|b| *b == b'\r' || *b == b'\n').next().unwrap_or_default();
        let boundary = String::from_utf8_lossy(&boundary_line[2..]).trim().to_owned();
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let envelope = CoreEnvelope::decode(&content_type, trimmed.to_vec(), &[])
            .await
            .map_err(|error| ExplainError::Core(error.to_string()))?;
        let mut answers = explain_x12(envelope.payload.as_bytes(), screener);
        if let Some(code) = envelope.error_code.filter(|code| !code.eq_ignore_ascii_case("Success")) {
            answers.insert(0, failure("CORE envelope", "rejected", format!("envelope refused: {code}"), None));
        }
        return Ok(Explanation { format: "caqh_core", answers });
    }
    match serde_json::from_slice::<Value>(trimmed) {
        Ok(Value::Object(members)) => match members.get("x12").and_then(Value::as_str) {
            Some(x12) => Ok(Explanation { format: "raw_x12_json", answers: explain_x12(x12.as_bytes(), screener) }),
            None => {
                let (result, code) = interpret_document(200, None, &Value::Object(members));
                Ok(Explanation {
                    format: "eligibility_json",
                    answers: vec![report_of("eligibility JSON", result, code, screener)],
                })
            }
        },
        Ok(Value::Array(items)) => Box::pin(explain_array(items, screener)).await,
        _ => Err(ExplainError::UnknownFormat),
    }
}

/// A stored array of separate answers (one per service type asked): each explained, then the answers merged.
async fn explain_array(items: Vec<Value>, screener: &Screener) -> Result<Explanation, ExplainError> {
    let mut answers = Vec::new();
    let mut usable: Vec<(String, EligibilityAnswer)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let bytes = match item {
            Value::String(text) => text.as_bytes().to_vec(),
            Value::Null => continue,
            other => other.to_string().into_bytes(),
        };
        let explained = Box::pin(explain(&bytes, screener)).await?;
        for mut report in explained.answers {
            report.source = format!("answer {} ({})", index + 1, report.source);
            if let Some(answer) = &report.answer {
                usable.push((asked_code(answer), answer.clone()));
            }
            answers.push(report);
        }
    }
    if answers.is_empty() {
        return Err(ExplainError::EmptyArray);
    }
    if usable.len() > 1
        && let Some(merged) = merge(usable)
    {
        let government_plan = screener.screen_answer(&merged.plan_facts);
        answers.push(AnswerReport {
            source: "all answers merged".to_owned(),
            result: "answered".to_owned(),
            detail: None,
            error_code: merged.error_code.clone(),
            answer: Some(merged),
            government_plan,
        });
    }
    Ok(Explanation { format: "array", answers })
}

/// The service type an answer to a one-type request was about: its first category that is not plan level.
fn asked_code(answer: &EligibilityAnswer) -> String {
    answer
        .summary
        .categories
        .iter()
        .map(|category| category.service_type_code.clone())
        .find(|code| code != "30")
        .unwrap_or_else(|| "30".to_owned())
}

fn explain_x12(input: &[u8], screener: &Screener) -> Vec<AnswerReport> {
    let input = x12::replace_invalid_utf8(input);
    match x12::read_reply(&input) {
        Err(error) => vec![failure("X12", "invalid_response", format!("not readable as X12: {error}"), None)],
        Ok(X12Reply::Rejected(acknowledgement)) => vec![failure(
            "acknowledgement",
            "rejected",
            format!("the carrier refused the 270: {}", acknowledgement.describe()),
            Some(acknowledgement.error_code()),
        )],
        Ok(X12Reply::Acknowledged(acknowledgement)) => vec![failure(
            "acknowledgement",
            "invalid_response",
            format!("the carrier acknowledged the 270 without answering it: {}", acknowledgement.describe()),
            Some(acknowledgement.error_code()),
        )],
        Ok(X12Reply::Eligibility(transactions)) => {
            if transactions.is_empty() {
                return vec![failure("X12", "invalid_response", "the interchange holds no 271".to_owned(), None)];
            }
            let mut reports = Vec::new();
            for (index, transaction) in transactions.iter().enumerate() {
                let documents = x12::eligibility_json_all(transaction);
                let several = documents.len() > 1;
                for (member, document) in documents.iter().enumerate() {
                    let (result, code) = interpret_document(200, None, document);
                    let source = if several {
                        format!("271 transaction {}, subscriber {}", index + 1, member + 1)
                    } else {
                        format!("271 transaction {}", index + 1)
                    };
                    reports.push(report_of(&source, result, code, screener));
                }
            }
            reports
        }
    }
}

fn report_of(source: &str, result: AttemptResult, error_code: Option<String>, screener: &Screener) -> AnswerReport {
    match result {
        AttemptResult::Answered(answer) => AnswerReport {
            source: source.to_owned(),
            result: "answered".to_owned(),
            detail: None,
            error_code,
            government_plan: screener.screen_answer(&answer.plan_facts),
            answer: Some(*answer),
        },
        AttemptResult::Failed { class, detail, .. } => failure(source, class.as_str(), detail, error_code),
    }
}

fn failure(source: &str, class: &str, detail: String, error_code: Option<String>) -> AnswerReport {
    AnswerReport {
        source: source.to_owned(),
        result: class.to_owned(),
        detail: Some(detail),
        error_code,
        answer: None,
        government_plan: None,
    }
}

fn trim_start(input: &[u8]) -> &[u8] {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let start = input.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(input.len());
    &input[start..]
}

/// The explanation as text for people.
pub fn render(explanation: &Explanation) -> String {
    let mut out = format!("Format: {}\n", explanation.format);
    for report in &explanation.answers {
        out.push_str(&format!("\n== {} ==\n", report.source));
        match &report.answer {
            Some(answer) => out.push_str(&report::render_answer(answer, report.government_plan.as_ref())),
            None => {
                out.push_str(&format!("Result: {}\n", report.result.replace('_', " ")));
                if let Some(detail) = &report.detail {
                    out.push_str(&format!("Detail: {detail}\n"));
                }
                if let Some(code) = &report.error_code {
                    out.push_str(&format!("Carrier code: {code}\n"));
                }
            }
        }
    }
    out
}
