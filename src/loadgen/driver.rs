//! Drives a target with a fixed number of calls in flight (closed loop) or at a fixed rate (open loop), warms up,
//! then measures for a set time.
//!
//! Closed loop: each of N workers sends its next call as soon as the previous one ends; latency is the call's
//! own time. Open loop: call `i` is due at `start + i / rate`, whatever happened before; latency is counted from
//! that due time, so a server that stalls is charged for the calls it kept waiting (no coordinated omission).
//! A call counts in the measurement when it was started (or was due) inside the window; calls started in the
//! window and still running at its end are waited for, up to `drain`. An open loop that fell behind stops
//! sending at the end of the window all the same: the calls it never sent show as `sent` below rate x duration.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::stats::{Measurement, Outcome, Recorder};

/// Histogram shards: enough that workers on two cores rarely meet on a lock, few enough to merge quickly.
const SHARDS: usize = 8;

/// One caller's connection to the system under test. Made once per worker (closed loop) or per call (open loop),
/// so it should be cheap to make: clone a client, not a connection.
pub trait Worker: Send + 'static {
    /// Makes one call and says how it ended.
    fn call(&mut self) -> impl Future<Output = Outcome> + Send;
}

/// Something to put load on.
pub trait Target: Send + Sync + 'static {
    /// The per-caller handle.
    type Worker: Worker;
    /// A caller; `index` spreads callers over connections.
    fn worker(&self, index: u64) -> Self::Worker;
}

/// How hard to push.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// This many calls in flight at all times.
    Concurrency(u32),
    /// This many calls started per second, however long they take (at most `max_in_flight` at once).
    Rate {
        /// Calls per second.
        per_second: f64,
        /// Most calls in flight; a call due when this many are running waits (and its latency shows it).
        max_in_flight: u32,
    },
}

/// The timing of a run.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Unmeasured load before the window.
    pub warmup: Duration,
    /// The measurement window.
    pub duration: Duration,
    /// How long to wait after the window for calls started in it.
    pub drain: Duration,
}

/// Runs `load` against `target` and returns the measured figures.
pub async fn drive<T: Target>(target: Arc<T>, load: Load, timing: Timing) -> Measurement {
    let recorder = Arc::new(Recorder::new(SHARDS));
    let start = Instant::now();
    let window_start = start + timing.warmup;
    let window_end = window_start + timing.duration;
    let mut tasks = JoinSet::new();
    match load {
        Load::Concurrency(workers) => {
            for index in 0..u64::from(workers) {
                let mut worker = target.worker(index);
                let recorder = Arc::clone(&recorder);
                tasks.spawn(async move {
                    loop {
                        let started = Instant::now();
                        if started >= window_end {
                            break;
                        }
                        let measured = started >= window_start;
                        if measured {
                            recorder.started();
                        }
                        let outcome = worker.call().await;
                        if measured {
                            recorder.record(shard(index), outcome, started.elapsed());
                        }
                    }
                });
            }
        }
        Load::Rate { per_second, max_in_flight } => {
            let permits = Arc::new(Semaphore::new(usize::try_from(max_in_flight.max(1)).unwrap_or(usize::MAX)));
            let interval = Duration::from_secs_f64(1.0 / per_second.max(1e-3));
            for index in 0u64.. {
                let due = start + interval.mul_f64(index as f64);
                // Also stop at the end in real time: calls still due then were never sent, and `sent` shows the
                // shortfall of a server (or generator) that could not keep up.
                let now = Instant::now();
                if due >= window_end || now >= window_end {
                    break;
                }
                if due > now {
                    tokio::time::sleep_until(due).await;
                }
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { break };
                let mut worker = target.worker(index);
                let recorder = Arc::clone(&recorder);
                let measured = due >= window_start;
                if measured {
                    recorder.started();
                }
                tasks.spawn(async move {
                    let outcome = worker.call().await;
                    if measured {
                        recorder.record(shard(index), outcome, due.elapsed());
                    }
                    drop(permit);
                });
                // Reap finished calls as we go, so the task set stays as small as the calls in flight.
                while tasks.try_join_next().is_some() {}
            }
        }
    }
    let drain_deadline = window_end.max(Instant::now()) + timing.drain;
    while tokio::time::timeout_at(drain_deadline, tasks.join_next()).await.is_ok_and(|next| next.is_some()) {}
    // Calls still running now are reported as unfinished by the recorder's in-flight count.
    tasks.abort_all();
    recorder.summary(timing.duration)
}

