//! Applies one typed `Write` inside the commit transaction: generic INSERT / versioned UPDATE
//! statements built from the column lists in `cols`, team and assignee lists, and deletes.

use crate::cols::*;
use crate::error::map_rusqlite;
use crate::rows::uuid_value;
use cmms_core::StoreError;
use cmms_core::domain::EntityKind;
use cmms_core::domain::audit::AuditDraft;
use cmms_core::domain::event::EventDraft;
use cmms_core::ids::*;
use cmms_core::store::Write;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use uuid::Uuid;

/// Audit and event drafts collected while applying, numbered after every other write.
#[derive(Debug, Default)]
pub(crate) struct Drafts {
    /// Audit drafts in order.
    pub audit: Vec<AuditDraft>,
    /// Event drafts in order.
    pub events: Vec<EventDraft>,
}

/// Applies one write of a commit for `org`.
pub(crate) fn apply(
    tx: &Connection,
    org: OrgId,
    w: Write,
    drafts: &mut Drafts,
) -> Result<(), StoreError> {
    if w.owner_org().is_some_and(|o| o != org) {
        tracing::error!(%org, "refused a write whose record belongs to another organization");
        return Err(StoreError::backend("cross-tenant write refused"));
    }
    use Write::*;
    match w {
        InsertOrg(o) => insert(tx, "orgs", &org_cols(&o)?),
        UpdateOrg(o) => update(tx, OrgId::ENTITY, "orgs", &org_cols(&o)?),
        InsertSite(s) => insert(tx, "sites", &site_cols(&s)),
        UpdateSite(s) => update(tx, SiteId::ENTITY, "sites", &site_cols(&s)),
        InsertLocation(l) => insert(tx, "locations", &location_cols(&l)),
        UpdateLocation(l) => update(tx, LocationId::ENTITY, "locations", &location_cols(&l)),
        InsertTeam(t) => {
            insert(tx, "teams", &team_cols(&t))?;
            members(tx, &t)
        }
        UpdateTeam(t) => {
            update(tx, TeamId::ENTITY, "teams", &team_cols(&t))?;
            members(tx, &t)
        }
        InsertUser(u) => insert(tx, "users", &user_cols(&u)),
        UpdateUser(u) => update(tx, UserId::ENTITY, "users", &user_cols(&u)),
        InsertGrant(g) => insert(tx, "role_grants", &grant_cols(&g)?),
        DeleteGrant(id) => delete_grant(tx, org, id),
        InsertRole(r) => insert(tx, "custom_roles", &role_cols(&r)?),
        UpdateRole(r) => update(tx, RoleId::ENTITY, "custom_roles", &role_cols(&r)?),
        InsertFailureCode(f) => insert(tx, "failure_codes", &failure_code_cols(&f)),
        InsertAsset(a) => insert(tx, "assets", &asset_cols(&a)?),
        UpdateAsset(a) => update(tx, AssetId::ENTITY, "assets", &asset_cols(&a)?),
        InsertWorkOrder(wo) => {
            insert(tx, "work_orders", &work_order_cols(&wo)?)?;
            assignees(tx, &wo)
        }
        UpdateWorkOrder(wo) => {
            update(tx, WorkOrderId::ENTITY, "work_orders", &work_order_cols(&wo)?)?;
            assignees(tx, &wo)
        }
        DeleteWorkOrder { id, version } => delete_work_order(tx, org, id, version),
        InsertTimeline(t) => insert(tx, "work_order_timeline", &timeline_cols(&t)),
        InsertComment(c) => insert(tx, "work_order_comments", &comment_cols(&c)),
        InsertChecklistItem(c) => insert(tx, "checklist_items", &checklist_cols(&c)),
        UpdateChecklistItem(c) => {
            update(tx, ChecklistItemId::ENTITY, "checklist_items", &checklist_cols(&c))
        }
        InsertLabor(l) => insert(tx, "labor_entries", &labor_cols(&l)),
        InsertRequest(r) => insert(tx, "requests", &request_cols(&r)?),
        UpdateRequest(r) => update(tx, RequestId::ENTITY, "requests", &request_cols(&r)?),
        InsertCredential(cr) => insert(tx, "credentials", &credential_cols(&cr)),
        UpdateCredential(cr) => update_credential(tx, &cr),
        InsertAuthToken(t) => insert(tx, "auth_tokens", &token_cols(&t)),
        UpdateAuthToken(t) => update(tx, TokenId::ENTITY, "auth_tokens", &token_cols(&t)),
        RevokeTokens { user, family, purpose, at } => {
            crate::auth::revoke_tokens(tx, org, user, family, purpose, at)
        }
        InsertApiKey(k) => insert(tx, "api_keys", &api_key_cols(&k)?),
        UpdateApiKey(k) => update(tx, ApiKeyId::ENTITY, "api_keys", &api_key_cols(&k)?),
        AssertVersion { entity, id, version } => assert_version(tx, org, entity, id, version),
        AppendAudit(d) => {
            drafts.audit.push(d);
            Ok(())
        }
        AppendEvent(d) => {
            drafts.events.push(d);
            Ok(())
        }
    }
}

