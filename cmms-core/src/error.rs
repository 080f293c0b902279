//! Errors: `CmmsError` is what every caller sees; `StoreError` is what a store returns.
//!
//! Each `CmmsError` variant has a stable machine code (`CmmsError::code`) that the HTTP server
//! and the Python bindings expose unchanged, so clients can branch on it.

use serde::{Deserialize, Serialize};
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FieldError {
    /// The field, as named in the public API (`title`, `reason`, `checklist[2].label`, ...).
    pub field: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The error every use case returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CmmsError {
    /// The caller is not a known, active user of the organization.
    #[error("not authenticated")]
    Unauthenticated,
    /// The caller is known but lacks the permission.
    #[error("forbidden: missing permission {permission}")]
    Forbidden {
        /// The permission that was required (`work_order.update`, ...).
        permission: String,
    },
    /// The entity does not exist in the caller's organization (another tenant's ids are
    /// reported the same way, so ids never leak across tenants).
    #[error("{entity} {id} not found")]
    NotFound {
        /// Entity kind (`work_order`, `asset`, ...).
        entity: String,
        /// The id that was looked up.
        id: String,
    },
    /// One or more input fields are invalid.
    #[error("validation failed: {}", display_fields(.0))]
    Validation(Vec<FieldError>),
    /// The requested status change is not an edge of the status machine.
    #[error("invalid transition from {from} to {to}")]
    InvalidTransition {
        /// Current status.
        from: String,
        /// Requested status.
        to: String,
    },
    /// Not enough stock to issue or reserve.
    #[error(
        "insufficient stock of part {part} at {location}: {available} available, {requested} requested"
    )]
    InsufficientStock {
        /// Part id.
        part: String,
        /// Stock location id.
        location: String,
        /// Quantity available (on hand minus reserved).
        available: String,
        /// Quantity requested.
        requested: String,
    },
    /// The record changed since it was read (optimistic concurrency), or a unique value is taken.
    #[error("conflict: {message}")]
    Conflict {
        /// What conflicted.
        message: String,
        /// The record's current version, when known (for HTTP 409/412 answers).
        current_version: Option<i64>,
        /// The field whose value is taken, for a unique value.
        field: Option<String>,
    },
    /// Too many attempts (failed logins); retry after the given number of seconds.
    #[error("too many attempts: retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a new attempt may succeed.
        retry_after_secs: u64,
    },
    /// The store is temporarily busy; retrying later may succeed.
    #[error("busy: try again")]
    Busy,
    /// Content is larger than a limit allows: the per-file limit, or what is left of the
    /// organization's storage (attachments). Nothing was stored.
    #[error("too large: {message}")]
    TooLarge {
        /// The limit that was hit, in bytes.
        limit_bytes: u64,
        /// Which limit.
        message: String,
    },
    /// The content's type, sniffed from its first bytes, is not on the allow-list
    /// (attachments). Nothing was stored.
    #[error("unsupported content type {content_type}")]
    UnsupportedType {
        /// The sniffed type.
        content_type: String,
    },
    /// The store failed in a way the caller cannot fix: the message says what (which
    /// database, which operation where known, the driver's text) and `source()` is the driver's
    /// error. Servers log it and answer with a generic message.
    #[error(transparent)]
    Store(StoreFailure),
}

/// What went wrong in the store, inside [`CmmsError::Store`]: a readable message and, when a
/// driver reported it, the driver's error as [`std::error::Error::source`]. Cheap to clone (the
/// source is shared). Displays as `storage error: <message>`.
///
/// ```
/// use cmms_core::{CmmsError, StoreFailure};
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
/// let e = CmmsError::Store(StoreFailure::with_source("cannot connect to db:5432", io));
/// assert_eq!(e.to_string(), "storage error: cannot connect to db:5432");
/// assert_eq!(std::error::Error::source(&e).map(|s| s.to_string()).as_deref(), Some("connection refused"));
/// ```
#[derive(Debug, Clone)]
pub struct StoreFailure {
    message: String,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl StoreFailure {
    /// A failure with a message and no driver error.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }

    /// A failure with a message and the driver's error as its source.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self { message: message.into(), source: Some(Arc::from(source.into())) }
    }

    /// The message, without the `storage error: ` prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The driver's own text (its error chain, see [`error_chain`]), when there is a driver
    /// error.
    pub fn driver_message(&self) -> Option<String> {
        self.source.as_deref().map(|s| error_chain(s))
    }
}

impl fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage error: {}", self.message)
    }
}

impl StdError for StoreFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn StdError + 'static))
    }
}

/// Two failures are equal when their messages are (driver errors are not comparable).
impl PartialEq for StoreFailure {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
    }
}

/// An error and its sources joined by `": "`, leaving out a source whose text the chain already
/// shows (many errors print their source inside their own message).
///
/// ```
/// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
/// assert_eq!(cmms_core::error::error_chain(&io), "no such file");
/// ```
pub fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(source) = next {
        let part = source.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = source.source();
    }
    text
}

