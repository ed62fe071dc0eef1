//! A PostgreSQL outage under a running server: readiness follows the store, liveness does not, requests fail
//! with UNAVAILABLE (and leak nothing about the database), and everything recovers without a restart.
//!
//! Runs only when `IV_TEST_POSTGRES_URL` is set (like the other PostgreSQL tests), but against a private
//! cluster it starts and stops itself (see `store_outage/cluster.rs`), never the shared one.

#[path = "store_outage/cluster.rs"]
mod cluster;

use std::time::Duration;

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::PlanType;
use insurance_verifier::api::pb::verification_service_client::VerificationServiceClient;
use insurance_verifier::config::Settings;
use insurance_verifier::health::LIVENESS_SERVICE;
use insurance_verifier::startup::{Application, SERVICE_NAME};
use secrecy::SecretString;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use cluster::PrivateCluster;

const WEBSITE_TOKEN: &str = "website-test-token-0001";
const ADMISSIONS_TOKEN: &str = "admissions-test-token-0001";

/// How long health may take to follow the store (checks every 200 ms, each bounded by 500 ms).
const HEALTH_FOLLOWS_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_turns_health_not_serving_and_the_service_recovers_without_a_restart() {
    // Arrange
    if std::env::var("IV_TEST_POSTGRES_URL").map_or(true, |url| url.trim().is_empty()) {
        eprintln!("skipped: IV_TEST_POSTGRES_URL not set (the store outage test needs PostgreSQL server binaries)");
        return;
    }
    let mut postgres = tokio::task::block_in_place(PrivateCluster::start_new);
    let database_url = postgres.url();
    let app = RunningApp::start(settings(&database_url)).await;
    let mut health = HealthClient::new(app.channel.clone());
    wait_for_health(&mut health, "", ServingStatus::Serving).await;
    wait_for_health(&mut health, SERVICE_NAME, ServingStatus::Serving).await;
    assert_eq!(health_of(&mut health, LIVENESS_SERVICE).await, ServingStatus::Serving);
    let watched = watch_health(&mut health).await;
    // Accepted before the outage; the carrier takes 1.5 s, so its answer arrives while the database is down.
    let accepted_before =
        app.submit(form("SLOW1500", None)).await.expect("submit before the outage").verification.expect("verification");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Act: the database goes away
    tokio::task::block_in_place(|| postgres.stop());

    // Assert: readiness drops, liveness stays, a submit is refused with a retryable code and no database details
    wait_for_health(&mut health, "", ServingStatus::NotServing).await;
    wait_for_health(&mut health, SERVICE_NAME, ServingStatus::NotServing).await;
    assert_eq!(health_of(&mut health, LIVENESS_SERVICE).await, ServingStatus::Serving);
    let refused = app.submit(form("ACT770001", Some(0))).await.expect_err("no database, no verification");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    for leak in [database_url.as_str(), "postgres://", "127.0.0.1", &postgres.port().to_string()] {
        assert!(!refused.message().contains(leak), "the error names the database: {:?}", refused.message());
    }

    // Act: the database comes back on the same port
    tokio::task::block_in_place(|| postgres.start());

    // Assert: ready again, new work completes, and so does the work accepted before the outage
    wait_for_health(&mut health, "", ServingStatus::Serving).await;
    wait_for_health(&mut health, SERVICE_NAME, ServingStatus::Serving).await;
    let after = app
        .submit(form("ACT770002", Some(10)))
        .await
        .expect("submit after the outage")
        .verification
        .expect("verification");
    assert_eq!(after.status(), pb::VerificationStatus::Completed, "{after:?}");
    let before = app.wait_until_final(&accepted_before.id).await;
    assert_eq!(before.status(), pb::VerificationStatus::Completed, "{before:?}");
    assert_eq!(
        watched.seen().await,
        [ServingStatus::Serving, ServingStatus::NotServing, ServingStatus::Serving],
        "a Watch opened before the outage sees it come and go"
    );
    assert_eq!(health_of(&mut health, LIVENESS_SERVICE).await, ServingStatus::Serving);
    app.shutdown().await;
}

