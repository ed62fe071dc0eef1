//! Prometheus metrics: names, help texts, and the functions that record them.
//!
//! Every metric lives here so its name, labels and meaning are written once (docs/OPERATIONS.md explains them to
//! ops). Labels are bounded sets: gRPC methods of the served services, gRPC codes, carrier directory ids, result
//! classes, statuses and outcomes. Never a verification id, and never PHI.
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder): [`install`] installs it once and
//! returns the handle that renders `/metrics`.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::dispatch::{BreakerState, LaneStatus};
use crate::domain::{AttemptResultClass, Verification};

/// RPCs served, by `method` and gRPC `code`.
pub const GRPC_REQUESTS: &str = "iv_grpc_requests_total";
/// RPC latency in seconds, by `method` and `code`, from the request's arrival to the end of the response.
pub const GRPC_REQUEST_DURATION: &str = "iv_grpc_request_duration_seconds";
/// Submits, by `result`: `accepted` (queued for a carrier), `duplicate` (a repeated request id), `refused`
/// (Medicaid or Medicare up front), `unrouted` (no real-time route: verify by phone).
pub const VERIFICATIONS_SUBMITTED: &str = "iv_verifications_submitted_total";
/// Verifications reaching a final state, by `status` (`rejected`, `completed`, `failed`) and `outcome`.
pub const VERIFICATIONS_FINISHED: &str = "iv_verifications_total";
/// Carrier HTTP attempts, by `carrier` and `result_class`.
pub const CARRIER_ATTEMPTS: &str = "iv_carrier_attempts_total";
/// Carrier attempt latency in seconds (all calls of the attempt), by `carrier` and `result_class`.
pub const CARRIER_ATTEMPT_DURATION: &str = "iv_carrier_attempt_duration_seconds";
/// Pending verifications in the store (shared by every replica on PostgreSQL).
pub const QUEUE_DEPTH: &str = "iv_queue_depth";
/// Age in seconds of the oldest pending verification (0 when none is pending).
pub const QUEUE_OLDEST_AGE: &str = "iv_queue_oldest_pending_age_seconds";
/// Each carrier's circuit breaker in this replica: 0 closed, 1 half-open (probing), 2 open.
pub const BREAKER_STATE: &str = "iv_circuit_breaker_state";
/// Times each carrier's circuit breaker opened in this replica since it started.
pub const BREAKER_OPENED: &str = "iv_circuit_breaker_opened_total";
/// Calls in flight to each carrier from this replica.
pub const CARRIER_IN_FLIGHT: &str = "iv_carrier_in_flight";
/// Verifications of each carrier held by this replica (being called, or waiting for the carrier's rate limit).
pub const CARRIER_HELD: &str = "iv_carrier_held";
/// Retries postponed because the carrier's retry budget was spent, since start.
pub const RETRIES_POSTPONED: &str = "iv_carrier_retries_postponed_total";
/// Store operation latency in seconds, by `operation`, `backend` and `result` (`ok` or `error`).
pub const STORE_OPERATION_DURATION: &str = "iv_store_operation_duration_seconds";
/// 1 while the store answers health checks, 0 while it does not.
pub const STORE_UP: &str = "iv_store_up";
/// Always 1, labelled with the running `version`.
pub const BUILD_INFO: &str = "iv_build_info";

/// Latency buckets in seconds: from a fast store statement (1 ms) to a carrier call at CAQH CORE's 20 s limit.
const LATENCY_BUCKETS: [f64; 16] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder (the first call does; later calls return the same handle) and
/// describes every metric. `None` when another recorder was installed first (by an embedding program).
pub fn install() -> Option<PrometheusHandle> {
    // Concurrent first calls (several servers starting in one test process) wait for the one that installs.
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &LATENCY_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .clone()
}

