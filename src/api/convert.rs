//! Proto <-> domain conversion. Inbound messages become validated domain values here (every invalid field is
//! reported at once); handlers never pass raw proto structs inward.

use std::time::Duration;

use time::OffsetDateTime;

use super::pb;
use crate::domain::person::format_iso_date;
use crate::domain::{
    Accumulator, AttemptResultClass, BenefitSummary, CarrierAttempt, CategoryBenefit, Contact, CostShare,
    FollowUpState, InsuranceCard, Outcome, Person, PlanType, Relationship, RequestId, ScreeningDecision, Status,
    Submission, Verdict, Verification, VerificationRequest, Violations,
};

/// Longest `source` accepted.
const MAX_SOURCE_LEN: usize = 64;

impl TryFrom<pb::SubmitVerificationRequest> for Submission {
    type Error = Violations;

    fn try_from(message: pb::SubmitVerificationRequest) -> Result<Self, Self::Error> {
        submission_from_proto(message, OffsetDateTime::now_utc().date())
    }
}

/// Validates a submit against `today` (a parameter so tests can pin the date).
pub fn submission_from_proto(
    message: pb::SubmitVerificationRequest,
    today: time::Date,
) -> Result<Submission, Violations> {
    let mut violations = Violations::default();

    let applicant = match &message.applicant {
        Some(p) => Person::parse(
            "applicant",
            &p.first_name,
            &p.last_name,
            &p.middle_name,
            &p.date_of_birth,
            today,
            &mut violations,
        ),
        None => {
            violations.add("applicant", "is required");
            None
        }
    };

    let relationship = match pb::SubscriberRelationship::try_from(message.relationship) {
        Ok(pb::SubscriberRelationship::Self_) => Some(Relationship::SelfInsured),
        Ok(pb::SubscriberRelationship::Spouse) => Some(Relationship::Spouse),
        Ok(pb::SubscriberRelationship::Child) => Some(Relationship::Child),
        Ok(pb::SubscriberRelationship::Other) => Some(Relationship::Other),
        Ok(pb::SubscriberRelationship::Unspecified) => {
            violations.add("relationship", "is required");
            None
        }
        Err(_) => {
            violations.add("relationship", "is not a known relationship");
            None
        }
    };

    // The subscriber is required exactly when the applicant is a dependent; `None` here means "invalid".
    let subscriber = match (relationship, &message.subscriber) {
        (Some(Relationship::SelfInsured), Some(_)) => {
            violations.add("subscriber", "must be absent when the applicant is the subscriber");
            None
        }
        (Some(Relationship::SelfInsured), None) => Some(None),
        (Some(_), None) => {
            violations.add("subscriber", "is required when the applicant is not the subscriber");
            None
        }
        (_, Some(p)) => Person::parse(
            "subscriber",
            &p.first_name,
            &p.last_name,
            &p.middle_name,
            &p.date_of_birth,
            today,
            &mut violations,
        )
        .map(Some),
        (None, None) => None,
    };

    let card = match &message.card {
        Some(card) => {
            let plan_type = pb::PlanType::try_from(card.plan_type).map(plan_type_from_proto);
            if plan_type.is_err() {
                violations.add("card.plan_type", "is not a known plan type");
            }
            // Parse the other card fields even when the plan type is bad, so that every bad field is named.
            let parsed = InsuranceCard::parse(
                &card.carrier_name,
                &card.plan_name,
                &card.payer_id,
                &card.member_id,
                &card.group_number,
                plan_type.unwrap_or(PlanType::Unknown),
                &mut violations,
            );
            parsed.filter(|_| plan_type.is_ok())
        }
        None => {
            violations.add("card", "is required");
            None
        }
    };

    let contact = match &message.contact {
        Some(c) => Contact::parse(&c.phone, &c.email, &c.preferred_time, &mut violations),
        None => {
            violations.add("contact", "is required");
            None
        }
    };

    if !message.consent {
        violations.add("consent", "must be true: the applicant has to agree to the verification and a call back");
    }

    let source = message.source.trim();
    let source = if source.is_empty() {
        Some("website".to_owned())
    } else if source.len() > MAX_SOURCE_LEN
        || !source.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        violations.add("source", "must be 1-64 characters of letters, digits, '.', '_' and '-'");
        None
    } else {
        Some(source.to_owned())
    };

    let request_id = match message.request_id.as_str() {
        "" => Some(None),
        raw => match RequestId::parse(raw) {
            Ok(id) => Some(Some(id)),
            Err(why) => {
                violations.add("request_id", why);
                None
            }
        },
    };

    let wait_for_result = match message.wait_for_result {
        None => Some(Duration::ZERO),
        Some(d) if d.seconds < 0 || d.nanos < 0 => {
            violations.add("wait_for_result", "must not be negative");
            None
        }
        Some(d) if !(0..1_000_000_000).contains(&d.nanos) => {
            violations.add("wait_for_result", "nanos must be below one second");
            None
        }
        Some(d) => Some(Duration::new(d.seconds.unsigned_abs(), d.nanos.unsigned_abs())),
    };

    let (Some(applicant), Some(relationship), Some(subscriber), Some(card), Some(contact), Some(source)) =
        (applicant, relationship, subscriber, card, contact, source)
    else {
        return Err(violations);
    };
    let (Some(request_id), Some(wait_for_result)) = (request_id, wait_for_result) else {
        return Err(violations);
    };
    violations.into_result(Some(Submission {
        request: VerificationRequest { applicant, relationship, subscriber, card, contact, source },
        request_id,
        wait_for_result,
    }))
}

