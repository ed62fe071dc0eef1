//! The ops HTTP endpoint: `GET /metrics` (Prometheus text format), `GET /livez` and `GET /readyz` (for
//! orchestrators and load balancers that probe over HTTP; the gRPC health service answers the same questions).
//!
//! It takes no token: it carries no PHI, and Prometheus scrapes it. It listens on loopback by default; in a
//! cluster, a network policy lets only the monitoring namespace reach it.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use crate::health::Readiness;

/// What the endpoint reads from.
#[derive(Clone)]
struct Ops {
    prometheus: Arc<PrometheusHandle>,
    readiness: Readiness,
    /// Refreshes the gauges read from memory (the carrier lanes, whether the store is up) before a scrape renders them.
    refresh: Arc<dyn Fn() + Send + Sync>,
}

/// The Prometheus text exposition format's content type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves the endpoint on `listener` until `shutdown` resolves. `refresh` runs before each scrape.
pub async fn serve(
    listener: TcpListener,
    prometheus: PrometheusHandle,
    readiness: Readiness,
    refresh: Arc<dyn Fn() + Send + Sync>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = Router::new()
        .route("/metrics", get(metrics))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .with_state(Ops { prometheus: Arc::new(prometheus), readiness, refresh });
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

async fn metrics(State(ops): State<Ops>) -> impl IntoResponse {
    (ops.refresh)();
    ops.prometheus.run_upkeep();
    ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], ops.prometheus.render())
}

async fn livez(State(ops): State<Ops>) -> impl IntoResponse {
    if ops.readiness.is_live() {
        (StatusCode::OK, "live\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
    }
}

async fn readyz(State(ops): State<Ops>) -> impl IntoResponse {
    if ops.readiness.is_ready() {
        (StatusCode::OK, "ready\n")
    } else if ops.readiness.is_shutting_down() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n")
    }
}
