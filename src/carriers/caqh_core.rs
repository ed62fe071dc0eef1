//! CAQH CORE connectivity (Connectivity Rule vC2.2.0), real-time mode, HTTP MIME multipart envelope: the way
//! many payers take an X12 270 directly.
//!
//! A request is a `multipart/form-data` POST to the carrier's endpoint (the route's `base_url`, used as is)
//! with the fields `PayloadType` (`X12_270_Request_005010X279A1`), `ProcessingMode` (`RealTime`), `PayloadID`
//! (a fresh UUID), `TimeStamp` (UTC, `YYYY-MM-DDTHH:MM:SSZ`), `UserName` and `Password` (when the route names
//! their environment variables), `SenderID`, `ReceiverID`, `CORERuleVersion` (`2.2.0`) and `Payload` (the 270).
//! The answer is the same envelope with `PayloadType` `X12_271_Response_005010X279A1` (or a 999 / TA1), an
//! `ErrorCode` (`Success` when the envelope was accepted) and `ErrorMessage`.
//!
//! [`CoreEnvelope`] encodes and decodes the envelope for both sides (this connector and the sandbox
//! simulator); [`CaqhCoreConnector`] is the connector. What the 271 means is decided by
//! [`super::x12_exchange`], shared with the raw-X12 connector.

use std::collections::BTreeMap;
use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::http;
use super::x12::build::Envelope;
use super::x12_exchange::{self, X12Request};
use super::{AttemptOutput, CarrierRoute, Connector, ConnectorError, EligibilityQuery};
use crate::domain::{AttemptResult, AttemptResultClass};

/// `PayloadType` of a real-time 270.
pub const PAYLOAD_TYPE_270: &str = "X12_270_Request_005010X279A1";
/// `PayloadType` of a real-time 271.
pub const PAYLOAD_TYPE_271: &str = "X12_271_Response_005010X279A1";
/// `PayloadType` of a 999 acknowledgement.
pub const PAYLOAD_TYPE_999: &str = "X12_999_Response_005010X231A1";
/// `PayloadType` of a TA1 interchange acknowledgement.
pub const PAYLOAD_TYPE_TA1: &str = "X12_TA1_Response_00501X231A1";
/// `ProcessingMode` of a real-time exchange.
pub const PROCESSING_MODE_REAL_TIME: &str = "RealTime";
/// `CORERuleVersion` this connector speaks.
pub const CORE_RULE_VERSION: &str = "2.2.0";
/// `ErrorCode` of an accepted envelope.
pub const ERROR_CODE_SUCCESS: &str = "Success";

/// One CORE envelope, request or response. `Debug` shows the payload's size only (it holds PHI) and never
/// the password.
#[derive(Clone, Default)]
pub struct CoreEnvelope {
    /// `PayloadType`, e.g. [`PAYLOAD_TYPE_270`].
    pub payload_type: String,
    /// `ProcessingMode`: [`PROCESSING_MODE_REAL_TIME`].
    pub processing_mode: String,
    /// `PayloadID`: unique per message (a UUID); the response echoes the request's.
    pub payload_id: String,
    /// `TimeStamp`: UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub timestamp: String,
    /// `SenderID`.
    pub sender_id: String,
    /// `ReceiverID`.
    pub receiver_id: String,
    /// `CORERuleVersion`: [`CORE_RULE_VERSION`].
    pub core_rule_version: String,
    /// `UserName`, when the receiver authenticates by user name and password.
    pub username: Option<String>,
    /// `Password`, kept secret.
    pub password: Option<SecretString>,
    /// `ErrorCode` (responses): [`ERROR_CODE_SUCCESS`] or the envelope error.
    pub error_code: Option<String>,
    /// `ErrorMessage` (responses).
    pub error_message: Option<String>,
    /// `Payload`: the X12 interchange (PHI).
    pub payload: String,
}

impl std::fmt::Debug for CoreEnvelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreEnvelope")
            .field("payload_type", &self.payload_type)
            .field("processing_mode", &self.processing_mode)
            .field("payload_id", &self.payload_id)
            .field("timestamp", &self.timestamp)
            .field("sender_id", &self.sender_id)
            .field("receiver_id", &self.receiver_id)
            .field("core_rule_version", &self.core_rule_version)
            .field("has_credentials", &self.password.is_some())
            .field("error_code", &self.error_code)
            .field("payload_bytes", &self.payload.len())
            .finish()
    }
}

