//! The binary as a user runs it: `serve` on its embedded defaults, the `submit` / `get` / `list` client
//! commands against it, and a clean stop on SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const BINARY: &str = env!("CARGO_BIN_EXE_insurance-verifier");

fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Runs a client command and returns (success, stdout, stderr).
fn run_client(server: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BINARY).args(args).env("IV_SERVER", server).output().expect("run client");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `insurance-verifier submit` for Ada Example with the given date of birth, card and extra flags.
fn submit(server: &str, dob: &str, carrier: &str, member_id: &str, extra: &[&str]) -> (bool, String, String) {
    let mut args = vec!["submit", "--first-name", "Ada", "--last-name", "Example", "--phone", "502-555-0100"];
    args.extend(["--dob", dob, "--carrier", carrier, "--member-id", member_id]);
    args.extend_from_slice(extra);
    run_client(server, &args)
}

async fn wait_until_serving(server: &str, child: &mut std::process::Child) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            panic!("serve exited early with {status}: {stderr}");
        }
        if let Ok(channel) = Channel::from_shared(server.to_owned()).expect("uri").connect().await {
            let mut health = HealthClient::new(channel);
            if let Ok(response) = health.check(HealthCheckRequest { service: String::new() }).await
                && response.into_inner().status() == ServingStatus::Serving
            {
                return;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "server did not report SERVING in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn serve_runs_on_embedded_defaults_and_the_client_commands_work_against_it() {
    // Arrange: the run command in an empty directory, as on a fresh clone.
    let workdir = tempfile::tempdir().expect("tempdir");
    let port = free_loopback_port();
    let server = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(BINARY)
        .arg("serve")
        .current_dir(workdir.path())
        .env("IV_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        // The default ops port may be taken on a developer's machine (a running service).
        .env("IV_METRICS__LISTEN_ADDR", "127.0.0.1:0")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    wait_until_serving(&server, &mut child).await;

    // Act
    let refused = submit(&server, "1990-05-01", "Kentucky Medicaid", "123456789", &[]);
    let active =
        submit(&server, "1990-05-01", "Anthem Blue Cross Blue Shield", "ACT100001", &["--plan-type", "employer"]);
    let listed = run_client(&server, &["list"]);
    let invalid = submit(&server, "2999-01-01", "Cigna", "X", &[]);
    let stopped = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    let exit = tokio::task::spawn_blocking(move || child.wait_with_output()).await.expect("join").expect("wait");

    // Assert
    assert!(refused.0, "{refused:?}");
    assert!(refused.1.contains("status:     REJECTED"), "{}", refused.1);
    assert!(refused.1.contains("MEDICAID"), "{}", refused.1);
    assert!(active.0, "{active:?}");
    assert!(active.1.contains("outcome:    COVERAGE_ACTIVE"), "{}", active.1);
    assert!(active.1.contains("[AI] Substance abuse"), "{}", active.1);
    assert!(
        listed.0 && listed.1.lines().filter(|l| l.contains("REJECTED") || l.contains("COMPLETED")).count() == 2,
        "{listed:?}"
    );
    assert!(!invalid.0);
    assert!(invalid.2.contains("applicant.date_of_birth") && invalid.2.contains("card.member_id"), "{}", invalid.2);
    assert!(stopped.success());
    assert!(exit.status.success(), "serve exits cleanly on SIGTERM: {:?}", exit.status);
    let logs = String::from_utf8_lossy(&exit.stdout);
    assert!(logs.contains("SANDBOX MODE"), "{logs}");
    assert!(workdir.path().join("var/insurance-verifier.db").exists(), "SQLite file under the data directory");
}
