//! The clearinghouse raw-X12 connector: `POST {base_url}/medicalnetwork/eligibility/v3/raw-x12` with a JSON body
//! `{"x12": "<270>"}`, as Change Healthcare (Optum) and Stedi offer it. The answer is JSON carrying the 271 in its
//! `x12` member (Stedi adds its own JSON rendering beside it, which this connector ignores: the 271 is the
//! payer's own word, and it is read by our parser). A clearinghouse that refuses the request itself answers
//! eligibility JSON `errors[]` without an `x12` member (HTTP 400 with AAA codes, for instance): those are judged
//! by the JSON rules.

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderValue;
use serde_json::{Value, json};

use super::http;
use super::x12::build::Envelope;
use super::x12_exchange::{self, X12Request};
use super::{AttemptOutput, CarrierRoute, Connector, ConnectorError, EligibilityQuery, eligibility_json};
use crate::domain::{AttemptResult, AttemptResultClass};

/// The path the connector appends to a route's base URL.
pub const RAW_X12_PATH: &str = "/medicalnetwork/eligibility/v3/raw-x12";

/// Speaks raw X12 (270 in, 271 out) wrapped in JSON to one carrier route, with its own HTTP client.
pub struct RawX12Connector {
    route_id: String,
    endpoint: reqwest::Url,
    client: reqwest::Client,
    envelope: Envelope,
    /// `Bearer <token>`, marked sensitive so it never shows in debug output.
    authorization: Option<HeaderValue>,
}

impl std::fmt::Debug for RawX12Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawX12Connector")
            .field("route_id", &self.route_id)
            .field("endpoint", &self.endpoint.as_str())
            .field("sender_id", &self.envelope.sender_id)
            .field("receiver_id", &self.envelope.receiver_id)
            .field("authenticated", &self.authorization.is_some())
            .finish_non_exhaustive()
    }
}

impl RawX12Connector {
    /// Builds the connector for a route: endpoint, HTTP client with the route's timeouts, the X12 envelope
    /// identities, and the bearer token read once from the environment variable the route names.
    pub fn new(route: &CarrierRoute) -> Result<Self, ConnectorError> {
        Ok(RawX12Connector {
            route_id: route.id.clone(),
            endpoint: http::endpoint_for(route, RAW_X12_PATH)?,
            client: http::client_for(route)?,
            envelope: x12_exchange::envelope_for(route),
            authorization: http::bearer_for(route)?,
        })
    }

    /// The full endpoint URL this connector posts to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }
}

/// What one HTTP answer from a raw-X12 endpoint means. Pure and total.
pub fn interpret_raw_reply(reply: &http::HttpReply, sent: &X12Request) -> (AttemptResult, Option<String>) {
    let text = reply.text();
    if reply.status == 429 || (500..600).contains(&reply.status) {
        // The JSON rules classify these (server error, Retry-After honoured) whatever the body says.
        return eligibility_json::interpret_response(reply.status, reply.retry_after, &text);
    }
    let x12 = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(members)) => members.get("x12").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    match x12 {
        Some(x12) if (200..300).contains(&reply.status) => {
            x12_exchange::interpret_x12(reply.status, reply.retry_after, x12.as_bytes(), sent)
        }
        Some(x12) => {
            // A 4xx that still carries the payer's 271 (AAA rejections come either way): the 271 decides, as the
            // JSON connector decides from the body.
            match x12_exchange::interpret_x12(reply.status, reply.retry_after, x12.as_bytes(), sent) {
                (AttemptResult::Failed { class: AttemptResultClass::InvalidResponse, .. }, _) => {
                    eligibility_json::interpret_response(reply.status, reply.retry_after, &text)
                }
                meaning => meaning,
            }
        }
        None => eligibility_json::interpret_response(reply.status, reply.retry_after, &text),
    }
}

#[async_trait]
impl Connector for RawX12Connector {
    async fn check_eligibility(&self, query: EligibilityQuery<'_>) -> AttemptOutput {
        let started = Instant::now();
        let sent = x12_exchange::build_request(&query, &self.envelope);
        let raw_request = json!({ "x12": sent.x12 }).to_string();
        let request = http::post(
            &self.client,
            &self.endpoint,
            "application/json",
            "application/json",
            query.verification_id,
            self.authorization.as_ref(),
            raw_request.clone(),
        );
        let (http_status, raw_response, (result, error_code)) = match http::exchange(request).await {
            Ok(reply) => (Some(reply.status), Some(reply.text()), interpret_raw_reply(&reply, &sent)),
            Err(result) => (None, None, (result, None)),
        };
        let output = AttemptOutput {
            http_status,
            raw_request: Some(raw_request),
            raw_response,
            error_code,
            result,
            latency: started.elapsed(),
            control_numbers: sent.control_numbers,
        };
        http::log_attempt(&query, &self.route_id, &output);
        output
    }
}
