//! The carrier directory: which carriers the clinic can ask electronically, how to reach each one, and how an
//! applicant's card (payer ID, carrier name as typed) finds its carrier.
//!
//! The directory is a TOML file the operator edits (the documented starter is `data/carriers/kentucky.toml`): one
//! `[[carriers]]` table per route. Credentials are never in the file: a route names the environment variables that
//! hold them. With no file configured the service runs in sandbox mode ([`Directory::sandbox`]): one route to the
//! built-in carrier simulator that accepts every card.
//!
//! A card finds its route by payer ID first, then by the carrier name the applicant typed: exactly (after
//! [`normalise_name`]), then by the fuzzy levels of the `matching` module, which prefer no carrier to a wrong one.
//! A route that answers in batch only (`realtime = false`) is matched but never called: [`Directory::routing`]
//! says so, and the verification fails as "carrier not supported" for a person to verify.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::{Deserialize, Serialize};

use crate::domain::{InsuranceCard, RouteChoice, Routing};

mod matching;

use matching::{NameIndex, RouteKeys};

/// The route id of the built-in sandbox carrier.
pub const SANDBOX_ROUTE_ID: &str = "sandbox";
/// The payer ID sent to the sandbox when the card carries none.
pub const SANDBOX_PAYER_ID: &str = "SANDBOX";
/// Payer IDs starting with this mark a placeholder for the sandbox simulator (the real ID could not be confirmed):
/// refused on `https` routes, which reach real clearinghouses (see [`CarrierRoute::is_sandbox_endpoint`]).
pub const SANDBOX_PAYER_ID_PREFIX: &str = "SANDBOX";
/// Connect timeout when a route does not set one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Request timeout when a route does not set one: the CAQH CORE real-time response target.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Service types asked when a route does not list its own: plan coverage, substance abuse, mental health.
pub const DEFAULT_SERVICE_TYPES: [&str; 3] = ["30", "AI", "MH"];
/// Calls in flight to one carrier when a route does not set `max_concurrency`.
pub const DEFAULT_MAX_CONCURRENCY: u32 = 16;
/// The X12 interchange ID qualifier used when a route does not set one: `ZZ`, mutually defined.
pub const DEFAULT_X12_QUALIFIER: &str = "ZZ";
/// The clinic's X12 sender ID on routes to the sandbox simulator that do not set one.
pub const SANDBOX_X12_SENDER_ID: &str = "IVSANDBOXCLINIC";
/// The receiver ID on routes to the sandbox simulator that do not set one.
pub const SANDBOX_X12_RECEIVER_ID: &str = "IVSANDBOXPAYER";
/// Longest X12 interchange sender or receiver ID (ISA06 / ISA08 are 15 characters, space-padded).
pub const MAX_X12_ID_LEN: usize = 15;

/// The wire format a carrier speaks. Each variant needs its connector, so matches over this enum are kept
/// exhaustive on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireFormat {
    /// Change Healthcare / Stedi "eligibility v3" JSON (`POST {base_url}/medicalnetwork/eligibility/v3`).
    EligibilityJsonV3,
    /// A clearinghouse's raw-X12 endpoint: a JSON body carrying the X12 270 text, answered with the 271 text (as
    /// Change Healthcare and Stedi offer). Needs the route's [`X12Identity`].
    X12RawJson,
    /// CAQH CORE connectivity vC2.2.0: the X12 270 in an HTTP MIME multipart envelope (PayloadType,
    /// ProcessingMode, PayloadID, TimeStamp, SenderID, ReceiverID, CORERuleVersion, Payload, and the credentials
    /// as `UserName` / `Password` fields). Needs the route's [`X12Identity`].
    CaqhCore,
}

impl WireFormat {
    /// Stable text for logs and the directory file.
    pub fn as_str(self) -> &'static str {
        match self {
            WireFormat::EligibilityJsonV3 => "eligibility_json_v3",
            WireFormat::X12RawJson => "x12_raw_json",
            WireFormat::CaqhCore => "caqh_core",
        }
    }

    /// True for the formats that send an X12 270 and so need an interchange identity.
    pub fn is_x12(self) -> bool {
        match self {
            WireFormat::EligibilityJsonV3 => false,
            WireFormat::X12RawJson | WireFormat::CaqhCore => true,
        }
    }
}

