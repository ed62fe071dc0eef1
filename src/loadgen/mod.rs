//! `insurance-verifier loadgen`: drives the real service over gRPC and reports throughput and latency
//! percentiles, beside baselines measured in the same run on the same machine.
//!
//! Scenarios (each a `SubmitVerification` with a fresh `request_id` per call):
//! * `refusals`: a Medicaid card, refused up front (screened and stored, no carrier call);
//! * `submits`: a commercial card without `wait_for_result`: accepted and stored, answered before the carrier;
//! * `e2e`: a commercial card whose member ID makes the simulator answer after `--carrier-latency-ms`, with
//!   `wait_for_result` set, so each call returns when the verification is `COMPLETED`; one still `PENDING` when
//!   the wait runs out is a failure of the run.
//!
//! Baselines: `--baseline grpc` (a bare tonic unary RPC on a server in this process), `--baseline store` (plain
//! INSERTs into a scratch table of `--database-url`), and for `e2e` the ideal rate, concurrency / carrier latency.
//! Each is driven with the same load as the scenario; the report gives the scenario's figures as ratios to them.
//! With `--server-pid`, the server's peak resident memory and its CPU use during the window are reported too.
//!
//! The generator shares the machine with the server, so it is kept cheap: one thread (a current-thread runtime),
//! a few HTTP/2 connections shared by all callers, one tokio task per caller, and nothing per call but the
//! request, its id and a histogram entry. The gRPC baseline's server runs on that same thread.

mod driver;
mod procfs;
mod report;
mod stats;
mod targets;

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

pub use driver::Load;
use driver::{Target, Timing, drive};
pub use procfs::ProcessUsage;
pub use report::{BaselineReport, LoadReport, Ratio, Report};
pub use stats::{Latency, Measurement};
use targets::{GrpcBaseline, ScenarioTarget, StoreBaseline};

/// What to put load on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Medicaid cards: refused up front, stored, no carrier call.
    Refusals,
    /// Commercial cards, no wait: accepted and stored.
    Submits,
    /// Commercial cards answered by the simulator after the carrier latency, waited for.
    E2e,
}

impl Scenario {
    /// The scenario's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Refusals => "refusals",
            Scenario::Submits => "submits",
            Scenario::E2e => "e2e",
        }
    }
}

/// A baseline measured in the same run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// A bare tonic unary RPC (`grpc.health.v1.Health/Check`) on a server started in the load generator.
    Grpc,
    /// Plain single-row INSERTs into a scratch table of `--database-url`.
    Store,
}

/// Why a load run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// The options do not make sense together.
    #[error("{0}")]
    Usage(String),
    /// The service could not be reached.
    #[error("could not connect to {target}: {reason}")]
    Connect {
        /// The address.
        target: String,
        /// Why.
        reason: String,
    },
    /// The gRPC baseline server could not start.
    #[error("baseline gRPC server: {0}")]
    Baseline(std::io::Error),
    /// The store baseline's scratch table could not be made.
    #[error("store baseline: {0}")]
    Store(String),
}

/// Command-line options of `insurance-verifier loadgen`.
#[derive(Debug, Clone, Args)]
pub struct LoadgenArgs {
    /// The service's gRPC address, e.g. `http://127.0.0.1:50051` (required with --scenario).
    #[arg(long)]
    pub target: Option<String>,
    /// What to send. Leave out to measure only the baselines.
    #[arg(long, value_enum)]
    pub scenario: Option<Scenario>,
    /// Calls in flight at all times (closed loop). Default 32.
    #[arg(long, conflicts_with = "rate")]
    pub concurrency: Option<u32>,
    /// Calls started per second whatever their latency (open loop), e.g. `2000` or `2000/s`.
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// With --rate: most calls in flight at once; a call due beyond it waits, and its latency shows the wait.
    #[arg(long, default_value_t = 4096)]
    pub max_in_flight: u32,
    /// Measurement window, e.g. `10s`.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    pub duration: Duration,
    /// Unmeasured load before the window.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2s")]
    pub warmup: Duration,
    /// e2e: how long the simulator takes to answer, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub carrier_latency_ms: u64,
    /// e2e: the `wait_for_result` each submit asks for (the service caps it at `submit.max_wait_for_result`).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "15s")]
    pub wait_for_result: Duration,
    /// Bearer token of the website role, when the service has tokens.
    #[arg(long, env = "IV_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// HTTP/2 connections to spread the calls over (round-robin).
    #[arg(long, default_value_t = 4)]
    pub channels: usize,
    /// Baselines to measure first with the same load (repeatable): `grpc`, `store`.
    #[arg(long = "baseline", value_enum)]
    pub baselines: Vec<Baseline>,
    /// The service's database (`sqlite://PATH` or `postgres://...`), for `--baseline store`.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Pool size of the PostgreSQL store baseline (the service's `database_max_connections` default).
    #[arg(long, default_value_t = 10)]
    pub database_max_connections: u32,
    /// The server's process id: its peak resident memory and CPU use are sampled from `/proc` during the run.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Parses a rate: `2000`, `2000/s` or `2000/sec`; positive and finite.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches("/sec").trim_end_matches("/s").trim();
    match number.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("`{text}` is not a rate: write calls per second, e.g. 2000 or 2000/s")),
    }
}

