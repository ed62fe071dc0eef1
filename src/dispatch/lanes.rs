//! One lane per carrier: its connector (with its own HTTP client and timeouts) behind the carrier's own limits, so
//! one sick or slow carrier cannot slow the others.
//!
//! * **Bulkhead**: at most the route's `max_concurrency` verifications of this carrier held by this process at once
//!   (a full lane's work is not even claimed: it stays in the store for later or for another replica), and at most
//!   as many calls in flight (split calls counted one by one).
//! * **Rate limit**: the route's `requests_per_second` (a GCRA limiter from `governor`, bursting up to one second's
//!   worth); while a call waits for its turn, no more of the carrier's work is claimed.
//! * **Circuit breaker** (`failsafe`): opens on a failure rate or a run of failures; while open the carrier's work
//!   waits in the store (it is not failed); then one probe call is let through, which closes or reopens it.
//! * **Retry budget** (tower's `TpsBudget`): retries on top of a share of first attempts, so a failing carrier is
//!   not sent a multiple of its normal load.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use failsafe::backoff::{EqualJittered, equal_jittered};
use failsafe::failure_policy::{
    ConsecutiveFailures, OrElse, SuccessRateOverTimeWindow, consecutive_failures, success_rate_over_time_window,
};
use failsafe::{FailurePolicy, Instrument, StateMachine};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;
use tower::retry::budget::{Budget, TpsBudget};

use crate::carriers::{AttemptOutput, CarrierRoute, Connector, EligibilityQuery, WireFormat};
use crate::config::{CircuitBreakerSettings, RetryBudgetSettings};
use crate::domain::lifecycle::CORE_MIN_RESUBMIT;
use crate::domain::{AttemptResult, AttemptResultClass, RetryPolicy};

/// A circuit breaker's state, as ops see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are held back until the open period ends.
    Open,
    /// One probe call decides whether the breaker closes or opens again.
    HalfOpen,
}

impl BreakerState {
    /// Stable text for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    fn from_u8(raw: u8) -> Self {
        match raw {
            1 => BreakerState::Open,
            2 => BreakerState::HalfOpen,
            _ => BreakerState::Closed,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        }
    }
}

/// What a lane reports about itself (no PHI: counts and states).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneStatus {
    /// The carrier directory id.
    pub carrier: String,
    /// The carrier's display name.
    pub display_name: String,
    /// The circuit breaker's state.
    pub breaker: BreakerState,
    /// How many times the breaker opened since start-up.
    pub breaker_opened: u64,
    /// Verifications of this carrier held by this process now.
    pub held: u32,
    /// The most this process holds at once (`max_concurrency`).
    pub max_concurrency: u32,
    /// Calls in flight to the carrier now.
    pub calls_in_flight: u32,
    /// The rate limit, when set.
    pub requests_per_second: Option<u32>,
    /// Retries postponed because the retry budget was spent, since start-up.
    pub retries_postponed: u64,
}

/// Follows the breaker's transitions (failsafe reports them through [`Instrument`]) so its state can be read
/// without asking it for a call permit.
#[derive(Debug)]
struct BreakerWatch {
    carrier: String,
    state: AtomicU8,
    opened: AtomicU64,
}

/// The instrument handed to failsafe: a shared handle on the lane's [`BreakerWatch`].
#[derive(Debug, Clone)]
struct WatchHandle(Arc<BreakerWatch>);

impl Instrument for WatchHandle {
    fn on_call_rejected(&self) {}

    fn on_open(&self) {
        self.0.state.store(BreakerState::Open.as_u8(), Ordering::SeqCst);
        self.0.opened.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(carrier = %self.0.carrier, "circuit breaker opened: the carrier's work waits for a probe");
    }

    fn on_half_open(&self) {
        self.0.state.store(BreakerState::HalfOpen.as_u8(), Ordering::SeqCst);
        tracing::info!(carrier = %self.0.carrier, "circuit breaker half-open: one probe call goes through");
    }

