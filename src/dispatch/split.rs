//! Carriers that answer one service type per request (the directory's `one_service_type_per_request`): the
//! dispatcher asks `30` (plan level) and each substance-use category in separate requests, at the same time, and
//! combines the calls into one attempt here.
//!
//! The combined attempt:
//! * **Result**: all answered → the answers merged ([`crate::domain::answer::merge`]). The plan-level call
//!   failed → its failure (nothing can be said about the plan). A category call failed *transiently* → the
//!   attempt fails transiently (the dispatcher retries all of it: a substance-use programme needs the AI answer,
//!   so completing without it would hide what admissions asked for). A category call failed for good
//!   (rejected, unreadable) → the other answers merged, with a plan message saying which category the carrier
//!   did not answer.
//! * **Raw bodies**: a JSON array of the requests (and of the responses) as sent and received, in the order the
//!   service types were asked, so the store keeps every exchange for audit and `explain` can re-read them.
//! * **Control numbers**, HTTP status: the plan-level call's (the raw bodies carry the others'); **latency**: the
//!   longest call's (they ran at the same time); **error code**: the decisive call's.

use std::time::Duration;

use serde_json::Value;

use crate::carriers::AttemptOutput;
use crate::domain::answer::merge;
use crate::domain::benefits::service_type_label;
use crate::domain::{AttemptResult, ControlNumbers, EligibilityAnswer};

/// The service types to ask in separate requests: `30` first, then the rest in the route's order (each once).
pub fn requests_for(service_types: &[&str]) -> Vec<String> {
    let mut asked: Vec<String> = vec!["30".to_owned()];
    for code in service_types {
        if !asked.iter().any(|existing| existing == code) {
            asked.push((*code).to_owned());
        }
    }
    asked
}

/// Combines the calls of one attempt, each paired with the service type it asked (the first is `30`).
pub fn combine(calls: Vec<(String, AttemptOutput)>) -> Option<AttemptOutput> {
    let plan_index = calls.iter().position(|(asked, _)| asked == "30").unwrap_or(0);
    let raw_requests = body_array(calls.iter().map(|(_, call)| call.raw_request.as_deref()));
    let raw_responses = body_array(calls.iter().map(|(_, call)| call.raw_response.as_deref()));
    let latency = calls.iter().map(|(_, call)| call.latency).max().unwrap_or(Duration::ZERO);

    let transient_failure = calls.iter().position(|(_, call)| match &call.result {
        AttemptResult::Failed { class, .. } => class.is_transient(),
        AttemptResult::Answered(_) => false,
    });
    let plan_failed = matches!(calls.get(plan_index)?.1.result, AttemptResult::Failed { .. });
    let decisive = if plan_failed { Some(plan_index) } else { transient_failure };

    let mut calls = calls;
    let plan = calls.get(plan_index)?;
    let http_status = plan.1.http_status;
    // Every request's numbers are kept, so each can be traced with the carrier: the plan-level call's first.
    let control_numbers = ControlNumbers {
        other_requests: calls
            .iter()
            .enumerate()
            .filter(|(index, (_, call))| *index != plan_index && !call.control_numbers.is_empty())
            .map(|(_, (_, call))| call.control_numbers.clone())
            .collect(),
        ..plan.1.control_numbers.clone()
    };
    if let Some(index) = decisive {
        let (_, call) = calls.swap_remove(index);
        return Some(AttemptOutput {
            http_status: call.http_status,
            raw_request: raw_requests,
            raw_response: raw_responses,
            error_code: call.error_code,
            result: call.result,
            latency,
            control_numbers,
        });
    }

    let mut answers: Vec<(String, EligibilityAnswer)> = Vec::new();
    let mut unanswered: Vec<(String, String)> = Vec::new();
    let mut error_code = None;
    for (asked, call) in calls {
        match call.result {
            AttemptResult::Answered(answer) => {
                if error_code.is_none() {
                    error_code = answer.error_code.clone();
                }
                answers.push((asked, *answer));
            }
            AttemptResult::Failed { detail, .. } => unanswered.push((asked, detail)),
        }
    }
    let mut merged = merge(answers)?;
    for (asked, detail) in unanswered {
        let message = format!("{} ({asked}) was not answered by the carrier: {detail}", service_type_label(&asked));
        if !merged.summary.messages.contains(&message) {
            merged.summary.messages.push(message);
        }
    }
    Some(AttemptOutput {
        http_status,
        raw_request: raw_requests,
        raw_response: raw_responses,
        error_code: merged.error_code.clone().or(error_code),
        result: AttemptResult::Answered(Box::new(merged)),
        latency,
        control_numbers,
    })
}

