//! The domain rules: validated request values, the verification record and its state machine, the benefit
//! summary. Pure: no I/O, no clock (callers pass `now`), no randomness (callers pass jitter).

pub mod answer;
pub mod benefits;
pub mod card;
pub mod lifecycle;
pub mod person;
pub mod validation;
pub mod verification;

pub use answer::{
    AaaClass, ApplicantField, CarrierRejection, CoverageFinding, EligibilityAnswer, FollowUpAction, PlanFacts, merge,
};
pub use benefits::{
    Accumulator, BenefitSummary, CategoryBenefit, CostShare, NetworkIndicator, NetworkTier, PlanDates, PlanStatus,
    VisitLimit,
};
pub use card::{Contact, InsuranceCard, MemberId, PayerId, PlanType};
pub use lifecycle::{AttemptResult, NewVerification, RetryPolicy, RouteChoice, Routing, Transition};
pub use person::{Person, Relationship};
pub use validation::{FieldViolation, Violations};
pub use verification::{
    AttemptResultClass, CarrierAttempt, ControlNumbers, FollowUpState, Outcome, RequestId, ScreeningDecision, Status,
    Submission, Verdict, Verification, VerificationRequest,
};

/// Sample values for tests across the crate and its integration tests (synthetic, never real PHI).
#[doc(hidden)]
pub mod test_support {
    use time::macros::date;

    use super::*;

    /// [`sample_request`] for a child on a parent's plan: the parent is the policy holder.
    pub fn sample_dependent_request() -> VerificationRequest {
        let mut request = sample_request();
        request.relationship = Relationship::Child;
        request.subscriber = Some(Person {
            first_name: "Pat".into(),
            last_name: "Sample".into(),
            middle_name: Some("Q".into()),
            date_of_birth: date!(1961 - 07 - 04),
        });
        request
    }

    /// A valid self-insured request with a commercial card.
    pub fn sample_request() -> VerificationRequest {
        VerificationRequest {
            applicant: Person {
                first_name: "Jordan".to_owned(),
                last_name: "Sample".to_owned(),
                middle_name: None,
                date_of_birth: date!(1988 - 04 - 12),
            },
            relationship: Relationship::SelfInsured,
            subscriber: None,
            card: InsuranceCard {
                carrier_name: "Anthem Blue Cross Blue Shield".to_owned(),
                plan_name: Some("Blue Access PPO".to_owned()),
                payer_id: None,
                member_id: MemberId::parse("ACT100001").expect("valid member id"),
                group_number: Some("GRP-2001".to_owned()),
                plan_type: PlanType::Employer,
            },
            contact: Contact {
                phone: Some("+15025550142".to_owned()),
                email: None,
                preferred_time: Some("weekday mornings".to_owned()),
            },
            source: "website".to_owned(),
        }
    }
}
