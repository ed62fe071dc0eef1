//! The command line: `serve`, `migrate`, `simulate-carrier`, and the gRPC client commands `submit`, `get`,
//! `list` that admissions staff and engineers use from a terminal.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use crate::api::pb;
use crate::api::pb::verification_service_client::VerificationServiceClient;
use crate::config::Settings;
use crate::startup::{Application, open_store};

/// Insurance verification service: refuses Medicaid/Medicare up front, verifies commercial coverage with the
/// carrier, and keeps every request for admissions.
#[derive(Debug, Parser)]
#[command(name = "insurance-verifier", version, about)]
pub struct Cli {
    /// Configuration file (TOML). Default: `insurance-verifier.toml` when it exists. `IV_*` variables override.
    #[arg(long, global = true, env = "IV_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (gRPC, dispatcher; in-process sandbox carrier when no carrier directory is set).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Run the sandbox carrier simulator alone.
    SimulateCarrier {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:9700")]
        listen: SocketAddr,
    },
    /// Submit a verification as the website would, and print the result.
    Submit(Box<SubmitArgs>),
    /// Print one verification.
    Get {
        /// Connection options.
        #[command(flatten)]
        client: ClientArgs,
        /// The verification id.
        id: String,
    },
    /// Print a page of verifications in change order.
    List {
        /// Connection options.
        #[command(flatten)]
        client: ClientArgs,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        page_size: i32,
        /// Continue after this page token.
        #[arg(long, default_value = "")]
        page_token: String,
        /// Only this status (repeatable).
        #[arg(long = "status", value_enum)]
        statuses: Vec<StatusArg>,
    },
    /// Explain a stored carrier answer (an X12 271, eligibility JSON v3, a raw-X12 or CAQH CORE reply, or a JSON
    /// array of them): the normalised summary, the AAA meaning, the government-plan screening.
    Explain {
        /// The answer file (`-` reads standard input).
        file: PathBuf,
        /// Print the explanation as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Put load on a running service over gRPC and report throughput and latency percentiles, beside baselines
    /// measured in the same run (see BENCHMARKS.md).
    Loadgen(Box<crate::loadgen::LoadgenArgs>),
}

/// Where the service is and which token to present.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The service's gRPC address.
    #[arg(long, env = "IV_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// Bearer token (website role to submit, admissions role to get and list).
    #[arg(long, env = "IV_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Print the raw response as JSON-like debug output instead of the readable summary.
    #[arg(long)]
    pub raw: bool,
}

/// The form fields.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Connection options.
    #[command(flatten)]
    pub client: ClientArgs,
    /// Applicant's first name.
    #[arg(long)]
    pub first_name: String,
    /// Applicant's last name.
    #[arg(long)]
    pub last_name: String,
    /// Applicant's date of birth, YYYY-MM-DD.
    #[arg(long)]
    pub dob: String,
    /// Relationship to the policy holder.
    #[arg(long, value_enum, default_value = "self")]
    pub relationship: RelationshipArg,
    /// Policy holder's first name (when not self).
    #[arg(long, default_value = "")]
    pub subscriber_first_name: String,
    /// Policy holder's last name (when not self).
    #[arg(long, default_value = "")]
    pub subscriber_last_name: String,
    /// Policy holder's date of birth (when not self).
    #[arg(long, default_value = "")]
    pub subscriber_dob: String,
    /// Carrier name as on the card.
    #[arg(long)]
    pub carrier: String,
    /// Plan name as on the card.
    #[arg(long, default_value = "")]
    pub plan_name: String,
    /// Payer ID.
    #[arg(long, default_value = "")]
    pub payer_id: String,
    /// Member ID.
    #[arg(long)]
    pub member_id: String,
    /// Group number.
    #[arg(long, default_value = "")]
    pub group_number: String,
    /// Plan type chosen on the form.
    #[arg(long, value_enum, default_value = "unknown")]
    pub plan_type: PlanTypeArg,
    /// Phone number.
    #[arg(long, default_value = "")]
    pub phone: String,
    /// E-mail address.
    #[arg(long, default_value = "")]
    pub email: String,
    /// Preferred call time.
    #[arg(long, default_value = "")]
    pub preferred_time: String,
    /// Idempotency key.
    #[arg(long, default_value = "")]
    pub request_id: String,
    /// Wait this long for the carrier's answer (e.g. `5s`).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5s")]
    pub wait: Duration,
    /// Source label.
    #[arg(long, default_value = "cli")]
    pub source: String,
}

/// `--relationship` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RelationshipArg {
    /// The applicant holds the policy.
    #[value(name = "self")]
    SelfInsured,
    /// Spouse of the policy holder.
    Spouse,
    /// Child of the policy holder.
    Child,
    /// Other dependent.
    Other,
}

