//! Proto <-> domain conversion. Inbound messages become validated domain values here (every invalid field is
//! reported at once); handlers never pass raw proto structs inward.

use std::time::Duration;

use time::OffsetDateTime;

use super::pb;
use crate::domain::answer::follow_up_code;
use crate::domain::person::format_iso_date;
use crate::domain::{
    AaaClass, Accumulator, ApplicantField, AttemptResultClass, BenefitSummary, CarrierAttempt, CarrierRejection,
    CategoryBenefit, Contact, ControlNumbers, CostShare, FollowUpAction, FollowUpState, InsuranceCard,
    NetworkIndicator, NetworkTier, Outcome, Person, PlanDates, PlanStatus, PlanType, Relationship, RequestId,
    ScreeningDecision, Status, Submission, Verdict, Verification, VerificationRequest, Violations, VisitLimit,
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

    let wait_for_result = wait_from_proto(message.wait_for_result, &mut violations);

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

/// A `wait_for_result` field: absent is zero; negative or malformed durations are violations (then `None`).
pub fn wait_from_proto(wait: Option<prost_types::Duration>, violations: &mut Violations) -> Option<Duration> {
    match wait {
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
    }
}

/// A carrier lane's state for ops.
impl From<&crate::dispatch::LaneStatus> for pb::CarrierStatus {
    fn from(lane: &crate::dispatch::LaneStatus) -> Self {
        let circuit_state = match lane.breaker {
            crate::dispatch::BreakerState::Closed => pb::CircuitState::Closed,
            crate::dispatch::BreakerState::Open => pb::CircuitState::Open,
            crate::dispatch::BreakerState::HalfOpen => pb::CircuitState::HalfOpen,
        };
        pb::CarrierStatus {
            carrier: lane.carrier.clone(),
            display_name: lane.display_name.clone(),
            circuit_state: circuit_state.into(),
            circuit_opened_count: lane.breaker_opened,
            held: lane.held,
            max_concurrency: lane.max_concurrency,
            calls_in_flight: lane.calls_in_flight,
            requests_per_second: lane.requests_per_second,
            retries_postponed: lane.retries_postponed,
        }
    }
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
        copay_period_code: c.copay_period_code.clone().unwrap_or_default(),
        copay_period: c.copay_period.clone().unwrap_or_default(),
        not_covered: c.not_covered,
    })
}

fn network_indicator_to_proto(indicator: Option<NetworkIndicator>) -> pb::NetworkIndicator {
    match indicator {
        None => pb::NetworkIndicator::Unspecified,
        Some(NetworkIndicator::InNetwork) => pb::NetworkIndicator::InNetwork,
        Some(NetworkIndicator::OutOfNetwork) => pb::NetworkIndicator::OutOfNetwork,
        Some(NetworkIndicator::NotApplicable) => pb::NetworkIndicator::NotApplicable,
        Some(NetworkIndicator::Unknown) => pb::NetworkIndicator::Unknown,
    }
}

fn network_indicator_from_proto(raw: i32) -> Option<NetworkIndicator> {
    match pb::NetworkIndicator::try_from(raw).ok()? {
        pb::NetworkIndicator::Unspecified => None,
        pb::NetworkIndicator::InNetwork => Some(NetworkIndicator::InNetwork),
        pb::NetworkIndicator::OutOfNetwork => Some(NetworkIndicator::OutOfNetwork),
        pb::NetworkIndicator::NotApplicable => Some(NetworkIndicator::NotApplicable),
        pb::NetworkIndicator::Unknown => Some(NetworkIndicator::Unknown),
    }
}

fn network_tier_to_proto(tier: NetworkTier) -> pb::NetworkTier {
    match tier {
        NetworkTier::InNetwork => pb::NetworkTier::InNetwork,
        NetworkTier::OutOfNetwork => pb::NetworkTier::OutOfNetwork,
        NetworkTier::Unspecified => pb::NetworkTier::Unspecified,
    }
}

fn network_tier_from_proto(raw: i32) -> NetworkTier {
    match pb::NetworkTier::try_from(raw) {
        Ok(pb::NetworkTier::InNetwork) => NetworkTier::InNetwork,
        Ok(pb::NetworkTier::OutOfNetwork) => NetworkTier::OutOfNetwork,
        _ => NetworkTier::Unspecified,
    }
}

