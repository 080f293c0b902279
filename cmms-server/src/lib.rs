//! # cmms-server
//!
//! The reference HTTP server of cmms: a thin axum API over [`cmms_core`]. Handlers extract the
//! request, call one core use case and map the result; every rule lives in core. SQLite by
//! default, PostgreSQL in production.
//!
//! Run it with `cargo run --release -p cmms-server` (binary `cmms`), or mount the API in your own
//! axum application:
//!
//! ```no_run
//! use cmms_server::{AppState, Database, ServeArgs};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Database::open("sqlite:///plant.db").await?; // ./plant.db
//! db.migrate().await?;
//! let state = AppState::new(db, &ServeArgs::default())?;
//! let app = axum::Router::new().nest("/maintenance", cmms_server::router(state));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
//! # Ok(()) }
//! ```
//!
//! Or let [`serve`] run it with the background jobs and graceful shutdown.

mod actor_cache;
pub mod bootstrap;
pub mod config;
mod consumer;
pub mod db;
mod extract;
mod jobs;
mod jwt;
mod limit;
mod mail_delivery;
pub mod mailer;
mod middleware;
mod notify;
pub mod openapi;
mod ops;
pub mod problem;
mod reply;
mod routes;
pub mod seed;
pub mod state;
mod webhooks;

pub use config::ServeArgs;
pub use db::Database;
pub use state::AppState;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::routing::get;
use axum::serve::ListenerExt;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::OnceLock;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The API router: `/api/v1/...` plus `/health`, `/ready`, `/metrics`, `/openapi.json` and
/// `/docs`, with request ids, tracing, security headers, metrics and problem+json errors.
/// Serve it with connection info (`into_make_service_with_connect_info::<SocketAddr>()`) so the
/// per-IP login limit sees client addresses.
pub fn router(state: AppState) -> Router {
    let mut api = Router::new();
    for op in routes::api_ops() {
        api = api.route(op.path, op.handler);
    }
    let cors = cors_layer(state.cors_origins());
    let mut app = Router::new().nest(openapi::API_PREFIX, api);
    for op in ops::outside_ops() {
        app = app.route(op.path, op.handler);
    }
    app.fallback(middleware::not_found)
        .layer(axum::middleware::from_fn(middleware::record_metrics))
        .layer(axum::middleware::from_fn(middleware::method_not_allowed))
        .layer(axum::middleware::from_fn(middleware::check_uri))
        .layer(axum::middleware::from_fn(middleware::problem_request_id))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(DefaultBodyLimit::max(state.body_limit()))
        .layer(cors)
        .layer(PropagateRequestIdLayer::new(middleware::request_id_header()))
        .layer(TraceLayer::new_for_http().make_span_with(middleware::span))
        .layer(SetRequestIdLayer::new(middleware::request_id_header(), MakeRequestUuid))
        .layer(axum::middleware::from_fn(middleware::sanitize_request_id))
        .with_state(state)
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> =
        origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()).collect();
    if allowed.is_empty() {
        // No origins configured: browsers on other origins are refused (no CORS headers).
        return CorsLayer::new();
    }
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::IF_MATCH])
        .expose_headers([header::ETAG, header::RETRY_AFTER, middleware::request_id_header()])
}

/// The process-wide Prometheus recorder (installed once; later calls return the same handle).
/// `None` when another recorder was installed by the embedding application.
pub fn metrics_recorder() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            const BUCKETS: [f64; 12] =
                [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .clone()
}

/// Sets up an accepted connection: without TCP_NODELAY a response written in two pieces waits
/// for the client's delayed ACK (tens of ms on event streams), and axum does not set it.
fn configure_accepted(tcp: &mut tokio::net::TcpStream, nodelay: bool) {
    if let Err(e) = tcp.set_nodelay(nodelay) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
}

/// Serves the API on `listener` until `shutdown` resolves, running the background jobs (they
/// are idempotent, so several replicas may run them at once). On shutdown, event streams end,
/// in-flight requests finish and the jobs stop before this returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let jobs = tokio::spawn(jobs::run(state.clone()));
    let notifier = tokio::spawn(notify::run(state.clone()));
    let webhooks = tokio::spawn(webhooks::run(state.clone()));
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let stopper = state.clone();
    let (signalled, grace) = tokio::sync::oneshot::channel::<()>();
    let nodelay = state.tcp_nodelay();
    let listener = listener.tap_io(move |tcp| configure_accepted(tcp, nodelay));
    let served = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        stopper.begin_shutdown();
        let _ = signalled.send(());
    });
    // In-flight requests get SHUTDOWN_GRACE to finish; a client that stopped reading cannot
    // hold the process up longer than that.
    let served = tokio::select! {
        r = served.into_future() => r,
        () = async {
            if grace.await.is_ok() {
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}: stopping anyway");
            Ok(())
        }
    };
    state.begin_shutdown();
    if let Err(e) = jobs.await {
        tracing::error!(error = %e, "background jobs ended abnormally");
    }
    if let Err(e) = notifier.await {
        tracing::error!(error = %e, "the notification consumer ended abnormally");
    }
    if let Err(e) = webhooks.await {
        tracing::error!(error = %e, "webhook delivery ended abnormally");
    }
    served
}

/// How long in-flight requests may take to finish once shutdown begins.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// A router serving only `GET /metrics` without authentication, for a separate (private)
/// listen address.
pub fn metrics_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(ops::metrics_open)).with_state(state)
}

#[cfg(test)]
mod tcp_tests {
    /// An accepted loopback connection leaves `configure_accepted` with TCP_NODELAY on (a
    /// fresh socket has it off).
    #[tokio::test]
    async fn accepted_connections_send_without_delay() -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
        let (mut accepted, _) = listener.accept().await?;
        assert!(!accepted.nodelay()?, "a fresh socket delays small writes");
        super::configure_accepted(&mut accepted, true);
        assert!(accepted.nodelay()?);
        drop(client);
        Ok(())
    }
}
