//! Applies one typed `Write` inside the commit transaction: generic INSERT / versioned UPDATE
//! statements built from the column lists in `cols`, team and assignee lists, and deletes.

use crate::cols::*;
use crate::error::map_sqlx;
use cmms_core::StoreError;
use cmms_core::domain::EntityKind;
use cmms_core::domain::audit::AuditDraft;
use cmms_core::domain::event::EventDraft;
use cmms_core::ids::*;
use cmms_core::store::Write;
use sqlx::{PgConnection, Postgres, QueryBuilder};
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
pub(crate) async fn apply(
    c: &mut PgConnection,
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
        InsertOrg(o) => insert(c, "orgs", org_cols(&o)?).await,
        UpdateOrg(o) => update(c, OrgId::ENTITY, "orgs", org_cols(&o)?).await,
        InsertSite(s) => insert(c, "sites", site_cols(&s)).await,
        UpdateSite(s) => update(c, SiteId::ENTITY, "sites", site_cols(&s)).await,
        InsertLocation(l) => insert(c, "locations", location_cols(&l)).await,
        UpdateLocation(l) => update(c, LocationId::ENTITY, "locations", location_cols(&l)).await,
        InsertTeam(t) => {
            insert(c, "teams", team_cols(&t)).await?;
            members(c, &t).await
        }
        UpdateTeam(t) => {
            update(c, TeamId::ENTITY, "teams", team_cols(&t)).await?;
            members(c, &t).await
        }
        InsertUser(u) => insert(c, "users", user_cols(&u)).await,
        UpdateUser(u) => update(c, UserId::ENTITY, "users", user_cols(&u)).await,
        InsertGrant(g) => insert(c, "role_grants", grant_cols(&g)?).await,
        DeleteGrant(id) => delete_grant(c, org, id).await,
        InsertRole(r) => insert(c, "custom_roles", role_cols(&r)?).await,
        UpdateRole(r) => update(c, RoleId::ENTITY, "custom_roles", role_cols(&r)?).await,
        InsertFailureCode(f) => insert(c, "failure_codes", failure_code_cols(&f)).await,
        InsertAsset(a) => insert(c, "assets", asset_cols(&a)?).await,
        UpdateAsset(a) => update(c, AssetId::ENTITY, "assets", asset_cols(&a)?).await,
        InsertWorkOrder(wo) => {
            insert(c, "work_orders", work_order_cols(&wo)?).await?;
            assignees(c, &wo).await
        }
        UpdateWorkOrder(wo) => {
            let cols = work_order_cols(&wo)?;
            update(c, WorkOrderId::ENTITY, "work_orders", cols).await?;
            assignees(c, &wo).await
        }
        DeleteWorkOrder { id, version } => delete_work_order(c, org, id, version).await,
        InsertTimeline(t) => insert(c, "work_order_timeline", timeline_cols(&t)).await,
        InsertComment(cm) => insert(c, "work_order_comments", comment_cols(&cm)).await,
        InsertChecklistItem(i) => insert(c, "checklist_items", checklist_cols(&i)).await,
        UpdateChecklistItem(i) => {
            let cols = checklist_cols(&i);
            update(c, ChecklistItemId::ENTITY, "checklist_items", cols).await
        }
        InsertLabor(l) => insert(c, "labor_entries", labor_cols(&l)).await,
        InsertRequest(r) => insert(c, "requests", request_cols(&r)?).await,
        UpdateRequest(r) => update(c, RequestId::ENTITY, "requests", request_cols(&r)?).await,
        InsertCredential(cr) => insert(c, "credentials", credential_cols(&cr)).await,
        UpdateCredential(cr) => {
            let expected = cr.version - 1;
            match crate::auth::update_credential(c, credential_cols(&cr)).await? {
                None => Ok(()),
                Some(current) => version_miss(current, "credential", cr.user_id.0, expected),
            }
        }
        InsertAuthToken(t) => insert(c, "auth_tokens", token_cols(&t)).await,
        UpdateAuthToken(t) => update(c, TokenId::ENTITY, "auth_tokens", token_cols(&t)).await,
        RevokeTokens { user, family, purpose, at } => {
            crate::auth::revoke_tokens(c, org, user, family, purpose, at).await
        }
        InsertApiKey(k) => insert(c, "api_keys", api_key_cols(&k)?).await,
        UpdateApiKey(k) => update(c, ApiKeyId::ENTITY, "api_keys", api_key_cols(&k)?).await,
        AssertVersion { entity, id, version } => assert_version(c, org, entity, id, version).await,
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

/// `INSERT INTO table (cols...) VALUES ($1, ...)`; the SQL holds only fixed column names.
async fn insert(c: &mut PgConnection, table: &'static str, cols: Cols) -> Result<(), StoreError> {
    let mut q = QueryBuilder::<Postgres>::new("INSERT INTO ");
    q.push(table).push(" (");
    for (i, (name, _)) in cols.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push(*name);
    }
    q.push(") VALUES (");
    for (i, (_, v)) in cols.into_iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        v.bind(&mut q);
    }
    q.push(")");
    q.build().execute(c).await.map_err(map_sqlx)?;
    Ok(())
}

