//! Rows that are not described records — audit entries and events, written and numbered by the
//! commit itself — and the column helpers they need. Described records are read by `record`.

use chrono::{DateTime, Utc};
use cmms_core::domain::EntityRef;
use cmms_core::domain::audit::{AuditDraft, AuditEntry};
use cmms_core::domain::event::{Event, EventDraft};
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::postgres::PgRow;
use std::str::FromStr;
use uuid::Uuid;

/// Result of mapping one row.
pub(crate) type RowResult<T> = Result<T, sqlx::Error>;

fn decode_error(col: &str, e: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    tracing::error!(column = col, error = %e, "stored value does not convert");
    sqlx::Error::ColumnDecode { index: col.to_owned(), source: Box::new(e) }
}

/// A timestamp column.
pub(crate) fn ts(row: &PgRow, col: &str) -> RowResult<DateTime<Utc>> {
    row.try_get(col)
}

/// An id column, as any typed id.
pub(crate) fn id<T: From<Uuid>>(row: &PgRow, col: &str) -> RowResult<T> {
    Ok(T::from(row.try_get::<Uuid, _>(col)?))
}

/// A nullable id column.
pub(crate) fn opt_id<T: From<Uuid>>(row: &PgRow, col: &str) -> RowResult<Option<T>> {
    Ok(row.try_get::<Option<Uuid>, _>(col)?.map(T::from))
}

/// A text column holding a wire name.
pub(crate) fn enum_col<T>(row: &PgRow, col: &str) -> RowResult<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let s: String = row.try_get(col)?;
    s.parse().map_err(|e| decode_error(col, e))
}

/// A jsonb column, deserialized.
pub(crate) fn json<T: DeserializeOwned>(row: &PgRow, col: &str) -> RowResult<T> {
    let v: serde_json::Value = row.try_get(col)?;
    serde_json::from_value(v).map_err(|e| decode_error(col, e))
}

/// Any other column, as stored.
pub(crate) fn get<T>(row: &PgRow, col: &str) -> RowResult<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(col)
}

/// An audit entry.
pub(crate) fn audit_entry(row: &PgRow) -> RowResult<AuditEntry> {
    Ok(AuditEntry {
        org_id: id(row, "org_id")?,
        seq: get(row, "seq")?,
        draft: AuditDraft {
            at: ts(row, "at")?,
            actor_id: opt_id(row, "actor_id")?,
            action: get(row, "action")?,
            entity: EntityRef { kind: enum_col(row, "entity_kind")?, id: get(row, "entity_id")? },
            before: get(row, "before_doc")?,
            after: get(row, "after_doc")?,
            request_id: get(row, "request_id")?,
        },
        prev_hash: get(row, "prev_hash")?,
        hash: get(row, "hash")?,
    })
}

/// An event.
pub(crate) fn event(row: &PgRow) -> RowResult<Event> {
    Ok(Event {
        org_id: id(row, "org_id")?,
        seq: get(row, "seq")?,
        draft: EventDraft {
            kind: enum_col(row, "kind")?,
            entity: EntityRef { kind: enum_col(row, "entity_kind")?, id: get(row, "entity_id")? },
            actor_id: opt_id(row, "actor_id")?,
            audience: json(row, "audience")?,
            payload: get(row, "payload")?,
            at: ts(row, "at")?,
        },
    })
}
