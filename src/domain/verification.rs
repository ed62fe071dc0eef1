//! A verification request, its stored record, and the values that describe where it stands.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::benefits::BenefitSummary;
use super::card::{Contact, InsuranceCard};
use super::person::{Person, Relationship};

/// An idempotency key chosen by the caller: 1-128 characters of `[A-Za-z0-9._:-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(String);

impl RequestId {
    /// Validates an idempotency key.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.is_empty() || raw.len() > 128 {
            return Err("must be 1-128 characters");
        }
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')) {
            return Err("may contain only letters, digits and . _ : -");
        }
        Ok(RequestId(raw.to_owned()))
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated verification request: what the applicant submitted on the form. Holds PHI; `Debug` shows no
/// field values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRequest {
    /// The person seeking treatment.
    pub applicant: Person,
    /// The applicant's relationship to the policy holder.
    pub relationship: Relationship,
    /// The policy holder, present exactly when `relationship` is not `SelfInsured`.
    pub subscriber: Option<Person>,
    /// The insurance card.
    pub card: InsuranceCard,
    /// How to reach the applicant.
    pub contact: Contact,
    /// Where the request came from (`website` by default).
    pub source: String,
}

impl fmt::Debug for VerificationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationRequest")
            .field("relationship", &self.relationship)
            .field("plan_type", &self.card.plan_type)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl VerificationRequest {
    /// A digest of the request's content, used to tell "the same request retried" from "a different request
    /// reusing an idempotency key". Independent of submit options such as `wait_for_result`.
    pub fn fingerprint(&self) -> String {
        // serde_json writes struct fields in declaration order, so the encoding is canonical for this type.
        match serde_json::to_vec(self) {
            Ok(encoded) => hex::encode(Sha256::digest(&encoded)),
            // Cannot happen for these types (no maps, no non-string keys). Should it ever, a unique value makes a
            // resubmission a conflict rather than a false replay of someone else's request.
            Err(_) => format!("unencodable-{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// The person whose coverage the carrier looks up first: the subscriber (policy holder).
    pub fn policy_holder(&self) -> &Person {
        self.subscriber.as_ref().unwrap_or(&self.applicant)
    }
}

/// A submit, validated: the request plus the options that do not belong to its content.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The request content.
    pub request: VerificationRequest,
    /// The caller's idempotency key, when given.
    pub request_id: Option<RequestId>,
    /// How long the caller is willing to wait for the carrier's answer (already capped).
    pub wait_for_result: std::time::Duration,
}

/// Where a verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Refused up front: no carrier call.
    Rejected,
    /// Queued, in flight or waiting to retry.
    Pending,
    /// The carrier answered.
    Completed,
    /// The service gave up; needs manual verification.
    Failed,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 4] = [Status::Rejected, Status::Pending, Status::Completed, Status::Failed];

    /// Stable text used in storage, telemetry and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Rejected => "rejected",
            Status::Pending => "pending",
            Status::Completed => "completed",
            Status::Failed => "failed",
        }
    }

    /// Parses [`Status::as_str`] text.
    pub fn parse(raw: &str) -> Option<Self> {
        Status::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// True once nothing more will happen without a person asking.
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Pending)
    }
}

/// What a verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Completed: coverage active.
    CoverageActive,
    /// Completed: member found, coverage not active.
    CoverageInactive,
    /// Completed: no such member.
    MemberNotFound,
    /// Completed: name or date of birth did not match.
    DemographicsMismatch,
    /// Completed: the answer shows a Medicare or Medicaid plan.
    GovernmentPlanFound,
    /// Failed: no carrier route.
    CarrierNotSupported,
    /// Failed: carrier unreachable or kept failing.
    CarrierUnavailable,
    /// Failed: the carrier refused the request.
    CarrierRejected,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 8] = [
        Outcome::CoverageActive,
        Outcome::CoverageInactive,
        Outcome::MemberNotFound,
        Outcome::DemographicsMismatch,
        Outcome::GovernmentPlanFound,
        Outcome::CarrierNotSupported,
        Outcome::CarrierUnavailable,
        Outcome::CarrierRejected,
    ];

    /// Stable text used in storage, telemetry and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::CoverageActive => "coverage_active",
            Outcome::CoverageInactive => "coverage_inactive",
            Outcome::MemberNotFound => "member_not_found",
            Outcome::DemographicsMismatch => "demographics_mismatch",
            Outcome::GovernmentPlanFound => "government_plan_found",
            Outcome::CarrierNotSupported => "carrier_not_supported",
            Outcome::CarrierUnavailable => "carrier_unavailable",
            Outcome::CarrierRejected => "carrier_rejected",
        }
    }

    /// Parses [`Outcome::as_str`] text.
    pub fn parse(raw: &str) -> Option<Self> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == raw)
    }
}

