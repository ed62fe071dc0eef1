//! The verification state machine: pure decisions about what a submit or a carrier attempt does to a
//! verification. The store applies them; nothing here does I/O.

use std::time::Duration as StdDuration;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::answer::{CoverageFinding, EligibilityAnswer};
use super::benefits::BenefitSummary;
use super::verification::{
    AttemptResultClass, FollowUpState, Outcome, RequestId, ScreeningDecision, Status, VerificationRequest,
};

/// A verification about to be stored for the first time.
#[derive(Debug, Clone)]
pub struct NewVerification {
    /// Server-assigned id (UUIDv7: time-ordered, so inserts stay index-friendly).
    pub id: Uuid,
    /// The caller's idempotency key.
    pub request_id: Option<RequestId>,
    /// Digest of the request content.
    pub fingerprint: String,
    /// What was submitted.
    pub request: VerificationRequest,
    /// `Rejected`, `Pending` or `Failed` (carrier not supported).
    pub status: Status,
    /// Set for `Failed`.
    pub outcome: Option<Outcome>,
    /// The up-front screening decision.
    pub screening: ScreeningDecision,
    /// The carrier directory id the request is routed to, when routed.
    pub carrier: Option<String>,
    /// The payer ID to send, when routed.
    pub payer_id: Option<String>,
    /// What admissions has to do.
    pub follow_up: FollowUpState,
    /// A hint a person can act on.
    pub status_detail: Option<String>,
    /// When the first carrier attempt is due (`Pending` only).
    pub next_attempt_at: Option<OffsetDateTime>,
    /// When accepted (microsecond precision).
    pub created_at: OffsetDateTime,
    /// The W3C `traceparent` of the submit's span, when traces are exported: stored with the verification so the
    /// carrier calls made later (by any replica) join the submit's trace. Trace and span ids only, never PHI.
    pub trace_context: Option<String>,
}

/// Where a routed request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteChoice {
    /// The carrier directory id.
    pub carrier: String,
    /// The payer ID to send.
    pub payer_id: String,
}

/// What the carrier directory decided for a card the screening forwarded. `Option<RouteChoice>` converts into it
/// (`None` is an unknown carrier), so callers that only route or not can pass one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    /// Ask this carrier in real time.
    Route(RouteChoice),
    /// The directory knows the carrier but it answers eligibility in batch only: it is not called, and a person
    /// verifies. The route is kept on the verification so they know whom to ask.
    BatchOnly {
        /// The carrier's route and payer ID.
        route: RouteChoice,
        /// The carrier's display name (a company, not PHI), for the hint admissions read.
        carrier_name: String,
    },
    /// No route: the carrier is not in the directory, or the typed name does not say which carrier it is.
    UnknownCarrier,
}

impl From<Option<RouteChoice>> for Routing {
    fn from(route: Option<RouteChoice>) -> Self {
        route.map_or(Routing::UnknownCarrier, Routing::Route)
    }
}

/// Builds the first stored state of a verification from its screening decision and its routing (an
/// `Option<RouteChoice>` or a [`Routing`]).
pub fn admit(
    id: Uuid,
    request_id: Option<RequestId>,
    request: VerificationRequest,
    screening: ScreeningDecision,
    routing: impl Into<Routing>,
    now: OffsetDateTime,
) -> NewVerification {
    let fingerprint = request.fingerprint();
    let (status, outcome, follow_up, status_detail, next_attempt_at, route) = if screening.refuses() {
        // Refused applicants are stored for a call-back with a referral; no carrier is ever called.
        (Status::Rejected, None, FollowUpState::ReferElsewhere, None, None, None)
    } else {
        match routing.into() {
            Routing::Route(route) => {
                (Status::Pending, None, FollowUpState::AwaitingResult, None, Some(now), Some(route))
            }
            Routing::BatchOnly { route, carrier_name } => (
                Status::Failed,
                Some(Outcome::CarrierNotSupported),
                FollowUpState::VerifyManually,
                Some(format!("{carrier_name} answers eligibility in batch only, not in real time: verify by phone")),
                None,
                Some(route),
            ),
            Routing::UnknownCarrier => (
                Status::Failed,
                Some(Outcome::CarrierNotSupported),
                FollowUpState::VerifyManually,
                Some("no electronic eligibility route for this carrier: verify by phone".to_owned()),
                None,
                None,
            ),
        }
    };
    NewVerification {
        id,
        request_id,
        fingerprint,
        request,
        status,
        outcome,
        screening,
        carrier: route.as_ref().map(|r| r.carrier.clone()),
        payer_id: route.map(|r| r.payer_id),
        follow_up,
        status_detail,
        next_attempt_at,
        created_at: now,
        trace_context: None,
    }
}

