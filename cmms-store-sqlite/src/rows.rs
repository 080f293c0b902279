//! Row <-> record mapping helpers and the `from_row` function of every record: UUIDs as 16-byte
//! BLOBs, timestamps as microseconds since the epoch, JSON as TEXT, enums by wire name.

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
use rusqlite::types::{Type, Value};
use rusqlite::{Row, RowIndex};
use serde::de::DeserializeOwned;
use std::str::FromStr;
use uuid::Uuid;

/// Microseconds since the epoch (what every timestamp column holds).
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// `micros` of an optional timestamp.
pub(crate) fn opt_micros(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(micros)
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

/// A column named or numbered: the mappers read hot records (work orders) by position and the
/// rest by name.
pub(crate) trait Col: RowIndex + Copy + std::fmt::Debug {}
impl<T: RowIndex + Copy + std::fmt::Debug> Col for T {}

/// Where `name` is in `cols`, evaluated at compile time by the `at!` macros of the mappers.
/// A missing name gives `usize::MAX`, which reads fail on with an invalid-column error (never a
/// panic); the tests check every column list against its statement.
pub(crate) const fn position(cols: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < cols.len() {
        let (a, b) = (cols[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    usize::MAX
}

fn conversion(
    idx: impl std::fmt::Debug,
    ty: Type,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    tracing::error!(column = ?idx, error = %e, "stored value does not convert");
    rusqlite::Error::FromSqlConversionFailure(0, ty, Box::new(e))
}

/// A timestamp column.
pub(crate) fn ts(row: &Row<'_>, col: impl Col) -> rusqlite::Result<DateTime<Utc>> {
    let v: i64 = row.get(col)?;
    from_micros(col, v)
}

/// A nullable timestamp column.
pub(crate) fn opt_ts(row: &Row<'_>, col: impl Col) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let v: Option<i64> = row.get(col)?;
    v.map(|v| from_micros(col, v)).transpose()
}

fn from_micros(col: impl Col, v: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| {
        conversion(col, Type::Integer, cmms_core::StoreError::backend("timestamp out of range"))
    })
}

/// An id column, as any typed id.
pub(crate) fn id<T: From<Uuid>>(row: &Row<'_>, col: impl Col) -> rusqlite::Result<T> {
    Ok(T::from(row.get::<_, Uuid>(col)?))
}

/// A nullable id column.
pub(crate) fn opt_id<T: From<Uuid>>(row: &Row<'_>, col: impl Col) -> rusqlite::Result<Option<T>> {
    Ok(row.get::<_, Option<Uuid>>(col)?.map(T::from))
}

/// A TEXT column holding a wire name.
pub(crate) fn enum_col<T>(row: &Row<'_>, col: impl Col) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let s: String = row.get(col)?;
    s.parse().map_err(|e| conversion(col, Type::Text, e))
}

/// A nullable TEXT column holding a wire name.
pub(crate) fn opt_enum<T>(row: &Row<'_>, col: impl Col) -> rusqlite::Result<Option<T>>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let s: Option<String> = row.get(col)?;
    s.map(|s| s.parse().map_err(|e| conversion(col, Type::Text, e))).transpose()
}

/// A TEXT column holding JSON.
pub(crate) fn json<T: DeserializeOwned>(row: &Row<'_>, col: impl Col) -> rusqlite::Result<T> {
    let s: String = row.get(col)?;
    serde_json::from_str(&s).map_err(|e| conversion(col, Type::Text, e))
}

/// A nullable TEXT column holding JSON.
pub(crate) fn opt_json<T: DeserializeOwned>(
    row: &Row<'_>,
    col: impl Col,
) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = row.get(col)?;
    s.map(|s| serde_json::from_str(&s).map_err(|e| conversion(col, Type::Text, e))).transpose()
}

/// A boolean stored as 0/1.
pub(crate) fn flag(row: &Row<'_>, col: impl Col) -> rusqlite::Result<bool> {
    Ok(row.get::<_, i64>(col)? != 0)
}

/// A comma-separated list of hex UUIDs (from `group_concat(hex(id))`), in order.
pub(crate) fn hex_ids<T: From<Uuid>>(row: &Row<'_>, col: impl Col) -> rusqlite::Result<Vec<T>> {
    let s: Option<String> = row.get(col)?;
    let Some(s) = s else { return Ok(Vec::new()) };
    s.split(',')
        .filter(|h| !h.is_empty())
        .map(|h| Uuid::parse_str(h).map(T::from).map_err(|e| conversion(col, Type::Text, e)))
        .collect()
}

fn small<T: TryFrom<i64>>(row: &Row<'_>, col: impl Col) -> rusqlite::Result<T> {
    let v: i64 = row.get(col)?;
    T::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, v))
}

/// An org.
pub(crate) fn org(row: &Row<'_>) -> rusqlite::Result<Org> {
    Ok(Org {
        id: id(row, "id")?,
        name: row.get("name")?,
        settings: json(row, "settings")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
    })
}

/// A site.
pub(crate) fn site(row: &Row<'_>) -> rusqlite::Result<Site> {
    Ok(Site {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: row.get("name")?,
        code: row.get("code")?,
        kind: enum_col(row, "kind")?,
        time_zone: row.get("time_zone")?,
        address: row.get("address")?,
        active: flag(row, "active")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
    })
}

/// A location.
pub(crate) fn location(row: &Row<'_>) -> rusqlite::Result<Location> {
    Ok(Location {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        site_id: id(row, "site_id")?,
        parent_id: opt_id(row, "parent_id")?,
        name: row.get("name")?,
        code: row.get("code")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
    })
}

/// A team; the query selects `member_hex` (see `reads::TEAM_SELECT`).
pub(crate) fn team(row: &Row<'_>) -> rusqlite::Result<Team> {
    Ok(Team {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: row.get("name")?,
        site_id: opt_id(row, "site_id")?,
        members: hex_ids(row, "member_hex")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
    })
}

/// A user.
pub(crate) fn user(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: row.get("name")?,
        email: row.get("email")?,
        active: flag(row, "active")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
    })
}

/// A custom role.
pub(crate) fn role(row: &Row<'_>) -> rusqlite::Result<CustomRole> {
    Ok(CustomRole {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: row.get("name")?,
        description: row.get("description")?,
        level: small(row, "level")?,
        permissions: json(row, "permissions")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
    })
}

/// A role grant.
pub(crate) fn grant(row: &Row<'_>) -> rusqlite::Result<RoleGrant> {
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
pub(crate) fn failure_code(row: &Row<'_>) -> rusqlite::Result<FailureCode> {
    Ok(FailureCode {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        kind: enum_col(row, "kind")?,
        code: row.get("code")?,
        description: row.get("description")?,
        created_at: ts(row, "created_at")?,
    })
}

/// An asset.
pub(crate) fn asset(row: &Row<'_>) -> rusqlite::Result<Asset> {
    Ok(Asset {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        site_id: id(row, "site_id")?,
        location_id: opt_id(row, "location_id")?,
        parent_id: opt_id(row, "parent_id")?,
        name: row.get("name")?,
        code: row.get("code")?,
        category: row.get("category")?,
        manufacturer: row.get("manufacturer")?,
        model: row.get("model")?,
        serial_number: row.get("serial_number")?,
        criticality: small(row, "criticality")?,
        state: enum_col(row, "state")?,
        specifications: json(row, "specifications")?,
        custom_fields: json(row, "custom_fields")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
    })
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
