//! Row -> record mapping: column helpers (ids, timestamps, enums by wire name, jsonb documents)
//! and the `from_row` function of org-level records, assets, audit entries and events.

use chrono::{DateTime, Utc};
use cmms_core::domain::EntityRef;
use cmms_core::domain::asset::Asset;
use cmms_core::domain::audit::{AuditDraft, AuditEntry};
use cmms_core::domain::event::{Event, EventDraft};
use cmms_core::domain::failure_code::FailureCode;
use cmms_core::domain::location::Location;
use cmms_core::domain::org::Org;
use cmms_core::domain::site::Site;
use cmms_core::domain::team::Team;
use cmms_core::domain::user::{CustomRole, RoleGrant, User};
use cmms_core::rbac::RoleRef;
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

/// A nullable timestamp column.
pub(crate) fn opt_ts(row: &PgRow, col: &str) -> RowResult<Option<DateTime<Utc>>> {
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

/// A uuid[] column (NULL reads as empty), as typed ids in order.
pub(crate) fn ids<T: From<Uuid>>(row: &PgRow, col: &str) -> RowResult<Vec<T>> {
    let v: Option<Vec<Uuid>> = row.try_get(col)?;
    Ok(v.unwrap_or_default().into_iter().map(T::from).collect())
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

/// A nullable text column holding a wire name.
pub(crate) fn opt_enum<T>(row: &PgRow, col: &str) -> RowResult<Option<T>>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| s.parse().map_err(|e| decode_error(col, e))).transpose()
}

/// A jsonb column, deserialized.
pub(crate) fn json<T: DeserializeOwned>(row: &PgRow, col: &str) -> RowResult<T> {
    let v: serde_json::Value = row.try_get(col)?;
    serde_json::from_value(v).map_err(|e| decode_error(col, e))
}

/// A nullable jsonb column, deserialized.
pub(crate) fn opt_json<T: DeserializeOwned>(row: &PgRow, col: &str) -> RowResult<Option<T>> {
    let v: Option<serde_json::Value> = row.try_get(col)?;
    v.map(|v| serde_json::from_value(v).map_err(|e| decode_error(col, e))).transpose()
}

/// A bigint column that holds a small number (criticality, level, position).
pub(crate) fn small<T: TryFrom<i64>>(row: &PgRow, col: &str) -> RowResult<T> {
    let v: i64 = row.try_get(col)?;
    T::try_from(v).map_err(|_| {
        decode_error(col, cmms_core::StoreError::backend(format!("{v} is out of range")))
    })
}

/// Any other column, as stored.
pub(crate) fn get<T>(row: &PgRow, col: &str) -> RowResult<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(col)
}

/// An org.
pub(crate) fn org(row: &PgRow) -> RowResult<Org> {
    Ok(Org {
        id: id(row, "id")?,
        name: get(row, "name")?,
        settings: json(row, "settings")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
}

/// A site.
pub(crate) fn site(row: &PgRow) -> RowResult<Site> {
    Ok(Site {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: get(row, "name")?,
        code: get(row, "code")?,
        kind: enum_col(row, "kind")?,
        time_zone: get(row, "time_zone")?,
        address: get(row, "address")?,
        active: get(row, "active")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
}

/// A location.
pub(crate) fn location(row: &PgRow) -> RowResult<Location> {
    Ok(Location {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        site_id: id(row, "site_id")?,
        parent_id: opt_id(row, "parent_id")?,
        name: get(row, "name")?,
        code: get(row, "code")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
}

/// A team; the query selects `member_ids` (see `reads::TEAM_SELECT`).
pub(crate) fn team(row: &PgRow) -> RowResult<Team> {
    Ok(Team {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: get(row, "name")?,
        site_id: opt_id(row, "site_id")?,
        members: ids(row, "member_ids")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
}

/// A user.
pub(crate) fn user(row: &PgRow) -> RowResult<User> {
    Ok(User {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: get(row, "name")?,
        email: get(row, "email")?,
        active: get(row, "active")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
}

/// A custom role.
pub(crate) fn role(row: &PgRow) -> RowResult<CustomRole> {
    Ok(CustomRole {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        level: small(row, "level")?,
        permissions: json(row, "permissions")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
}

/// A role grant.
pub(crate) fn grant(row: &PgRow) -> RowResult<RoleGrant> {
    let role = match opt_enum(row, "role_builtin")? {
        Some(builtin) => RoleRef::Builtin(builtin),
        None => RoleRef::Custom(id(row, "role_id")?),
    };
    Ok(RoleGrant {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        user_id: id(row, "user_id")?,
        role,
        sites: opt_json(row, "sites")?,
        granted_by: opt_id(row, "granted_by")?,
        granted_at: ts(row, "granted_at")?,
    })
}

/// A failure code.
pub(crate) fn failure_code(row: &PgRow) -> RowResult<FailureCode> {
    Ok(FailureCode {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        kind: enum_col(row, "kind")?,
        code: get(row, "code")?,
        description: get(row, "description")?,
        created_at: ts(row, "created_at")?,
    })
}

/// An asset.
pub(crate) fn asset(row: &PgRow) -> RowResult<Asset> {
    Ok(Asset {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        site_id: id(row, "site_id")?,
        location_id: opt_id(row, "location_id")?,
        parent_id: opt_id(row, "parent_id")?,
        name: get(row, "name")?,
        code: get(row, "code")?,
        category: get(row, "category")?,
        manufacturer: get(row, "manufacturer")?,
        model: get(row, "model")?,
        serial_number: get(row, "serial_number")?,
        criticality: small(row, "criticality")?,
        state: enum_col(row, "state")?,
        specifications: get(row, "specifications")?,
        custom_fields: get(row, "custom_fields")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
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