/// What a carrier attempt does to a pending verification.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// The carrier answered: `Completed`.
    Complete {
        /// What the answer means.
        outcome: Outcome,
        /// The normalised benefits (boxed: they dwarf the other variants).
        benefits: Option<Box<BenefitSummary>>,
        /// A new screening decision when the answer revealed a government plan.
        screening: Option<ScreeningDecision>,
        /// A hint a person can act on.
        status_detail: Option<String>,
    },
    /// Give up: `Failed`.
    Fail {
        /// Why.
        outcome: Outcome,
        /// A hint a person can act on.
        status_detail: String,
    },
    /// Try again later: stays `Pending`.
    Retry {
        /// When the next attempt is due.
        next_attempt_at: OffsetDateTime,
        /// Why the last attempt did not finish.
        status_detail: String,
    },
}

impl Transition {
    /// The status the verification takes.
    pub fn status(&self) -> Status {
        match self {
            Transition::Complete { .. } => Status::Completed,
            Transition::Fail { .. } => Status::Failed,
            Transition::Retry { .. } => Status::Pending,
        }
    }

    /// The outcome the verification takes (none while retrying).
    pub fn outcome(&self) -> Option<Outcome> {
        match self {
            Transition::Complete { outcome, .. } | Transition::Fail { outcome, .. } => Some(*outcome),
            Transition::Retry { .. } => None,
        }
    }

    /// What admissions has to do next.
    pub fn follow_up(&self) -> FollowUpState {
        match self {
            Transition::Complete { outcome: Outcome::GovernmentPlanFound, .. } => FollowUpState::ReferElsewhere,
            Transition::Complete { .. } => FollowUpState::CallApplicant,
            Transition::Fail { .. } => FollowUpState::VerifyManually,
            Transition::Retry { .. } => FollowUpState::AwaitingResult,
        }
    }
}

/// How hard to try a carrier before giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay before the second attempt; doubles each time.
    pub base_delay: StdDuration,
    /// Longest delay between attempts.
    pub max_delay: StdDuration,
    /// The shortest wait before the same question goes to the carrier again, whatever the backoff says: CAQH
    /// CORE's real-time rule forbids resubmitting a transaction sooner than 90 seconds ([`CORE_MIN_RESUBMIT`]).
    /// Zero for carriers without such a rule.
    pub min_resubmit_interval: StdDuration,
}

/// CAQH CORE (Phase I/II connectivity, real-time): a transaction is not resubmitted to the same carrier sooner
/// than 90 seconds after the previous one.
pub const CORE_MIN_RESUBMIT: StdDuration = StdDuration::from_secs(90);

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: StdDuration::from_secs(2),
            max_delay: StdDuration::from_secs(300),
            min_resubmit_interval: StdDuration::ZERO,
        }
    }
}

impl RetryPolicy {
    /// The "full jitter" backoff ceiling after `attempts_made` attempts: `min(max, base * 2^(n-1))`. The caller
    /// draws the actual delay uniformly from `[0, ceiling]` (AWS architecture blog, "Exponential Backoff And
    /// Jitter"), so that many verifications failing together do not retry together.
    pub fn backoff_ceiling(&self, attempts_made: u32) -> StdDuration {
        let exponent = attempts_made.saturating_sub(1).min(30);
        self.base_delay.saturating_mul(1u32 << exponent).min(self.max_delay)
    }
}

/// How one attempt ended, as far as the lifecycle needs to know.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    /// The carrier answered about the member.
    Answered(Box<EligibilityAnswer>),
    /// The attempt failed; `class` says whether it is worth retrying.
    Failed {
        /// The failure class.
        class: AttemptResultClass,
        /// A short, PHI-free description.
        detail: String,
        /// The carrier's `Retry-After`, when it sent one.
        retry_after: Option<StdDuration>,
    },
}