fn visit_limit_to_proto(l: &VisitLimit) -> pb::VisitLimit {
    pb::VisitLimit {
        quantity: l.quantity,
        unit_code: l.unit_code.clone().unwrap_or_default(),
        unit: l.unit.clone().unwrap_or_default(),
        period_code: l.period_code.clone().unwrap_or_default(),
        period: l.period.clone().unwrap_or_default(),
        period_count: l.period_count,
        remaining: l.remaining,
        amount_cents: l.amount_cents,
        network: network_tier_to_proto(l.network) as i32,
        description: l.description.clone().unwrap_or_default(),
    }
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
        network_indicator: network_indicator_to_proto(c.network_indicator) as i32,
        visit_limits: c.visit_limits.iter().map(visit_limit_to_proto).collect(),
        coverage_begin_date: c.coverage_begin_date.clone().unwrap_or_default(),
        coverage_end_date: c.coverage_end_date.clone().unwrap_or_default(),
        rejections: c.rejections.iter().map(rejection_to_proto).collect(),
    }
}

fn plan_dates_to_proto(d: &PlanDates) -> Option<pb::PlanDates> {
    let text = |date: &Option<String>| date.clone().unwrap_or_default();
    (!d.is_empty()).then(|| pb::PlanDates {
        plan_begin: text(&d.plan_begin),
        plan_end: text(&d.plan_end),
        eligibility_begin: text(&d.eligibility_begin),
        eligibility_end: text(&d.eligibility_end),
        policy_effective: text(&d.policy_effective),
        policy_expiration: text(&d.policy_expiration),
        service: text(&d.service),
        premium_paid_to_end: text(&d.premium_paid_to_end),
    })
}

fn applicant_field_to_proto(field: Option<ApplicantField>) -> pb::ApplicantField {
    match field {
        None => pb::ApplicantField::Unspecified,
        Some(ApplicantField::MemberId) => pb::ApplicantField::MemberId,
        Some(ApplicantField::MemberIdentity) => pb::ApplicantField::MemberIdentity,
        Some(ApplicantField::Relationship) => pb::ApplicantField::Relationship,
        Some(ApplicantField::GroupNumber) => pb::ApplicantField::GroupNumber,
        Some(ApplicantField::DateOfBirth) => pb::ApplicantField::DateOfBirth,
        Some(ApplicantField::PatientName) => pb::ApplicantField::PatientName,
        Some(ApplicantField::SubscriberName) => pb::ApplicantField::SubscriberName,
    }
}

fn rejection_class_to_proto(class: AaaClass) -> pb::RejectionClass {
    match class {
        AaaClass::FixApplicant(_) => pb::RejectionClass::FixApplicant,
        AaaClass::Transient => pb::RejectionClass::Transient,
        AaaClass::ProviderSetup => pb::RejectionClass::ProviderSetup,
        AaaClass::Other => pb::RejectionClass::Other,
    }
}

/// The class of a rejection read back from the API; `None` for an unspecified class, or a fix without a field.
fn rejection_class_from_proto(class: i32, field: i32) -> Option<AaaClass> {
    Some(match pb::RejectionClass::try_from(class).ok()? {
        pb::RejectionClass::Unspecified => return None,
        pb::RejectionClass::Transient => AaaClass::Transient,
        pb::RejectionClass::ProviderSetup => AaaClass::ProviderSetup,
        pb::RejectionClass::Other => AaaClass::Other,
        pb::RejectionClass::FixApplicant => {
            let field = ApplicantField::ALL.into_iter().find(|f| applicant_field_to_proto(Some(*f)) as i32 == field)?;
            AaaClass::FixApplicant(field)
        }
    })
}

fn rejection_to_proto(r: &CarrierRejection) -> pb::CarrierRejection {
    pb::CarrierRejection {
        code: r.code.clone(),
        description: r.description.clone(),
        rejection_class: rejection_class_to_proto(r.class) as i32,
        field: applicant_field_to_proto(r.class.field()) as i32,
        source: r.source.clone().unwrap_or_default(),
        // A code this service does not know still reaches the API, with no meaning.
        follow_up: match (r.follow_up, &r.follow_up_code) {
            (Some(action), _) => {
                Some(pb::FollowUpAction { code: action.code().to_owned(), meaning: action.meaning().to_owned() })
            }
            (None, Some(code)) => Some(pb::FollowUpAction { code: code.clone(), meaning: String::new() }),
            (None, None) => None,
        },
    }
}

