//! Logs, traces and metrics.
//!
//! PHI rule: names, dates of birth, member IDs and contact details never go into a log line, span field, metric
//! label or error text. Spans carry the verification id, the RPC method, the carrier, payer id, attempt number,
//! HTTP status, result class and outcome only; domain types holding PHI have redacted `Debug` output so an
//! accidental `?value` cannot leak them either.
//!
//! - [`otel`]: the OTLP trace exporter and W3C trace-context propagation (gRPC metadata in, the stored queue,
//!   `traceparent` to carriers).
//! - [`metrics`]: the Prometheus metrics and the functions that record them.
//! - [`rpc`]: the gRPC server layer that traces and counts every call.
//! - [`endpoint`]: the HTTP endpoint serving `/metrics`, `/livez` and `/readyz`.

pub mod endpoint;
pub mod metrics;
pub mod otel;
pub mod rpc;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{LogFormat, LogSettings, Settings};

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter could not be built.
    #[error(transparent)]
    Exporter(#[from] otel::ExporterError),
    /// A global subscriber was already installed.
    #[error("a tracing subscriber is already installed: {0}")]
    Subscriber(#[from] tracing_subscriber::util::TryInitError),
}

/// Builds the subscriber for `settings`, writing to `writer` (stdout in the binary, a buffer in tests). Text logs
/// are coloured only when `ansi` is true (a terminal), so files and log shippers get plain text.
pub fn subscriber<W>(settings: &LogSettings, writer: W, ansi: bool) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    subscriber_with_tracer(settings, None, writer, ansi)
}

/// [`subscriber`], with spans also exported through `tracer` when one is given.
pub fn subscriber_with_tracer<W>(
    settings: &LogSettings,
    tracer: Option<SdkTracer>,
    writer: W,
    ansi: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // RUST_LOG wins so an on-call engineer can raise verbosity without editing the configuration. It filters the
    // log lines only: the exported spans are this service's own at info and above whatever the log level, so
    // raising verbosity to chase a problem does not flood the trace backend with the libraries' spans.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let logs: Box<dyn Layer<Registry> + Send + Sync> = match settings.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .with_filter(filter)
            .boxed(),
        LogFormat::Text => {
            tracing_subscriber::fmt::layer().with_ansi(ansi).with_writer(writer).with_filter(filter).boxed()
        }
    };
    let mut layers = vec![logs];
    if let Some(tracer) = tracer {
        let own_spans =
            Targets::new().with_default(LevelFilter::OFF).with_target(env!("CARGO_CRATE_NAME"), LevelFilter::INFO);
        let exported = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            // Every async span is entered and left on each poll: activating an OpenTelemetry context and timing
            // busy/idle on each of those was most of the layer's cost (the context is read through the span,
            // never from OpenTelemetry's thread-local). Source locations and thread names add allocations per
            // span and nothing an operator searches for: span names are stable.
            .with_context_activation(false)
            .with_tracked_inactivity(false)
            .with_location(false)
            .with_threads(false)
            .with_filter(own_spans);
        layers.push(exported.boxed());
    }
    Box::new(Registry::default().with(layers))
}

/// Installs the global subscriber writing to stdout, logs only. Call once, first thing in `main`.
pub fn init(settings: &LogSettings) -> Result<(), tracing_subscriber::util::TryInitError> {
    use std::io::IsTerminal;
    subscriber(settings, std::io::stdout, std::io::stdout().is_terminal()).try_init()
}

/// Installs the global subscriber writing to stdout and, when `settings.telemetry.otlp_endpoint` is set,
/// exporting spans over OTLP. Call once, inside the Tokio runtime; keep the guard until the end of `main` and
/// [`Traces::shutdown`] it so the last spans are sent.
pub fn init_with_traces(settings: &Settings) -> Result<Traces, TelemetryError> {
    use std::io::IsTerminal;
    let provider = otel::tracer_provider(&settings.telemetry)?;
    let tracer = provider.as_ref().map(|provider| provider.tracer(env!("CARGO_CRATE_NAME")));
    subscriber_with_tracer(&settings.log, tracer, std::io::stdout, std::io::stdout().is_terminal()).try_init()?;
    Ok(Traces { provider })
}

/// The span exporter, while traces are on.
#[derive(Debug)]
#[must_use = "dropping the guard at once would shut the exporter down"]
pub struct Traces {
    provider: Option<SdkTracerProvider>,
}

impl Traces {
    /// A guard over `provider` (for programs and tests that build their own subscriber).
    pub fn new(provider: Option<SdkTracerProvider>) -> Self {
        Traces { provider }
    }

    /// True when spans are exported.
    pub fn is_exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports the spans ended so far, waiting for the collector's answer.
    pub async fn flush(&self) {
        if let Some(provider) = self.provider.clone() {
            // The SDK's flush blocks its caller until the export thread answers: keep it off the async workers.
            let flushed = tokio::task::spawn_blocking(move || provider.force_flush()).await;
            if let Ok(Err(error)) = flushed {
                tracing::warn!(error = %error, "exporting the last spans failed");
            }
        }
    }

    /// Exports what is left and stops the exporter.
    pub async fn shutdown(self) {
        if let Some(provider) = self.provider {
            let stopped = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(error)) = stopped {
                tracing::warn!(error = %error, "stopping the span exporter failed");
            }
        }
    }
}
