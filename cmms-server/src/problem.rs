//! Errors as RFC 9457 `application/problem+json`: a stable `code` (the core's), the HTTP status
//! that code means, field errors for validation, and — added on the way out by a middleware —
//! the request id. Never a stack trace or a database message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cmms_core::error::error_chain;
use cmms_core::{CmmsError, FieldError};
use serde::Serialize;

/// The problem document.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// Stable machine code (`not_found`, `validation_failed`, `conflict`, ...).
    pub code: String,
    /// One entry per invalid field, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The record's current version, for conflicts on a stale version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// For `insufficient_stock`: the part, the location, what is available and what was
    /// asked (decimal strings), so a client can offer what is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock: Option<StockShortage>,
    /// The request id (also in the `X-Request-Id` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// What an `insufficient_stock` problem was short of.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StockShortage {
    /// Part id.
    pub part: String,
    /// Stock location id.
    pub location: String,
    /// Available (on hand minus reserved).
    pub available: String,
    /// Requested.
    pub requested: String,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    // Boxed: errors travel in every handler's Result, and most results are not errors.
    problem: Box<Problem>,
    retry_after: Option<u64>,
}

/// The longest excerpt of client input an error message quotes, in characters.
pub const EXCERPT_CHARS: usize = 200;
/// The most field errors one problem lists.
pub const MAX_FIELD_ERRORS: usize = 50;

/// `text` cut to [`EXCERPT_CHARS`] characters (marked with `…`): an error message may quote
/// what the client sent, so its size must not follow the input's.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Every problem `code` this API answers with, and what it means: the docs page lists them
/// under `#problem-<code>`, which is each problem's `type`.
pub const PROBLEM_CODES: &[(&str, &str)] = &[
    ("unauthenticated", "401: credentials are missing, invalid or expired."),
    ("forbidden", "403: the caller may not do this (the permission is named)."),
    ("not_found", "404: no such record in the caller's organization."),
    ("route_not_found", "404: no such route."),
    ("method_not_allowed", "405: the route does not take this method (see Allow)."),
    (
        "conflict",
        "409: a value is already taken (the field is named), or the record changed since it \
         was read (current_version); 412 with the same code when If-Match named that version.",
    ),
    ("invalid_transition", "409: the status machine has no such move from the current status."),
    (
        "insufficient_stock",
        "409: not enough stock available; `stock` names the part, location, available and \
         requested quantities.",
    ),
    (
        "payload_too_large",
        "413: the body is larger than the server accepts, or an attachment is larger than the \
         per-file limit or what the organization has left; nothing was stored.",
    ),
    ("uri_too_long", "414: the request URI is longer than the server accepts."),
    (
        "unsupported_media_type",
        "415: the body must be application/json, or an attachment's type (sniffed from its \
         bytes) is not allowed; nothing was stored.",
    ),
    (
        "malformed_request",
        "400: the body is not exactly one JSON value, or a header or parameter is malformed.",
    ),
    ("validation_failed", "422: one or more fields are invalid; errors[] names each field."),
    ("rate_limited", "429: too many requests; retry after Retry-After seconds."),
    ("store_error", "500: the server could not complete the request (the log has the cause)."),
    ("internal", "500: an unexpected server error."),
    ("busy", "503: the server is busy; retry after Retry-After seconds."),
];

impl ApiError {
    /// An error with a status, a stable code and a detail (cut to an excerpt).
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        let title = status.canonical_reason().unwrap_or("Error").to_string();
        let detail: String = detail.into();
        let problem = Problem {
            // A URI reference the server resolves: the problem's entry on the docs page.
            kind: format!("/docs#problem-{code}"),
            title,
            status: status.as_u16(),
            detail: excerpt(&detail),
            code: code.to_string(),
            errors: Vec::new(),
            current_version: None,
            stock: None,
            request_id: None,
        };
        Self { status, problem: Box::new(problem), retry_after: None }
    }

    /// 400: the body is not JSON.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_request", detail)
    }

    /// 422 with one field error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        CmmsError::invalid(field, message).into()
    }

    /// Asks the client to wait `secs` seconds before retrying.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    /// A conflict on a stale `If-Match` becomes 412 Precondition Failed.
    pub fn precondition(mut self) -> Self {
        if self.problem.code == "conflict" && self.problem.current_version.is_some() {
            self.status = StatusCode::PRECONDITION_FAILED;
            self.problem.status = 412;
            self.problem.title = "Precondition Failed".into();
        }
        self
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.problem.code
    }
}

impl From<CmmsError> for ApiError {
    fn from(e: CmmsError) -> Self {
        let status = match &e {
            CmmsError::Unauthenticated => StatusCode::UNAUTHORIZED,
            CmmsError::Forbidden { .. } => StatusCode::FORBIDDEN,
            CmmsError::NotFound { .. } => StatusCode::NOT_FOUND,
            CmmsError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            CmmsError::InvalidTransition { .. } | CmmsError::Conflict { .. } => {
                StatusCode::CONFLICT
            }
            CmmsError::InsufficientStock { .. } => StatusCode::CONFLICT,
            CmmsError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            CmmsError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            CmmsError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            CmmsError::UnsupportedType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // A store error's message names files, hosts and the driver's text: the client gets a
        // generic detail, the log gets the whole chain.
        if let CmmsError::Store(_) = &e {
            tracing::error!(error = %error_chain(&e), "store error");
        }
        let detail = match &e {
            CmmsError::Store(_) => "the server could not complete the request".to_string(),
            CmmsError::Unauthenticated => "missing, invalid or expired credentials".to_string(),
            other => other.to_string(),
        };
        let mut err = ApiError::new(status, e.code(), detail);
        err.problem.errors = e
            .field_errors()
            .iter()
            .take(MAX_FIELD_ERRORS)
            .map(|f| FieldError { field: excerpt(&f.field), message: excerpt(&f.message) })
            .collect();
        if let CmmsError::InsufficientStock { part, location, available, requested } = &e {
            err.problem.stock = Some(StockShortage {
                part: part.clone(),
                location: location.clone(),
                available: available.clone(),
                requested: requested.clone(),
            });
        }
        if let CmmsError::Conflict { current_version, field, message } = &e {
            err.problem.current_version = *current_version;
            if let Some(field) = field {
                err.problem.errors =
                    vec![FieldError { field: excerpt(field), message: excerpt(message) }];
            }
        }
        match e {
            CmmsError::RateLimited { retry_after_secs } => err.retry_after(retry_after_secs),
            CmmsError::Busy => err.retry_after(1),
            _ => err,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_quote_only_an_excerpt_of_the_input() {
        let huge = "x".repeat(1_000_000);
        let e = ApiError::from(CmmsError::invalid(&huge, format!("'{huge}' is not a role")));
        let body = serde_json::to_string(&e.problem).unwrap_or_default();
        assert!(body.len() < 2_000, "{} bytes", body.len());
        assert_eq!(excerpt("short"), "short");
        assert_eq!(excerpt(&"é".repeat(300)).chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn every_code_is_documented() {
        for code in ["validation_failed", "conflict", "uri_too_long"] {
            assert!(PROBLEM_CODES.iter().any(|(c, _)| *c == code), "{code}");
        }
    }
}
