//! Point reads and small lists, every one filtered by org_id: orgs, sites, locations, teams,
//! users, grants, roles, assets, work orders and their children, requests, audit and events.

use crate::error::map_rusqlite;
use crate::rows::{self, micros, uuid_value};
use crate::rows_work;
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::domain::asset::Asset;
use cmms_core::domain::audit::{AuditEntry, GENESIS_HASH};
use cmms_core::domain::checklist::ChecklistItem;
use cmms_core::domain::comment::Comment;
use cmms_core::domain::event::Event;
use cmms_core::domain::failure_code::FailureCode;
use cmms_core::domain::labor::LaborEntry;
use cmms_core::domain::location::Location;
use cmms_core::domain::org::Org;
use cmms_core::domain::request::Request;
use cmms_core::domain::site::Site;
use cmms_core::domain::team::Team;
use cmms_core::domain::timeline::TimelineEntry;
use cmms_core::domain::user::{CustomRole, RoleGrant, User};
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::ids::*;
use rusqlite::{Connection, OptionalExtension, Params, Row, params, params_from_iter};

/// Result of a read.
pub(crate) type R<T> = Result<T, StoreError>;

/// Work orders with their assignees (hex, in position order) in one query.
pub(crate) const WO_SELECT: &str = "SELECT w.*, (SELECT group_concat(hex(a.user_id), ',' ORDER BY \
     a.position) FROM work_order_assignees a WHERE a.org_id = w.org_id AND a.work_order_id = w.id) \
     AS assignee_hex FROM work_orders w";

/// Teams with their members (hex, in position order) in one query.
const TEAM_SELECT: &str = "SELECT t.*, (SELECT group_concat(hex(m.user_id), ',' ORDER BY \
     m.position) FROM team_members m WHERE m.org_id = t.org_id AND m.team_id = t.id) \
     AS member_hex FROM teams t";

/// All rows of a cached statement.
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

/// The first row of a cached statement, if any.
pub(crate) fn one<T, P: Params>(
    c: &Connection,
    sql: &str,
    p: P,
    f: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> R<Option<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(map_rusqlite)?;
    stmt.query_row(p, f).optional().map_err(map_rusqlite)
}

pub(crate) fn get_org(c: &Connection, org: OrgId) -> R<Option<Org>> {
    one(c, "SELECT * FROM orgs WHERE id = ?1", params![org.0], rows::org)
}

pub(crate) fn list_org_ids(c: &Connection) -> R<Vec<OrgId>> {
    all(c, "SELECT id FROM orgs ORDER BY id", [], |r| rows::id(r, "id"))
}

pub(crate) fn list_failure_codes(c: &Connection, org: OrgId) -> R<Vec<FailureCode>> {
    // Kinds in their declared order (problem, cause, remedy), then code.
    all(
        c,
        "SELECT * FROM failure_codes WHERE org_id = ?1 ORDER BY CASE kind WHEN 'problem' THEN 0 \
         WHEN 'cause' THEN 1 ELSE 2 END, code",
        params![org.0],
        rows::failure_code,
    )
}

pub(crate) fn get_site(c: &Connection, org: OrgId, id: SiteId) -> R<Option<Site>> {
    one(c, "SELECT * FROM sites WHERE org_id = ?1 AND id = ?2", params![org.0, id.0], rows::site)
}

pub(crate) fn list_sites(c: &Connection, org: OrgId) -> R<Vec<Site>> {
    all(c, "SELECT * FROM sites WHERE org_id = ?1 ORDER BY code, id", params![org.0], rows::site)
}

pub(crate) fn get_location(c: &Connection, org: OrgId, id: LocationId) -> R<Option<Location>> {
    let sql = "SELECT * FROM locations WHERE org_id = ?1 AND id = ?2";
    one(c, sql, params![org.0, id.0], rows::location)
}

pub(crate) fn list_locations(c: &Connection, org: OrgId, site: Option<SiteId>) -> R<Vec<Location>> {
    match site {
        Some(site) => all(
            c,
            "SELECT * FROM locations WHERE org_id = ?1 AND site_id = ?2 ORDER BY name, id",
            params![org.0, site.0],
            rows::location,
        ),
        None => all(
            c,
            "SELECT * FROM locations WHERE org_id = ?1 ORDER BY name, id",
            params![org.0],
            rows::location,
        ),
    }
}

/// Walks `parent_id` from a node to its root (node first), at most 1000 steps deep so corrupted
/// data cannot loop. `table` is a fixed table name.
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

pub(crate) fn get_team(c: &Connection, org: OrgId, id: TeamId) -> R<Option<Team>> {
    let sql = format!("{TEAM_SELECT} WHERE t.org_id = ?1 AND t.id = ?2");
    one(c, &sql, params![org.0, id.0], rows::team)
}

pub(crate) fn list_teams(c: &Connection, org: OrgId) -> R<Vec<Team>> {
    let sql = format!("{TEAM_SELECT} WHERE t.org_id = ?1 ORDER BY t.name, t.id");
    all(c, &sql, params![org.0], rows::team)
}

pub(crate) fn teams_of_user(c: &Connection, org: OrgId, user: UserId) -> R<Vec<TeamId>> {
    let sql =
        "SELECT team_id FROM team_members WHERE org_id = ?1 AND user_id = ?2 ORDER BY team_id";
    all(c, sql, params![org.0, user.0], |r| rows::id(r, "team_id"))
}

pub(crate) fn get_user(c: &Connection, org: OrgId, id: UserId) -> R<Option<User>> {
    one(c, "SELECT * FROM users WHERE org_id = ?1 AND id = ?2", params![org.0, id.0], rows::user)
}

