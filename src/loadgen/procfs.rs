//! Resident memory and CPU time of a process, read from Linux's `/proc` (the server's, by PID, and our own).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

/// Clock ticks per second in `/proc/PID/stat` (`USER_HZ`): 100 on every Linux architecture's user ABI.
const USER_HZ: f64 = 100.0;

/// How often the resident set size is sampled during a run.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// `VmRSS` and `VmHWM` of `/proc/PID/status` (`self` for this process), in KiB.
pub fn memory_kib(pid: &str) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_memory_kib(&status)
}

/// `VmRSS` and `VmHWM` from the text of a `/proc/PID/status` file, in KiB.
fn parse_memory_kib(status: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// User plus system CPU time a process has used so far (`/proc/PID/stat`, `self` for this process).
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_time(&stat)
}

/// `utime + stime` from the text of a `/proc/PID/stat` file. The command name (field 2) is in parentheses and
/// may contain spaces, so the fields are counted from the last `)`.
fn parse_cpu_time(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name: state (field 3) ... utime is field 14, stime field 15, i.e. the 12th and 13th here.
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_secs_f64((user + system) as f64 / USER_HZ))
}

/// Samples a process's resident set size in the background and keeps the peak.
#[derive(Debug)]
pub struct RssSampler {
    peak_kib: Arc<AtomicU64>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    /// Starts sampling `pid` every [`SAMPLE_EVERY`].
    pub fn start(pid: String) -> RssSampler {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let peak_kib = Arc::clone(&peak_kib);
            let stop = stop.clone();
            async move {
                let mut every = tokio::time::interval(SAMPLE_EVERY);
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = every.tick() => {
                            if let Some((rss, _)) = memory_kib(&pid) {
                                peak_kib.fetch_max(rss, Ordering::Relaxed);
                            }
                        }
                    }
                }
            }
        });
        RssSampler { peak_kib, stop, task }
    }

    /// Stops sampling and returns the largest `VmRSS` seen, in KiB.
    pub async fn finish(self) -> u64 {
        self.stop.cancel();
        let _ = self.task.await;
        self.peak_kib.load(Ordering::Relaxed)
    }
}

/// What a process used during a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessUsage {
    /// The process id (`self` for the load generator).
    pub pid: String,
    /// Largest resident set size sampled during the run, MiB.
    pub peak_rss_mib: f64,
    /// The kernel's high-water mark of the resident set at the end (`VmHWM`: since the process started), MiB. It
    /// can trail the sampled peak by a few pages (the kernel syncs its memory counters lazily).
    pub vm_hwm_mib: f64,
    /// CPU time used during the measurement window divided by its length: 1.0 is one core busy all the time.
    pub cpu_cores: f64,
}

/// Converts KiB to MiB.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_figures_are_read_from_a_status_file() {
        // Arrange
        let status = "Name:\tinsurance-verif\nVmPeak:\t  900000 kB\nVmHWM:\t   61440 kB\nVmRSS:\t   51200 kB\n";
        // Act
        let parsed = parse_memory_kib(status);
        // Assert
        assert_eq!(parsed, Some((51_200, 61_440)));
    }

    #[test]
    fn cpu_time_is_read_after_a_command_name_with_spaces_and_parentheses() {
        // Arrange: utime 250 ticks, stime 50 ticks.
        let stat = "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 3 0 100 0 0";
        // Act
        let cpu = parse_cpu_time(stat);
        // Assert
        assert_eq!(cpu, Some(Duration::from_secs(3)));
    }

    #[test]
    fn this_process_can_be_measured() {
        // Act
        let memory = memory_kib("self");
        let cpu = cpu_time("self");
        // Assert
        let (rss, hwm) = memory.expect("/proc/self/status readable");
        // Not `hwm >= rss`: the kernel syncs the counters behind VmHWM lazily, so it may trail VmRSS a little.
        assert!(rss > 0 && hwm > 0, "{rss} {hwm}");
        assert!(cpu.is_some());
    }
}
