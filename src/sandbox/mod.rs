//! The built-in carrier simulator: speaks the eligibility v3 JSON API (`POST /medicalnetwork/eligibility/v3`,
//! the Change Healthcare / Stedi shape), the clearinghouse raw-X12 API and CAQH CORE real-time (see [`x12`]) over
//! HTTP on loopback, with deterministic answers chosen by member ID, the same in every wire format.
//! `serve` without a carrier directory runs it in-process; `insurance-verifier simulate-carrier` runs it alone;
//! tests and load tests call [`spawn`].
//!
//! # Scenarios
//!
//! Chosen by the member ID's prefix, compared case-insensitively on the ID without spaces or hyphens
//! (`act-100 001` is `ACT100001`). Any other ID gets the active PPO answer. The answer echoes the
//! subscriber's (and dependents') names, date of birth and member ID from the request, as real payers do; the
//! simulator never logs them.
//!
//! | member ID starts with | HTTP | answer | the service's outcome |
//! |---|---|---|---|
//! | `ACT` (or anything else) | 200 | Active "Blue Access PPO" (insurance type PR), plan dates of the current year. Substance abuse (AI): $35 copay per visit in network, prior authorisation required, 30 visits per calendar year; mental health (MH, CF): $30 copay; coinsurance 20% in network / 40% out; deductible individual $1,500 (remaining $600), family $3,000 ($2,100) in network, $3,000 ($3,000) individual out of network; out-of-pocket individual $6,000 ($4,350), family $12,000 ($9,800); behavioural health carved out to "Carelon Behavioral Health" | coverage active |
//! | `INA` | 200 | Coverage inactive (EB01 `6`), plan ended last year | coverage inactive |
//! | `NF` | 400 | AAA 75 "Subscriber/Insured Not Found" (decided from the body, not the status) | member not found |
//! | `MM` | 200 | AAA 73 "Invalid/Missing Subscriber/Insured Name" | demographics mismatch (name) |
//! | `DOB` | 200 | AAA 71 "Patient Birth Date Does Not Match" | demographics mismatch (date of birth) |
//! | `MA` | 200 | Active, but a Medicare Advantage plan: insurance types HN and MA, "Humana Gold Plus HMO (Medicare Advantage)" | government plan found in the carrier's answer |
//! | `BUSY` | 200 | AAA 42 "Unable to Respond at Current Time" | retried, then carrier unavailable |
//! | `ERR` | 500 | Server error | retried, then carrier unavailable |
//! | `SLOW` | 200 | The `ACT` answer after a delay: `SLOW2500` waits 2,500 ms, `SLOW` alone 3,000 ms (at most 120 s) | coverage active, or a timeout when the delay exceeds the carrier timeout |
//! | `BAD` | 200 | A body that is not JSON | carrier rejected (invalid response) |
//!
//! # Forced scenarios (a faulty carrier)
//!
//! Under the path prefix `/scenario/{name}` every request gets the scenario `name`, whatever its member ID, in
//! every wire format: `/scenario/{name}/medicalnetwork/eligibility/v3` (JSON),
//! `/scenario/{name}/medicalnetwork/eligibility/v3/raw-x12` (raw X12) and `/scenario/{name}/core/realtime`
//! (CAQH CORE). Connectors append their path to a route's `base_url`, so a carrier directory route with
//! `base_url = "http://127.0.0.1:PORT/scenario/hang"` (CORE: `".../scenario/hang/core/realtime"`) is a carrier
//! that never answers, while other routes on the same simulator answer normally. An unknown name gets HTTP 404.
//!
//! | name | HTTP | answer | the service's outcome |
//! |---|---|---|---|
//! | `hang` | none | Holds the request until the client gives up (the handler is dropped when the connection closes), the simulator stops, or 10 minutes pass | timeouts, retried, then carrier unavailable |
//! | `server_error` | 500 | As `ERR` | retried, then carrier unavailable |
//! | `busy` | 200 | As `BUSY`: AAA 42 | retried, then carrier unavailable |
//! | `garbage` | 200 | As `BAD`: not an answer | carrier rejected (invalid response), not retried |
//! | `active` | 200 | As `ACT` | coverage active |
//!
//! The other member-ID scenarios can be forced by their names too: `inactive`, `subscriber_not_found`,
//! `name_mismatch`, `birth_date_mismatch`, `medicare_advantage` (see [`Scenario::forced`]).
//!
//! # Other endpoints
//!
//! `GET /health` answers `{"status":"UP"}`. `GET /sandbox/stats` answers the counters
//! `{"requests": N, "in_flight": N, "most_in_flight": N}`: eligibility requests received (every wire format,
//! forced or not), being answered now, and the most ever answered at once. Counts only, never PHI: tests that run
//! `simulate-carrier` as a separate process count carrier calls with it. Every answer is built once at start-up;
//! `SLOW` and `hang` wait with `tokio::time::sleep`, so a thousand calls in flight cost little more than their
//! sockets.

