#![allow(dead_code)] // Shared by several test binaries; each uses a part of it.
//! `spawn_app`: the real service on loopback (port 0), with a real SQLite file or a fresh PostgreSQL schema,
//! and the in-process sandbox carrier; plus a gRPC client and form builders.

use std::sync::Arc;
use std::time::Duration;

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::verification_service_client::VerificationServiceClient;
use insurance_verifier::config::Settings;
use insurance_verifier::startup::Application;
use insurance_verifier::store::Store;
use secrecy::SecretString;
use tokio::sync::oneshot;
use tonic::Request;
use tonic::transport::Channel;

/// Which store a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh schema in the test PostgreSQL database.
    Postgres,
}

/// The website and admissions tokens the test app accepts.
pub const WEBSITE_TOKEN: &str = "website-test-token-0001";
/// Admissions role token.
pub const ADMISSIONS_TOKEN: &str = "admissions-test-token-0001";
/// Ops role token.
pub const OPS_TOKEN: &str = "ops-test-token-000000001";

/// A running application.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The store the app writes, for inspection.
    pub store: Arc<dyn Store>,
    /// `http://127.0.0.1:PORT` of the ops endpoint (`/metrics`, `/livez`, `/readyz`).
    pub ops_address: String,
    /// The sandbox carrier's request counter.
    pub sandbox_requests: Box<dyn Fn() -> u64 + Send + Sync>,
    /// The most requests the carrier simulator answered at once (directory mode only).
    pub sandbox_most_in_flight: Option<Box<dyn Fn() -> u64 + Send + Sync>>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _guard: Box<dyn std::any::Any + Send>,
}

impl TestApp {
    /// A client with no token.
    pub async fn client(&self) -> VerificationServiceClient<Channel> {
        let channel = Channel::from_shared(self.address.clone()).expect("uri").connect().await.expect("connect");
        VerificationServiceClient::new(channel)
    }

    /// Sends a submit with the website token.
    pub async fn submit(
        &self,
        message: pb::SubmitVerificationRequest,
    ) -> Result<pb::SubmitVerificationResponse, tonic::Status> {
        self.client().await.submit_verification(with_token(message, WEBSITE_TOKEN)).await.map(|r| r.into_inner())
    }

    /// Gets a verification with the admissions token.
    pub async fn get(&self, id: &str) -> Result<pb::Verification, tonic::Status> {
        self.client()
            .await
            .get_verification(with_token(pb::GetVerificationRequest { id: id.to_owned() }, ADMISSIONS_TOKEN))
            .await
            .map(|r| r.into_inner().verification.expect("verification"))
    }

    /// Lists with the admissions token.
    pub async fn list(
        &self,
        message: pb::ListVerificationsRequest,
    ) -> Result<pb::ListVerificationsResponse, tonic::Status> {
        self.client().await.list_verifications(with_token(message, ADMISSIONS_TOKEN)).await.map(|r| r.into_inner())
    }

    /// Polls `GetVerification` until the verification is no longer pending (bounded).
    pub async fn wait_until_final(&self, id: &str) -> pb::Verification {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.get(id).await.expect("get");
            if v.status() != pb::VerificationStatus::Pending || tokio::time::Instant::now() > deadline {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

/// Wraps a message with a bearer token.
pub fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
    request
}

/// Test settings: loopback port 0, tokens for every role, quick retries.
pub fn test_settings() -> Settings {
    let mut settings = Settings { listen_addr: "127.0.0.1:0".parse().expect("addr"), ..Settings::default() };
    settings.auth.website_tokens = vec![SecretString::from(WEBSITE_TOKEN)];
    settings.auth.admissions_tokens = vec![SecretString::from(ADMISSIONS_TOKEN)];
    settings.auth.ops_tokens = vec![SecretString::from(OPS_TOKEN)];
    settings.dispatcher.backoff_base = Duration::from_millis(20);
    settings.dispatcher.backoff_max = Duration::from_millis(100);
    settings.dispatcher.max_attempts = 3;
    settings.dispatcher.poll_interval = Duration::from_millis(50);
    settings.dispatcher.request_timeout = Duration::from_secs(2);
    settings.dispatcher.lease = Duration::from_secs(10);
    settings.shutdown_grace = Duration::from_secs(5);
    // Tests that run several failing scenarios in a row trip the sandbox carrier's breaker (5 failures in a row):
    // keep its open period short so the retries behind it wait one or two seconds, not half a minute.
    settings.dispatcher.circuit_breaker.open_for = Duration::from_secs(1);
    settings.dispatcher.circuit_breaker.open_for_max = Duration::from_secs(2);
    // Many apps run at once in one test process: each takes a free port for its ops endpoint.
    settings.metrics.listen_addr = "127.0.0.1:0".parse().expect("addr");
    settings
}

/// Starts the app on `backend` with the default test settings. `None` when PostgreSQL is not configured
/// outside CI (the caller skips).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, test_settings()).await
}

/// Starts the app on `backend` with `settings` (its database fields are filled in here).
pub async fn spawn_app_with(backend: Backend, mut settings: Settings) -> Option<TestApp> {
    let guard = store_for(backend, &mut settings)?;
    Some(start(settings, guard).await)
}

/// Starts the app with complete `settings`; `guard` lives as long as the app (a temporary directory, a
/// PostgreSQL schema).
pub async fn start(settings: Settings, guard: Box<dyn std::any::Any + Send>) -> TestApp {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = Application::build(settings).await.expect("application builds");
    let address = format!("http://{}", app.grpc_addr());
    let ops_address = format!("http://{}", app.metrics_addr().expect("metrics are on in tests"));
    let store = app.store();
    let sandbox_counter = app.sandbox().expect("sandbox mode").request_counter();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async move {
            let _ = stopped.await;
        })
        .await
        .expect("server runs");
    });
    TestApp {
        address,
        store,
        ops_address,
        sandbox_requests: Box::new(move || sandbox_counter.load(std::sync::atomic::Ordering::Relaxed)),
        sandbox_most_in_flight: None,
        stop: Some(stop),
        server: Some(server),
        _guard: guard,
    }
}