/// Maps the form's plan type.
pub fn plan_type_from_proto(plan_type: pb::PlanType) -> PlanType {
    match plan_type {
        pb::PlanType::Employer => PlanType::Employer,
        pb::PlanType::Marketplace => PlanType::Marketplace,
        pb::PlanType::Medicaid => PlanType::Medicaid,
        pb::PlanType::Medicare => PlanType::Medicare,
        pb::PlanType::Tricare => PlanType::Tricare,
        pb::PlanType::Other => PlanType::Other,
        pb::PlanType::Unknown | pb::PlanType::Unspecified => PlanType::Unknown,
    }
}

fn plan_type_to_proto(plan_type: PlanType) -> pb::PlanType {
    match plan_type {
        PlanType::Employer => pb::PlanType::Employer,
        PlanType::Marketplace => pb::PlanType::Marketplace,
        PlanType::Medicaid => pb::PlanType::Medicaid,
        PlanType::Medicare => pb::PlanType::Medicare,
        PlanType::Tricare => pb::PlanType::Tricare,
        PlanType::Other => pb::PlanType::Other,
        PlanType::Unknown => pb::PlanType::Unknown,
    }
}

/// Maps a status to the proto enum.
pub fn status_to_proto(status: Status) -> pb::VerificationStatus {
    match status {
        Status::Rejected => pb::VerificationStatus::Rejected,
        Status::Pending => pb::VerificationStatus::Pending,
        Status::Completed => pb::VerificationStatus::Completed,
        Status::Failed => pb::VerificationStatus::Failed,
    }
}

/// Maps a proto status filter; `None` for values that name no status.
pub fn status_from_proto(raw: i32) -> Option<Status> {
    match pb::VerificationStatus::try_from(raw).ok()? {
        pb::VerificationStatus::Rejected => Some(Status::Rejected),
        pb::VerificationStatus::Pending => Some(Status::Pending),
        pb::VerificationStatus::Completed => Some(Status::Completed),
        pb::VerificationStatus::Failed => Some(Status::Failed),
        pb::VerificationStatus::Unspecified => None,
    }
}

/// Maps an outcome to the proto enum.
pub fn outcome_to_proto(outcome: Option<Outcome>) -> pb::VerificationOutcome {
    match outcome {
        None => pb::VerificationOutcome::Unspecified,
        Some(Outcome::CoverageActive) => pb::VerificationOutcome::CoverageActive,
        Some(Outcome::CoverageInactive) => pb::VerificationOutcome::CoverageInactive,
        Some(Outcome::MemberNotFound) => pb::VerificationOutcome::MemberNotFound,
        Some(Outcome::DemographicsMismatch) => pb::VerificationOutcome::DemographicsMismatch,
        Some(Outcome::GovernmentPlanFound) => pb::VerificationOutcome::GovernmentPlanFound,
        Some(Outcome::CarrierNotSupported) => pb::VerificationOutcome::CarrierNotSupported,
        Some(Outcome::CarrierUnavailable) => pb::VerificationOutcome::CarrierUnavailable,
        Some(Outcome::CarrierRejected) => pb::VerificationOutcome::CarrierRejected,
    }
}

