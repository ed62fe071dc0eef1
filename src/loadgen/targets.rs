//! What the load generator calls: the service's `SubmitVerification` (the scenarios), and the baselines measured
//! in the same run: a bare tonic unary RPC (`grpc.health.v1.Health/Check` on a server in this process) and plain
//! single-row INSERTs into a scratch table of the same database.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::Request;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic_health::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::pb::{HealthCheckRequest, health_check_response};
use tonic_health::server::{HealthReporter, HealthService};
use uuid::Uuid;

use super::LoadgenError;
use super::Scenario;
use super::driver::{Target, Worker};
use super::stats::Outcome;
use crate::api::pb;
use crate::api::pb::verification_service_client::VerificationServiceClient;

/// The carrier name on every generated card: a commercial brand the directory knows (the sandbox takes any).
pub const CARRIER: &str = "Anthem Blue Cross Blue Shield";
/// Member ID of refusals and accepted submits: the simulator's ordinary active member.
pub const ACTIVE_MEMBER_ID: &str = "ACT123456789";

/// Opens `count` HTTP/2 connections to `target` (each `Endpoint::connect` is its own connection), so calls can
/// be spread over them round-robin.
pub async fn connect(target: &str, count: usize, call_timeout: Duration) -> Result<Vec<Channel>, LoadgenError> {
    let endpoint = Endpoint::from_shared(target.to_owned())
        .map_err(|e| LoadgenError::Usage(format!("--target {target}: {e}")))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(call_timeout)
        .tcp_nodelay(true);
    let mut channels = Vec::with_capacity(count.max(1));
    for _ in 0..count.max(1) {
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| LoadgenError::Connect { target: target.to_owned(), reason: describe(&e) })?;
        channels.push(channel);
    }
    Ok(channels)
}

/// An error and its causes on one line (tonic's transport errors hide the useful part in their sources).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The stable name of a gRPC status code, as in the gRPC spec (`UNAVAILABLE`, ...): the same names `/metrics` uses.
pub use crate::telemetry::metrics::code_name;

/// A fresh random idempotency key. From the thread-local generator rather than the OS, so that making one costs
/// no system call.
fn request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid().hyphenated().to_string()
}

/// The service under a scenario's load: `SubmitVerification` with a fixed form and a fresh `request_id` each call.
pub struct ScenarioTarget {
    clients: Vec<VerificationServiceClient<Channel>>,
    template: Arc<pb::SubmitVerificationRequest>,
    authorization: Option<MetadataValue<Ascii>>,
    scenario: Scenario,
}

impl ScenarioTarget {
    /// A target over `channels` for `scenario`. End-to-end calls name a `SLOW{carrier_latency}` member (the
    /// simulator answers after that many milliseconds) and wait up to `wait_for_result` for the answer.
    pub fn new(
        channels: Vec<Channel>,
        scenario: Scenario,
        token: Option<&str>,
        carrier_latency: Duration,
        wait_for_result: Duration,
    ) -> Result<ScenarioTarget, LoadgenError> {
        let authorization = token
            .map(|token| format!("Bearer {token}").parse::<MetadataValue<Ascii>>())
            .transpose()
            .map_err(|_| LoadgenError::Usage("--token must be printable ASCII".to_owned()))?;
        Ok(ScenarioTarget {
            clients: channels.into_iter().map(VerificationServiceClient::new).collect(),
            template: Arc::new(form(scenario, carrier_latency, wait_for_result)),
            authorization,
            scenario,
        })
    }
}

