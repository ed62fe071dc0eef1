//! `insurance-verifier`: the service binary. Everything but argument dispatch lives in the library.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use insurance_verifier::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    // One TLS provider for the whole process (reqwest and sqlx both use rustls): ring, installed first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    run(Cli::parse()).await
}