    fn on_closed(&self) {
        let was = self.0.state.swap(BreakerState::Closed.as_u8(), Ordering::SeqCst);
        if was != BreakerState::Closed.as_u8() {
            tracing::info!(carrier = %self.0.carrier, "circuit breaker closed");
        }
    }
}

/// The failure policy: a failure rate over a window, or a run of failures, whichever trips first.
type BreakerPolicy = OrElse<SuccessRateOverTimeWindow<EqualJittered>, ConsecutiveFailures<EqualJittered>>;

fn breaker_policy(settings: &CircuitBreakerSettings) -> BreakerPolicy {
    // Equal jitter (between half and all of the doubled period): spreads replicas' probes without ever making
    // the open period negligible, as full jitter can. failsafe asserts whole seconds; the settings are validated
    // to at least 1 s, and clamped here too so a bad value can never panic the dispatcher.
    let open_for = settings.open_for.max(Duration::from_secs(1));
    let backoff = equal_jittered(open_for, settings.open_for_max.max(open_for));
    let rate = settings.failure_rate.clamp(0.0, 1.0);
    success_rate_over_time_window(1.0 - rate, settings.minimum_calls, settings.window, backoff.clone())
        .or_else(consecutive_failures(settings.consecutive_failures.max(1), backoff))
}

/// Whether work may go to the carrier now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Call; `probe` when this call decides a half-open breaker.
    Call {
        /// This call is the half-open probe.
        probe: bool,
    },
    /// The breaker is open (or another probe is under way): give the work back; it waits for the probe.
    BreakerOpen,
    /// A retry with the budget spent: postpone it.
    BudgetSpent,
}

/// One carrier's connector and limits, shared by every verification of that carrier in this process.
pub(crate) struct CarrierLane {
    carrier: String,
    display_name: String,
    connector: Arc<dyn Connector>,
    /// Calls in flight (split calls one by one).
    calls: Semaphore,
    max_concurrency: u32,
    /// Verifications of this carrier held (claimed and not yet finished) by this process.
    held: AtomicU32,
    rate: Option<DefaultDirectRateLimiter>,
    requests_per_second: Option<u32>,
    /// Calls waiting for the rate limiter now.
    waiting_for_rate: AtomicU32,
    breaker: StateMachine<BreakerPolicy, WatchHandle>,
    watch: Arc<BreakerWatch>,
    /// A half-open probe is under way.
    probing: AtomicBool,
    /// The last claim left this carrier out: when a place frees, the dispatcher should look again at once
    /// rather than at its next poll.
    skipped: AtomicBool,
    budget: TpsBudget,
    retries_postponed: AtomicU64,
    retry: RetryPolicy,
}

/// A verification held in a lane; gives its place back when dropped.
pub(crate) struct Held(Arc<CarrierLane>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, Ordering::SeqCst);
    }
}

impl CarrierLane {
    /// A lane for `route`, with the process-wide breaker and budget settings and retry policy (a CORE route also
    /// gets CORE's 90-second resubmission floor).
    pub(crate) fn new(
        route: &CarrierRoute,
        connector: Arc<dyn Connector>,
        breaker: &CircuitBreakerSettings,
        budget: &RetryBudgetSettings,
        retry: RetryPolicy,
    ) -> Self {
        let max_concurrency = route.max_concurrency.max(1);
        let rate = route
            .requests_per_second
            .and_then(NonZeroU32::new)
            .map(|per_second| RateLimiter::direct(Quota::per_second(per_second)));
        let watch = Arc::new(BreakerWatch {
            carrier: route.id.clone(),
            state: AtomicU8::new(BreakerState::Closed.as_u8()),
            opened: AtomicU64::new(0),
        });
        let retry = if route.format == WireFormat::CaqhCore {
            RetryPolicy { min_resubmit_interval: retry.min_resubmit_interval.max(CORE_MIN_RESUBMIT), ..retry }
        } else {
            retry
        };
        CarrierLane {
            carrier: route.id.clone(),
            display_name: route.display_name.clone(),
            connector,
            calls: Semaphore::new(usize::try_from(max_concurrency).unwrap_or(1)),
            max_concurrency,
            held: AtomicU32::new(0),
            rate,
            requests_per_second: route.requests_per_second,
            waiting_for_rate: AtomicU32::new(0),
            breaker: StateMachine::new(breaker_policy(breaker), WatchHandle(Arc::clone(&watch))),
            watch,
            probing: AtomicBool::new(false),
            skipped: AtomicBool::new(false),
            budget: TpsBudget::new(budget.window, budget.min_per_second, budget.percent),
            retries_postponed: AtomicU64::new(0),
            retry,
        }
    }