/// A validated load run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The service's gRPC address (required with a scenario).
    pub target: Option<String>,
    /// The scenario; `None` measures only the baselines.
    pub scenario: Option<Scenario>,
    /// How hard to push.
    pub load: Load,
    /// Measurement window.
    pub duration: Duration,
    /// Unmeasured load before the window.
    pub warmup: Duration,
    /// e2e: the simulator's answer delay.
    pub carrier_latency: Duration,
    /// e2e: `wait_for_result` of each submit.
    pub wait_for_result: Duration,
    /// Website bearer token.
    pub token: Option<String>,
    /// HTTP/2 connections.
    pub channels: usize,
    /// Baselines to measure first.
    pub baselines: Vec<Baseline>,
    /// Database of the store baseline.
    pub database_url: Option<String>,
    /// Pool size of the PostgreSQL store baseline.
    pub database_max_connections: u32,
    /// The server process to sample.
    pub server_pid: Option<u32>,
}

impl LoadConfig {
    /// A closed-loop run of `scenario` against `target` with the command line's defaults.
    pub fn new(target: impl Into<String>, scenario: Scenario) -> LoadConfig {
        LoadConfig {
            target: Some(target.into()),
            scenario: Some(scenario),
            load: Load::Concurrency(32),
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(2),
            carrier_latency: Duration::from_millis(200),
            wait_for_result: Duration::from_secs(15),
            token: None,
            channels: 4,
            baselines: Vec::new(),
            database_url: None,
            database_max_connections: 10,
            server_pid: None,
        }
    }

    /// Checks the options against each other.
    pub fn validate(&self) -> Result<(), LoadgenError> {
        let usage = |text: &str| Err(LoadgenError::Usage(text.to_owned()));
        if self.scenario.is_none() && self.baselines.is_empty() {
            return usage("nothing to do: give --scenario, --baseline, or both");
        }
        if self.scenario.is_some() && self.target.is_none() {
            return usage("--scenario needs --target (the service's gRPC address)");
        }
        if self.baselines.contains(&Baseline::Store) && self.database_url.is_none() {
            return usage("--baseline store needs --database-url (the service's database)");
        }
        if self.duration.is_zero() {
            return usage("--duration must be more than zero");
        }
        if matches!(self.load, Load::Concurrency(0)) {
            return usage("--concurrency must be at least 1");
        }
        if self.channels == 0 {
            return usage("--channels must be at least 1");
        }
        Ok(())
    }

    /// How long to wait after the window for calls started in it.
    fn drain(&self) -> Duration {
        match self.scenario {
            Some(Scenario::E2e) => self.wait_for_result + Duration::from_secs(5),
            _ => Duration::from_secs(10),
        }
    }

    /// The client-side deadline of one call.
    fn call_timeout(&self) -> Duration {
        match self.scenario {
            Some(Scenario::E2e) => self.wait_for_result + Duration::from_secs(10),
            _ => Duration::from_secs(30),
        }
    }

    fn timing(&self) -> Timing {
        Timing { warmup: self.warmup, duration: self.duration, drain: self.drain() }
    }
}

impl LoadgenArgs {
    /// The validated run these options ask for.
    pub fn into_config(self) -> Result<LoadConfig, LoadgenError> {
        let load = match (self.concurrency, self.rate) {
            (_, Some(per_second)) => Load::Rate { per_second, max_in_flight: self.max_in_flight },
            (Some(workers), None) => Load::Concurrency(workers),
            (None, None) => Load::Concurrency(32),
        };
        let config = LoadConfig {
            target: self.target,
            scenario: self.scenario,
            load,
            duration: self.duration,
            warmup: self.warmup,
            carrier_latency: Duration::from_millis(self.carrier_latency_ms),
            wait_for_result: self.wait_for_result,
            token: self.token,
            channels: self.channels,
            baselines: self.baselines,
            database_url: self.database_url,
            database_max_connections: self.database_max_connections,
            server_pid: self.server_pid,
        };
        config.validate()?;
        Ok(config)
    }
}

