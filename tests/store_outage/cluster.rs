//! A private PostgreSQL cluster for one test, which the test may stop and start at will without disturbing the
//! machine's shared cluster (other tests use that one).
//!
//! Uses the server binaries of the newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `pg_ctl`.
//! PostgreSQL refuses to run as root, so as root every command runs through `runuser -u postgres --` and the
//! temporary directory is handed to `postgres`. The cluster listens on 127.0.0.1 only, with trust
//! authentication, and is stopped and deleted on drop, also when the test panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// Where Debian and Ubuntu install the PostgreSQL server binaries, one directory per major version.
const POSTGRES_LIB: &str = "/usr/lib/postgresql";

/// A running (or stopped) private PostgreSQL cluster in a temporary directory.
pub struct PrivateCluster {
    /// The data directory is `dir/data`; the Unix socket and the server log live in `dir`.
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
    running: bool,
}

impl PrivateCluster {
    /// Creates a cluster (`initdb`) on a free loopback port and starts it. Panics with what is missing when the
    /// server binaries are not installed: a test that asked for PostgreSQL must not pass without it.
    pub fn start_new() -> Self {
        let bin = server_binaries().unwrap_or_else(|| {
            panic!(
                "IV_TEST_POSTGRES_URL is set but no PostgreSQL server binaries (initdb, pg_ctl) were found under \
                 {POSTGRES_LIB}/<version>/bin: install the postgresql package to run the store outage test"
            )
        });
        let dir = tempfile::tempdir().expect("create a temporary directory for the private cluster");
        let as_postgres_user = running_as_root();
        if as_postgres_user {
            run(Command::new("chown").arg("postgres:postgres").arg(dir.path()), "chown the cluster directory");
        }
        let mut cluster = PrivateCluster { dir, bin, port: free_port(), as_postgres_user, running: false };
        let data = cluster.data_dir();
        let mut initdb = cluster.command("initdb");
        cluster.run_tool(
            initdb.arg("-D").arg(&data).args(["-A", "trust", "-U", "postgres", "--no-sync"]),
            "initdb the private cluster",
        );
        cluster.start();
        cluster
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The loopback port the cluster listens on (the same across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&mut self) {
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.path().display());
        let (data, log) = (self.data_dir(), self.dir.path().join("server.log"));
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl.arg("-D").arg(data).arg("-o").arg(options).arg("-l").arg(log).args(["-w", "start"]);
        self.run_tool(&mut pg_ctl, "start the private cluster");
        self.running = true;
    }

    /// Stops the server (fast: open sessions are ended) and waits until it is down.
    pub fn stop(&mut self) {
        let output = self.stop_quietly();
        assert!(output.status.success(), "pg_ctl stop failed: {}", String::from_utf8_lossy(&output.stderr));
        self.running = false;
    }

    fn stop_quietly(&self) -> Output {
        self.command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .expect("run pg_ctl stop")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command for one of the server binaries, run as `postgres` when we are root.
    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// Runs `command`, panicking with its output and the server log when it fails.
    fn run_tool(&self, command: &mut Command, what: &str) {
        let output = command.output().unwrap_or_else(|error| panic!("could not {what}: {error}"));
        if !output.status.success() {
            let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            panic!(
                "could not {what}: {}\n{}\nserver log:\n{log}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        // Best effort: a server left running would outlive the test run and keep its port.
        if self.running {
            let _ = self.stop_quietly();
        }
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that holds `initdb` and `pg_ctl`.
fn server_binaries() -> Option<PathBuf> {
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir(POSTGRES_LIB)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (is_file(&bin.join("initdb")) && is_file(&bin.join("pg_ctl"))).then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin)
}

fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file())
}

/// Whether this process runs as root (`id -u` prints 0), without `libc`.
fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local address").port()
}

fn run(command: &mut Command, what: &str) {
    let status = command.status().unwrap_or_else(|error| panic!("could not {what}: {error}"));
    assert!(status.success(), "could not {what}: {status}");
}
