//! Rows that are not described records — audit entries and events, written and numbered by the
//! commit itself — and the column helpers they need. Described records are read by `record`.

use chrono::{DateTime, Utc};
use cmms_core::domain::EntityRef;
use cmms_core::domain::audit::{AuditDraft, AuditEntry};
use cmms_core::domain::event::{Event, EventDraft};
use rusqlite::Row;
use rusqlite::types::{Type, Value};
use serde::de::DeserializeOwned;
use std::str::FromStr;
use uuid::Uuid;

/// Microseconds since the epoch (what every timestamp column holds).
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// A UUID as a dynamic SQL value.
pub(crate) fn uuid_value(id: impl Into<Uuid>) -> Value {
    Value::Blob(id.into().as_bytes().to_vec())
}

/// JSON text of a value for a TEXT column.
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(
    v: &T,
) -> Result<String, cmms_core::StoreError> {
    serde_json::to_string(v).map_err(crate::error::map_json)
}

fn conversion(
    col: &str,
    ty: Type,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    tracing::error!(column = col, error = %e, "stored value does not convert");
    rusqlite::Error::FromSqlConversionFailure(0, ty, Box::new(e))
}

/// A timestamp column.
fn ts(row: &Row<'_>, col: &str) -> rusqlite::Result<DateTime<Utc>> {
    let v: i64 = row.get(col)?;
    DateTime::from_timestamp_micros(v).ok_or_else(|| {
        conversion(col, Type::Integer, cmms_core::StoreError::backend("timestamp out of range"))
    })
}

/// An id column, as any typed id.
pub(crate) fn id<T: From<Uuid>>(row: &Row<'_>, col: &str) -> rusqlite::Result<T> {
    Ok(T::from(row.get::<_, Uuid>(col)?))
}

fn opt_id<T: From<Uuid>>(row: &Row<'_>, col: &str) -> rusqlite::Result<Option<T>> {
    Ok(row.get::<_, Option<Uuid>>(col)?.map(T::from))
}

fn enum_col<T>(row: &Row<'_>, col: &str) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let s: String = row.get(col)?;
    s.parse().map_err(|e| conversion(col, Type::Text, e))
}

fn json<T: DeserializeOwned>(row: &Row<'_>, col: &str) -> rusqlite::Result<T> {
    let s: String = row.get(col)?;
    serde_json::from_str(&s).map_err(|e| conversion(col, Type::Text, e))
}

fn opt_json<T: DeserializeOwned>(row: &Row<'_>, col: &str) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = row.get(col)?;
    s.map(|s| serde_json::from_str(&s).map_err(|e| conversion(col, Type::Text, e))).transpose()
}

/// An audit entry.
pub(crate) fn audit_entry(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        org_id: id(row, "org_id")?,
        seq: row.get("seq")?,
        draft: AuditDraft {
            at: ts(row, "at")?,
            actor_id: opt_id(row, "actor_id")?,
            action: row.get("action")?,
            entity: EntityRef { kind: enum_col(row, "entity_kind")?, id: row.get("entity_id")? },
            before: opt_json(row, "before_doc")?,
            after: opt_json(row, "after_doc")?,
            request_id: row.get("request_id")?,
        },
        prev_hash: row.get("prev_hash")?,
        hash: row.get("hash")?,
    })
}

/// An event.
pub(crate) fn event(row: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        org_id: id(row, "org_id")?,
        seq: row.get("seq")?,
        draft: EventDraft {
            kind: enum_col(row, "kind")?,
            entity: EntityRef { kind: enum_col(row, "entity_kind")?, id: row.get("entity_id")? },
            actor_id: opt_id(row, "actor_id")?,
            audience: json(row, "audience")?,
            payload: json(row, "payload")?,
            at: ts(row, "at")?,
        },
    })
}
