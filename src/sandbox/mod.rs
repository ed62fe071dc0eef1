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
//! `GET /health` answers `{"status":"UP"}`. Every answer is built once at start-up; `SLOW` waits with
//! `tokio::time::sleep`, so a thousand calls in flight cost little more than their sockets.

pub mod scenarios;
pub mod x12;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use scenarios::{GARBAGE_BODY, SERVER_ERROR_BODY, SandboxRequest};
pub use scenarios::{Scenario, Templates};

/// The path the simulator answers eligibility requests on.
pub const ELIGIBILITY_PATH: &str = "/medicalnetwork/eligibility/v3";

/// Shared by every request of one simulator.
pub(crate) struct SandboxState {
    templates: Templates,
    requests: Arc<AtomicU64>,
    /// Requests being answered now, and the most ever at once (tests check carrier concurrency limits with it).
    in_flight: Arc<InFlight>,
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
}

/// Serves the simulator on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    serve_counting(listener, shutdown, Arc::new(AtomicU64::new(0)), Arc::default()).await
}

async fn serve_counting(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    requests: Arc<AtomicU64>,
    in_flight: Arc<InFlight>,
) -> std::io::Result<()> {
    let year = time::OffsetDateTime::now_utc().year();
    let state = Arc::new(SandboxState { templates: Templates::new(year), requests, in_flight });
    let app = Router::new()
        .route(ELIGIBILITY_PATH, post(eligibility))
        .route(x12::RAW_X12_PATH, post(x12::raw_x12))
        .route(x12::CORE_PATH, post(x12::caqh_core))
        .route("/health", get(health))
        .with_state(state);
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
    let task = tokio::spawn(serve_counting(listener, shutdown, Arc::clone(&requests), Arc::clone(&in_flight)));
    tracing::info!(addr = %local_addr, "sandbox carrier listening");
    Ok(SandboxHandle { local_addr, stop: Some(stop), task: Some(task), requests, in_flight })
}

/// A simulator running in the background. Dropping it stops the simulator (requests in flight finish).
#[derive(Debug)]
pub struct SandboxHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    requests: Arc<AtomicU64>,
    in_flight: Arc<InFlight>,
}

impl SandboxHandle {
    /// The most eligibility requests the simulator has been answering at the same moment, in any wire format.
    pub fn most_in_flight(&self) -> u64 {
        self.in_flight.most.load(Ordering::SeqCst)
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

async fn eligibility(State(state): State<Arc<SandboxState>>, body: Bytes) -> Response {
    let _in_flight = state.begin();
    let request: SandboxRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return validation_error("body", "request body is not a valid eligibility request"),
    };
    match answer(&state, &request).await {
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

/// Chooses the scenario by member ID and renders its answer (waiting first for `SLOW`).
pub(crate) async fn answer(state: &SandboxState, request: &SandboxRequest) -> Answer {
    let Some(member_id) = request.subscriber.as_ref().and_then(|s| s.member_id.as_deref()) else {
        return Answer::MissingMemberId;
    };
    let scenario = Scenario::for_member_id(member_id);
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
    };
    Answer::Json { status: template.status, body: template.render(request) }
}
