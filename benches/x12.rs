//! The X12 reader on a generated multi-megabyte 271 interchange (`benches/support/generate_271.rs`, the same
//! bytes `examples/generate_271.rs` writes for the peer script): the tokenizer drained, and the full reading an
//! answer gets (envelope, then the HL loop tree of every transaction). Throughput is reported in bytes per
//! second; the comparison with pyx12 and node-x12 is `benches/peers/compare.sh`, since criterion cannot run them.
//!
//! ```sh
//! cargo bench --bench x12
//! ```

#[path = "support/generate_271.rs"]
mod generate_271;
#[path = "support/read_271.rs"]
mod read_271;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use read_271::{parse_eligibility, tokenize};

/// The size of the generated interchange: 5 MiB, as in the peer comparison.
const INPUT_LEN: usize = 5 * 1024 * 1024;

fn x12(c: &mut Criterion) {
    let generated = generate_271::generate_271(INPUT_LEN);
    eprintln!("x12 benchmark input: {}", generated.summary());
    let input = generated.bytes.as_slice();
    // A benchmark of a reader that skips or fails on part of the input would measure nothing useful.
    assert_eq!(tokenize(input).ok(), Some(generated.segments), "the tokenizer must see every segment");
    assert_eq!(parse_eligibility(input).ok(), Some(generated.transactions), "every transaction must be read");

    let mut group = c.benchmark_group("x12");
    group.throughput(Throughput::Bytes(input.len() as u64));
    // Each run takes milliseconds: flat sampling keeps 20 samples within a few seconds per function.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    group.bench_function("tokenize: segments drained", |b| b.iter(|| tokenize(black_box(input))));
    group.bench_function("parse + eligibility_271 of every transaction", |b| {
        b.iter(|| parse_eligibility(black_box(input)))
    });
    group.finish();
}

criterion_group!(benches, x12);
criterion_main!(benches);