/// `INSERT INTO table (cols...) VALUES (?1, ...)`; the SQL holds only fixed column names.
fn insert(tx: &Connection, table: &'static str, cols: &Cols) -> Result<(), StoreError> {
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", "));
    let mut stmt = tx.prepare_cached(&sql).map_err(map_rusqlite)?;
    stmt.execute(params_from_iter(cols.iter().map(|(_, v)| v))).map_err(map_rusqlite)?;
    Ok(())
}

/// Versioned update of a credential (keyed by user, not by an id of its own).
fn update_credential(
    tx: &Connection,
    c: &cmms_core::domain::credential::Credential,
) -> Result<(), StoreError> {
    let sql = "UPDATE credentials SET password_hash = ?3, email_verified_at = ?4, failed_logins = ?5, \
               first_failed_at = ?6, locked_until = ?7, updated_at = ?8, version = ?9 \
               WHERE org_id = ?1 AND user_id = ?2 AND version = ?9 - 1";
    let cols = credential_cols(c);
    let changed = tx
        .prepare_cached(sql)
        .and_then(|mut s| s.execute(params_from_iter(cols.iter().map(|(_, v)| v))))
        .map_err(map_rusqlite)?;
    if changed == 1 {
        return Ok(());
    }
    let select = "SELECT version FROM credentials WHERE org_id = ?1 AND user_id = ?2";
    let args = vec![uuid_value(c.org_id.0), uuid_value(c.user_id.0)];
    version_miss(tx, select, args, "credential", c.user_id.to_string(), c.version - 1)
}

/// A versioned update: every column but the key, where the stored version is `version - 1`.
/// Tables without `org_id` (orgs) are keyed by id alone.
fn update(
    tx: &Connection,
    entity: &'static str,
    table: &'static str,
    cols: &Cols,
) -> Result<(), StoreError> {
    let (mut org_at, mut id_at, mut version_at) = (None, None, None);
    let mut sets = Vec::with_capacity(cols.len());
    for (i, (name, _)) in cols.iter().enumerate() {
        let p = i + 1;
        match *name {
            "org_id" => org_at = Some(p),
            "id" => id_at = Some(p),
            n => {
                if n == "version" {
                    version_at = Some(p);
                }
                sets.push(format!("{n} = ?{p}"));
            }
        }
    }
    let (Some(id_at), Some(version_at)) = (id_at, version_at) else {
        return Err(StoreError::backend("update without id or version column"));
    };
    let key = match org_at {
        Some(o) => format!("org_id = ?{o} AND id = ?{id_at}"),
        None => format!("id = ?{id_at}"),
    };
    let sql = format!(
        "UPDATE {table} SET {} WHERE {key} AND version = ?{version_at} - 1",
        sets.join(", ")
    );
    let changed = tx
        .prepare_cached(&sql)
        .and_then(|mut s| s.execute(params_from_iter(cols.iter().map(|(_, v)| v))))
        .map_err(map_rusqlite)?;
    if changed == 1 {
        return Ok(());
    }
    let value = |p: usize| cols.get(p - 1).map(|(_, v)| v.clone()).unwrap_or(Value::Null);
    let expected = match value(version_at) {
        Value::Integer(v) => v - 1,
        _ => 0,
    };
    let (sql, args) = match org_at {
        Some(o) => (
            format!("SELECT version FROM {table} WHERE org_id = ?1 AND id = ?2"),
            vec![value(o), value(id_at)],
        ),
        None => (format!("SELECT version FROM {table} WHERE id = ?1"), vec![value(id_at)]),
    };
    let id = match value(id_at) {
        Value::Blob(b) => Uuid::from_slice(&b).map(|u| u.to_string()).unwrap_or_default(),
        _ => String::new(),
    };
    version_miss(tx, &sql, args, entity, id, expected)
}

/// The table of a versioned entity, and whether its rows are keyed by (org_id, id).
fn versioned_table(kind: EntityKind) -> Option<(&'static str, bool)> {
    Some(match kind {
        EntityKind::Org => ("orgs", false),
        EntityKind::Site => ("sites", true),
        EntityKind::Location => ("locations", true),
        EntityKind::Team => ("teams", true),
        EntityKind::User => ("users", true),
        EntityKind::Role => ("custom_roles", true),
        EntityKind::Asset => ("assets", true),
        EntityKind::WorkOrder => ("work_orders", true),
        EntityKind::Request => ("requests", true),
        EntityKind::ChecklistItem => ("checklist_items", true),
        _ => return None,
    })
}

