//! The gRPC server's telemetry layer: one server span per call of the verification service (joined to the
//! caller's trace when the call's metadata carries a `traceparent`), and RPC counts and latencies by method and
//! status code for every service served (health and reflection included).
//!
//! It sits in front of tonic's router, at the HTTP/2 level, so it sees every call, including those refused before
//! a handler runs (authentication, overload). The gRPC status is read where tonic puts it: in the response headers
//! for a call that failed at once ("trailers only"), else in the trailers at the end of the body, so a streaming
//! call is counted when it ends.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tonic::Code;
use tower::{Layer, Service};

use super::metrics;
use super::otel;

/// A gRPC method the server serves: its path, its metric label, and whether it gets a server span.
struct KnownMethod {
    path: &'static str,
    label: &'static str,
    traced: bool,
}

/// Every method served. Anything else is counted as `unknown` (so a client probing random paths cannot grow the
/// label set) and answered `UNIMPLEMENTED` by tonic. Health checks and reflection are counted but not traced:
/// probes every few seconds from every replica would bury the verifications' traces.
const KNOWN_METHODS: [KnownMethod; 10] = [
    traced(
        "/insurance.verification.v1.VerificationService/SubmitVerification",
        "VerificationService/SubmitVerification",
    ),
    traced("/insurance.verification.v1.VerificationService/GetVerification", "VerificationService/GetVerification"),
    traced("/insurance.verification.v1.VerificationService/ListVerifications", "VerificationService/ListVerifications"),
    traced("/insurance.verification.v1.VerificationService/RetryVerification", "VerificationService/RetryVerification"),
    traced("/insurance.verification.v1.VerificationService/ListCarrierStatus", "VerificationService/ListCarrierStatus"),
    untraced("/grpc.health.v1.Health/Check", "Health/Check"),
    untraced("/grpc.health.v1.Health/Watch", "Health/Watch"),
    untraced("/grpc.health.v1.Health/List", "Health/List"),
    untraced("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "ServerReflection/ServerReflectionInfo"),
    untraced(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        "ServerReflectionV1Alpha/ServerReflectionInfo",
    ),
];

const fn traced(path: &'static str, label: &'static str) -> KnownMethod {
    KnownMethod { path, label, traced: true }
}

const fn untraced(path: &'static str, label: &'static str) -> KnownMethod {
    KnownMethod { path, label, traced: false }
}

fn known_method(path: &str) -> Option<&'static KnownMethod> {
    KNOWN_METHODS.iter().find(|method| method.path == path)
}

/// The layer to put in front of the gRPC router.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcTelemetryLayer;

impl<S> Layer<S> for RpcTelemetryLayer {
    type Service = RpcTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTelemetry { inner }
    }
}

/// The service [`RpcTelemetryLayer`] wraps around the router.
#[derive(Debug, Clone)]
pub struct RpcTelemetry<S> {
    inner: S,
}

impl<S, ReqBody> Service<http::Request<ReqBody>> for RpcTelemetry<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<tonic::body::Body>> + Send,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let started = Instant::now();
        let method = known_method(request.uri().path());
        let label = method.map_or("unknown", |m| m.label);
        let span = match method {
            Some(method) if method.traced => {
                let (service, rpc) = method.path.trim_start_matches('/').split_once('/').unwrap_or(("", ""));
                let span = tracing::info_span!(
                    "grpc.server",
                    otel.name = method.path.trim_start_matches('/'),
                    otel.kind = "server",
                    otel.status_code = tracing::field::Empty,
                    rpc.system = "grpc",
                    rpc.service = service,
                    rpc.method = rpc,
                    rpc.grpc.status_code = tracing::field::Empty,
                );
                otel::set_parent_context(&span, otel::context_from_headers(request.headers()));
                span
            }
            _ => tracing::Span::none(),
        };
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(async move {
            let response = {
                use tracing::Instrument;
                future.instrument(span.clone()).await?
            };
            let mut observer = CallObserver { method: label, started, span, code: None };
            // A call that failed at once carries its status in the headers; otherwise it comes in the trailers.
            if let Some(code) = grpc_status(response.headers()) {
                observer.code = Some(code);
            }
            Ok(response.map(|body| tonic::body::Body::new(ObservedBody { inner: body, observer: Some(observer) })))
        })
    }
}

/// The `grpc-status` in a header map, if any.
fn grpc_status(headers: &http::HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(Code::from_i32(value))
}

/// Records one call when its response ends: on its trailers, or when the body is dropped (the client went away:
/// `CANCELLED` unless a status was already seen).
struct CallObserver {
    method: &'static str,
    started: Instant,
    span: tracing::Span,
    code: Option<Code>,
}

impl Drop for CallObserver {
    fn drop(&mut self) {
        let code = self.code.unwrap_or(Code::Cancelled);
        metrics::rpc_served(self.method, code, self.started.elapsed());
        if !self.span.is_none() {
            self.span.record("rpc.grpc.status_code", code as i32);
            if is_server_fault(code) {
                self.span.record("otel.status_code", "ERROR");
            }
        }
    }
}

/// Codes that mean the server failed (OpenTelemetry's gRPC conventions mark these server spans as errors; a bad
/// request or a refused token is the caller's problem, not an error of ours).
fn is_server_fault(code: Code) -> bool {
    matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

pin_project! {
    /// The response body, watched for the trailers that carry the call's status.
    struct ObservedBody {
        #[pin]
        inner: tonic::body::Body,
        observer: Option<CallObserver>,
    }
}

impl Body for ObservedBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(mut observer) = this.observer.take()
                {
                    observer.code = grpc_status(trailers).or(observer.code).or(Some(Code::Ok));
                    drop(observer);
                }
            }
            Poll::Ready(None) => {
                // The body ended without trailers: the status, if any, was in the headers.
                if let Some(mut observer) = this.observer.take() {
                    observer.code = observer.code.or(Some(Code::Ok));
                }
            }
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_of_the_verification_service_is_known_and_traced() {
        // The proto's methods, read from the descriptor set the server registers for reflection.
        use prost::Message;
        let descriptors =
            prost_types::FileDescriptorSet::decode(crate::api::pb::FILE_DESCRIPTOR_SET).expect("descriptor set");
        let mut seen = 0;
        for file in descriptors.file.iter().filter(|f| f.package() == "insurance.verification.v1") {
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                    let known = known_method(&path).unwrap_or_else(|| panic!("{path} is not in KNOWN_METHODS"));
                    assert!(known.traced, "{path}");
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 5);
    }

    #[test]
    fn unknown_paths_share_one_label() {
        assert!(known_method("/insurance.verification.v1.VerificationService/DropTables").is_none());
        assert!(known_method("/grpc.health.v1.Health/Check").is_some_and(|m| !m.traced));
    }

    #[test]
    fn the_status_is_read_from_grpc_status_headers() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(grpc_status(&headers), None);
        headers.insert("grpc-status", http::HeaderValue::from_static("3"));
        assert_eq!(grpc_status(&headers), Some(Code::InvalidArgument));
    }

    #[test]
    fn caller_mistakes_are_not_server_faults() {
        assert!(!is_server_fault(Code::InvalidArgument));
        assert!(!is_server_fault(Code::Unauthenticated));
        assert!(!is_server_fault(Code::ResourceExhausted));
        assert!(is_server_fault(Code::Unavailable));
        assert!(is_server_fault(Code::Internal));
    }
}
