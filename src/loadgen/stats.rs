//! What a load run records and how it is summarised: call outcomes, latency histograms, percentiles.
//!
//! Recording is the only thing done per call, so it is cheap: an atomic add for a success and one short
//! uncontended lock on one of a few histogram shards (the workers are spread over the shards). Failures are rare
//! and go to a map behind a lock.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Smallest latency the histograms tell apart: 1 µs (values are recorded in microseconds).
const LOWEST_MICROS: u64 = 1;
/// Largest latency recorded exactly: 2 minutes; longer calls are recorded as 2 minutes.
const HIGHEST_MICROS: u64 = 120_000_000;
/// Three significant figures: p99 of 12.345 ms is told apart from 12.35 ms.
const SIGNIFICANT_FIGURES: u8 = 3;

/// How one call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The call succeeded with the answer the scenario expects.
    Ok,
    /// The call failed: the gRPC status code name (`Unavailable`, ...) or a store error class.
    Error(&'static str),
    /// The call succeeded but returned something the scenario does not count as done (e.g. `PENDING` for an
    /// end-to-end verification): the verification status name.
    Unexpected(&'static str),
}

/// Collects outcomes and latencies from many concurrent workers.
#[derive(Debug)]
pub struct Recorder {
    shards: Vec<Mutex<Histogram<u64>>>,
    sent: AtomicU64,
    ok: AtomicU64,
    in_flight: AtomicU64,
    errors: Mutex<BTreeMap<&'static str, u64>>,
    unexpected: Mutex<BTreeMap<&'static str, u64>>,
}

impl Recorder {
    /// A recorder with `shards` histograms (at least one).
    pub fn new(shards: usize) -> Recorder {
        let shards = (0..shards.max(1)).map(|_| Mutex::new(new_histogram())).collect();
        Recorder {
            shards,
            sent: AtomicU64::new(0),
            ok: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            errors: Mutex::new(BTreeMap::new()),
            unexpected: Mutex::new(BTreeMap::new()),
        }
    }

    /// Notes that a measured call was sent. Pair with [`Recorder::record`] when it ends.
    pub fn started(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a measured call that ended: its outcome and, for a success, its latency in the histogram of
    /// `shard` (any number: it is reduced modulo the shard count). Failed calls are counted but left out of the
    /// latency figures, so that fast refusals (e.g. `RESOURCE_EXHAUSTED`) cannot flatter them.
    pub fn record(&self, shard: usize, outcome: Outcome, latency: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        match outcome {
            Outcome::Ok => {
                self.ok.fetch_add(1, Ordering::Relaxed);
                let micros =
                    u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).clamp(LOWEST_MICROS, HIGHEST_MICROS);
                let mut histogram = lock(&self.shards[shard % self.shards.len()]);
                // Cannot fail: the value is clamped into the histogram's range.
                let _ = histogram.record(micros);
            }
            Outcome::Error(name) => *lock(&self.errors).entry(name).or_default() += 1,
            Outcome::Unexpected(name) => *lock(&self.unexpected).entry(name).or_default() += 1,
        }
    }

    /// Measured calls sent so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Measured calls sent but not yet recorded.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The summary over a measurement window of `window`: throughput is successful calls per second of it.
    pub fn summary(&self, window: Duration) -> Measurement {
        let mut merged = new_histogram();
        for shard in &self.shards {
            // Cannot fail: every shard has the same bounds.
            let _ = merged.add(&*lock(shard));
        }
        let ok = self.ok.load(Ordering::Relaxed);
        let seconds = window.as_secs_f64();
        Measurement {
            sent: self.sent(),
            ok,
            errors: lock(&self.errors).iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            unexpected: lock(&self.unexpected).iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            unfinished: self.in_flight(),
            window_s: seconds,
            throughput_per_s: if seconds > 0.0 { ok as f64 / seconds } else { 0.0 },
            latency_ms: Latency::of(&merged),
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts (low >= 1, high >= 2 * low, 0..=5 figures).
    Histogram::new_with_bounds(LOWEST_MICROS, HIGHEST_MICROS, SIGNIFICANT_FIGURES)
        .expect("constant histogram bounds are valid")
}

/// Locks a mutex even if a worker panicked while holding it: the counts stay usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The figures of one measured load: counts, throughput and latency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Calls sent during the measurement window (warm-up excluded).
    pub sent: u64,
    /// Calls that ended with the expected answer.
    pub ok: u64,
    /// Failed calls by gRPC status code name (or store error class).
    pub errors: BTreeMap<String, u64>,
    /// Calls that answered but not as the scenario expects, by verification status (e.g. `PENDING`).
    pub unexpected: BTreeMap<String, u64>,
    /// Calls still without an answer when the run gave up waiting for them.
    pub unfinished: u64,
    /// Length of the measurement window, seconds.
    pub window_s: f64,
    /// Successful calls per second of the window.
    pub throughput_per_s: f64,
    /// Latency of the successful calls.
    pub latency_ms: Latency,
}

impl Measurement {
    /// Calls that did not succeed: errors, unexpected answers and unfinished calls.
    pub fn failures(&self) -> u64 {
        self.errors.values().sum::<u64>() + self.unexpected.values().sum::<u64>() + self.unfinished
    }
}

/// Latency percentiles in milliseconds (all zero when nothing succeeded).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Slowest call.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Latency {
    /// The percentiles of a histogram of microseconds.
    pub fn of(histogram: &Histogram<u64>) -> Latency {
        if histogram.is_empty() {
            return Latency { p50: 0.0, p90: 0.0, p99: 0.0, p999: 0.0, max: 0.0, mean: 0.0 };
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Latency {
            p50: ms(histogram.value_at_quantile(0.50)),
            p90: ms(histogram.value_at_quantile(0.90)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
            mean: histogram.mean() / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn percentiles_of_one_to_a_thousand_milliseconds_are_where_they_should_be() {
        // Arrange
        let recorder = Recorder::new(4);
        for ms in 1..=1000 {
            recorder.started();
            recorder.record(ms as usize, Outcome::Ok, millis(ms));
        }
        // Act
        let summary = recorder.summary(Duration::from_secs(10));
        // Assert: three significant figures, so within 0.1% of the exact order statistic.
        let close = |actual: f64, expected: f64| (actual - expected).abs() <= expected * 0.001 + 0.001;
        assert!(close(summary.latency_ms.p50, 500.0), "{:?}", summary.latency_ms);
        assert!(close(summary.latency_ms.p90, 900.0), "{:?}", summary.latency_ms);
        assert!(close(summary.latency_ms.p99, 990.0), "{:?}", summary.latency_ms);
        assert!(close(summary.latency_ms.p999, 999.0), "{:?}", summary.latency_ms);
        assert!(close(summary.latency_ms.max, 1000.0), "{:?}", summary.latency_ms);
        assert!(close(summary.latency_ms.mean, 500.5), "{:?}", summary.latency_ms);
        assert_eq!(summary.ok, 1000);
        assert_eq!(summary.sent, 1000);
        assert!((summary.throughput_per_s - 100.0).abs() < 1e-9);
    }

    #[test]
    fn failed_calls_are_counted_by_name_and_kept_out_of_the_latency_figures() {
        // Arrange
        let recorder = Recorder::new(2);
        for _ in 0..3 {
            recorder.started();
        }
        // Act
        recorder.record(0, Outcome::Ok, millis(40));
        recorder.record(1, Outcome::Error("Unavailable"), millis(1));
        recorder.record(0, Outcome::Unexpected("PENDING"), millis(15_000));
        let summary = recorder.summary(Duration::from_secs(1));
        // Assert
        assert_eq!(summary.ok, 1);
        assert_eq!(summary.errors.get("Unavailable"), Some(&1));
        assert_eq!(summary.unexpected.get("PENDING"), Some(&1));
        assert_eq!(summary.failures(), 2);
        assert!((summary.latency_ms.max - 40.0).abs() < 0.05, "{:?}", summary.latency_ms);
        assert!((summary.latency_ms.p50 - 40.0).abs() < 0.05, "{:?}", summary.latency_ms);
    }

    #[test]
    fn a_call_still_running_at_the_end_is_reported_unfinished() {
        // Arrange
        let recorder = Recorder::new(1);
        recorder.started();
        recorder.started();
        recorder.record(0, Outcome::Ok, millis(5));
        // Act
        let summary = recorder.summary(Duration::from_secs(1));
        // Assert
        assert_eq!(summary.unfinished, 1);
        assert_eq!(summary.failures(), 1);
    }

    #[test]
    fn latencies_beyond_the_histogram_range_are_clamped_not_lost() {
        // Arrange
        let recorder = Recorder::new(1);
        recorder.started();
        recorder.started();
        // Act
        recorder.record(0, Outcome::Ok, Duration::from_secs(600));
        recorder.record(0, Outcome::Ok, Duration::ZERO);
        let summary = recorder.summary(Duration::from_secs(1));
        // Assert
        assert_eq!(summary.ok, 2);
        assert!(summary.latency_ms.max >= 119_000.0, "{:?}", summary.latency_ms);
        assert!(summary.latency_ms.p50 <= 0.01, "{:?}", summary.latency_ms);
    }

    #[test]
    fn nothing_recorded_gives_zero_figures_and_zero_throughput() {
        // Act
        let summary = Recorder::new(1).summary(Duration::ZERO);
        // Assert
        assert_eq!(summary.latency_ms.p99, 0.0);
        assert_eq!(summary.throughput_per_s, 0.0);
        assert_eq!(summary.failures(), 0);
    }
}
