//! Request extractors that answer in problem+json: the authenticated `Caller` (JWT or API key),
//! JSON bodies (400 malformed, 413 too large, 415 wrong type, 422 wrong shape), list queries
//! and `If-Match`.

use crate::problem::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, TimeDelta, Utc};
use cmms_core::{Actor, CmmsError};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// The header carrying the request id (set by the request-id layer).
pub const REQUEST_ID: &str = "x-request-id";

/// Whether a client-supplied request id is acceptable (it reaches logs and the audit trail):
/// 1 to 64 characters of `A-Z a-z 0-9 - _ .`.
pub(crate) fn valid_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A short, stable key for a bearer token in the rate limiter (never the token itself).
fn token_key(token: &str) -> String {
    use sha2_hmac::Digest;
    let digest = sha2_hmac::Sha256::digest(token.as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// The authenticated caller: a user (access token) or an integration (API key).
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

/// The caller of a stream, and when its credentials must be checked again: a stream ends when
/// the access token expires (API keys: after `API_KEY_STREAM_SECS`), so a revoked user or key
/// stops receiving events; the client reconnects with `Last-Event-ID` and misses nothing.
#[derive(Debug, Clone)]
pub struct StreamCaller {
    pub actor: Actor,
    pub until: DateTime<Utc>,
}

/// How long a stream opened with an API key runs before the key is checked again.
pub const API_KEY_STREAM_SECS: i64 = 300;

async fn authenticate(parts: &Parts, state: &AppState) -> Result<(Actor, DateTime<Utc>), ApiError> {
    let now = state.cmms().now();
    let token = bearer(&parts.headers);
    let is_key = token.is_some_and(|t| t.starts_with(cmms_core::domain::api_key::KEY_PREFIX));
    let verified = match token {
        None => Err(CmmsError::Unauthenticated),
        Some(token) if token.starts_with(cmms_core::domain::api_key::KEY_PREFIX) => {
            let key = token.rsplit_once('_').map_or(token, |(id, _)| id).to_string();
            let until = now + TimeDelta::seconds(API_KEY_STREAM_SECS);
            state.cmms().authenticate_api_key(token).await.map(|a| (a, key, until))
        }
        Some(token) => match state.jwt().verify(token, now) {
            Some(claims) => {
                let until = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
                // Per token, as documented: two sessions or integrations of one user do not
                // share (and starve) one budget.
                let key = format!("token:{}", token_key(token));
                state.actor(claims.org, claims.sub).await.map(|a| (a, key, until))
            }
            None => Err(CmmsError::Unauthenticated),
        },
    };
    let (actor, limit_key, until) = match verified {
        Ok(v) => v,
        Err(CmmsError::Unauthenticated) if is_key => {
            // A wrong API key costs a database lookup: those share the per-IP login budget.
            let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
            let key = format!("auth:{}", ip.map_or_else(|| "unknown".into(), crate::limit::ip_key));
            state.login_limit().check(&key).map_err(|secs| {
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many failed authentications from this address",
                )
                .retry_after(secs)
            })?;
            return Err(CmmsError::Unauthenticated.into());
        }
        Err(e) => return Err(e.into()),
    };
    state.token_limit().check(&limit_key).map_err(|secs| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests for this token",
        )
        .retry_after(secs)
    })?;
    // The request id goes into audit entries; an API key's own marker (`api_key:<id>`) stays
    // in front so the audit still tells a key's actions from its creator's.
    let actor = match (actor.request_id().map(str::to_string), request_id(&parts.headers)) {
        (Some(marker), Some(id)) => actor.with_request_id(format!("{marker}/{id}")),
        (None, Some(id)) => actor.with_request_id(id),
        (_, None) => actor,
    };
    Ok((suppressing(actor, &parts.headers)?, until))
}

/// `X-Cmms-Suppress-Webhooks: <subscription id>`: the events of this change skip that
/// subscription (core refuses it unless the caller used an API key).
fn suppressing(actor: Actor, headers: &HeaderMap) -> Result<Actor, ApiError> {
    use cmms_core::domain::webhook::SUPPRESS_HEADER;
    let Some(value) = headers.get(SUPPRESS_HEADER) else { return Ok(actor) };
    let id =
        value.to_str().ok().and_then(|s| s.trim().parse::<uuid::Uuid>().ok()).ok_or_else(|| {
            ApiError::invalid(SUPPRESS_HEADER, "must be a webhook subscription id")
        })?;
    Ok(actor.suppressing_webhook(cmms_core::ids::WebhookId(id))?)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await.map(|(actor, _)| Caller(actor))
    }
}

impl FromRequestParts<AppState> for StreamCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await.map(|(actor, until)| StreamCaller { actor, until })
    }
}

/// The caller of a feed a calendar app subscribes to: the `Authorization` header as anywhere,
/// or an API key in the `key` query parameter, since a calendar app can only be given a URL.
/// Only API keys are taken there (they are revocable and act with the role they were given);
/// access tokens in URLs would end up in logs and expire within minutes anyway.
#[derive(Debug, Clone)]
pub struct FeedCaller(pub Actor);

impl FromRequestParts<AppState> for FeedCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if bearer(&parts.headers).is_none() {
            let query = parts.uri.query().unwrap_or_default();
            let key = form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "key")
                .map(|(_, v)| v.into_owned());
            if let Some(key) = key {
                if !key.starts_with(cmms_core::domain::api_key::KEY_PREFIX) {
                    return Err(CmmsError::Unauthenticated.into());
                }
                let value = axum::http::HeaderValue::from_str(&format!("Bearer {key}"))
                    .map_err(|_| ApiError::from(CmmsError::Unauthenticated))?;
                parts.headers.insert(axum::http::header::AUTHORIZATION, value);
            }
        }
        authenticate(parts, state).await.map(|(actor, _)| FeedCaller(actor))
    }
}

