//! The service as real processes: crashes (SIGKILL at random moments under load), several replicas on one
//! PostgreSQL database, and a graceful stop on SIGTERM. Each test runs the `insurance-verifier` binary, configured
//! through `IV_*` environment variables, against a carrier simulator running as its own `simulate-carrier`
//! process, on loopback only. Every wait is bounded.

#[path = "../support/mod.rs"]
mod db;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use insurance_verifier::api::pb::{self, AttemptResultClass, VerificationOutcome, VerificationStatus};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use support::{
    Database, JSON_CARRIER, RAW_CARRIER, Server, ServerConfig, Simulator, WEBSITE_TOKEN, client, describe, form, get,
    list_all, wait_all_final, with_token, write_directory,
};

// ---------------------------------------------------------------------------------------------------------------
// Crashes
// ---------------------------------------------------------------------------------------------------------------

/// Concurrent website backends submitting during the crash test.
const SUBMITTERS: usize = 4;
/// Times the server is killed.
const KILLS: usize = 3;

/// Submits `message` until the service acknowledges it, retrying with the same `request_id` (the website's
/// contract) whenever the server is away or the call broke off; returns the verification id. Reconnects after
/// every failure, so a restarted server is found again.
async fn submit_until_acknowledged(url: &str, message: &pb::SubmitVerificationRequest) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "request {} never acknowledged within 30 s",
            message.request_id
        );
        let Ok(mut client) = client(url, Duration::from_secs(5)).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        match client.submit_verification(with_token(message.clone(), WEBSITE_TOKEN)).await {
            Ok(response) => {
                let verification = response.into_inner().verification.expect("an acknowledged verification");
                return verification.id;
            }
            // The server died mid-call or is not back yet: whether the submit was stored is unknown, so the
            // same request is sent again.
            Err(status)
                if matches!(
                    status.code(),
                    Code::Unavailable | Code::Unknown | Code::Cancelled | Code::DeadlineExceeded
                ) =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("submit {} refused: {status:?}", message.request_id),
        }
    }
}

