//! The simulator's X12 endpoints: the same scenarios as the JSON API, answered as X12 271s.
//!
//! * `POST /medicalnetwork/eligibility/v3/raw-x12`: the clearinghouse raw-X12 form, `{"x12": "<270>"}` in,
//!   `{"x12": "<271>"}` out (with the scenario's HTTP status: `NF` answers 400 as the JSON API does).
//! * `POST /core/realtime`: CAQH CORE vC2.2.0 real-time, HTTP MIME multipart in and out. Envelope errors (a
//!   missing field, a wrong `PayloadType`, `ProcessingMode` or `CORERuleVersion`) are answered with HTTP 400 and
//!   the rule's `ErrorCode`.
//!
//! Both are also served under `/scenario/{name}`, which forces that scenario whatever the member ID (see the
//! module documentation of [`crate::sandbox`]).
//!
//! A 270 that cannot be read gets a 999 rejecting it, as a payer's front end answers. The 271 is rendered
//! from the scenario's JSON answer ([`crate::carriers::x12::build::build_271_from_json`]), so both wire formats
//! say exactly the same thing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::scenarios::{GARBAGE_BODY, PersonEcho, ProviderEcho, SandboxRequest, Scenario};
use super::{Answer, SandboxState, answer, unknown_scenario};
use crate::carriers::caqh_core::{
    CORE_RULE_VERSION, CoreEnvelope, ERROR_CODE_SUCCESS, PAYLOAD_TYPE_270, PAYLOAD_TYPE_271, PAYLOAD_TYPE_999,
    PROCESSING_MODE_REAL_TIME, REQUIRED_REQUEST_FIELDS, core_timestamp,
};
use crate::carriers::x12::build::{Envelope, build_271_from_json, build_999_rejection};
use crate::carriers::x12::inquiry::{Inquiry270, InquiryPerson, read_270};
use crate::domain::ControlNumbers;

/// The raw-X12 path (the same as the connector's).
pub const RAW_X12_PATH: &str = crate::carriers::raw_x12::RAW_X12_PATH;
/// The CAQH CORE real-time path of the simulator (a real carrier's CORE endpoint is whatever URL it publishes).
pub const CORE_PATH: &str = "/core/realtime";

/// What the simulator makes of one 270.
enum X12Answer {
    /// A 271 (or a 999 for an unreadable 270) and the HTTP status to send it with.
    Interchange { status: u16, x12: String, payload_type: &'static str },
    /// `ERR`: HTTP 500.
    ServerError,
    /// `BAD`: not X12 at all.
    Garbage,
}

/// Answers one 270 (bytes as received) with the `forced` scenario, or else the member ID's.
async fn answer_270(state: &SandboxState, x12: &[u8], forced: Option<Scenario>) -> X12Answer {
    let inquiry = match read_270(x12) {
        Ok(inquiry) => inquiry,
        Err(error) => {
            // The reason names segments only; the 999 tells the sender which.
            tracing::debug!(error = %error, "sandbox could not read a 270: answering a 999 rejection");
            let x12 = build_999_rejection(x12, &error);
            return X12Answer::Interchange { status: 200, x12, payload_type: PAYLOAD_TYPE_999 };
        }
    };
    let request = sandbox_request(&inquiry);
    match answer(state, &request, forced).await {
        Answer::Json { status, body } => {
            let document: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let reply_envelope: Envelope = inquiry.envelope.reply();
            let control = ControlNumbers::generate();
            let x12 = build_271_from_json(&document, &inquiry, &reply_envelope, &control);
            X12Answer::Interchange { status, x12, payload_type: PAYLOAD_TYPE_271 }
        }
        // A 270 always names a subscriber: `read_270` refuses one without. Answer as a payer would if not.
        Answer::MissingMemberId => X12Answer::Interchange {
            status: 200,
            x12: build_999_rejection(x12, &crate::carriers::x12::X12Error::NotAnInterchange),
            payload_type: PAYLOAD_TYPE_999,
        },
        Answer::ServerError => X12Answer::ServerError,
        Answer::Garbage => X12Answer::Garbage,
    }
}

/// The JSON request the scenarios understand, from a 270.
fn sandbox_request(inquiry: &Inquiry270) -> SandboxRequest {
    let echo = |person: &InquiryPerson| PersonEcho {
        member_id: person.member_id.clone(),
        first_name: person.first_name.clone(),
        last_name: Some(person.last_name.clone()),
        middle_name: person.middle_name.clone(),
        date_of_birth: person.date_of_birth.map(|d| format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())),
        gender: person.gender.clone(),
        group_number: person.group_number.clone(),
        individual_relationship_code: person.relationship_code.clone(),
    };
    let mut subscriber = echo(&inquiry.subscriber);
    // The scenario follows the member ID on the card, which a dependent's 270 carries on the subscriber.
    if subscriber.member_id.is_none() {
        subscriber.member_id = inquiry.dependent.as_ref().and_then(|d| d.member_id.clone());
    }
    SandboxRequest {
        control_number: inquiry.control.transaction.clone(),
        trading_partner_service_id: Some(inquiry.payer_id.clone()),
        provider: Some(ProviderEcho {
            organization_name: inquiry.provider_name.clone(),
            npi: inquiry.provider_npi().map(str::to_owned),
        }),
        subscriber: Some(subscriber),
        dependents: inquiry.dependent.iter().map(echo).collect(),
    }
}