/// The known name closest to a misspelt `name` (at most a third of its letters apart, and at
/// least one), for "did you mean ...?" hints on unknown fields.
///
/// ```
/// use cmms_core::error::closest;
/// assert_eq!(closest("priorty", &["title", "priority"]), Some("priority"));
/// assert_eq!(closest("colour", &["title", "priority"]), None);
/// ```
pub fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn display_fields(fields: &[FieldError]) -> String {
    fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl CmmsError {
    /// The stable machine code of this error.
    ///
    /// ```
    /// use cmms_core::CmmsError;
    /// assert_eq!(CmmsError::invalid("title", "must not be empty").code(), "validation_failed");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::Validation(_) => "validation_failed",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::InsufficientStock { .. } => "insufficient_stock",
            Self::Conflict { .. } => "conflict",
            Self::RateLimited { .. } => "rate_limited",
            Self::Busy => "busy",
            // The HTTP codes of the same refusals of a body, so clients handle one code each.
            Self::TooLarge { .. } => "payload_too_large",
            Self::UnsupportedType { .. } => "unsupported_media_type",
            Self::Store(_) => "store_error",
        }
    }

    /// A storage error with a message and no driver error.
    ///
    /// ```
    /// let e = cmms_core::CmmsError::store("the event stream closed");
    /// assert_eq!((e.code(), e.to_string().as_str()), ("store_error", "storage error: the event stream closed"));
    /// ```
    pub fn store(message: impl Into<String>) -> Self {
        Self::Store(StoreFailure::new(message))
    }

    /// A validation error for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError { field: field.into(), message: message.into() }])
    }

    /// A not-found error for an entity kind and id.
    pub fn not_found(entity: impl Into<String>, id: impl fmt::Display) -> Self {
        Self::NotFound { entity: entity.into(), id: id.to_string() }
    }

    /// A conflict error without a known current version.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict { message: message.into(), current_version: None, field: None }
    }

    /// A unique value that is already taken: a conflict naming the field.
    ///
    /// ```
    /// use cmms_core::CmmsError;
    /// let e = CmmsError::taken("code", "site code P1 is already used");
    /// assert_eq!(e.code(), "conflict");
    /// ```
    pub fn taken(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict { message: message.into(), current_version: None, field: Some(field.into()) }
    }

    /// The field errors, when this is a validation error.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Validation(fields) => fields,
            _ => &[],
        }
    }
}

/// What a store returns. Backend-neutral: each store maps its driver errors in one private
/// function, so core never depends on sqlx or rusqlite.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The row does not exist in this organization.
    #[error("{entity} {id} not found")]
    NotFound {
        /// Entity kind.
        entity: &'static str,
        /// The id looked up.
        id: String,
    },
    /// Version mismatch, unique violation or a stock delta that would go below zero.
    #[error("conflict: {message}")]
    Conflict {
        /// What conflicted.
        message: String,
        /// Current version of the row, when the conflict is a version mismatch.
        current_version: Option<i64>,
    },
    /// A reference to a row that does not exist in the same organization.
    #[error("invalid reference: {0}")]
    InvalidReference(String),
    /// Locked, busy or timed out; retryable.
    #[error("store busy")]
    Busy,
    /// The schema is missing, older or newer than this binary.
    #[error("migration: {0}")]
    Migration(String),
    /// The backend failed at a step the store can name: `message` says which database and
    /// what the store was doing, with the driver's text ("cannot connect to PostgreSQL at
    /// db:5432/cmms as user app: ..."); `source` is the driver's error. Not retryable.
    #[error("{message}")]
    Failed {
        /// Which database, which operation, and the driver's text.
        message: String,
        /// The driver's error.
        source: Box<dyn StdError + Send + Sync>,
    },
    /// Anything else the backend reports.
    #[error("backend: {0}")]
    Backend(Box<dyn StdError + Send + Sync>),
}

impl StoreError {
    /// A backend error from a message.
    pub fn backend(message: impl Into<String>) -> Self {
        Self::Backend(message.into().into())
    }

    /// A failure at a step the store names (see [`StoreError::Failed`]).
    pub fn failed(
        message: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self::Failed { message: message.into(), source: source.into() }
    }

    /// A conflict from a message, without a version.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict { message: message.into(), current_version: None }
    }
}

impl From<StoreError> for CmmsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, id } => {
                CmmsError::NotFound { entity: entity.into(), id }
            }
            StoreError::Conflict { message, current_version } => {
                CmmsError::Conflict { message, current_version, field: None }
            }
            StoreError::InvalidReference(what) => CmmsError::invalid("reference", what),
            StoreError::Busy => CmmsError::Busy,
            StoreError::Migration(m) => CmmsError::store(format!("schema: {m}")),
            // The caller gets the whole story (and may log it); a debug event helps whoever
            // wonders where an error came from.
            StoreError::Failed { message, source } => {
                tracing::debug!(%message, "store failure");
                CmmsError::Store(StoreFailure::with_source(message, source))
            }
            StoreError::Backend(b) => {
                let message = format!("the database reported an error: {}", error_chain(&*b));
                tracing::debug!(%message, "store backend error");
                CmmsError::Store(StoreFailure::with_source(message, b))
            }
        }
    }
}

/// Result alias used across core.
pub type Result<T, E = CmmsError> = std::result::Result<T, E>;

/// Collects field errors so a use case can report every bad field at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with a field.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    /// Records the field errors of a nested validation result.
    pub fn absorb(&mut self, result: Result<()>) -> Result<()> {
        match result {
            Ok(()) => Ok(()),
            Err(CmmsError::Validation(fields)) => {
                self.0.extend(fields);
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    /// `Ok` when nothing was recorded, else one `Validation` error with every problem.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(CmmsError::Validation(self.0)) }
    }
}