/// Maps a proto outcome filter; `None` for values that name no outcome.
pub fn outcome_from_proto(raw: i32) -> Option<Outcome> {
    Outcome::ALL.into_iter().find(|o| outcome_to_proto(Some(*o)) as i32 == raw)
}

/// Maps a follow-up state to the proto enum.
pub fn follow_up_to_proto(state: FollowUpState) -> pb::FollowUpState {
    match state {
        FollowUpState::AwaitingResult => pb::FollowUpState::AwaitingResult,
        FollowUpState::CallApplicant => pb::FollowUpState::CallApplicant,
        FollowUpState::ReferElsewhere => pb::FollowUpState::ReferElsewhere,
        FollowUpState::VerifyManually => pb::FollowUpState::VerifyManually,
        FollowUpState::Contacted => pb::FollowUpState::Contacted,
        FollowUpState::Closed => pb::FollowUpState::Closed,
    }
}

/// Maps a proto follow-up filter; `None` for values that name no state.
pub fn follow_up_from_proto(raw: i32) -> Option<FollowUpState> {
    FollowUpState::ALL.into_iter().find(|s| follow_up_to_proto(*s) as i32 == raw)
}

fn verdict_to_proto(verdict: Verdict) -> pb::ScreeningVerdict {
    match verdict {
        Verdict::Forward => pb::ScreeningVerdict::Forward,
        Verdict::Medicaid => pb::ScreeningVerdict::Medicaid,
        Verdict::Medicare => pb::ScreeningVerdict::Medicare,
    }
}

fn result_class_to_proto(class: AttemptResultClass) -> pb::AttemptResultClass {
    match class {
        AttemptResultClass::Answered => pb::AttemptResultClass::Answered,
        AttemptResultClass::Timeout => pb::AttemptResultClass::Timeout,
        AttemptResultClass::ConnectionError => pb::AttemptResultClass::ConnectionError,
        AttemptResultClass::ServerError => pb::AttemptResultClass::ServerError,
        AttemptResultClass::CarrierBusy => pb::AttemptResultClass::CarrierBusy,
        AttemptResultClass::Rejected => pb::AttemptResultClass::Rejected,
        AttemptResultClass::InvalidResponse => pb::AttemptResultClass::InvalidResponse,
    }
}

/// A timestamp as protobuf `Timestamp`.
pub fn timestamp(at: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: at.unix_timestamp(), nanos: i32::try_from(at.nanosecond()).unwrap_or(0) }
}

fn duration(d: time::Duration) -> prost_types::Duration {
    prost_types::Duration { seconds: d.whole_seconds(), nanos: d.subsec_nanoseconds() }
}

fn person_to_proto(person: &Person) -> pb::Person {
    pb::Person {
        first_name: person.first_name.clone(),
        last_name: person.last_name.clone(),
        middle_name: person.middle_name.clone().unwrap_or_default(),
        date_of_birth: format_iso_date(person.date_of_birth),
    }
}

fn relationship_to_proto(relationship: Relationship) -> pb::SubscriberRelationship {
    match relationship {
        Relationship::SelfInsured => pb::SubscriberRelationship::Self_,
        Relationship::Spouse => pb::SubscriberRelationship::Spouse,
        Relationship::Child => pb::SubscriberRelationship::Child,
        Relationship::Other => pb::SubscriberRelationship::Other,
    }
}

fn accumulator_to_proto(a: &Accumulator) -> Option<pb::Accumulator> {
    (!a.is_unknown()).then_some(pb::Accumulator { total_cents: a.total_cents, remaining_cents: a.remaining_cents })
}

fn cost_share_to_proto(c: &CostShare) -> Option<pb::CostShare> {
    (!c.is_unknown()).then(|| pb::CostShare {
        copay_cents: c.copay_cents,
        coinsurance_percent: c.coinsurance_percent,
        deductible_individual: accumulator_to_proto(&c.deductible_individual),
        deductible_family: accumulator_to_proto(&c.deductible_family),
        out_of_pocket_individual: accumulator_to_proto(&c.out_of_pocket_individual),
        out_of_pocket_family: accumulator_to_proto(&c.out_of_pocket_family),
    })
}