/// `--plan-type` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlanTypeArg {
    /// Employer plan.
    Employer,
    /// Marketplace plan.
    Marketplace,
    /// Medicaid.
    Medicaid,
    /// Medicare.
    Medicare,
    /// TRICARE.
    Tricare,
    /// Other.
    Other,
    /// Unknown.
    Unknown,
}

/// `--status` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    /// Refused up front.
    Rejected,
    /// Waiting for the carrier.
    Pending,
    /// The carrier answered.
    Completed,
    /// Gave up.
    Failed,
}

/// Runs a parsed command line; returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => migrate(cli.config).await,
        Command::SimulateCarrier { listen } => simulate_carrier(listen).await,
        Command::Submit(args) => submit(*args).await,
        Command::Get { client, id } => get(client, id).await,
        Command::List { client, page_size, page_token, statuses } => {
            list(client, page_size, page_token, statuses).await
        }
        Command::Explain { file, json } => explain(&file, json).await,
        Command::Loadgen(args) => crate::loadgen::run_cli(*args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", describe_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Option<PathBuf>) -> anyhow::Result<()> {
    let settings = Settings::load(config.as_deref())?;
    let traces = crate::telemetry::init_with_traces(&settings)?;
    let app = Application::build(settings).await?;
    // One fixed line, like `simulate-carrier`'s: scripts and tests that ask for port 0 read the real address here.
    println!("serving gRPC on http://{}", app.grpc_addr());
    if let Some(metrics_addr) = app.metrics_addr() {
        println!("serving metrics on http://{metrics_addr}/metrics");
    }
    let served = app.run_until(shutdown_signal()).await;
    traces.shutdown().await;
    served?;
    Ok(())
}

async fn migrate(config: Option<PathBuf>) -> anyhow::Result<()> {
    let settings = Settings::load(config.as_deref())?;
    crate::telemetry::init(&settings.log)?;
    let store = open_store(&settings).await?;
    println!("migrations applied ({})", store.backend());
    Ok(())
}

async fn simulate_carrier(listen: SocketAddr) -> anyhow::Result<()> {
    crate::telemetry::init(&crate::config::Settings::default().log)?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("sandbox carrier listening on http://{}", listener.local_addr()?);
    crate::sandbox::serve(listener, shutdown_signal()).await?;
    Ok(())
}

async fn explain(file: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let bytes = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)?;
        bytes
    } else {
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
    };
    let explanation = crate::explain::explain(&bytes, &crate::screening::Screener::embedded()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        print!("{}", crate::explain::render(&explanation));
    }
    Ok(())
}

/// An error and its causes on one line, leaving out a cause whose text the message before it already shows (our
/// errors include their cause in their message; library errors often do not).
fn describe_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (Kubernetes, systemd).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

async fn client(args: &ClientArgs) -> anyhow::Result<VerificationServiceClient<Channel>> {
    let channel = Channel::from_shared(args.server.clone())?.connect_timeout(Duration::from_secs(5)).connect().await?;
    Ok(VerificationServiceClient::new(channel))
}

fn authorised<T>(message: T, token: Option<&str>) -> anyhow::Result<Request<T>> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        let value: MetadataValue<_> = format!("Bearer {token}").parse()?;
        request.metadata_mut().insert("authorization", value);
    }
    Ok(request)
}

