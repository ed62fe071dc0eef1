//! Logging and tracing set-up.
//!
//! PHI rule: names, dates of birth, member IDs and contact details never go into a log line, span field or
//! error text. Spans carry the verification id, the RPC method, the carrier and result classes only; domain
//! types holding PHI have redacted `Debug` output so an accidental `?value` cannot leak them either.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry};

use crate::config::{LogFormat, LogSettings};

/// Builds the subscriber for `settings`, writing to `writer` (stdout in the binary, a buffer in tests). Text logs
/// are coloured only when `ansi` is true (a terminal), so files and log shippers get plain text.
pub fn subscriber<W>(settings: &LogSettings, writer: W, ansi: bool) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // RUST_LOG wins so an on-call engineer can raise verbosity without editing the configuration.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let registry = Registry::default().with(filter);
    match settings.format {
        LogFormat::Json => Box::new(registry.with(
            tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(false).with_writer(writer),
        )),
        LogFormat::Text => {
            Box::new(registry.with(tracing_subscriber::fmt::layer().with_ansi(ansi).with_writer(writer)))
        }
    }
}

/// Installs the global subscriber writing to stdout. Call once, first thing in `main`.
pub fn init(settings: &LogSettings) -> Result<(), tracing_subscriber::util::TryInitError> {
    use std::io::IsTerminal;
    subscriber(settings, std::io::stdout, std::io::stdout().is_terminal()).try_init()
}
