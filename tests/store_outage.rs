//! A PostgreSQL outage under a running server: readiness follows the store, liveness does not, requests fail
//! with UNAVAILABLE (and leak nothing about the database), and everything recovers without a restart.
//!
//! Runs only when `IV_TEST_POSTGRES_URL` is set (like the other PostgreSQL tests), but against a private
//! cluster it starts and stops itself (see `store_outage/cluster.rs`), never the shared one.

#[path = "store_outage/cluster.rs"]
mod cluster;
#[path = "api/helpers.rs"]
mod helpers;
#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::PlanType;
use insurance_verifier::config::Settings;
use insurance_verifier::health::LIVENESS_SERVICE;
use insurance_verifier::startup::SERVICE_NAME;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use cluster::PrivateCluster;
use helpers::{TestApp, form, test_settings, wait};

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
    let app = helpers::start(settings(&database_url), Box::new(())).await;
    let channel = Channel::from_shared(app.address.clone()).expect("uri").connect().await.expect("connect");
    let mut health = HealthClient::new(channel);
    wait_for_health(&mut health, "", ServingStatus::Serving).await;
    wait_for_health(&mut health, SERVICE_NAME, ServingStatus::Serving).await;
    assert_eq!(health_of(&mut health, LIVENESS_SERVICE).await, ServingStatus::Serving);
    let watched = watch_health(&mut health).await;
    // Accepted before the outage; the carrier takes 1.5 s, so its answer arrives while the database is down.
    let accepted_before = submit(&app, commercial("SLOW1500", None))
        .await
        .expect("submit before the outage")
        .verification
        .expect("verification");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Act: the database goes away
    tokio::task::block_in_place(|| postgres.stop());

    // Assert: readiness drops, liveness stays, a submit is refused with a retryable code and no database details
    wait_for_health(&mut health, "", ServingStatus::NotServing).await;
    wait_for_health(&mut health, SERVICE_NAME, ServingStatus::NotServing).await;
    assert_eq!(health_of(&mut health, LIVENESS_SERVICE).await, ServingStatus::Serving);
    let refused = submit(&app, commercial("ACT770001", Some(0))).await.expect_err("no database, no verification");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    for leak in [database_url.as_str(), "postgres://", "127.0.0.1", &postgres.port().to_string()] {
        assert!(!refused.message().contains(leak), "the error names the database: {:?}", refused.message());
    }

    // Act: the database comes back on the same port
    tokio::task::block_in_place(|| postgres.start());

    // Assert: ready again, new work completes, and so does the work accepted before the outage
    wait_for_health(&mut health, "", ServingStatus::Serving).await;
    wait_for_health(&mut health, SERVICE_NAME, ServingStatus::Serving).await;
    let after = submit(&app, commercial("ACT770002", Some(10)))
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
/// The API tests' settings on the private cluster, with quick health checks and a lease short enough that work
/// whose result could not be stored is picked up again within the test.
fn settings(database_url: &str) -> Settings {
    let mut settings = test_settings();
    settings.database_url = Some(database_url.to_owned());
    settings.health.check_interval = Duration::from_millis(200);
    settings.health.check_timeout = Duration::from_millis(500);
    settings.dispatcher.poll_interval = Duration::from_millis(100);
    settings.dispatcher.lease = Duration::from_secs(4);
    settings.shutdown_grace = Duration::from_secs(2);
    settings
}

/// A self-insured applicant with a commercial plan; `member_id` picks the sandbox carrier's scenario.
fn commercial(member_id: &str, wait_seconds: Option<i64>) -> pb::SubmitVerificationRequest {
    pb::SubmitVerificationRequest {
        wait_for_result: wait_seconds.and_then(wait),
        ..form("Cigna", member_id, PlanType::Employer)
    }
}

/// A submit, bounded so that a hanging call fails the test instead of stalling it.
async fn submit(
    app: &TestApp,
    message: pb::SubmitVerificationRequest,
) -> Result<pb::SubmitVerificationResponse, tonic::Status> {
    tokio::time::timeout(Duration::from_secs(10), app.submit(message))
        .await
        .expect("submit answers within 10 s (the pool gives up after 5 s while the database is down)")
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
