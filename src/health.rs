//! Liveness and readiness: what the gRPC health service (`grpc.health.v1`) reports, kept in step with the store.
//!
//! * `""` and [`SERVICE_NAME`]: SERVING only while the store answers [`Store::ping`] within
//!   `health.check_timeout` (the store is migrated before the server starts), NOT_SERVING while it does not, and
//!   NOT_SERVING for good once shutdown begins. Load balancers and Kubernetes readiness probes use these, so a
//!   replica that cannot reach its database is taken out of rotation instead of answering UNAVAILABLE.
//! * [`LIVENESS_SERVICE`]: SERVING from the moment the server runs until shutdown begins. A store outage does
//!   not touch it: restarting the process would not bring the database back.
//!
//! [`Readiness`] is the same state as cheap atomics, for the HTTP `/readyz` and `/livez` endpoints and the
//! `iv_store_up` gauge.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::config::HealthSettings;
use crate::startup::SERVICE_NAME;
use crate::store::{Store, StoreError};

/// The health service name that reports liveness: SERVING while the process runs, NOT_SERVING once shutdown
/// began. Unlike `""`, it stays SERVING while the store is down.
pub const LIVENESS_SERVICE: &str = "liveness";

/// The services that report readiness: the whole server (`""`) and the verification service.
const READINESS_SERVICES: [&str; 2] = ["", SERVICE_NAME];

/// The store has not been checked yet.
const STORE_UNKNOWN: u8 = 0;
/// The last check answered in time.
const STORE_UP: u8 = 1;
/// The last check failed or timed out.
const STORE_DOWN: u8 = 2;

/// A cheap, clonable view of the service's health, shared with whatever answers health probes over HTTP.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    state: Arc<ReadinessState>,
}

#[derive(Debug, Default)]
struct ReadinessState {
    store: AtomicU8,
    shutting_down: AtomicBool,
}

impl Readiness {
    /// True while the store answered its last check and shutdown has not begun: the replica should get traffic.
    pub fn is_ready(&self) -> bool {
        self.store_up() && !self.is_shutting_down()
    }

    /// True until shutdown begins: the process is alive (a store outage does not change this).
    pub fn is_live(&self) -> bool {
        !self.is_shutting_down()
    }

    /// True when the store answered its last check in time (false before the first check).
    pub fn store_up(&self) -> bool {
        self.state.store.load(Ordering::Acquire) == STORE_UP
    }

    /// True once shutdown began (it never ends).
    pub fn is_shutting_down(&self) -> bool {
        self.state.shutting_down.load(Ordering::Acquire)
    }
}

/// Why a store check failed, named without the error's text: a kind is enough to act on, and it cannot carry a
/// database URL or a query's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckFailure {
    /// The store did not answer within `health.check_timeout`.
    TimedOut,
    /// The store reported an error of this kind (see [`store_error_kind`]).
    Failed(&'static str),
}

impl CheckFailure {
    /// A short, stable name for logs: `timeout`, `unavailable`, `query`, ...
    pub fn kind(self) -> &'static str {
        match self {
            CheckFailure::TimedOut => "timeout",
            CheckFailure::Failed(kind) => kind,
        }
    }
}

/// A short, stable name for a store error's variant, free of its text.
pub fn store_error_kind(error: &StoreError) -> &'static str {
    match error {
        StoreError::Unavailable(_) => "unavailable",
        StoreError::Query(_) => "query",
        StoreError::Migration(_) => "migration",
        StoreError::Corrupt(_) => "corrupt",
        StoreError::LeaseLost(_) => "lease_lost",
        StoreError::UnsupportedUrl => "unsupported_url",
    }
}

/// Runs one store check: `ping`, bounded by `timeout`.
pub async fn check_store<F>(ping: F, timeout: Duration) -> Result<(), CheckFailure>
where
    F: Future<Output = Result<(), StoreError>>,
{
    match tokio::time::timeout(timeout, ping).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(CheckFailure::Failed(store_error_kind(&error))),
        Err(_) => Err(CheckFailure::TimedOut),
    }
}

/// Owns the health statuses: the gRPC [`HealthReporter`] and the [`Readiness`] view. Clones share them.
#[derive(Debug, Clone)]
pub struct Health {
    reporter: HealthReporter,
    readiness: Readiness,
    /// Serialises status changes, so a check that finishes while shutdown begins cannot turn a service back to
    /// SERVING after shutdown set it NOT_SERVING.
    updates: Arc<tokio::sync::Mutex<()>>,
}

