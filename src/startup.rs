//! Builds the application from its settings: store (migrated), carrier directory (or the in-process sandbox),
//! dispatcher, and the gRPC server with health and reflection. Binds before returning, so tests can ask for
//! port 0 and read the real address.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::HealthService;

use crate::api::pb::verification_service_server::VerificationServiceServer;
use crate::api::{ApiLimits, Authenticator, VerificationApi, pb};
use crate::carriers::{Directory, DirectoryError, Provider};
use crate::config::Settings;
use crate::dispatch::{ChangeFeed, DispatchError, Dispatcher, DispatcherSettings};
use crate::domain::RetryPolicy;
use crate::health::{self, Health};
use crate::sandbox::{self, SandboxHandle};
use crate::screening::Screener;
use crate::store::{self, InstrumentedStore, PostgresStore, Store, StoreError};
use crate::telemetry::{self, rpc::RpcTelemetryLayer};

/// The gRPC service name health checks report on.
pub const SERVICE_NAME: &str = "insurance.verification.v1.VerificationService";

/// Why the application could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The store could not be opened or migrated.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The carrier directory could not be loaded.
    #[error("carrier directory: {0}")]
    Directory(#[from] DirectoryError),
    /// A carrier connector could not be built.
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    /// A socket could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Reflection descriptors could not be registered.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Server(#[from] tonic::transport::Error),
}

/// Opens (and creates, for SQLite) the store a settings object names, and migrates it.
pub async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, StoreError> {
    let url = settings.effective_database_url();
    let store: Arc<dyn Store> = match (&settings.database_schema, url.starts_with("postgres")) {
        (Some(schema), true) => Arc::new(
            PostgresStore::connect_with_schema(&url, settings.database_max_connections, Some(schema.as_str())).await?,
        ),
        _ => store::connect(&url, settings.database_max_connections).await?,
    };
    store.migrate().await?;
    // Every operation timed for `/metrics`: the database's share of a verification's time.
    Ok(Arc::new(InstrumentedStore::new(store)))
}

/// A built application, bound and ready to serve.
pub struct Application {
    grpc_listener: TcpListener,
    grpc_addr: SocketAddr,
    settings: Settings,
    store: Arc<dyn Store>,
    api: VerificationApi,
    dispatcher: Arc<Dispatcher>,
    health: Health,
    sandbox: Option<SandboxHandle>,
    /// Cancelled when shutdown begins: the dispatcher stops claiming and waiting RPCs answer at once.
    draining: CancellationToken,
    /// The ops HTTP endpoint (`/metrics`, `/livez`, `/readyz`), bound when metrics are enabled.
    metrics: Option<MetricsEndpoint>,
}

/// The bound ops HTTP endpoint and the recorder it renders.
struct MetricsEndpoint {
    listener: TcpListener,
    addr: SocketAddr,
    prometheus: metrics_exporter_prometheus::PrometheusHandle,
}

impl Application {
    /// Builds everything and binds the gRPC port. The store is migrated before this returns, and health
    /// reports SERVING only once [`Application::run_until`] serves.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        settings.validate()?;
        let store = open_store(&settings).await?;
        tracing::info!(backend = store.backend(), "store ready (migrations applied)");

        let (directory, sandbox) = match &settings.carrier_directory {
            Some(path) => (Directory::load(path)?, None),
            None => {
                let handle = sandbox::spawn(settings.sandbox_listen_addr)
                    .await
                    .map_err(|source| StartupError::Bind { addr: settings.sandbox_listen_addr, source })?;
                let directory = Directory::sandbox(&handle.base_url())
                    .with_timeouts(settings.dispatcher.connect_timeout, settings.dispatcher.request_timeout)
                    .with_max_concurrency(settings.dispatcher.concurrency);
                tracing::warn!(
                    sandbox_url = %handle.base_url(),
                    "SANDBOX MODE: no carrier directory configured; every card goes to the built-in carrier \
                     simulator and no real carrier is called"
                );
                (directory, Some(handle))
            }
        };
        // A call that outlives its claim's lease lets another worker call the carrier a second time.
        if let Some(route) = directory.routes().iter().find(|r| r.request_timeout >= settings.dispatcher.lease) {
            return Err(StartupError::Config(crate::config::ConfigError::Invalid(format!(
                "carrier route {}: request_timeout ({:?}) must be shorter than dispatcher.lease ({:?})",
                route.id, route.request_timeout, settings.dispatcher.lease
            ))));
        }
        let directory = Arc::new(directory);
        let screener = Arc::new(Screener::embedded());
        let changes = ChangeFeed::new(4096);
        let provider = Provider {
            npi: settings.provider.npi.clone(),
            organization_name: settings.provider.organization_name.clone(),
        };
        let dispatcher = Arc::new(Dispatcher::new(
            Arc::clone(&store),
            Arc::clone(&directory),
            Arc::clone(&screener),
            provider,
            changes.clone(),
            DispatcherSettings {
                worker_id: format!("{}-{}", hostname(), std::process::id()),
                concurrency: settings.dispatcher.concurrency,
                poll_interval: settings.dispatcher.poll_interval,
                lease: settings.dispatcher.lease,
                retry: RetryPolicy {
                    max_attempts: settings.dispatcher.max_attempts,
                    base_delay: settings.dispatcher.backoff_base,
                    max_delay: settings.dispatcher.backoff_max,
                    min_resubmit_interval: Duration::ZERO,
                },
                verification_deadline: settings.dispatcher.verification_deadline,
                circuit_breaker: settings.dispatcher.circuit_breaker.clone(),
                retry_budget: settings.dispatcher.retry_budget.clone(),
            },
        )?);

