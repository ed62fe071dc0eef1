//! Errors of the gRPC face, each mapped to exactly one `tonic::Code` in one exhaustive `match`.
//! Internal causes are logged (they hold no PHI) and clients get a fixed message.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::Violations;
use crate::store::StoreError;

/// Everything an RPC can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request has invalid fields; every one is listed.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// No verification with that id.
    #[error("verification not found")]
    NotFound,
    /// The `request_id` was already used for a request with different content.
    #[error("request_id was already used for a different request")]
    RequestIdConflict,
    /// No or an unknown bearer token.
    #[error("missing or invalid bearer token")]
    Unauthenticated,
    /// The token's role may not call this RPC.
    #[error("this token's role may not call {0}")]
    PermissionDenied(&'static str),
    /// Too many calls in flight on this replica: refused at once rather than queued.
    #[error("too many requests in flight")]
    Overloaded,
    /// The verification cannot be sent to a carrier again; `reason` is a stable code, `description` says why.
    #[error("verification cannot be retried: {description}")]
    NotRetryable {
        /// Stable reason code (google.rpc.PreconditionFailure type).
        reason: &'static str,
        /// What a person should do instead.
        description: &'static str,
    },
    /// The store cannot be reached right now; the caller may retry.
    #[error("store unavailable")]
    StoreUnavailable(#[source] StoreError),
    /// Anything else: a bug or corrupt data.
    #[error("internal error")]
    Internal(#[source] StoreError),
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => ApiError::StoreUnavailable(error),
            StoreError::Query(_)
            | StoreError::Migration(_)
            | StoreError::Corrupt(_)
            | StoreError::LeaseLost(_)
            | StoreError::UnsupportedUrl => ApiError::Internal(error),
        }
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for violation in violations.iter() {
                    details.add_bad_request_violation(violation.field.clone(), violation.description.clone());
                }
                Status::with_error_details(Code::InvalidArgument, format!("invalid request: {violations}"), details)
            }
            ApiError::NotFound => Status::not_found("verification not found"),
            ApiError::RequestIdConflict => {
                Status::already_exists("request_id was already used for a request with different content")
            }
            ApiError::Unauthenticated => Status::unauthenticated("missing or invalid bearer token"),
            ApiError::PermissionDenied(rpc) => {
                Status::permission_denied(format!("this token's role may not call {rpc}"))
            }
            ApiError::Overloaded => {
                let mut details = ErrorDetails::new();
                details.set_retry_info(Some(std::time::Duration::from_secs(1)));
                Status::with_error_details(
                    Code::ResourceExhausted,
                    "too many requests in flight on this server; retry shortly",
                    details,
                )
            }
            ApiError::NotRetryable { reason, description } => {
                let mut details = ErrorDetails::new();
                details.add_precondition_failure_violation(reason, "verification", description);
                Status::with_error_details(
                    Code::FailedPrecondition,
                    format!("verification cannot be retried: {description}"),
                    details,
                )
            }
            ApiError::StoreUnavailable(cause) => {
                tracing::warn!(error = %cause, "store unavailable");
                Status::unavailable("the service cannot reach its database; retry shortly")
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                Status::internal("internal error")
            }
        }
    }
}