pub mod scenarios;
pub mod x12;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use scenarios::{GARBAGE_BODY, SERVER_ERROR_BODY, SandboxRequest};
pub use scenarios::{Scenario, Templates};

/// The path the simulator answers eligibility requests on.
pub const ELIGIBILITY_PATH: &str = "/medicalnetwork/eligibility/v3";
/// The path of the request counters ([`SandboxStats`] as JSON).
pub const STATS_PATH: &str = "/sandbox/stats";
/// The path prefix that forces a scenario on every request under it: `/scenario/{name}` + a wire format's path.
pub const FORCED_SCENARIO_PREFIX: &str = "/scenario";

/// Shared by every request of one simulator.
pub(crate) struct SandboxState {
    templates: Templates,
    requests: Arc<AtomicU64>,
    /// Requests being answered now, and the most ever at once (tests check carrier concurrency limits with it).
    in_flight: Arc<InFlight>,
    /// Cancelled when the simulator stops, so that `hang` requests end and the graceful shutdown is not held up.
    stopping: CancellationToken,
    /// The `traceparent` headers received, as a tracing carrier would see them.
    traces: Arc<TraceLog>,
}

/// The simulator's counters, as `GET /sandbox/stats` answers them. Counts only: no PHI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxStats {
    /// Eligibility requests received so far, in every wire format (health and stats requests not counted).
    pub requests: u64,
    /// Eligibility requests being answered now.
    pub in_flight: u64,
    /// The most eligibility requests ever answered at the same moment.
    pub most_in_flight: u64,
}

/// The W3C `traceparent` headers of the last requests received (trace and span ids: no PHI), newest last, so tests
/// can check that the service's trace context reaches the carrier.
#[derive(Debug, Default)]
pub struct TraceLog {
    seen: std::sync::Mutex<std::collections::VecDeque<String>>,
}

impl TraceLog {
    /// How many headers are kept.
    const KEPT: usize = 256;

    fn record(&self, traceparent: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() == Self::KEPT {
                seen.pop_front();
            }
            seen.push_back(traceparent.to_owned());
        }
    }

    /// The headers kept, oldest first.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|seen| seen.iter().cloned().collect()).unwrap_or_default()
    }
}

/// Keeps each request's `traceparent` header, if it has one.
async fn record_traceparent(
    State(state): State<Arc<SandboxState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(traceparent) = request.headers().get("traceparent").and_then(|value| value.to_str().ok()) {
        state.traces.record(traceparent);
    }
    next.run(request).await
}

/// Counts the eligibility requests being answered at the same time.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    now: AtomicU64,
    most: AtomicU64,
}

impl InFlight {
    /// Counts one request until the returned guard is dropped (when its answer has been produced).
    pub(crate) fn enter(self: &Arc<Self>) -> InFlightGuard {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(Arc::clone(self))
    }
}

/// One request in flight; see [`InFlight::enter`].
pub(crate) struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SandboxState {
    /// Counts a request: served, and in flight until the guard is dropped.
    pub(crate) fn begin(&self) -> InFlightGuard {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.in_flight.enter()
    }

    fn stats(&self) -> SandboxStats {
        stats_of(&self.requests, &self.in_flight)
    }
}

fn stats_of(requests: &AtomicU64, in_flight: &InFlight) -> SandboxStats {
    SandboxStats {
        requests: requests.load(Ordering::SeqCst),
        in_flight: in_flight.now.load(Ordering::SeqCst),
        most_in_flight: in_flight.most.load(Ordering::SeqCst),
    }
}

/// Serves the simulator on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    serve_counting(listener, shutdown, Arc::new(AtomicU64::new(0)), Arc::default(), Arc::default()).await
}

