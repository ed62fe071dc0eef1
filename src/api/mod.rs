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

pub use auth::{Authenticator, Role};
pub use error::ApiError;
pub use service::VerificationApi;
