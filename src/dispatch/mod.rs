//! The durable work loop: claim due pending verifications from the store, call the carrier, screen the answer
//! again, record the attempt and its transition in one transaction, and announce the change.
//!
//! Work lives in the store, not in memory: a verification accepted by any replica is picked up by whichever
//! dispatcher claims it first, and work held by a process that died is taken over when its lease expires.
//!
//! Each carrier has its own lane ([`lanes`]): a bulkhead, a rate limit, a circuit breaker and a retry budget. A
//! carrier whose lane cannot take more work now is left out of the claim, so its backlog stays in the store and
//! never occupies this process's worker slots; every verification has a deadline, after which it is handed to a
//! person instead of being retried.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, info_span};

use crate::telemetry;

use crate::carriers::caqh_core::CaqhCoreConnector;
use crate::carriers::eligibility_json::EligibilityJsonConnector;
use crate::carriers::raw_x12::RawX12Connector;
use crate::carriers::{
    AttemptOutput, CarrierRoute, Connector, ConnectorError, Directory, EligibilityQuery, Provider, WireFormat,
};
use crate::config::{CircuitBreakerSettings, RetryBudgetSettings};
use crate::domain::lifecycle::{deadline_passed, decide, within_deadline};
use crate::domain::verification::truncate_to_micros;
use crate::domain::{AttemptResult, AttemptResultClass, CarrierAttempt, Outcome, RetryPolicy, Transition};
use crate::screening::Screener;
use crate::store::{ClaimFilter, ClaimedWork, Store, StoreError};

mod feed;
pub mod lanes;
pub mod split;

pub use feed::{ChangeEvent, ChangeFeed};
pub use lanes::{BreakerState, LaneStatus};
use lanes::{CarrierLane, Gate, Held};

/// Service types asked when the directory names none: plan level, substance abuse, mental health.
const DEFAULT_SERVICE_TYPES: [&str; 3] = ["30", "AI", "MH"];

/// Errors building the dispatcher.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// A carrier route's connector could not be built (bad URL, TLS set-up).
    #[error("carrier route {carrier}: {reason}")]
    Connector {
        /// The route id.
        carrier: String,
        /// Why.
        reason: String,
    },
}

/// How the work loop behaves.
#[derive(Debug, Clone)]
pub struct DispatcherSettings {
    /// This worker's name in leases (host and process), for ops.
    pub worker_id: String,
    /// Carrier calls in flight at once.
    pub concurrency: u32,
    /// How often idle workers look for due work.
    pub poll_interval: Duration,
    /// Claim lease length.
    pub lease: Duration,
    /// Retry policy (a CORE carrier's lane raises its resubmission floor to 90 s).
    pub retry: RetryPolicy,
    /// How long a verification may stay pending from the start of its round.
    pub verification_deadline: Duration,
    /// Each carrier's circuit breaker.
    pub circuit_breaker: CircuitBreakerSettings,
    /// Each carrier's retry budget.
    pub retry_budget: RetryBudgetSettings,
}

/// The carrier work loop of one process.
pub struct Dispatcher {
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    carriers: HashMap<String, Arc<CarrierLane>>,
    screener: Arc<Screener>,
    provider: Provider,
    changes: ChangeFeed,
    settings: DispatcherSettings,
}

impl Dispatcher {
    /// Builds the dispatcher and one lane (a connector with its own HTTP client, and the carrier's limits) per
    /// carrier route.
    pub fn new(
        store: Arc<dyn Store>,
        directory: Arc<Directory>,
        screener: Arc<Screener>,
        provider: Provider,
        changes: ChangeFeed,
        settings: DispatcherSettings,
    ) -> Result<Self, DispatchError> {
        let mut carriers: HashMap<String, Arc<CarrierLane>> = HashMap::new();
        for route in directory.routes() {
            let built: Result<Arc<dyn Connector>, ConnectorError> = match route.format {
                WireFormat::EligibilityJsonV3 => EligibilityJsonConnector::new(route).map(|c| Arc::new(c) as _),
                WireFormat::X12RawJson => RawX12Connector::new(route).map(|c| Arc::new(c) as _),
                WireFormat::CaqhCore => CaqhCoreConnector::new(route).map(|c| Arc::new(c) as _),
            };
            let connector =
                built.map_err(|e| DispatchError::Connector { carrier: route.id.clone(), reason: e.to_string() })?;
            let lane =
                CarrierLane::new(route, connector, &settings.circuit_breaker, &settings.retry_budget, settings.retry);
            carriers.insert(route.id.clone(), Arc::new(lane));
        }
        Ok(Dispatcher { store, directory, carriers, screener, provider, changes, settings })
    }

