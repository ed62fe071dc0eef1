//! Persistence: one [`Store`] trait with a SQLite (embedded default) and a PostgreSQL (shared by replicas)
//! implementation. Both pass the same conformance suite (`tests/store_conformance.rs`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{
    CarrierAttempt, FollowUpState, NewVerification, Outcome, RouteChoice, Status, Transition, Verification,
    VerificationRequest,
};

mod instrumented;
pub mod postgres;
mod rows;
mod shared;
mod sql;
pub mod sqlite;

pub use instrumented::InstrumentedStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or the connection failed.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A query failed for another reason.
    #[error("database query failed: {0}")]
    Query(#[source] sqlx::Error),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored row could not be decoded into domain values (a bug or a hand-edited row).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The claim's lease was lost (it expired and another worker took the work): nothing was written.
    #[error("lease lost for verification {0}")]
    LeaseLost(Uuid),
    /// The database URL names no supported backend.
    #[error("unsupported database URL scheme (expected sqlite: or postgres:)")]
    UnsupportedUrl,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error),
            // A stored value that does not decode into its Rust type (a bad UUID or timestamp in SQLite, say)
            // is corrupt data, not a failed query. sqlx's message names the column, not the value.
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt(error.to_string()),
            sqlx::Error::Database(ref database) if is_transient(database.code().as_deref()) => {
                StoreError::Unavailable(error)
            }
            other => StoreError::Query(other),
        }
    }
}

/// Database error codes that mean "try again shortly", not "this query is wrong": the caller gets UNAVAILABLE
/// (which clients retry) instead of INTERNAL.
fn is_transient(code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    matches!(
        code,
        // PostgreSQL: serialization failure, deadlock, lock not available, admin/crash shutdown, cannot connect now.
        "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03"
        // SQLite (extended codes included): SQLITE_BUSY (5, 261, 517, 773) and SQLITE_LOCKED (6, 262).
        | "5" | "261" | "517" | "773" | "6" | "262"
    ) || code.starts_with("08") // PostgreSQL connection exceptions
        || code.starts_with("53") // PostgreSQL insufficient resources (too many connections, out of memory)
}

/// What inserting a new verification did.
#[derive(Debug, Clone)]
pub enum InsertOutcome {
    /// A new verification was stored.
    Created(Verification),
    /// A verification with the same `request_id` already existed; it is returned unchanged. Compare its
    /// `fingerprint` to tell a retried submit from a conflicting one.
    Existing(Verification),
}

/// The most verifications one [`Store::list_verifications`] call returns, whatever [`ListQuery::limit`] asks.
pub const MAX_LIST_LIMIT: u32 = 1000;

/// Which verifications a list returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Only verifications whose change cursor is greater than this.
    pub after_cursor: i64,
    /// At most this many (and never more than [`MAX_LIST_LIMIT`]; 0 returns none).
    pub limit: u32,
    /// Only these statuses (empty: any).
    pub statuses: Vec<Status>,
    /// Only these outcomes (empty: any).
    pub outcomes: Vec<Outcome>,
    /// Only these follow-up states (empty: any).
    pub follow_up_states: Vec<FollowUpState>,
}

/// Work claimed by a dispatcher worker: a pending verification and the lease that lets the worker record its
/// result. Holds PHI (the request), which the connector needs.
#[derive(Debug, Clone)]
pub struct ClaimedWork {
    /// The verification id.
    pub verification_id: Uuid,
    /// The request to send.
    pub request: VerificationRequest,
    /// The routed carrier directory id.
    pub carrier: String,
    /// The routed payer ID.
    pub payer_id: String,
    /// Attempts already recorded (the next one is `attempts_made + 1`).
    pub attempts_made: u32,
    /// Attempts recorded since the current round began (at creation, or when a person asked for a retry): the
    /// retry policy's attempt limit counts these.
    pub attempts_in_round: u32,
    /// When the current round began: the verification's deadline runs from here.
    pub round_started_at: OffsetDateTime,
    /// The W3C `traceparent` of the submit that created the verification, when it was traced: the dispatcher's
    /// spans for this work join that trace.
    pub trace_context: Option<String>,
    /// The lease token; recording a result requires it to still be held.
    pub lease_token: Uuid,
    /// When the lease expires.
    pub lease_expires_at: OffsetDateTime,
}

/// Which due work [`Store::claim_due_filtered`] may take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimFilter {
    /// Carriers this worker cannot call now (its bulkhead is full, its circuit is open, its rate limit is spent):
    /// their work stays in the store for later or for another replica, instead of holding a worker slot here.
    pub skip_carriers: Vec<String>,
    /// Work of a skipped carrier is claimed all the same when its round began at or before this instant: it is
    /// past its deadline and is closed without a call.
    pub overdue_before: Option<OffsetDateTime>,
}

/// What [`Store::request_retry`] did.
#[derive(Debug, Clone)]
pub enum RetryOutcome {
    /// The ended verification is pending again: a new round of attempts, due now.
    Reopened(Verification),
    /// It was still pending; it is now due (if its next attempt was later).
    AlreadyPending(Verification),
    /// It cannot be sent again (refused up front, a government plan found, or no carrier to call).
    NotRetryable(Verification),
    /// No verification has this id.
    NotFound,
}

