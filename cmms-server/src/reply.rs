//! Building responses and reading path ids, in the API's conventions: JSON bodies, `ETag` on
//! versioned records, 201 for creations, 404 problem for ids that cannot exist.

use crate::extract::etag;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A record with its version as the `ETag`.
pub fn versioned<T: Serialize>(version: i64, body: &T) -> Response {
    let mut res = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// 201 Created with the record (and its version as the `ETag`).
pub fn created<T: Serialize>(version: Option<i64>, body: &T) -> Response {
    let mut res = match version {
        Some(v) => versioned(v, body),
        None => Json(body).into_response(),
    };
    *res.status_mut() = StatusCode::CREATED;
    res
}

/// 204 No Content.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Path parameters (one id, or a tuple of ids); anything that cannot be an id is a 404, like an
/// id that does not exist.
#[derive(Debug, Clone, Copy)]
pub struct Ids<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Ids(v))
            .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource"))
    }
}
