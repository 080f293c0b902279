//! Cross-cutting layers: security headers, the request id in problem bodies, request metrics,
//! and the problem+json fallback for unknown routes.

use crate::extract::{REQUEST_ID, request_id};
use crate::problem::ApiError;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// Bodies of problem responses are small; larger ones are passed through untouched.
const PROBLEM_LIMIT: usize = 64 * 1024;

/// Security headers on every response; `no-store` on everything but the docs.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let cacheable = matches!(req.uri().path(), "/docs" | "/openapi.json");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Adds the request id to problem+json bodies, so a client can quote it.
pub async fn problem_request_id(req: Request, next: Next) -> Response {
    let id = request_id(req.headers());
    let res = next.run(req).await;
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v == "application/problem+json");
    let Some(id) = id.filter(|_| is_problem) else { return res };
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, PROBLEM_LIMIT).await else {
        // Problems are built small (messages quote excerpts only); should one not be, the
        // client still gets its status, never a 500 for its own mistake.
        let status = parts.status;
        return ApiError::new(status, "internal", "the error could not be described")
            .into_response();
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut v) => {
            v["request_id"] = serde_json::Value::String(id);
            serde_json::to_vec(&v).unwrap_or_else(|_| bytes.to_vec())
        }
        Err(_) => bytes.to_vec(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Counts requests and times them, by route template, method and status.
pub async fn record_metrics(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    res
}

/// The longest request URI served (path and query), in bytes. (hyper itself answers 414 with
/// an empty body above 64 KiB, before any layer runs.)
pub const MAX_URI: usize = 8 * 1024;

/// Refuses, in problem+json, a request URI over [`MAX_URI`] (414) and a path or query that
/// decodes to a NUL character (422): no store can keep one, so none may get one, whatever the
/// route.
pub async fn check_uri(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let len = uri.path().len() + uri.query().map_or(0, |q| q.len() + 1);
    if len > MAX_URI {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request URI exceeds {MAX_URI} bytes"),
        )
        .into_response();
    }
    for (part, text) in [("path", uri.path()), ("query", uri.query().unwrap_or_default())] {
        if text.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0') {
            return ApiError::invalid(part, "text must not contain NUL characters").into_response();
        }
    }
    next.run(req).await
}

/// Unknown routes answer 404 in problem+json.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such route")
}

/// Known routes called with another method answer 405 in problem+json.
pub async fn method_not_allowed(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() == StatusCode::METHOD_NOT_ALLOWED
        && res.headers().get(header::CONTENT_TYPE).is_none()
    {
        let allow = res.headers().get(header::ALLOW).cloned();
        let mut problem = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not take that method",
        )
        .into_response();
        if let Some(allow) = allow {
            problem.headers_mut().insert(header::ALLOW, allow);
        }
        return problem;
    }
    res
}

/// Drops a client's `X-Request-Id` that is too long or has odd characters, so the request-id
/// layer generates one instead (ids reach logs and the audit trail).
pub async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let bad = req
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|v| !crate::extract::valid_request_id(v.as_bytes()));
    if bad {
        req.headers_mut().remove(REQUEST_ID);
    }
    next.run(req).await
}

/// The header name for request ids, for the layers that set and propagate it.
pub fn request_id_header() -> axum::http::HeaderName {
    axum::http::HeaderName::from_static(REQUEST_ID)
}

/// The tracing span of a request: method, path and request id.
pub fn span(req: &axum::http::Request<Body>) -> tracing::Span {
    let id = request_id(req.headers()).unwrap_or_default();
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}
