//! OpenTelemetry: the OTLP trace exporter and W3C trace-context propagation.
//!
//! A trace follows one verification from the website's call to every carrier attempt, across processes: the
//! `traceparent` the website sends in gRPC metadata becomes the RPC span's parent, the submit's own context is
//! stored with the verification (the dispatcher may claim it later, in another replica), the dispatcher's span is
//! started under that stored context, and each carrier call sends its span's context in the `traceparent` header.
//! Only trace and span ids travel this way: never PHI.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::TelemetrySettings;

/// The W3C header (and gRPC metadata key) carrying a trace context.
pub const TRACEPARENT: &str = "traceparent";

/// Why the trace exporter could not be built.
#[derive(Debug, thiserror::Error)]
#[error("OTLP trace exporter: {0}")]
pub struct ExporterError(#[from] opentelemetry_otlp::ExporterBuildError);

/// Builds the tracer provider that exports spans to `settings.otlp_endpoint`, or `None` when no endpoint is set
/// (traces off). Spans are batched and exported in the background; a collector that is down costs dropped spans,
/// never a slower or failed verification. Must be called inside the Tokio runtime (the gRPC channel lives there).
pub fn tracer_provider(settings: &TelemetrySettings) -> Result<Option<SdkTracerProvider>, ExporterError> {
    let Some(endpoint) = &settings.otlp_endpoint else {
        return Ok(None);
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint.clone())
        .with_timeout(settings.export_timeout)
        .build()?;
    let resource = Resource::builder()
        .with_service_name(settings.service_name.clone())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    // Root spans are sampled at the configured ratio; a trace the website started keeps the website's decision,
    // so a sampled website trace is never cut in two here.
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(settings.sampling_ratio)));
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_sampler(sampler)
            .with_resource(resource)
            .build(),
    ))
}

/// The trace context a W3C `traceparent` value names, or an empty context when it is absent or malformed (a
/// malformed header starts a new trace rather than failing the call).
pub fn context_from_traceparent(traceparent: Option<&str>) -> Context {
    let Some(value) = traceparent else {
        return Context::new();
    };
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), value.to_owned())]);
    TraceContextPropagator::new().extract(&carrier)
}

/// The trace context in HTTP/2 headers (a gRPC call's metadata).
pub fn context_from_headers(headers: &http::HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// The current span's context as a W3C `traceparent` value, or `None` when traces are off or the span is not
/// recorded by OpenTelemetry.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// Adds the current span's `traceparent` (and `tracestate`) to an outgoing HTTP request's headers, so a carrier or
/// clearinghouse that traces can join the trace. Adds nothing when traces are off.
pub fn inject_current(headers: &mut http::HeaderMap) {
    let context = tracing::Span::current().context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    }
}

/// Makes `span` a child of `context` (a caller's or a stored trace context), when it names a span.
pub fn set_parent_context(span: &tracing::Span, context: Context) {
    if context.span().span_context().is_valid() {
        // Fails only when the span is disabled or already started a trace of its own: then it stays as it is.
        let _ = span.set_parent(context);
    }
}

/// Makes `span` a child of the trace `traceparent` names (a stored or received context). Nothing happens when the
/// value is absent or malformed, or when traces are off.
pub fn set_parent(span: &tracing::Span, traceparent: Option<&str>) {
    set_parent_context(span, context_from_traceparent(traceparent));
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(key.as_bytes()), http::HeaderValue::from_str(&value))
        {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TraceId;

    const WEBSITE_TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_w3c_traceparent_is_read_into_a_remote_context() {
        let context = context_from_traceparent(Some(WEBSITE_TRACEPARENT));
        let span = context.span();
        let span_context = span.span_context();
        assert!(span_context.is_valid());
        assert!(span_context.is_remote());
        assert!(span_context.is_sampled());
        assert_eq!(span_context.trace_id(), TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").expect("hex"));
    }

    #[test]
    fn a_malformed_or_missing_traceparent_starts_no_trace() {
        for value in [
            None,
            Some(""),
            Some("00-zz-00f067aa0ba902b7-01"),
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        ] {
            assert!(!context_from_traceparent(value).span().span_context().is_valid(), "{value:?}");
        }
    }

    #[test]
    fn grpc_metadata_headers_are_read_like_http_headers() {
        let mut headers = http::HeaderMap::new();
        headers.insert(TRACEPARENT, http::HeaderValue::from_static(WEBSITE_TRACEPARENT));
        assert!(context_from_headers(&headers).span().span_context().is_valid());
        assert!(!context_from_headers(&http::HeaderMap::new()).span().span_context().is_valid());
    }

    #[test]
    fn without_an_exporter_nothing_is_injected_or_stored() {
        let mut headers = http::HeaderMap::new();
        inject_current(&mut headers);
        assert!(headers.is_empty());
        assert_eq!(current_traceparent(), None);
    }

    #[test]
    fn no_endpoint_means_no_provider() {
        let settings = crate::config::Settings::default().telemetry;
        assert!(tracer_provider(&settings).expect("no exporter to build").is_none());
    }
}