        let auth = Authenticator::new(&settings.auth);
        if !auth.is_enabled() {
            tracing::warn!(
                listen_addr = %settings.listen_addr,
                "no bearer tokens configured: authentication is OFF and the service listens on loopback only"
            );
        }
        let draining = CancellationToken::new();
        let api = VerificationApi::new(
            Arc::clone(&store),
            screener,
            directory,
            changes,
            auth,
            ApiLimits {
                max_wait_for_result: settings.submit.max_wait_for_result,
                max_in_flight: settings.submit.max_in_flight,
            },
            Arc::clone(&dispatcher),
        )
        .with_drain(draining.clone());

        let health = Health::new().await;

        let metrics = if settings.metrics.enabled {
            match telemetry::metrics::install() {
                Some(prometheus) => {
                    let listener = TcpListener::bind(settings.metrics.listen_addr)
                        .await
                        .map_err(|source| StartupError::Bind { addr: settings.metrics.listen_addr, source })?;
                    let addr = listener
                        .local_addr()
                        .map_err(|source| StartupError::Bind { addr: settings.metrics.listen_addr, source })?;
                    Some(MetricsEndpoint { listener, addr, prometheus })
                }
                None => {
                    tracing::warn!("another metrics recorder is installed in this process: /metrics is not served");
                    None
                }
            }
        } else {
            None
        };

        let grpc_listener = TcpListener::bind(settings.listen_addr)
            .await
            .map_err(|source| StartupError::Bind { addr: settings.listen_addr, source })?;
        let grpc_addr =
            grpc_listener.local_addr().map_err(|source| StartupError::Bind { addr: settings.listen_addr, source })?;

        Ok(Application {
            grpc_listener,
            grpc_addr,
            settings,
            store,
            api,
            dispatcher,
            health,
            sandbox,
            draining,
            metrics,
        })
    }

    /// The address the gRPC server is bound to.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// The in-process sandbox carrier, in sandbox mode.
    pub fn sandbox(&self) -> Option<&SandboxHandle> {
        self.sandbox.as_ref()
    }

    /// The address of the ops HTTP endpoint (`/metrics`, `/livez`, `/readyz`), when metrics are enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|endpoint| endpoint.addr)
    }

    /// Liveness and readiness (store reachable, not shutting down), for HTTP probes and gauges.
    pub fn readiness(&self) -> health::Readiness {
        self.health.readiness()
    }

    /// The store, for tools and tests that inspect what was written.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    /// Serves gRPC and runs the dispatcher until `shutdown` resolves, then drains: health turns NOT_SERVING,
    /// the dispatcher stops claiming, and in-flight RPCs and carrier calls get `shutdown_grace` to finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), StartupError> {
        let Application {
            grpc_listener,
            grpc_addr,
            settings,
            store,
            api,
            dispatcher,
            health,
            sandbox,
            draining,
            metrics,
            ..
        } = self;
        let health_service = HealthServer::new(HealthService::from_health_reporter(health.reporter()));
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        // Python grpcio's reflection client and older grpcurl speak only v1alpha.
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;

        let stop = draining;
        let dispatcher_stop = stop.clone();
        let grace = settings.shutdown_grace;
        let dispatcher_task: JoinHandle<()> = tokio::spawn(Arc::clone(&dispatcher).run(dispatcher_stop, grace));

        let server_stop = stop.clone();
        let reporter = health.clone();
        let server_shutdown = async move {
            tokio::select! {
                _ = shutdown => {}
                _ = server_stop.cancelled() => {}
            }
            tracing::info!("shutdown requested: draining");
            reporter.begin_shutdown().await;
            server_stop.cancel();
        };

        // Live from now on; ready once the store answers, and from then on only while it does.
        health.set_live().await;
        health.check_now(store.ping(), settings.health.check_timeout).await;
        let health_monitor = health.spawn_monitor(Arc::clone(&store), &settings.health, stop.clone());
        // The ops endpoint outlives the drain (so `/livez` and `/readyz` answer 503 while it lasts) and stops last.
        let ops_stop = CancellationToken::new();
        let ops_tasks = metrics.map(|endpoint| {
            spawn_ops_endpoint(endpoint, &store, &dispatcher, health.readiness(), &settings, &ops_stop)
        });
        tracing::info!(%grpc_addr, "serving gRPC");
        let serve = tonic::transport::Server::builder()
            .layer(RpcTelemetryLayer)
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(VerificationServiceServer::new(api))
            .serve_with_incoming_shutdown(incoming_without_delay(grpc_listener), server_shutdown);
        // tonic's graceful stop waits for every open call, and a health `Watch` stream (kept open by gRPC
        // client-side health checking and some load balancers) never ends by itself: after the grace period the
        // remaining connections are dropped instead of keeping the process alive until it is killed.
        let grace_over = {
            let stop = stop.clone();
            async move {
                stop.cancelled().await;
                tokio::time::sleep(grace).await;
            }
        };
        let served = tokio::select! {
            served = serve => served,
            () = grace_over => {
                tracing::warn!("calls still open after the shutdown grace period: closing their connections");
                Ok(())
            }
        };
        stop.cancel();
        if let Err(error) = health_monitor.await {
            tracing::error!(error = %error, "health monitor task failed");
        }
        if let Err(error) = dispatcher_task.await {
            tracing::error!(error = %error, "dispatcher task failed");
        }
        if let Some(sandbox) = sandbox {
            sandbox.shutdown().await;
        }
        ops_stop.cancel();
        for task in ops_tasks.into_iter().flatten() {
            if let Err(error) = task.await {
                tracing::error!(error = %error, "ops endpoint task failed");
            }
        }
        tracing::info!("stopped");
        served.map_err(StartupError::from)
    }
}