/// The bodies as one JSON array of strings (`null` for a call without one); `None` when no call has a body.
fn body_array<'a>(bodies: impl Iterator<Item = Option<&'a str>>) -> Option<String> {
    let bodies: Vec<Value> = bodies.map(|body| body.map_or(Value::Null, |b| Value::String(b.to_owned()))).collect();
    if bodies.iter().all(Value::is_null) {
        return None;
    }
    serde_json::to_string(&bodies).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::benefits::CategoryBenefit;
    use crate::domain::{AttemptResultClass, BenefitSummary, CoverageFinding, PlanFacts};

    fn answered(code: &str, copay: i64, finding: CoverageFinding) -> AttemptOutput {
        let mut category = CategoryBenefit { service_type_code: code.to_owned(), ..CategoryBenefit::default() };
        category.in_network.copay_cents = Some(copay);
        let answer = EligibilityAnswer {
            finding,
            summary: BenefitSummary { categories: vec![category], ..BenefitSummary::default() },
            plan_facts: PlanFacts::default(),
            error_code: None,
            hint: None,
        };
        output(AttemptResult::Answered(Box::new(answer)), code)
    }

    fn failed(class: AttemptResultClass, code: &str) -> AttemptOutput {
        output(AttemptResult::Failed { class, detail: format!("{} failed", class.as_str()), retry_after: None }, code)
    }

    fn output(result: AttemptResult, code: &str) -> AttemptOutput {
        AttemptOutput {
            http_status: Some(200),
            raw_request: Some(format!("request {code}")),
            raw_response: Some(format!("response {code}")),
            error_code: None,
            result,
            latency: Duration::from_millis(if code == "30" { 120 } else { 300 }),
            control_numbers: ControlNumbers::json(&format!("ctl-{code}")),
        }
    }

    #[test]
    fn plan_level_is_asked_first_and_each_category_once() {
        assert_eq!(requests_for(&["AI", "30", "MH", "AI"]), vec!["30", "AI", "MH"]);
    }

    #[test]
    fn answers_to_separate_requests_merge_into_one_summary_with_every_category() {
        // Arrange
        let calls = vec![
            ("30".to_owned(), answered("30", 0, CoverageFinding::Active)),
            ("AI".to_owned(), answered("AI", 3500, CoverageFinding::Active)),
            ("MH".to_owned(), answered("MH", 3000, CoverageFinding::Active)),
        ];

        // Act
        let combined = combine(calls).expect("three calls");

        // Assert
        let AttemptResult::Answered(answer) = &combined.result else { panic!("answered expected") };
        assert_eq!(answer.summary.category("AI").and_then(|c| c.in_network.copay_cents), Some(3500));
        assert_eq!(answer.summary.category("MH").and_then(|c| c.in_network.copay_cents), Some(3000));
        assert_eq!(combined.latency, Duration::from_millis(300), "the calls ran at the same time");
        assert_eq!(combined.control_numbers.transaction.as_deref(), Some("ctl-30"));
        let others: Vec<Option<&str>> =
            combined.control_numbers.other_requests.iter().map(|numbers| numbers.transaction.as_deref()).collect();
        assert_eq!(others, vec![Some("ctl-AI"), Some("ctl-MH")], "every request can be traced");
        let requests: Vec<String> =
            serde_json::from_str(combined.raw_request.as_deref().unwrap_or("[]")).expect("a JSON array");
        assert_eq!(requests, vec!["request 30", "request AI", "request MH"]);
    }

    #[test]
    fn a_transient_failure_of_the_substance_use_request_fails_the_whole_attempt_for_a_retry() {
        // Arrange
        let calls = vec![
            ("30".to_owned(), answered("30", 0, CoverageFinding::Active)),
            ("AI".to_owned(), failed(AttemptResultClass::Timeout, "AI")),
        ];

        // Act
        let combined = combine(calls).expect("two calls");

        // Assert
        assert!(
            matches!(combined.result, AttemptResult::Failed { class: AttemptResultClass::Timeout, .. }),
            "{:?}",
            combined.result
        );
    }

    #[test]
    fn a_category_the_carrier_refuses_leaves_a_message_and_the_rest_of_the_answer() {
        // Arrange
        let calls = vec![
            ("30".to_owned(), answered("30", 0, CoverageFinding::Active)),
            ("A6".to_owned(), failed(AttemptResultClass::Rejected, "A6")),
        ];

        // Act
        let combined = combine(calls).expect("two calls");

        // Assert
        let AttemptResult::Answered(answer) = &combined.result else { panic!("answered expected") };
        assert!(answer.summary.messages.iter().any(|m| m.contains("(A6) was not answered")), "{:?}", answer.summary);
    }

    #[test]
    fn a_failed_plan_level_request_decides_the_attempt() {
        // Arrange
        let calls = vec![
            ("30".to_owned(), failed(AttemptResultClass::Rejected, "30")),
            ("AI".to_owned(), answered("AI", 3500, CoverageFinding::Active)),
        ];

        // Act
        let combined = combine(calls).expect("two calls");

        // Assert
        assert!(matches!(combined.result, AttemptResult::Failed { class: AttemptResultClass::Rejected, .. }));
    }

    #[test]
    fn the_worst_finding_of_the_separate_answers_wins() {
        // Arrange
        let calls = vec![
            ("30".to_owned(), answered("30", 0, CoverageFinding::Active)),
            ("AI".to_owned(), answered("AI", 0, CoverageFinding::Inactive)),
        ];

        // Act
        let combined = combine(calls).expect("two calls");

        // Assert
        let AttemptResult::Answered(answer) = &combined.result else { panic!("answered expected") };
        assert_eq!(answer.finding, CoverageFinding::Inactive);
    }
}