/// A JSON request body decoded into `T`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let json =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(
                |ct| {
                    ct.split(';')
                        .next()
                        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
                },
            );
        let limit = state.body_limit();
        let bytes = axum::body::to_bytes(req.into_body(), limit).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body exceeds {limit} bytes"),
            )
        })?;
        // No body at all is an empty object: an action whose fields are all optional takes
        // none, and one with required fields names them.
        if bytes.is_empty() {
            return decode(&Bytes::from_static(b"{}")).map(JsonBody);
        }
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        decode(&bytes).map(JsonBody)
    }
}

/// Decodes a body that must be exactly one JSON value (whitespace aside): a syntax problem or
/// anything after the value is 400, a shape problem 422 naming the field (and, for a misspelt
/// field, the closest known one), text containing NUL 422.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    if let Some(path) = nul_in_json(bytes) {
        return Err(ApiError::invalid(&path, "text must not contain NUL characters"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            // serde reports some shapes it did not expect (a second key in a one-key object)
            // as syntax errors: valid JSON of the wrong shape is the caller's field problem.
            if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() {
                return ApiError::malformed(format!("the body is not valid JSON: {inner}"));
            }
            let field = if path == "." { "body".to_string() } else { path };
            return ApiError::invalid(&field, "has an unexpected shape (see the schema)");
        }
        let message = inner.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        // An error from inside a hand-written Deserialize carries its own path.
        let (path, message) = match message.strip_prefix(MARK).and_then(|m| m.split_once(MARK)) {
            Some((inner_path, m)) => (inner_path.to_string(), m.to_string()),
            None => (path, message),
        };
        // Core's vocabularies say "validation failed: <field>: <problem>"; the path names it.
        let message = match message.strip_prefix("validation failed: ") {
            Some(rest) => rest.split_once(": ").map_or(rest, |(_, p)| p).to_string(),
            None => message,
        };
        let (field, message) = unknown_field(&path, &message)
            .unwrap_or_else(|| (if path == "." { "body".into() } else { path }, message));
        ApiError::invalid(&field, message)
    })?;
    de.end().map_err(|_| {
        ApiError::malformed("the body must be exactly one JSON value; something follows it")
    })?;
    Ok(value)
}

/// Marks an error raised inside a hand-written `Deserialize` (see [`versioned`]) as
/// `<MARK><path><MARK><message>`, so [`decode`] still names the field at its path.
const MARK: char = '\u{2}';

/// A JSON object's optional `version` and the rest as `P` (which may refuse unknown fields).
pub(crate) fn versioned<'de, D, P>(d: D) -> Result<(Option<i64>, P), D::Error>
where
    D: serde::Deserializer<'de>,
    P: DeserializeOwned,
{
    use serde::de::Error;
    use serde_json::Value;
    let mut map = serde_json::Map::<String, Value>::deserialize(d)?;
    let version = match map.remove("version") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
        Some(_) => return Err(D::Error::custom(format!("{MARK}version{MARK}expected an integer"))),
    };
    let patch = serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        D::Error::custom(format!("{MARK}{path}{MARK}{}", e.into_inner()))
    })?;
    Ok((version, patch))
}

/// serde's "unknown field `priorty`, expected one of `title`, ..." as the misspelt field's own
/// path and a message that suggests the closest known field.
fn unknown_field(path: &str, message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, expected) = rest.split_once('`')?;
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    // serde_path_to_error's path may already end at the unknown field.
    let field = match path {
        "." | "" => name.to_string(),
        p if p == name || p.ends_with(&format!(".{name}")) => p.to_string(),
        p => format!("{p}.{name}"),
    };
    let message = match cmms_core::error::closest(name, &known) {
        Some(k) => format!("unknown field; did you mean `{k}`?"),
        None if known.is_empty() => "unknown field: this object takes no fields".into(),
        None => format!("unknown field; known fields: {}", known.join(", ")),
    };
    Some((field, message))
}

/// Where the first string in a JSON text holds a NUL character (`\u0000`), as a rough path
/// (`body` when it cannot tell): PostgreSQL cannot store one, so neither store may get one.
/// Raw control characters are invalid JSON anyway, so the escape is the only way in.
fn nul_in_json(bytes: &[u8]) -> Option<String> {
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (_, b'"') => in_string = !in_string,
            (true, b'\\') => {
                if bytes.get(i + 1) == Some(&b'u')
                    && bytes.get(i + 2..i + 6).is_some_and(|h| h == b"0000")
                {
                    return Some("body".into());
                }
                i += 1; // the escaped character
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// List query parameters decoded into `T` (repeat a key for several values: `status=a&status=b`).
#[derive(Debug, Clone)]
pub struct ListQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ListQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_html_form::from_str(query).map(ListQuery).map_err(|e| {
            let e = e.to_string();
            let e = match e.strip_prefix("unknown field `") {
                Some(_) => unknown_field(".", &e).map_or(e, |(f, m)| format!("{f}: {m}")),
                None => e,
            };
            let message = e;
            let message = match message.strip_prefix("validation failed: ") {
                Some(rest) => rest.to_string(),
                None => message,
            };
            let (field, problem) = message.split_once(": ").unwrap_or(("query", message.as_str()));
            ApiError::invalid(field, problem)
        })
    }
}

/// The version named by `If-Match` (`"3"` or `W/"3"`), if the header is there.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else { return Ok(IfMatch(None)) };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            // "Any current version": the same as no precondition for a record that exists.
            return Ok(IfMatch(None));
        }
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        text.parse::<i64>().map(|v| IfMatch(Some(v))).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "If-Match must be an ETag from this API",
            )
        })
    }
}

/// The ETag of a record version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}