    /// The retry policy for this carrier's verifications.
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The breaker's state now (an open breaker whose period is over reads as open until the next claim asks).
    pub(crate) fn breaker_state(&self) -> BreakerState {
        BreakerState::from_u8(self.watch.state.load(Ordering::SeqCst))
    }

    /// How many more of this carrier's verifications this process may claim now: none while its breaker is open
    /// (one, the probe, once the open period is over), none while a call waits for the rate limiter, else the
    /// free places in the bulkhead.
    pub(crate) fn claim_allowance(&self) -> u32 {
        let held = self.held.load(Ordering::SeqCst);
        match self.breaker_state() {
            BreakerState::Open => {
                // Asking is what moves failsafe's breaker to half-open once the open period is over.
                if self.breaker.is_call_permitted() { u32::from(held == 0) } else { 0 }
            }
            BreakerState::HalfOpen => u32::from(held == 0 && !self.probing.load(Ordering::SeqCst)),
            BreakerState::Closed if self.waiting_for_rate.load(Ordering::SeqCst) > 0 => 0,
            BreakerState::Closed => self.max_concurrency.saturating_sub(held),
        }
    }

    /// [`CarrierLane::claim_allowance`] for the next claim, remembering when it is none (see
    /// [`CarrierLane::take_skipped`]).
    pub(crate) fn allowance_for_claim(&self) -> u32 {
        let allowance = self.claim_allowance();
        if allowance == 0 {
            self.skipped.store(true, Ordering::SeqCst);
        }
        allowance
    }

    /// Whether a claim left this carrier out since the last call: the caller frees a place and wakes the
    /// claimer so the carrier's waiting work is taken at once.
    pub(crate) fn take_skipped(&self) -> bool {
        self.skipped.swap(false, Ordering::SeqCst)
    }

