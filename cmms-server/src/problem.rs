//! Errors as RFC 9457 `application/problem+json`: a stable `code` (the core's), the HTTP status
//! that code means, field errors for validation, and — added on the way out by a middleware —
//! the request id. Never a stack trace or a database message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
    /// The request id (also in the `X-Request-Id` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    // Boxed: errors travel in every handler's Result, and most results are not errors.
    problem: Box<Problem>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a stable code and a detail.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        let title = status.canonical_reason().unwrap_or("Error").to_string();
        let problem = Problem {
            kind: format!("https://cmms.dev/problems/{code}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_string(),
            errors: Vec::new(),
            current_version: None,
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
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // Store errors carry no detail worth showing; the log has it.
        let detail = match &e {
            CmmsError::Store(_) => "the server could not complete the request".to_string(),
            CmmsError::Unauthenticated => "missing, invalid or expired credentials".to_string(),
            other => other.to_string(),
        };
        let mut err = ApiError::new(status, e.code(), detail);
        err.problem.errors = e.field_errors().to_vec();
        if let CmmsError::Conflict { current_version, .. } = &e {
            err.problem.current_version = *current_version;
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