/// Runs the command: measures, then prints the table (or the JSON object with `--json`).
pub async fn run_cli(args: LoadgenArgs) -> anyhow::Result<()> {
    let json = args.json;
    let config = args.into_config()?;
    let report = {
        // The generator runs on one thread of its own: its callers, connections and timers wake each other without
        // crossing threads. Measured against the CLI's multi-threaded runtime at ~2,000 calls/s: about 15% less
        // CPU per call, and it can never take more than one of the cores it shares with the server.
        let runner = std::thread::Builder::new().name("loadgen".to_owned()).spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(run(&config)).map_err(anyhow::Error::from)
        })?;
        tokio::task::spawn_blocking(move || runner.join())
            .await?
            .map_err(|_| anyhow::anyhow!("the load generator panicked"))??
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report::render(&report));
    }
    Ok(())
}

/// Measures the baselines, then the scenario, with the same load, and reports all of it.
pub async fn run(config: &LoadConfig) -> Result<Report, LoadgenError> {
    config.validate()?;
    let loadavg_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim().to_owned();
    let mut baselines = Vec::new();
    for baseline in &config.baselines {
        baselines.push(measure_baseline(config, *baseline).await?);
    }
    let mut result = None;
    let mut server = None;
    let mut loadgen = None;
    if let (Some(scenario), Some(target)) = (config.scenario, &config.target) {
        let channels = targets::connect(target, config.channels, config.call_timeout()).await?;
        let target = Arc::new(ScenarioTarget::new(
            channels,
            scenario,
            config.token.as_deref(),
            config.carrier_latency,
            config.wait_for_result,
        )?);
        let (measurement, server_usage, own_usage) = measure_with_usage(config, target).await;
        result = Some(measurement);
        server = server_usage;
        loadgen = own_usage;
        if scenario == Scenario::E2e {
            baselines.push(BaselineReport::ideal(config.load, config.carrier_latency));
        }
    }
    Ok(Report::assemble(config, result, baselines, server, loadgen, loadavg_before))
}

async fn measure_baseline(config: &LoadConfig, baseline: Baseline) -> Result<BaselineReport, LoadgenError> {
    // A baseline call never waits for a carrier: the ordinary deadline and drain apply.
    let timing = Timing { warmup: config.warmup, duration: config.duration, drain: Duration::from_secs(10) };
    match baseline {
        Baseline::Grpc => {
            let server = Arc::new(GrpcBaseline::start(config.channels, Duration::from_secs(30)).await?);
            let measurement = drive(Arc::clone(&server), config.load, timing).await;
            if let Ok(server) = Arc::try_unwrap(server) {
                server.stop().await;
            }
            Ok(BaselineReport::measured("grpc", None, measurement))
        }
        Baseline::Store => {
            let url = config.database_url.as_deref().unwrap_or_default();
            let store = Arc::new(StoreBaseline::open(url, config.database_max_connections).await?);
            let backend = store.backend();
            let measurement = drive(Arc::clone(&store), config.load, timing).await;
            if let Ok(store) = Arc::try_unwrap(store) {
                store.remove().await;
            }
            Ok(BaselineReport::measured("store", Some(backend.to_owned()), measurement))
        }
    }
}