    /// Takes a place in the bulkhead for one claimed verification, or `None` when the lane is full.
    pub(crate) fn try_hold(self: &Arc<Self>) -> Option<Held> {
        let taken = self
            .held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| (held < self.max_concurrency).then_some(held + 1));
        taken.ok().map(|_| Held(Arc::clone(self)))
    }

    /// Decides whether a held verification may be sent now. `is_retry` when an attempt was already made in
    /// this round. A first attempt deposits into the retry budget; a retry withdraws from it.
    pub(crate) fn gate(&self, is_retry: bool) -> Gate {
        if !self.breaker.is_call_permitted() {
            return Gate::BreakerOpen;
        }
        let probe = self.breaker_state() == BreakerState::HalfOpen;
        if probe && self.probing.swap(true, Ordering::SeqCst) {
            return Gate::BreakerOpen;
        }
        if is_retry {
            if !self.budget.withdraw() {
                if probe {
                    self.probing.store(false, Ordering::SeqCst);
                }
                self.retries_postponed.fetch_add(1, Ordering::Relaxed);
                return Gate::BudgetSpent;
            }
        } else {
            self.budget.deposit();
        }
        Gate::Call { probe }
    }

    /// Tells the breaker how a call let through by [`CarrierLane::gate`] went. An answer, or a refusal about the
    /// request itself, shows the carrier is up; timeouts, connection errors, 429/5xx, AAA 42/79/80 and unreadable
    /// answers show it is not.
    pub(crate) fn record(&self, output: Option<&AttemptOutput>, probe: bool) {
        match output.map(|o| &o.result) {
            // Cancelled by shutdown: says nothing about the carrier.
            None => {}
            Some(AttemptResult::Answered(_))
            | Some(AttemptResult::Failed { class: AttemptResultClass::Rejected, .. }) => {
                self.breaker.on_success();
            }
            Some(AttemptResult::Failed { .. }) => self.breaker.on_error(),
        }
        if probe {
            self.probing.store(false, Ordering::SeqCst);
        }
    }

    /// One call through the bulkhead and the rate limiter: waits for a free slot and a rate token, then calls.
    pub(crate) async fn call(&self, query: EligibilityQuery<'_>) -> AttemptOutput {
        // The semaphore is never closed, so `acquire` cannot fail; without a permit the call still goes ahead
        // rather than losing the attempt.
        let _permit = self.calls.acquire().await.ok();
        if let Some(rate) = &self.rate {
            self.waiting_for_rate.fetch_add(1, Ordering::SeqCst);
            rate.until_ready().await;
            self.waiting_for_rate.fetch_sub(1, Ordering::SeqCst);
        }
        self.connector.check_eligibility(query).await
    }

    /// What ops see of this lane.
    pub(crate) fn status(&self) -> LaneStatus {
        LaneStatus {
            carrier: self.carrier.clone(),
            display_name: self.display_name.clone(),
            breaker: self.breaker_state(),
            breaker_opened: self.watch.opened.load(Ordering::Relaxed),
            held: self.held.load(Ordering::SeqCst),
            max_concurrency: self.max_concurrency,
            calls_in_flight: u32::try_from(
                usize::try_from(self.max_concurrency).unwrap_or(0).saturating_sub(self.calls.available_permits()),
            )
            .unwrap_or(0),
            requests_per_second: self.requests_per_second,
            retries_postponed: self.retries_postponed.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;
    use crate::carriers::Directory;
    use crate::domain::ControlNumbers;

    /// A connector that answers with a fixed failure class (or an answer when `None`), for breaker tests.
    struct Fixed(Option<AttemptResultClass>);

    #[async_trait]
    impl Connector for Fixed {
        async fn check_eligibility(&self, _query: EligibilityQuery<'_>) -> AttemptOutput {
            fixed_output(self.0)
        }
    }

    fn fixed_output(class: Option<AttemptResultClass>) -> AttemptOutput {
        let result = match class {
            Some(class) => AttemptResult::Failed { class, detail: "test".into(), retry_after: None },
            None => AttemptResult::Failed {
                class: AttemptResultClass::Rejected,
                detail: "stands in for an answer".into(),
                retry_after: None,
            },
        };
        AttemptOutput {
            http_status: None,
            raw_request: None,
            raw_response: None,
            error_code: None,
            result,
            latency: Duration::ZERO,
            control_numbers: ControlNumbers::default(),
        }
    }

    fn route(format: &str, extra: &str) -> CarrierRoute {
        // CORE routes name the environment variables holding their credentials (read only when a connector is
        // built, which these tests do not do).
        let credentials = if format == "caqh_core" {
            "username_env = \"IV_TEST_USER\"\npassword_env = \"IV_TEST_PASS\"\n"
        } else {
            ""
        };
        let toml = format!(
            "[[carriers]]\nid = \"test\"\ndisplay_name = \"Test Health\"\npayer_ids = [\"TST01\"]\n\
             names = [\"Test Health\"]\nformat = \"{format}\"\nbase_url = \"http://127.0.0.1:9\"\n\
             {credentials}{extra}\n"
        );
        let directory = Directory::from_toml_str(&toml).expect("directory");
        directory.routes()[0].clone()
    }

    fn breaker_settings(consecutive_failures: u32, open_for: Duration) -> CircuitBreakerSettings {
        CircuitBreakerSettings {
            failure_rate: 0.5,
            minimum_calls: 1000,
            window: Duration::from_secs(30),
            consecutive_failures,
            open_for,
            open_for_max: open_for,
        }
    }

    fn budget(percent: f32, min_per_second: u32) -> RetryBudgetSettings {
        RetryBudgetSettings { percent, min_per_second, window: Duration::from_secs(10) }
    }

    fn lane(route: &CarrierRoute, breaker: CircuitBreakerSettings, budget: RetryBudgetSettings) -> Arc<CarrierLane> {
        Arc::new(CarrierLane::new(route, Arc::new(Fixed(None)), &breaker, &budget, RetryPolicy::default()))
    }

    fn failed(class: AttemptResultClass) -> AttemptOutput {
        fixed_output(Some(class))
    }

    #[test]
    fn a_full_lane_admits_no_more_claims_and_frees_a_place_when_work_ends() {
        // Arrange
        let lane = lane(
            &route("eligibility_json_v3", "max_concurrency = 2"),
            breaker_settings(5, Duration::from_secs(5)),
            budget(0.2, 2),
        );

        // Act
        let first = lane.try_hold().expect("first place");
        let second = lane.try_hold().expect("second place");

        // Assert
        assert!(lane.try_hold().is_none(), "max_concurrency = 2");
        assert_eq!(lane.claim_allowance(), 0);
        drop(first);
        assert_eq!(lane.claim_allowance(), 1);
        drop(second);
        assert_eq!(lane.claim_allowance(), 2);
    }

    #[test]
    fn consecutive_failures_open_the_breaker_and_its_work_waits_instead_of_being_called() {
        // Arrange
        let lane =
            lane(&route("eligibility_json_v3", ""), breaker_settings(3, Duration::from_secs(60)), budget(0.2, 2));

        // Act: three timeouts in a row.
        for _ in 0..3 {
            let Gate::Call { probe } = lane.gate(false) else { panic!("closed breaker lets calls through") };
            lane.record(Some(&failed(AttemptResultClass::Timeout)), probe);
        }

        // Assert
        assert_eq!(lane.breaker_state(), BreakerState::Open);
        assert_eq!(lane.gate(false), Gate::BreakerOpen);
        assert_eq!(lane.claim_allowance(), 0, "no claims while open");
        assert_eq!(lane.status().breaker_opened, 1);
    }

    #[test]
    fn after_the_open_period_one_probe_goes_through_and_its_success_closes_the_breaker() {
        // Arrange: open the breaker with a short open period.
        let lane = lane(&route("eligibility_json_v3", ""), breaker_settings(1, Duration::from_secs(1)), budget(0.2, 2));
        let Gate::Call { probe } = lane.gate(false) else { panic!("closed") };
        lane.record(Some(&failed(AttemptResultClass::ServerError)), probe);
        assert_eq!(lane.breaker_state(), BreakerState::Open);

        // Act: wait out the open period.
        std::thread::sleep(Duration::from_millis(1100));
        let allowance = lane.claim_allowance();

        // Assert: one probe, and only one.
        assert_eq!(allowance, 1);
        assert_eq!(lane.breaker_state(), BreakerState::HalfOpen);
        let _held = lane.try_hold().expect("place for the probe");
        assert_eq!(lane.gate(false), Gate::Call { probe: true });
        assert_eq!(lane.gate(false), Gate::BreakerOpen, "a second call waits for the probe");
        lane.record(None, true); // the first probe was cancelled: says nothing
        let Gate::Call { probe } = lane.gate(false) else { panic!("probe again") };
        lane.record(Some(&fixed_output(None)), probe);
        assert_eq!(lane.breaker_state(), BreakerState::Closed);
    }

    #[test]
    fn a_failed_probe_opens_the_breaker_again() {
        let lane = lane(&route("eligibility_json_v3", ""), breaker_settings(1, Duration::from_secs(1)), budget(0.2, 2));
        let Gate::Call { probe } = lane.gate(false) else { panic!("closed") };
        lane.record(Some(&failed(AttemptResultClass::CarrierBusy)), probe);
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(lane.claim_allowance(), 1);
        let Gate::Call { probe } = lane.gate(false) else { panic!("probe") };
        assert!(probe);
        lane.record(Some(&failed(AttemptResultClass::ConnectionError)), probe);
        assert_eq!(lane.breaker_state(), BreakerState::Open);
        assert_eq!(lane.status().breaker_opened, 2);
    }

    #[test]
    fn refusals_about_the_request_do_not_open_the_breaker() {
        let lane =
            lane(&route("eligibility_json_v3", ""), breaker_settings(2, Duration::from_secs(60)), budget(0.2, 2));
        for _ in 0..5 {
            let Gate::Call { probe } = lane.gate(false) else { panic!("closed") };
            lane.record(Some(&failed(AttemptResultClass::Rejected)), probe);
        }
        assert_eq!(lane.breaker_state(), BreakerState::Closed);
    }

    #[test]
    fn retries_beyond_the_budget_are_postponed() {
        // Arrange: no reserve and one retry per ten first attempts.
        let lane =
            lane(&route("eligibility_json_v3", ""), breaker_settings(1000, Duration::from_secs(5)), budget(0.1, 0));
        for _ in 0..10 {
            assert!(matches!(lane.gate(false), Gate::Call { .. }));
        }

        // Act
        let first_retry = lane.gate(true);
        let second_retry = lane.gate(true);

        // Assert
        assert!(matches!(first_retry, Gate::Call { .. }), "ten first attempts pay for one retry");
        assert_eq!(second_retry, Gate::BudgetSpent);
        assert_eq!(lane.status().retries_postponed, 1);
    }

    #[test]
    fn a_core_route_never_resubmits_sooner_than_ninety_seconds() {
        let core = lane(&route("caqh_core", ""), breaker_settings(5, Duration::from_secs(5)), budget(0.2, 2));
        let json = lane(&route("eligibility_json_v3", ""), breaker_settings(5, Duration::from_secs(5)), budget(0.2, 2));
        assert_eq!(core.retry_policy().min_resubmit_interval, Duration::from_secs(90));
        assert_eq!(json.retry_policy().min_resubmit_interval, Duration::ZERO);
    }

    #[tokio::test]
    async fn the_rate_limit_spaces_calls_and_holds_claims_while_a_call_waits() {
        // Arrange: two calls a second, burst of two.
        let lane = lane(
            &route("eligibility_json_v3", "requests_per_second = 2"),
            breaker_settings(5, Duration::from_secs(5)),
            budget(0.2, 2),
        );
        let request = crate::domain::test_support::sample_request();
        let provider = crate::carriers::Provider { npi: "1234567893".into(), organization_name: "Clinic".into() };
        let query = || EligibilityQuery {
            verification_id: uuid::Uuid::nil(),
            attempt_number: 1,
            request: &request,
            payer_id: "TST01",
            payer_name: "Test Health",
            provider: &provider,
            service_types: &["30"],
        };
        let started = std::time::Instant::now();

        // Act: three calls; the third must wait for a token.
        lane.call(query()).await;
        lane.call(query()).await;
        let third = lane.call(query());
        tokio::pin!(third);
        let waited = tokio::time::timeout(Duration::from_millis(100), &mut third).await.is_err();
        let allowance_while_waiting = lane.claim_allowance();
        third.await;

        // Assert
        assert!(waited, "the third call waits for the limiter");
        assert_eq!(allowance_while_waiting, 0);
        assert!(started.elapsed() >= Duration::from_millis(400), "took {:?}", started.elapsed());
    }
}
