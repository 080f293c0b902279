//! The reads whose SQL is special, every one filtered by org_id but the two that find an
//! organization (its id list for jobs, an id by slug for logging in),
//! tree paths (recursive queries), team membership by user (a join table read by item), the
//! completed work awaiting confirmation (a range), and the audit and event chains. Described
//! records are otherwise read by the generic select in `record`.

use crate::error::map_rusqlite;
use crate::rows::{self, micros};
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::domain::audit::{AuditEntry, GENESIS_HASH};
use cmms_core::domain::event::Event;
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::ids::*;
use cmms_core::store::record::WORK_ORDERS;
use rusqlite::{Connection, OptionalExtension, Params, Row, params};

/// Result of a read.
pub(crate) type R<T> = Result<T, StoreError>;

pub(crate) fn all<T, P: Params>(
    c: &Connection,
    sql: &str,
    p: P,
    f: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> R<Vec<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(map_rusqlite)?;
    let rows = stmt.query_map(p, f).map_err(map_rusqlite)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(map_rusqlite)
}

pub(crate) fn one<T, P: Params>(
    c: &Connection,
    sql: &str,
    p: P,
    f: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> R<Option<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(map_rusqlite)?;
    stmt.query_row(p, f).optional().map_err(map_rusqlite)
}

pub(crate) fn list_org_ids(c: &Connection) -> R<Vec<OrgId>> {
    all(c, "SELECT id FROM orgs ORDER BY id", [], |r| rows::id(r, "id"))
}

pub(crate) fn find_org_by_slug(c: &Connection, slug: &str) -> R<Option<OrgId>> {
    let sql = "SELECT id FROM orgs WHERE slug = ?1";
    Ok(all(c, sql, params![slug], |r| rows::id(r, "id"))?.into_iter().next())
}

fn path<T: From<uuid::Uuid>>(
    c: &Connection,
    table: &'static str,
    org: OrgId,
    id: uuid::Uuid,
) -> R<Vec<T>> {
    let sql = format!(
        "WITH RECURSIVE p(id, parent_id, depth) AS ( \
           SELECT id, parent_id, 0 FROM {table} WHERE org_id = ?1 AND id = ?2 \
           UNION ALL \
           SELECT t.id, t.parent_id, p.depth + 1 FROM {table} t \
             JOIN p ON t.org_id = ?1 AND t.id = p.parent_id WHERE p.depth < 1000) \
         SELECT id FROM p ORDER BY depth"
    );
    all(c, &sql, params![org.0, id], |r| rows::id(r, "id"))
}

pub(crate) fn location_path(c: &Connection, org: OrgId, id: LocationId) -> R<Vec<LocationId>> {
    path(c, "locations", org, id.0)
}

pub(crate) fn teams_of_user(c: &Connection, org: OrgId, user: UserId) -> R<Vec<TeamId>> {
    let sql =
        "SELECT team_id FROM team_members WHERE org_id = ?1 AND user_id = ?2 ORDER BY team_id";
    all(c, sql, params![org.0, user.0], |r| rows::id(r, "team_id"))
}

pub(crate) fn asset_path(c: &Connection, org: OrgId, id: AssetId) -> R<Vec<AssetId>> {
    path(c, "assets", org, id.0)
}

pub(crate) fn awaiting_confirmation(
    c: &Connection,
    org: OrgId,
    before: DateTime<Utc>,
) -> R<Vec<WorkOrder>> {
    let sql = format!(
        "{} WHERE t.org_id = ?1 AND t.status = 'completed' AND t.request_id IS NOT NULL \
         AND t.actual_end <= ?2 ORDER BY t.actual_end, t.id",
        crate::record::sql(&WORK_ORDERS).select
    );
    crate::record::query_records(c, &sql, params![org.0, micros(before)])
}

pub(crate) fn audit_entries(
    c: &Connection,
    org: OrgId,
    after: i64,
    limit: u32,
) -> R<Vec<AuditEntry>> {
    let sql = "SELECT * FROM audit_log WHERE org_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
    all(c, sql, params![org.0, after, limit], rows::audit_entry)
}

pub(crate) fn audit_head(c: &Connection, org: OrgId) -> R<(i64, String)> {
    let sql = "SELECT seq, hash FROM audit_heads WHERE org_id = ?1";
    let head = one(c, sql, params![org.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(head.unwrap_or_else(|| (0, GENESIS_HASH.to_string())))
}

/// The newest event's sequence number of an organization (0 without events).
pub(crate) fn event_head(c: &Connection, org: OrgId) -> R<i64> {
    let sql = "SELECT coalesce((SELECT seq FROM event_heads WHERE org_id = ?1), 0)";
    c.query_row(sql, params![org.0], |row| row.get(0)).map_err(map_rusqlite)
}

pub(crate) fn events_since(c: &Connection, org: OrgId, after: i64, limit: u32) -> R<Vec<Event>> {
    let sql = "SELECT * FROM events WHERE org_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
    all(c, sql, params![org.0, after, limit], rows::event)
}
