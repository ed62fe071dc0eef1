//! The Change Healthcare / Stedi "eligibility v3" JSON connector: `POST {base_url}/medicalnetwork/eligibility/v3`.
//!
//! Three parts, the first two pure:
//! * [`build_request`]: the request body for one attempt (a fresh 9-digit control number each time);
//! * [`interpret_response`]: what an HTTP status and body mean ([`AttemptResult`] and the carrier's error code).
//!   Payers answer rejections with HTTP 200 and 400 alike, so AAA codes in the body decide, not the status;
//!   408, 429 and 5xx are server errors whatever the body says. The AAA code table is [`super::aaa`];
//!   normalisation into the benefit summary is [`super::json_summary`];
//! * [`EligibilityJsonConnector`]: the HTTP call (timeouts from the route, bearer token from the environment,
//!   latency measured, raw bodies kept for the store). It logs status codes and classes with the verification
//!   id, never a name, date of birth or member ID.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::HeaderValue;
use serde_json::{Map, Value, json};

use super::aaa::{self, AaaClass, ApplicantField};
use super::http;
use super::json_summary::{self, array, text};
use super::x12::build::{compact_date, relationship_code};
use super::{AttemptOutput, CarrierRoute, Connector, ConnectorError, EligibilityQuery};
use crate::domain::ControlNumbers;
use crate::domain::answer::follow_up_code;
use crate::domain::{
    AttemptResult, AttemptResultClass, BenefitSummary, CarrierRejection, CoverageFinding, EligibilityAnswer,
    FollowUpAction, Person, PlanFacts,
};

/// The path the connector appends to a route's base URL.
pub const ELIGIBILITY_PATH: &str = "/medicalnetwork/eligibility/v3";
pub use super::http::{MAX_RESPONSE_BYTES, MAX_RETRY_AFTER, VERIFICATION_ID_HEADER, parse_retry_after};

// ---------------------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------------------

/// The member ID as sent: upper case, spaces removed (cards print them for readability; payers do not store
/// them). Hyphens stay: some payers' IDs contain them.
fn member_id_for_request(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
}

fn person_json(person: &Person) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("firstName".into(), Value::String(person.first_name.clone()));
    object.insert("lastName".into(), Value::String(person.last_name.clone()));
    if let Some(middle) = &person.middle_name {
        object.insert("middleName".into(), Value::String(middle.clone()));
    }
    object.insert("dateOfBirth".into(), Value::String(compact_date(person.date_of_birth)));
    object
}

/// The eligibility v3 request body for one attempt. The subscriber is the policy holder; when the applicant is
/// someone else on the policy, the applicant is sent as the dependent with the relationship code.
pub fn build_request(query: &EligibilityQuery<'_>, control_number: &str) -> Value {
    let request = query.request;
    let mut subscriber = Map::new();
    subscriber.insert("memberId".into(), Value::String(member_id_for_request(request.card.member_id.as_str())));
    subscriber.extend(person_json(request.policy_holder()));
    if let Some(group) = &request.card.group_number {
        subscriber.insert("groupNumber".into(), Value::String(group.clone()));
    }
    let mut body = json!({
        "controlNumber": control_number,
        "tradingPartnerServiceId": query.payer_id,
        "provider": {
            "organizationName": query.provider.organization_name,
            "npi": query.provider.npi,
        },
        "subscriber": subscriber,
        "encounter": { "serviceTypeCodes": query.service_types },
    });
    if let (Some(code), Some(_)) = (relationship_code(request.relationship), &request.subscriber) {
        let mut dependent = person_json(&request.applicant);
        dependent.insert("individualRelationshipCode".into(), Value::String(code.to_owned()));
        if let Value::Object(object) = &mut body {
            object.insert("dependents".into(), Value::Array(vec![Value::Object(dependent)]));
        }
    }
    body
}

// ---------------------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------------------

/// One AAA rejection found in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rejection {
    code: String,
    class: AaaClass,
    /// Where the payer put it (`subscriber`, `dependent`, `provider`, `payer`), `None` for top-level `errors`.
    source: Option<&'static str>,
    /// The payer's follow-up action (AAA04), when it is one of the code list's.
    follow_up: Option<FollowUpAction>,
    /// The AAA04 code as sent when code-shaped, known or not (see [`follow_up_code`]).
    follow_up_code: Option<String>,
}

impl Rejection {
    fn record(&self) -> CarrierRejection {
        CarrierRejection {
            code: self.code.clone(),
            description: aaa::description(&self.code).to_owned(),
            class: self.class,
            source: self.source.map(str::to_owned),
            follow_up: self.follow_up,
            follow_up_code: self.follow_up_code.clone(),
        }
    }
}