fn category_to_proto(c: &CategoryBenefit) -> pb::CategoryBenefit {
    pb::CategoryBenefit {
        service_type_code: c.service_type_code.clone(),
        label: c.label.clone(),
        active: c.active,
        in_network: cost_share_to_proto(&c.in_network),
        out_of_network: cost_share_to_proto(&c.out_of_network),
        network_unspecified: cost_share_to_proto(&c.network_unspecified),
        prior_authorization_required: c.prior_authorization_required,
        limits: c.limits.clone(),
        messages: c.messages.clone(),
    }
}

/// Maps the benefit summary.
pub fn benefits_to_proto(b: &BenefitSummary) -> pb::BenefitSummary {
    pb::BenefitSummary {
        plan_name: b.plan_name.clone().unwrap_or_default(),
        group_number: b.group_number.clone().unwrap_or_default(),
        coverage_active: b.coverage_active,
        plan_begin_date: b.plan_begin_date.clone().unwrap_or_default(),
        plan_end_date: b.plan_end_date.clone().unwrap_or_default(),
        insurance_type_code: b.insurance_type_code.clone().unwrap_or_default(),
        categories: b.categories.iter().map(category_to_proto).collect(),
        carve_out_administrator: b.carve_out_administrator.clone().unwrap_or_default(),
        messages: b.messages.clone(),
    }
}

fn screening_to_proto(s: &ScreeningDecision) -> pb::ScreeningDecision {
    pb::ScreeningDecision {
        verdict: verdict_to_proto(s.verdict) as i32,
        rule: s.rule.clone(),
        reason: s.reason.clone(),
    }
}

fn attempt_to_proto(a: &CarrierAttempt) -> pb::CarrierAttempt {
    pb::CarrierAttempt {
        attempt_number: a.attempt_number,
        started_at: Some(timestamp(a.started_at)),
        latency: Some(duration(a.latency)),
        http_status: a.http_status.map(u32::from),
        result_class: result_class_to_proto(a.result_class) as i32,
        error_code: a.error_code.clone().unwrap_or_default(),
        detail: a.detail.clone().unwrap_or_default(),
    }
}

fn card_to_proto(card: &InsuranceCard) -> pb::InsuranceCard {
    pb::InsuranceCard {
        carrier_name: card.carrier_name.clone(),
        plan_name: card.plan_name.clone().unwrap_or_default(),
        payer_id: card.payer_id.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
        member_id: card.member_id.as_str().to_owned(),
        group_number: card.group_number.clone().unwrap_or_default(),
        plan_type: plan_type_to_proto(card.plan_type) as i32,
    }
}