async fn submit(args: SubmitArgs) -> anyhow::Result<()> {
    let mut client = client(&args.client).await?;
    let subscriber = (!matches!(args.relationship, RelationshipArg::SelfInsured)).then(|| pb::Person {
        first_name: args.subscriber_first_name.clone(),
        last_name: args.subscriber_last_name.clone(),
        middle_name: String::new(),
        date_of_birth: args.subscriber_dob.clone(),
    });
    let message = pb::SubmitVerificationRequest {
        applicant: Some(pb::Person {
            first_name: args.first_name,
            last_name: args.last_name,
            middle_name: String::new(),
            date_of_birth: args.dob,
        }),
        relationship: match args.relationship {
            RelationshipArg::SelfInsured => pb::SubscriberRelationship::Self_,
            RelationshipArg::Spouse => pb::SubscriberRelationship::Spouse,
            RelationshipArg::Child => pb::SubscriberRelationship::Child,
            RelationshipArg::Other => pb::SubscriberRelationship::Other,
        } as i32,
        subscriber,
        card: Some(pb::InsuranceCard {
            carrier_name: args.carrier,
            plan_name: args.plan_name,
            payer_id: args.payer_id,
            member_id: args.member_id,
            group_number: args.group_number,
            plan_type: match args.plan_type {
                PlanTypeArg::Employer => pb::PlanType::Employer,
                PlanTypeArg::Marketplace => pb::PlanType::Marketplace,
                PlanTypeArg::Medicaid => pb::PlanType::Medicaid,
                PlanTypeArg::Medicare => pb::PlanType::Medicare,
                PlanTypeArg::Tricare => pb::PlanType::Tricare,
                PlanTypeArg::Other => pb::PlanType::Other,
                PlanTypeArg::Unknown => pb::PlanType::Unknown,
            } as i32,
        }),
        contact: Some(pb::Contact { phone: args.phone, email: args.email, preferred_time: args.preferred_time }),
        consent: true,
        source: args.source,
        request_id: args.request_id,
        wait_for_result: Some(prost_types::Duration {
            seconds: i64::try_from(args.wait.as_secs()).unwrap_or(i64::MAX),
            nanos: i32::try_from(args.wait.subsec_nanos()).unwrap_or(0),
        }),
    };
    let response = client.submit_verification(authorised(message, args.client.token.as_deref())?).await;
    let response = response.map_err(describe_status)?.into_inner();
    let verification = response.verification.unwrap_or_default();
    if args.client.raw {
        println!("{verification:#?}");
    } else {
        if response.replayed {
            println!("(replayed: this request_id was submitted before)");
        }
        print!("{}", render_verification(&verification));
    }
    Ok(())
}

async fn get(args: ClientArgs, id: String) -> anyhow::Result<()> {
    let mut client = client(&args).await?;
    let response = client
        .get_verification(authorised(pb::GetVerificationRequest { id }, args.token.as_deref())?)
        .await
        .map_err(describe_status)?
        .into_inner();
    let verification = response.verification.unwrap_or_default();
    if args.raw {
        println!("{verification:#?}");
    } else {
        print!("{}", render_verification(&verification));
    }
    Ok(())
}

async fn list(args: ClientArgs, page_size: i32, page_token: String, statuses: Vec<StatusArg>) -> anyhow::Result<()> {
    let mut client = client(&args).await?;
    let statuses = statuses
        .into_iter()
        .map(|s| match s {
            StatusArg::Rejected => pb::VerificationStatus::Rejected as i32,
            StatusArg::Pending => pb::VerificationStatus::Pending as i32,
            StatusArg::Completed => pb::VerificationStatus::Completed as i32,
            StatusArg::Failed => pb::VerificationStatus::Failed as i32,
        })
        .collect();
    let message = pb::ListVerificationsRequest { page_size, page_token, statuses, ..Default::default() };
    let response = client
        .list_verifications(authorised(message, args.token.as_deref())?)
        .await
        .map_err(describe_status)?
        .into_inner();
    if args.raw {
        println!("{response:#?}");
        return Ok(());
    }
    println!("{:<36}  {:<9}  {:<22}  {:<16}  {:>6}", "ID", "STATUS", "OUTCOME", "FOLLOW-UP", "CURSOR");
    for v in &response.verifications {
        println!(
            "{:<36}  {:<9}  {:<22}  {:<16}  {:>6}",
            v.id,
            short_enum(v.status().as_str_name(), "VERIFICATION_STATUS_"),
            if v.outcome == 0 { "-" } else { short_enum(v.outcome().as_str_name(), "VERIFICATION_OUTCOME_") },
            short_enum(v.follow_up_state().as_str_name(), "FOLLOW_UP_STATE_"),
            v.change_cursor
        );
    }
    println!("next page token: {}", response.next_page_token);
    Ok(())
}

fn describe_status(status: tonic::Status) -> anyhow::Error {
    let mut text = format!("{:?}: {}", status.code(), status.message());
    use tonic_types::StatusExt;
    if let Some(bad_request) = status.get_details_bad_request() {
        for violation in bad_request.field_violations {
            let _ = write!(text, "\n  - {}: {}", violation.field, violation.description);
        }
    }
    anyhow::anyhow!(text)
}

fn short_enum<'a>(name: &'a str, prefix: &str) -> &'a str {
    name.strip_prefix(prefix).unwrap_or(name)
}

