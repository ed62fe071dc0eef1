//! The load run's report: one JSON object (`--json`) or a table for people.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::driver::Load;
use super::procfs::ProcessUsage;
use super::stats::Measurement;
use super::{LoadConfig, Scenario};

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `refusals`, `submits`, `e2e`, or `None` when only baselines ran.
    pub scenario: Option<Scenario>,
    /// The service's address.
    pub target: Option<String>,
    /// The load applied (to the scenario and to every measured baseline).
    pub load: LoadReport,
    /// Measurement window, seconds.
    pub duration_s: f64,
    /// Warm-up before it, seconds.
    pub warmup_s: f64,
    /// e2e: the simulator's answer delay, milliseconds.
    pub carrier_latency_ms: Option<u64>,
    /// The scenario's figures.
    pub result: Option<Measurement>,
    /// e2e: calls that came back still `PENDING` (the wait ran out): a failure of the run.
    pub still_pending: Option<u64>,
    /// The baselines, in the order measured; `ideal` (e2e) is computed.
    pub baselines: Vec<BaselineReport>,
    /// The scenario against each baseline, keyed by the baseline's kind.
    pub ratios: BTreeMap<String, Ratio>,
    /// The server's memory and CPU during the scenario (with `--server-pid`).
    pub server: Option<ProcessUsage>,
    /// The load generator's own memory and CPU during the scenario.
    pub loadgen: Option<ProcessUsage>,
    /// `/proc/loadavg` when the run started.
    pub loadavg: String,
    /// CPUs the machine offers.
    pub cpus: usize,
}

/// The load applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// `concurrency` (closed loop) or `rate` (open loop).
    pub mode: String,
    /// Calls in flight (closed loop).
    pub concurrency: Option<u32>,
    /// Calls started per second (open loop).
    pub rate_per_s: Option<f64>,
    /// Most calls in flight (open loop).
    pub max_in_flight: Option<u32>,
}

impl LoadReport {
    fn of(load: Load) -> LoadReport {
        match load {
            Load::Concurrency(n) => {
                LoadReport { mode: "concurrency".into(), concurrency: Some(n), rate_per_s: None, max_in_flight: None }
            }
            Load::Rate { per_second, max_in_flight } => LoadReport {
                mode: "rate".into(),
                concurrency: None,
                rate_per_s: Some(per_second),
                max_in_flight: Some(max_in_flight),
            },
        }
    }
}

/// A baseline's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineReport {
    /// `grpc`, `store` or `ideal`.
    pub kind: String,
    /// The store baseline's database: `sqlite` or `postgres`.
    pub backend: Option<String>,
    /// Calls (or, for `ideal`, verifications) per second.
    pub throughput_per_s: f64,
    /// The measured figures (`None` for the computed `ideal`).
    pub result: Option<Measurement>,
}

impl BaselineReport {
    /// A measured baseline.
    pub fn measured(kind: &str, backend: Option<String>, result: Measurement) -> BaselineReport {
        BaselineReport {
            kind: kind.to_owned(),
            backend,
            throughput_per_s: result.throughput_per_s,
            result: Some(result),
        }
    }

    /// The best an end-to-end run can do: every caller completing one verification per carrier latency (closed
    /// loop), or the offered rate when that is lower than what its in-flight cap allows (open loop).
    pub fn ideal(load: Load, carrier_latency: Duration) -> BaselineReport {
        let latency = carrier_latency.as_secs_f64();
        let per_caller = |callers: u32| if latency > 0.0 { f64::from(callers) / latency } else { f64::INFINITY };
        let throughput_per_s = match load {
            Load::Concurrency(callers) => per_caller(callers),
            Load::Rate { per_second, max_in_flight } => per_second.min(per_caller(max_in_flight)),
        };
        BaselineReport { kind: "ideal".into(), backend: None, throughput_per_s, result: None }
    }
}

/// The scenario against one baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// Scenario throughput / baseline throughput (1.0: as fast as the baseline).
    pub throughput: f64,
    /// Scenario median latency / baseline median latency (measured baselines only).
    pub p50_latency: Option<f64>,
    /// Scenario p99 latency / baseline p99 latency (measured baselines only).
    pub p99_latency: Option<f64>,
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 { numerator / denominator } else { 0.0 }
}

