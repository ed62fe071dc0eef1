//! The carrier directory: which carriers the clinic can ask electronically, how to reach each one, and how an
//! applicant's card (payer ID, carrier name as typed) finds its carrier.
//!
//! The directory is a TOML file the operator edits (see `data/carriers/example.toml`): one `[[carriers]]` table
//! per route. Credentials are never in the file: a route names the environment variable that holds its bearer
//! token. With no file configured the service runs in sandbox mode ([`Directory::sandbox`]): one route to the
//! built-in carrier simulator that accepts every card.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::{Deserialize, Serialize};

use crate::domain::{InsuranceCard, RouteChoice};

/// The route id of the built-in sandbox carrier.
pub const SANDBOX_ROUTE_ID: &str = "sandbox";
/// The payer ID sent to the sandbox when the card carries none.
pub const SANDBOX_PAYER_ID: &str = "SANDBOX";
/// Connect timeout when a route does not set one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Request timeout when a route does not set one: the CAQH CORE real-time response target.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Service types asked when a route does not list its own: plan coverage, substance abuse, mental health.
pub const DEFAULT_SERVICE_TYPES: [&str; 3] = ["30", "AI", "MH"];

/// The wire format a carrier speaks. X12 270/271 forms come with a later issue; each new variant needs its
/// connector, so matches over this enum are kept exhaustive on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireFormat {
    /// Change Healthcare / Stedi "eligibility v3" JSON (`POST {base_url}/medicalnetwork/eligibility/v3`).
    EligibilityJsonV3,
}

impl WireFormat {
    /// Stable text for logs and the directory file.
    pub fn as_str(self) -> &'static str {
        match self {
            WireFormat::EligibilityJsonV3 => "eligibility_json_v3",
        }
    }
}

/// One carrier the clinic can ask, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierRoute {
    /// Stable identifier, stored with every verification routed here (e.g. `anthem-ky`). Lower-case letters,
    /// digits, `-` and `_`.
    pub id: String,
    /// The carrier's name for people (logs, the CLI, admissions screens).
    pub display_name: String,
    /// Payer IDs (as the clearinghouse knows them, leading zeros kept) that route here. The first one is sent
    /// when a card matched by name only.
    #[serde(default)]
    pub payer_ids: Vec<String>,
    /// Other names and aliases applicants type for this carrier (matched after normalisation: case,
    /// punctuation and `&`/`and` do not matter). The display name always matches too.
    #[serde(default)]
    pub names: Vec<String>,
    /// The wire format the endpoint speaks.
    pub format: WireFormat,
    /// Endpoint base URL, e.g. `http://127.0.0.1:9700` or `https://healthcare.us.stedi.com/2024-04-01/change`;
    /// the connector appends the format's path (`/medicalnetwork/eligibility/v3`).
    pub base_url: String,
    /// Name of the environment variable holding the bearer token for this endpoint, when it needs one. The
    /// token itself never appears in the directory file.
    #[serde(default)]
    pub credential_env: Option<String>,
    /// How long to wait for a TCP (and TLS) connection. Written like `3s` or `500ms`.
    #[serde(with = "humantime_serde", default = "default_connect_timeout")]
    pub connect_timeout: Duration,
    /// How long one whole call may take, connection included. Written like `20s`.
    #[serde(with = "humantime_serde", default = "default_request_timeout")]
    pub request_timeout: Duration,
    /// X12 service type codes to ask about (e.g. `30`, `AI`, `MH`).
    #[serde(default = "default_service_types")]
    pub service_types: Vec<String>,
}

fn default_connect_timeout() -> Duration {
    DEFAULT_CONNECT_TIMEOUT
}

fn default_request_timeout() -> Duration {
    DEFAULT_REQUEST_TIMEOUT
}

fn default_service_types() -> Vec<String> {
    DEFAULT_SERVICE_TYPES.iter().map(|code| (*code).to_owned()).collect()
}