/// Renders a verification for people: status, screening, attempts and the benefit summary. Leaves out the
/// applicant's details (PHI) so the output can be pasted into a ticket; `--raw` shows everything.
pub fn render_verification(v: &pb::Verification) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "verification {}", v.id);
    let _ = writeln!(out, "  status:     {}", short_enum(v.status().as_str_name(), "VERIFICATION_STATUS_"));
    if v.outcome != 0 {
        let _ = writeln!(out, "  outcome:    {}", short_enum(v.outcome().as_str_name(), "VERIFICATION_OUTCOME_"));
    }
    if let Some(s) = &v.screening {
        let verdict = short_enum(s.verdict().as_str_name(), "SCREENING_VERDICT_");
        if s.rule.is_empty() {
            let _ = writeln!(out, "  screening:  {verdict}");
        } else {
            let _ = writeln!(out, "  screening:  {verdict} (rule {}): {}", s.rule, s.reason);
        }
    }
    let _ = writeln!(out, "  follow-up:  {}", short_enum(v.follow_up_state().as_str_name(), "FOLLOW_UP_STATE_"));
    if !v.status_detail.is_empty() {
        let _ = writeln!(out, "  detail:     {}", v.status_detail);
    }
    if !v.carrier.is_empty() {
        let _ = writeln!(out, "  carrier:    {} (payer {})", v.carrier, v.payer_id);
    }
    for a in &v.attempts {
        let latency_ms = a.latency.map_or(0.0, |d| d.seconds as f64 * 1000.0 + f64::from(d.nanos) / 1e6);
        let _ = writeln!(
            out,
            "  attempt {}:  {} in {latency_ms:.1} ms{}{}",
            a.attempt_number,
            short_enum(a.result_class().as_str_name(), "ATTEMPT_RESULT_CLASS_"),
            a.http_status.map(|s| format!(", HTTP {s}")).unwrap_or_default(),
            if a.error_code.is_empty() { String::new() } else { format!(", {}", a.error_code) },
        );
        if let Some(numbers) = &a.control_numbers {
            // What a payer's help desk asks for to find the transaction.
            let parts: Vec<String> = [
                ("ISA13", &numbers.interchange),
                ("GS06", &numbers.group),
                ("ST02", &numbers.transaction),
                ("TRN02", &numbers.trace),
            ]
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name} {value}"))
            .collect();
            if !parts.is_empty() {
                let _ = writeln!(out, "              control numbers: {}", parts.join(", "));
            }
            for other in &numbers.other_requests {
                let _ = writeln!(
                    out,
                    "              and a separate request: ST02 {}, TRN02 {}",
                    other.transaction, other.trace
                );
            }
        }
    }
    if let Some(b) = &v.benefits {
        // One rendering for every command that shows an answer (`get`, `submit`, `explain`): crate::report.
        let _ = writeln!(out, "  benefits:");
        out.push_str(&crate::report::indented(
            &crate::report::render_summary(&crate::api::convert::benefits_from_proto(b)),
            "    ",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_chain_is_printed_once_without_repeated_causes() {
        let config = crate::config::ConfigError::Invalid("bad value".to_owned());
        let wrapped = crate::startup::StartupError::Config(config);
        let io = std::io::Error::other("disk gone");
        let chained = anyhow::Error::new(io).context("opening the database");
        assert_eq!(describe_chain(&wrapped), "invalid configuration: bad value");
        assert_eq!(describe_chain(chained.as_ref()), "opening the database: disk gone");
    }

    #[test]
    fn a_completed_verification_renders_what_staff_read_out() {
        // Arrange
        let verification = pb::Verification {
            id: "v-1".into(),
            status: pb::VerificationStatus::Completed as i32,
            outcome: pb::VerificationOutcome::CoverageActive as i32,
            benefits: Some(pb::BenefitSummary {
                plan_name: "Blue Access PPO".into(),
                coverage_active: Some(true),
                categories: vec![pb::CategoryBenefit {
                    service_type_code: "AI".into(),
                    label: "Substance abuse".into(),
                    active: Some(true),
                    in_network: Some(pb::CostShare {
                        copay_cents: Some(3_500),
                        copay_period_code: "27".into(),
                        copay_period: "visit".into(),
                        deductible_individual: Some(pb::Accumulator {
                            total_cents: Some(150_000),
                            remaining_cents: Some(60_000),
                        }),
                        ..Default::default()
                    }),
                    prior_authorization_required: Some(true),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        // Act
        let text = render_verification(&verification);
        // Assert
        assert!(text.contains("outcome:    COVERAGE_ACTIVE"), "{text}");
        assert!(text.contains("    [AI] Substance abuse: active"), "{text}");
        assert!(text.contains("in network:         copay $35.00 per visit; coinsurance unknown; deductible $1,500.00 (remaining $600.00)"), "{text}");
        assert!(
            text.contains("out of network:     copay unknown; coinsurance unknown"),
            "missing is unknown, never zero: {text}"
        );
        assert!(text.contains("prior authorisation: required"), "{text}");
        assert!(!text.contains("$0.00"), "{text}");
    }
}