/// Test settings: loopback port 0, tokens, sandbox carrier, quick health checks, quick retries, a lease short
/// enough that work whose result could not be stored is picked up again within the test.
fn settings(database_url: &str) -> Settings {
    let mut settings = Settings { listen_addr: "127.0.0.1:0".parse().expect("addr"), ..Settings::default() };
    settings.database_url = Some(database_url.to_owned());
    settings.metrics.listen_addr = "127.0.0.1:0".parse().expect("addr");
    settings.auth.website_tokens = vec![SecretString::from(WEBSITE_TOKEN)];
    settings.auth.admissions_tokens = vec![SecretString::from(ADMISSIONS_TOKEN)];
    settings.health.check_interval = Duration::from_millis(200);
    settings.health.check_timeout = Duration::from_millis(500);
    settings.dispatcher.poll_interval = Duration::from_millis(100);
    settings.dispatcher.backoff_base = Duration::from_millis(20);
    settings.dispatcher.backoff_max = Duration::from_millis(100);
    settings.dispatcher.request_timeout = Duration::from_secs(2);
    settings.dispatcher.lease = Duration::from_secs(4);
    settings.shutdown_grace = Duration::from_secs(2);
    settings
}

/// A self-insured applicant with a commercial plan; `member_id` picks the sandbox carrier's scenario.
fn form(member_id: &str, wait_seconds: Option<i64>) -> pb::SubmitVerificationRequest {
    let mut form = insurance_verifier::api::samples::submit_form("Cigna", member_id, PlanType::Employer);
    form.wait_for_result = wait_seconds.map(|seconds| prost_types::Duration { seconds, nanos: 0 });
    form
}

fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
    request
}

/// The application, serving in this process until [`RunningApp::shutdown`].
struct RunningApp {
    channel: Channel,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl RunningApp {
    async fn start(settings: Settings) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let app = Application::build(settings).await.expect("the application builds on the private cluster");
        assert!(app.sandbox().is_some(), "no carrier directory: sandbox mode");
        let address = format!("http://{}", app.grpc_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async move {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        let channel = Channel::from_shared(address).expect("uri").connect().await.expect("connect");
        RunningApp { channel, stop, server }
    }

    async fn submit(
        &self,
        message: pb::SubmitVerificationRequest,
    ) -> Result<pb::SubmitVerificationResponse, tonic::Status> {
        let mut client = VerificationServiceClient::new(self.channel.clone());
        // Bounded, so a hanging call fails the test instead of stalling it.
        tokio::time::timeout(Duration::from_secs(10), client.submit_verification(with_token(message, WEBSITE_TOKEN)))
            .await
            .expect("submit answers within 10 s (the pool gives up after 5 s while the database is down)")
            .map(tonic::Response::into_inner)
    }

    /// Polls `GetVerification` until the verification is no longer pending (at most 20 s).
    async fn wait_until_final(&self, id: &str) -> pb::Verification {
        let mut client = VerificationServiceClient::new(self.channel.clone());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let request = with_token(pb::GetVerificationRequest { id: id.to_owned() }, ADMISSIONS_TOKEN);
            let verification = client
                .get_verification(request)
                .await
                .expect("get verification")
                .into_inner()
                .verification
                .expect("verification");
            if verification.status() != pb::VerificationStatus::Pending || tokio::time::Instant::now() > deadline {
                return verification;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn shutdown(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.server)
            .await
            .expect("the server stops within its grace period")
            .expect("the server task does not panic");
    }
}

async fn health_of(health: &mut HealthClient<Channel>, service: &str) -> ServingStatus {
    health
        .check(HealthCheckRequest { service: service.to_owned() })
        .await
        .expect("health check answers")
        .into_inner()
        .status()
}

/// Polls `Check` until `service` reports `expected`; fails after [`HEALTH_FOLLOWS_WITHIN`].
async fn wait_for_health(health: &mut HealthClient<Channel>, service: &str, expected: ServingStatus) {
    let deadline = tokio::time::Instant::now() + HEALTH_FOLLOWS_WITHIN;
    loop {
        let status = health_of(health, service).await;
        if status == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "health of {service:?} still {status:?} after {HEALTH_FOLLOWS_WITHIN:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The statuses a `Watch` on `""` reported, collected in the background.
struct Watched {
    statuses: mpsc::UnboundedReceiver<ServingStatus>,
}

impl Watched {
    /// What was seen so far, repeats collapsed.
    async fn seen(mut self) -> Vec<ServingStatus> {
        // Give the last update a moment to arrive after the Check that saw it.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut seen = Vec::new();
        while let Ok(status) = self.statuses.try_recv() {
            if seen.last() != Some(&status) {
                seen.push(status);
            }
        }
        seen
    }
}

async fn watch_health(health: &mut HealthClient<Channel>) -> Watched {
    let mut stream =
        health.watch(HealthCheckRequest { service: String::new() }).await.expect("health watch").into_inner();
    let (sender, statuses) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(response)) = stream.next().await {
            if sender.send(response.status()).is_err() {
                break;
            }
        }
    });
    Watched { statuses }
}