/// The form a scenario submits (without its `request_id`).
pub fn form(scenario: Scenario, carrier_latency: Duration, wait_for_result: Duration) -> pb::SubmitVerificationRequest {
    match scenario {
        // The plan type chosen on the form is the strongest screening signal: refused before any carrier call.
        Scenario::Refusals => crate::api::samples::submit_form(CARRIER, ACTIVE_MEMBER_ID, pb::PlanType::Medicaid),
        Scenario::Submits => crate::api::samples::submit_form(CARRIER, ACTIVE_MEMBER_ID, pb::PlanType::Employer),
        Scenario::E2e => {
            let member_id = format!("SLOW{}LOAD", carrier_latency.as_millis());
            let mut form = crate::api::samples::submit_form(CARRIER, &member_id, pb::PlanType::Employer);
            form.wait_for_result = Some(prost_types::Duration {
                seconds: i64::try_from(wait_for_result.as_secs()).unwrap_or(i64::MAX),
                nanos: i32::try_from(wait_for_result.subsec_nanos()).unwrap_or(0),
            });
            form
        }
    }
}

/// Whether a verification returned by `SubmitVerification` is what `scenario` counts as done.
pub fn classify(scenario: Scenario, status: pb::VerificationStatus) -> Outcome {
    use pb::VerificationStatus as S;
    let done = match scenario {
        Scenario::Refusals => status == S::Rejected,
        // Accepted means stored: the reply comes before the carrier is called.
        Scenario::Submits => matches!(status, S::Pending | S::Completed),
        Scenario::E2e => status == S::Completed,
    };
    if done {
        Outcome::Ok
    } else {
        let name = status.as_str_name();
        Outcome::Unexpected(name.strip_prefix("VERIFICATION_STATUS_").unwrap_or(name))
    }
}

impl Target for ScenarioTarget {
    type Worker = ScenarioWorker;

    fn worker(&self, index: u64) -> ScenarioWorker {
        let client = &self.clients[(index % self.clients.len() as u64) as usize];
        ScenarioWorker {
            client: client.clone(),
            template: Arc::clone(&self.template),
            authorization: self.authorization.clone(),
            scenario: self.scenario,
        }
    }
}

/// One caller of a scenario.
pub struct ScenarioWorker {
    client: VerificationServiceClient<Channel>,
    template: Arc<pb::SubmitVerificationRequest>,
    authorization: Option<MetadataValue<Ascii>>,
    scenario: Scenario,
}

impl Worker for ScenarioWorker {
    async fn call(&mut self) -> Outcome {
        // tonic takes the message by value: one clone of the small form per call is the least it allows.
        let mut message = pb::SubmitVerificationRequest::clone(&self.template);
        message.request_id = request_id();
        let mut request = Request::new(message);
        if let Some(authorization) = &self.authorization {
            request.metadata_mut().insert("authorization", authorization.clone());
        }
        match self.client.submit_verification(request).await {
            Ok(response) => {
                let status = response
                    .get_ref()
                    .verification
                    .as_ref()
                    .map_or(pb::VerificationStatus::Unspecified, |v| v.status());
                classify(self.scenario, status)
            }
            Err(status) => Outcome::Error(code_name(status.code())),
        }
    }
}

/// A bare tonic server in this process answering `grpc.health.v1.Health/Check`: the least a unary RPC costs
/// through the same tonic, HTTP/2 and loopback stack, with no application code.
pub struct GrpcBaseline {
    clients: Vec<HealthClient<Channel>>,
    stop: CancellationToken,
    server: tokio::task::JoinHandle<()>,
}

impl GrpcBaseline {
    /// Starts the health server on `127.0.0.1:0` and connects `channels` connections to it.
    pub async fn start(channels: usize, call_timeout: Duration) -> Result<GrpcBaseline, LoadgenError> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(LoadgenError::Baseline)?;
        let address = listener.local_addr().map_err(LoadgenError::Baseline)?;
        let reporter = HealthReporter::new();
        reporter.set_service_status("", ServingStatus::Serving).await;
        let service = HealthServer::new(HealthService::from_health_reporter(reporter));
        let stop = CancellationToken::new();
        let server = tokio::spawn({
            let stop = stop.clone();
            async move {
                // Same builder defaults as the service's own server (src/startup.rs).
                let served = tonic::transport::Server::builder()
                    .add_service(service)
                    .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stop.cancelled_owned())
                    .await;
                if let Err(error) = served {
                    eprintln!("loadgen: baseline gRPC server failed: {error}");
                }
            }
        });
        let channels = connect(&format!("http://{address}"), channels, call_timeout).await?;
        Ok(GrpcBaseline { clients: channels.into_iter().map(HealthClient::new).collect(), stop, server })
    }

    /// Stops the server.
    pub async fn stop(self) {
        drop(self.clients);
        self.stop.cancel();
        let _ = self.server.await;
    }
}