/// What admissions still has to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpState {
    /// Waiting for the carrier.
    AwaitingResult,
    /// Call the applicant with the result.
    CallApplicant,
    /// Call the applicant back with a referral.
    ReferElsewhere,
    /// Verify by hand, then call.
    VerifyManually,
    /// The applicant was reached.
    Contacted,
    /// Nothing more to do.
    Closed,
}

impl FollowUpState {
    /// Every follow-up state.
    pub const ALL: [FollowUpState; 6] = [
        FollowUpState::AwaitingResult,
        FollowUpState::CallApplicant,
        FollowUpState::ReferElsewhere,
        FollowUpState::VerifyManually,
        FollowUpState::Contacted,
        FollowUpState::Closed,
    ];

    /// Stable text used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpState::AwaitingResult => "awaiting_result",
            FollowUpState::CallApplicant => "call_applicant",
            FollowUpState::ReferElsewhere => "refer_elsewhere",
            FollowUpState::VerifyManually => "verify_manually",
            FollowUpState::Contacted => "contacted",
            FollowUpState::Closed => "closed",
        }
    }

    /// Parses [`FollowUpState::as_str`] text.
    pub fn parse(raw: &str) -> Option<Self> {
        FollowUpState::ALL.into_iter().find(|f| f.as_str() == raw)
    }
}

/// The government-plan screening's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not a government plan as far as we can tell: forward to the carrier.
    Forward,
    /// Medicaid: refuse.
    Medicaid,
    /// Medicare: refuse.
    Medicare,
}

impl Verdict {
    /// Stable text used in storage, telemetry and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Forward => "forward",
            Verdict::Medicaid => "medicaid",
            Verdict::Medicare => "medicare",
        }
    }

    /// Parses [`Verdict::as_str`] text.
    pub fn parse(raw: &str) -> Option<Self> {
        [Verdict::Forward, Verdict::Medicaid, Verdict::Medicare].into_iter().find(|v| v.as_str() == raw)
    }
}

/// A screening decision and the rule that made it. Holds no PHI: `reason` names only the matched plan or brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningDecision {
    /// The verdict.
    pub verdict: Verdict,
    /// The rule that decided, e.g. `plan_type`, `payer_id`, `member_id_mbi`, `name:medicaid_mco`; empty when
    /// nothing fired.
    pub rule: String,
    /// A sentence for admissions staff.
    pub reason: String,
}

impl ScreeningDecision {
    /// "Nothing fired: forward."
    pub fn forward() -> Self {
        ScreeningDecision { verdict: Verdict::Forward, rule: String::new(), reason: String::new() }
    }

    /// True when the request must be refused.
    pub fn refuses(&self) -> bool {
        self.verdict != Verdict::Forward
    }
}

/// How one carrier attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptResultClass {
    /// An eligibility response came back.
    Answered,
    /// No answer before the deadline.
    Timeout,
    /// The connection failed.
    ConnectionError,
    /// HTTP 429 or 5xx.
    ServerError,
    /// AAA 42/79/80: the carrier cannot respond now.
    CarrierBusy,
    /// The carrier refused the request.
    Rejected,
    /// The answer could not be understood.
    InvalidResponse,
}

impl AttemptResultClass {
    /// Every class.
    pub const ALL: [AttemptResultClass; 7] = [
        AttemptResultClass::Answered,
        AttemptResultClass::Timeout,
        AttemptResultClass::ConnectionError,
        AttemptResultClass::ServerError,
        AttemptResultClass::CarrierBusy,
        AttemptResultClass::Rejected,
        AttemptResultClass::InvalidResponse,
    ];