fn describe() {
    describe_counter!(GRPC_REQUESTS, "RPCs served, by gRPC method and status code.");
    describe_histogram!(GRPC_REQUEST_DURATION, Unit::Seconds, "RPC latency, by gRPC method and status code.");
    describe_counter!(
        VERIFICATIONS_SUBMITTED,
        "Verification submits, by result (accepted, duplicate, refused, unrouted)."
    );
    describe_counter!(VERIFICATIONS_FINISHED, "Verifications reaching a final state, by status and outcome.");
    describe_counter!(CARRIER_ATTEMPTS, "Carrier eligibility attempts, by carrier and result class.");
    describe_histogram!(
        CARRIER_ATTEMPT_DURATION,
        Unit::Seconds,
        "Carrier attempt latency, by carrier and result class."
    );
    describe_gauge!(QUEUE_DEPTH, "Pending verifications in the store (the same figure on every replica).");
    describe_gauge!(QUEUE_OLDEST_AGE, Unit::Seconds, "Age of the oldest pending verification.");
    describe_gauge!(BREAKER_STATE, "Carrier circuit breaker in this replica: 0 closed, 1 half-open, 2 open.");
    describe_counter!(BREAKER_OPENED, "Times the carrier's circuit breaker opened in this replica.");
    describe_gauge!(CARRIER_IN_FLIGHT, "Calls in flight to the carrier from this replica.");
    describe_gauge!(CARRIER_HELD, "Verifications of the carrier held by this replica.");
    describe_counter!(RETRIES_POSTPONED, "Retries postponed because the carrier's retry budget was spent.");
    describe_histogram!(
        STORE_OPERATION_DURATION,
        Unit::Seconds,
        "Store operation latency, by operation, backend and result."
    );
    describe_gauge!(STORE_UP, "1 while the store answers health checks, else 0.");
    describe_gauge!(BUILD_INFO, "Always 1, labelled with the running version.");
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// Drains the recorder's histogram buffers; called periodically (and before each render) so memory stays flat.
pub fn run_upkeep() {
    if let Some(Some(handle)) = HANDLE.get() {
        handle.run_upkeep();
    }
}

/// One RPC served.
pub fn rpc_served(method: &'static str, code: tonic::Code, elapsed: Duration) {
    let code = code_name(code);
    counter!(GRPC_REQUESTS, "method" => method, "code" => code).increment(1);
    histogram!(GRPC_REQUEST_DURATION, "method" => method, "code" => code).record(elapsed.as_secs_f64());
}

/// What a submit did: `accepted`, `duplicate`, `refused` or `unrouted`.
pub fn submitted(result: &'static str) {
    counter!(VERIFICATIONS_SUBMITTED, "result" => result).increment(1);
}

/// A verification that was just stored in its final state (refused up front, completed or failed). Does nothing
/// for a pending one.
pub fn finished(verification: &Verification) {
    if !verification.status.is_final() {
        return;
    }
    let outcome = match verification.outcome {
        Some(outcome) => outcome.as_str(),
        // Refused up front: the screening verdict is the outcome (medicaid, medicare).
        None => verification.screening.verdict.as_str(),
    };
    counter!(VERIFICATIONS_FINISHED, "status" => verification.status.as_str(), "outcome" => outcome).increment(1);
}

/// One carrier attempt and how long it took.
pub fn carrier_attempt(carrier: &str, result_class: AttemptResultClass, elapsed: Duration) {
    let labels = [("carrier", carrier.to_owned()), ("result_class", result_class.as_str().to_owned())];
    counter!(CARRIER_ATTEMPTS, &labels).increment(1);
    histogram!(CARRIER_ATTEMPT_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// The carrier lanes' state in this replica.
pub fn carrier_lanes(lanes: &[LaneStatus]) {
    for lane in lanes {
        let carrier = [("carrier", lane.carrier.clone())];
        let state = match lane.breaker {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        };
        gauge!(BREAKER_STATE, &carrier).set(state);
        counter!(BREAKER_OPENED, &carrier).absolute(lane.breaker_opened);
        gauge!(CARRIER_IN_FLIGHT, &carrier).set(f64::from(lane.calls_in_flight));
        gauge!(CARRIER_HELD, &carrier).set(f64::from(lane.held));
        counter!(RETRIES_POSTPONED, &carrier).absolute(lane.retries_postponed);
    }
}

/// The queue's depth and the age of its oldest pending work.
pub fn queue(depth: u64, oldest_age: Duration) {
    // Precision lost only past 2^53 pending verifications.
    #[allow(clippy::cast_precision_loss)]
    gauge!(QUEUE_DEPTH).set(depth as f64);
    gauge!(QUEUE_OLDEST_AGE).set(oldest_age.as_secs_f64());
}

/// One store operation.
pub fn store_operation(operation: &'static str, backend: &'static str, ok: bool, elapsed: Duration) {
    let result = if ok { "ok" } else { "error" };
    histogram!(STORE_OPERATION_DURATION, "operation" => operation, "backend" => backend, "result" => result)
        .record(elapsed.as_secs_f64());
}

/// Whether the store answers.
pub fn store_up(up: bool) {
    gauge!(STORE_UP).set(if up { 1.0 } else { 0.0 });
}

/// The gRPC code's canonical upper-case name, as gRPC documentation and other servers spell it.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