async fn serve_counting(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    requests: Arc<AtomicU64>,
    in_flight: Arc<InFlight>,
    traces: Arc<TraceLog>,
) -> std::io::Result<()> {
    let year = time::OffsetDateTime::now_utc().year();
    let stopping = CancellationToken::new();
    let state = Arc::new(SandboxState {
        templates: Templates::new(year),
        requests,
        in_flight,
        stopping: stopping.clone(),
        traces,
    });
    let forced = |path: &str| format!("{FORCED_SCENARIO_PREFIX}/{{scenario}}{path}");
    let app = Router::new()
        .route(ELIGIBILITY_PATH, post(eligibility))
        .route(x12::RAW_X12_PATH, post(x12::raw_x12))
        .route(x12::CORE_PATH, post(x12::caqh_core))
        .route(&forced(ELIGIBILITY_PATH), post(forced_eligibility))
        .route(&forced(x12::RAW_X12_PATH), post(x12::forced_raw_x12))
        .route(&forced(x12::CORE_PATH), post(x12::forced_caqh_core))
        .route("/health", get(health))
        .route(STATS_PATH, get(stats))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), record_traceparent))
        .with_state(state);
    let shutdown = async move {
        shutdown.await;
        // Graceful shutdown waits for the requests in flight: release the ones that would hang for minutes.
        stopping.cancel();
    };
    // Small answers on keep-alive connections: without TCP_NODELAY, Nagle's algorithm and the client's delayed
    // ACK hold each answer back for tens of milliseconds.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on a simulator connection");
        }
    });
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Binds `addr` (port 0 picks a free port) and runs the simulator in a background task.
pub async fn spawn(addr: SocketAddr) -> std::io::Result<SandboxHandle> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let requests = Arc::new(AtomicU64::new(0));
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        // A dropped sender is a stop signal too.
        let _ = stopped.await;
    };
    let in_flight: Arc<InFlight> = Arc::default();
    let traces: Arc<TraceLog> = Arc::default();
    let task = tokio::spawn(serve_counting(
        listener,
        shutdown,
        Arc::clone(&requests),
        Arc::clone(&in_flight),
        Arc::clone(&traces),
    ));
    tracing::info!(addr = %local_addr, "sandbox carrier listening");
    Ok(SandboxHandle { local_addr, stop: Some(stop), task: Some(task), requests, in_flight, traces })
}

/// A simulator running in the background. Dropping it stops the simulator (requests in flight finish).
#[derive(Debug)]
pub struct SandboxHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    requests: Arc<AtomicU64>,
    in_flight: Arc<InFlight>,
    traces: Arc<TraceLog>,
}

impl SandboxHandle {
    /// The `traceparent` headers of the last requests received (at most 256), oldest first.
    pub fn traceparents_seen(&self) -> Vec<String> {
        self.traces.seen()
    }

    /// A shared handle on the received `traceparent` headers, readable after the handle itself has moved.
    pub fn trace_log(&self) -> Arc<TraceLog> {
        Arc::clone(&self.traces)
    }

    /// The most eligibility requests the simulator has been answering at the same moment, in any wire format.
    pub fn most_in_flight(&self) -> u64 {
        self.in_flight.most.load(Ordering::SeqCst)
    }

    /// The counters `GET /sandbox/stats` answers.
    pub fn stats(&self) -> SandboxStats {
        stats_of(&self.requests, &self.in_flight)
    }

    /// The base URL carrier routes use, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The address the simulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Eligibility requests received so far (health checks not counted). Tests use it to prove that no
    /// carrier call happened.
    pub fn requests_served(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A shared handle on the request counter, readable after the handle itself has moved (tests keep it
    /// while the application owns the simulator).
    pub fn request_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.requests)
    }

    /// Stops accepting, lets requests in flight finish (for at most 5 s), and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            match tokio::time::timeout(Duration::from_secs(5), &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(error))) => tracing::warn!(error = %error, "sandbox carrier stopped with an error"),
                Ok(Err(error)) => tracing::warn!(error = %error, "sandbox carrier task failed"),
                Err(_) => {
                    tracing::warn!("sandbox carrier did not stop within 5 s: aborting requests in flight");
                    task.abort();
                }
            }
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn health() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], "{\"status\":\"UP\"}")
}

async fn stats(State(state): State<Arc<SandboxState>>) -> Json<SandboxStats> {
    Json(state.stats())
}