impl Health {
    /// Registers every health service as NOT_SERVING: nothing is served until [`Health::set_live`] and the
    /// first store check.
    pub async fn new() -> Self {
        let reporter = HealthReporter::new();
        for service in READINESS_SERVICES.into_iter().chain([LIVENESS_SERVICE]) {
            reporter.set_service_status(service, ServingStatus::NotServing).await;
        }
        Health { reporter, readiness: Readiness::default(), updates: Arc::new(tokio::sync::Mutex::new(())) }
    }

    /// The reporter the gRPC health service is built from.
    pub fn reporter(&self) -> HealthReporter {
        self.reporter.clone()
    }

    /// The shared readiness view.
    pub fn readiness(&self) -> Readiness {
        self.readiness.clone()
    }

    /// Turns liveness SERVING (the server is about to run), unless shutdown already began.
    pub async fn set_live(&self) {
        let _update = self.updates.lock().await;
        if !self.readiness.is_shutting_down() {
            self.reporter.set_service_status(LIVENESS_SERVICE, ServingStatus::Serving).await;
        }
    }

    /// Checks the store now (see [`check_store`]) and records the result.
    pub async fn check_now<F>(&self, ping: F, timeout: Duration)
    where
        F: Future<Output = Result<(), StoreError>>,
    {
        let result = check_store(ping, timeout).await;
        self.record_check(result).await;
    }

    /// Records a store check's result: readiness follows it (statuses change only when it changed, and never
    /// once shutdown began). Logs a warning when the store goes down and an info when it is back, once each.
    pub async fn record_check(&self, result: Result<(), CheckFailure>) {
        let _update = self.updates.lock().await;
        let now = if result.is_ok() { STORE_UP } else { STORE_DOWN };
        let before = self.readiness.state.store.swap(now, Ordering::AcqRel);
        if before == now {
            return;
        }
        match (before, result) {
            (STORE_UNKNOWN, Ok(())) => tracing::info!("store reachable: ready"),
            (_, Ok(())) => tracing::info!("store reachable again: ready"),
            (_, Err(failure)) => tracing::warn!(
                kind = failure.kind(),
                "store unreachable: not ready (health NOT_SERVING) until it answers again"
            ),
        }
        if self.readiness.is_shutting_down() {
            return;
        }
        let status = if now == STORE_UP { ServingStatus::Serving } else { ServingStatus::NotServing };
        for service in READINESS_SERVICES {
            self.reporter.set_service_status(service, status).await;
        }
    }

    /// Shutdown began: every service turns NOT_SERVING, for good.
    pub async fn begin_shutdown(&self) {
        let _update = self.updates.lock().await;
        self.readiness.state.shutting_down.store(true, Ordering::Release);
        for service in READINESS_SERVICES.into_iter().chain([LIVENESS_SERVICE]) {
            self.reporter.set_service_status(service, ServingStatus::NotServing).await;
        }
    }

