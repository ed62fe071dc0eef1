//! Typed, layered configuration: built-in defaults < a TOML file < environment variables (`IV_` prefix,
//! `__` between levels, e.g. `IV_DISPATCHER__MAX_ATTEMPTS=3`). Validated once at start-up.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The file read when it exists and no other file is named.
pub const DEFAULT_CONFIG_FILE: &str = "insurance-verifier.toml";
/// The hard ceiling on `wait_for_result`: CAQH CORE's real-time response target.
pub const WAIT_FOR_RESULT_CEILING: Duration = Duration::from_secs(20);

/// Errors reading or validating the configuration. Never contains secret values.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A layer could not be read or a value has the wrong type.
    #[error("configuration could not be read: {0}")]
    Read(#[from] Box<figment::Error>),
    /// The values were read but make no sense together.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole service configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where the gRPC server listens. Default `127.0.0.1:50051`.
    pub listen_addr: SocketAddr,
    /// Directory for the embedded SQLite database (created when missing). Default `var`.
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`. Default: a SQLite file
    /// `insurance-verifier.db` under `data_dir`.
    pub database_url: Option<String>,
    /// PostgreSQL schema to use (created when missing); default: the server's `search_path`.
    pub database_schema: Option<String>,
    /// Most connections the pool opens. Default 10.
    pub database_max_connections: u32,
    /// The carrier directory (TOML). Absent: sandbox mode, every card is routed to the built-in simulator.
    pub carrier_directory: Option<PathBuf>,
    /// Where the in-process sandbox carrier listens in sandbox mode. Default `127.0.0.1:0` (any free port).
    pub sandbox_listen_addr: SocketAddr,
    /// The clinic as the provider in eligibility requests.
    pub provider: ProviderSettings,
    /// Submit behaviour.
    pub submit: SubmitSettings,
    /// The carrier work loop.
    pub dispatcher: DispatcherSettings,
    /// Logs.
    pub log: LogSettings,
    /// Bearer tokens per role.
    pub auth: AuthSettings,
    /// Traces exported over OTLP (off by default).
    pub telemetry: TelemetrySettings,
    /// The Prometheus endpoint and the HTTP liveness/readiness answers beside it.
    pub metrics: MetricsSettings,
    /// Readiness: how the store is checked.
    pub health: HealthSettings,
    /// How long shutdown waits for in-flight RPCs and carrier calls. Default `25s`.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
}

/// An identifier made of digits, written as text or as a number: environment variables of digits reach serde as
/// numbers.
fn text_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(u64),
    }
    Ok(match Raw::deserialize(deserializer)? {
        Raw::Text(text) => text,
        Raw::Number(number) => number.to_string(),
    })
}

/// The clinic's identity towards carriers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// The clinic's 10-digit NPI. Default: the CMS documentation example `1234567893` (sandbox only). Read as
    /// text even when written as a bare number (`IV_PROVIDER__NPI=1234567893`, or unquoted in TOML).
    #[serde(deserialize_with = "text_or_number")]
    pub npi: String,
    /// The clinic's organisation name as carriers know it.
    pub organization_name: String,
}

/// Submit behaviour.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitSettings {
    /// The longest `wait_for_result` honoured; longer requests are capped to it. Default and maximum `20s`.
    #[serde(with = "humantime_serde")]
    pub max_wait_for_result: Duration,
    /// RPCs of the verification service being served at once (waits for results included) before more are
    /// refused with `RESOURCE_EXHAUSTED`, so a flood is turned away quickly instead of queueing without bound.
    /// Health checks are not counted. Default 2048.
    pub max_in_flight: u32,
}

/// The carrier work loop.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatcherSettings {
    /// Carrier calls in flight at once in this process. Default 64.
    pub concurrency: u32,
    /// How often idle workers look for due work (retries, other replicas' submits). Default `500ms`.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// How long a claim is held before another worker may take it over. Must exceed the carrier timeout.
    /// Default `60s`.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// Attempts per verification, the first included, before it fails as "carrier unavailable". Default 5.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time, with full jitter. Default `2s`.
    #[serde(with = "humantime_serde")]
    pub backoff_base: Duration,
    /// Longest backoff between attempts. Default `5m`.
    #[serde(with = "humantime_serde")]
    pub backoff_max: Duration,
    /// Connect timeout for carriers in sandbox mode (the directory sets its own per carrier). Default `2s`.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Request timeout for carriers in sandbox mode. Default `20s` (CAQH CORE real-time target).
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// How long a verification may stay pending, from its submit (or from a person's retry request) to its last
    /// carrier attempt: a retry that would fall later fails it as "carrier unavailable" for a person to verify by
    /// phone, and work still waiting then (say, behind an open circuit) is closed without a call. Default `30m`.
    #[serde(with = "humantime_serde")]
    pub verification_deadline: Duration,
    /// Each carrier's circuit breaker.
    pub circuit_breaker: CircuitBreakerSettings,
    /// Each carrier's retry budget: retries allowed on top of first attempts, so a failing carrier cannot
    /// multiply the load sent to it.
    pub retry_budget: RetryBudgetSettings,
}

/// A carrier's circuit breaker (one per carrier and process). It opens when, over `window`, at least
/// `minimum_calls` calls were made and fewer than `1 - failure_rate` of them succeeded, or after
/// `consecutive_failures` failures in a row. While open, that carrier's work is left waiting (not failed); after
/// the open period one probe call is let through: success closes the breaker, failure opens it again for longer.
/// Answers of any kind, and refusals that are about the request, count as successes; timeouts, connection errors,
/// 429/5xx, AAA 42/79/80 and unreadable answers as failures.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreakerSettings {
    /// Failure rate (0-1) over `window` that opens the breaker. Default 0.5.
    pub failure_rate: f64,
    /// Calls needed in `window` before the rate counts. Default 10.
    pub minimum_calls: u32,
    /// Window the failure rate is measured over (whole seconds, at least 1s). Default `30s`.
    #[serde(with = "humantime_serde")]
    pub window: Duration,
    /// Failures in a row that open the breaker whatever the rate. Default 5.
    pub consecutive_failures: u32,
    /// First open period (at least 1s; jittered between half and all of it); each failed probe doubles it.
    /// Default `5s`.
    #[serde(with = "humantime_serde")]
    pub open_for: Duration,
    /// Longest open period. Default `2m`.
    #[serde(with = "humantime_serde")]
    pub open_for_max: Duration,
}

/// A carrier's retry budget (one per carrier and process), as Finagle's and tower's: every first attempt
/// deposits `percent` of a retry, valid for `window`; `min_per_second` retries are always allowed. A retry found
/// with an empty budget is postponed, not counted as an attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryBudgetSettings {
    /// Retries allowed per first attempt (0-10). Default 0.2 (one retry per five requests).
    pub percent: f32,
    /// Retries always allowed per second. Default 2.
    pub min_per_second: u32,
    /// How long a deposit counts (1s-60s). Default `10s`.
    #[serde(with = "humantime_serde")]
    pub window: Duration,
}

/// Log output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` (for people) or `json` (for log shippers). Default `text`.
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `insurance_verifier=debug,info`. `RUST_LOG` wins when set.
    pub filter: String,
}