fn json_response(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A request the simulator cannot read: a validation error without AAA code, as the real API sends.
fn validation_error(field: &str, description: &str) -> Response {
    let body = serde_json::json!({
        "status": "ERROR",
        "errors": [{ "field": field, "description": description }],
    });
    json_response(400, body.to_string())
}

/// The answer to a request under `/scenario/{name}` with an unknown name (counted like any other request).
pub(crate) fn unknown_scenario() -> Response {
    let body = serde_json::json!({
        "status": "ERROR",
        "errors": [{ "field": "path", "description": "unknown sandbox scenario" }],
    });
    json_response(404, body.to_string())
}

async fn eligibility(State(state): State<Arc<SandboxState>>, body: Bytes) -> Response {
    eligibility_with(&state, None, &body).await
}

/// `POST /scenario/{name}/medicalnetwork/eligibility/v3`.
async fn forced_eligibility(
    State(state): State<Arc<SandboxState>>,
    Path(scenario): Path<String>,
    body: Bytes,
) -> Response {
    match Scenario::forced(&scenario) {
        Some(forced) => eligibility_with(&state, Some(forced), &body).await,
        None => {
            let _in_flight = state.begin();
            unknown_scenario()
        }
    }
}

async fn eligibility_with(state: &SandboxState, forced: Option<Scenario>, body: &[u8]) -> Response {
    let _in_flight = state.begin();
    let request: SandboxRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(_) => return validation_error("body", "request body is not a valid eligibility request"),
    };
    match answer(state, &request, forced).await {
        Answer::Json { status, body } => json_response(status, body),
        Answer::MissingMemberId => validation_error("subscriber.memberId", "subscriber.memberId is required"),
        Answer::ServerError => json_response(500, SERVER_ERROR_BODY.to_owned()),
        Answer::Garbage => (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], GARBAGE_BODY).into_response(),
    }
}

/// What the simulator answers one request with, whatever the wire format.
pub(crate) enum Answer {
    /// An eligibility v3 JSON answer and its HTTP status.
    Json {
        /// HTTP status.
        status: u16,
        /// The JSON text.
        body: String,
    },
    /// The request names no member ID.
    MissingMemberId,
    /// `ERR`: HTTP 500.
    ServerError,
    /// `BAD`: a body that is not an answer.
    Garbage,
}