/// Why a directory could not be loaded. Texts name routes, payer IDs and files, never applicant data.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The file could not be read.
    #[error("cannot read carrier directory {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not have the directory's shape.
    #[error("carrier directory {path} is malformed: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the key path.
        reason: String,
    },
    /// The directory lists no route.
    #[error("carrier directory lists no carriers")]
    Empty,
    /// Two routes share an id.
    #[error("carrier id `{0}` appears more than once")]
    DuplicateId(String),
    /// Two routes claim the same payer ID, so a card could not be routed unambiguously.
    #[error("payer ID `{payer_id}` is listed for both `{first}` and `{second}`")]
    DuplicatePayerId {
        /// The payer ID.
        payer_id: String,
        /// The first route listing it.
        first: String,
        /// The second route listing it.
        second: String,
    },
    /// Two routes claim the same name or alias (after normalisation).
    #[error("carrier name `{name}` is listed for both `{first}` and `{second}`")]
    DuplicateName {
        /// The normalised name.
        name: String,
        /// The first route listing it.
        first: String,
        /// The second route listing it.
        second: String,
    },
    /// A route's base URL is not an absolute http(s) URL.
    #[error("carrier `{id}`: base_url is not an absolute http or https URL: {reason}")]
    InvalidUrl {
        /// The route.
        id: String,
        /// Why.
        reason: String,
    },
    /// Any other invalid route setting.
    #[error("carrier `{id}`: {reason}")]
    InvalidRoute {
        /// The route.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

/// The shape of the directory file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryFile {
    #[serde(default)]
    carriers: Vec<CarrierRoute>,
}

/// The carrier directory, validated and indexed.
#[derive(Debug, Clone)]
pub struct Directory {
    routes: Vec<CarrierRoute>,
    sandbox: bool,
    /// Upper-cased payer ID -> route index.
    by_payer_id: HashMap<String, usize>,
    /// Normalised name or alias -> route index.
    by_name: HashMap<String, usize>,
}

impl Directory {
    /// Sandbox mode: one route, [`SANDBOX_ROUTE_ID`], to the built-in carrier simulator at `base_url`, which
    /// every card resolves to.
    pub fn sandbox(base_url: &str) -> Directory {
        let route = CarrierRoute {
            id: SANDBOX_ROUTE_ID.to_owned(),
            display_name: "Built-in sandbox carrier".to_owned(),
            payer_ids: Vec::new(),
            names: Vec::new(),
            format: WireFormat::EligibilityJsonV3,
            base_url: base_url.trim_end_matches('/').to_owned(),
            credential_env: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            service_types: default_service_types(),
        };
        Directory { routes: vec![route], sandbox: true, by_payer_id: HashMap::new(), by_name: HashMap::new() }
    }

    /// Replaces every route's timeouts (sandbox mode takes them from the service configuration).
    #[must_use]
    pub fn with_timeouts(mut self, connect_timeout: Duration, request_timeout: Duration) -> Directory {
        for route in &mut self.routes {
            route.connect_timeout = connect_timeout;
            route.request_timeout = request_timeout;
        }
        self
    }

    /// Loads and validates a directory file (TOML, `[[carriers]]` tables).
    pub fn load(path: impl AsRef<Path>) -> Result<Directory, DirectoryError> {
        let path = path.as_ref();
        // Read the file ourselves: figment treats a missing file as an empty one, which would hide a typo in
        // the configured path.
        let text =
            std::fs::read_to_string(path).map_err(|source| DirectoryError::Io { path: path.to_owned(), source })?;
        Directory::from_toml_str(&text).map_err(|error| match error {
            DirectoryError::Parse { reason, .. } => DirectoryError::Parse { path: path.to_owned(), reason },
            other => other,
        })
    }

    /// Parses and validates directory TOML text.
    pub fn from_toml_str(text: &str) -> Result<Directory, DirectoryError> {
        let file: DirectoryFile = Figment::from(Toml::string(text))
            .extract()
            .map_err(|error| DirectoryError::Parse { path: PathBuf::from("<text>"), reason: error.to_string() })?;
        Directory::from_routes(file.carriers)
    }