/// Traces: OpenTelemetry spans exported over OTLP/gRPC to a collector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// The collector's OTLP/gRPC endpoint, e.g. `http://otel-collector:4317`. Absent (the default): no spans are
    /// exported and no trace context is kept or forwarded.
    pub otlp_endpoint: Option<String>,
    /// The `service.name` resource attribute every span carries. Default `insurance-verifier`.
    pub service_name: String,
    /// Fraction (0-1) of traces started here that are sampled. A trace the website started (a `traceparent`
    /// in the call's metadata) follows the website's decision instead. Default 1.0.
    pub sampling_ratio: f64,
    /// How long one export to the collector may take before it is abandoned. Default `10s`.
    #[serde(with = "humantime_serde")]
    pub export_timeout: Duration,
}

/// The Prometheus endpoint: `GET /metrics` (text format), with `GET /livez` and `GET /readyz` beside it for
/// orchestrators that probe over HTTP.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve the endpoint. Default true.
    pub enabled: bool,
    /// Where it listens. Default `127.0.0.1:9464`; in a container, `0.0.0.0:9464` behind a network policy
    /// (metrics carry no PHI, and the endpoint takes no token so Prometheus can scrape it).
    pub listen_addr: SocketAddr,
    /// How often this replica reads the queue's depth and oldest pending age from the store. Default `5s`.
    #[serde(with = "humantime_serde")]
    pub queue_poll_interval: Duration,
}