/// Chooses the scenario (`forced`, or else by member ID) and renders its answer (waiting first for `SLOW`;
/// `hang` waits until the client gives up, which drops this future, or the simulator stops).
pub(crate) async fn answer(state: &SandboxState, request: &SandboxRequest, forced: Option<Scenario>) -> Answer {
    let scenario = match forced {
        Some(scenario) => scenario,
        None => {
            let Some(member_id) = request.subscriber.as_ref().and_then(|s| s.member_id.as_deref()) else {
                return Answer::MissingMemberId;
            };
            Scenario::for_member_id(member_id)
        }
    };
    // The scenario name only: the member ID and names are PHI even in a simulator's logs.
    tracing::debug!(scenario = scenario.name(), "sandbox eligibility request");
    let templates = &state.templates;
    let template = match scenario {
        Scenario::ActivePpo => &templates.active_ppo,
        Scenario::Slow(delay) => {
            tokio::time::sleep(delay).await;
            &templates.active_ppo
        }
        Scenario::Inactive => &templates.inactive,
        Scenario::SubscriberNotFound => &templates.subscriber_not_found,
        Scenario::NameMismatch => &templates.name_mismatch,
        Scenario::BirthDateMismatch => &templates.birth_date_mismatch,
        Scenario::MedicareAdvantage => &templates.medicare_advantage,
        Scenario::Busy => &templates.busy,
        Scenario::ServerError => return Answer::ServerError,
        Scenario::Garbage => return Answer::Garbage,
        Scenario::Hang => {
            tokio::select! {
                _ = tokio::time::sleep(scenarios::HANG_DURATION) => {}
                _ = state.stopping.cancelled() => {}
            }
            // Nobody is waiting for an answer any more (or the simulator is stopping): say so plainly.
            return Answer::ServerError;
        }
    };
    Answer::Json { status: template.status, body: template.render(request) }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::carriers::caqh_core::CaqhCoreConnector;
    use crate::carriers::raw_x12::RawX12Connector;
    use crate::carriers::{AttemptOutput, Connector, Directory, EligibilityJsonConnector, EligibilityQuery, Provider};
    use crate::domain::test_support::sample_request;
    use crate::domain::{AttemptResult, AttemptResultClass, MemberId};

    async fn start() -> SandboxHandle {
        let _ = rustls::crypto::ring::default_provider().install_default();
        spawn(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("simulator starts")
    }

    /// One connector per wire format, each on `/scenario/{scenario}` of the simulator at `base_url`.
    fn forced_connectors(
        base_url: &str,
        scenario: &str,
        request_timeout: &str,
    ) -> Vec<(&'static str, Box<dyn Connector>)> {
        let toml = format!(
            r#"
            [[carriers]]
            id = "forced-json"
            display_name = "Forced Json"
            payer_ids = ["FJSON"]
            format = "eligibility_json_v3"
            base_url = "{base_url}/scenario/{scenario}"
            request_timeout = "{request_timeout}"

            [[carriers]]
            id = "forced-raw"
            display_name = "Forced Raw"
            payer_ids = ["FRAW"]
            format = "x12_raw_json"
            base_url = "{base_url}/scenario/{scenario}"
            request_timeout = "{request_timeout}"

            [[carriers]]
            id = "forced-core"
            display_name = "Forced Core"
            payer_ids = ["FCORE"]
            format = "caqh_core"
            base_url = "{base_url}/scenario/{scenario}/core/realtime"
            request_timeout = "{request_timeout}"
            "#
        );
        let directory = Directory::from_toml_str(&toml).expect("valid directory");
        let routes = directory.routes();
        vec![
            (
                "json",
                Box::new(EligibilityJsonConnector::new(&routes[0]).expect("json connector")) as Box<dyn Connector>,
            ),
            ("raw x12", Box::new(RawX12Connector::new(&routes[1]).expect("raw x12 connector"))),
            ("core", Box::new(CaqhCoreConnector::new(&routes[2]).expect("core connector"))),
        ]
    }

    /// Asks `connector` about the sample applicant with `member_id` on the card.
    async fn ask(connector: &dyn Connector, member_id: &str) -> AttemptOutput {
        let mut request = sample_request();
        request.card.member_id = MemberId::parse(member_id).expect("valid member id");
        let provider = Provider { npi: "1234567893".to_owned(), organization_name: "Sandbox Clinic".to_owned() };
        connector
            .check_eligibility(EligibilityQuery {
                verification_id: uuid::Uuid::now_v7(),
                attempt_number: 1,
                request: &request,
                payer_id: "FORCED",
                payer_name: "Forced Health",
                provider: &provider,
                service_types: &["30", "AI", "MH"],
            })
            .await
    }

    fn class_of(output: &AttemptOutput) -> AttemptResultClass {
        match &output.result {
            AttemptResult::Answered(_) => AttemptResultClass::Answered,
            AttemptResult::Failed { class, .. } => *class,
        }
    }

    /// Polls the simulator's counters until `done` holds for them (at most 3 s).
    async fn stats_until(sandbox: &SandboxHandle, done: impl Fn(&SandboxStats) -> bool) -> SandboxStats {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        loop {
            let stats = sandbox.stats();
            if done(&stats) || tokio::time::Instant::now() > deadline {
                return stats;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_forced_scenario_answers_in_every_wire_format_whatever_the_member_id() {
        // Arrange: member IDs that, unforced, choose other scenarios.
        let sandbox = start().await;
        let cases = [
            ("busy", "ACT100", AttemptResultClass::CarrierBusy),
            ("server_error", "ACT101", AttemptResultClass::ServerError),
            ("garbage", "ACT102", AttemptResultClass::InvalidResponse),
            ("active", "ERR103", AttemptResultClass::Answered),
        ];

        for (scenario, member_id, expected) in cases {
            for (format, connector) in forced_connectors(&sandbox.base_url(), scenario, "5s") {
                // Act
                let output = ask(connector.as_ref(), member_id).await;

                // Assert
                assert_eq!(class_of(&output), expected, "{scenario} over {format}: {:?}", output.error_code);
                if scenario == "busy" {
                    assert_eq!(output.error_code.as_deref(), Some("AAA:42"), "busy over {format}");
                }
                if scenario == "server_error" {
                    assert_eq!(output.http_status, Some(500), "server_error over {format}");
                }
            }
        }
        assert_eq!(sandbox.stats().requests, 12, "four scenarios in three wire formats");
    }

    #[tokio::test]
    async fn member_id_scenarios_still_apply_outside_the_forced_prefix() {
        // Arrange
        let sandbox = start().await;
        let route = Directory::sandbox(&sandbox.base_url()).routes()[0].clone();
        let connector = EligibilityJsonConnector::new(&route).expect("connector");

        // Act
        let busy = ask(&connector, "BUSY1").await;
        let active = ask(&connector, "ACT1").await;

        // Assert
        assert_eq!(class_of(&busy), AttemptResultClass::CarrierBusy);
        assert_eq!(class_of(&active), AttemptResultClass::Answered);
    }

    #[tokio::test]
    async fn a_hanging_carrier_holds_each_request_until_the_client_gives_up() {
        // Arrange
        let sandbox = start().await;
        let connectors = forced_connectors(&sandbox.base_url(), "hang", "300ms");

        for (format, connector) in &connectors {
            // Act
            let output = ask(connector.as_ref(), "ACT200").await;

            // Assert: a timeout on the client's side, and the simulator let go of the request once the client
            // closed the connection (the handler future was dropped, not left sleeping for ten minutes).
            assert_eq!(class_of(&output), AttemptResultClass::Timeout, "hang over {format}");
            assert!(output.latency >= Duration::from_millis(300), "{format}: {:?}", output.latency);
            let stats = stats_until(&sandbox, |s| s.in_flight == 0).await;
            assert_eq!(stats.in_flight, 0, "hang over {format}: the request is still held after the client left");
        }
        assert_eq!(sandbox.stats().requests, 3);
    }

    #[tokio::test]
    async fn stopping_the_simulator_ends_hanging_requests_at_once() {
        // Arrange: a client that would wait a minute for an answer.
        let sandbox = start().await;
        let mut connectors = forced_connectors(&sandbox.base_url(), "hang", "60s");
        let (_, connector) = connectors.remove(0);
        let call = tokio::spawn(async move { ask(connector.as_ref(), "ACT300").await });
        let held = stats_until(&sandbox, |s| s.in_flight == 1).await;
        assert_eq!(held.in_flight, 1, "the hanging request arrived");

        // Act
        let started = tokio::time::Instant::now();
        sandbox.shutdown().await;
        let output = call.await.expect("call task");

        // Assert: the shutdown did not wait for its 5 s abort, and the client got a plain server error.
        assert!(started.elapsed() < Duration::from_secs(3), "shutdown took {:?}", started.elapsed());
        assert_eq!(class_of(&output), AttemptResultClass::ServerError);
    }

    #[tokio::test]
    async fn an_unknown_forced_scenario_is_answered_with_404() {
        // Arrange
        let sandbox = start().await;
        let client = reqwest::Client::new();
        let url = format!("{}/scenario/no_such_scenario{ELIGIBILITY_PATH}", sandbox.base_url());

        // Act
        let response = client.post(url).body("{}").send().await.expect("simulator answers");

        // Assert
        assert_eq!(response.status().as_u16(), 404);
        assert_eq!(sandbox.stats().requests, 1);
    }

    #[tokio::test]
    async fn stats_count_requests_in_flight_and_the_most_at_once_without_phi() {
        // Arrange: two slow calls at the same time, then a quick one.
        let sandbox = start().await;
        let route = Directory::sandbox(&sandbox.base_url()).routes()[0].clone();
        let connector = Arc::new(EligibilityJsonConnector::new(&route).expect("connector"));
        let slow = |member_id: &'static str| {
            let connector = Arc::clone(&connector);
            tokio::spawn(async move { ask(connector.as_ref(), member_id).await })
        };
        let calls = [slow("SLOW400"), slow("SLOW400")];
        let url = format!("{}{STATS_PATH}", sandbox.base_url());
        let during = stats_until(&sandbox, |s| s.in_flight == 2).await;

        // Act
        let while_busy: serde_json::Value =
            reqwest::get(&url).await.expect("stats answer").json().await.expect("stats are JSON");
        for call in calls {
            call.await.expect("slow call");
        }
        ask(connector.as_ref(), "ACT1").await;
        let after: serde_json::Value =
            reqwest::get(&url).await.expect("stats answer").json().await.expect("stats are JSON");

        // Assert
        assert_eq!(during.in_flight, 2);
        assert_eq!(while_busy, serde_json::json!({ "requests": 2, "in_flight": 2, "most_in_flight": 2 }));
        assert_eq!(after, serde_json::json!({ "requests": 3, "in_flight": 0, "most_in_flight": 2 }));
        assert_eq!(sandbox.stats(), SandboxStats { requests: 3, in_flight: 0, most_in_flight: 2 });
    }
}