    /// Checks the store with `ping` every `interval` (each check bounded by `timeout`) until `stop` is cancelled.
    /// The first check runs after one interval: the caller checks once before serving ([`Health::check_now`]).
    pub async fn monitor<P, F>(self, mut ping: P, interval: Duration, timeout: Duration, stop: CancellationToken)
    where
        P: FnMut() -> F,
        F: Future<Output = Result<(), StoreError>>,
    {
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
            // A check in progress is abandoned when shutdown begins rather than delaying it.
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.check_now(ping(), timeout) => {}
            }
        }
    }

    /// Spawns [`Health::monitor`] on `store` with the intervals of `settings`.
    pub fn spawn_monitor(
        &self,
        store: Arc<dyn Store>,
        settings: &HealthSettings,
        stop: CancellationToken,
    ) -> JoinHandle<()> {
        let ping = move || {
            let store = Arc::clone(&store);
            async move { store.ping().await }
        };
        tokio::spawn(self.clone().monitor(ping, settings.check_interval, settings.check_timeout, stop))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use tonic::Request;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_server::Health as _;
    use tonic_health::server::HealthService;

    use super::*;

    /// The status a gRPC health client would read for `service`.
    async fn status(health: &Health, service: &str) -> ServingStatus {
        let service_impl = HealthService::from_health_reporter(health.reporter());
        let response = service_impl
            .check(Request::new(HealthCheckRequest { service: service.to_owned() }))
            .await
            .expect("every service is registered from the start");
        match response.into_inner().status() {
            tonic_health::pb::health_check_response::ServingStatus::Serving => ServingStatus::Serving,
            _ => ServingStatus::NotServing,
        }
    }

    fn unavailable() -> StoreError {
        StoreError::Unavailable(sqlx::Error::PoolTimedOut)
    }

    #[tokio::test]
    async fn every_service_is_not_serving_before_the_first_check() {
        // Arrange
        let health = Health::new().await;
        // Act
        let statuses = [status(&health, "").await, status(&health, SERVICE_NAME).await];
        // Assert
        assert_eq!(statuses, [ServingStatus::NotServing, ServingStatus::NotServing]);
        assert_eq!(status(&health, LIVENESS_SERVICE).await, ServingStatus::NotServing);
        assert!(!health.readiness().is_ready());
    }

    #[tokio::test]
    async fn readiness_follows_the_store_while_liveness_stays_serving() {
        // Arrange
        let health = Health::new().await;
        health.set_live().await;
        // Act / Assert: up
        health.record_check(Ok(())).await;
        assert_eq!(status(&health, "").await, ServingStatus::Serving);
        assert_eq!(status(&health, SERVICE_NAME).await, ServingStatus::Serving);
        assert!(health.readiness().is_ready());
        // Act / Assert: down
        health.record_check(Err(CheckFailure::TimedOut)).await;
        assert_eq!(status(&health, "").await, ServingStatus::NotServing);
        assert_eq!(status(&health, SERVICE_NAME).await, ServingStatus::NotServing);
        assert_eq!(status(&health, LIVENESS_SERVICE).await, ServingStatus::Serving);
        assert!(!health.readiness().is_ready() && !health.readiness().store_up() && health.readiness().is_live());
        // Act / Assert: back
        health.record_check(Ok(())).await;
        assert_eq!(status(&health, "").await, ServingStatus::Serving);
        assert!(health.readiness().is_ready());
    }

    #[tokio::test]
    async fn shutdown_turns_every_service_not_serving_and_a_later_good_check_does_not_undo_it() {
        // Arrange
        let health = Health::new().await;
        health.set_live().await;
        health.record_check(Ok(())).await;
        // Act
        health.begin_shutdown().await;
        health.record_check(Err(CheckFailure::TimedOut)).await;
        health.record_check(Ok(())).await;
        health.set_live().await;
        // Assert
        for service in ["", SERVICE_NAME, LIVENESS_SERVICE] {
            assert_eq!(status(&health, service).await, ServingStatus::NotServing, "{service:?}");
        }
        let readiness = health.readiness();
        assert!(!readiness.is_ready() && !readiness.is_live());
        assert!(readiness.store_up(), "store_up still reports the store itself");
    }

    #[tokio::test(start_paused = true)]
    async fn a_ping_that_never_answers_counts_as_a_timeout() {
        // Arrange
        let never = std::future::pending::<Result<(), StoreError>>();
        // Act
        let result = check_store(never, Duration::from_millis(500)).await;
        // Assert
        assert_eq!(result, Err(CheckFailure::TimedOut));
    }

    #[tokio::test]
    async fn a_failed_ping_is_named_by_its_kind_only() {
        // Act
        let result = check_store(async { Err(unavailable()) }, Duration::from_secs(1)).await;
        // Assert
        assert_eq!(result.map_err(CheckFailure::kind), Err("unavailable"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_monitor_follows_a_store_that_goes_down_and_comes_back_and_stops_when_told() {
        // Arrange
        let health = Health::new().await;
        health.set_live().await;
        health.record_check(Ok(())).await;
        let store_up = Arc::new(AtomicBool::new(true));
        let ping = {
            let store_up = Arc::clone(&store_up);
            move || {
                let up = store_up.load(Ordering::SeqCst);
                async move { if up { Ok(()) } else { Err(unavailable()) } }
            }
        };
        let stop = CancellationToken::new();
        let interval = Duration::from_millis(200);
        let monitor = tokio::spawn(health.clone().monitor(ping, interval, Duration::from_millis(100), stop.clone()));
        // Act / Assert: the store goes down
        store_up.store(false, Ordering::SeqCst);
        tokio::time::sleep(interval * 2).await;
        assert_eq!(status(&health, "").await, ServingStatus::NotServing);
        assert_eq!(status(&health, LIVENESS_SERVICE).await, ServingStatus::Serving);
        // Act / Assert: it comes back
        store_up.store(true, Ordering::SeqCst);
        tokio::time::sleep(interval * 2).await;
        assert_eq!(status(&health, "").await, ServingStatus::Serving);
        // Act / Assert: stop
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(1), monitor)
            .await
            .expect("the monitor stops when told")
            .expect("the monitor does not panic");
    }
}
