//! The simulator's deterministic scenarios (chosen by member ID prefix, or forced for every request under a
//! `/scenario/{name}` path prefix) and their precomputed answers.
//!
//! Each answer is built once, when the simulator starts, as a JSON text of the members that never change;
//! a request only adds the members echoed from it (control number, payer ID, provider, subscriber,
//! dependents), so a thousand calls in flight cost little more than their sockets.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Delay of a `SLOW` member ID without digits.
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_millis(3000);
/// Longest delay a `SLOW<digits>` member ID can ask for (keeps a typo from holding a connection for hours).
pub const MAX_SLOW_DELAY: Duration = Duration::from_secs(120);
/// How long the forced `hang` scenario holds a request before giving up on it itself. Long enough that every
/// client times out first; bounded so that a client that never times out does not hold a socket for ever.
pub const HANG_DURATION: Duration = Duration::from_secs(600);

/// What the simulator does for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `ACT…` (and any ID matching no other prefix): active PPO with substance-use and mental-health benefits.
    ActivePpo,
    /// `INA…`: coverage inactive (EB01 `6`).
    Inactive,
    /// `NF…`: AAA 75 "Subscriber/Insured Not Found", on HTTP 400.
    SubscriberNotFound,
    /// `MM…`: AAA 73 "Invalid/Missing Subscriber/Insured Name".
    NameMismatch,
    /// `DOB…`: AAA 71, the birth date does not match.
    BirthDateMismatch,
    /// `MA…`: active, but the answer shows a Medicare Advantage plan.
    MedicareAdvantage,
    /// `BUSY…`: AAA 42 "Unable to Respond at Current Time", on HTTP 200.
    Busy,
    /// `ERR…`: HTTP 500.
    ServerError,
    /// `SLOW…`: the active PPO answer after a delay (`SLOW2500`: 2.5 s; no digits: 3 s).
    Slow(Duration),
    /// `BAD…`: HTTP 200 with a body that is not JSON.
    Garbage,
    /// Forced only (`/scenario/hang`): no answer at all; the request is held until the client gives up (or
    /// [`HANG_DURATION`] passes, or the simulator stops).
    Hang,
}

impl Scenario {
    /// Picks the scenario for a member ID: its prefix, compared on the ID upper-cased without spaces or
    /// hyphens. IDs matching no prefix get the active PPO answer.
    pub fn for_member_id(member_id: &str) -> Scenario {
        let compact: String =
            member_id.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
        // Longer prefixes first, so no prefix shadows another.
        if let Some(rest) = compact.strip_prefix("SLOW") {
            return Scenario::Slow(slow_delay(rest));
        }
        const PREFIXES: [(&str, Scenario); 9] = [
            ("BUSY", Scenario::Busy),
            ("ACT", Scenario::ActivePpo),
            ("INA", Scenario::Inactive),
            ("DOB", Scenario::BirthDateMismatch),
            ("ERR", Scenario::ServerError),
            ("BAD", Scenario::Garbage),
            ("NF", Scenario::SubscriberNotFound),
            ("MM", Scenario::NameMismatch),
            ("MA", Scenario::MedicareAdvantage),
        ];
        PREFIXES.iter().find(|(prefix, _)| compact.starts_with(prefix)).map_or(Scenario::ActivePpo, |(_, s)| *s)
    }

    /// The scenario a `/scenario/{name}` path prefix forces, whatever the member ID: `hang`, `server_error`,
    /// `busy`, `garbage`, `active` (also `active_ppo`), `inactive`, `subscriber_not_found`, `name_mismatch`,
    /// `birth_date_mismatch`, `medicare_advantage`. `None` for any other name (`slow` needs a delay: use a
    /// `SLOW<ms>` member ID).
    pub fn forced(name: &str) -> Option<Scenario> {
        let scenario = match name {
            "hang" => Scenario::Hang,
            "server_error" => Scenario::ServerError,
            "busy" => Scenario::Busy,
            "garbage" => Scenario::Garbage,
            "active" | "active_ppo" => Scenario::ActivePpo,
            "inactive" => Scenario::Inactive,
            "subscriber_not_found" => Scenario::SubscriberNotFound,
            "name_mismatch" => Scenario::NameMismatch,
            "birth_date_mismatch" => Scenario::BirthDateMismatch,
            "medicare_advantage" => Scenario::MedicareAdvantage,
            _ => return None,
        };
        Some(scenario)
    }