/// The X12 interchange usage indicator (ISA15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum X12Usage {
    /// Production data (`P`).
    #[default]
    Production,
    /// Test data (`T`).
    Test,
}

impl X12Usage {
    /// The ISA15 code: `P` or `T`.
    pub fn isa15(self) -> char {
        match self {
            X12Usage::Production => 'P',
            X12Usage::Test => 'T',
        }
    }
}

/// Who the clinic is and whom it addresses in an X12 interchange (ISA05-08, GS02-03; for CAQH CORE, the
/// `SenderID` and `ReceiverID` fields). Written as a `[carriers.x12]` table under the route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct X12Identity {
    /// ISA05, the sender ID qualifier: two letters or digits, default `ZZ` (mutually defined).
    #[serde(default = "default_x12_qualifier")]
    pub sender_qualifier: String,
    /// ISA06 / GS02, the clinic's interchange sender ID as the clearinghouse assigned it: 1-15 letters, digits,
    /// `-` or `.`. Required on routes to a real (`https`) endpoint (the clinic's ID is not known here);
    /// [`SANDBOX_X12_SENDER_ID`] on sandbox routes ([`CarrierRoute::is_sandbox_endpoint`]) when left out.
    #[serde(default)]
    pub sender_id: String,
    /// ISA07, the receiver ID qualifier, default `ZZ`.
    #[serde(default = "default_x12_qualifier")]
    pub receiver_qualifier: String,
    /// ISA08 / GS03, the receiver's interchange ID (the clearinghouse or payer): same rules as `sender_id`;
    /// [`SANDBOX_X12_RECEIVER_ID`] on sandbox routes when left out.
    #[serde(default)]
    pub receiver_id: String,
    /// ISA15: `production` (default) or `test`.
    #[serde(default)]
    pub usage: X12Usage,
}

impl X12Identity {
    /// The identity used with the sandbox simulator: `ZZ` qualifiers, the sandbox IDs, test usage.
    pub fn sandbox() -> X12Identity {
        X12Identity {
            sender_qualifier: DEFAULT_X12_QUALIFIER.to_owned(),
            sender_id: SANDBOX_X12_SENDER_ID.to_owned(),
            receiver_qualifier: DEFAULT_X12_QUALIFIER.to_owned(),
            receiver_id: SANDBOX_X12_RECEIVER_ID.to_owned(),
            usage: X12Usage::Test,
        }
    }
}

fn default_x12_qualifier() -> String {
    DEFAULT_X12_QUALIFIER.to_owned()
}