/// A versioned update: every column but the key, where the stored version is `version - 1`.
/// Tables without `org_id` (orgs) are keyed by id alone.
async fn update(
    c: &mut PgConnection,
    entity: &'static str,
    table: &'static str,
    cols: Cols,
) -> Result<(), StoreError> {
    let value = |name: &str| cols.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    let org = value("org_id");
    let (Some(Value::Uuid(Some(id))), Some(Value::Int(Some(version)))) =
        (value("id"), value("version"))
    else {
        return Err(StoreError::backend("update without id or version column"));
    };
    let mut q = QueryBuilder::<Postgres>::new("UPDATE ");
    q.push(table).push(" SET ");
    let mut first = true;
    for (name, v) in cols {
        if name == "org_id" || name == "id" {
            continue;
        }
        if !first {
            q.push(", ");
        }
        first = false;
        q.push(name).push(" = ");
        v.bind(&mut q);
    }
    q.push(" WHERE id = ").push_bind(id);
    if let Some(org) = org.clone() {
        q.push(" AND org_id = ");
        org.bind(&mut q);
    }
    q.push(" AND version = ").push_bind(version - 1);
    let changed = q.build().execute(&mut *c).await.map_err(map_sqlx)?.rows_affected();
    if changed == 1 {
        return Ok(());
    }
    let mut q = QueryBuilder::<Postgres>::new("SELECT version FROM ");
    q.push(table).push(" WHERE id = ").push_bind(id);
    if let Some(org) = org {
        q.push(" AND org_id = ");
        org.bind(&mut q);
    }
    let current: Option<i64> =
        q.build_query_scalar().fetch_optional(&mut *c).await.map_err(map_sqlx)?;
    version_miss(current, entity, id, version - 1)
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

/// `Write::AssertVersion`: the row must still have `version`. `FOR UPDATE` holds it until the
/// commit ends, so a concurrent change of the row waits (or deadlocks and is retried as Busy)
/// instead of slipping past the decision this commit was made on.
async fn assert_version(
    c: &mut PgConnection,
    org: OrgId,
    kind: EntityKind,
    id: Uuid,
    version: i64,
) -> Result<(), StoreError> {
    let Some((table, org_keyed)) = versioned_table(kind) else {
        return Err(StoreError::backend(format!("{kind} rows carry no version")));
    };
    let mut q = QueryBuilder::<Postgres>::new("SELECT version FROM ");
    q.push(table).push(" WHERE id = ").push_bind(id);
    if org_keyed {
        q.push(" AND org_id = ").push_bind(org.0);
    }
    q.push(" FOR UPDATE");
    let current: Option<i64> =
        q.build_query_scalar().fetch_optional(&mut *c).await.map_err(map_sqlx)?;
    if current == Some(version) {
        return Ok(());
    }
    version_miss(current, kind.as_str(), id, version)
}

/// Explains why a versioned write matched no row: gone (`NotFound`) or changed (`Conflict`).
fn version_miss(
    current: Option<i64>,
    entity: &'static str,
    id: Uuid,
    expected: i64,
) -> Result<(), StoreError> {
    match current {
        None => Err(StoreError::NotFound { entity, id: id.to_string() }),
        Some(v) => Err(StoreError::Conflict {
            message: format!(
                "{entity} {id} changed since it was read (expected version {expected}, found {v})"
            ),
            current_version: Some(v),
        }),
    }
}

/// Replaces a list of user ids hanging off a parent row (`team_members`, `work_order_assignees`),
/// keeping their order in `position`, in two statements.
async fn replace_list(
    c: &mut PgConnection,
    delete: &'static str,
    insert: &'static str,
    org: OrgId,
    parent: Uuid,
    users: &[UserId],
) -> Result<(), StoreError> {
    sqlx::query(delete).bind(org.0).bind(parent).execute(&mut *c).await.map_err(map_sqlx)?;
    if users.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = users.iter().map(|u| u.0).collect();
    sqlx::query(insert)
        .bind(org.0)
        .bind(parent)
        .bind(ids)
        .execute(&mut *c)
        .await
        .map_err(map_sqlx)?;
    Ok(())
}

async fn members(
    c: &mut PgConnection,
    t: &cmms_core::domain::team::Team,
) -> Result<(), StoreError> {
    replace_list(
        c,
        "DELETE FROM team_members WHERE org_id = $1 AND team_id = $2",
        "INSERT INTO team_members (org_id, team_id, user_id, position) \
         SELECT $1, $2, u.id, u.n - 1 FROM UNNEST($3::uuid[]) WITH ORDINALITY AS u(id, n)",
        t.org_id,
        t.id.0,
        &t.members,
    )
    .await
}

async fn assignees(
    c: &mut PgConnection,
    wo: &cmms_core::domain::work_order::WorkOrder,
) -> Result<(), StoreError> {
    replace_list(
        c,
        "DELETE FROM work_order_assignees WHERE org_id = $1 AND work_order_id = $2",
        "INSERT INTO work_order_assignees (org_id, work_order_id, user_id, position) \
         SELECT $1, $2, u.id, u.n - 1 FROM UNNEST($3::uuid[]) WITH ORDINALITY AS u(id, n)",
        wo.org_id,
        wo.id.0,
        &wo.assignees,
    )
    .await
}

async fn delete_grant(c: &mut PgConnection, org: OrgId, id: GrantId) -> Result<(), StoreError> {
    let n = sqlx::query("DELETE FROM role_grants WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .execute(c)
        .await
        .map_err(map_sqlx)?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound { entity: GrantId::ENTITY, id: id.to_string() });
    }
    Ok(())
}