    /// Stable text used in storage, telemetry and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptResultClass::Answered => "answered",
            AttemptResultClass::Timeout => "timeout",
            AttemptResultClass::ConnectionError => "connection_error",
            AttemptResultClass::ServerError => "server_error",
            AttemptResultClass::CarrierBusy => "carrier_busy",
            AttemptResultClass::Rejected => "rejected",
            AttemptResultClass::InvalidResponse => "invalid_response",
        }
    }

    /// Parses [`AttemptResultClass::as_str`] text.
    pub fn parse(raw: &str) -> Option<Self> {
        AttemptResultClass::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    /// True for failures worth retrying (timeouts, connection errors, 429/5xx, AAA 42/79/80).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            AttemptResultClass::Timeout
                | AttemptResultClass::ConnectionError
                | AttemptResultClass::ServerError
                | AttemptResultClass::CarrierBusy
        )
    }
}

/// The control numbers one carrier attempt was sent with, stored with the attempt so that any transaction can be
/// traced with the carrier (they are what a payer's help desk asks for). No PHI. The eligibility JSON API has
/// one `controlNumber` (kept as `transaction`); an X12 270 has all four.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlNumbers {
    /// ISA13, the interchange control number (9 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interchange: Option<String>,
    /// GS06, the functional group control number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// ST02, the transaction set control number (for the JSON API: its `controlNumber`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    /// TRN02, the trace number the payer echoes in its 271.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// The numbers of the attempt's other requests, when a carrier that answers one service type per request was
    /// asked in several (these numbers are the plan-level request's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_requests: Vec<ControlNumbers>,
}

impl ControlNumbers {
    /// Fresh numbers for one X12 attempt: every one a random 9-digit number (X12 allows 4 to 9 digits for
    /// ST02 and 1 to 9 for GS06; 9 everywhere keeps them unique enough to find in a payer's logs).
    pub fn generate() -> ControlNumbers {
        use rand::Rng;
        let mut rng = rand::rng();
        let mut next = || format!("{:09}", rng.random_range(1..1_000_000_000u32));
        ControlNumbers {
            interchange: Some(next()),
            group: Some(next()),
            transaction: Some(next()),
            trace: Some(next()),
            other_requests: Vec::new(),
        }
    }

    /// The numbers of an eligibility JSON request: its one `controlNumber`.
    pub fn json(control_number: &str) -> ControlNumbers {
        ControlNumbers { transaction: Some(control_number.to_owned()), ..ControlNumbers::default() }
    }

    /// True when no number is known.
    pub fn is_empty(&self) -> bool {
        self.interchange.is_none()
            && self.group.is_none()
            && self.transaction.is_none()
            && self.trace.is_none()
            && self.other_requests.is_empty()
    }
}

/// One stored carrier attempt. The summary fields hold no PHI; the raw bodies do and stay in the store (its
/// `Debug` output shows only their sizes).
#[derive(Clone, PartialEq)]
pub struct CarrierAttempt {
    /// 1 for the first attempt.
    pub attempt_number: i32,
    /// The carrier directory id the call went to.
    pub carrier: String,
    /// When the call started.
    pub started_at: OffsetDateTime,
    /// How long it took.
    pub latency: Duration,
    /// HTTP status, when a response came back.
    pub http_status: Option<u16>,
    /// How it ended.
    pub result_class: AttemptResultClass,
    /// The carrier's error code, e.g. `AAA:42` or `HTTP:503`.
    pub error_code: Option<String>,
    /// A short description for ops; no PHI.
    pub detail: Option<String>,
    /// The request body sent (PHI; kept for audit and re-parsing, never exposed in telemetry).
    pub raw_request: Option<String>,
    /// The response body received (PHI).
    pub raw_response: Option<String>,
    /// The control numbers the request carried (empty when no request was built).
    pub control_numbers: ControlNumbers,
}

