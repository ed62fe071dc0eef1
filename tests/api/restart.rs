//! Accepted means stored: work survives a stop and a start of the service.

use std::sync::Arc;
use std::time::Duration;

use insurance_verifier::api::pb::{PlanType, VerificationOutcome, VerificationStatus};
use insurance_verifier::domain::lifecycle::{RouteChoice, admit};
use insurance_verifier::domain::test_support::sample_request;
use insurance_verifier::domain::verification::truncate_to_micros;
use insurance_verifier::domain::{ScreeningDecision, Status};
use insurance_verifier::startup::open_store;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::helpers::{form, start, test_settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_work_stored_before_the_service_started_is_completed_by_it() {
    // Arrange: a verification accepted by an earlier process that died before calling the carrier.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = test_settings();
    settings.data_dir = dir.path().to_path_buf();
    let store = open_store(&settings).await.expect("store");
    let route = RouteChoice { carrier: "sandbox".into(), payer_id: "SANDBOX".into() };
    let now = truncate_to_micros(OffsetDateTime::now_utc());
    let new = admit(Uuid::now_v7(), None, sample_request(), ScreeningDecision::forward(), Some(route), now);
    store.insert_verification(&new).await.expect("insert");
    drop(store);

    // Act
    let app = start(settings, Box::new(dir)).await;
    let verification = app.wait_until_final(&new.id.to_string()).await;

    // Assert
    assert_eq!(verification.status(), VerificationStatus::Completed);
    assert_eq!(verification.outcome(), VerificationOutcome::CoverageActive);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_call_cut_short_by_shutdown_is_released_and_finished_by_the_next_process() {
    // Arrange: a short grace period, and a carrier slower than it.
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut settings = test_settings();
    settings.data_dir = dir.path().to_path_buf();
    settings.shutdown_grace = Duration::from_millis(200);
    // Longer than the test waits: only an explicit release lets the next process take the work in time.
    settings.dispatcher.lease = Duration::from_secs(120);
    let first = start(settings.clone(), Box::new(Arc::clone(&dir))).await;
    let accepted = first.submit(form("Cigna", "SLOW1500", PlanType::Employer)).await.expect("submit");
    let id = accepted.verification.expect("verification").id;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while (first.sandbox_requests)() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the carrier call never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Act: stop while the call is in flight, then start a new process on the same database.
    first.shutdown().await;
    let store = open_store(&settings).await.expect("store");
    let between = store.get_verification(id.parse().expect("uuid")).await.expect("get").expect("stored");
    drop(store);
    let second = start(settings, Box::new(dir)).await;
    let verification = second.wait_until_final(&id).await;

    // Assert
    assert_eq!(between.status, Status::Pending, "still pending, not lost");
    assert!(between.attempts.is_empty(), "the abandoned call recorded nothing");
    assert_eq!(verification.status(), VerificationStatus::Completed);
    assert_eq!(verification.attempts.len(), 1, "one recorded attempt: the one that finished");
    second.shutdown().await;
}
