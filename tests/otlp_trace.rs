//! Traces end to end: the service exports over OTLP/gRPC to a collector that this test runs itself, and one
//! submit gives one trace from the website's call through the stored queue to the carrier's HTTP request.
//!
//! Its own test binary: the tracing subscriber with the OpenTelemetry layer is process-wide.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use insurance_verifier::api::pb;
use insurance_verifier::api::pb::PlanType;
use insurance_verifier::api::pb::verification_service_client::VerificationServiceClient;
use insurance_verifier::config::{LogFormat, LogSettings, Settings};
use insurance_verifier::startup::Application;
use insurance_verifier::telemetry::{self, Traces};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use secrecy::SecretString;
use tokio_stream::wrappers::TcpListenerStream;

const WEBSITE_TOKEN: &str = "website-trace-token-0001";
/// The website's own span: the submit's server span must be its child.
const WEBSITE_TRACE_ID: &str = "5b8efff798038103d269b633813fc60c";
const WEBSITE_SPAN_ID: &str = "eee19b7ec3c1b174";

/// An OTLP trace receiver, as a collector would run one: keeps every exported batch.
#[derive(Default, Clone)]
struct Collector {
    received: Arc<Mutex<Vec<ResourceSpans>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.received.lock().expect("lock").extend(request.into_inner().resource_spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

impl Collector {
    /// Every span received, with its resource's `service.name`.
    fn spans(&self) -> Vec<(String, Span)> {
        let received = self.received.lock().expect("lock");
        received
            .iter()
            .flat_map(|resource_spans| {
                let service = resource_spans
                    .resource
                    .as_ref()
                    .and_then(|resource| resource.attributes.iter().find(|kv| kv.key == "service.name"))
                    .and_then(|kv| text(kv.value.as_ref()?.value.as_ref()?))
                    .unwrap_or_default();
                resource_spans
                    .scope_spans
                    .iter()
                    .flat_map(|scope| scope.spans.iter().cloned())
                    .map(move |span| (service.clone(), span))
            })
            .collect()
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::StringValue(text) => Some(text.clone()),
        Value::IntValue(number) => Some(number.to_string()),
        Value::BoolValue(flag) => Some(flag.to_string()),
        Value::DoubleValue(number) => Some(number.to_string()),
        _ => None,
    }
}

fn attributes(span: &Span) -> HashMap<String, String> {
    span.attributes.iter().filter_map(|kv| Some((kv.key.clone(), text(kv.value.as_ref()?.value.as_ref()?)?))).collect()
}

fn only<'a>(spans: &'a [&'a Span], name: &str) -> &'a Span {
    let named: Vec<&&Span> = spans.iter().filter(|span| span.name == name).collect();
    assert_eq!(named.len(), 1, "one {name} span expected, got {}: {:?}", named.len(), names(spans));
    named[0]
}

fn names(spans: &[&Span]) -> Vec<String> {
    spans.iter().map(|span| span.name.clone()).collect()
}

async fn start_collector() -> (Collector, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind collector");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let collector = Collector::default();
    let service = TraceServiceServer::new(collector.clone());
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener))
            .await
            .expect("collector serves");
    });
    (collector, address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_submit_gives_one_trace_from_the_website_call_to_the_carrier_request() {
    // Arrange: a collector, the service exporting to it (sandbox carrier, SQLite), the website's trace context.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (collector, collector_address) = start_collector().await;
    let data = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings {
        listen_addr: "127.0.0.1:0".parse().expect("addr"),
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    settings.metrics.listen_addr = "127.0.0.1:0".parse().expect("addr");
    settings.auth.website_tokens = vec![SecretString::from(WEBSITE_TOKEN)];
    settings.telemetry.otlp_endpoint = Some(collector_address);
    settings.telemetry.service_name = "insurance-verifier-trace-test".to_owned();
    let provider = telemetry::otel::tracer_provider(&settings.telemetry).expect("exporter").expect("traces on");
    let tracer = provider.tracer("insurance_verifier");
    let logs = LogSettings { format: LogFormat::Json, filter: "info".to_owned() };
    tracing::subscriber::set_global_default(telemetry::subscriber_with_tracer(
        &logs,
        Some(tracer),
        std::io::sink,
        false,
    ))
    .expect("the only subscriber in this test binary");
    let traces = Traces::new(Some(provider));
    let app = Application::build(settings).await.expect("application builds");
    let carrier_traces = app.sandbox().expect("sandbox mode").trace_log();
    let address = format!("http://{}", app.grpc_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let mut message =
        insurance_verifier::api::samples::submit_form("Anthem Blue Cross Blue Shield", "ACT700001", PlanType::Employer);
    message.wait_for_result = Some(prost_types::Duration { seconds: 10, nanos: 0 });
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {WEBSITE_TOKEN}").parse().expect("ascii"));
    request
        .metadata_mut()
        .insert("traceparent", format!("00-{WEBSITE_TRACE_ID}-{WEBSITE_SPAN_ID}-01").parse().expect("ascii"));

    // Act: the submit waits for the carrier's answer, then every span still buffered is exported.
    let mut client = VerificationServiceClient::connect(address).await.expect("connect");
    let response = client.submit_verification(request).await.expect("submit").into_inner();
    let verification = response.verification.expect("verification");
    assert_eq!(verification.status(), pb::VerificationStatus::Completed);
    let mut trace_spans = Vec::new();
    for _ in 0..50 {
        traces.flush().await;
        trace_spans = collector.spans();
        if trace_spans.iter().any(|(_, span)| span.name == "carrier.call") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Assert: one trace, the website's, from the server span to the carrier call, with stable names.
    let website_trace = hex::decode(WEBSITE_TRACE_ID).expect("hex");
    let ours: Vec<&Span> = trace_spans.iter().map(|(_, span)| span).filter(|s| s.trace_id == website_trace).collect();
    assert!(
        trace_spans.iter().all(|(service, _)| service == "insurance-verifier-trace-test"),
        "the configured service name"
    );
    let server_span = only(&ours, "insurance.verification.v1.VerificationService/SubmitVerification");
    let handler = only(&ours, "rpc.submit_verification");
    let attempt = only(&ours, "carrier.attempt");
    let call = only(&ours, "carrier.call");
    assert_eq!(server_span.parent_span_id, hex::decode(WEBSITE_SPAN_ID).expect("hex"), "joined the website's trace");
    assert_eq!(server_span.kind, SpanKind::Server as i32);
    assert_eq!(handler.parent_span_id, server_span.span_id);
    assert_eq!(attempt.parent_span_id, handler.span_id, "the dispatcher's span joined the submit through the store");
    assert_eq!(call.parent_span_id, attempt.span_id);
    assert_eq!(call.kind, SpanKind::Client as i32);
    // Every span this service exported for the verification belongs to the website's trace.
    let other_traces: Vec<String> =
        trace_spans.iter().filter(|(_, s)| s.trace_id != website_trace).map(|(_, s)| s.name.clone()).collect();
    assert!(other_traces.is_empty(), "spans outside the trace: {other_traces:?}");

    let server_attributes = attributes(server_span);
    assert_eq!(server_attributes["rpc.system"], "grpc");
    assert_eq!(server_attributes["rpc.method"], "SubmitVerification");
    assert_eq!(server_attributes["rpc.grpc.status_code"], "0");
    let attempt_attributes = attributes(attempt);
    assert_eq!(attempt_attributes["verification_id"], verification.id);
    assert_eq!(attempt_attributes["carrier"], "sandbox");
    assert_eq!(attempt_attributes["attempt"], "1");
    assert_eq!(attempt_attributes["http_status"], "200");
    assert_eq!(attempt_attributes["result_class"], "answered");
    assert_eq!(attempt_attributes["outcome"], "coverage_active");
    assert!(attempt_attributes.contains_key("payer_id"));
    assert_eq!(attributes(call)["http.response.status_code"], "200");

    // The carrier received the call span's context in its `traceparent` header.
    let expected = format!("00-{WEBSITE_TRACE_ID}-{}-01", hex::encode(&call.span_id));
    assert!(carrier_traces.seen().contains(&expected), "{expected} not in {:?}", carrier_traces.seen());

    // No PHI in any span name or attribute: the applicant's name, date of birth, member ID, contact details.
    for (_, span) in &trace_spans {
        let exported = format!("{} {:?}", span.name, attributes(span));
        for phi in ["Jordan", "Sample", "1988-04-12", "ACT700001", "555-0142", "jordan.sample"] {
            assert!(!exported.contains(phi), "{phi} in span {exported}");
        }
    }

    let _ = stop.send(());
    server.await.expect("server task").expect("server stops cleanly");
    traces.shutdown().await;
}
