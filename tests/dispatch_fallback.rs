//! When the store refuses a carrier's result, the dispatcher records the attempt as unreadable and hands the
//! verification to a person, instead of calling the carrier again every lease period.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use insurance_verifier::carriers::{Directory, Provider};
use insurance_verifier::config::Settings;
use insurance_verifier::dispatch::{ChangeFeed, Dispatcher, DispatcherSettings};
use insurance_verifier::domain::lifecycle::{RouteChoice, admit};
use insurance_verifier::domain::test_support::sample_request;
use insurance_verifier::domain::verification::truncate_to_micros;
use insurance_verifier::domain::{
    AttemptResultClass, CarrierAttempt, NewVerification, Outcome, RetryPolicy, ScreeningDecision, Status, Transition,
    Verification,
};
use insurance_verifier::screening::Screener;
use insurance_verifier::store::{
    ClaimFilter, ClaimedWork, InsertOutcome, ListQuery, RetryOutcome, SqliteStore, Store, StoreError,
};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A real SQLite store that refuses every `Complete` result, as a store does with data it cannot hold.
struct RefusesAnswers {
    inner: SqliteStore,
    refused: AtomicU32,
}

#[async_trait]
impl Store for RefusesAnswers {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn migrate(&self) -> Result<(), StoreError> {
        self.inner.migrate().await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    async fn insert_verification(&self, new: &NewVerification) -> Result<InsertOutcome, StoreError> {
        self.inner.insert_verification(new).await
    }
    async fn get_verification(&self, id: Uuid) -> Result<Option<Verification>, StoreError> {
        self.inner.get_verification(id).await
    }
    async fn list_verifications(&self, query: &ListQuery) -> Result<Vec<Verification>, StoreError> {
        self.inner.list_verifications(query).await
    }
    async fn claim_due_filtered(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
        filter: &ClaimFilter,
    ) -> Result<Vec<ClaimedWork>, StoreError> {
        self.inner.claim_due_filtered(worker, now, lease, limit, filter).await
    }
    async fn close_claim(
        &self,
        claim: &ClaimedWork,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError> {
        self.inner.close_claim(claim, transition, now).await
    }
    async fn defer_claim(&self, claim: &ClaimedWork, next_attempt_at: OffsetDateTime) -> Result<(), StoreError> {
        self.inner.defer_claim(claim, next_attempt_at).await
    }
    async fn request_retry(
        &self,
        id: Uuid,
        route: Option<&RouteChoice>,
        trace_context: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<RetryOutcome, StoreError> {
        self.inner.request_retry(id, route, trace_context, now).await
    }
    async fn claim_one(
        &self,
        id: Uuid,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<ClaimedWork>, StoreError> {
        self.inner.claim_one(id, worker, now, lease).await
    }
    async fn record_attempt(
        &self,
        claim: &ClaimedWork,
        attempt: &CarrierAttempt,
        transition: &Transition,
        now: OffsetDateTime,
    ) -> Result<Verification, StoreError> {
        if matches!(transition, Transition::Complete { .. }) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Query(sqlx::Error::Protocol("value refused by the database".into())));
        }
        self.inner.record_attempt(claim, attempt, transition, now).await
    }
    async fn release_claim(&self, claim: &ClaimedWork) -> Result<(), StoreError> {
        self.inner.release_claim(claim).await
    }
    async fn pending_summary(&self) -> Result<(u64, Option<OffsetDateTime>), StoreError> {
        self.inner.pending_summary().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_the_store_refuses_fails_the_verification_without_calling_the_carrier_again() {
    // Arrange
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("v.db").display());
    let inner = SqliteStore::connect(&url, 4).await.expect("sqlite");
    let store = Arc::new(RefusesAnswers { inner, refused: AtomicU32::new(0) });
    store.migrate().await.expect("migrate");
    let sandbox = insurance_verifier::sandbox::spawn("127.0.0.1:0".parse().expect("addr")).await.expect("sandbox");
    let route = RouteChoice { carrier: "sandbox".into(), payer_id: "SANDBOX".into() };
    let now = truncate_to_micros(OffsetDateTime::now_utc());
    let new = admit(Uuid::now_v7(), None, sample_request(), ScreeningDecision::forward(), Some(route), now);
    store.insert_verification(&new).await.expect("insert");
    let defaults = Settings::default();
    let dispatcher = Dispatcher::new(
        store.clone(),
        Arc::new(Directory::sandbox(&sandbox.base_url())),
        Arc::new(Screener::embedded()),
        Provider { npi: "1234567893".into(), organization_name: "Test Clinic".into() },
        ChangeFeed::new(16),
        DispatcherSettings {
            worker_id: "test".into(),
            concurrency: 4,
            poll_interval: Duration::from_millis(20),
            // Short, so that a dispatcher that left the claim leased would call the carrier again within the test.
            lease: Duration::from_millis(300),
            retry: RetryPolicy::default(),
            verification_deadline: Duration::from_secs(600),
            circuit_breaker: defaults.dispatcher.circuit_breaker.clone(),
            retry_budget: defaults.dispatcher.retry_budget.clone(),
        },
    )
    .expect("dispatcher");
    let stop = CancellationToken::new();
    let running = tokio::spawn(Arc::new(dispatcher).run(stop.clone(), Duration::from_secs(2)));

    // Act: give it time for several lease periods.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let verification = loop {
        let v = store.get_verification(new.id).await.expect("get").expect("stored");
        if v.status != Status::Pending || tokio::time::Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    stop.cancel();
    running.await.expect("dispatcher stops");

    // Assert
    assert_eq!(verification.status, Status::Failed);
    assert_eq!(verification.outcome, Some(Outcome::CarrierRejected));
    assert_eq!(verification.attempts.len(), 1);
    assert_eq!(verification.attempts[0].result_class, AttemptResultClass::InvalidResponse);
    assert!(verification.attempts[0].raw_response.is_some(), "the carrier's body is kept for audit");
    assert_eq!(store.refused.load(Ordering::SeqCst), 1);
    assert_eq!(sandbox.requests_served(), 1, "the carrier was called once, not once per lease period");
}