/// Readiness: the gRPC health service answers SERVING only while the store answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSettings {
    /// How often the store is checked (a trivial query). Default `2s`.
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
    /// How long a check may take before the store counts as down. Default `2s`.
    #[serde(with = "humantime_serde")]
    pub check_timeout: Duration,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Bearer tokens per role. Set them through the environment (`IV_AUTH__WEBSITE_TOKENS='["..."]'`) or a file
/// readable only by the service; they are never logged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Tokens of the website backend: may submit.
    #[serde(default, serialize_with = "serialize_redacted")]
    pub website_tokens: Vec<SecretString>,
    /// Tokens of admissions dashboards: may get and list.
    #[serde(default, serialize_with = "serialize_redacted")]
    pub admissions_tokens: Vec<SecretString>,
    /// Tokens of ops tooling: may read the carrier lanes' state (`ListCarrierStatus`). Health checks and `/metrics`
    /// take no token (they carry no PHI).
    #[serde(default, serialize_with = "serialize_redacted")]
    pub ops_tokens: Vec<SecretString>,
}

impl AuthSettings {
    /// True when no token of any role is configured: authentication is off and only loopback is allowed.
    pub fn is_disabled(&self) -> bool {
        self.website_tokens.is_empty() && self.admissions_tokens.is_empty() && self.ops_tokens.is_empty()
    }
}

fn serialize_redacted<S: serde::Serializer>(tokens: &[SecretString], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(tokens.iter().map(|_| "<redacted>"))
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            data_dir: PathBuf::from("var"),
            database_url: None,
            database_schema: None,
            database_max_connections: 10,
            carrier_directory: None,
            sandbox_listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            provider: ProviderSettings {
                npi: "1234567893".to_owned(),
                organization_name: "Sandbox Recovery Clinic".to_owned(),
            },
            submit: SubmitSettings { max_wait_for_result: WAIT_FOR_RESULT_CEILING, max_in_flight: 2048 },
            dispatcher: DispatcherSettings {
                concurrency: 64,
                poll_interval: Duration::from_millis(500),
                lease: Duration::from_secs(60),
                max_attempts: 5,
                backoff_base: Duration::from_secs(2),
                backoff_max: Duration::from_secs(300),
                connect_timeout: Duration::from_secs(2),
                request_timeout: Duration::from_secs(20),
                verification_deadline: Duration::from_secs(30 * 60),
                circuit_breaker: CircuitBreakerSettings {
                    failure_rate: 0.5,
                    minimum_calls: 10,
                    window: Duration::from_secs(30),
                    consecutive_failures: 5,
                    open_for: Duration::from_secs(5),
                    open_for_max: Duration::from_secs(120),
                },
                retry_budget: RetryBudgetSettings { percent: 0.2, min_per_second: 2, window: Duration::from_secs(10) },
            },
            log: LogSettings { format: LogFormat::Text, filter: "info".to_owned() },
            auth: AuthSettings::default(),
            telemetry: TelemetrySettings {
                otlp_endpoint: None,
                service_name: "insurance-verifier".to_owned(),
                sampling_ratio: 1.0,
                export_timeout: Duration::from_secs(10),
            },
            metrics: MetricsSettings {
                enabled: true,
                listen_addr: SocketAddr::from(([127, 0, 0, 1], 9464)),
                queue_poll_interval: Duration::from_secs(5),
            },
            health: HealthSettings { check_interval: Duration::from_secs(2), check_timeout: Duration::from_secs(2) },
            shutdown_grace: Duration::from_secs(25),
        }
    }
}

/// Figment quotes the offending value in its errors ("found string \"...\""): for the `auth` section that value
/// is a token, so such errors are replaced by a fixed message that names the key only.
fn redact_secrets(error: figment::Error) -> ConfigError {
    let secret_keys: Vec<String> = error
        .clone()
        .into_iter()
        .filter(|e| e.path.first().is_some_and(|key| key == "auth"))
        .map(|e| e.path.join("."))
        .collect();
    if secret_keys.is_empty() {
        return ConfigError::Read(Box::new(error));
    }
    ConfigError::Invalid(format!(
        "{}: expected a list of token strings, e.g. IV_AUTH__WEBSITE_TOKENS='[\"...\"]' (the value is not shown)",
        secret_keys.join(", ")
    ))
}