    /// Runs until `shutdown` is cancelled, then stops claiming and waits up to `grace` for calls in flight.
    /// Claims still unfinished after that are released so another replica can take them at once.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken, grace: Duration) {
        let permits = Arc::new(Semaphore::new(self.settings.concurrency as usize));
        let tracker = TaskTracker::new();
        // Cancelled only when the grace period is over: calls still running then are abandoned and their
        // claims released, so another replica takes them at once instead of after the lease.
        let hard_stop = CancellationToken::new();
        tracing::info!(worker = %self.settings.worker_id, concurrency = self.settings.concurrency, "dispatcher started");
        while !shutdown.is_cancelled() {
            // Claim only as much as we can start now: claimed work that waits in memory would hold leases idle.
            let free = permits.available_permits();
            if free == 0 {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    permit = permits.clone().acquire_owned() => drop(permit),
                }
                continue;
            }
            let batch = u32::try_from(free).unwrap_or(u32::MAX).min(64);
            let now = truncate_to_micros(OffsetDateTime::now_utc());
            let filter = self.claim_filter(now);
            let claimed = match self
                .store
                .claim_due_filtered(&self.settings.worker_id, now, self.settings.lease, batch, &filter)
                .await
            {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(error = %error, "claiming work failed; retrying after the poll interval");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(self.settings.poll_interval) => {}
                    }
                    continue;
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.changes.work_available() => {}
                    _ = tokio::time::sleep(self.settings.poll_interval) => {}
                }
                continue;
            }
            for work in claimed {
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    // Cannot happen (we claimed at most `free`), but never hold a claim we cannot start.
                    self.release(&work).await;
                    continue;
                };
                // A place in the carrier's bulkhead. Overdue work is closed without a call, so it needs none.
                let held = match self.carriers.get(&work.carrier) {
                    Some(lane) if !self.is_overdue(&work, now) => match lane.try_hold() {
                        Some(held) => Some(held),
                        None => {
                            // The batch brought more of this carrier than its lane takes: give the rest back at
                            // once (the next claim leaves the carrier out while its lane is full).
                            self.release(&work).await;
                            continue;
                        }
                    },
                    _ => None,
                };
                let dispatcher = Arc::clone(&self);
                let cancel = hard_stop.clone();
                tracker.spawn(async move {
                    dispatcher.process(work, held, cancel).await;
                    drop(permit);
                });
            }
        }
        tracker.close();
        if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
            tracing::warn!(in_flight = tracker.len(), "shutdown grace period over: abandoning carrier calls in flight");
            hard_stop.cancel();
            // Releasing is one quick write per claim; do not wait on a database that is not answering.
            let _ = tokio::time::timeout(Duration::from_secs(5), tracker.wait()).await;
        }
        tracing::info!("dispatcher stopped");
    }

    /// What the next claim leaves out: carriers whose lane takes no more work now, except their overdue work,
    /// which is claimed to be closed.
    fn claim_filter(&self, now: OffsetDateTime) -> ClaimFilter {
        let skip_carriers = self
            .carriers
            .iter()
            .filter(|(_, lane)| lane.allowance_for_claim() == 0)
            .map(|(id, _)| id.clone())
            .collect();
        ClaimFilter { skip_carriers, overdue_before: Some(now - self.deadline()) }
    }

    /// The verification deadline as a `time` duration.
    fn deadline(&self) -> time::Duration {
        time::Duration::try_from(self.settings.verification_deadline).unwrap_or(time::Duration::MAX)
    }

    /// Whether `work`'s round is past its deadline.
    fn is_overdue(&self, work: &ClaimedWork, now: OffsetDateTime) -> bool {
        now >= work.round_started_at + self.deadline()
    }

    /// What the lanes report, for ops (one entry per carrier route, sorted by id).
    pub fn carrier_status(&self) -> Vec<LaneStatus> {
        let mut status: Vec<LaneStatus> = self.carriers.values().map(|lane| lane.status()).collect();
        status.sort_by(|a, b| a.carrier.cmp(&b.carrier));
        status
    }

    /// The replica's worker id (in leases and in what ops see).
    pub fn worker_id(&self) -> &str {
        &self.settings.worker_id
    }

    async fn release(&self, work: &ClaimedWork) {
        if let Err(error) = self.store.release_claim(work).await {
            tracing::warn!(verification_id = %work.verification_id, error = %error, "releasing a claim failed");
        }
    }

    /// Makes one carrier attempt for claimed work and records it, unless the work is past its deadline (closed
    /// without a call), its carrier left the directory, or the carrier's lane holds it back (an open circuit: the
    /// claim is given back; a spent retry budget: the retry is postponed). `held` is the work's place in its
    /// carrier's bulkhead, kept until the attempt is recorded.
    async fn process(&self, work: ClaimedWork, held: Option<Held>, cancel: CancellationToken) {
        let attempt_number = work.attempts_made + 1;
        let span = info_span!(
            "carrier.attempt",
            verification_id = %work.verification_id,
            carrier = %work.carrier,
            payer_id = %work.payer_id,
            attempt = attempt_number,
            http_status = tracing::field::Empty,
            result_class = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        // The submit's trace, stored with the verification: this attempt joins it, in whichever replica runs it.
        telemetry::otel::set_parent(&span, work.trace_context.as_deref());
        async {
            let now = truncate_to_micros(OffsetDateTime::now_utc());
            if self.is_overdue(&work, now) {
                tracing::warn!("verification past its deadline before a carrier call: handing it to a person");
                self.close(&work, &deadline_passed(), now).await;
                return;
            }
            let Some((route, lane)) = self.directory.route(&work.carrier).zip(self.carriers.get(&work.carrier)) else {
                // The directory changed since the request was routed: nothing to call.
                let transition = Transition::Fail {
                    outcome: Outcome::CarrierNotSupported,
                    status_detail: "carrier is no longer in the carrier directory: verify by phone".to_owned(),
                };
                self.close(&work, &transition, now).await;
                return;
            };
            let probe = match lane.gate(work.attempts_in_round > 0) {
                Gate::Call { probe } => probe,
                Gate::BreakerOpen => {
                    tracing::info!("carrier circuit open: the verification waits for the next probe");
                    self.release(&work).await;
                    return;
                }
                Gate::BudgetSpent => {
                    // Postponed, not failed and not counted as an attempt: the budget refills with first attempts
                    // and over time.
                    let ceiling = lane.retry_policy().backoff_ceiling(work.attempts_in_round.max(1));
                    let delay = ceiling.mul_f64(rand::random::<f64>()).max(Duration::from_secs(1));
                    let next_attempt_at = now + time::Duration::try_from(delay).unwrap_or(time::Duration::SECOND);
                    tracing::warn!(delay_ms = delay.as_millis(), "carrier retry budget spent: retry postponed");
                    if let Err(error) = self.store.defer_claim(&work, next_attempt_at).await {
                        tracing::warn!(error = %error, "postponing a retry failed; the lease will expire");
                    }
                    return;
                }
            };
            let started_at = truncate_to_micros(OffsetDateTime::now_utc());
            let output = self.call_carrier(&work, route, lane, attempt_number, &cancel).await;
            lane.record(output.as_ref(), probe);
            let Some(output) = output else {
                // Shut down before the call finished: give the work back untouched.
                self.release(&work).await;
                return;
            };
            let transition = self.judge(&work, lane, &output);
            let span = tracing::Span::current();
            if let Some(status) = output.http_status {
                span.record("http_status", status);
            }
            let result_class = match &output.result {
                AttemptResult::Answered(_) => AttemptResultClass::Answered,
                AttemptResult::Failed { class, .. } => *class,
            };
            span.record("result_class", result_class.as_str());
            telemetry::metrics::carrier_attempt(&work.carrier, result_class, output.latency);
            if let Some(outcome) = transition.outcome() {
                span.record("outcome", outcome.as_str());
            }
            let attempt = CarrierAttempt {
                attempt_number: i32::try_from(attempt_number).unwrap_or(i32::MAX),
                carrier: work.carrier.clone(),
                started_at,
                latency: time::Duration::try_from(output.latency).unwrap_or(time::Duration::ZERO),
                http_status: output.http_status,
                result_class,
                error_code: output.error_code.clone(),
                detail: Some(attempt_detail(&output.result)),
                raw_request: output.raw_request,
                raw_response: output.raw_response,
                control_numbers: output.control_numbers,
            };
            let now = truncate_to_micros(OffsetDateTime::now_utc());
            match self.store.record_attempt(&work, &attempt, &transition, now).await {
                Ok(verification) => {
                    tracing::info!(status = verification.status.as_str(), "carrier attempt recorded");
                    telemetry::metrics::finished(&verification);
                    self.changes.publish(&verification);
                }
                Err(StoreError::LeaseLost(_)) => {
                    tracing::warn!("lease lost before the result was stored; another worker owns the verification");
                }
                Err(StoreError::Unavailable(error)) => {
                    // The database is away: the claim stays leased and the work is retried once the lease
                    // expires (the carrier is asked again; nothing was stored, so nothing is stored twice).
                    tracing::error!(error = %error, "recording the carrier attempt failed: store unavailable");
                }
                Err(error) => {
                    // The store refused this result (something in the answer it cannot hold). Retrying would call
                    // the carrier again every lease period, forever: record the attempt without the carrier's
                    // details and hand the verification to a person instead.
                    tracing::error!(error = %error, "recording the carrier attempt failed; recording it as unreadable");
                    self.record_unstorable(&work, attempt, now).await;
                }
            }
            drop(held);
            if lane.take_skipped() {
                // The last claim left this carrier out for want of a place: one just freed.
                self.changes.wake_dispatcher();
            }
        }
        .instrument(span)
        .await;
    }

    /// Ends `work` without a carrier call (deadline passed, carrier gone from the directory).
    async fn close(&self, work: &ClaimedWork, transition: &Transition, now: OffsetDateTime) {
        if let Some(outcome) = transition.outcome() {
            tracing::Span::current().record("outcome", outcome.as_str());
        }
        match self.store.close_claim(work, transition, now).await {
            Ok(verification) => {
                telemetry::metrics::finished(&verification);
                self.changes.publish(&verification);
            }
            Err(error) => tracing::warn!(error = %error, "closing the verification failed; the lease will expire"),
        }
    }

    /// What the carrier's answer (or failure) does to the verification: screened again for a government plan,
    /// judged with the carrier's retry policy on this round's attempts, and held to the round's deadline.
    fn judge(&self, work: &ClaimedWork, lane: &CarrierLane, output: &AttemptOutput) -> Transition {
        let answer_screening = match &output.result {
            AttemptResult::Answered(answer) => self.screener.screen_answer(&answer.plan_facts),
            AttemptResult::Failed { .. } => None,
        };
        let now = OffsetDateTime::now_utc();
        let transition = decide(
            &output.result,
            answer_screening,
            work.attempts_in_round + 1,
            lane.retry_policy(),
            now,
            rand::random::<f64>(),
        );
        within_deadline(transition, work.round_started_at + self.deadline())
    }

    /// Records an attempt whose result the store refused, keeping only what is ours (times, status, raw bodies,
    /// which are stored as bytes), and fails the verification for manual verification.
    async fn record_unstorable(&self, work: &ClaimedWork, attempt: CarrierAttempt, now: OffsetDateTime) {
        let attempt = CarrierAttempt {
            result_class: AttemptResultClass::InvalidResponse,
            error_code: None,
            detail: Some("the carrier's answer could not be stored".to_owned()),
            ..attempt
        };
        let transition = Transition::Fail {
            outcome: Outcome::CarrierRejected,
            status_detail: "the carrier's answer could not be read: verify by phone".to_owned(),
        };
        match self.store.record_attempt(work, &attempt, &transition, now).await {
            Ok(verification) => {
                telemetry::metrics::finished(&verification);
                self.changes.publish(&verification);
            }
            Err(error) => tracing::error!(error = %error, "recording the unreadable attempt failed too"),
        }
    }

    /// The question for one call: `service_types` are the codes this call asks.
    fn query<'a>(
        &'a self,
        work: &'a ClaimedWork,
        route: &'a CarrierRoute,
        attempt_number: u32,
        service_types: &'a [&'a str],
    ) -> EligibilityQuery<'a> {
        EligibilityQuery {
            verification_id: work.verification_id,
            attempt_number,
            request: &work.request,
            payer_id: &work.payer_id,
            payer_name: &route.display_name,
            provider: &self.provider,
            service_types,
        }
    }

    /// Calls the carrier (once, or once per service type for carriers that answer one per request). `None` when
    /// shutdown cancelled the call.
    async fn call_carrier(
        &self,
        work: &ClaimedWork,
        route: &CarrierRoute,
        lane: &CarrierLane,
        attempt_number: u32,
        cancel: &CancellationToken,
    ) -> Option<AttemptOutput> {
        let service_types: Vec<&str> = if route.service_types.is_empty() {
            DEFAULT_SERVICE_TYPES.to_vec()
        } else {
            route.service_types.iter().map(String::as_str).collect()
        };
        // A call under way when shutdown starts may finish within the grace period; `cancel` fires only when
        // the run loop stops waiting.
        let calls = async {
            if route.one_service_type_per_request && service_types.len() > 1 {
                let asked = split::requests_for(&service_types);
                let calls = asked.iter().map(|code| {
                    let one = [code.as_str()];
                    async move {
                        let query = self.query(work, route, attempt_number, &one);
                        (code.clone(), lane.call(query).await)
                    }
                });
                split::combine(futures::future::join_all(calls).await)
            } else {
                Some(lane.call(self.query(work, route, attempt_number, &service_types)).await)
            }
        };
        tokio::select! {
            output = calls => output,
            _ = cancel.cancelled() => None,
        }
    }
}

/// A PHI-free description of an attempt for the attempt record.
fn attempt_detail(result: &AttemptResult) -> String {
    match result {
        AttemptResult::Answered(answer) => answer.attempt_detail(),
        AttemptResult::Failed { detail, .. } => detail.clone(),
    }
}