/// Decides what an attempt does to the verification.
///
/// * An answer completes the verification: a government plan found in it first (outcome
///   [`Outcome::GovernmentPlanFound`], with the screening decision and its rule), then the finding. Member not
///   found and demographics mismatch carry the connector's hint (the field to fix and the carrier's follow-up
///   action) as the status detail; the summary (with the carrier's rejections) is kept for every answer.
/// * A transient failure (timeouts, connection errors, 429/5xx, AAA 42/79/80) goes back to the dispatcher for
///   a retry with backoff until the attempts run out, then fails as carrier unavailable.
/// * Any other failure (a set-up or other AAA code, a refused or unreadable request) fails as carrier rejected,
///   with the connector's PHI-free detail for a person to act on.
///
/// * `attempts_made` counts this attempt.
/// * `answer_screening` is the screening of the answer (a government plan found in it), computed by the caller
///   with the screening rules.
/// * `jitter` is a number in `[0, 1]` drawn by the caller (kept out so this stays pure and testable).
pub fn decide(
    result: &AttemptResult,
    answer_screening: Option<ScreeningDecision>,
    attempts_made: u32,
    policy: &RetryPolicy,
    now: OffsetDateTime,
    jitter: f64,
) -> Transition {
    match result {
        AttemptResult::Answered(answer) => {
            if let Some(screening) = answer_screening.filter(ScreeningDecision::refuses) {
                return Transition::Complete {
                    outcome: Outcome::GovernmentPlanFound,
                    benefits: Some(Box::new(answer.summary.clone())),
                    status_detail: Some(format!("carrier answer shows a government plan: {}", screening.reason)),
                    screening: Some(screening),
                };
            }
            let (outcome, status_detail) = match answer.finding {
                CoverageFinding::Active => (Outcome::CoverageActive, None),
                CoverageFinding::Inactive => (Outcome::CoverageInactive, None),
                CoverageFinding::MemberNotFound => (
                    Outcome::MemberNotFound,
                    Some(answer.hint.clone().unwrap_or_else(|| {
                        "carrier found no such member: check the member ID and the policy holder".to_owned()
                    })),
                ),
                CoverageFinding::DemographicsMismatch => (
                    Outcome::DemographicsMismatch,
                    Some(answer.hint.clone().unwrap_or_else(|| {
                        "name or date of birth does not match the carrier's records: fix and submit again".to_owned()
                    })),
                ),
            };
            // Kept for every answer: for a member the carrier did not find, the summary holds the carrier's
            // rejections and follow-up actions, which admissions reads with the hint.
            let benefits = Some(Box::new(answer.summary.clone()));
            Transition::Complete { outcome, benefits, screening: None, status_detail }
        }
        AttemptResult::Failed { class, detail, retry_after } => {
            if class.is_transient() {
                if attempts_made < policy.max_attempts {
                    let ceiling = policy.backoff_ceiling(attempts_made);
                    let jittered = ceiling.mul_f64(jitter.clamp(0.0, 1.0));
                    // The carrier's Retry-After is a floor: retrying sooner only earns another refusal. So is the
                    // carrier's resubmission rule (CORE: 90 s).
                    let delay =
                        retry_after.map_or(jittered, |after| jittered.max(after)).max(policy.min_resubmit_interval);
                    let delay = Duration::try_from(delay).unwrap_or(Duration::ZERO);
                    return Transition::Retry {
                        next_attempt_at: now + delay,
                        status_detail: format!("attempt {attempts_made} failed ({}): {detail}", class.as_str()),
                    };
                }
                return Transition::Fail {
                    outcome: Outcome::CarrierUnavailable,
                    status_detail: format!(
                        "carrier unavailable after {attempts_made} attempts (last: {detail}): verify by phone"
                    ),
                };
            }
            Transition::Fail {
                outcome: Outcome::CarrierRejected,
                status_detail: format!("carrier refused the request ({detail}): verify by phone"),
            }
        }
    }
}

/// Holds a transition to the verification's deadline: a retry due after `deadline` becomes a failure ("carrier
/// unavailable", for a person to verify by phone), since the applicant is waiting for a call back and a result
/// that late is worth less than a person's call to the carrier. Other transitions pass unchanged.
pub fn within_deadline(transition: Transition, deadline: OffsetDateTime) -> Transition {
    match transition {
        Transition::Retry { next_attempt_at, status_detail } if next_attempt_at > deadline => Transition::Fail {
            outcome: Outcome::CarrierUnavailable,
            status_detail: format!(
                "no answer from the carrier before the verification's deadline ({status_detail}): verify by phone"
            ),
        },
        other => other,
    }
}

