//! The gRPC face: the generated contract ([`pb`]), proto <-> domain conversion at the edge, bearer-token
//! roles, error -> `Status` mapping, and the `VerificationService` implementation.

pub mod auth;
pub mod convert;
pub mod error;
pub mod page_token;
pub mod service;

/// Code generated from `proto/insurance/verification/v1/verification.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("insurance.verification.v1");

    /// The encoded descriptor set of the contract, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("verification_descriptor");
}

/// A valid website form for tests and benchmarks across the crate (synthetic values, never real PHI).
#[doc(hidden)]
pub mod samples {
    use super::pb;

    /// A self-insured applicant with the given carrier, member ID and plan type, a phone and an e-mail,
    /// consent given, no `request_id` and no wait.
    pub fn submit_form(carrier: &str, member_id: &str, plan_type: pb::PlanType) -> pb::SubmitVerificationRequest {
        pb::SubmitVerificationRequest {
            applicant: Some(pb::Person {
                first_name: "Jordan".into(),
                last_name: "Sample".into(),
                middle_name: String::new(),
                date_of_birth: "1988-04-12".into(),
            }),
            relationship: pb::SubscriberRelationship::Self_ as i32,
            subscriber: None,
            card: Some(pb::InsuranceCard {
                carrier_name: carrier.into(),
                plan_name: String::new(),
                payer_id: String::new(),
                member_id: member_id.into(),
                group_number: String::new(),
                plan_type: plan_type as i32,
            }),
            contact: Some(pb::Contact {
                phone: "(502) 555-0142".into(),
                email: "jordan.sample@example.org".into(),
                preferred_time: "weekday mornings".into(),
            }),
            consent: true,
            source: "website".into(),
            request_id: String::new(),
            wait_for_result: None,
        }
    }
}

pub use auth::{Authenticator, Role};
pub use error::ApiError;
pub use service::{ApiLimits, VerificationApi};