    /// A stable name for logs (no PHI: it names the scenario, not the member).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::ActivePpo => "active_ppo",
            Scenario::Inactive => "inactive",
            Scenario::SubscriberNotFound => "subscriber_not_found",
            Scenario::NameMismatch => "name_mismatch",
            Scenario::BirthDateMismatch => "birth_date_mismatch",
            Scenario::MedicareAdvantage => "medicare_advantage",
            Scenario::Busy => "busy",
            Scenario::ServerError => "server_error",
            Scenario::Slow(_) => "slow",
            Scenario::Garbage => "garbage",
            Scenario::Hang => "hang",
        }
    }
}

/// The delay asked for by the digits right after `SLOW`.
fn slow_delay(rest: &str) -> Duration {
    let digits: String = rest.chars().take_while(char::is_ascii_digit).take(9).collect();
    match digits.parse::<u64>() {
        Ok(millis) => Duration::from_millis(millis).min(MAX_SLOW_DELAY),
        Err(_) => DEFAULT_SLOW_DELAY,
    }
}

/// The parts of a request the simulator reads and echoes. Lenient: unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SandboxRequest {
    /// Echoed as `controlNumber` and `reassociationKey`.
    pub control_number: Option<String>,
    /// Echoed as `tradingPartnerServiceId` and the payer's identification.
    pub trading_partner_service_id: Option<String>,
    /// Echoed as the provider.
    pub provider: Option<ProviderEcho>,
    /// Chooses the scenario (member ID) and is echoed like real payers do.
    pub subscriber: Option<PersonEcho>,
    /// Echoed.
    pub dependents: Vec<PersonEcho>,
}

impl std::fmt::Debug for PersonEcho {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonEcho(<redacted>)")
    }
}

/// The provider as the request named it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProviderEcho {
    /// The clinic's name.
    pub organization_name: Option<String>,
    /// The clinic's NPI.
    pub npi: Option<String>,
}

/// A subscriber or dependent as the request named them (PHI: echoed, never logged; `Debug` is redacted).
#[derive(Default, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersonEcho {
    /// Member ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Middle name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// `YYYYMMDD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    /// Gender, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Group number, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_number: Option<String>,
    /// Dependent relationship code (`01`, `19`, `34`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub individual_relationship_code: Option<String>,
}

/// One precomputed answer.
#[derive(Debug, Clone)]
pub struct Template {
    /// HTTP status.
    pub status: u16,
    payer_name: &'static str,
    payer_extra: Map<String, Value>,
    subscriber_extra: Map<String, Value>,
    /// The members that never change, serialised without the surrounding braces.
    fixed: String,
}

impl Template {
    fn new(status: u16, payer_name: &'static str, fixed: Value) -> Template {
        let fixed = match serde_json::to_string(&fixed) {
            Ok(text) if text.len() > 2 => text[1..text.len() - 1].to_owned(),
            _ => String::new(),
        };
        Template { status, payer_name, payer_extra: Map::new(), subscriber_extra: Map::new(), fixed }
    }

    /// An AAA rejection template: the error in `errors[]` and in the `aaaErrors` of the loop it belongs to.
    fn rejection(status: u16, error: Value, at_payer: bool) -> Template {
        let mut template =
            Template::new(status, "Bluegrass Health Plan (sandbox)", json!({ "errors": [error.clone()] }));
        let holder = if at_payer { &mut template.payer_extra } else { &mut template.subscriber_extra };
        holder.insert("aaaErrors".into(), Value::Array(vec![error]));
        template
    }