/// Submits verifications one after another until `stop`, alternating an immediate and a 300 ms carrier answer,
/// and records every acknowledged `request_id` with its verification id.
async fn submitter(
    url: String,
    label: String,
    stop: Arc<AtomicBool>,
    acknowledged: Arc<Mutex<BTreeMap<String, String>>>,
) {
    let mut n = 0_u32;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let request_id = format!("{label}-{n}");
        let (carrier, member_id) = match n % 4 {
            0 => (&JSON_CARRIER, format!("ACT{n:05}")),
            1 => (&JSON_CARRIER, "SLOW300".to_owned()),
            2 => (&RAW_CARRIER, format!("ACT{n:05}")),
            _ => (&RAW_CARRIER, "SLOW300".to_owned()),
        };
        let id = submit_until_acknowledged(&url, &form(carrier, &member_id, &request_id)).await;
        acknowledged.lock().expect("lock").insert(request_id, id);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn a_server_killed_at_random_moments_under_load_loses_and_duplicates_nothing(database: Database) {
    // Arrange: short lease and carrier timeout, so work held by a killed server is taken over quickly.
    let dir = tempfile::tempdir().expect("tempdir");
    let simulator = Simulator::start(dir.path()).await;
    let directory = write_directory(dir.path(), &simulator.base_url, "1s", 16);
    let config = ServerConfig::new(
        &database,
        &directory,
        &[
            ("DISPATCHER__LEASE", "2s"),
            ("DISPATCHER__REQUEST_TIMEOUT", "1s"),
            ("DISPATCHER__POLL_INTERVAL", "100ms"),
            ("DISPATCHER__BACKOFF_BASE", "50ms"),
            ("DISPATCHER__BACKOFF_MAX", "200ms"),
        ],
    );
    let mut server = Server::start("crash", dir.path(), &config).await;
    let url = server.url();
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|s| {
            let label = format!("crash-{}-{s}", uuid::Uuid::now_v7().simple());
            tokio::spawn(submitter(url.clone(), label, Arc::clone(&stop), Arc::clone(&acknowledged)))
        })
        .collect();

    // Act: kill the server at random moments and start it again each time.
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(rand::random_range(200..=1200))).await;
        server.kill();
        server.restart().await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    for task in submitters {
        tokio::time::timeout(Duration::from_secs(40), task)
            .await
            .expect("submitters finish their last request")
            .expect("submitter task");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let ids: Vec<String> = acknowledged.values().cloned().collect();
    let finals = wait_all_final(&url, &ids, Duration::from_secs(20)).await;
    let mut client = client(&url, Duration::from_secs(10)).await.expect("connect");
    let listed = list_all(&mut client).await;

    // Assert: every acknowledged request exists and is final...
    assert!(acknowledged.len() >= SUBMITTERS, "too little load to mean anything: {}", acknowledged.len());
    let unfinished: Vec<String> =
        finals.iter().filter(|v| v.status() != VerificationStatus::Completed).map(describe).collect();
    assert!(unfinished.is_empty(), "acknowledged verifications not COMPLETED after the crashes: {unfinished:?}");
    for (request_id, id) in &acknowledged {
        let stored = get(&mut client, id).await.unwrap_or_else(|status| panic!("{id} lost: {status:?}"));
        assert_eq!(&stored.request_id, request_id, "{}", describe(&stored));
        assert_eq!(stored.outcome(), VerificationOutcome::CoverageActive, "{}", describe(&stored));
    }
    // ...no retried submit created a second verification...
    let listed_ids: BTreeSet<&str> = listed.iter().map(|v| v.id.as_str()).collect();
    let acknowledged_ids: BTreeSet<&str> = acknowledged.values().map(String::as_str).collect();
    assert_eq!(listed.len(), listed_ids.len(), "ListVerifications returned a verification twice");
    assert_eq!(
        listed_ids,
        acknowledged_ids,
        "stored verifications differ from the acknowledged ones ({} listed, {} acknowledged)",
        listed.len(),
        acknowledged.len()
    );
    // ...and no carrier answer was stored twice, with attempts numbered 1..n without gaps or repeats.
    for v in &finals {
        let answered = v.attempts.iter().filter(|a| a.result_class() == AttemptResultClass::Answered).count();
        assert_eq!(answered, 1, "one stored answer per verification: {}", describe(v));
        let numbers: Vec<i32> = v.attempts.iter().map(|a| a.attempt_number).collect();
        let expected: Vec<i32> = (1..=i32::try_from(numbers.len()).expect("few attempts")).collect();
        assert_eq!(numbers, expected, "attempt numbers: {}", describe(v));
    }
    eprintln!(
        "crash test: {} verifications acknowledged over {KILLS} kills; carrier calls: {}",
        acknowledged.len(),
        simulator.stats().await.requests
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_at_random_moments_under_load_loses_and_duplicates_nothing_on_sqlite() {
    bounded(a_server_killed_at_random_moments_under_load_loses_and_duplicates_nothing(Database::sqlite())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_at_random_moments_under_load_loses_and_duplicates_nothing_on_postgres() {
    let Some(database) = Database::postgres() else { return };
    bounded(a_server_killed_at_random_moments_under_load_loses_and_duplicates_nothing(database)).await;
}

// ---------------------------------------------------------------------------------------------------------------
// Replicas
// ---------------------------------------------------------------------------------------------------------------

/// Verifications submitted across the replicas.
const REPLICATED: usize = 150;
/// Replicas on the one database.
const REPLICAS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_on_one_postgres_database_process_each_verification_exactly_once() {
    let Some(database) = Database::postgres() else { return };
    bounded(async move {
        // Arrange
        let dir = tempfile::tempdir().expect("tempdir");
        let simulator = Simulator::start(dir.path()).await;
        let directory = write_directory(dir.path(), &simulator.base_url, "5s", 16);
        let config = ServerConfig::new(&database, &directory, &[("DISPATCHER__POLL_INTERVAL", "100ms")]);
        let mut replicas = Vec::with_capacity(REPLICAS);
        for r in 0..REPLICAS {
            replicas.push(Server::start(&format!("replica-{r}"), dir.path(), &config).await);
        }
        let urls: Vec<String> = replicas.iter().map(Server::url).collect();

        // Act: round-robin submits, a few at a time, without waiting for results.
        let run = uuid::Uuid::now_v7().simple().to_string();
        let submits: Vec<_> = (0..6)
            .map(|lane| {
                let (urls, run) = (urls.clone(), run.clone());
                tokio::spawn(async move {
                    let mut acknowledged = Vec::new();
                    for n in (lane..REPLICATED).step_by(6) {
                        let replica = n % REPLICAS;
                        let carrier = if n % 2 == 0 { &JSON_CARRIER } else { &RAW_CARRIER };
                        let message = form(carrier, &format!("ACT{n:05}"), &format!("replica-{run}-{n}"));
                        let mut client = client(&urls[replica], Duration::from_secs(10)).await.expect("connect");
                        let response = client
                            .submit_verification(with_token(message, WEBSITE_TOKEN))
                            .await
                            .unwrap_or_else(|status| panic!("replica {replica} refused a submit: {status:?}"));
                        let id = response.into_inner().verification.expect("verification").id;
                        acknowledged.push((replica, id));
                    }
                    acknowledged
                })
            })
            .collect();
        let mut acknowledged = Vec::with_capacity(REPLICATED);
        for task in submits {
            acknowledged.extend(task.await.expect("submit task"));
        }
        let ids: Vec<String> = acknowledged.iter().map(|(_, id)| id.clone()).collect();
        let finals = wait_all_final(&urls[0], &ids, Duration::from_secs(30)).await;
        let calls = simulator.stats().await;

        // Assert: every verification completed with exactly one attempt, and the carrier was called exactly once
        // per verification, whichever replica took it.
        let distinct: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), REPLICATED, "every submit created its own verification");
        for v in &finals {
            assert_eq!(v.status(), VerificationStatus::Completed, "{}", describe(v));
            assert_eq!(v.attempts.len(), 1, "processed exactly once: {}", describe(v));
            assert_eq!(v.attempts[0].result_class(), AttemptResultClass::Answered, "{}", describe(v));
        }
        assert_eq!(calls.requests, REPLICATED as u64, "carrier calls, one per verification: {calls:?}");
        for r in 0..REPLICAS {
            let answered = acknowledged.iter().filter(|(replica, _)| *replica == r).count();
            assert_eq!(answered, REPLICATED / REPLICAS, "replica {r} acknowledged its share of the submits");
        }
        let mut client = client(&urls[REPLICAS - 1], Duration::from_secs(10)).await.expect("connect");
        assert_eq!(list_all(&mut client).await.len(), REPLICATED, "every replica sees the same verifications");
    })
    .await;
}

// ---------------------------------------------------------------------------------------------------------------
// Graceful shutdown
// ---------------------------------------------------------------------------------------------------------------

/// The server's shutdown grace period.
const GRACE: Duration = Duration::from_secs(1);

/// Submits without waiting for the carrier; returns the verification id.
async fn submit_no_wait(url: &str, member_id: &str) -> String {
    let message = form(&JSON_CARRIER, member_id, &format!("drain-{}", uuid::Uuid::now_v7().simple()));
    let mut client = client(url, Duration::from_secs(10)).await.expect("connect");
    let response = client.submit_verification(with_token(message, WEBSITE_TOKEN)).await.expect("submit");
    response.into_inner().verification.expect("verification").id
}

/// Reads a health `Watch` stream until it reports NOT_SERVING (true) or ends (false), bounded.
async fn health_turns_not_serving(mut stream: tonic::Streaming<tonic_health::pb::HealthCheckResponse>) -> bool {
    let watch = async {
        while let Ok(Some(update)) = stream.message().await {
            if update.status() == ServingStatus::NotServing {
                return true;
            }
        }
        false
    };
    tokio::time::timeout(Duration::from_secs(5), watch).await.unwrap_or(false)
}

async fn on_sigterm_the_server_drains_in_flight_work_and_releases_unfinished_claims(database: Database) {
    // Arrange: four calls at once at most (dispatcher and carrier), a grace period shorter than the slow calls,
    // and a long lease, so that only an explicit release lets the unfinished work be taken again soon.
    let dir = tempfile::tempdir().expect("tempdir");
    let simulator = Simulator::start(dir.path()).await;
    let directory = write_directory(dir.path(), &simulator.base_url, "10s", 4);
    let config = ServerConfig::new(
        &database,
        &directory,
        &[
            ("SHUTDOWN_GRACE", "1s"),
            ("DISPATCHER__LEASE", "60s"),
            ("DISPATCHER__CONCURRENCY", "4"),
            ("DISPATCHER__POLL_INTERVAL", "100ms"),
        ],
    );
    let mut server = Server::start("drain", dir.path(), &config).await;
    let url = server.url();
    // Slower than the grace period: abandoned, released.
    let slow = [submit_no_wait(&url, "SLOW5000").await, submit_no_wait(&url, "SLOW5000").await];
    // Quicker: finished within the grace period, one of them answering an RPC still waiting for it.
    let quick = submit_no_wait(&url, "SLOW600").await;
    let waiting_rpc = {
        let url = url.clone();
        tokio::spawn(async move {
            let mut message = form(&JSON_CARRIER, "SLOW600", &format!("drain-{}", uuid::Uuid::now_v7().simple()));
            message.wait_for_result = Some(prost_types::Duration { seconds: 10, nanos: 0 });
            let mut client = client(&url, Duration::from_secs(15)).await.expect("connect");
            let result = client.submit_verification(with_token(message, WEBSITE_TOKEN)).await;
            (result, tokio::time::Instant::now())
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while simulator.stats().await.in_flight < 4 {
        assert!(tokio::time::Instant::now() < deadline, "the four calls never were in flight together");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Queued behind the four calls in flight: must not be called once the server is stopping.
    let queued = [submit_no_wait(&url, "ACT500001").await, submit_no_wait(&url, "ACT500002").await];
    let channel = Channel::from_shared(url.clone()).expect("uri").connect().await.expect("connect");
    let mut health = HealthClient::new(channel);
    let mut watch =
        health.watch(HealthCheckRequest { service: String::new() }).await.expect("health watch").into_inner();
    let first = watch.message().await.expect("health update").expect("an update");
    assert_eq!(first.status(), ServingStatus::Serving);
    let calls_before = simulator.stats().await;

    // Act
    let signalled = tokio::time::Instant::now();
    server.terminate();
    let not_serving = health_turns_not_serving(watch).await;
    let exit = server.wait_exit(GRACE + Duration::from_secs(5)).await;
    let stopped_after = signalled.elapsed();
    let waited = tokio::time::timeout(Duration::from_secs(5), waiting_rpc).await;
    let calls_after = simulator.stats().await;

    // Assert: health said NOT_SERVING, the process exited cleanly within the grace period (plus the release),
    // the RPC in flight got an answer (what was stored by then) within the grace period, and no carrier call
    // started after the signal.
    assert!(not_serving, "health never reported NOT_SERVING after SIGTERM:\n{}", server.log_tail());
    let status =
        exit.unwrap_or_else(|| panic!("still running {stopped_after:?} after SIGTERM:\n{}", server.log_tail()));
    assert!(status.success(), "exit status {status} after SIGTERM:\n{}", server.log_tail());
    let (answered, answered_at) = waited.expect("the waiting submit returned").expect("submit task");
    let answered = answered.unwrap_or_else(|status| panic!("the RPC in flight at SIGTERM failed: {status:?}"));
    let answered = answered.into_inner().verification.expect("verification");
    assert!(answered_at.duration_since(signalled) <= GRACE, "the RPC in flight outlived the grace period");
    assert_ne!(answered.status(), VerificationStatus::Failed, "{}", describe(&answered));
    assert_eq!(calls_before.requests, 4, "only the four calls in flight were made before SIGTERM: {calls_before:?}");
    assert_eq!(calls_after.requests, calls_before.requests, "a carrier call started after SIGTERM");

    // Act: start again. A released claim is due at once; one still leased would wait the 60 s lease.
    server.restart().await;
    let mut client = client(&url, Duration::from_secs(10)).await.expect("connect");
    let mut quick_done = vec![get(&mut client, &quick).await.expect("get")];
    quick_done.push(get(&mut client, &answered.id).await.expect("get"));
    let ids: Vec<String> = slow.iter().chain(&queued).cloned().collect();
    let finals = wait_all_final(&url, &ids, Duration::from_secs(15)).await;
    let calls_in_the_end = simulator.stats().await;

    // Assert: the calls finished during the drain were stored then; the abandoned and the queued work completed
    // after the restart, well before the lease would have expired, with one attempt each (nothing was recorded
    // for the abandoned calls); each was called once more, and nothing else was.
    for v in &quick_done {
        assert_eq!(v.status(), VerificationStatus::Completed, "finished within the grace period: {}", describe(v));
        assert_eq!(v.attempts.len(), 1, "{}", describe(v));
    }
    for v in &finals {
        assert_eq!(
            v.status(),
            VerificationStatus::Completed,
            "not completed soon after the restart (its claim was not released at shutdown?): {}",
            describe(v)
        );
        assert_eq!(v.attempts.len(), 1, "{}", describe(v));
    }
    assert_eq!(calls_in_the_end.requests, calls_before.requests + 4, "{calls_in_the_end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_the_server_drains_in_flight_work_and_releases_unfinished_claims_on_sqlite() {
    bounded(on_sigterm_the_server_drains_in_flight_work_and_releases_unfinished_claims(Database::sqlite())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_the_server_drains_in_flight_work_and_releases_unfinished_claims_on_postgres() {
    let Some(database) = Database::postgres() else { return };
    bounded(on_sigterm_the_server_drains_in_flight_work_and_releases_unfinished_claims(database)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_health_watch_left_open_does_not_keep_the_server_from_stopping_on_sigterm() {
    bounded(async {
        // Arrange: a client that watches health and never hangs up (gRPC client-side health checking and some
        // load balancers keep a `Watch` stream open for as long as they use the server).
        let database = Database::sqlite();
        let dir = tempfile::tempdir().expect("tempdir");
        let simulator = Simulator::start(dir.path()).await;
        let directory = write_directory(dir.path(), &simulator.base_url, "10s", 4);
        let config = ServerConfig::new(&database, &directory, &[("SHUTDOWN_GRACE", "1s")]);
        let mut server = Server::start("watched", dir.path(), &config).await;
        let channel = Channel::from_shared(server.url()).expect("uri").connect().await.expect("connect");
        let mut health = HealthClient::new(channel);
        let mut watch =
            health.watch(HealthCheckRequest { service: String::new() }).await.expect("health watch").into_inner();
        let first = watch.message().await.expect("health update").expect("an update");
        assert_eq!(first.status(), ServingStatus::Serving);
        let watcher = tokio::spawn(async move {
            // Keeps reading (and so keeps the stream open) until the server ends it.
            let mut seen = Vec::new();
            while let Ok(Some(update)) = watch.message().await {
                seen.push(update.status());
            }
            seen
        });

        // Act
        server.terminate();
        let exit = server.wait_exit(GRACE + Duration::from_secs(5)).await;

        // Assert
        let status = exit.unwrap_or_else(|| {
            panic!(
                "still running {:?} after SIGTERM with a health Watch stream open: the gRPC server's graceful stop \
                 waits for every stream to end, and a Watch stream never does:\n{}",
                GRACE + Duration::from_secs(5),
                server.log_tail()
            )
        });
        assert!(status.success(), "exit status {status}:\n{}", server.log_tail());
        let seen =
            tokio::time::timeout(Duration::from_secs(5), watcher).await.expect("the stream ended").expect("task");
        assert!(seen.contains(&ServingStatus::NotServing), "the watcher was told NOT_SERVING first: {seen:?}");
    })
    .await;
}

/// Runs a test body within 60 s (each test's own bound; the processes it started are killed by their guards
/// when it is dropped).
async fn bounded(test: impl std::future::Future<Output = ()>) {
    const BOUND: Duration = Duration::from_secs(60);
    assert!(tokio::time::timeout(BOUND, test).await.is_ok(), "the test did not finish within {BOUND:?}");
}