/// Deletes a work order and everything hanging off it, if its version is still `version`.
async fn delete_work_order(
    c: &mut PgConnection,
    org: OrgId,
    id: WorkOrderId,
    version: i64,
) -> Result<(), StoreError> {
    // FOR UPDATE: a concurrent update of the row must either finish first (and be seen here
    // as a new version) or wait for this delete.
    let current: Option<i64> = sqlx::query_scalar(
        "SELECT version FROM work_orders WHERE org_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(map_sqlx)?;
    if current != Some(version) {
        return version_miss(current, WorkOrderId::ENTITY, id.0, version);
    }
    for sql in [
        "DELETE FROM work_order_assignees WHERE org_id = $1 AND work_order_id = $2",
        "DELETE FROM work_order_timeline WHERE org_id = $1 AND work_order_id = $2",
        "DELETE FROM work_order_comments WHERE org_id = $1 AND work_order_id = $2",
        "DELETE FROM checklist_items WHERE org_id = $1 AND work_order_id = $2",
        "DELETE FROM labor_entries WHERE org_id = $1 AND work_order_id = $2",
        "DELETE FROM work_orders WHERE org_id = $1 AND id = $2",
    ] {
        sqlx::query(sql).bind(org.0).bind(id.0).execute(&mut *c).await.map_err(map_sqlx)?;
    }
    Ok(())
}
