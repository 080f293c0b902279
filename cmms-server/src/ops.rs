//! Operations endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document and the
//! docs page.

use crate::openapi;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use std::sync::OnceLock;

/// `GET /health`: the process answers.
pub async fn health() -> &'static str {
    "ok"
}

/// `GET /ready`: the database answers and its schema is current.
pub async fn ready(State(s): State<AppState>) -> Response {
    match s.db().ready().await {
        Ok(version) => Json(json!({ "ready": true, "schema_version": version })).into_response(),
        Err(reason) => {
            // The reason may name hosts, files or credentials: it goes to the log only.
            tracing::warn!(%reason, "not ready");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the database is unreachable or its schema is not current (see the server log)",
            )
            .retry_after(5)
            .into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text, for the metrics token (or on the metrics listener, which
/// serves `metrics_open`).
pub async fn metrics(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (s.metrics_token(), token) {
        (Some(expected), Some(given)) if constant_eq(expected, given) => {
            metrics_open(State(s)).await
        }
        _ => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "metrics need the metrics token",
        )
        .into_response(),
    }
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The metrics text without a token check (for the separate metrics listener).
pub async fn metrics_open(State(s): State<AppState>) -> Response {
    match s.metrics() {
        Some(handle) => {
            if let crate::db::Database::Postgres(store, _) = s.db() {
                let (open, idle) = store.pool_stats();
                metrics::gauge!("db_pool_connections").set(f64::from(open));
                metrics::gauge!("db_pool_idle_connections").set(idle as f64);
            }
            let mut res = handle.render().into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            res
        }
        None => ApiError::new(StatusCode::NOT_FOUND, "not_found", "metrics are not enabled")
            .into_response(),
    }
}

fn document() -> &'static serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(openapi::document)
}

/// `GET /openapi.json`.
pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(document().clone())
}

/// `GET /docs`.
pub async fn docs() -> Html<String> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(|| openapi::docs_html(document())).clone())
}

/// One operation served outside `/api/v1`.
pub(crate) struct OutsideOp {
    pub path: &'static str,
    pub id: &'static str,
    pub summary: &'static str,
    pub media: &'static str,
    /// Needs the metrics token.
    pub auth: bool,
    pub handler: axum::routing::MethodRouter<AppState>,
}

/// The operations outside `/api/v1`, for both the router and the OpenAPI document.
pub(crate) fn outside_ops() -> Vec<OutsideOp> {
    use axum::routing::get;
    let op = |path, id, summary, media, auth, handler| OutsideOp {
        path,
        id,
        summary,
        media,
        auth,
        handler,
    };
    vec![
        op("/health", "health", "Liveness: the process answers", "text/plain", false, get(health)),
        op(
            "/ready",
            "ready",
            "Readiness: the database answers and its schema is current",
            "application/json",
            false,
            get(ready),
        ),
        op(
            "/metrics",
            "metrics",
            "Prometheus metrics (metrics token, or the separate metrics listener)",
            "text/plain",
            true,
            get(metrics),
        ),
        op(
            "/openapi.json",
            "openapi",
            "This document",
            "application/json",
            false,
            get(openapi_json),
        ),
        op("/docs", "docs", "The API reference as a web page", "text/html", false, get(docs)),
    ]
}