    /// The full answer to `request`.
    pub fn render(&self, request: &SandboxRequest) -> String {
        let control_number = request.control_number.clone().unwrap_or_default();
        let payer_id = request.trading_partner_service_id.clone().unwrap_or_default();
        let mut dynamic = Map::new();
        dynamic.insert("controlNumber".into(), Value::String(control_number.clone()));
        dynamic.insert("reassociationKey".into(), Value::String(control_number));
        dynamic.insert("tradingPartnerServiceId".into(), Value::String(payer_id.clone()));
        dynamic.insert("meta".into(), json!({ "applicationMode": "sandbox", "traceId": "sandbox" }));

        let mut payer = Map::new();
        payer.insert("entityIdentifier".into(), "Payer".into());
        payer.insert("entityType".into(), "Non-Person Entity".into());
        payer.insert("name".into(), self.payer_name.into());
        payer.insert("payorIdentification".into(), Value::String(payer_id));
        payer.extend(self.payer_extra.clone());
        dynamic.insert("payer".into(), Value::Object(payer));

        let provider = request.provider.as_ref();
        dynamic.insert(
            "provider".into(),
            json!({
                "providerName": provider.and_then(|p| p.organization_name.clone()),
                "npi": provider.and_then(|p| p.npi.clone()),
                "entityIdentifier": "Provider",
                "entityType": "Non-Person Entity",
            }),
        );

        let mut subscriber = match serde_json::to_value(request.subscriber.clone().unwrap_or_default()) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        subscriber.extend(self.subscriber_extra.clone());
        dynamic.insert("subscriber".into(), Value::Object(subscriber));
        if !request.dependents.is_empty()
            && let Ok(dependents) = serde_json::to_value(&request.dependents)
        {
            dynamic.insert("dependents".into(), dependents);
        }

        let mut out = serde_json::to_string(&Value::Object(dynamic)).unwrap_or_else(|_| "{}".to_owned());
        if !self.fixed.is_empty() && out.ends_with('}') {
            out.pop();
            out.push(',');
            out.push_str(&self.fixed);
            out.push('}');
        }
        out
    }
}

/// Every JSON answer, built once for a plan year.
#[derive(Debug, Clone)]
pub struct Templates {
    /// `ACT…` and `SLOW…`.
    pub active_ppo: Template,
    /// `INA…`.
    pub inactive: Template,
    /// `NF…`.
    pub subscriber_not_found: Template,
    /// `MM…`.
    pub name_mismatch: Template,
    /// `DOB…`.
    pub birth_date_mismatch: Template,
    /// `MA…`.
    pub medicare_advantage: Template,
    /// `BUSY…`.
    pub busy: Template,
}

/// The body of the `BAD…` scenario: what a misconfigured gateway sends instead of JSON.
pub const GARBAGE_BODY: &str = "<html><head><title>502 Proxy Error</title></head><body><h1>Proxy Error</h1>\
<p>The proxy server received an invalid response from an upstream server.</p></body></html>\n\0\u{fffd}{\"benefits";

/// The body of the `ERR…` scenario.
pub const SERVER_ERROR_BODY: &str = "{\"status\":\"ERROR\",\"message\":\"upstream payer connection failed\"}";

fn bh_types(codes: &[&str]) -> Value {
    let names: Vec<&str> = codes.iter().map(|code| crate::domain::benefits::service_type_label(code)).collect();
    json!({ "serviceTypeCodes": codes, "serviceTypes": names })
}

/// Merges `extra` into a benefit row `base`.
fn benefit(base: Value, extra: &Value) -> Value {
    match (base, extra) {
        (Value::Object(mut base), Value::Object(extra)) => {
            base.extend(extra.clone());
            Value::Object(base)
        }
        (base, _) => base,
    }
}

/// A deductible (`C`) or out-of-pocket (`G`) row at plan level.
fn accumulator(code: &str, level: &str, network: &str, time_code: &str, amount: &str) -> Value {
    let (level_name, network_name) =
        (if level == "IND" { "Individual" } else { "Family" }, if network == "Y" { "Yes" } else { "No" });
    let (name, time_name) = (
        if code == "C" { "Deductible" } else { "Out of Pocket (Stop Loss)" },
        if time_code == "29" { "Remaining" } else { "Calendar Year" },
    );
    json!({
        "code": code, "name": name,
        "coverageLevelCode": level, "coverageLevel": level_name,
        "serviceTypeCodes": ["30"], "serviceTypes": ["Health Benefit Plan Coverage"],
        "insuranceTypeCode": "PR", "insuranceType": "Preferred Provider Organization (PPO)",
        "planCoverage": "Blue Access PPO",
        "timeQualifierCode": time_code, "timeQualifier": time_name,
        "benefitAmount": amount,
        "inPlanNetworkIndicatorCode": network, "inPlanNetworkIndicator": network_name,
    })
}

fn aaa_error(code: &str, description: &str, followup: &str, location: &str) -> Value {
    json!({
        "field": "AAA",
        "code": code,
        "description": description,
        "followupAction": followup,
        "location": location,
        "possibleResolutions": "Check the submitted details against the member's insurance card.",
    })
}

