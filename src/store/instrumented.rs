//! A [`Store`] that times every operation of the store it wraps into the `iv_store_operation_duration_seconds`
//! histogram (by operation, backend and result), so ops see the database's share of a verification's time
//! without either backend knowing about metrics.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{ClaimFilter, ClaimedWork, InsertOutcome, ListQuery, RetryOutcome, Store, StoreError};
use crate::domain::{CarrierAttempt, NewVerification, RouteChoice, Transition, Verification};
use crate::telemetry::metrics;

/// Wraps a store and records each operation's latency.
pub struct InstrumentedStore {
    inner: Arc<dyn Store>,
}

impl InstrumentedStore {
    /// Times every operation of `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        InstrumentedStore { inner }
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = call.await;
        // A lost lease is an answer about the work, not a failing database.
        let ok = matches!(result, Ok(_) | Err(StoreError::LeaseLost(_)));
        metrics::store_operation(operation, self.inner.backend(), ok, started.elapsed());
        result
    }
}

#[async_trait]
impl Store for InstrumentedStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        self.timed("migrate", self.inner.migrate()).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.timed("ping", self.inner.ping()).await
    }

    async fn insert_verification(&self, new: &NewVerification) -> Result<InsertOutcome, StoreError> {
        self.timed("insert_verification", self.inner.insert_verification(new)).await
    }

    async fn get_verification(&self, id: Uuid) -> Result<Option<Verification>, StoreError> {
        self.timed("get_verification", self.inner.get_verification(id)).await
    }

    async fn list_verifications(&self, query: &ListQuery) -> Result<Vec<Verification>, StoreError> {
        self.timed("list_verifications", self.inner.list_verifications(query)).await
    }

    async fn claim_due_filtered(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
        filter: &ClaimFilter,
    ) -> Result<Vec<ClaimedWork>, StoreError> {
        self.timed("claim_due", self.inner.claim_due_filtered(worker, now, lease, limit, filter)).await
    }

    async fn claim_one(
        &self,
        id: Uuid,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<ClaimedWork>, StoreError> {
        self.timed("claim_one", self.inner.claim_one(id, worker, now, lease)).await
    }

    async fn record_attempt(
        &self,
        claim: &ClaimedWork,
        attempt: &CarrierAttempt,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError> {
        self.timed("record_attempt", self.inner.record_attempt(claim, attempt, transition, now)).await
    }

    async fn close_claim(
        &self,
        claim: &ClaimedWork,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError> {
        self.timed("close_claim", self.inner.close_claim(claim, transition, now)).await
    }

    async fn release_claim(&self, claim: &ClaimedWork) -> Result<(), StoreError> {
        self.timed("release_claim", self.inner.release_claim(claim)).await
    }

    async fn defer_claim(&self, claim: &ClaimedWork, next_attempt_at: OffsetDateTime) -> Result<(), StoreError> {
        self.timed("defer_claim", self.inner.defer_claim(claim, next_attempt_at)).await
    }

    async fn request_retry(
        &self,
        id: Uuid,
        route: Option<&RouteChoice>,
        trace_context: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<RetryOutcome, StoreError> {
        self.timed("request_retry", self.inner.request_retry(id, route, trace_context, now)).await
    }

    async fn pending_summary(&self) -> Result<(u64, Option<OffsetDateTime>), StoreError> {
        self.timed("pending_summary", self.inner.pending_summary()).await
    }
}
