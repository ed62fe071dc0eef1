//! The HTTP side every connector shares: one client per route (the route's connect and request timeouts, no
//! redirects), credentials read once from the environment variables the route names, a bounded body read, and
//! transport failures classified without quoting reqwest's text (which carries the URL).

use std::time::Duration;
use tracing::Instrument;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};

use super::{AttemptOutput, CarrierRoute, ConnectorError, EligibilityQuery};
use crate::domain::{AttemptResult, AttemptResultClass};

/// The tracing header sent with every call: the verification id, which is not PHI.
pub const VERIFICATION_ID_HEADER: &str = "x-verification-id";
/// Largest response body read; a bigger one is an invalid response (real answers are well under 1 MiB).
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// The longest `Retry-After` honoured; a carrier asking for more gets the normal backoff instead.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// What came back from one HTTP exchange.
pub struct HttpReply {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` delay, when the carrier sent one.
    pub retry_after: Option<Duration>,
    /// The response headers (the CAQH CORE connector needs the multipart boundary).
    pub headers: HeaderMap,
    /// The body, at most [`MAX_RESPONSE_BYTES`].
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The body as text; bytes that are not UTF-8 are replaced (the raw text is kept for audit, and a parser
    /// that needs exact bytes gets [`HttpReply::body`]).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Builds the HTTP client of one route: its connect and request timeouts, no redirects (an eligibility endpoint
/// that redirects is misconfigured, and following it could send PHI elsewhere), warm connections for bursts.
pub fn client_for(route: &CarrierRoute) -> Result<reqwest::Client, ConnectorError> {
    // reqwest is built without a bundled TLS provider; main installs ring. Installing it here too keeps the
    // connectors usable from tests and tools (a second install is a harmless no-op error).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(route.connect_timeout)
        .timeout(route.request_timeout)
        // Carriers drop idle connections on their side after a minute or so.
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("insurance-verifier/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| ConnectorError::Client { route: route.id.clone(), reason: error.to_string() })
}

/// The endpoint of a route: its base URL with `path` appended (`path` may be empty).
pub fn endpoint_for(route: &CarrierRoute, path: &str) -> Result<reqwest::Url, ConnectorError> {
    let endpoint = format!("{}{path}", route.base_url.trim_end_matches('/'));
    reqwest::Url::parse(&endpoint)
        .map_err(|error| ConnectorError::InvalidUrl { route: route.id.clone(), reason: error.to_string() })
}

/// Reads a secret from the environment variable `env` names, once, at start-up. Errors name the variable,
/// never its value.
pub fn secret_from_env(route: &CarrierRoute, env: &str) -> Result<String, ConnectorError> {
    std::env::var(env)
        .ok()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ConnectorError::MissingCredential { route: route.id.clone(), env: env.to_owned() })
}

/// The `Authorization: Bearer …` header of a route that names a `credential_env`, marked sensitive so it never
/// shows in debug output.
pub fn bearer_for(route: &CarrierRoute) -> Result<Option<HeaderValue>, ConnectorError> {
    let Some(env) = &route.credential_env else { return Ok(None) };
    let token = secret_from_env(route, env)?;
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| ConnectorError::InvalidCredential { route: route.id.clone(), env: env.clone() })?;
    value.set_sensitive(true);
    Ok(Some(value))
}

/// A POST to `endpoint` with what every connector sends: the body's content type, what it accepts back, the
/// verification id (for the carrier's and our traces; not PHI) and the route's bearer token when it has one.
pub fn post(
    client: &reqwest::Client,
    endpoint: &reqwest::Url,
    content_type: &str,
    accept: &str,
    verification_id: uuid::Uuid,
    authorization: Option<&HeaderValue>,
    body: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    let request = client
        .post(endpoint.clone())
        .header(CONTENT_TYPE, content_type)
        .header(ACCEPT, accept)
        .header(VERIFICATION_ID_HEADER, verification_id.to_string())
        .body(body);
    match authorization {
        Some(authorization) => request.header(AUTHORIZATION, authorization.clone()),
        None => request,
    }
}

/// Sends a prepared request and reads the reply, body bounded by [`MAX_RESPONSE_BYTES`]. Err: a transport
/// failure, already classified. Each exchange is a `carrier.call` span (a client span under the attempt's), whose
/// context goes to the carrier in the `traceparent` header.
pub async fn exchange(request: reqwest::RequestBuilder) -> Result<HttpReply, AttemptResult> {
    let span = tracing::info_span!(
        "carrier.call",
        otel.kind = "client",
        http.request.method = "POST",
        http.response.status_code = tracing::field::Empty,
        result_class = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let outcome = send_and_read(request).instrument(span.clone()).await;
    match &outcome {
        Ok(reply) => {
            span.record("http.response.status_code", reply.status);
            if reply.status >= 500 {
                span.record("otel.status_code", "ERROR");
            }
        }
        Err(AttemptResult::Failed { class, .. }) => {
            span.record("result_class", class.as_str());
            span.record("otel.status_code", "ERROR");
        }
        Err(AttemptResult::Answered(_)) => {}
    }
    outcome
}

async fn send_and_read(request: reqwest::RequestBuilder) -> Result<HttpReply, AttemptResult> {
    let mut trace_headers = reqwest::header::HeaderMap::new();
    crate::telemetry::otel::inject_current(&mut trace_headers);
    let mut response = request.headers(trace_headers).send().await.map_err(|error| transport_failure(&error))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, time::OffsetDateTime::now_utc()));
    let headers = response.headers().clone();
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| transport_failure(&error))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(AttemptResult::Failed {
                class: AttemptResultClass::InvalidResponse,
                detail: "response body too large".to_owned(),
                retry_after: None,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpReply { status, retry_after, headers, body })
}

/// Classifies a transport failure. The detail is ours, not reqwest's text (which carries the URL).
pub fn transport_failure(error: &reqwest::Error) -> AttemptResult {
    let (class, detail) = if error.is_connect() {
        (AttemptResultClass::ConnectionError, "could not connect to the carrier")
    } else if error.is_timeout() {
        (AttemptResultClass::Timeout, "no answer from the carrier before the deadline")
    } else {
        (AttemptResultClass::ConnectionError, "connection to the carrier failed mid-exchange")
    };
    AttemptResult::Failed { class, detail: detail.to_owned(), retry_after: None }
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date (relative to `now`). Capped at
/// [`MAX_RETRY_AFTER`]; unparseable values are ignored.
pub fn parse_retry_after(raw: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let raw = raw.trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: u64 = raw.parse().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let at = time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc2822).ok()?;
    let delay = at - now;
    Some(Duration::try_from(delay).unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// Logs one attempt's status, class and code with the verification id: never the bodies (PHI).
pub fn log_attempt(query: &EligibilityQuery<'_>, route_id: &str, output: &AttemptOutput) {
    let class = match &output.result {
        AttemptResult::Answered(_) => AttemptResultClass::Answered,
        AttemptResult::Failed { class, .. } => *class,
    };
    let latency_ms = u64::try_from(output.latency.as_millis()).unwrap_or(u64::MAX);
    // One event, two levels: an answer is routine (debug), anything else is worth seeing at info.
    macro_rules! attempt_event {
        ($level:expr, $message:literal) => {
            tracing::event!(
                $level,
                verification_id = %query.verification_id,
                attempt = query.attempt_number,
                carrier = %route_id,
                http_status = output.http_status,
                result_class = class.as_str(),
                error_code = output.error_code.as_deref(),
                latency_ms,
                $message
            )
        };
    }
    if class == AttemptResultClass::Answered {
        attempt_event!(tracing::Level::DEBUG, "eligibility call answered");
    } else {
        attempt_event!(tracing::Level::INFO, "eligibility call did not answer");
    }
}