    /// Validates routes into a directory: unique ids, payer IDs and names; absolute http(s) URLs; non-zero
    /// timeouts; at least one payer ID per route (a name match must know what to send).
    pub fn from_routes(routes: Vec<CarrierRoute>) -> Result<Directory, DirectoryError> {
        if routes.is_empty() {
            return Err(DirectoryError::Empty);
        }
        let mut by_payer_id: HashMap<String, usize> = HashMap::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut routes = routes;
        for index in 0..routes.len() {
            let route = &mut routes[index];
            route.base_url = route.base_url.trim().trim_end_matches('/').to_owned();
            validate_route(route)?;
            let route = &routes[index];
            if routes[..index].iter().any(|earlier| earlier.id == route.id) {
                return Err(DirectoryError::DuplicateId(route.id.clone()));
            }
            for payer_id in &route.payer_ids {
                let key = payer_id.trim().to_ascii_uppercase();
                if let Some(&first) = by_payer_id.get(&key)
                    && first != index
                {
                    return Err(DirectoryError::DuplicatePayerId {
                        payer_id: payer_id.clone(),
                        first: routes[first].id.clone(),
                        second: route.id.clone(),
                    });
                }
                by_payer_id.insert(key, index);
            }
            for name in std::iter::once(&route.display_name).chain(&route.names) {
                let key = normalise_name(name);
                if key.is_empty() {
                    continue;
                }
                match by_name.get(&key) {
                    Some(&first) if first != index => {
                        return Err(DirectoryError::DuplicateName {
                            name: key,
                            first: routes[first].id.clone(),
                            second: route.id.clone(),
                        });
                    }
                    _ => {
                        by_name.insert(key, index);
                    }
                }
            }
        }
        Ok(Directory { routes, sandbox: false, by_payer_id, by_name })
    }

    /// Finds the route for a card: its payer ID first (exact, case-insensitive), then its carrier name or an
    /// alias (after [`normalise_name`]). In sandbox mode every card goes to the sandbox, with the card's payer
    /// ID or [`SANDBOX_PAYER_ID`]. `None`: no electronic route, the carrier is not supported.
    pub fn resolve(&self, card: &InsuranceCard) -> Option<RouteChoice> {
        if self.sandbox {
            let payer_id = card.payer_id.as_ref().map_or(SANDBOX_PAYER_ID, |id| id.as_str());
            return Some(RouteChoice { carrier: SANDBOX_ROUTE_ID.to_owned(), payer_id: payer_id.to_owned() });
        }
        if let Some(payer_id) = &card.payer_id {
            let key = payer_id.as_str().to_ascii_uppercase();
            if let Some(&index) = self.by_payer_id.get(&key) {
                let route = &self.routes[index];
                // Send the directory's spelling of the payer ID: it is the one the clearinghouse knows.
                let spelled = route
                    .payer_ids
                    .iter()
                    .find(|candidate| candidate.trim().eq_ignore_ascii_case(&key))
                    .map_or(key.clone(), |candidate| candidate.trim().to_owned());
                return Some(RouteChoice { carrier: route.id.clone(), payer_id: spelled });
            }
        }
        let index = *self.by_name.get(&normalise_name(&card.carrier_name))?;
        let route = &self.routes[index];
        let payer_id = route.payer_ids.first()?.trim().to_owned();
        Some(RouteChoice { carrier: route.id.clone(), payer_id })
    }

    /// The route with this id.
    pub fn route(&self, id: &str) -> Option<&CarrierRoute> {
        self.routes.iter().find(|route| route.id == id)
    }

    /// True in sandbox mode (no directory file: every card goes to the built-in simulator).
    pub fn is_sandbox(&self) -> bool {
        self.sandbox
    }

    /// Every route, in file order.
    pub fn routes(&self) -> &[CarrierRoute] {
        &self.routes
    }
}