impl fmt::Debug for CarrierAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CarrierAttempt")
            .field("attempt_number", &self.attempt_number)
            .field("carrier", &self.carrier)
            .field("started_at", &self.started_at)
            .field("latency", &self.latency)
            .field("http_status", &self.http_status)
            .field("result_class", &self.result_class)
            .field("error_code", &self.error_code)
            .field("detail", &self.detail)
            .field("raw_request", &BodySize(self.raw_request.as_deref()))
            .field("raw_response", &BodySize(self.raw_response.as_deref()))
            .field("control_numbers", &self.control_numbers)
            .finish()
    }
}

/// Shows a body that holds PHI by its size only, for `Debug` output that may end up in logs.
pub struct BodySize<'a>(pub Option<&'a str>);

impl fmt::Debug for BodySize<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(body) => write!(f, "<{} bytes redacted>", body.len()),
            None => f.write_str("None"),
        }
    }
}

/// A stored verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    /// Server-assigned id.
    pub id: Uuid,
    /// The caller's idempotency key.
    pub request_id: Option<RequestId>,
    /// Digest of the request content (see [`VerificationRequest::fingerprint`]).
    pub fingerprint: String,
    /// What was submitted.
    pub request: VerificationRequest,
    /// Where it stands.
    pub status: Status,
    /// What it found (final statuses only).
    pub outcome: Option<Outcome>,
    /// The screening decision (up front, or from the answer when that found a government plan).
    pub screening: ScreeningDecision,
    /// The carrier directory id the request is routed to.
    pub carrier: Option<String>,
    /// The payer ID the request is sent with.
    pub payer_id: Option<String>,
    /// Every carrier attempt, oldest first.
    pub attempts: Vec<CarrierAttempt>,
    /// The normalised answer.
    pub benefits: Option<BenefitSummary>,
    /// What admissions still has to do.
    pub follow_up: FollowUpState,
    /// A hint a person can act on.
    pub status_detail: Option<String>,
    /// When the next carrier attempt is due (pending only).
    pub next_attempt_at: Option<OffsetDateTime>,
    /// When accepted.
    pub created_at: OffsetDateTime,
    /// When last changed.
    pub updated_at: OffsetDateTime,
    /// Monotonic change cursor.
    pub change_cursor: i64,
}

/// Truncates a timestamp to whole microseconds: what PostgreSQL keeps, so both stores round-trip the same value.
pub fn truncate_to_micros(at: OffsetDateTime) -> OffsetDateTime {
    let nanos = at.nanosecond();
    at.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::domain::test_support::sample_request;

    #[test]
    fn debug_output_of_a_verification_and_its_attempts_hides_phi() {
        // Arrange
        let request = sample_request();
        let attempt = CarrierAttempt {
            attempt_number: 1,
            carrier: "sandbox".into(),
            started_at: datetime!(2026-11-27 12:00 UTC),
            latency: Duration::milliseconds(5),
            http_status: Some(200),
            result_class: AttemptResultClass::Answered,
            error_code: None,
            detail: None,
            raw_request: Some(r#"{"subscriber":{"firstName":"Jordan","memberId":"ACT100001"}}"#.into()),
            raw_response: Some(r#"{"subscriber":{"lastName":"Sample","dateOfBirth":"19880412"}}"#.into()),
            control_numbers: ControlNumbers::json("000000042"),
        };
        let verification = Verification {
            id: Uuid::nil(),
            request_id: None,
            fingerprint: request.fingerprint(),
            request,
            status: Status::Completed,
            outcome: Some(Outcome::CoverageActive),
            screening: ScreeningDecision::forward(),
            carrier: Some("sandbox".into()),
            payer_id: None,
            attempts: vec![attempt],
            benefits: None,
            follow_up: FollowUpState::CallApplicant,
            status_detail: None,
            next_attempt_at: None,
            created_at: datetime!(2026-11-27 12:00 UTC),
            updated_at: datetime!(2026-11-27 12:00 UTC),
            change_cursor: 1,
        };
        // Act
        let shown = format!("{verification:?}");
        // Assert
        for phi in ["Jordan", "Sample", "ACT100001", "1988", "19880412", "5025550142"] {
            assert!(!shown.contains(phi), "{phi} leaked in {shown}");
        }
        assert!(shown.contains("bytes redacted"));
    }
}