/// A rejection read back from the API; `None` for an unspecified class.
fn rejection_from_proto(r: &pb::CarrierRejection) -> Option<CarrierRejection> {
    Some(CarrierRejection {
        code: r.code.clone(),
        description: r.description.clone(),
        class: rejection_class_from_proto(r.rejection_class, r.field)?,
        source: known(&r.source),
        follow_up: r.follow_up.as_ref().and_then(|f| FollowUpAction::parse(&f.code)),
        follow_up_code: r.follow_up.as_ref().and_then(|f| follow_up_code(&f.code)),
    })
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
        plan_dates: plan_dates_to_proto(&b.plan_dates),
        plan_statuses: b
            .plan_statuses
            .iter()
            .map(|s| pb::PlanStatus {
                status_code: s.status_code.clone(),
                active: s.active,
                plan_details: s.plan_details.clone().unwrap_or_default(),
                service_type_codes: s.service_type_codes.clone(),
            })
            .collect(),
        payer_name: b.payer_name.clone().unwrap_or_default(),
        patient_is_dependent: b.patient_is_dependent,
        dependent_relationship: b.dependent_relationship.clone().unwrap_or_default(),
        carve_out_phone: b.carve_out_phone.clone().unwrap_or_default(),
        rejections: b.rejections.iter().map(rejection_to_proto).collect(),
    }
}