pub(crate) fn find_user_by_email(c: &Connection, org: OrgId, email: &str) -> R<Option<User>> {
    let sql = "SELECT * FROM users WHERE org_id = ?1 AND email = ?2";
    one(c, sql, params![org.0, email], rows::user)
}

pub(crate) fn users_by_ids(c: &Connection, org: OrgId, ids: &[UserId]) -> R<Vec<User>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    // Chunks keep the number of bound parameters well below SQLite's limit.
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!("SELECT * FROM users WHERE org_id = ? AND id IN ({marks})");
        let args = std::iter::once(uuid_value(org)).chain(chunk.iter().map(|u| uuid_value(*u)));
        out.extend(all(c, &sql, params_from_iter(args), rows::user)?);
    }
    Ok(out)
}

pub(crate) fn grants_of_user(c: &Connection, org: OrgId, user: UserId) -> R<Vec<RoleGrant>> {
    let sql =
        "SELECT * FROM role_grants WHERE org_id = ?1 AND user_id = ?2 ORDER BY granted_at, id";
    all(c, sql, params![org.0, user.0], rows::grant)
}

pub(crate) fn get_grant(c: &Connection, org: OrgId, id: GrantId) -> R<Option<RoleGrant>> {
    let sql = "SELECT * FROM role_grants WHERE org_id = ?1 AND id = ?2";
    one(c, sql, params![org.0, id.0], rows::grant)
}

pub(crate) fn get_role(c: &Connection, org: OrgId, id: RoleId) -> R<Option<CustomRole>> {
    let sql = "SELECT * FROM custom_roles WHERE org_id = ?1 AND id = ?2";
    one(c, sql, params![org.0, id.0], rows::role)
}

pub(crate) fn list_roles(c: &Connection, org: OrgId) -> R<Vec<CustomRole>> {
    let sql = "SELECT * FROM custom_roles WHERE org_id = ?1 ORDER BY name, id";
    all(c, sql, params![org.0], rows::role)
}

pub(crate) fn get_asset(c: &Connection, org: OrgId, id: AssetId) -> R<Option<Asset>> {
    one(c, "SELECT * FROM assets WHERE org_id = ?1 AND id = ?2", params![org.0, id.0], rows::asset)
}

pub(crate) fn find_asset_by_code(c: &Connection, org: OrgId, code: &str) -> R<Option<Asset>> {
    let sql = "SELECT * FROM assets WHERE org_id = ?1 AND code = ?2";
    one(c, sql, params![org.0, code], rows::asset)
}

pub(crate) fn asset_path(c: &Connection, org: OrgId, id: AssetId) -> R<Vec<AssetId>> {
    path(c, "assets", org, id.0)
}

pub(crate) fn get_work_order(c: &Connection, org: OrgId, id: WorkOrderId) -> R<Option<WorkOrder>> {
    let sql = format!("{WO_SELECT} WHERE w.org_id = ?1 AND w.id = ?2");
    one(c, &sql, params![org.0, id.0], rows_work::work_order)
}

pub(crate) fn timeline(c: &Connection, org: OrgId, wo: WorkOrderId) -> R<Vec<TimelineEntry>> {
    // `at`, then insertion order (rowid).
    let sql = "SELECT * FROM work_order_timeline WHERE org_id = ?1 AND work_order_id = ?2 \
               ORDER BY at, id";
    all(c, sql, params![org.0, wo.0], rows_work::timeline)
}

pub(crate) fn comments(
    c: &Connection,
    org: OrgId,
    wo: WorkOrderId,
    internal: bool,
) -> R<Vec<Comment>> {
    let sql = "SELECT * FROM work_order_comments WHERE org_id = ?1 AND work_order_id = ?2 \
               AND (?3 OR internal = 0) ORDER BY created_at, id";
    all(c, sql, params![org.0, wo.0, internal], rows_work::comment)
}

pub(crate) fn checklist(c: &Connection, org: OrgId, wo: WorkOrderId) -> R<Vec<ChecklistItem>> {
    let sql = "SELECT * FROM checklist_items WHERE org_id = ?1 AND work_order_id = ?2 \
               ORDER BY position, id";
    all(c, sql, params![org.0, wo.0], rows_work::checklist_item)
}

pub(crate) fn labor(c: &Connection, org: OrgId, wo: WorkOrderId) -> R<Vec<LaborEntry>> {
    let sql = "SELECT * FROM labor_entries WHERE org_id = ?1 AND work_order_id = ?2 \
               ORDER BY started_at, id";
    all(c, sql, params![org.0, wo.0], rows_work::labor)
}

pub(crate) fn awaiting_confirmation(
    c: &Connection,
    org: OrgId,
    before: DateTime<Utc>,
) -> R<Vec<WorkOrder>> {
    let sql = format!(
        "{WO_SELECT} WHERE w.org_id = ?1 AND w.status = 'completed' AND w.request_id IS NOT NULL \
         AND w.actual_end <= ?2 ORDER BY w.actual_end, w.id"
    );
    all(c, &sql, params![org.0, micros(before)], rows_work::work_order)
}

pub(crate) fn get_request(c: &Connection, org: OrgId, id: RequestId) -> R<Option<Request>> {
    let sql = "SELECT * FROM requests WHERE org_id = ?1 AND id = ?2";
    one(c, sql, params![org.0, id.0], rows_work::request)
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

pub(crate) fn events_since(c: &Connection, org: OrgId, after: i64, limit: u32) -> R<Vec<Event>> {
    let sql = "SELECT * FROM events WHERE org_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
    all(c, sql, params![org.0, after, limit], rows::event)
}