fn validate_route(route: &CarrierRoute) -> Result<(), DirectoryError> {
    let invalid = |reason: &str| DirectoryError::InvalidRoute { id: route.id.clone(), reason: reason.to_owned() };
    if route.id.is_empty()
        || !route.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(invalid("id must be lower-case letters, digits, '-' and '_'"));
    }
    if route.display_name.trim().is_empty() {
        return Err(invalid("display_name is required"));
    }
    if route.payer_ids.is_empty() {
        return Err(invalid("payer_ids must list at least one payer ID (sent when a card matches by name)"));
    }
    if route.payer_ids.iter().any(|id| id.trim().is_empty() || !id.trim().chars().all(|c| c.is_ascii_alphanumeric())) {
        return Err(invalid("payer IDs must be letters and digits"));
    }
    if route.connect_timeout.is_zero() || route.request_timeout.is_zero() {
        return Err(invalid("timeouts must be greater than zero"));
    }
    if route.service_types.is_empty()
        || route
            .service_types
            .iter()
            .any(|code| code.is_empty() || code.len() > 3 || !code.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(invalid("service_types must list X12 service type codes such as \"30\" or \"AI\""));
    }
    if let Some(env) = &route.credential_env
        && (env.is_empty() || !env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(invalid("credential_env must be an environment variable name (letters, digits, '_')"));
    }
    let url = reqwest::Url::parse(&route.base_url)
        .map_err(|error| DirectoryError::InvalidUrl { id: route.id.clone(), reason: error.to_string() })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(DirectoryError::InvalidUrl { id: route.id.clone(), reason: "scheme must be http or https".into() });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(DirectoryError::InvalidUrl {
            id: route.id.clone(),
            reason: "must not carry a query or fragment".into(),
        });
    }
    Ok(())
}

