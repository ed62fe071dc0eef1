//! Times the project's X12 reader on one file and prints one JSON object, for the peer comparison script
//! (`benches/peers/compare.sh`), which times pyx12 and node-x12 on the same file in the same run.
//!
//! ```sh
//! cargo run --release --example x12_tokenize -- FILE [REPS] [tokenize|parse]
//! ```
//!
//! Two measurements (or only the one named, e.g. under a profiler), each one untimed warm-up run then `REPS` timed runs (default 50), median reported:
//! - `tokenize`: [`segments`] drained (delimiters from the ISA, every segment split off and its id checked),
//!   the counterpart of pyx12's `RawX12File` and node-x12's segment splitter;
//! - `parse_eligibility`: [`parse`] (envelope, groups, transactions) and [`eligibility_271`] (the HL loop tree)
//!   of every transaction, the counterpart of node-x12's `parse` into its object model.
//!
//! The file is read into memory before timing; MB/s are 10^6 bytes per second, as the peer scripts print.

#[path = "../benches/support/read_271.rs"]
mod read_271;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use insurance_verifier::carriers::x12::X12Error;
use read_271::{parse_eligibility, tokenize};

/// Runs `work` once untimed, then `reps` times timed; returns the timings and the last result.
fn timed(
    reps: usize,
    input: &[u8],
    work: fn(&[u8]) -> Result<usize, X12Error>,
) -> Result<(Vec<Duration>, usize), X12Error> {
    let mut result = work(input)?;
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        result = work(black_box(input))?;
        times.push(start.elapsed());
    }
    Ok((times, result))
}

/// Median, minimum and throughput of one measurement, as JSON.
fn summary(mut times: Vec<Duration>, bytes: usize) -> serde_json::Value {
    times.sort();
    let seconds: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    let middle = seconds.len() / 2;
    let median = match seconds.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => seconds[middle],
        _ => (seconds[middle - 1] + seconds[middle]) / 2.0,
    };
    serde_json::json!({
        "reps": seconds.len(),
        "median_s": median,
        "min_s": seconds.first().copied().unwrap_or(f64::NAN),
        "mb_per_s": bytes as f64 / median / 1e6,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, reps, only) = match args.as_slice() {
        [path] => (path, Ok(50), None),
        [path, reps] => (path, reps.parse::<usize>(), None),
        [path, reps, only] if only == "tokenize" || only == "parse" => (path, reps.parse::<usize>(), Some(only)),
        _ => {
            eprintln!("usage: x12_tokenize FILE [REPS] [tokenize|parse]");
            return ExitCode::from(2);
        }
    };
    let Ok(reps) = reps.map(|reps| reps.max(1)) else {
        eprintln!("REPS must be a whole number");
        return ExitCode::from(2);
    };
    let input = match std::fs::read(path) {
        Ok(input) => input,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let skip_tokenize = only.is_some_and(|only| only != "tokenize");
    let skip_parse = only.is_some_and(|only| only != "parse");
    let tokenized = if skip_tokenize { Ok((Vec::new(), 0)) } else { timed(reps, &input, tokenize) };
    let parsed = if skip_parse { Ok((Vec::new(), 0)) } else { timed(reps, &input, parse_eligibility) };
    match (tokenized, parsed) {
        (Ok((tokenize_times, segment_count)), Ok((parse_times, transaction_count))) => {
            let mut report = serde_json::json!({
                "tool": format!("insurance-verifier {}", env!("CARGO_PKG_VERSION")),
                "bytes": input.len(),
            });
            if !skip_tokenize {
                report["segments"] = segment_count.into();
                report["tokenize"] = summary(tokenize_times, input.len());
            }
            if !skip_parse {
                report["transactions"] = transaction_count.into();
                report["parse_eligibility"] = summary(parse_times, input.len());
            }
            println!("{report}");
            ExitCode::SUCCESS
        }
        (Err(error), _) | (_, Err(error)) => {
            // The error names segment positions and ids only, never values.
            eprintln!("{path}: {error}");
            ExitCode::FAILURE
        }
    }
}