/// One carrier the clinic can ask, and how. Every field but `id`, `display_name`, `payer_ids`, `format` and
/// `base_url` has a default; `data/carriers/kentucky.toml` documents them all in its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierRoute {
    /// Stable identifier, stored with every verification routed here (e.g. `anthem-ky`). Lower-case letters,
    /// digits, `-` and `_`.
    pub id: String,
    /// The carrier's name for people (logs, the CLI, admissions screens). Applicants typing it are matched too.
    pub display_name: String,
    /// Payer IDs (as the clearinghouse knows them, leading zeros kept) that route here. The first one is sent
    /// when a card matched by name only.
    #[serde(default)]
    pub payer_ids: Vec<String>,
    /// Other names and aliases applicants type for this carrier. Matched exactly after normalisation (case,
    /// punctuation and `&`/`and` do not matter), after dropping noise words ("insurance", "inc", "of Kentucky",
    /// "PPO"...), and within a few letters' misspelling.
    #[serde(default)]
    pub names: Vec<String>,
    /// Brand words that still mean this carrier when the applicant types a plan name after them ("Humana" in
    /// "Humana ChoiceCare PPO"). Default none: a route without brands matches whole names only.
    #[serde(default)]
    pub brands: Vec<String>,
    /// Phrases that, in a typed name, mean another company even after one of this carrier's brands ("Military"
    /// for Humana: Humana Military is TRICARE). Default none.
    #[serde(default)]
    pub not_names: Vec<String>,
    /// The wire format the endpoint speaks.
    pub format: WireFormat,
    /// Endpoint base URL, e.g. `http://127.0.0.1:9700` or `https://healthcare.us.stedi.com/2024-04-01/change`;
    /// the connector appends the format's path.
    pub base_url: String,
    /// Whether the carrier answers eligibility in real time (default `true`). A batch-only carrier is never called:
    /// its cards fail as "carrier not supported" and are verified by a person.
    #[serde(default = "default_true")]
    pub realtime: bool,
    /// Name of the environment variable holding the bearer token for this endpoint, when it needs one. The token
    /// itself never appears in the directory file.
    #[serde(default)]
    pub credential_env: Option<String>,
    /// CAQH CORE routes: name of the environment variable holding the CORE user name (sent as the `UserName`
    /// multipart field). Set together with `password_env`; required on `caqh_core` routes to a real (`https`)
    /// endpoint.
    #[serde(default)]
    pub username_env: Option<String>,
    /// CAQH CORE routes: name of the environment variable holding the CORE password (the `Password` field).
    #[serde(default)]
    pub password_env: Option<String>,
    /// How long to wait for a TCP (and TLS) connection. Written like `3s` or `500ms`; default 3 s.
    #[serde(with = "humantime_serde", default = "default_connect_timeout")]
    pub connect_timeout: Duration,
    /// How long one whole call may take, connection included. Written like `20s`; default 20 s.
    #[serde(with = "humantime_serde", default = "default_request_timeout")]
    pub request_timeout: Duration,
    /// X12 service type codes to ask about; default `["30", "AI", "MH"]`.
    #[serde(default = "default_service_types")]
    pub service_types: Vec<String>,
    /// Whether the carrier answers only one service type per request (default `false`): the dispatcher then
    /// asks `30` and each other category in separate requests and merges the answers.
    #[serde(default)]
    pub one_service_type_per_request: bool,
    /// Calls in flight to this carrier at once, from one process (default 16, at least 1).
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: u32,
    /// Calls started per second to this carrier, from one process; default none (no rate limit). At least 1 when
    /// set.
    #[serde(default)]
    pub requests_per_second: Option<u32>,
    /// The X12 interchange identity (`[carriers.x12]`), for `x12_raw_json` and `caqh_core` routes only. Filled in
    /// with defaults when loaded, so every X12 route has one afterwards.
    #[serde(default)]
    pub x12: Option<X12Identity>,
}