impl Target for GrpcBaseline {
    type Worker = GrpcBaselineWorker;

    fn worker(&self, index: u64) -> GrpcBaselineWorker {
        GrpcBaselineWorker(self.clients[(index % self.clients.len() as u64) as usize].clone())
    }
}

/// One caller of the bare gRPC baseline.
pub struct GrpcBaselineWorker(HealthClient<Channel>);

impl Worker for GrpcBaselineWorker {
    async fn call(&mut self) -> Outcome {
        match self.0.check(HealthCheckRequest { service: String::new() }).await {
            Ok(response) if response.get_ref().status == health_check_response::ServingStatus::Serving as i32 => {
                Outcome::Ok
            }
            Ok(_) => Outcome::Unexpected("NOT_SERVING"),
            Err(status) => Outcome::Error(code_name(status.code())),
        }
    }
}

/// The scratch database of the store baseline.
#[derive(Debug, Clone)]
enum ScratchDb {
    /// A scratch SQLite file written through one connection, as the real store writes.
    Sqlite(SqlitePool),
    /// A scratch table in the PostgreSQL database, written through a pool.
    Postgres(PgPool),
}

/// Plain single-row INSERTs into a scratch table shaped roughly like a verification row (a UUID, a few short
/// text columns, a ~1.5 KB JSON request, two timestamps): what the database alone costs per accepted submit.
/// SQLite: a scratch file next to the service's database, WAL, `synchronous=NORMAL`, one writer connection (as
/// `src/store/sqlite.rs` does). PostgreSQL: a scratch table and a pool of the service's default size.
pub struct StoreBaseline {
    db: ScratchDb,
    insert: Arc<str>,
    request_json: Arc<str>,
    table: String,
    sqlite_file: Option<PathBuf>,
}

/// The scratch table's columns: SQLite flavour (STRICT, like the real table).
const SQLITE_COLUMNS: &str = "id TEXT NOT NULL PRIMARY KEY, request_id TEXT, fingerprint TEXT NOT NULL, \
     request TEXT NOT NULL CHECK (json_valid(request)), status TEXT NOT NULL, verdict TEXT NOT NULL, \
     follow_up TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL";
/// The scratch table's columns: PostgreSQL flavour (native types, like the real table).
const POSTGRES_COLUMNS: &str = "id UUID NOT NULL PRIMARY KEY, request_id TEXT, fingerprint TEXT NOT NULL, \
     request JSONB NOT NULL, status TEXT NOT NULL, verdict TEXT NOT NULL, follow_up TEXT NOT NULL, \
     created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL";
/// A SHA-256 digest's length of hex, like the real fingerprint column.
const FINGERPRINT: &str = "5f3c1b0e9a7d2c4b6e8f0a1c3e5d7b9f2a4c6e8d0b1f3a5c7e9d2b4f6a8c0e1d";