/// A valid form for a self-insured applicant with the given carrier, member ID and plan type.
pub fn form(carrier: &str, member_id: &str, plan_type: pb::PlanType) -> pb::SubmitVerificationRequest {
    insurance_verifier::api::samples::submit_form(carrier, member_id, plan_type)
}

/// `wait_for_result` of `seconds`.
pub fn wait(seconds: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration { seconds, nanos: 0 })
}

/// Declares a test that runs the same async body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_stores {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.expect("sqlite app");
                super::$name(&app).await;
                app.shutdown().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await else {
                    return;
                };
                super::$name(&app).await;
                app.shutdown().await;
            }
        }
    };
}

/// Declares a test that runs the same async body on SQLite and on PostgreSQL, each app running with the carrier
/// directory `$directory` (a `fn(&str) -> String` given the simulator's base URL, in the calling module) instead of
/// sandbox mode.
#[macro_export]
macro_rules! on_both_stores_with_directory {
    ($directory:ident, $name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let app = $crate::helpers::spawn_app_with_directory(
                    $crate::helpers::Backend::Sqlite,
                    $crate::helpers::test_settings(),
                    super::$directory,
                )
                .await
                .expect("sqlite app");
                super::$name(&app).await;
                app.shutdown().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                let Some(app) = $crate::helpers::spawn_app_with_directory(
                    $crate::helpers::Backend::Postgres,
                    $crate::helpers::test_settings(),
                    super::$directory,
                )
                .await
                else {
                    return;
                };
                super::$name(&app).await;
                app.shutdown().await;
            }
        }
    };
}

/// Points `settings` at a fresh store for `backend`: a temporary SQLite directory, or a fresh PostgreSQL schema.
/// Returns what must live as long as the app; `None` when PostgreSQL is not configured outside CI.
fn store_for(backend: Backend, settings: &mut Settings) -> Option<Box<dyn std::any::Any + Send>> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("tempdir");
            settings.data_dir = dir.path().to_path_buf();
            settings.database_url = None;
            Some(Box::new(dir))
        }
        Backend::Postgres => {
            let (url, schema, guard) = postgres_schema()?;
            settings.database_url = Some(url);
            settings.database_schema = Some(schema);
            Some(guard)
        }
    }
}

/// A fresh, uniquely named schema (created by the store on connect) and the guard that drops it.
fn postgres_schema() -> Option<(String, String, Box<dyn std::any::Any + Send>)> {
    let guard = crate::support::SchemaGuard::fresh()?;
    Some((guard.url().to_owned(), guard.schema().to_owned(), Box::new(guard)))
}

/// Starts the app on `backend` with a carrier directory file instead of sandbox mode. A carrier simulator is started
/// on loopback first; `directory` gets its base URL and returns the directory's TOML, written to a temporary file
/// that `settings.carrier_directory` names. `sandbox_requests` counts that simulator's eligibility requests. `None`
/// when PostgreSQL is not configured outside CI (the caller skips).
pub async fn spawn_app_with_directory(
    backend: Backend,
    mut settings: Settings,
    directory: impl FnOnce(&str) -> String,
) -> Option<TestApp> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store_guard = store_for(backend, &mut settings)?;
    let simulator =
        Arc::new(insurance_verifier::sandbox::spawn("127.0.0.1:0".parse().expect("addr")).await.expect("simulator"));
    let files = tempfile::tempdir().expect("tempdir");
    let path = files.path().join("carriers.toml");
    std::fs::write(&path, directory(&simulator.base_url())).expect("directory file written");
    settings.carrier_directory = Some(path);
    let app = Application::build(settings).await.expect("application builds");
    assert!(app.sandbox().is_none(), "a directory file leaves sandbox mode");
    let address = format!("http://{}", app.grpc_addr());
    let ops_address = format!("http://{}", app.metrics_addr().expect("metrics are on in tests"));
    let store = app.store();
    let counter = simulator.request_counter();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async move {
            let _ = stopped.await;
        })
        .await
        .expect("server runs");
    });
    Some(TestApp {
        address,
        store,
        ops_address,
        sandbox_requests: Box::new(move || counter.load(std::sync::atomic::Ordering::Relaxed)),
        sandbox_most_in_flight: Some({
            let simulator = Arc::clone(&simulator);
            Box::new(move || simulator.most_in_flight())
        }),
        stop: Some(stop),
        server: Some(server),
        // Dropped after the server stops: the simulator, then the directory file, then the database.
        _guard: Box::new((simulator, files, store_guard)),
    })
}