impl Settings {
    /// Reads defaults, then `file` (or `insurance-verifier.toml` when it exists and no file is named), then
    /// `IV_*` environment variables, and validates the result.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE)),
            None => {}
        }
        // `IV_` variables that belong to the CLI client and the test suite, not to the service.
        let not_settings = ["CONFIG", "SERVER", "TOKEN", "TEST_POSTGRES_URL"];
        let env = Env::prefixed("IV_").ignore(&not_settings).split("__");
        let settings: Settings = figment.merge(env).extract().map_err(redact_secrets)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks the values against each other.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.auth.is_disabled() && !self.listen_addr.ip().is_loopback() {
            return Err(ConfigError::Invalid(format!(
                "no bearer tokens are configured, so the service only listens on loopback; refusing to listen on \
                 {}: set auth.website_tokens / auth.admissions_tokens (IV_AUTH__WEBSITE_TOKENS=...) or listen on \
                 127.0.0.1",
                self.listen_addr
            )));
        }
        let all_tokens =
            self.auth.website_tokens.iter().chain(&self.auth.admissions_tokens).chain(&self.auth.ops_tokens);
        if all_tokens.clone().any(|t| t.expose_secret().len() < 16) {
            return Err(ConfigError::Invalid("every bearer token must be at least 16 characters".to_owned()));
        }
        if self.submit.max_wait_for_result > WAIT_FOR_RESULT_CEILING {
            return Err(ConfigError::Invalid("submit.max_wait_for_result may be at most 20s".to_owned()));
        }
        if self.dispatcher.concurrency == 0 || self.dispatcher.max_attempts == 0 {
            return Err(ConfigError::Invalid("dispatcher.concurrency and max_attempts must be at least 1".to_owned()));
        }
        if self.dispatcher.lease <= self.dispatcher.request_timeout {
            return Err(ConfigError::Invalid(
                "dispatcher.lease must be longer than dispatcher.request_timeout, or a slow call loses its claim"
                    .to_owned(),
            ));
        }
        if self.submit.max_in_flight == 0 {
            return Err(ConfigError::Invalid("submit.max_in_flight must be at least 1".to_owned()));
        }
        let breaker = &self.dispatcher.circuit_breaker;
        if !(0.0..=1.0).contains(&breaker.failure_rate)
            || breaker.window < Duration::from_secs(1)
            || breaker.consecutive_failures == 0
            || breaker.open_for < Duration::from_secs(1)
            || breaker.open_for_max < breaker.open_for
        {
            return Err(ConfigError::Invalid(
                "dispatcher.circuit_breaker: failure_rate must be within 0-1, window at least 1s, \
                 consecutive_failures at least 1, open_for at least 1s and open_for_max at least open_for"
                    .to_owned(),
            ));
        }
        let budget = &self.dispatcher.retry_budget;
        if !(0.0..=10.0).contains(&budget.percent)
            || budget.window < Duration::from_secs(1)
            || budget.window > Duration::from_secs(60)
        {
            return Err(ConfigError::Invalid(
                "dispatcher.retry_budget: percent must be within 0-10 and window within 1s-60s".to_owned(),
            ));
        }
        if self.dispatcher.verification_deadline < self.dispatcher.request_timeout {
            return Err(ConfigError::Invalid(
                "dispatcher.verification_deadline must be at least dispatcher.request_timeout".to_owned(),
            ));
        }
        if self.provider.npi.len() != 10 || !self.provider.npi.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::Invalid("provider.npi must be 10 digits".to_owned()));
        }
        if !(0.0..=1.0).contains(&self.telemetry.sampling_ratio) {
            return Err(ConfigError::Invalid("telemetry.sampling_ratio must be within 0-1".to_owned()));
        }
        if let Some(endpoint) = &self.telemetry.otlp_endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(
                "telemetry.otlp_endpoint must be an http:// or https:// URL (OTLP over gRPC, usually port 4317)"
                    .to_owned(),
            ));
        }
        if self.health.check_interval.is_zero()
            || self.health.check_timeout.is_zero()
            || self.metrics.queue_poll_interval.is_zero()
        {
            return Err(ConfigError::Invalid(
                "health.check_interval, health.check_timeout and metrics.queue_poll_interval must be above zero"
                    .to_owned(),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid("database_max_connections must be at least 1".to_owned()));
        }
        Ok(())
    }

    /// The database URL in effect: `database_url`, or the SQLite file under `data_dir`.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("insurance-verifier.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_use_sqlite_under_the_data_dir() {
        let settings = Settings::default();
        assert!(settings.validate().is_ok());
        assert_eq!(settings.effective_database_url(), "sqlite://var/insurance-verifier.db");
        assert_eq!(settings.listen_addr.to_string(), "127.0.0.1:50051");
    }

    #[test]
    fn listening_beyond_loopback_without_tokens_is_refused() {
        let settings = Settings { listen_addr: "0.0.0.0:50051".parse().expect("addr"), ..Settings::default() };
        let error = settings.validate().expect_err("must refuse");
        assert!(error.to_string().contains("loopback"));
    }

    #[test]
    fn listening_beyond_loopback_with_tokens_is_allowed() {
        let mut settings = Settings { listen_addr: "0.0.0.0:50051".parse().expect("addr"), ..Settings::default() };
        settings.auth.website_tokens.push(SecretString::from("website-token-0123456789"));
        assert!(settings.validate().is_ok());
    }

    #[test]
    fn short_tokens_and_overlong_waits_are_refused() {
        let mut settings = Settings::default();
        settings.auth.ops_tokens.push(SecretString::from("short"));
        assert!(settings.validate().is_err());
        let settings = Settings {
            submit: SubmitSettings { max_wait_for_result: Duration::from_secs(21), max_in_flight: 2048 },
            ..Settings::default()
        };
        assert!(settings.validate().is_err());
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closure returns figment's own (large) error type
    fn a_malformed_token_setting_is_reported_without_its_value() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("IV_AUTH__WEBSITE_TOKENS", "website-secret-0123456789");
            let error = Settings::load(None).expect_err("a bare string is not a list");
            let shown = error.to_string();
            assert!(shown.contains("auth.website_tokens"), "{shown}");
            assert!(!shown.contains("website-secret"), "{shown}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closure returns figment's own (large) error type
    fn an_npi_of_bare_digits_in_the_environment_is_read_as_text() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("IV_PROVIDER__NPI", "1245319599");
            let settings = Settings::load(None).expect("digits are an NPI");
            assert_eq!(settings.provider.npi, "1245319599");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closure returns figment's own (large) error type
    fn telemetry_metrics_and_health_settings_come_from_the_environment_and_are_checked() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("IV_TELEMETRY__OTLP_ENDPOINT", "http://otel-collector:4317");
            jail.set_env("IV_TELEMETRY__SAMPLING_RATIO", "0.25");
            jail.set_env("IV_METRICS__LISTEN_ADDR", "0.0.0.0:9464");
            jail.set_env("IV_HEALTH__CHECK_INTERVAL", "500ms");
            let settings = Settings::load(None).expect("valid");
            assert_eq!(settings.telemetry.otlp_endpoint.as_deref(), Some("http://otel-collector:4317"));
            assert!((settings.telemetry.sampling_ratio - 0.25).abs() < f64::EPSILON);
            assert_eq!(settings.metrics.listen_addr.to_string(), "0.0.0.0:9464");
            assert_eq!(settings.health.check_interval, Duration::from_millis(500));
            jail.set_env("IV_TELEMETRY__SAMPLING_RATIO", "1.5");
            assert!(Settings::load(None).is_err(), "a ratio above 1");
            jail.set_env("IV_TELEMETRY__SAMPLING_RATIO", "1");
            jail.set_env("IV_TELEMETRY__OTLP_ENDPOINT", "otel-collector:4317");
            assert!(Settings::load(None).is_err(), "an endpoint without a scheme");
            Ok(())
        });
    }

    #[test]
    fn traces_are_off_and_metrics_on_loopback_by_default() {
        let settings = Settings::default();
        assert_eq!(settings.telemetry.otlp_endpoint, None);
        assert!(settings.metrics.enabled);
        assert_eq!(settings.metrics.listen_addr.to_string(), "127.0.0.1:9464");
    }

    #[test]
    fn serialised_settings_never_show_tokens() {
        let mut settings = Settings::default();
        settings.auth.admissions_tokens.push(SecretString::from("admissions-secret-0123456789"));
        let shown = serde_json::to_string(&settings).expect("serialise");
        assert!(!shown.contains("admissions-secret"));
    }
}