fn default_true() -> bool {
    true
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

fn default_max_concurrency() -> u32 {
    DEFAULT_MAX_CONCURRENCY
}

impl CarrierRoute {
    /// True when the route points at the sandbox simulator rather than a real clearinghouse: its base URL is plain
    /// `http`. Real eligibility endpoints are always `https` (PHI never travels unencrypted to a carrier); the
    /// simulator listens on plain http, on loopback or in the compose stack. On such routes X12 identities and CORE
    /// credentials may be left to their sandbox defaults.
    pub fn is_sandbox_endpoint(&self) -> bool {
        reqwest::Url::parse(&self.base_url).is_ok_and(|url| url.scheme() == "http")
    }

    /// The payer ID sent when a card matched this route by name: the first listed.
    pub fn primary_payer_id(&self) -> Option<&str> {
        self.payer_ids.first().map(|id| id.trim())
    }
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
    /// Two routes claim the same name, alias or brand (after normalisation, or once noise words are dropped).
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
    /// Names, brands and exclusions for the fuzzy levels, in route order.
    names: NameIndex,
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
            brands: Vec::new(),
            not_names: Vec::new(),
            format: WireFormat::EligibilityJsonV3,
            base_url: base_url.trim_end_matches('/').to_owned(),
            realtime: true,
            credential_env: None,
            username_env: None,
            password_env: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            service_types: default_service_types(),
            one_service_type_per_request: false,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            requests_per_second: None,
            x12: None,
        };
        Directory {
            routes: vec![route],
            sandbox: true,
            by_payer_id: HashMap::new(),
            by_name: HashMap::new(),
            names: NameIndex::default(),
        }
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

    /// Replaces every route's bulkhead size (sandbox mode: the built-in simulator takes as many calls as the
    /// dispatcher makes, so its lane is sized to the dispatcher's concurrency rather than a real carrier's).
    #[must_use]
    pub fn with_max_concurrency(mut self, max_concurrency: u32) -> Directory {
        for route in &mut self.routes {
            route.max_concurrency = max_concurrency.max(1);
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

    /// Validates routes into a directory: unique ids, payer IDs, names and brands; absolute http(s) URLs; non-zero
    /// timeouts and limits; environment variable names; at least one payer ID per route (a name match must know
    /// what to send); a valid X12 identity on X12 routes (filled in with the sandbox defaults on sandbox routes).
    pub fn from_routes(routes: Vec<CarrierRoute>) -> Result<Directory, DirectoryError> {
        if routes.is_empty() {
            return Err(DirectoryError::Empty);
        }
        let mut by_payer_id: HashMap<String, usize> = HashMap::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        // Noise-free cores of every name and brand: two routes sharing one would make the fuzzy levels ambiguous.
        let mut by_core: HashMap<String, usize> = HashMap::new();
        let mut keys = Vec::with_capacity(routes.len());
        let mut routes = routes;
        for index in 0..routes.len() {
            let route = &mut routes[index];
            route.base_url = route.base_url.trim().trim_end_matches('/').to_owned();
            validate_route(route)?;
            fill_x12_defaults(route)?;
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
            let route_keys = RouteKeys::new(
                std::iter::once(&route.display_name).chain(&route.names),
                &route.brands,
                &route.not_names,
            );
            for (text, key) in std::iter::once(&route.display_name)
                .chain(&route.names)
                .chain(&route.brands)
                .zip(route_keys.names.iter().chain(&route_keys.brands))
            {
                if key.is_empty() {
                    // A display name of noise words only ("Health Insurance Company") matches nothing fuzzily but
                    // is still a valid label; an alias or brand that can never match is a mistake in the file.
                    if text != &route.display_name {
                        return Err(invalid_route(route, &format!("name `{text}` has nothing but noise words")));
                    }
                    continue;
                }
                match by_core.get(key.compact()) {
                    Some(&first) if first != index => {
                        return Err(DirectoryError::DuplicateName {
                            name: key.compact().to_owned(),
                            first: routes[first].id.clone(),
                            second: route.id.clone(),
                        });
                    }
                    _ => {
                        by_core.insert(key.compact().to_owned(), index);
                    }
                }
            }
            if route_keys.brands.iter().any(|brand| brand.compact().chars().count() < 3) {
                return Err(invalid_route(route, "brands must keep at least 3 letters once noise words are dropped"));
            }
            if let Some(text) = route.not_names.iter().zip(&route_keys.not_names).find(|(_, key)| key.is_empty()) {
                return Err(invalid_route(route, &format!("not_names entry `{}` has nothing but noise words", text.0)));
            }
            keys.push(route_keys);
        }
        Ok(Directory { routes, sandbox: false, by_payer_id, by_name, names: NameIndex::new(keys) })
    }

    /// The route a card belongs to and the payer ID to send, whether the carrier answers in real time or not: its
    /// payer ID first (exact, case-insensitive), then the carrier name as typed ([`Directory::match_name`]). In
    /// sandbox mode every card goes to the sandbox, with the card's payer ID or [`SANDBOX_PAYER_ID`]. `None`: the
    /// carrier is not in the directory, or the name does not say which carrier it is.
    pub fn match_card(&self, card: &InsuranceCard) -> Option<RouteChoice> {
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
        let route = self.match_name(&card.carrier_name)?;
        let payer_id = route.primary_payer_id()?.to_owned();
        Some(RouteChoice { carrier: route.id.clone(), payer_id })
    }

    /// What to do with a card the screening forwarded: call its carrier in real time, or (batch-only carrier, or
    /// no carrier at all) fail it as "carrier not supported" for a person to verify.
    pub fn routing(&self, card: &InsuranceCard) -> Routing {
        let Some(choice) = self.match_card(card) else {
            return Routing::UnknownCarrier;
        };
        match self.route(&choice.carrier) {
            Some(route) if !route.realtime => {
                Routing::BatchOnly { route: choice, carrier_name: route.display_name.clone() }
            }
            _ => Routing::Route(choice),
        }
    }

    /// The real-time route for a card: [`Directory::routing`] when it says to call the carrier, else `None`.
    pub fn resolve(&self, card: &InsuranceCard) -> Option<RouteChoice> {
        match self.routing(card) {
            Routing::Route(choice) => Some(choice),
            Routing::BatchOnly { .. } | Routing::UnknownCarrier => None,
        }
    }

    /// The route a typed carrier name means: exactly after [`normalise_name`], then by the fuzzy levels (noise
    /// words, brands followed by plan names, misspellings), which give `None` rather than guess between carriers.
    /// In sandbox mode every name means the sandbox.
    pub fn match_name(&self, typed: &str) -> Option<&CarrierRoute> {
        if self.sandbox {
            return self.routes.first();
        }
        let index = match self.by_name.get(&normalise_name(typed)) {
            Some(&index) => index,
            None => self.names.find(typed)?,
        };
        self.routes.get(index)
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

fn invalid_route(route: &CarrierRoute, reason: &str) -> DirectoryError {
    DirectoryError::InvalidRoute { id: route.id.clone(), reason: reason.to_owned() }
}

/// True for a usable environment variable name: a letter or `_`, then letters, digits and `_`.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn validate_route(route: &CarrierRoute) -> Result<(), DirectoryError> {
    let invalid = |reason: &str| invalid_route(route, reason);
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
    if route.max_concurrency == 0 {
        return Err(invalid("max_concurrency must be at least 1"));
    }
    if route.requests_per_second == Some(0) {
        return Err(invalid("requests_per_second must be at least 1 when set (leave it out for no limit)"));
    }
    if route.service_types.is_empty()
        || route
            .service_types
            .iter()
            .any(|code| code.is_empty() || code.len() > 3 || !code.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(invalid("service_types must list X12 service type codes such as \"30\" or \"AI\""));
    }
    for (key, value) in [
        ("credential_env", &route.credential_env),
        ("username_env", &route.username_env),
        ("password_env", &route.password_env),
    ] {
        if let Some(name) = value
            && !is_env_name(name)
        {
            return Err(invalid(&format!(
                "{key} must be an environment variable name (a letter or '_', then letters, digits and '_'), not a value"
            )));
        }
    }
    if route.username_env.is_some() != route.password_env.is_some() {
        return Err(invalid("username_env and password_env are set together"));
    }
    if route.username_env.is_some() && route.format != WireFormat::CaqhCore {
        return Err(invalid("username_env and password_env apply to caqh_core routes only"));
    }
    if route.x12.is_some() && !route.format.is_x12() {
        return Err(invalid("an x12 table applies to x12_raw_json and caqh_core routes only"));
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
    if !route.is_sandbox_endpoint()
        && route.payer_ids.iter().any(|id| id.trim().to_ascii_uppercase().starts_with(SANDBOX_PAYER_ID_PREFIX))
    {
        return Err(invalid(
            "a payer ID starting with SANDBOX is a placeholder for the sandbox simulator: replace it with the \
             carrier's real payer ID before pointing the route at a clearinghouse",
        ));
    }
    let real_endpoint = !route.is_sandbox_endpoint();
    if route.format == WireFormat::CaqhCore && real_endpoint && route.username_env.is_none() {
        return Err(invalid("caqh_core routes need username_env and password_env (CORE sends them with each request)"));
    }
    Ok(())
}

/// Gives every X12 route its identity: the file's `[carriers.x12]` table, with the sandbox IDs where the route
/// points at the sandbox simulator and leaves them out. Validates qualifiers and IDs.
fn fill_x12_defaults(route: &mut CarrierRoute) -> Result<(), DirectoryError> {
    if !route.format.is_x12() {
        return Ok(());
    }
    let sandbox = route.is_sandbox_endpoint();
    let mut identity = match route.x12.take() {
        Some(identity) => identity,
        None if sandbox => X12Identity::sandbox(),
        None => {
            return Err(invalid_route(
                route,
                "x12_raw_json and caqh_core routes need an [carriers.x12] table with sender_id and receiver_id",
            ));
        }
    };
    for (key, id, sandbox_default) in [
        ("sender_id", &mut identity.sender_id, SANDBOX_X12_SENDER_ID),
        ("receiver_id", &mut identity.receiver_id, SANDBOX_X12_RECEIVER_ID),
    ] {
        *id = id.trim().to_owned();
        if id.is_empty() {
            if !sandbox {
                return Err(invalid_route(
                    route,
                    &format!("x12.{key} is required (the clinic's ID is not known here)"),
                ));
            }
            sandbox_default.clone_into(id);
        }
        if id.len() > MAX_X12_ID_LEN || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            return Err(invalid_route(
                route,
                &format!(
                    "x12.{key} must be 1-{MAX_X12_ID_LEN} letters, digits, '-' or '.' (no X12 delimiter characters)"
                ),
            ));
        }
    }
    for (key, qualifier) in
        [("sender_qualifier", &mut identity.sender_qualifier), ("receiver_qualifier", &mut identity.receiver_qualifier)]
    {
        *qualifier = qualifier.trim().to_ascii_uppercase();
        if qualifier.len() != 2 || !qualifier.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid_route(
                route,
                &format!("x12.{key} must be a two-character ID qualifier such as \"ZZ\""),
            ));
        }
    }
    route.x12 = Some(identity);
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
    fn the_starter_directory_is_valid_and_routes_everything_to_the_simulator() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/carriers/kentucky.toml");

        let directory = Directory::load(&path).expect("starter directory loads");

        assert!(directory.routes().len() >= 10);
        assert!(directory.routes().iter().all(|route| route.base_url.starts_with("http://127.0.0.1:9700")));
        for format in [WireFormat::EligibilityJsonV3, WireFormat::X12RawJson, WireFormat::CaqhCore] {
            assert!(directory.routes().iter().any(|route| route.format == format), "{format:?} is exercised");
        }
        assert!(directory.routes().iter().any(|route| route.one_service_type_per_request));
    }

    /// One route written as TOML, with `extra` lines added to its table.
    fn one_route(format: &str, base_url: &str, extra: &str) -> String {
        format!(
            "[[carriers]]\nid = \"acme\"\ndisplay_name = \"Acme Mutual\"\npayer_ids = [\"12345\"]\n\
             format = \"{format}\"\nbase_url = \"{base_url}\"\n{extra}\n"
        )
    }

    fn invalid_reason(toml: &str) -> String {
        match Directory::from_toml_str(toml) {
            Err(DirectoryError::InvalidRoute { reason, .. }) => reason,
            other => panic!("expected an invalid route, got {other:?}"),
        }
    }

    #[test]
    fn new_route_fields_take_their_documented_defaults() {
        let directory =
            Directory::from_toml_str(&one_route("eligibility_json_v3", "https://example.test", "")).expect("valid");

        let route = &directory.routes()[0];
        assert!(route.realtime);
        assert!(!route.one_service_type_per_request);
        assert_eq!(route.max_concurrency, DEFAULT_MAX_CONCURRENCY);
        assert_eq!(route.requests_per_second, None);
        assert_eq!(route.x12, None);
        assert!(route.brands.is_empty() && route.not_names.is_empty());
        assert_eq!((route.username_env.as_deref(), route.password_env.as_deref()), (None, None));
    }

    #[test]
    fn limits_must_be_positive() {
        let toml = one_route("eligibility_json_v3", "https://example.test", "max_concurrency = 0");
        assert!(invalid_reason(&toml).contains("max_concurrency"));

        let toml = one_route("eligibility_json_v3", "https://example.test", "requests_per_second = 0");
        assert!(invalid_reason(&toml).contains("requests_per_second"));

        let toml =
            one_route("eligibility_json_v3", "https://example.test", "max_concurrency = 4\nrequests_per_second = 5");
        let directory = Directory::from_toml_str(&toml).expect("valid limits");
        assert_eq!((directory.routes()[0].max_concurrency, directory.routes()[0].requests_per_second), (4, Some(5)));
    }

    #[test]
    fn x12_routes_to_the_simulator_get_the_sandbox_identity() {
        for format in ["x12_raw_json", "caqh_core"] {
            let directory = Directory::from_toml_str(&one_route(format, "http://127.0.0.1:9700", "")).expect(format);

            assert_eq!(directory.routes()[0].x12, Some(X12Identity::sandbox()), "{format}");
        }
        let partial =
            one_route("x12_raw_json", "http://sandbox-carrier:9700", "[carriers.x12]\nsender_id = \"CLINIC01\"");
        let directory = Directory::from_toml_str(&partial).expect("partial identity on a sandbox route");
        let identity = directory.routes()[0].x12.clone().expect("identity");
        assert_eq!(identity.sender_id, "CLINIC01");
        assert_eq!(identity.receiver_id, SANDBOX_X12_RECEIVER_ID);
        assert_eq!((identity.sender_qualifier.as_str(), identity.usage), ("ZZ", X12Usage::Production));
    }

    #[test]
    fn x12_routes_to_a_real_endpoint_need_sender_and_receiver_ids() {
        let bare = one_route("x12_raw_json", "https://clearinghouse.test", "");
        assert!(invalid_reason(&bare).contains("sender_id and receiver_id"));

        let no_receiver =
            one_route("x12_raw_json", "https://clearinghouse.test", "[carriers.x12]\nsender_id = \"CLINIC01\"");
        assert!(invalid_reason(&no_receiver).contains("receiver_id is required"));

        let complete = one_route(
            "x12_raw_json",
            "https://clearinghouse.test",
            "[carriers.x12]\nsender_qualifier = \"30\"\nsender_id = \"611234567\"\nreceiver_id = \"STEDI\"\nusage = \"test\"",
        );
        let directory = Directory::from_toml_str(&complete).expect("complete identity");
        let identity = directory.routes()[0].x12.clone().expect("identity");
        assert_eq!((identity.sender_qualifier.as_str(), identity.sender_id.as_str()), ("30", "611234567"));
        assert_eq!((identity.receiver_qualifier.as_str(), identity.usage.isa15()), ("ZZ", 'T'));
    }

    #[test]
    fn x12_ids_longer_than_fifteen_or_carrying_delimiters_are_refused() {
        for bad in ["SIXTEENCHARSLONG", "CLINIC*01", "CLINIC~01", "CLINIC:01", "CLINIC^01", "CLINIC|01", "CLINIC>01"] {
            let toml = one_route(
                "caqh_core",
                "http://127.0.0.1:9700",
                &format!("[carriers.x12]\nsender_id = \"{bad}\"\nreceiver_id = \"PAYER\""),
            );
            assert!(invalid_reason(&toml).contains("x12.sender_id"), "{bad}");
        }
        let fifteen =
            one_route("caqh_core", "http://127.0.0.1:9700", "[carriers.x12]\nreceiver_id = \"FIFTEENCHARSLNG\"");
        assert!(Directory::from_toml_str(&fifteen).is_ok(), "15 characters is the ISA maximum");

        let qualifier = one_route("caqh_core", "http://127.0.0.1:9700", "[carriers.x12]\nsender_qualifier = \"ZZZ\"");
        assert!(invalid_reason(&qualifier).contains("sender_qualifier"));

        let usage = one_route("caqh_core", "http://127.0.0.1:9700", "[carriers.x12]\nusage = \"staging\"");
        assert!(matches!(Directory::from_toml_str(&usage), Err(DirectoryError::Parse { .. })));
    }

    #[test]
    fn an_x12_table_on_a_json_route_is_a_mistake() {
        let toml = one_route("eligibility_json_v3", "http://127.0.0.1:9700", "[carriers.x12]\nsender_id = \"A\"");

        assert!(invalid_reason(&toml).contains("x12 table"));
    }

    #[test]
    fn credentials_are_environment_variable_names_never_values() {
        for bad in ["Bearer abc123", "my-token", "1TOKEN", ""] {
            let toml = one_route("eligibility_json_v3", "https://example.test", &format!("credential_env = \"{bad}\""));
            let reason = invalid_reason(&toml);
            assert!(reason.contains("credential_env"), "{bad}");
            assert!(bad.is_empty() || !reason.contains(bad), "the value is not echoed: {reason}");
        }
        let good = one_route("eligibility_json_v3", "https://example.test", "credential_env = \"_ACME_TOKEN_2\"");
        assert!(Directory::from_toml_str(&good).is_ok());
    }

    #[test]
    fn caqh_core_credentials_come_in_pairs_and_only_on_core_routes() {
        let x12 = "[carriers.x12]\nsender_id = \"CLINIC01\"\nreceiver_id = \"PAYER01\"";
        let real = "https://core.example.test";

        let missing = one_route("caqh_core", real, x12);
        assert!(invalid_reason(&missing).contains("username_env and password_env"));

        let half = one_route("caqh_core", real, &format!("username_env = \"ACME_CORE_USER\"\n{x12}"));
        assert!(invalid_reason(&half).contains("set together"));

        let both = one_route(
            "caqh_core",
            real,
            &format!("username_env = \"ACME_CORE_USER\"\npassword_env = \"ACME_CORE_PASSWORD\"\n{x12}"),
        );
        let directory = Directory::from_toml_str(&both).expect("complete CORE route");
        assert_eq!(directory.routes()[0].password_env.as_deref(), Some("ACME_CORE_PASSWORD"));

        let on_json = one_route(
            "eligibility_json_v3",
            real,
            "username_env = \"ACME_CORE_USER\"\npassword_env = \"ACME_CORE_PASSWORD\"",
        );
        assert!(invalid_reason(&on_json).contains("caqh_core routes only"));

        let sandbox = one_route("caqh_core", "http://127.0.0.1:9700", "");
        assert!(Directory::from_toml_str(&sandbox).is_ok(), "the simulator needs no CORE credentials");
    }

    #[test]
    fn sandbox_placeholder_payer_ids_never_reach_a_real_clearinghouse() {
        let placeholder =
            |url: &str| one_route("eligibility_json_v3", url, "").replace("[\"12345\"]", "[\"SANDBOXACME\"]");

        assert!(invalid_reason(&placeholder("https://clearinghouse.test")).contains("placeholder"));
        assert!(Directory::from_toml_str(&placeholder("http://127.0.0.1:9700")).is_ok());
    }

    const KENTUCKY_LIKE: &str = r#"
        [[carriers]]
        id = "humana"
        display_name = "Humana"
        payer_ids = ["61101"]
        brands = ["Humana"]
        not_names = ["Military"]
        format = "eligibility_json_v3"
        base_url = "http://127.0.0.1:9700"

        [[carriers]]
        id = "caresource"
        display_name = "CareSource"
        payer_ids = ["31114"]
        brands = ["CareSource"]
        format = "eligibility_json_v3"
        base_url = "http://127.0.0.1:9700"

        [[carriers]]
        id = "carelon"
        display_name = "Carelon Behavioral Health"
        names = ["Beacon Health Options"]
        payer_ids = ["SANDBOXCARELON"]
        format = "eligibility_json_v3"
        base_url = "http://127.0.0.1:9700"
        realtime = false
    "#;

    #[test]
    fn misspelt_and_decorated_names_find_their_carrier_and_near_misses_do_not() {
        let directory = Directory::from_toml_str(KENTUCKY_LIKE).expect("valid directory");
        let id = |typed: &str| directory.match_name(typed).map(|route| route.id.as_str());

        assert_eq!(id("Humanna"), Some("humana"));
        assert_eq!(id("HUMANA INSURANCE COMPANY of Kentucky"), Some("humana"));
        assert_eq!(id("Humana ChoiceCare PPO"), Some("humana"));
        assert_eq!(id("Care Source"), Some("caresource"));
        assert_eq!(id("Beacon Health Options"), Some("carelon"));
        assert_eq!(id("Humana Military"), None, "TRICARE, not Humana's commercial plans");
        assert_eq!(id("Human Resources"), None);
        assert_eq!(id("Insurance Company"), None, "nothing but noise words");
    }

    #[test]
    fn a_batch_only_carrier_is_matched_but_not_routed_for_a_call() {
        let directory = Directory::from_toml_str(KENTUCKY_LIKE).expect("valid directory");
        let choice = RouteChoice { carrier: "carelon".into(), payer_id: "SANDBOXCARELON".into() };

        let routing = directory.routing(&card("Carelon Behavioural Health", None));

        assert_eq!(
            routing,
            Routing::BatchOnly { route: choice.clone(), carrier_name: "Carelon Behavioral Health".into() }
        );
        assert_eq!(directory.resolve(&card("Carelon Behavioral Health", None)), None);
        assert_eq!(directory.match_card(&card("Carelon Behavioral Health", None)), Some(choice));
        assert_eq!(directory.routing(&card("Bluegrass Mutual", None)), Routing::UnknownCarrier);
        assert!(matches!(directory.routing(&card("Humana", None)), Routing::Route(_)));
    }

    #[test]
    fn names_that_collide_once_noise_words_are_dropped_are_refused() {
        let toml = KENTUCKY_LIKE.replace("names = [\"Beacon Health Options\"]", "names = [\"Care Source Inc\"]");
        assert!(matches!(Directory::from_toml_str(&toml), Err(DirectoryError::DuplicateName { .. })));

        let noise = KENTUCKY_LIKE.replace("names = [\"Beacon Health Options\"]", "names = [\"Health Insurance Co\"]");
        assert!(invalid_reason(&noise).contains("noise words"));

        let short_brand = KENTUCKY_LIKE.replace("brands = [\"CareSource\"]", "brands = [\"CS Inc\"]");
        assert!(invalid_reason(&short_brand).contains("brands"));
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