impl Report {
    /// Puts the figures of a run together and computes the ratios.
    pub fn assemble(
        config: &LoadConfig,
        result: Option<Measurement>,
        baselines: Vec<BaselineReport>,
        server: Option<ProcessUsage>,
        loadgen: Option<ProcessUsage>,
        loadavg: String,
    ) -> Report {
        let mut ratios = BTreeMap::new();
        if let Some(result) = &result {
            for baseline in &baselines {
                let latency =
                    |pick: fn(&Measurement) -> f64| baseline.result.as_ref().map(|b| ratio(pick(result), pick(b)));
                ratios.insert(
                    baseline.kind.clone(),
                    Ratio {
                        throughput: ratio(result.throughput_per_s, baseline.throughput_per_s),
                        p50_latency: latency(|m| m.latency_ms.p50),
                        p99_latency: latency(|m| m.latency_ms.p99),
                    },
                );
            }
        }
        let e2e = config.scenario == Some(Scenario::E2e);
        Report {
            scenario: config.scenario,
            target: config.target.clone(),
            load: LoadReport::of(config.load),
            duration_s: config.duration.as_secs_f64(),
            warmup_s: config.warmup.as_secs_f64(),
            carrier_latency_ms: e2e.then(|| u64::try_from(config.carrier_latency.as_millis()).unwrap_or(u64::MAX)),
            still_pending: if e2e {
                result.as_ref().map(|r| r.unexpected.get("PENDING").copied().unwrap_or(0))
            } else {
                None
            },
            result,
            baselines,
            ratios,
            server,
            loadgen,
            loadavg,
            cpus: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        }
    }
}