impl From<&Verification> for pb::Verification {
    fn from(v: &Verification) -> Self {
        let request = &v.request;
        pb::Verification {
            id: v.id.to_string(),
            request_id: v.request_id.as_ref().map(|r| r.as_str().to_owned()).unwrap_or_default(),
            status: status_to_proto(v.status) as i32,
            outcome: outcome_to_proto(v.outcome) as i32,
            screening: Some(screening_to_proto(&v.screening)),
            applicant: Some(person_to_proto(&request.applicant)),
            relationship: relationship_to_proto(request.relationship) as i32,
            subscriber: request.subscriber.as_ref().map(person_to_proto),
            card: Some(card_to_proto(&request.card)),
            contact: Some(pb::Contact {
                phone: request.contact.phone.clone().unwrap_or_default(),
                email: request.contact.email.clone().unwrap_or_default(),
                preferred_time: request.contact.preferred_time.clone().unwrap_or_default(),
            }),
            source: request.source.clone(),
            carrier: v.carrier.clone().unwrap_or_default(),
            payer_id: v.payer_id.clone().unwrap_or_default(),
            attempts: v.attempts.iter().map(attempt_to_proto).collect(),
            benefits: v.benefits.as_ref().map(benefits_to_proto),
            follow_up_state: follow_up_to_proto(v.follow_up) as i32,
            status_detail: v.status_detail.clone().unwrap_or_default(),
            created_at: Some(timestamp(v.created_at)),
            updated_at: Some(timestamp(v.updated_at)),
            change_cursor: v.change_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    fn valid() -> pb::SubmitVerificationRequest {
        let mut form =
            crate::api::samples::submit_form("Anthem Blue Cross Blue Shield", "ACT100001", pb::PlanType::Employer);
        form.contact =
            Some(pb::Contact { phone: "502-555-0142".into(), email: String::new(), preferred_time: String::new() });
        form.source = String::new();
        form
    }

    const TODAY: time::Date = date!(2026 - 11 - 27);

    #[test]
    fn a_valid_form_becomes_a_submission() {
        let submission = submission_from_proto(valid(), TODAY).expect("valid");
        assert_eq!(submission.request.source, "website");
        assert_eq!(submission.request.contact.phone.as_deref(), Some("+15025550142"));
        assert_eq!(submission.wait_for_result, Duration::ZERO);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let mut message = valid();
        message.applicant = None;
        message.relationship = pb::SubscriberRelationship::Child as i32;
        if let Some(card) = message.card.as_mut() {
            card.member_id = "X".into();
            card.plan_type = 99;
        }
        message.consent = false;
        message.request_id = "has spaces".into();
        message.wait_for_result = Some(prost_types::Duration { seconds: -1, nanos: 0 });
        let violations = submission_from_proto(message, TODAY).expect_err("invalid");
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["applicant", "subscriber", "card.plan_type", "card.member_id", "consent", "request_id", "wait_for_result"]
        );
    }

    #[test]
    fn a_dependent_needs_the_subscriber_and_a_self_insured_applicant_must_not_send_one() {
        let mut dependent = valid();
        dependent.relationship = pb::SubscriberRelationship::Spouse as i32;
        assert!(submission_from_proto(dependent.clone(), TODAY).is_err());
        dependent.subscriber = dependent.applicant.clone();
        assert!(submission_from_proto(dependent, TODAY).is_ok());

        let mut self_insured = valid();
        self_insured.subscriber = self_insured.applicant.clone();
        assert!(submission_from_proto(self_insured, TODAY).is_err());
    }

    #[test]
    fn violations_never_echo_the_submitted_values() {
        let mut message = valid();
        if let Some(card) = message.card.as_mut() {
            card.member_id = "CANARY_MEMBER".into();
        }
        if let Some(applicant) = message.applicant.as_mut() {
            applicant.date_of_birth = "CANARY-DOB".into();
        }
        let violations = submission_from_proto(message, TODAY).expect_err("invalid");
        assert!(!violations.to_string().contains("CANARY"));
    }

    proptest! {
        #[test]
        fn arbitrary_form_values_never_panic_and_accepted_ones_hold_the_invariants(
            first in "\\PC{0,70}",
            last in "\\PC{0,70}",
            dob in "\\PC{0,12}|[0-9]{4}-[0-9]{2}-[0-9]{2}",
            carrier in "\\PC{0,130}",
            member in "[A-Za-z0-9 _-]{0,90}",
            phone in "\\PC{0,20}|[2-9][0-9]{9}",
            email in "\\PC{0,40}",
            relationship in -1i32..6,
            plan_type in -1i32..9,
            request_id in "\\PC{0,20}",
        ) {
            let mut message = valid();
            if let Some(applicant) = message.applicant.as_mut() {
                applicant.first_name = first;
                applicant.last_name = last;
                applicant.date_of_birth = dob;
            }
            message.relationship = relationship;
            if let Some(card) = message.card.as_mut() {
                card.carrier_name = carrier;
                card.member_id = member;
                card.plan_type = plan_type;
            }
            message.contact = Some(pb::Contact { phone, email, preferred_time: String::new() });
            message.request_id = request_id;
            match submission_from_proto(message, TODAY) {
                Ok(submission) => {
                    let request = submission.request;
                    prop_assert!(request.applicant.date_of_birth < TODAY);
                    prop_assert!((2..=80).contains(&request.card.member_id.as_str().chars().count()));
                    prop_assert!(request.contact.phone.is_some() || request.contact.email.is_some());
                    prop_assert_eq!(request.subscriber.is_some(), request.relationship != Relationship::SelfInsured);
                }
                Err(violations) => prop_assert!(!violations.is_empty()),
            }
        }
    }
}
