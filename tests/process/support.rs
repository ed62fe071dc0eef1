//! Real processes for the process tests: the `insurance-verifier` binary serving (with its configuration in
//! `IV_*` environment variables, as an operator runs it) and the carrier simulator as a separate
//! `simulate-carrier` process, each killed when its guard is dropped. Their output goes to a log file in the
//! test's temporary directory; failure messages quote its tail.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::verification_service_client::VerificationServiceClient;
use insurance_verifier::sandbox::SandboxStats;
use tonic::Request;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::db;

/// The binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_insurance-verifier");
/// The website role's token the servers accept.
pub const WEBSITE_TOKEN: &str = "website-process-token-0001";
/// The admissions role's token the servers accept.
pub const ADMISSIONS_TOKEN: &str = "admissions-process-token-0001";
/// How long a process may take to start (a debug build migrating a database on a busy machine).
const START_BOUND: Duration = Duration::from_secs(60);

/// A child process killed (SIGKILL) and reaped when dropped, so no test leaves processes behind.
#[derive(Debug)]
pub struct ChildGuard {
    child: Option<Child>,
    log: PathBuf,
}

impl ChildGuard {
    /// Starts `command` with its output appended to `log`. Inherited `IV_*` and `RUST_LOG` variables are removed
    /// first, so only what the test sets configures the process.
    fn spawn(mut command: Command, log: &Path) -> ChildGuard {
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("IV_") || key == "RUST_LOG" {
                command.env_remove(key);
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(log).expect("open the process log");
        let stderr = file.try_clone().expect("clone the log handle");
        command.stdin(Stdio::null()).stdout(Stdio::from(file)).stderr(Stdio::from(stderr));
        let child = command.spawn().expect("start the process");
        ChildGuard { child: Some(child), log: log.to_owned() }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The exit status, when the process has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|child| child.try_wait().ok().flatten())
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The last lines of the process's log, for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log)
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last 40 lines of a log file.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Waits (bounded) until `log`, read from byte `from` on, has a line containing `marker`; returns the rest of
/// that line after the marker. Panics with the log's tail when the process exits first.
async fn wait_for_line(child: &mut ChildGuard, log: &Path, from: usize, marker: &str) -> String {
    let deadline = tokio::time::Instant::now() + START_BOUND;
    loop {
        let text = std::fs::read(log).unwrap_or_default();
        let fresh = String::from_utf8_lossy(text.get(from..).unwrap_or_default()).into_owned();
        if let Some(rest) = fresh.lines().find_map(|line| line.split_once(marker).map(|(_, rest)| rest.to_owned())) {
            return rest.trim().to_owned();
        }
        if let Some(status) = child.try_wait() {
            panic!("the process exited ({status}) before printing {marker:?}:\n{}", child.log_tail());
        }
        assert!(tokio::time::Instant::now() < deadline, "no {marker:?} within {START_BOUND:?}:\n{}", child.log_tail());
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The current length of a log file (where a restarted process's lines begin).
fn log_len(log: &Path) -> usize {
    std::fs::metadata(log).map_or(0, |m| usize::try_from(m.len()).unwrap_or(usize::MAX))
}

/// The carrier simulator in its own process (`insurance-verifier simulate-carrier`).
pub struct Simulator {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    http: reqwest::Client,
    _process: ChildGuard,
}

impl Simulator {
    /// Starts the simulator on a free loopback port; its log is `simulator.log` in `dir`.
    pub async fn start(dir: &Path) -> Simulator {
        let log = dir.join("simulator.log");
        let mut command = Command::new(BINARY);
        command.args(["simulate-carrier", "--listen", "127.0.0.1:0"]).current_dir(dir);
        let mut process = ChildGuard::spawn(command, &log);
        let base_url = wait_for_line(&mut process, &log, 0, "sandbox carrier listening on ").await;
        // reqwest is built without a TLS provider of its own (see STACK.md): install ring, as `main` does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("HTTP client");
        Simulator { base_url, http, _process: process }
    }

    /// The simulator's counters (`GET /sandbox/stats`).
    pub async fn stats(&self) -> SandboxStats {
        self.http
            .get(format!("{}/sandbox/stats", self.base_url))
            .send()
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("stats are JSON")
    }
}

/// Where a server keeps its data.
pub enum Database {
    /// A SQLite file in a temporary directory.
    Sqlite(tempfile::TempDir),
    /// A fresh schema in the test PostgreSQL database, dropped at the end.
    Postgres(db::SchemaGuard),
}

impl Database {
    /// A fresh SQLite database.
    pub fn sqlite() -> Database {
        Database::Sqlite(tempfile::tempdir().expect("tempdir"))
    }

    /// A fresh PostgreSQL schema, or `None` when `IV_TEST_POSTGRES_URL` is unset outside CI (fails under
    /// `CI=true`).
    pub fn postgres() -> Option<Database> {
        db::SchemaGuard::fresh().map(Database::Postgres)
    }

    /// The `IV_*` variables that point a server at this database.
    fn env(&self) -> Vec<(String, String)> {
        match self {
            Database::Sqlite(dir) => vec![("IV_DATA_DIR".into(), dir.path().display().to_string())],
            Database::Postgres(schema) => vec![
                ("IV_DATABASE_URL".into(), schema.url().to_owned()),
                ("IV_DATABASE_SCHEMA".into(), schema.schema().to_owned()),
                // Several servers and tests share the database server: keep each pool small.
                ("IV_DATABASE_MAX_CONNECTIONS".into(), "5".into()),
            ],
        }
    }
}

/// One carrier route of a test directory.
pub struct Route {
    /// Route id.
    pub id: &'static str,
    /// Name applicants type (and the directory's display name).
    pub name: &'static str,
    /// Payer ID.
    pub payer_id: &'static str,
    /// Wire format.
    pub format: &'static str,
}

/// The eligibility JSON carrier of the test directories.
pub const JSON_CARRIER: Route =
    Route { id: "process-json", name: "Process Json Health", payer_id: "PRJSON", format: "eligibility_json_v3" };
/// The raw-X12 carrier of the test directories.
pub const RAW_CARRIER: Route =
    Route { id: "process-raw", name: "Process Raw Health", payer_id: "PRRAW", format: "x12_raw_json" };

/// Writes a carrier directory (the shape of `data/carriers/kentucky.toml`) with [`JSON_CARRIER`] and
/// [`RAW_CARRIER`] on the simulator at `base_url`, each with `request_timeout` and `max_concurrency`; returns
/// its path.
pub fn write_directory(dir: &Path, base_url: &str, request_timeout: &str, max_concurrency: u32) -> PathBuf {
    let text: String = [JSON_CARRIER, RAW_CARRIER]
        .iter()
        .map(|route| {
            format!(
                r#"
[[carriers]]
id = "{id}"
display_name = "{name}"
payer_ids = ["{payer_id}"]
format = "{format}"
base_url = "{base_url}"
request_timeout = "{request_timeout}"
max_concurrency = {max_concurrency}
"#,
                id = route.id,
                name = route.name,
                payer_id = route.payer_id,
                format = route.format,
            )
        })
        .collect();
    let path = dir.join("carriers.toml");
    std::fs::write(&path, text).expect("write the carrier directory");
    path
}

/// A server's configuration: `IV_*` environment variables.
#[derive(Clone)]
pub struct ServerConfig {
    vars: BTreeMap<String, String>,
}

impl ServerConfig {
    /// A server on `database` with the carrier `directory`, tokens for the website and admissions roles, and
    /// `IV_*` overrides from `extra` (`("DISPATCHER__LEASE", "2s")` sets `IV_DISPATCHER__LEASE`).
    pub fn new(database: &Database, directory: &Path, extra: &[(&str, &str)]) -> ServerConfig {
        let mut vars: BTreeMap<String, String> = database.env().into_iter().collect();
        vars.insert("IV_CARRIER_DIRECTORY".into(), directory.display().to_string());
        // Several servers run at once: each takes a free port for its ops endpoint.
        vars.insert("IV_METRICS__LISTEN_ADDR".into(), "127.0.0.1:0".into());
        vars.insert("IV_AUTH__WEBSITE_TOKENS".into(), format!("[\"{WEBSITE_TOKEN}\"]"));
        vars.insert("IV_AUTH__ADMISSIONS_TOKENS".into(), format!("[\"{ADMISSIONS_TOKEN}\"]"));
        for (key, value) in extra {
            vars.insert(format!("IV_{key}"), (*value).to_owned());
        }
        ServerConfig { vars }
    }
}

/// A running `insurance-verifier serve` process.
pub struct Server {
    /// The gRPC address it listens on.
    pub addr: SocketAddr,
    process: ChildGuard,
    config: ServerConfig,
    dir: PathBuf,
    log: PathBuf,
}

impl Server {
    /// Starts a server named `name` (its log is `<name>.log` in `dir`) on a free loopback port and waits until
    /// health reports SERVING.
    pub async fn start(name: &str, dir: &Path, config: &ServerConfig) -> Server {
        let log = dir.join(format!("{name}.log"));
        Server::start_at("127.0.0.1:0", dir, config, &log).await
    }

    async fn start_at(listen: &str, dir: &Path, config: &ServerConfig, log: &Path) -> Server {
        let from = log_len(log);
        let mut command = Command::new(BINARY);
        // An empty working directory: no `insurance-verifier.toml` is picked up by accident.
        command.arg("serve").current_dir(dir).env("IV_LISTEN_ADDR", listen).envs(&config.vars);
        let mut process = ChildGuard::spawn(command, log);
        let url = wait_for_line(&mut process, log, from, "serving gRPC on ").await;
        let addr: SocketAddr = url
            .trim_start_matches("http://")
            .parse()
            .unwrap_or_else(|_| panic!("unreadable address {url:?} in the server's first line"));
        let server = Server { addr, process, config: config.clone(), dir: dir.to_owned(), log: log.to_owned() };
        server.wait_serving().await;
        server
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: the process dies at once, whatever it was doing.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts the same server again on the same address and database, after [`Server::kill`] or an exit.
    pub async fn restart(&mut self) {
        self.process.kill();
        let listen = self.addr.to_string();
        let restarted = Server::start_at(&listen, &self.dir.clone(), &self.config.clone(), &self.log.clone()).await;
        *self = restarted;
    }

    /// SIGTERM, as Kubernetes and systemd stop a service (sent with `kill`, no unsafe code).
    pub fn terminate(&self) {
        let sent = Command::new("kill").args(["-TERM", &self.process.id().to_string()]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Waits at most `bound` for the process to exit; its status, or `None` when it is still running.
    pub async fn wait_exit(&mut self, bound: Duration) -> Option<ExitStatus> {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            if let Some(status) = self.process.try_wait() {
                return Some(status);
            }
            if tokio::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The last lines of this server's log.
    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// Waits (bounded) until health reports SERVING; panics with the log's tail when the process exits first.
    async fn wait_serving(&self) {
        let deadline = tokio::time::Instant::now() + START_BOUND;
        loop {
            if let Ok(channel) = Channel::from_shared(self.url()).expect("uri").connect().await {
                let mut health = HealthClient::new(channel);
                if let Ok(response) = health.check(HealthCheckRequest { service: String::new() }).await
                    && response.into_inner().status() == ServingStatus::Serving
                {
                    return;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server did not report SERVING within {START_BOUND:?}:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A client of the service at `url` that gives up on a call after `timeout`.
pub async fn client(
    url: &str,
    timeout: Duration,
) -> Result<VerificationServiceClient<Channel>, tonic::transport::Error> {
    let channel = Channel::from_shared(url.to_owned())
        .expect("uri")
        .connect_timeout(Duration::from_secs(1))
        .timeout(timeout)
        .connect()
        .await?;
    Ok(VerificationServiceClient::new(channel))
}

/// Wraps a message with a bearer token.
pub fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
    request
}

/// A website form for `carrier` (by payer ID and name) with `member_id` and idempotency key `request_id`.
pub fn form(carrier: &Route, member_id: &str, request_id: &str) -> pb::SubmitVerificationRequest {
    let mut message = insurance_verifier::api::samples::submit_form(carrier.name, member_id, pb::PlanType::Employer);
    if let Some(card) = message.card.as_mut() {
        card.payer_id = carrier.payer_id.to_owned();
    }
    message.request_id = request_id.to_owned();
    message
}

/// Gets a verification (admissions token).
pub async fn get(client: &mut VerificationServiceClient<Channel>, id: &str) -> Result<pb::Verification, tonic::Status> {
    let request = with_token(pb::GetVerificationRequest { id: id.to_owned() }, ADMISSIONS_TOKEN);
    let response = client.get_verification(request).await?.into_inner();
    response.verification.ok_or_else(|| tonic::Status::internal("GetVerification answered no verification"))
}

/// Every verification, paging through `ListVerifications` (admissions token).
pub async fn list_all(client: &mut VerificationServiceClient<Channel>) -> Vec<pb::Verification> {
    const PAGE: i32 = 200;
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = with_token(
            pb::ListVerificationsRequest { page_size: PAGE, page_token: page_token.clone(), ..Default::default() },
            ADMISSIONS_TOKEN,
        );
        let page = client.list_verifications(request).await.expect("list").into_inner();
        let count = page.verifications.len();
        all.extend(page.verifications);
        page_token = page.next_page_token;
        if count < PAGE as usize {
            return all;
        }
    }
}

/// Polls until every verification of `ids` is final (not PENDING) or `bound` passes; returns them as last seen.
pub async fn wait_all_final(url: &str, ids: &[String], bound: Duration) -> Vec<pb::Verification> {
    let deadline = tokio::time::Instant::now() + bound;
    let mut client = client(url, Duration::from_secs(10)).await.expect("connect");
    loop {
        let mut seen = Vec::with_capacity(ids.len());
        for id in ids {
            seen.push(get(&mut client, id).await.expect("get"));
        }
        if seen.iter().all(|v| v.status() != pb::VerificationStatus::Pending) || tokio::time::Instant::now() > deadline
        {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A one-line, PHI-free summary of a verification for failure messages.
pub fn describe(v: &pb::Verification) -> String {
    let attempts: Vec<String> =
        v.attempts.iter().map(|a| format!("#{} {:?} {}", a.attempt_number, a.result_class(), a.error_code)).collect();
    format!("{} {} {:?} {:?} [{}] {}", v.id, v.carrier, v.status(), v.outcome(), attempts.join(", "), v.status_detail)
}