impl StoreBaseline {
    /// Creates the scratch table for the database `database_url` names (`sqlite://...` or `postgres://...`).
    pub async fn open(database_url: &str, max_connections: u32) -> Result<StoreBaseline, LoadgenError> {
        let table = format!("loadgen_baseline_{}", Uuid::new_v4().simple());
        let store_error = |e: sqlx::Error| LoadgenError::Store(describe(&e));
        let (db, sqlite_file, columns, json_cast) = if database_url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(database_url).map_err(store_error)?;
            let beside = options.get_filename().parent().map(PathBuf::from).unwrap_or_default();
            let file = beside.join(format!("{table}.db"));
            let options = SqliteConnectOptions::new()
                .filename(&file)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.map_err(store_error)?;
            (ScratchDb::Sqlite(pool), Some(file), SQLITE_COLUMNS, "")
        } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .connect(database_url)
                .await
                .map_err(store_error)?;
            (ScratchDb::Postgres(pool), None, POSTGRES_COLUMNS, "::jsonb")
        } else {
            return Err(LoadgenError::Usage("--database-url must start with sqlite:// or postgres://".to_owned()));
        };
        let create = format!("CREATE TABLE {table} ({columns})");
        let baseline = StoreBaseline {
            insert: Arc::from(format!(
                "INSERT INTO {table} (id, request_id, fingerprint, request, status, verdict, follow_up, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4{json_cast}, 'pending', 'forward', 'awaiting_result', $5, $6)"
            )),
            request_json: Arc::from(scratch_request_json()),
            db,
            table,
            sqlite_file,
        };
        let created = match &baseline.db {
            ScratchDb::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(create)).execute(pool).await.map(drop),
            ScratchDb::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(create)).execute(pool).await.map(drop),
        };
        if let Err(error) = created {
            baseline.remove().await;
            return Err(store_error(error));
        }
        Ok(baseline)
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.db {
            ScratchDb::Sqlite(_) => "sqlite",
            ScratchDb::Postgres(_) => "postgres",
        }
    }

    /// Drops the scratch table (PostgreSQL) or deletes the scratch file (SQLite). Best effort: a leftover
    /// scratch table is harmless and named for what it is.
    pub async fn remove(self) {
        match &self.db {
            ScratchDb::Sqlite(pool) => pool.close().await,
            ScratchDb::Postgres(pool) => {
                let drop_table = format!("DROP TABLE IF EXISTS {}", self.table);
                if let Err(error) = sqlx::query(sqlx::AssertSqlSafe(drop_table)).execute(pool).await {
                    eprintln!("loadgen: could not drop the scratch table {}: {error}", self.table);
                }
                pool.close().await;
            }
        }
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = file.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// A JSON document of about 1.5 KB shaped like a stored request (synthetic values, no PHI).
fn scratch_request_json() -> String {
    let form = crate::api::samples::submit_form(CARRIER, ACTIVE_MEMBER_ID, pb::PlanType::Employer);
    let applicant = form.applicant.unwrap_or_default();
    let card = form.card.unwrap_or_default();
    let contact = form.contact.unwrap_or_default();
    let mut document = serde_json::json!({
        "applicant": {"first_name": applicant.first_name, "last_name": applicant.last_name,
                      "date_of_birth": applicant.date_of_birth},
        "relationship": "self",
        "card": {"carrier_name": card.carrier_name, "member_id": card.member_id, "plan_type": "employer",
                 "group_number": "", "payer_id": "", "plan_name": ""},
        "contact": {"phone": contact.phone, "email": contact.email, "preferred_time": contact.preferred_time},
        "consent": true,
        "source": form.source,
    });
    let size = document.to_string().len();
    // Pad with a note to the size of a real stored request (which carries the normalised form and its metadata).
    document["note"] = serde_json::Value::String("x".repeat(1536usize.saturating_sub(size + 10)));
    document.to_string()
}

impl Target for StoreBaseline {
    type Worker = StoreBaselineWorker;

    fn worker(&self, _index: u64) -> StoreBaselineWorker {
        StoreBaselineWorker {
            db: self.db.clone(),
            insert: Arc::clone(&self.insert),
            request_json: Arc::clone(&self.request_json),
        }
    }
}

/// One caller of the store baseline.
pub struct StoreBaselineWorker {
    db: ScratchDb,
    insert: Arc<str>,
    request_json: Arc<str>,
}

impl Worker for StoreBaselineWorker {
    async fn call(&mut self) -> Outcome {
        let id = Uuid::now_v7();
        let request_id = request_id();
        let now = time::OffsetDateTime::now_utc();
        let sql = sqlx::AssertSqlSafe(Arc::clone(&self.insert));
        let done = match &self.db {
            ScratchDb::Sqlite(pool) => {
                let micros = i64::try_from(now.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX);
                sqlx::query(sql)
                    .bind(id.hyphenated().to_string())
                    .bind(request_id)
                    .bind(FINGERPRINT)
                    .bind(Arc::clone(&self.request_json))
                    .bind(micros)
                    .bind(micros)
                    .execute(pool)
                    .await
                    .map(drop)
            }
            ScratchDb::Postgres(pool) => sqlx::query(sql)
                .bind(id)
                .bind(request_id)
                .bind(FINGERPRINT)
                .bind(Arc::clone(&self.request_json))
                .bind(now)
                .bind(now)
                .execute(pool)
                .await
                .map(drop),
        };
        match done {
            Ok(_) => Outcome::Ok,
            Err(sqlx::Error::PoolTimedOut) => Outcome::Error("POOL_TIMED_OUT"),
            Err(sqlx::Error::Database(_)) => Outcome::Error("DATABASE"),
            Err(sqlx::Error::Io(_)) => Outcome::Error("IO"),
            Err(_) => Outcome::Error("STORE"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scenario_counts_only_its_own_answer_as_done() {
        use pb::VerificationStatus as S;
        assert_eq!(classify(Scenario::Refusals, S::Rejected), Outcome::Ok);
        assert_eq!(classify(Scenario::Refusals, S::Pending), Outcome::Unexpected("PENDING"));
        assert_eq!(classify(Scenario::Submits, S::Pending), Outcome::Ok);
        assert_eq!(classify(Scenario::Submits, S::Rejected), Outcome::Unexpected("REJECTED"));
        assert_eq!(classify(Scenario::E2e, S::Completed), Outcome::Ok);
        assert_eq!(classify(Scenario::E2e, S::Pending), Outcome::Unexpected("PENDING"));
        assert_eq!(classify(Scenario::E2e, S::Failed), Outcome::Unexpected("FAILED"));
    }

    #[test]
    fn the_end_to_end_form_asks_the_simulator_for_the_carrier_latency_and_waits() {
        // Act
        let form = form(Scenario::E2e, Duration::from_millis(200), Duration::from_secs(15));
        // Assert
        let member_id = &form.card.as_ref().expect("card").member_id;
        assert_eq!(
            crate::sandbox::scenarios::Scenario::for_member_id(member_id),
            crate::sandbox::scenarios::Scenario::Slow(Duration::from_millis(200))
        );
        assert_eq!(form.wait_for_result, Some(prost_types::Duration { seconds: 15, nanos: 0 }));
    }

    #[test]
    fn refusals_are_medicaid_and_submits_are_an_employer_plan_that_does_not_wait() {
        // Act
        let refusal = form(Scenario::Refusals, Duration::ZERO, Duration::ZERO);
        let submit = form(Scenario::Submits, Duration::ZERO, Duration::ZERO);
        // Assert
        assert_eq!(refusal.card.as_ref().expect("card").plan_type(), pb::PlanType::Medicaid);
        assert_eq!(submit.card.as_ref().expect("card").plan_type(), pb::PlanType::Employer);
        assert_eq!(submit.wait_for_result, None);
    }

    #[test]
    fn request_ids_are_unique_uuids() {
        // Act
        let (a, b) = (request_id(), request_id());
        // Assert
        assert_ne!(a, b);
        assert!(Uuid::parse_str(&a).is_ok(), "{a}");
    }

    #[test]
    fn the_scratch_request_is_json_of_about_one_and_a_half_kilobytes() {
        // Act
        let json = scratch_request_json();
        // Assert
        assert!((1400..=1600).contains(&json.len()), "{}", json.len());
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    }

    #[test]
    fn status_codes_have_their_spec_names() {
        assert_eq!(code_name(tonic::Code::Unavailable), "UNAVAILABLE");
        assert_eq!(code_name(tonic::Code::ResourceExhausted), "RESOURCE_EXHAUSTED");
    }
}