/// Why a CORE envelope could not be read. Names fields, never values.
#[derive(Debug, thiserror::Error)]
pub enum CoreEnvelopeError {
    /// The content type is not `multipart/form-data` with a boundary.
    #[error("not a multipart/form-data body with a boundary")]
    NotMultipart,
    /// The multipart body is malformed.
    #[error("malformed multipart body: {0}")]
    Malformed(String),
    /// A field the rule requires is missing or empty.
    #[error("required CORE field {0} is missing")]
    MissingField(&'static str),
}

impl CoreEnvelope {
    /// The `(field name, value)` pairs in the order the rule lists them; absent optional fields are left out.
    fn fields(&self) -> Vec<(&'static str, &str)> {
        let mut fields = vec![
            ("PayloadType", self.payload_type.as_str()),
            ("ProcessingMode", self.processing_mode.as_str()),
            ("PayloadID", self.payload_id.as_str()),
            ("TimeStamp", self.timestamp.as_str()),
        ];
        if let Some(username) = &self.username {
            fields.push(("UserName", username));
        }
        if let Some(password) = &self.password {
            fields.push(("Password", password.expose_secret()));
        }
        fields.push(("SenderID", &self.sender_id));
        fields.push(("ReceiverID", &self.receiver_id));
        fields.push(("CORERuleVersion", &self.core_rule_version));
        if let Some(code) = &self.error_code {
            fields.push(("ErrorCode", code));
        }
        if let Some(message) = &self.error_message {
            fields.push(("ErrorMessage", message));
        }
        fields.push(("Payload", &self.payload));
        fields
    }