/// Persistence of verifications. Every method is atomic: it either fully happens or not at all.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is (`sqlite` or `postgres`), for telemetry.
    fn backend(&self) -> &'static str;

    /// Applies pending migrations. Called at start-up before the service reports SERVING.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Stores a new verification, or returns the existing one when `request_id` was used before (including
    /// by a concurrent insert: exactly one verification is created per `request_id`). Assigns the change
    /// cursor.
    async fn insert_verification(&self, new: &NewVerification) -> Result<InsertOutcome, StoreError>;

    /// One verification with all its attempts.
    async fn get_verification(&self, id: Uuid) -> Result<Option<Verification>, StoreError>;

    /// Verifications matching `query`, in change-cursor order, with their attempts.
    async fn list_verifications(&self, query: &ListQuery) -> Result<Vec<Verification>, StoreError>;

    /// Claims up to `limit` pending verifications that are due (`next_attempt_at <= now`) and not leased (or
    /// whose lease expired), oldest due first, leasing each for `lease`. Safe across processes: two workers
    /// never hold the same verification at once.
    async fn claim_due(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedWork>, StoreError> {
        self.claim_due_filtered(worker, now, lease, limit, &ClaimFilter::default()).await
    }

    /// [`Store::claim_due`], leaving out the work `filter` skips.
    async fn claim_due_filtered(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
        filter: &ClaimFilter,
    ) -> Result<Vec<ClaimedWork>, StoreError>;

    /// Claims one pending verification by id, whether or not it is due yet, unless another worker holds an
    /// unexpired lease on it or it is no longer pending.
    async fn claim_one(
        &self,
        id: Uuid,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<ClaimedWork>, StoreError>;

    /// Records one carrier attempt and applies its transition in one transaction, if `claim.lease_token`
    /// still holds the verification; otherwise writes nothing and returns [`StoreError::LeaseLost`]. Releases
    /// the lease. Bumps the change cursor. Returns the updated verification.
    async fn record_attempt(
        &self,
        claim: &ClaimedWork,
        attempt: &CarrierAttempt,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError>;

    /// Applies `transition` (a [`Transition::Fail`]) without a carrier attempt, if `claim.lease_token` still
    /// holds the verification (else [`StoreError::LeaseLost`]): the verification ran past its deadline or its
    /// carrier left the directory. Releases the lease, bumps the change cursor, returns the updated verification.
    async fn close_claim(
        &self,
        claim: &ClaimedWork,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError>;

    /// Gives a claim back without recording anything (shutdown, or work that could not be started), so
    /// another worker can take it at once.
    async fn release_claim(&self, claim: &ClaimedWork) -> Result<(), StoreError>;

    /// Gives a claim back without calling the carrier, due again at `next_attempt_at` (its circuit is open, or its
    /// retry budget is spent). Not an attempt: nothing visible changes. A lost lease is left alone.
    async fn defer_claim(&self, claim: &ClaimedWork, next_attempt_at: OffsetDateTime) -> Result<(), StoreError>;

    /// A person asks for a new carrier attempt (`RetryVerification`). An ended verification (completed or failed,
    /// but not refused up front and not a government plan found) becomes pending again with a new round: its own
    /// attempt budget and deadline, due at `now`, sent to `route` when given (the directory may have changed
    /// since), else to the stored carrier, with `trace_context` (the retry call's `traceparent`) replacing the stored
    /// one so the new round's attempts join the retry's trace. A pending one is made due now. Bumps the change
    /// cursor when reopened.
    async fn request_retry(
        &self,
        id: Uuid,
        route: Option<&RouteChoice>,
        trace_context: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<RetryOutcome, StoreError>;

    /// Number of pending verifications and the creation time of the oldest, for metrics.
    async fn pending_summary(&self) -> Result<(u64, Option<OffsetDateTime>), StoreError>;
}

/// Opens the store a database URL names (`sqlite://PATH` or `postgres://...`), creating a SQLite file and its
/// directory when missing. Does not migrate.
pub async fn connect(database_url: &str, max_connections: u32) -> Result<Arc<dyn Store>, StoreError> {
    connect_with_schema(database_url, max_connections, None).await
}

/// Like [`connect`]; for PostgreSQL, `schema` (when given) names the schema that holds the tables, created when
/// missing (see [`PostgresStore::connect_with_schema`]). SQLite has no schemas: it ignores `schema`.
pub async fn connect_with_schema(
    database_url: &str,
    max_connections: u32,
    schema: Option<&str>,
) -> Result<Arc<dyn Store>, StoreError> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(database_url, max_connections).await?))
    } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::connect_with_schema(database_url, max_connections, schema).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

#[cfg(test)]
mod tests {
    use super::is_transient;

    #[test]
    fn lock_contention_and_lost_connections_are_transient_but_constraint_violations_are_not() {
        for code in ["40001", "40P01", "57P01", "08006", "53300", "5", "517", "6"] {
            assert!(is_transient(Some(code)), "{code}");
        }
        for code in ["23505", "23514", "42P01", "19", "2067"] {
            assert!(!is_transient(Some(code)), "{code}");
        }
        assert!(!is_transient(None));
    }
}