/// Drives `target` while sampling the server's memory, and measures the server's and our own CPU use over the
/// measurement window.
async fn measure_with_usage<T: Target>(
    config: &LoadConfig,
    target: Arc<T>,
) -> (Measurement, Option<ProcessUsage>, Option<ProcessUsage>) {
    let server_pid = config.server_pid.map(|pid| pid.to_string());
    let sampler = server_pid.clone().map(procfs::RssSampler::start);
    let own_sampler = procfs::RssSampler::start("self".to_owned());
    // CPU is counted over the window only: read at its start and end by a timer beside the run.
    let window = {
        let pids: Vec<String> = server_pid.iter().cloned().chain(["self".to_owned()]).collect();
        let (warmup, duration) = (config.warmup, config.duration);
        tokio::spawn(async move {
            tokio::time::sleep(warmup).await;
            let before: Vec<_> = pids.iter().map(|pid| procfs::cpu_time(pid)).collect();
            let started = tokio::time::Instant::now();
            tokio::time::sleep(duration).await;
            let elapsed = started.elapsed().as_secs_f64();
            pids.iter()
                .zip(before)
                .map(|(pid, before)| match (before, procfs::cpu_time(pid)) {
                    (Some(before), Some(after)) if elapsed > 0.0 => {
                        after.saturating_sub(before).as_secs_f64() / elapsed
                    }
                    _ => 0.0,
                })
                .collect::<Vec<f64>>()
        })
    };
    let measurement = drive(target, config.load, config.timing()).await;
    let cores = window.await.unwrap_or_default();
    let usage = |pid: String, peak_kib: u64, cores: f64| {
        let hwm = procfs::memory_kib(&pid).map_or(0, |(_, hwm)| hwm);
        ProcessUsage { pid, peak_rss_mib: procfs::mib(peak_kib), vm_hwm_mib: procfs::mib(hwm), cpu_cores: cores }
    };
    let server = match (server_pid, sampler) {
        (Some(pid), Some(sampler)) => Some(usage(pid, sampler.finish().await, cores.first().copied().unwrap_or(0.0))),
        _ => None,
    };
    let own = usage("self".to_owned(), own_sampler.finish().await, cores.last().copied().unwrap_or(0.0));
    (measurement, server, Some(own))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// The options inside a throwaway parser, as `insurance-verifier loadgen` parses them.
    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: LoadgenArgs,
    }

    fn parse(line: &[&str]) -> Result<LoadConfig, String> {
        let wrapper = Wrapper::try_parse_from(std::iter::once("loadgen").chain(line.iter().copied()))
            .map_err(|e| e.to_string())?;
        wrapper.args.into_config().map_err(|e| e.to_string())
    }

    #[test]
    fn a_scenario_with_no_load_options_runs_32_in_flight_for_ten_seconds_after_two_of_warm_up() {
        // Act
        let config = parse(&["--target", "http://127.0.0.1:50051", "--scenario", "submits"]).expect("valid");
        // Assert
        assert_eq!(config.load, Load::Concurrency(32));
        assert_eq!(config.duration, Duration::from_secs(10));
        assert_eq!(config.warmup, Duration::from_secs(2));
        assert_eq!(config.scenario, Some(Scenario::Submits));
        assert_eq!(config.channels, 4);
    }

    #[test]
    fn an_end_to_end_run_takes_its_latency_wait_baselines_and_server_pid() {
        // Act
        let config = parse(&[
            "--target",
            "http://127.0.0.1:50051",
            "--scenario",
            "e2e",
            "--concurrency",
            "1000",
            "--duration",
            "15s",
            "--warmup",
            "500ms",
            "--carrier-latency-ms",
            "200",
            "--wait-for-result",
            "12s",
            "--baseline",
            "grpc",
            "--baseline",
            "store",
            "--database-url",
            "sqlite://var/iv.db",
            "--server-pid",
            "4242",
        ])
        .expect("valid");
        // Assert
        assert_eq!(config.load, Load::Concurrency(1000));
        assert_eq!(config.duration, Duration::from_secs(15));
        assert_eq!(config.warmup, Duration::from_millis(500));
        assert_eq!(config.carrier_latency, Duration::from_millis(200));
        assert_eq!(config.wait_for_result, Duration::from_secs(12));
        assert_eq!(config.baselines, vec![Baseline::Grpc, Baseline::Store]);
        assert_eq!(config.server_pid, Some(4242));
        assert_eq!(config.drain(), Duration::from_secs(17));
    }

    #[test]
    fn a_rate_is_read_with_or_without_its_unit() {
        // Act
        let plain = parse(&["--baseline", "grpc", "--rate", "2500"]).expect("valid");
        let with_unit = parse(&["--baseline", "grpc", "--rate", "2500/s", "--max-in-flight", "100"]).expect("valid");
        // Assert
        assert_eq!(plain.load, Load::Rate { per_second: 2500.0, max_in_flight: 4096 });
        assert_eq!(with_unit.load, Load::Rate { per_second: 2500.0, max_in_flight: 100 });
    }

    #[test]
    fn rates_that_are_not_positive_numbers_are_refused() {
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-5/s").is_err());
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("inf").is_err());
        assert_eq!(parse_rate(" 12.5/sec "), Ok(12.5));
    }

    #[test]
    fn concurrency_and_rate_together_are_refused() {
        // Act
        let error = parse(&["--baseline", "grpc", "--concurrency", "8", "--rate", "100"]).expect_err("conflict");
        // Assert
        assert!(error.contains("cannot be used with"), "{error}");
    }

    #[test]
    fn options_that_cannot_run_are_refused_with_what_is_missing() {
        let nothing = parse(&[]).expect_err("nothing to do");
        assert!(nothing.contains("nothing to do"), "{nothing}");
        let no_target = parse(&["--scenario", "refusals"]).expect_err("no target");
        assert!(no_target.contains("--target"), "{no_target}");
        let no_database = parse(&["--baseline", "store"]).expect_err("no database");
        assert!(no_database.contains("--database-url"), "{no_database}");
        let idle = parse(&["--baseline", "grpc", "--concurrency", "0"]).expect_err("zero callers");
        assert!(idle.contains("--concurrency"), "{idle}");
        let unknown = parse(&["--target", "http://x", "--scenario", "storm"]).expect_err("unknown scenario");
        assert!(unknown.contains("storm"), "{unknown}");
    }
}