impl Templates {
    /// Builds every answer, with plan dates in `year`.
    pub fn new(year: i32) -> Templates {
        let plan_range = format!("{year}0101-{year}1231");
        Templates {
            active_ppo: active_ppo(&plan_range, year),
            inactive: inactive(year),
            subscriber_not_found: Template::rejection(
                400,
                aaa_error("75", "Subscriber/Insured Not Found", "Please Correct and Resubmit", "Loop 2100C"),
                false,
            ),
            name_mismatch: Template::rejection(
                200,
                aaa_error("73", "Invalid/Missing Subscriber/Insured Name", "Please Correct and Resubmit", "Loop 2100C"),
                false,
            ),
            birth_date_mismatch: Template::rejection(
                200,
                aaa_error(
                    "71",
                    "Patient Birth Date Does Not Match That for the Patient on the Database",
                    "Please Correct and Resubmit",
                    "Loop 2100C",
                ),
                false,
            ),
            medicare_advantage: medicare_advantage(&plan_range),
            busy: Template::rejection(
                200,
                aaa_error("42", "Unable to Respond at Current Time", "Resubmission Allowed", "Loop 2100A"),
                true,
            ),
        }
    }
}

/// `ACT…`: an Anthem-like "Blue Access PPO" with intensive-outpatient substance-use and mental-health benefits.
fn active_ppo(plan_range: &str, year: i32) -> Template {
    let ppo = json!({
        "insuranceTypeCode": "PR", "insuranceType": "Preferred Provider Organization (PPO)",
        "planCoverage": "Blue Access PPO", "coverageLevelCode": "IND", "coverageLevel": "Individual",
    });
    let carve_out = json!({
        "benefitsRelatedEntity": {
            "entityIdentifier": "Third-Party Administrator",
            "entityType": "Non-Person Entity",
            "entityName": "Carelon Behavioral Health",
            "contactInformation": {
                "contacts": [{ "communicationMode": "Telephone", "communicationNumber": "8005550199" }]
            }
        }
    });
    let in_net = json!({ "inPlanNetworkIndicatorCode": "Y", "inPlanNetworkIndicator": "Yes" });
    let out_net = json!({ "inPlanNetworkIndicatorCode": "N", "inPlanNetworkIndicator": "No" });
    let visit = json!({ "timeQualifierCode": "27", "timeQualifier": "Visit" });
    let ai = bh_types(&["AI"]);
    let mh = bh_types(&["MH", "CF"]);
    let auth_yes = json!({ "authOrCertIndicator": "Y" });
    let auth_no = json!({ "authOrCertIndicator": "N" });
    let merge = |parts: &[&Value]| parts.iter().fold(json!({}), |acc, part| benefit(acc, part));

    let rows = vec![
        merge(&[
            &json!({ "code": "1", "name": "Active Coverage", "serviceTypeCodes": ["30"],
                     "serviceTypes": ["Health Benefit Plan Coverage"],
                     "benefitsDateInformation": { "plan": plan_range } }),
            &ppo,
        ]),
        merge(&[&json!({ "code": "1", "name": "Active Coverage" }), &bh_types(&["AI", "MH", "CF"]), &ppo, &carve_out]),
        accumulator("C", "IND", "Y", "23", "1500"),
        accumulator("C", "IND", "Y", "29", "600"),
        accumulator("C", "FAM", "Y", "23", "3000"),
        accumulator("C", "FAM", "Y", "29", "2100"),
        accumulator("C", "IND", "N", "23", "3000"),
        accumulator("C", "IND", "N", "29", "3000"),
        accumulator("C", "FAM", "N", "23", "6000"),
        accumulator("C", "FAM", "N", "29", "6000"),
        accumulator("G", "IND", "Y", "23", "6000"),
        accumulator("G", "IND", "Y", "29", "4350"),
        accumulator("G", "FAM", "Y", "23", "12000"),
        accumulator("G", "FAM", "Y", "29", "9800"),
        accumulator("G", "IND", "N", "23", "12000"),
        accumulator("G", "IND", "N", "29", "12000"),
        merge(&[
            &json!({ "code": "B", "name": "Co-Payment", "benefitAmount": "35",
                     "additionalInformation": [{ "description": "Intensive outpatient program (IOP), per visit" }] }),
            &ai,
            &ppo,
            &in_net,
            &visit,
            &auth_yes,
        ]),
        merge(&[
            &json!({ "code": "A", "name": "Co-Insurance", "benefitPercent": "0.2" }),
            &ai,
            &ppo,
            &in_net,
            &auth_yes,
        ]),
        merge(&[
            &json!({ "code": "A", "name": "Co-Insurance", "benefitPercent": "0.4",
                         "additionalInformation": [{ "description": "Out-of-network deductible applies first" }] }),
            &ai,
            &ppo,
            &out_net,
            &auth_yes,
        ]),
        merge(&[
            &json!({ "code": "F", "name": "Limitations", "benefitQuantity": "30",
                     "quantityQualifierCode": "VS", "quantityQualifier": "Visits",
                     "timeQualifierCode": "23", "timeQualifier": "Calendar Year",
                     "inPlanNetworkIndicatorCode": "W", "inPlanNetworkIndicator": "Not Applicable",
                     "additionalInformation": [{
                         "description": "Intensive outpatient substance use treatment: combined in and out of network"
                     }] }),
            &ai,
        ]),
        merge(&[
            &json!({ "code": "B", "name": "Co-Payment", "benefitAmount": "30" }),
            &mh,
            &ppo,
            &in_net,
            &visit,
            &auth_no,
        ]),
        merge(&[
            &json!({ "code": "A", "name": "Co-Insurance", "benefitPercent": "0.2" }),
            &mh,
            &ppo,
            &in_net,
            &auth_no,
        ]),
        merge(&[
            &json!({ "code": "A", "name": "Co-Insurance", "benefitPercent": "0.4" }),
            &mh,
            &ppo,
            &out_net,
            &auth_no,
        ]),
        json!({
            "code": "P", "name": "Benefit Disclaimer",
            "additionalInformation": [{
                "description": "Benefits are subject to the terms of the plan and the member's eligibility on the date \
                                of service. This is not a guarantee of payment."
            }]
        }),
    ];
    let fixed = json!({
        "planInformation": {
            "groupNumber": "KY45P0123", "groupDescription": "Bluegrass Manufacturing Co", "planNumber": "BAPPO1500"
        },
        "planDateInformation": { "plan": plan_range, "eligibilityBegin": format!("{}0301", year - 3) },
        "planStatus": [{ "statusCode": "1", "status": "Active Coverage", "planDetails": "Blue Access PPO",
                         "serviceTypeCodes": ["30", "AI", "MH", "CF"] }],
        "benefitsInformation": rows,
    });
    Template::new(200, "Bluegrass Health Plan (sandbox)", fixed)
}