/// Serves the ops HTTP endpoint and keeps the gauges it shows up to date: on every scrape, what is in memory (the
/// carrier lanes, whether the store is up); every `metrics.queue_poll_interval`, the queue's depth and oldest
/// pending age (one store query, shared by every replica, so not one per scrape) and the recorder's upkeep (which
/// must run even when nobody scrapes). Both tasks end when `stop` is cancelled.
fn spawn_ops_endpoint(
    endpoint: MetricsEndpoint,
    store: &Arc<dyn Store>,
    dispatcher: &Arc<Dispatcher>,
    readiness: health::Readiness,
    settings: &Settings,
    stop: &CancellationToken,
) -> [JoinHandle<()>; 2] {
    let MetricsEndpoint { listener, addr, prometheus } = endpoint;
    tracing::info!(%addr, "serving /metrics, /livez and /readyz");
    let refresh = {
        let dispatcher = Arc::clone(dispatcher);
        let readiness = readiness.clone();
        Arc::new(move || {
            telemetry::metrics::carrier_lanes(&dispatcher.carrier_status());
            telemetry::metrics::store_up(readiness.store_up());
        }) as Arc<dyn Fn() + Send + Sync>
    };
    let server = {
        let stop = stop.clone();
        let readiness = readiness.clone();
        tokio::spawn(async move {
            let shutdown = async move { stop.cancelled().await };
            if let Err(error) = telemetry::endpoint::serve(listener, prometheus, readiness, refresh, shutdown).await {
                tracing::error!(error = %error, "the ops HTTP endpoint failed");
            }
        })
    };
    let poller = {
        let stop = stop.clone();
        let store = Arc::clone(store);
        let interval = settings.metrics.queue_poll_interval;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    () = stop.cancelled() => break,
                }
                // While the store is down, the last figures stay: `iv_store_up` says why they do not move.
                if readiness.store_up() {
                    match store.pending_summary().await {
                        Ok((depth, oldest)) => {
                            let age = oldest.map_or(Duration::ZERO, |created| {
                                Duration::try_from(time::OffsetDateTime::now_utc() - created).unwrap_or(Duration::ZERO)
                            });
                            telemetry::metrics::queue(depth, age);
                        }
                        Err(error) => tracing::warn!(error = %error, "reading the queue's depth failed"),
                    }
                }
                telemetry::metrics::run_upkeep();
            }
        })
    };
    [server, poller]
}

/// The accepted gRPC connections, each with TCP_NODELAY: we accept them ourselves (to bind before serving), so
/// tonic's own `tcp_nodelay` setting does not apply, and without it Nagle's algorithm and the client's delayed ACK
/// hold small replies back for ~40 ms each.
fn incoming_without_delay(
    listener: TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    TcpListenerStream::new(listener).map(|accepted| {
        if let Ok(stream) = &accepted
            && let Err(error) = stream.set_nodelay(true)
        {
            tracing::debug!(%error, "could not set TCP_NODELAY on a gRPC connection");
        }
        accepted
    })
}

fn hostname() -> String {
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "local".to_owned())
}