fn shard(index: u64) -> usize {
    (index % SHARDS as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target whose calls take a fixed time and succeed.
    struct Sleeper(Duration);

    struct SleeperWorker(Duration);

    impl Worker for SleeperWorker {
        async fn call(&mut self) -> Outcome {
            tokio::time::sleep(self.0).await;
            Outcome::Ok
        }
    }

    impl Target for Sleeper {
        type Worker = SleeperWorker;
        fn worker(&self, _index: u64) -> SleeperWorker {
            SleeperWorker(self.0)
        }
    }

    fn timing(warmup_ms: u64, duration_ms: u64, drain_ms: u64) -> Timing {
        Timing {
            warmup: Duration::from_millis(warmup_ms),
            duration: Duration::from_millis(duration_ms),
            drain: Duration::from_millis(drain_ms),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_loop_completes_concurrency_over_latency_calls_per_second() {
        // Arrange: 10 callers, 100 ms per call, 1 s window: 10 rounds of 10 calls.
        let target = Arc::new(Sleeper(Duration::from_millis(100)));
        // Act
        let summary = drive(target, Load::Concurrency(10), timing(200, 1000, 500)).await;
        // Assert
        assert_eq!(summary.sent, 100, "{summary:?}");
        assert_eq!(summary.ok, 100);
        assert_eq!(summary.unfinished, 0);
        assert!((summary.throughput_per_s - 100.0).abs() < 1e-6, "{summary:?}");
        assert!((summary.latency_ms.p50 - 100.0).abs() < 0.5, "{summary:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_loop_sends_at_the_rate_asked_whatever_the_latency() {
        // Arrange: 50 calls/s, each taking 300 ms (15 in flight), for 2 s.
        let target = Arc::new(Sleeper(Duration::from_millis(300)));
        let load = Load::Rate { per_second: 50.0, max_in_flight: 1000 };
        // Act
        let summary = drive(target, load, timing(0, 2000, 1000)).await;
        // Assert
        assert_eq!(summary.sent, 100, "{summary:?}");
        assert_eq!(summary.ok, 100);
        assert!((summary.latency_ms.p99 - 300.0).abs() < 0.5, "{summary:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_loop_held_back_by_its_in_flight_cap_charges_the_wait_to_latency() {
        // Arrange: 100 calls/s of 100 ms each need 10 in flight; only 1 is allowed.
        let target = Arc::new(Sleeper(Duration::from_millis(100)));
        let load = Load::Rate { per_second: 100.0, max_in_flight: 1 };
        // Act
        let summary = drive(target, load, timing(0, 1000, 5000)).await;
        // Assert: each call waited for the ones before it, so the latency grows far beyond 100 ms.
        assert!(summary.latency_ms.max > 500.0, "{summary:?}");
        assert!(summary.sent < 100, "the cap held the sender back: {summary:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn calls_that_outlive_the_drain_are_reported_unfinished() {
        // Arrange: calls of 10 s, a 1 s window and a 1 s drain.
        let target = Arc::new(Sleeper(Duration::from_secs(10)));
        // Act
        let summary = drive(target, Load::Concurrency(3), timing(0, 1000, 1000)).await;
        // Assert
        assert_eq!(summary.sent, 3);
        assert_eq!(summary.ok, 0);
        assert_eq!(summary.unfinished, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn warm_up_calls_are_not_measured() {
        // Arrange: 1 caller, 100 ms calls, 1 s warm-up, 1 s window.
        let target = Arc::new(Sleeper(Duration::from_millis(100)));
        // Act
        let summary = drive(target, Load::Concurrency(1), timing(1000, 1000, 500)).await;
        // Assert
        assert_eq!(summary.sent, 10, "{summary:?}");
    }
}