/// `INA…`: the plan ended last year, like the third-party answer 000041.
fn inactive(year: i32) -> Template {
    let last = year - 1;
    let fixed = json!({
        "planDateInformation": { "plan": format!("{last}0101-{last}1231"), "eligibilityEnd": format!("{last}1231") },
        "planStatus": [{
            "statusCode": "6", "status": "Inactive", "planDetails": "Blue Access PPO", "serviceTypeCodes": ["30"]
        }],
        "benefitsInformation": [
            { "code": "6", "name": "Inactive", "planCoverage": "Blue Access PPO",
              "insuranceTypeCode": "PR", "insuranceType": "Preferred Provider Organization (PPO)",
              "serviceTypeCodes": ["30"], "serviceTypes": ["Health Benefit Plan Coverage"] }
        ],
    });
    Template::new(200, "Bluegrass Health Plan (sandbox)", fixed)
}

/// `MA…`: a Humana-like Medicare Advantage HMO: a brand that also sells commercial plans, so only the answer
/// (insurance type `HN`/`MA`, the plan name) shows it is Medicare.
fn medicare_advantage(plan_range: &str) -> Template {
    let hmo = json!({
        "insuranceTypeCode": "HN", "insuranceType": "HMO - Medicare Risk",
        "planCoverage": "Humana Gold Plus HMO (Medicare Advantage)",
        "coverageLevelCode": "IND", "coverageLevel": "Individual",
    });
    let rows = vec![
        benefit(
            json!({ "code": "1", "name": "Active Coverage", "serviceTypeCodes": ["30"],
                        "serviceTypes": ["Health Benefit Plan Coverage"] }),
            &hmo,
        ),
        json!({ "code": "1", "name": "Active Coverage", "insuranceTypeCode": "MA", "insuranceType": "Medicare Part A",
                "serviceTypeCodes": ["30"], "serviceTypes": ["Health Benefit Plan Coverage"] }),
        benefit(
            benefit(
                json!({ "code": "B", "name": "Co-Payment", "benefitAmount": "20",
                               "inPlanNetworkIndicatorCode": "Y" }),
                &bh_types(&["MH", "AI"]),
            ),
            &hmo,
        ),
    ];
    let fixed = json!({
        "planInformation": { "planDescription": "Humana Gold Plus H1036-236 (HMO)" },
        "planDateInformation": { "plan": plan_range },
        "planStatus": [{ "statusCode": "1", "status": "Active Coverage",
                         "planDetails": "Humana Gold Plus HMO (Medicare Advantage)", "serviceTypeCodes": ["30"] }],
        "benefitsInformation": rows,
    });
    Template::new(200, "Humana (sandbox)", fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_choose_scenarios_case_insensitively_on_the_compacted_id() {
        let cases = [
            ("ACT100001", Scenario::ActivePpo),
            ("act-100 001", Scenario::ActivePpo),
            ("ZZZ999", Scenario::ActivePpo),
            ("INA2", Scenario::Inactive),
            ("nf 1", Scenario::SubscriberNotFound),
            ("MM12", Scenario::NameMismatch),
            ("DOB-7", Scenario::BirthDateMismatch),
            ("MA777", Scenario::MedicareAdvantage),
            ("busy1", Scenario::Busy),
            ("ERR500", Scenario::ServerError),
            ("SLOW250", Scenario::Slow(Duration::from_millis(250))),
            ("SLOW", Scenario::Slow(DEFAULT_SLOW_DELAY)),
            ("SLOW-X1", Scenario::Slow(DEFAULT_SLOW_DELAY)),
            ("SLOW99999999999", Scenario::Slow(MAX_SLOW_DELAY)),
            ("BAD1", Scenario::Garbage),
        ];
        for (member_id, expected) in cases {
            assert_eq!(Scenario::for_member_id(member_id), expected, "{member_id}");
        }
    }

    #[test]
    fn forced_scenario_names_choose_their_scenario_and_unknown_names_none() {
        let cases = [
            ("hang", Some(Scenario::Hang)),
            ("server_error", Some(Scenario::ServerError)),
            ("busy", Some(Scenario::Busy)),
            ("garbage", Some(Scenario::Garbage)),
            ("active", Some(Scenario::ActivePpo)),
            ("active_ppo", Some(Scenario::ActivePpo)),
            ("inactive", Some(Scenario::Inactive)),
            ("medicare_advantage", Some(Scenario::MedicareAdvantage)),
            ("slow", None),
            ("HANG", None),
            ("", None),
        ];
        for (name, expected) in cases {
            assert_eq!(Scenario::forced(name), expected, "{name:?}");
        }
    }

    #[test]
    fn every_forced_scenario_is_named_as_it_is_forced() {
        for name in ["hang", "server_error", "busy", "garbage", "inactive", "medicare_advantage"] {
            let scenario = Scenario::forced(name).expect("a forced scenario");

            assert_eq!(scenario.name(), name);
        }
    }

    #[test]
    fn no_member_id_chooses_the_hang_scenario() {
        for member_id in ["HANG1", "hang", "H4NG"] {
            assert_ne!(Scenario::for_member_id(member_id), Scenario::Hang, "{member_id}");
        }
    }

    #[test]
    fn a_rendered_answer_is_json_echoing_the_request() {
        let templates = Templates::new(2026);
        let request: SandboxRequest = serde_json::from_value(json!({
            "controlNumber": "123456789",
            "tradingPartnerServiceId": "SANDBOX",
            "subscriber": { "memberId": "NF1", "firstName": "Canary", "lastName": "Zyx", "dateOfBirth": "19900101" }
        }))
        .expect("valid request");

        let body = templates.subscriber_not_found.render(&request);

        let doc: Value = serde_json::from_str(&body).expect("valid JSON");
        assert_eq!(doc["controlNumber"], "123456789");
        assert_eq!(doc["subscriber"]["firstName"], "Canary");
        assert_eq!(doc["subscriber"]["aaaErrors"][0]["code"], "75");
        assert_eq!(doc["errors"][0]["code"], "75");
        assert_eq!(templates.subscriber_not_found.status, 400);
    }
}