/// Every AAA rejection in a body: top-level `errors[]` and the `aaaErrors[]` of subscriber, dependents,
/// provider and payer, each with its follow-up action (`followupAction`: the AAA04 code or its text). Change
/// Healthcare puts the code in `code` (with `field: "AAA"`) or, in some sandbox answers, in `field` itself;
/// entries without a code-shaped value (validation messages, the "Transaction contained a AAA rejection"
/// marker) are not rejections. Stedi repeats loop-level errors at the top level: a code is kept once, with the
/// loop it came from and the first follow-up action given for it.
fn aaa_rejections(doc: &Value, http_status: u16) -> Vec<Rejection> {
    let mut entries: Vec<(Option<&'static str>, &Value)> = array(doc, "errors").iter().map(|e| (None, e)).collect();
    for (holder, source) in
        [("subscriber", "subscriber"), ("dependent", "dependent"), ("provider", "provider"), ("payer", "payer")]
    {
        if let Some(object) = doc.get(holder) {
            entries.extend(array(object, "aaaErrors").iter().map(|e| (Some(source), e)));
        }
    }
    for dependent in array(doc, "dependents") {
        entries.extend(array(dependent, "aaaErrors").iter().map(|e| (Some("dependent"), e)));
    }
    let mut rejections: Vec<Rejection> = Vec::new();
    for (source, entry) in entries {
        let field = text(entry, "field");
        let candidate = text(entry, "code")
            .filter(|code| aaa::looks_like_code(code))
            .or_else(|| field.clone().filter(|f| f.as_ref() != "AAA" && aaa::looks_like_code(f)));
        let Some(code) = candidate else { continue };
        let follow_up_text = text(entry, "followupAction").or_else(|| text(entry, "followUpAction"));
        let marked = field.as_deref() == Some("AAA") || follow_up_text.is_some() || entry.get("location").is_some();
        if !marked && aaa::lookup(&code).is_none() {
            continue;
        }
        let follow_up = follow_up_text.as_deref().and_then(FollowUpAction::parse);
        let raw_follow_up = follow_up_text.as_deref().and_then(follow_up_code);
        match rejections.iter_mut().find(|r| r.code == code.as_ref()) {
            Some(known) => {
                known.source = known.source.or(source);
                known.follow_up = known.follow_up.or(follow_up);
                known.follow_up_code = known.follow_up_code.take().or(raw_follow_up);
            }
            None => {
                let class = aaa::classify(&code, http_status);
                rejections.push(Rejection {
                    code: code.into_owned(),
                    class,
                    source,
                    follow_up,
                    follow_up_code: raw_follow_up,
                });
            }
        }
    }
    rejections
}

fn failed(class: AttemptResultClass, detail: impl Into<String>, retry_after: Option<Duration>) -> AttemptResult {
    AttemptResult::Failed { class, detail: detail.into(), retry_after }
}

/// Our own words for a code (never the payer's description, which may quote what was sent), with the payer's
/// follow-up action when it gave one: "AAA 42: Unable to Respond at Current Time; the carrier asks: Please
/// Wait 10 Days and Resubmit (X)".
fn describe(rejection: &Rejection) -> String {
    format!("AAA {}: {}{}", rejection.code, aaa::description(&rejection.code), follow_up_words(rejection))
}

/// "; the carrier asks: <meaning> (<code>)", "; the carrier's follow-up code <code> is not one this service
/// knows", or nothing.
fn follow_up_words(rejection: &Rejection) -> String {
    match (rejection.follow_up, rejection.follow_up_code.as_deref()) {
        (Some(action), _) => format!("; the carrier asks: {} ({})", action.meaning(), action.code()),
        (None, Some(code)) => format!("; the carrier's follow-up code {code} is not one this service knows"),
        (None, None) => String::new(),
    }
}

/// Decides from the AAA rejections of a body. The most serious class wins: a set-up or other problem (an
/// operator or a person must act, and fixing the applicant's details would not help) over the applicant's
/// details (a demographics mismatch over member not found) over transient (retrying cannot fix a data
/// problem). A transient code whose follow-up action says not to ask again soon (`N`, `S`, `W`, `X`) is not
/// retried: it fails for a person, with the carrier's words in the detail.
fn from_rejections(
    rejections: &[Rejection],
    retry_after: Option<Duration>,
    payer_name: Option<String>,
) -> (AttemptResult, Option<String>) {
    let first = |wanted: fn(AaaClass) -> bool| rejections.iter().find(|r| wanted(r.class));
    if let Some(rejection) = first(|class| matches!(class, AaaClass::ProviderSetup | AaaClass::Other)) {
        let class_words = match rejection.class {
            AaaClass::ProviderSetup => {
                "provider or enrolment set-up: an operator must fix the clinic's set-up with this carrier"
            }
            _ => "the carrier refused the request",
        };
        let detail = format!("{} ({class_words})", describe(rejection));
        return (failed(AttemptResultClass::Rejected, detail, None), Some(format!("AAA:{}", rejection.code)));
    }
    let applicant: Vec<(&Rejection, ApplicantField)> =
        rejections.iter().filter_map(|r| r.class.field().map(|field| (r, field))).collect();
    if !applicant.is_empty() {
        let finding = if applicant.iter().any(|(_, f)| f.finding() == CoverageFinding::DemographicsMismatch) {
            CoverageFinding::DemographicsMismatch
        } else {
            CoverageFinding::MemberNotFound
        };
        let decisive: Vec<&(&Rejection, ApplicantField)> =
            applicant.iter().filter(|(_, field)| field.finding() == finding).collect();
        let Some(&&(lead, _)) = decisive.first() else {
            // Unreachable: the finding was chosen from these rejections. Fall back to "no rejection".
            return (failed(AttemptResultClass::InvalidResponse, "no rejection found", None), None);
        };
        let hint = if finding == CoverageFinding::DemographicsMismatch {
            let mut fields: Vec<&str> = Vec::new();
            for (_, field) in &decisive {
                if !fields.contains(&field.words()) {
                    fields.push(field.words());
                }
            }
            format!("the carrier's records do not match the {}: correct it and submit again", fields.join(" and "))
        } else {
            let what = aaa::applicant_hint(&lead.code, 200).unwrap_or_else(|| "check the member ID".to_owned());
            format!("carrier found no such member: {what}")
        };
        let hint = format!("{hint}{}", follow_up_words(lead));
        let error_code = format!("AAA:{}", lead.code);
        let answer = EligibilityAnswer {
            finding,
            summary: BenefitSummary {
                rejections: rejections.iter().map(Rejection::record).collect(),
                payer_name,
                ..BenefitSummary::default()
            },
            plan_facts: PlanFacts::default(),
            error_code: Some(error_code.clone()),
            hint: Some(hint),
        };
        return (AttemptResult::Answered(Box::new(answer)), Some(error_code));
    }
    match rejections.first() {
        Some(rejection) if rejection.follow_up.is_some_and(FollowUpAction::forbids_prompt_retry) => {
            let detail = format!("{} (not retried: the carrier asked not to resubmit soon)", describe(rejection));
            (failed(AttemptResultClass::Rejected, detail, None), Some(format!("AAA:{}", rejection.code)))
        }
        Some(rejection) => (
            failed(AttemptResultClass::CarrierBusy, describe(rejection), retry_after),
            Some(format!("AAA:{}", rejection.code)),
        ),
        None => (failed(AttemptResultClass::InvalidResponse, "no rejection found", None), None),
    }
}

/// What one HTTP answer from an eligibility v3 endpoint means. Pure and total: any status and any body give
/// an [`AttemptResult`], never a panic.
///
/// * 408, 429 and 5xx: [`AttemptResultClass::ServerError`] (transient), honouring `retry_after`; code `HTTP:<status>`.
/// * AAA codes in the body (on any other status, 200 and 400 alike): see [`super::aaa`] and the private
///   `from_rejections` rule; codes that ask the applicant to fix a detail are answers (member not found or
///   demographics mismatch, with a hint naming the field and the carrier's follow-up action, and the
///   rejections kept in the summary), transient codes are [`AttemptResultClass::CarrierBusy`] unless their
///   follow-up action says not to ask again soon (`N`, `S`, `W`, `X`), the rest [`AttemptResultClass::Rejected`]
///   with the follow-up action in the detail; code `AAA:<code>`.
/// * Other 4xx: [`AttemptResultClass::Rejected`] (`HTTP:<status>`); other non-2xx statuses and 2xx bodies that
///   are not an eligibility answer: [`AttemptResultClass::InvalidResponse`].
/// * A 2xx answer with a coverage status: active or inactive, with the normalised summary and plan facts.
pub fn interpret_response(
    http_status: u16,
    retry_after: Option<Duration>,
    body: &str,
) -> (AttemptResult, Option<String>) {
    if let Some(transient) = transient_status(http_status, retry_after) {
        return transient;
    }
    let http_code = || Some(format!("HTTP:{http_status}"));
    let doc = match serde_json::from_str::<Value>(body) {
        Ok(doc @ Value::Object(_)) => doc,
        _ if (400..500).contains(&http_status) => {
            let detail = format!("HTTP {http_status} from the carrier (body is not eligibility JSON)");
            return (failed(AttemptResultClass::Rejected, detail, None), http_code());
        }
        _ => {
            let detail = format!("HTTP {http_status}: body is not a JSON object");
            let code = (!(200..300).contains(&http_status)).then(http_code).flatten();
            return (failed(AttemptResultClass::InvalidResponse, detail, None), code);
        }
    };
    interpret_document(http_status, retry_after, &doc)
}

/// 408 (the carrier timed out waiting for our request), 429 and 5xx: transient, whatever the body says.
fn transient_status(http_status: u16, retry_after: Option<Duration>) -> Option<(AttemptResult, Option<String>)> {
    (matches!(http_status, 408 | 429) || (500..600).contains(&http_status)).then(|| {
        let detail = format!("HTTP {http_status} from the carrier");
        (failed(AttemptResultClass::ServerError, detail, retry_after), Some(format!("HTTP:{http_status}")))
    })
}

/// What an eligibility v3 document already parsed means, with the HTTP status it came with: the rules of
/// [`interpret_response`] after the body was read. The X12 connectors judge a 271 through here, converted to this
/// shape, without writing it out and parsing it again.
pub fn interpret_document(
    http_status: u16,
    retry_after: Option<Duration>,
    doc: &Value,
) -> (AttemptResult, Option<String>) {
    if let Some(transient) = transient_status(http_status, retry_after) {
        return transient;
    }
    let http_code = || Some(format!("HTTP:{http_status}"));
    let success = (200..300).contains(&http_status);
    let client_error = (400..500).contains(&http_status);

    let rejections = aaa_rejections(doc, http_status);
    if !rejections.is_empty() {
        return from_rejections(&rejections, retry_after, json_summary::payer_name(doc));
    }
    if client_error {
        let detail = match http_status {
            401 | 403 => format!("HTTP {http_status}: the carrier refused our credentials"),
            _ => format!("HTTP {http_status}: the carrier refused the request"),
        };
        return (failed(AttemptResultClass::Rejected, detail, None), http_code());
    }
    if !success {
        let detail = format!("unexpected HTTP {http_status} from the carrier");
        return (failed(AttemptResultClass::InvalidResponse, detail, None), http_code());
    }
    match json_summary::coverage_finding(doc) {
        Some(finding) => {
            let answer = EligibilityAnswer {
                finding,
                summary: json_summary::summarise(doc),
                plan_facts: json_summary::plan_facts(doc),
                error_code: None,
                hint: None,
            };
            (AttemptResult::Answered(Box::new(answer)), None)
        }
        None if !array(doc, "errors").is_empty() || doc.get("errors").is_some_and(Value::is_object) => {
            (failed(AttemptResultClass::Rejected, "carrier reported errors without an AAA code", None), None)
        }
        None => (failed(AttemptResultClass::InvalidResponse, "answer carries no coverage status", None), None),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Connector
// ---------------------------------------------------------------------------------------------------------

/// Speaks eligibility v3 JSON to one carrier route, with its own HTTP client.
pub struct EligibilityJsonConnector {
    route_id: String,
    endpoint: reqwest::Url,
    client: reqwest::Client,
    /// `Bearer <token>`, marked sensitive so it never shows in debug output.
    authorization: Option<HeaderValue>,
}

impl std::fmt::Debug for EligibilityJsonConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EligibilityJsonConnector")
            .field("route_id", &self.route_id)
            .field("endpoint", &self.endpoint.as_str())
            .field("authenticated", &self.authorization.is_some())
            .finish_non_exhaustive()
    }
}

impl EligibilityJsonConnector {
    /// Builds the connector for a route: endpoint URL, HTTP client with the route's connect and request
    /// timeouts, and the bearer token read once from the environment variable the route names.
    pub fn new(route: &CarrierRoute) -> Result<Self, ConnectorError> {
        Ok(EligibilityJsonConnector {
            route_id: route.id.clone(),
            endpoint: http::endpoint_for(route, ELIGIBILITY_PATH)?,
            client: http::client_for(route)?,
            authorization: http::bearer_for(route)?,
        })
    }

    /// The full endpoint URL this connector posts to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }
}

#[async_trait]
impl Connector for EligibilityJsonConnector {
    async fn check_eligibility(&self, query: EligibilityQuery<'_>) -> AttemptOutput {
        let started = Instant::now();
        // One number, the ST02/BHT03 equivalent; the same generator as the X12 control numbers (9 digits).
        let control_number = ControlNumbers::generate().transaction.unwrap_or_default();
        let raw_request = build_request(&query, &control_number).to_string();
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
            Ok(reply) => {
                let body = reply.text();
                let meaning = interpret_response(reply.status, reply.retry_after, &body);
                (Some(reply.status), Some(body), meaning)
            }
            Err(result) => (None, None, (result, None)),
        };
        let output = AttemptOutput {
            http_status,
            raw_request: Some(raw_request),
            raw_response,
            error_code,
            result,
            latency: started.elapsed(),
            control_numbers: ControlNumbers::json(&control_number),
        };
        http::log_attempt(&query, &self.route_id, &output);
        output
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use uuid::Uuid;

    use super::*;
    use crate::carriers::Provider;
    use crate::domain::test_support::sample_request;

    fn provider() -> Provider {
        Provider { npi: "1234567893".into(), organization_name: "Bluegrass Recovery IOP".into() }
    }

    #[test]
    fn a_self_insured_request_sends_the_applicant_as_subscriber() {
        let request = sample_request();
        let provider = provider();
        let query = EligibilityQuery {
            verification_id: Uuid::nil(),
            attempt_number: 1,
            request: &request,
            payer_id: "60054",
            payer_name: "Bluegrass Health Plan",
            provider: &provider,
            service_types: &["30", "AI"],
        };

        let body = build_request(&query, "000000042");

        assert_eq!(body["controlNumber"], "000000042");
        assert_eq!(body["tradingPartnerServiceId"], "60054");
        assert_eq!(body["provider"]["npi"], "1234567893");
        assert_eq!(body["subscriber"]["memberId"], "ACT100001");
        assert_eq!(body["subscriber"]["dateOfBirth"], "19880412");
        assert_eq!(body["subscriber"]["groupNumber"], "GRP-2001");
        assert_eq!(body["encounter"]["serviceTypeCodes"], json!(["30", "AI"]));
        assert!(body.get("dependents").is_none());
        assert!(body["subscriber"].get("middleName").is_none());
    }

    #[test]
    fn a_dependent_applicant_is_sent_with_the_relationship_code() {
        let mut request = crate::domain::test_support::sample_dependent_request();
        request.card.member_id = crate::domain::MemberId::parse("act 100-001").expect("valid");
        let provider = provider();
        let query = EligibilityQuery {
            verification_id: Uuid::nil(),
            attempt_number: 2,
            request: &request,
            payer_id: "SANDBOX",
            payer_name: "Bluegrass Health Plan",
            provider: &provider,
            service_types: &["30"],
        };

        let body = build_request(&query, "123456789");

        assert_eq!(body["subscriber"]["firstName"], "Pat");
        assert_eq!(body["subscriber"]["middleName"], "Q");
        assert_eq!(body["subscriber"]["dateOfBirth"], "19610704");
        assert_eq!(body["subscriber"]["memberId"], "ACT100-001");
        assert_eq!(body["dependents"][0]["firstName"], "Jordan");
        assert_eq!(body["dependents"][0]["individualRelationshipCode"], "19");
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates_and_is_capped() {
        let now = datetime!(2015-10-21 07:27:00 UTC);
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("99999999999999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(60)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn a_missing_credential_is_refused_when_the_connector_is_built() {
        let mut route = crate::carriers::Directory::sandbox("http://127.0.0.1:9").routes()[0].clone();
        route.credential_env = Some("IV_TEST_TOKEN_THAT_IS_NEVER_SET".into());

        let error = EligibilityJsonConnector::new(&route).expect_err("missing token");

        assert!(matches!(error, ConnectorError::MissingCredential { .. }));
        assert!(error.to_string().contains("IV_TEST_TOKEN_THAT_IS_NEVER_SET"));
    }

    #[test]
    fn the_endpoint_appends_the_eligibility_path_to_the_base_url() {
        let route = crate::carriers::Directory::sandbox("http://127.0.0.1:9700/prefix/").routes()[0].clone();

        let connector = EligibilityJsonConnector::new(&route).expect("connector");

        assert_eq!(connector.endpoint(), "http://127.0.0.1:9700/prefix/medicalnetwork/eligibility/v3");
    }
}