    /// Encodes the envelope as `multipart/form-data`: the `Content-Type` value (with its boundary) and the body.
    pub fn encode(&self) -> (String, Vec<u8>) {
        // A UUID boundary cannot occur in an X12 payload by accident (X12 has no such 32-hex-digit runs in
        // practice, and the parts are not base64).
        let boundary = format!("core-{}", uuid::Uuid::new_v4().simple());
        let mut body = Vec::with_capacity(self.payload.len() + 1024);
        for (name, value) in self.fields() {
            body.extend_from_slice(b"--");
            body.extend_from_slice(boundary.as_bytes());
            body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
            body.extend_from_slice(name.as_bytes());
            body.extend_from_slice(b"\"\r\n\r\n");
            body.extend_from_slice(value.as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"--\r\n");
        (format!("multipart/form-data; boundary={boundary}"), body)
    }

    /// Decodes a `multipart/form-data` envelope. Field names are matched case-insensitively (receivers differ);
    /// unknown fields are ignored; `required` lists the fields that must be present and non-empty.
    pub async fn decode(
        content_type: &str,
        body: Vec<u8>,
        required: &[&'static str],
    ) -> Result<CoreEnvelope, CoreEnvelopeError> {
        let boundary = multer::parse_boundary(content_type).map_err(|_| CoreEnvelopeError::NotMultipart)?;
        let stream = futures::stream::once(async move { Ok::<bytes::Bytes, std::io::Error>(bytes::Bytes::from(body)) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        loop {
            // multer's error texts describe the structure (boundaries, headers), not field contents.
            let field = multipart.next_field().await.map_err(|e| CoreEnvelopeError::Malformed(e.to_string()))?;
            let Some(field) = field else { break };
            let Some(name) = field.name().map(str::to_ascii_lowercase) else { continue };
            let value = field.text().await.map_err(|e| CoreEnvelopeError::Malformed(e.to_string()))?;
            fields.entry(name).or_insert(value);
        }
        for name in required {
            if fields.get(&name.to_ascii_lowercase()).is_none_or(|value| value.trim().is_empty()) {
                return Err(CoreEnvelopeError::MissingField(name));
            }
        }
        let mut take = |name: &str| fields.remove(&name.to_ascii_lowercase());
        Ok(CoreEnvelope {
            payload_type: take("PayloadType").unwrap_or_default(),
            processing_mode: take("ProcessingMode").unwrap_or_default(),
            payload_id: take("PayloadID").unwrap_or_default(),
            timestamp: take("TimeStamp").unwrap_or_default(),
            username: take("UserName"),
            password: take("Password").map(SecretString::from),
            sender_id: take("SenderID").unwrap_or_default(),
            receiver_id: take("ReceiverID").unwrap_or_default(),
            core_rule_version: take("CORERuleVersion").unwrap_or_default(),
            error_code: take("ErrorCode"),
            error_message: take("ErrorMessage"),
            payload: take("Payload").unwrap_or_default(),
        })
    }
}

/// The fields a real-time request must carry (the credentials are checked by the receiver's own rules).
pub const REQUIRED_REQUEST_FIELDS: [&str; 8] =
    ["PayloadType", "ProcessingMode", "PayloadID", "TimeStamp", "SenderID", "ReceiverID", "CORERuleVersion", "Payload"];

/// The fields a real-time response must carry. `Payload` may be empty when the envelope was refused.
pub const REQUIRED_RESPONSE_FIELDS: [&str; 3] = ["PayloadID", "CORERuleVersion", "ErrorCode"];

/// `TimeStamp` as the rule writes it.
pub fn core_timestamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Speaks CAQH CORE real-time (HTTP MIME multipart) to one carrier route.
pub struct CaqhCoreConnector {
    route_id: String,
    endpoint: reqwest::Url,
    client: reqwest::Client,
    envelope: Envelope,
    username: Option<String>,
    password: Option<SecretString>,
    authorization: Option<HeaderValue>,
}

impl std::fmt::Debug for CaqhCoreConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaqhCoreConnector")
            .field("route_id", &self.route_id)
            .field("endpoint", &self.endpoint.as_str())
            .field("sender_id", &self.envelope.sender_id)
            .field("receiver_id", &self.envelope.receiver_id)
            .field("authenticated", &(self.password.is_some() || self.authorization.is_some()))
            .finish_non_exhaustive()
    }
}

impl CaqhCoreConnector {
    /// Builds the connector for a route: its endpoint (the base URL as is: CORE endpoints are full URLs), the
    /// X12 envelope identities, and the user name / password (or bearer token) read once from the environment
    /// variables the route names.
    pub fn new(route: &CarrierRoute) -> Result<Self, ConnectorError> {
        let endpoint = http::endpoint_for(route, "")?;
        let username = route.username_env.as_deref().map(|env| http::secret_from_env(route, env)).transpose()?;
        let password = route
            .password_env
            .as_deref()
            .map(|env| http::secret_from_env(route, env).map(SecretString::from))
            .transpose()?;
        Ok(CaqhCoreConnector {
            route_id: route.id.clone(),
            endpoint,
            client: http::client_for(route)?,
            envelope: x12_exchange::envelope_for(route),
            username,
            password,
            authorization: http::bearer_for(route)?,
        })
    }

    /// The endpoint this connector posts to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    fn request_envelope(&self, payload: String) -> CoreEnvelope {
        CoreEnvelope {
            payload_type: PAYLOAD_TYPE_270.to_owned(),
            processing_mode: PROCESSING_MODE_REAL_TIME.to_owned(),
            payload_id: uuid::Uuid::new_v4().to_string(),
            timestamp: core_timestamp(time::OffsetDateTime::now_utc()),
            sender_id: self.envelope.sender_id.clone(),
            receiver_id: self.envelope.receiver_id.clone(),
            core_rule_version: CORE_RULE_VERSION.to_owned(),
            username: self.username.clone(),
            password: self.password.clone(),
            error_code: None,
            error_message: None,
            payload,
        }
    }
}

/// What a CORE reply means: an envelope error, or the X12 payload's meaning.
async fn interpret_reply(reply: &http::HttpReply, sent: &X12Request) -> (AttemptResult, Option<String>) {
    let failed = |class, detail: String| AttemptResult::Failed { class, detail, retry_after: reply.retry_after };
    if reply.status == 429 || (500..600).contains(&reply.status) {
        let detail = format!("HTTP {} from the carrier", reply.status);
        return (failed(AttemptResultClass::ServerError, detail), Some(format!("HTTP:{}", reply.status)));
    }
    if matches!(reply.status, 401 | 403) {
        let detail = format!("HTTP {}: the carrier refused our CORE credentials", reply.status);
        return (failed(AttemptResultClass::Rejected, detail), Some(format!("HTTP:{}", reply.status)));
    }
    let content_type = reply.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let envelope = match CoreEnvelope::decode(content_type, reply.body.clone(), &REQUIRED_RESPONSE_FIELDS).await {
        Ok(envelope) => envelope,
        Err(error) => {
            let class = if (400..500).contains(&reply.status) {
                AttemptResultClass::Rejected
            } else {
                AttemptResultClass::InvalidResponse
            };
            let detail = format!("HTTP {}: the CORE envelope could not be read ({error})", reply.status);
            return (failed(class, detail), Some(format!("HTTP:{}", reply.status)));
        }
    };
    let error_code = envelope.error_code.as_deref().unwrap_or_default();
    if !error_code.eq_ignore_ascii_case(ERROR_CODE_SUCCESS) {
        // The envelope was refused: a set-up problem between the clinic and the carrier (ids, version,
        // credentials), never the applicant's. The code is the rule's vocabulary (no PHI); the message is the
        // carrier's free text and is left out.
        let code: String = error_code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').take(60).collect();
        let detail = format!("the carrier refused the CORE envelope: {code}");
        return (failed(AttemptResultClass::Rejected, detail), Some(format!("CORE:{code}")));
    }
    if !(200..300).contains(&reply.status) {
        let detail = format!("unexpected HTTP {} from the carrier", reply.status);
        return (failed(AttemptResultClass::InvalidResponse, detail), Some(format!("HTTP:{}", reply.status)));
    }
    x12_exchange::interpret_x12(reply.status, reply.retry_after, envelope.payload.as_bytes(), sent)
}

#[async_trait]
impl Connector for CaqhCoreConnector {
    async fn check_eligibility(&self, query: EligibilityQuery<'_>) -> AttemptOutput {
        let started = Instant::now();
        let sent = x12_exchange::build_request(&query, &self.envelope);
        let envelope = self.request_envelope(sent.x12.clone());
        let (content_type, body) = envelope.encode();
        let request = http::post(
            &self.client,
            &self.endpoint,
            &content_type,
            "multipart/form-data",
            query.verification_id,
            self.authorization.as_ref(),
            body,
        );
        let exchange = http::exchange(request).await;
        let (http_status, raw_response, (result, error_code)) = match exchange {
            Ok(reply) => {
                let meaning = interpret_reply(&reply, &sent).await;
                (Some(reply.status), Some(reply.text()), meaning)
            }
            Err(result) => (None, None, (result, None)),
        };
        let output = AttemptOutput {
            http_status,
            // The 270 alone: the envelope around it carries the password, which is never stored.
            raw_request: Some(sent.x12),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CoreEnvelope {
        CoreEnvelope {
            payload_type: PAYLOAD_TYPE_270.into(),
            processing_mode: PROCESSING_MODE_REAL_TIME.into(),
            payload_id: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6".into(),
            timestamp: "2026-11-27T12:00:00Z".into(),
            sender_id: "BLUEGRASSIOP".into(),
            receiver_id: "ANTHEMKY".into(),
            core_rule_version: CORE_RULE_VERSION.into(),
            username: Some("clinic".into()),
            password: Some(SecretString::from("s3cret")),
            error_code: None,
            error_message: None,
            payload: "ISA*00*          *00*          *ZZ*BLUEGRASSIOP   *ZZ*ANTHEMKY       *261127*1200*^*00501*000000001*0*P*:~\r\nIEA*0*000000001~".into(),
        }
    }

    #[tokio::test]
    async fn an_encoded_envelope_decodes_to_the_same_fields() {
        // Arrange
        let envelope = sample();

        // Act
        let (content_type, body) = envelope.encode();
        let decoded = CoreEnvelope::decode(&content_type, body, &REQUIRED_REQUEST_FIELDS).await.expect("decodes");

        // Assert
        assert_eq!(decoded.payload_type, envelope.payload_type);
        assert_eq!(decoded.payload_id, envelope.payload_id);
        assert_eq!(decoded.sender_id, envelope.sender_id);
        assert_eq!(decoded.receiver_id, envelope.receiver_id);
        assert_eq!(decoded.username.as_deref(), Some("clinic"));
        assert_eq!(decoded.password.as_ref().map(|p| p.expose_secret().to_owned()).as_deref(), Some("s3cret"));
        assert_eq!(decoded.payload, envelope.payload, "CRLF inside the payload survives");
        assert!(content_type.starts_with("multipart/form-data; boundary="));
    }

    #[tokio::test]
    async fn a_request_without_a_payload_id_is_refused_naming_the_field() {
        // Arrange
        let envelope = CoreEnvelope { payload_id: String::new(), ..sample() };
        let (content_type, body) = envelope.encode();

        // Act
        let error = CoreEnvelope::decode(&content_type, body, &REQUIRED_REQUEST_FIELDS).await.expect_err("refused");

        // Assert
        assert!(matches!(error, CoreEnvelopeError::MissingField("PayloadID")), "{error}");
    }

    #[tokio::test]
    async fn a_body_that_is_not_multipart_is_refused() {
        let error = CoreEnvelope::decode("application/json", b"{}".to_vec(), &[]).await.expect_err("refused");
        assert!(matches!(error, CoreEnvelopeError::NotMultipart));
    }

    #[test]
    fn debug_output_hides_the_password_and_the_payload() {
        let text = format!("{:?}", sample());
        assert!(!text.contains("s3cret"));
        assert!(!text.contains("ISA*"));
        assert!(text.contains("payload_bytes"));
    }

    #[test]
    fn timestamps_are_utc_with_a_z() {
        let at = time::macros::datetime!(2026-11-27 07:05:09 -05:00);
        assert_eq!(core_timestamp(at), "2026-11-27T12:05:09Z");
    }
}