/// The report as a table for people.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let load = match (report.load.concurrency, report.load.rate_per_s) {
        (Some(n), _) => format!("{n} in flight"),
        (None, Some(rate)) => format!("{rate}/s (at most {} in flight)", report.load.max_in_flight.unwrap_or(0)),
        (None, None) => String::new(),
    };
    let what = match (report.scenario, &report.target) {
        (Some(scenario), Some(target)) => format!("{} against {target}", scenario.name()),
        _ => "baselines".to_owned(),
    };
    let _ = writeln!(
        out,
        "{what}: {load}, {}s measured after {}s warm-up{}",
        report.duration_s,
        report.warmup_s,
        report.carrier_latency_ms.map(|ms| format!(", carrier latency {ms} ms")).unwrap_or_default()
    );
    let _ = writeln!(out, "machine: {} CPUs, load average at start {}", report.cpus, report.loadavg);
    let _ = writeln!(
        out,
        "\n{:<22} {:>9} {:>9} {:>8} {:>12} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "", "sent", "ok", "failed", "per second", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"
    );
    let row = |out: &mut String, label: &str, m: &Measurement| {
        let l = &m.latency_ms;
        let _ = writeln!(
            out,
            "{label:<22} {:>9} {:>9} {:>8} {:>12.1} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>9.2}",
            m.sent,
            m.ok,
            m.failures(),
            m.throughput_per_s,
            l.p50,
            l.p90,
            l.p99,
            l.p999,
            l.max
        );
    };
    if let (Some(scenario), Some(result)) = (report.scenario, &report.result) {
        row(&mut out, scenario.name(), result);
    }
    for baseline in &report.baselines {
        let label = match &baseline.backend {
            Some(backend) => format!("baseline {} ({backend})", baseline.kind),
            None => format!("baseline {}", baseline.kind),
        };
        match &baseline.result {
            Some(result) => row(&mut out, &label, result),
            None => {
                let _ =
                    writeln!(out, "{label:<22} {:>9} {:>9} {:>8} {:>12.1}", "-", "-", "-", baseline.throughput_per_s);
            }
        }
    }
    if !report.ratios.is_empty() {
        let _ = writeln!(out);
        for (kind, r) in &report.ratios {
            let _ = write!(out, "vs {kind}: throughput x{:.3}", r.throughput);
            if let (Some(p50), Some(p99)) = (r.p50_latency, r.p99_latency) {
                let _ = write!(out, ", p50 latency x{p50:.2}, p99 latency x{p99:.2}");
            }
            let _ = writeln!(out);
        }
    }
    let failures = |out: &mut String, label: &str, m: &Measurement| {
        if m.failures() == 0 {
            return;
        }
        let mut parts: Vec<String> = m.errors.iter().map(|(code, n)| format!("{code} {n}")).collect();
        parts.extend(m.unexpected.iter().map(|(status, n)| format!("answered {status} {n}")));
        if m.unfinished > 0 {
            parts.push(format!("unfinished {}", m.unfinished));
        }
        let _ = writeln!(out, "FAILED CALLS ({label}): {}", parts.join(", "));
    };
    if let Some(result) = &report.result {
        failures(&mut out, report.scenario.map_or("scenario", Scenario::name), result);
    }
    for baseline in &report.baselines {
        if let Some(result) = &baseline.result {
            failures(&mut out, &baseline.kind, result);
        }
    }
    let _ = writeln!(out);
    for (label, usage) in [("server", &report.server), ("loadgen", &report.loadgen)] {
        if let Some(u) = usage {
            let _ = writeln!(
                out,
                "{label} (pid {}): peak RSS {:.1} MiB (VmHWM {:.1} MiB), CPU {:.2} cores during the window",
                u.pid, u.peak_rss_mib, u.vm_hwm_mib, u.cpu_cores
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loadgen::stats::Latency;

    fn measurement(throughput: f64, p50: f64, p99: f64) -> Measurement {
        Measurement {
            sent: 100,
            ok: 100,
            errors: BTreeMap::new(),
            unexpected: BTreeMap::new(),
            unfinished: 0,
            window_s: 10.0,
            throughput_per_s: throughput,
            latency_ms: Latency { p50, p90: p50, p99, p999: p99, max: p99, mean: p50 },
        }
    }

    #[test]
    fn ratios_compare_the_scenario_with_each_baseline() {
        // Arrange
        let config = LoadConfig::new("http://127.0.0.1:1", Scenario::Submits);
        let baselines = vec![
            BaselineReport::measured("grpc", None, measurement(20_000.0, 1.0, 4.0)),
            BaselineReport::measured("store", Some("sqlite".into()), measurement(8_000.0, 3.0, 10.0)),
        ];
        // Act
        let report =
            Report::assemble(&config, Some(measurement(4_000.0, 6.0, 20.0)), baselines, None, None, String::new());
        // Assert
        assert_eq!(report.ratios["grpc"].throughput, 0.2);
        assert_eq!(report.ratios["grpc"].p50_latency, Some(6.0));
        assert_eq!(report.ratios["store"].throughput, 0.5);
        assert_eq!(report.ratios["store"].p99_latency, Some(2.0));
        assert_eq!(report.still_pending, None);
    }

    #[test]
    fn the_ideal_end_to_end_rate_is_concurrency_over_carrier_latency() {
        // Act
        let closed = BaselineReport::ideal(Load::Concurrency(1000), Duration::from_millis(200));
        let open =
            BaselineReport::ideal(Load::Rate { per_second: 300.0, max_in_flight: 4096 }, Duration::from_millis(200));
        let capped =
            BaselineReport::ideal(Load::Rate { per_second: 300.0, max_in_flight: 10 }, Duration::from_millis(200));
        // Assert
        assert_eq!(closed.throughput_per_s, 5000.0);
        assert_eq!(open.throughput_per_s, 300.0);
        assert_eq!(capped.throughput_per_s, 50.0);
    }

    #[test]
    fn an_end_to_end_report_counts_the_verifications_still_pending() {
        // Arrange
        let mut config = LoadConfig::new("http://127.0.0.1:1", Scenario::E2e);
        config.load = Load::Concurrency(10);
        let mut result = measurement(40.0, 210.0, 260.0);
        result.unexpected.insert("PENDING".into(), 3);
        let ideal = BaselineReport::ideal(config.load, config.carrier_latency);
        // Act
        let report = Report::assemble(&config, Some(result), vec![ideal], None, None, "0.5 0.4 0.3 1/100 1".into());
        // Assert
        assert_eq!(report.still_pending, Some(3));
        assert_eq!(report.carrier_latency_ms, Some(200));
        assert_eq!(report.ratios["ideal"].throughput, 0.8);
        assert_eq!(report.ratios["ideal"].p50_latency, None);
        let text = render(&report);
        assert!(text.contains("FAILED CALLS (e2e): answered PENDING 3"), "{text}");
        assert!(text.contains("vs ideal: throughput x0.800"), "{text}");
    }

    #[test]
    fn the_json_report_has_the_fields_scripts_read() {
        // Arrange
        let config = LoadConfig::new("http://127.0.0.1:1", Scenario::Refusals);
        let server = ProcessUsage { pid: "42".into(), peak_rss_mib: 50.0, vm_hwm_mib: 55.0, cpu_cores: 1.2 };
        let report = Report::assemble(
            &config,
            Some(measurement(3_000.0, 5.0, 12.0)),
            vec![BaselineReport::measured("grpc", None, measurement(15_000.0, 1.0, 3.0))],
            Some(server),
            None,
            String::new(),
        );
        // Act
        let json = serde_json::to_value(&report).expect("serialises");
        // Assert
        assert_eq!(json["scenario"], "refusals");
        assert_eq!(json["load"]["concurrency"], 32);
        assert_eq!(json["result"]["throughput_per_s"], 3000.0);
        assert_eq!(json["result"]["latency_ms"]["p99"], 12.0);
        assert_eq!(json["baselines"][0]["kind"], "grpc");
        assert_eq!(json["ratios"]["grpc"]["throughput"], 0.2);
        assert_eq!(json["server"]["peak_rss_mib"], 50.0);
        let back: Report = serde_json::from_value(json).expect("round-trips");
        assert_eq!(back, report);
    }
}
