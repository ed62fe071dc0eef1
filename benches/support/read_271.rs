//! What the X12 benchmark and `examples/x12_tokenize.rs` time, written once so both measure the same work.

use std::hint::black_box;

use insurance_verifier::carriers::x12::{X12Error, eligibility_271, parse, segments};

/// Drains the tokenizer; returns the number of segments.
pub fn tokenize(input: &[u8]) -> Result<usize, X12Error> {
    let (_, tokens) = segments(input)?;
    let mut count = 0;
    for segment in tokens {
        black_box(segment?);
        count += 1;
    }
    Ok(count)
}

/// Parses the interchange and reads the eligibility answer of every transaction; returns the transaction count.
pub fn parse_eligibility(input: &[u8]) -> Result<usize, X12Error> {
    let interchange = parse(input)?;
    let mut count = 0;
    for transaction in interchange.transactions() {
        black_box(eligibility_271(transaction)?);
        count += 1;
    }
    Ok(count)
}