/// Normalises a carrier name for exact matching: lower case, `&` read as `and`, every run of other
/// punctuation and whitespace collapsed to one space.
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.chars() {
        if c == '&' {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str("and");
            pending_space = true;
        } else if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if c == '\'' || c == '’' {
            // "Children's" and "Childrens" are the same name.
        } else {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MemberId, PayerId, PlanType};

    fn card(carrier_name: &str, payer_id: Option<&str>) -> InsuranceCard {
        InsuranceCard {
            carrier_name: carrier_name.to_owned(),
            plan_name: None,
            payer_id: payer_id.map(|id| PayerId::parse(id).expect("valid payer id")),
            member_id: MemberId::parse("ACT100001").expect("valid member id"),
            group_number: None,
            plan_type: PlanType::Employer,
        }
    }

    const TWO_CARRIERS: &str = r#"
        [[carriers]]
        id = "anthem-ky"
        display_name = "Anthem Blue Cross and Blue Shield"
        payer_ids = ["00660"]
        names = ["Anthem", "Anthem BCBS"]
        format = "eligibility_json_v3"
        base_url = "http://127.0.0.1:9700/"
        connect_timeout = "2s"
        request_timeout = "15s"

        [[carriers]]
        id = "humana"
        display_name = "Humana"
        payer_ids = ["61101"]
        format = "eligibility_json_v3"
        base_url = "http://127.0.0.1:9700"
        credential_env = "HUMANA_TOKEN"
    "#;

    #[test]
    fn a_directory_file_loads_with_defaults_for_what_it_leaves_out() {
        let directory = Directory::from_toml_str(TWO_CARRIERS).expect("valid directory");

        let anthem = directory.route("anthem-ky").expect("anthem route");
        let humana = directory.route("humana").expect("humana route");
        assert_eq!(anthem.base_url, "http://127.0.0.1:9700", "trailing slash trimmed");
        assert_eq!(anthem.request_timeout, Duration::from_secs(15));
        assert_eq!(humana.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(humana.service_types, ["30", "AI", "MH"]);
        assert_eq!(humana.credential_env.as_deref(), Some("HUMANA_TOKEN"));
        assert!(!directory.is_sandbox());
    }

    #[test]
    fn payer_id_wins_over_the_typed_name() {
        let directory = Directory::from_toml_str(TWO_CARRIERS).expect("valid directory");

        let choice = directory.resolve(&card("Anthem", Some("61101")));

        assert_eq!(choice, Some(RouteChoice { carrier: "humana".into(), payer_id: "61101".into() }));
    }

    #[test]
    fn names_match_after_normalisation_and_send_the_first_payer_id() {
        let directory = Directory::from_toml_str(TWO_CARRIERS).expect("valid directory");

        for typed in ["anthem blue cross & blue shield", "ANTHEM  BCBS", "Anthem.", "  humana "] {
            assert!(directory.resolve(&card(typed, None)).is_some(), "{typed}");
        }
        assert_eq!(directory.resolve(&card("Anthem BCBS", None)).map(|c| c.payer_id), Some("00660".into()));
        assert_eq!(directory.resolve(&card("Blue Cross of Nowhere", None)), None);
    }

    #[test]
    fn sandbox_mode_routes_every_card_to_the_sandbox() {
        let directory = Directory::sandbox("http://127.0.0.1:9700/");

        assert!(directory.is_sandbox());
        assert_eq!(
            directory.resolve(&card("Anything at all", None)),
            Some(RouteChoice { carrier: SANDBOX_ROUTE_ID.into(), payer_id: SANDBOX_PAYER_ID.into() })
        );
        assert_eq!(directory.resolve(&card("x", Some("12345"))).map(|c| c.payer_id), Some("12345".into()));
        assert_eq!(directory.route(SANDBOX_ROUTE_ID).map(|r| r.base_url.as_str()), Some("http://127.0.0.1:9700"));
    }

    #[test]
    fn duplicate_ids_payer_ids_and_names_are_refused() {
        let twice =
            format!("{TWO_CARRIERS}\n{}", TWO_CARRIERS.replace("anthem-ky", "other").replace("humana\"", "h2\""));
        assert!(matches!(Directory::from_toml_str(&twice), Err(DirectoryError::DuplicatePayerId { .. })));

        let same_id = TWO_CARRIERS.replace("\"humana\"\n", "\"anthem-ky\"\n");
        assert!(matches!(Directory::from_toml_str(&same_id), Err(DirectoryError::DuplicateId(_))));

        let same_name = TWO_CARRIERS.replace("display_name = \"Humana\"", "display_name = \"Anthem B.C.B.S.\"");
        let same_name =
            same_name.replace("names = [\"Anthem\", \"Anthem BCBS\"]", "names = [\"Anthem\", \"anthem b c b s\"]");
        assert!(matches!(Directory::from_toml_str(&same_name), Err(DirectoryError::DuplicateName { .. })));
    }

    #[test]
    fn bad_urls_timeouts_and_unknown_keys_are_refused() {
        let ftp = TWO_CARRIERS.replace("http://127.0.0.1:9700/", "ftp://127.0.0.1/");
        assert!(matches!(Directory::from_toml_str(&ftp), Err(DirectoryError::InvalidUrl { .. })));

        let relative = TWO_CARRIERS.replace("http://127.0.0.1:9700/", "/eligibility");
        assert!(matches!(Directory::from_toml_str(&relative), Err(DirectoryError::InvalidUrl { .. })));

        let zero = TWO_CARRIERS.replace("\"2s\"", "\"0s\"");
        assert!(matches!(Directory::from_toml_str(&zero), Err(DirectoryError::InvalidRoute { .. })));

        let typo = TWO_CARRIERS.replace("credential_env", "credentials");
        assert!(matches!(Directory::from_toml_str(&typo), Err(DirectoryError::Parse { .. })));

        assert!(matches!(Directory::from_toml_str(""), Err(DirectoryError::Empty)));
    }

    #[test]
    fn a_missing_file_is_an_error_not_an_empty_directory() {
        let error = Directory::load("/nonexistent/carriers.toml").expect_err("missing file");

        assert!(matches!(error, DirectoryError::Io { .. }));
    }

    #[test]
    fn the_shipped_example_directory_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/carriers/example.toml");

        let directory = Directory::load(&path).expect("example directory loads");

        assert!(directory.routes().len() >= 2);
        assert!(directory.routes().iter().all(|route| route.base_url.starts_with("http://127.0.0.1:9700")));
    }

    #[test]
    fn name_normalisation_ignores_case_punctuation_and_ampersands() {
        assert_eq!(normalise_name("  Anthem Blue Cross & Blue-Shield "), "anthem blue cross and blue shield");
        assert_eq!(normalise_name("UnitedHealthcare (UHC)"), "unitedhealthcare uhc");
        assert_eq!(normalise_name("Children's Mercy"), normalise_name("Childrens Mercy"));
        assert_eq!(normalise_name("&"), "and");
        assert_eq!(normalise_name("---"), "");
    }
}