/// An empty string as unknown.
fn known(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn accumulator_from_proto(a: Option<&pb::Accumulator>) -> Accumulator {
    a.map_or_else(Accumulator::default, |a| Accumulator {
        total_cents: a.total_cents,
        remaining_cents: a.remaining_cents,
    })
}

fn cost_share_from_proto(c: Option<&pb::CostShare>) -> CostShare {
    let Some(c) = c else { return CostShare::default() };
    CostShare {
        copay_cents: c.copay_cents,
        coinsurance_percent: c.coinsurance_percent,
        deductible_individual: accumulator_from_proto(c.deductible_individual.as_ref()),
        deductible_family: accumulator_from_proto(c.deductible_family.as_ref()),
        out_of_pocket_individual: accumulator_from_proto(c.out_of_pocket_individual.as_ref()),
        out_of_pocket_family: accumulator_from_proto(c.out_of_pocket_family.as_ref()),
        copay_period_code: known(&c.copay_period_code),
        copay_period: known(&c.copay_period),
        not_covered: c.not_covered,
    }
}

/// Maps a benefit summary from the API back to the domain (the CLI renders what the service returned with
/// [`crate::report`]). The inverse of [`benefits_to_proto`]: empty strings are unknown, unknown enum values
/// are dropped.
pub fn benefits_from_proto(b: &pb::BenefitSummary) -> BenefitSummary {
    let dates = b.plan_dates.clone().unwrap_or_default();
    BenefitSummary {
        plan_name: known(&b.plan_name),
        group_number: known(&b.group_number),
        coverage_active: b.coverage_active,
        plan_begin_date: known(&b.plan_begin_date),
        plan_end_date: known(&b.plan_end_date),
        insurance_type_code: known(&b.insurance_type_code),
        categories: b
            .categories
            .iter()
            .map(|c| CategoryBenefit {
                service_type_code: c.service_type_code.clone(),
                label: c.label.clone(),
                active: c.active,
                in_network: cost_share_from_proto(c.in_network.as_ref()),
                out_of_network: cost_share_from_proto(c.out_of_network.as_ref()),
                network_unspecified: cost_share_from_proto(c.network_unspecified.as_ref()),
                prior_authorization_required: c.prior_authorization_required,
                limits: c.limits.clone(),
                messages: c.messages.clone(),
                network_indicator: network_indicator_from_proto(c.network_indicator),
                visit_limits: c
                    .visit_limits
                    .iter()
                    .map(|l| VisitLimit {
                        quantity: l.quantity,
                        unit_code: known(&l.unit_code),
                        unit: known(&l.unit),
                        period_code: known(&l.period_code),
                        period: known(&l.period),
                        period_count: l.period_count,
                        remaining: l.remaining,
                        amount_cents: l.amount_cents,
                        network: network_tier_from_proto(l.network),
                        description: known(&l.description),
                    })
                    .collect(),
                coverage_begin_date: known(&c.coverage_begin_date),
                coverage_end_date: known(&c.coverage_end_date),
                rejections: c.rejections.iter().filter_map(rejection_from_proto).collect(),
            })
            .collect(),
        carve_out_administrator: known(&b.carve_out_administrator),
        messages: b.messages.clone(),
        plan_dates: PlanDates {
            plan_begin: known(&dates.plan_begin),
            plan_end: known(&dates.plan_end),
            eligibility_begin: known(&dates.eligibility_begin),
            eligibility_end: known(&dates.eligibility_end),
            policy_effective: known(&dates.policy_effective),
            policy_expiration: known(&dates.policy_expiration),
            service: known(&dates.service),
            premium_paid_to_end: known(&dates.premium_paid_to_end),
        },
        plan_statuses: b
            .plan_statuses
            .iter()
            .map(|s| PlanStatus {
                status_code: s.status_code.clone(),
                active: s.active,
                plan_details: known(&s.plan_details),
                service_type_codes: s.service_type_codes.clone(),
            })
            .collect(),
        payer_name: known(&b.payer_name),
        patient_is_dependent: b.patient_is_dependent,
        dependent_relationship: known(&b.dependent_relationship),
        carve_out_phone: known(&b.carve_out_phone),
        rejections: b.rejections.iter().filter_map(rejection_from_proto).collect(),
    }
}

fn screening_to_proto(s: &ScreeningDecision) -> pb::ScreeningDecision {
    pb::ScreeningDecision {
        verdict: verdict_to_proto(s.verdict) as i32,
        rule: s.rule.clone(),
        reason: s.reason.clone(),
    }
}

fn control_numbers_to_proto(numbers: &ControlNumbers) -> pb::ControlNumbers {
    pb::ControlNumbers {
        interchange: numbers.interchange.clone().unwrap_or_default(),
        group: numbers.group.clone().unwrap_or_default(),
        transaction: numbers.transaction.clone().unwrap_or_default(),
        trace: numbers.trace.clone().unwrap_or_default(),
        other_requests: numbers.other_requests.iter().map(control_numbers_to_proto).collect(),
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
        control_numbers: (!a.control_numbers.is_empty()).then(|| control_numbers_to_proto(&a.control_numbers)),
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
            next_attempt_at: v.next_attempt_at.filter(|_| v.status == crate::domain::Status::Pending).map(timestamp),
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

    fn text() -> impl Strategy<Value = Option<String>> {
        prop::option::of("[A-Za-z0-9 ./-]{1,20}")
    }

    fn accumulator() -> impl Strategy<Value = Accumulator> {
        (prop::option::of(0i64..10_000_000), prop::option::of(0i64..10_000_000))
            .prop_map(|(total_cents, remaining_cents)| Accumulator { total_cents, remaining_cents })
    }

    fn cost_share() -> impl Strategy<Value = CostShare> {
        (prop::option::of(0i64..100_000), prop::option::of(0.0f64..100.0), accumulator(), accumulator()).prop_map(
            |(copay_cents, coinsurance_percent, deductible_individual, out_of_pocket_family)| CostShare {
                copay_cents,
                coinsurance_percent,
                deductible_individual,
                out_of_pocket_family,
                ..CostShare::default()
            },
        )
    }

    fn network_tier() -> impl Strategy<Value = NetworkTier> {
        prop::sample::select(vec![NetworkTier::InNetwork, NetworkTier::OutOfNetwork, NetworkTier::Unspecified])
    }

    fn visit_limit() -> impl Strategy<Value = VisitLimit> {
        (
            prop::option::of(0.0f64..1_000.0),
            text(),
            text(),
            prop::option::of(1u32..12),
            prop::option::of(0.0f64..100.0),
            network_tier(),
        )
            .prop_map(|(quantity, unit, period, period_count, remaining, network)| VisitLimit {
                quantity,
                unit_code: unit.as_ref().map(|_| "VS".to_owned()),
                unit,
                period_code: period.as_ref().map(|_| "23".to_owned()),
                period,
                period_count,
                remaining,
                amount_cents: None,
                network,
                description: None,
            })
    }

    fn category() -> impl Strategy<Value = CategoryBenefit> {
        (
            prop::sample::select(vec!["30", "AI", "MH", "CJ", "98"]),
            prop::option::of(any::<bool>()),
            cost_share(),
            cost_share(),
            prop::option::of(any::<bool>()),
            prop::option::of(prop::sample::select(vec![
                NetworkIndicator::InNetwork,
                NetworkIndicator::OutOfNetwork,
                NetworkIndicator::NotApplicable,
                NetworkIndicator::Unknown,
            ])),
            prop::collection::vec(visit_limit(), 0..3),
            text(),
        )
            .prop_map(|(code, active, in_network, out_of_network, auth, indicator, visit_limits, begin)| {
                CategoryBenefit {
                    service_type_code: code.to_owned(),
                    label: crate::domain::benefits::service_type_label(code).to_owned(),
                    active,
                    in_network,
                    out_of_network,
                    prior_authorization_required: auth,
                    network_indicator: indicator,
                    visit_limits,
                    coverage_begin_date: begin,
                    limits: vec!["30 Visits per Calendar Year".to_owned()],
                    ..CategoryBenefit::default()
                }
            })
    }

    fn rejection() -> impl Strategy<Value = CarrierRejection> {
        (
            prop::sample::select(crate::carriers::aaa::AAA_CODES.to_vec()),
            prop::option::of(prop::sample::select(FollowUpAction::ALL.to_vec())),
            prop::option::of(prop::sample::select(vec!["subscriber", "dependent", "payer"])),
        )
            .prop_map(|(row, follow_up, source)| CarrierRejection {
                code: row.code.to_owned(),
                description: row.description.to_owned(),
                class: row.class,
                source: source.map(str::to_owned),
                follow_up,
                follow_up_code: follow_up.map(|action| action.code().to_owned()),
            })
    }

    fn summary() -> impl Strategy<Value = BenefitSummary> {
        (
            (text(), text(), prop::option::of(any::<bool>()), text(), text()),
            prop::collection::vec(category(), 0..4),
            (text(), text(), prop::option::of(any::<bool>()), text()),
            prop::collection::vec(rejection(), 0..3),
        )
            .prop_map(
                |(
                    (plan_name, group_number, coverage_active, begin, paid_to),
                    categories,
                    (payer, carve_out, dependent, relationship),
                    rejections,
                )| {
                    BenefitSummary {
                        plan_name,
                        group_number,
                        coverage_active,
                        plan_begin_date: begin.clone(),
                        plan_dates: PlanDates {
                            plan_begin: begin,
                            premium_paid_to_end: paid_to,
                            ..PlanDates::default()
                        },
                        plan_statuses: vec![PlanStatus {
                            status_code: "1".to_owned(),
                            active: Some(true),
                            plan_details: None,
                            service_type_codes: vec!["30".to_owned()],
                        }],
                        categories,
                        payer_name: payer,
                        carve_out_administrator: carve_out,
                        patient_is_dependent: dependent,
                        dependent_relationship: relationship,
                        rejections,
                        messages: vec!["BENEFITS ARE NOT A GUARANTEE OF PAYMENT".to_owned()],
                        ..BenefitSummary::default()
                    }
                },
            )
    }

    #[test]
    fn a_rejection_class_without_its_field_does_not_read_back() {
        assert_eq!(rejection_class_from_proto(pb::RejectionClass::FixApplicant as i32, 0), None);
        assert_eq!(rejection_class_from_proto(pb::RejectionClass::Unspecified as i32, 0), None);
        assert_eq!(rejection_class_from_proto(99, 0), None);
        assert_eq!(
            rejection_class_from_proto(pb::RejectionClass::FixApplicant as i32, pb::ApplicantField::DateOfBirth as i32),
            Some(AaaClass::FixApplicant(ApplicantField::DateOfBirth))
        );
    }

    proptest! {
        #[test]
        fn a_benefit_summary_survives_the_trip_through_the_api(summary in summary()) {
            let there = benefits_to_proto(&summary);
            let back = benefits_from_proto(&there);

            prop_assert_eq!(back, summary);
        }

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
