//! Carrier connectors and the carrier directory.
//!
//! The directory maps what an applicant typed (payer ID, carrier name) to a route; a connector speaks one wire
//! format to one carrier endpoint over HTTP and turns the reply into an [`AttemptOutput`].

use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::domain::{AttemptResult, ControlNumbers, VerificationRequest};

pub mod aaa;
pub mod caqh_core;
pub mod directory;
pub mod eligibility_json;
pub mod http;
pub mod json_summary;
pub mod raw_x12;
pub mod x12;
pub mod x12_exchange;

pub use directory::{CarrierRoute, Directory, DirectoryError, WireFormat};
pub use eligibility_json::EligibilityJsonConnector;

/// The clinic as the information receiver / provider in eligibility requests (NPI and organisation name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The clinic's 10-digit National Provider Identifier.
    pub npi: String,
    /// The clinic's organisation name.
    pub organization_name: String,
}

/// One eligibility question for a carrier.
#[derive(Debug, Clone, Copy)]
pub struct EligibilityQuery<'a> {
    /// The verification this attempt belongs to (for tracing; never sent as PHI).
    pub verification_id: Uuid,
    /// The attempt number, 1-based.
    pub attempt_number: u32,
    /// What the applicant submitted (PHI).
    pub request: &'a VerificationRequest,
    /// The payer ID to address.
    pub payer_id: &'a str,
    /// The carrier's name as the directory spells it (sent where a wire format names the payer, e.g. the 270's
    /// `NM1*PR`): the directory's name, not what the applicant typed.
    pub payer_name: &'a str,
    /// The clinic.
    pub provider: &'a Provider,
    /// X12 service type codes to ask about (e.g. `30`, `AI`, `MH`).
    pub service_types: &'a [&'a str],
}

/// Everything one carrier call produced, for the attempt record and the lifecycle decision. Its `Debug` output
/// shows the raw bodies (PHI) by size only.
#[derive(Clone)]
pub struct AttemptOutput {
    /// HTTP status, when a response came back.
    pub http_status: Option<u16>,
    /// The request body sent (PHI, kept in the store only).
    pub raw_request: Option<String>,
    /// The response body received (PHI, kept in the store only).
    pub raw_response: Option<String>,
    /// The carrier's error code, e.g. `AAA:42` or `HTTP:503`.
    pub error_code: Option<String>,
    /// How the call ended.
    pub result: AttemptResult,
    /// How long the call took.
    pub latency: Duration,
    /// The control numbers the request carried, stored with the attempt so it can be traced with the carrier.
    pub control_numbers: ControlNumbers,
}

impl std::fmt::Debug for AttemptOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::domain::verification::BodySize;
        f.debug_struct("AttemptOutput")
            .field("http_status", &self.http_status)
            .field("raw_request", &BodySize(self.raw_request.as_deref()))
            .field("raw_response", &BodySize(self.raw_response.as_deref()))
            .field("error_code", &self.error_code)
            .field("result", &self.result)
            .field("latency", &self.latency)
            .field("control_numbers", &self.control_numbers)
            .finish()
    }
}

/// Speaks one wire format to one carrier.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// Asks the carrier about one member. Never fails as a Rust error: every failure is an [`AttemptOutput`]
    /// with a failure class, so the dispatcher can record it.
    async fn check_eligibility(&self, query: EligibilityQuery<'_>) -> AttemptOutput;
}

/// Why a connector could not be built for a route. Texts name routes and environment variables, never secrets.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The route's endpoint URL is not valid.
    #[error("carrier `{route}`: invalid endpoint URL: {reason}")]
    InvalidUrl {
        /// The route id.
        route: String,
        /// Why.
        reason: String,
    },
    /// The route names a credential variable that is not set (or empty).
    #[error("carrier `{route}`: environment variable {env} (its bearer token) is not set")]
    MissingCredential {
        /// The route id.
        route: String,
        /// The variable's name.
        env: String,
    },
    /// The credential holds characters an HTTP header cannot carry.
    #[error("carrier `{route}`: the token in {env} is not a valid HTTP header value")]
    InvalidCredential {
        /// The route id.
        route: String,
        /// The variable's name.
        env: String,
    },
    /// The HTTP client could not be built.
    #[error("carrier `{route}`: cannot build the HTTP client: {reason}")]
    Client {
        /// The route id.
        route: String,
        /// Why.
        reason: String,
    },
}
