//! Writes the synthetic 271 interchange the X12 benchmark parses, so other tools (the peer comparison script
//! `benches/peers/compare.sh`) can read the very same bytes.
//!
//! ```sh
//! cargo run --release --example generate_271 -- OUT.edi SIZE_MB
//! ```
//!
//! `SIZE_MB` is in mebibytes and may be fractional (`0.5`); the file is at least that long (a few kilobytes
//! more: the generator ends on a whole transaction). The same size always gives the same bytes.

#[path = "../benches/support/generate_271.rs"]
mod generate_271;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, size_mb] = args.as_slice() else {
        eprintln!("usage: generate_271 OUT.edi SIZE_MB");
        return ExitCode::from(2);
    };
    let size_mb: f64 = match size_mb.parse() {
        Ok(size) if (0.0..=4096.0).contains(&size) => size,
        _ => {
            eprintln!("SIZE_MB must be a number of mebibytes between 0 and 4096, got {size_mb:?}");
            return ExitCode::from(2);
        }
    };
    // Checked above to lie in 0..=4096 MiB, so the product fits a usize on every platform this runs on.
    let target_len = (size_mb * 1024.0 * 1024.0) as usize;
    let generated = generate_271::generate_271(target_len);
    if let Err(error) = std::fs::write(out, &generated.bytes) {
        eprintln!("cannot write {out}: {error}");
        return ExitCode::FAILURE;
    }
    eprintln!("{out}: {}", generated.summary());
    ExitCode::SUCCESS
}