/// `POST /medicalnetwork/eligibility/v3/raw-x12`.
pub(crate) async fn raw_x12(State(state): State<Arc<SandboxState>>, body: Bytes) -> Response {
    raw_x12_with(&state, None, &body).await
}

/// `POST /scenario/{name}/medicalnetwork/eligibility/v3/raw-x12`.
pub(crate) async fn forced_raw_x12(
    State(state): State<Arc<SandboxState>>,
    Path(scenario): Path<String>,
    body: Bytes,
) -> Response {
    match Scenario::forced(&scenario) {
        Some(forced) => raw_x12_with(&state, Some(forced), &body).await,
        None => {
            let _in_flight = state.begin();
            unknown_scenario()
        }
    }
}

async fn raw_x12_with(state: &SandboxState, forced: Option<Scenario>, body: &[u8]) -> Response {
    let _in_flight = state.begin();
    let x12 = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) => members.get("x12").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let Some(x12) = x12 else {
        let body = json!({ "status": "ERROR", "errors": [{ "field": "x12", "description": "x12 is required" }] });
        return json(400, body.to_string());
    };
    match answer_270(state, x12.as_bytes(), forced).await {
        X12Answer::Interchange { status, x12, .. } => json(status, json!({ "x12": x12 }).to_string()),
        X12Answer::ServerError => json(500, super::scenarios::SERVER_ERROR_BODY.to_owned()),
        X12Answer::Garbage => (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], GARBAGE_BODY).into_response(),
    }
}

/// `POST /core/realtime`.
pub(crate) async fn caqh_core(State(state): State<Arc<SandboxState>>, headers: HeaderMap, body: Bytes) -> Response {
    caqh_core_with(&state, None, &headers, body).await
}

/// `POST /scenario/{name}/core/realtime`.
pub(crate) async fn forced_caqh_core(
    State(state): State<Arc<SandboxState>>,
    Path(scenario): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match Scenario::forced(&scenario) {
        Some(forced) => caqh_core_with(&state, Some(forced), &headers, body).await,
        None => {
            let _in_flight = state.begin();
            unknown_scenario()
        }
    }
}

async fn caqh_core_with(state: &SandboxState, forced: Option<Scenario>, headers: &HeaderMap, body: Bytes) -> Response {
    let _in_flight = state.begin();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let request = match CoreEnvelope::decode(content_type, body.to_vec(), &REQUIRED_REQUEST_FIELDS).await {
        Ok(request) => request,
        Err(error) => {
            let code = match error {
                crate::carriers::caqh_core::CoreEnvelopeError::MissingField(field) => format!("{field}Required"),
                _ => "Malformed".to_owned(),
            };
            return core_error(&CoreEnvelope::default(), &code, "the CORE envelope could not be read");
        }
    };
    if request.payload_type != PAYLOAD_TYPE_270 {
        return core_error(&request, "PayloadTypeIllegal", "only real-time 270 requests are answered");
    }
    if request.processing_mode != PROCESSING_MODE_REAL_TIME {
        return core_error(&request, "ProcessingModeIllegal", "only RealTime is answered");
    }
    if request.core_rule_version != CORE_RULE_VERSION {
        return core_error(&request, "VersionMismatch", "CORERuleVersion 2.2.0 is expected");
    }
    // CORE answers the envelope with 200 whatever the 271 says (the scenario's 400 for `NF` is the JSON API's
    // habit, not CORE's).
    let (payload, payload_type) = match answer_270(state, request.payload.as_bytes(), forced).await {
        X12Answer::Interchange { x12, payload_type, .. } => (x12, payload_type),
        X12Answer::ServerError => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "upstream payer connection failed").into_response();
        }
        X12Answer::Garbage => (GARBAGE_BODY.to_owned(), PAYLOAD_TYPE_271),
    };
    multipart(200, &reply_to(&request, payload_type, ERROR_CODE_SUCCESS, "None", payload))
}

fn json(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn multipart(status: u16, envelope: &CoreEnvelope) -> Response {
    let (content_type, body) = envelope.encode();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// An envelope error: HTTP 400 and the rule's error code, echoing the request's ids.
fn core_error(request: &CoreEnvelope, code: &str, message: &str) -> Response {
    multipart(400, &reply_to(request, &request.payload_type, code, message, String::new()))
}

/// The response envelope to `request`: its payload id echoed, sender and receiver swapped.
fn reply_to(request: &CoreEnvelope, payload_type: &str, code: &str, message: &str, payload: String) -> CoreEnvelope {
    CoreEnvelope {
        payload_type: payload_type.to_owned(),
        processing_mode: PROCESSING_MODE_REAL_TIME.to_owned(),
        payload_id: request.payload_id.clone(),
        timestamp: core_timestamp(time::OffsetDateTime::now_utc()),
        sender_id: request.receiver_id.clone(),
        receiver_id: request.sender_id.clone(),
        core_rule_version: CORE_RULE_VERSION.to_owned(),
        username: None,
        password: None,
        error_code: Some(code.to_owned()),
        error_message: Some(message.to_owned()),
        payload,
    }
}