/// `Write::AssertVersion`: the row must still have `version`. (SQLite has one writer, so the
/// row cannot change again before this transaction commits.)
fn assert_version(
    tx: &Connection,
    org: OrgId,
    kind: EntityKind,
    id: Uuid,
    version: i64,
) -> Result<(), StoreError> {
    let Some((table, org_keyed)) = versioned_table(kind) else {
        return Err(StoreError::backend(format!("{kind} rows carry no version")));
    };
    let (sql, args) = if org_keyed {
        let sql = format!("SELECT version FROM {table} WHERE org_id = ?1 AND id = ?2");
        (sql, vec![uuid_value(org.0), uuid_value(id)])
    } else {
        (format!("SELECT version FROM {table} WHERE id = ?1"), vec![uuid_value(id)])
    };
    let current: Option<i64> = tx
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row(params_from_iter(args.clone()), |r| r.get(0)).optional())
        .map_err(map_rusqlite)?;
    if current == Some(version) {
        return Ok(());
    }
    version_miss(tx, &sql, args, kind.as_str(), id.to_string(), version)
}

/// Explains why a versioned write matched no row: gone (`NotFound`) or changed (`Conflict`).
fn version_miss(
    tx: &Connection,
    select_version: &str,
    args: Vec<Value>,
    entity: &'static str,
    id: String,
    expected: i64,
) -> Result<(), StoreError> {
    let current: Option<i64> = tx
        .prepare_cached(select_version)
        .and_then(|mut s| s.query_row(params_from_iter(args), |r| r.get(0)).optional())
        .map_err(map_rusqlite)?;
    match current {
        None => Err(StoreError::NotFound { entity, id }),
        Some(v) => Err(StoreError::Conflict {
            message: format!(
                "{entity} {id} changed since it was read (expected version {expected}, found {v})"
            ),
            current_version: Some(v),
        }),
    }
}

fn members(tx: &Connection, t: &cmms_core::domain::team::Team) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM team_members WHERE org_id = ?1 AND team_id = ?2")
        .and_then(|mut s| s.execute(params![t.org_id.0, t.id.0]))
        .map_err(map_rusqlite)?;
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO team_members (org_id, team_id, user_id, position) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(map_rusqlite)?;
    for (pos, user) in t.members.iter().enumerate() {
        stmt.execute(params![t.org_id.0, t.id.0, user.0, pos as i64]).map_err(map_rusqlite)?;
    }
    Ok(())
}

fn assignees(
    tx: &Connection,
    wo: &cmms_core::domain::work_order::WorkOrder,
) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM work_order_assignees WHERE org_id = ?1 AND work_order_id = ?2")
        .and_then(|mut s| s.execute(params![wo.org_id.0, wo.id.0]))
        .map_err(map_rusqlite)?;
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO work_order_assignees (org_id, work_order_id, user_id, position) \
             VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(map_rusqlite)?;
    for (pos, user) in wo.assignees.iter().enumerate() {
        stmt.execute(params![wo.org_id.0, wo.id.0, user.0, pos as i64]).map_err(map_rusqlite)?;
    }
    Ok(())
}

fn delete_grant(tx: &Connection, org: OrgId, id: GrantId) -> Result<(), StoreError> {
    let n = tx
        .prepare_cached("DELETE FROM role_grants WHERE org_id = ?1 AND id = ?2")
        .and_then(|mut s| s.execute(params![org.0, id.0]))
        .map_err(map_rusqlite)?;
    if n == 0 {
        return Err(StoreError::NotFound { entity: GrantId::ENTITY, id: id.to_string() });
    }
    Ok(())
}

/// Deletes a work order and everything hanging off it, if its version is still `version`.
fn delete_work_order(
    tx: &Connection,
    org: OrgId,
    id: WorkOrderId,
    version: i64,
) -> Result<(), StoreError> {
    let current: Option<i64> = tx
        .prepare_cached("SELECT version FROM work_orders WHERE org_id = ?1 AND id = ?2")
        .and_then(|mut s| s.query_row(params![org.0, id.0], |r| r.get(0)).optional())
        .map_err(map_rusqlite)?;
    match current {
        None => {
            return Err(StoreError::NotFound { entity: WorkOrderId::ENTITY, id: id.to_string() });
        }
        Some(v) if v != version => {
            return Err(StoreError::Conflict {
                message: format!(
                    "work_order {id} changed since it was read (expected version {version}, found {v})"
                ),
                current_version: Some(v),
            });
        }
        Some(_) => {}
    }
    for sql in [
        "DELETE FROM work_order_assignees WHERE org_id = ?1 AND work_order_id = ?2",
        "DELETE FROM work_order_timeline WHERE org_id = ?1 AND work_order_id = ?2",
        "DELETE FROM work_order_comments WHERE org_id = ?1 AND work_order_id = ?2",
        "DELETE FROM checklist_items WHERE org_id = ?1 AND work_order_id = ?2",
        "DELETE FROM labor_entries WHERE org_id = ?1 AND work_order_id = ?2",
        "DELETE FROM work_orders WHERE org_id = ?1 AND id = ?2",
    ] {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute(params![org.0, id.0]))
            .map_err(map_rusqlite)?;
    }
    Ok(())
}