/// The failure for work found past its deadline before a carrier call (it waited behind an open circuit or a
/// spent retry budget): no attempt is made.
pub fn deadline_passed() -> Transition {
    Transition::Fail {
        outcome: Outcome::CarrierUnavailable,
        status_detail: "the carrier could not be reached before the verification's deadline: verify by phone"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::domain::answer::PlanFacts;
    use crate::domain::verification::Verdict;

    fn answer(finding: CoverageFinding) -> AttemptResult {
        AttemptResult::Answered(Box::new(EligibilityAnswer {
            finding,
            summary: BenefitSummary::default(),
            plan_facts: PlanFacts::default(),
            error_code: None,
            hint: None,
        }))
    }

    fn failure(class: AttemptResultClass) -> AttemptResult {
        AttemptResult::Failed { class, detail: "x".to_owned(), retry_after: None }
    }

    const NOW: OffsetDateTime = datetime!(2026-11-27 12:00 UTC);

    #[test]
    fn an_active_answer_completes_with_coverage_active_and_a_call_back() {
        let t = decide(&answer(CoverageFinding::Active), None, 1, &RetryPolicy::default(), NOW, 0.5);
        assert_eq!(t.status(), Status::Completed);
        assert_eq!(t.outcome(), Some(Outcome::CoverageActive));
        assert_eq!(t.follow_up(), FollowUpState::CallApplicant);
    }

    #[test]
    fn a_government_plan_in_the_answer_overrides_an_active_finding() {
        let screening = ScreeningDecision {
            verdict: Verdict::Medicare,
            rule: "answer:insurance_type".to_owned(),
            reason: "Medicare Advantage".to_owned(),
        };
        let t = decide(&answer(CoverageFinding::Active), Some(screening), 1, &RetryPolicy::default(), NOW, 0.5);
        assert_eq!(t.outcome(), Some(Outcome::GovernmentPlanFound));
        assert_eq!(t.follow_up(), FollowUpState::ReferElsewhere);
    }

    #[test]
    fn a_member_not_found_completes_with_the_hint_and_keeps_the_carriers_rejection() {
        // Arrange
        let mut summary = BenefitSummary::default();
        summary.rejections.push(crate::domain::CarrierRejection {
            code: "72".to_owned(),
            description: "Invalid/Missing Subscriber/Insured ID".to_owned(),
            class: crate::domain::AaaClass::FixApplicant(crate::domain::ApplicantField::MemberId),
            source: Some("subscriber".to_owned()),
            follow_up: Some(crate::domain::FollowUpAction::CorrectAndResubmit),
            follow_up_code: Some("C".to_owned()),
        });
        let result = AttemptResult::Answered(Box::new(EligibilityAnswer {
            finding: CoverageFinding::MemberNotFound,
            summary,
            plan_facts: PlanFacts::default(),
            error_code: Some("AAA:72".to_owned()),
            hint: Some("check the member ID; the carrier asks: Please Correct and Resubmit (C)".to_owned()),
        }));

        // Act
        let t = decide(&result, None, 1, &RetryPolicy::default(), NOW, 0.5);

        // Assert
        let Transition::Complete { outcome, benefits, status_detail, .. } = t else { panic!("expected completion") };
        assert_eq!(outcome, Outcome::MemberNotFound);
        assert!(status_detail.unwrap_or_default().contains("Please Correct and Resubmit"));
        assert_eq!(benefits.expect("summary kept").rejections[0].code, "72");
    }

    #[test]
    fn a_demographics_mismatch_without_a_hint_still_tells_staff_what_to_fix() {
        let t = decide(&answer(CoverageFinding::DemographicsMismatch), None, 1, &RetryPolicy::default(), NOW, 0.5);

        let Transition::Complete { outcome, status_detail, .. } = t else { panic!("expected completion") };
        assert_eq!(outcome, Outcome::DemographicsMismatch);
        assert!(status_detail.unwrap_or_default().contains("date of birth"));
    }

    #[test]
    fn transient_failures_retry_until_the_attempts_run_out() {
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        for class in [
            AttemptResultClass::Timeout,
            AttemptResultClass::ConnectionError,
            AttemptResultClass::ServerError,
            AttemptResultClass::CarrierBusy,
        ] {
            assert_eq!(decide(&failure(class), None, 2, &policy, NOW, 1.0).status(), Status::Pending);
            let last = decide(&failure(class), None, 3, &policy, NOW, 1.0);
            assert_eq!(last.outcome(), Some(Outcome::CarrierUnavailable), "{class:?}");
        }
    }

    #[test]
    fn permanent_failures_are_not_retried() {
        for class in [AttemptResultClass::Rejected, AttemptResultClass::InvalidResponse] {
            let t = decide(&failure(class), None, 1, &RetryPolicy::default(), NOW, 1.0);
            assert_eq!(t.outcome(), Some(Outcome::CarrierRejected));
            assert_eq!(t.follow_up(), FollowUpState::VerifyManually);
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_ceiling_and_honours_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: StdDuration::from_secs(2),
            max_delay: StdDuration::from_secs(10),
            min_resubmit_interval: StdDuration::ZERO,
        };
        assert_eq!(policy.backoff_ceiling(1), StdDuration::from_secs(2));
        assert_eq!(policy.backoff_ceiling(2), StdDuration::from_secs(4));
        assert_eq!(policy.backoff_ceiling(5), StdDuration::from_secs(10));
        let slow = AttemptResult::Failed {
            class: AttemptResultClass::ServerError,
            detail: "429".to_owned(),
            retry_after: Some(StdDuration::from_secs(60)),
        };
        let Transition::Retry { next_attempt_at, .. } = decide(&slow, None, 1, &policy, NOW, 0.0) else {
            panic!("expected a retry");
        };
        assert_eq!(next_attempt_at, NOW + Duration::seconds(60));
    }

    #[test]
    fn unrouted_requests_fail_as_carrier_not_supported_and_refused_ones_are_rejected() {
        let request = crate::domain::test_support::sample_request();
        let unrouted = admit(Uuid::nil(), None, request.clone(), ScreeningDecision::forward(), None, NOW);
        assert_eq!((unrouted.status, unrouted.outcome), (Status::Failed, Some(Outcome::CarrierNotSupported)));
        let refused = ScreeningDecision { verdict: Verdict::Medicaid, rule: "plan_type".into(), reason: "r".into() };
        let route = RouteChoice { carrier: "sandbox".into(), payer_id: "X".into() };
        let rejected = admit(Uuid::nil(), None, request, refused, Some(route), NOW);
        assert_eq!(rejected.status, Status::Rejected);
        assert_eq!(rejected.carrier, None, "a refused request is never routed");
        assert_eq!(rejected.follow_up, FollowUpState::ReferElsewhere);
    }

    fn busy() -> AttemptResult {
        AttemptResult::Failed { class: AttemptResultClass::CarrierBusy, detail: "AAA 42".to_owned(), retry_after: None }
    }

    #[test]
    fn a_core_carrier_is_never_asked_again_sooner_than_ninety_seconds() {
        // Arrange: a backoff that alone would retry after at most 2 s.
        let policy = RetryPolicy { min_resubmit_interval: CORE_MIN_RESUBMIT, ..RetryPolicy::default() };

        // Act: the largest jitter and the smallest.
        let late = decide(&busy(), None, 1, &policy, NOW, 1.0);
        let early = decide(&busy(), None, 1, &policy, NOW, 0.0);

        // Assert
        for transition in [late, early] {
            let Transition::Retry { next_attempt_at, .. } = transition else { panic!("expected a retry") };
            assert_eq!(next_attempt_at, NOW + Duration::seconds(90));
        }
    }

    #[test]
    fn carriers_without_a_resubmission_rule_retry_on_the_jittered_backoff() {
        let policy = RetryPolicy::default();
        let Transition::Retry { next_attempt_at, .. } = decide(&busy(), None, 1, &policy, NOW, 0.5) else {
            panic!("expected a retry");
        };
        assert_eq!(next_attempt_at, NOW + Duration::seconds(1));
    }

    #[test]
    fn a_retry_due_after_the_deadline_fails_the_verification_instead() {
        // Arrange
        let retry = Transition::Retry { next_attempt_at: NOW + Duration::minutes(5), status_detail: "busy".into() };

        // Act
        let late = within_deadline(retry.clone(), NOW + Duration::minutes(4));
        let in_time = within_deadline(retry.clone(), NOW + Duration::minutes(5));

        // Assert
        assert_eq!(late.status(), Status::Failed);
        assert_eq!(late.outcome(), Some(Outcome::CarrierUnavailable));
        assert_eq!(in_time, retry, "a retry due exactly at the deadline is still made");
        let complete = Transition::Fail { outcome: Outcome::CarrierRejected, status_detail: "x".into() };
        assert_eq!(within_deadline(complete.clone(), NOW - Duration::days(1)), complete);
    }
}
