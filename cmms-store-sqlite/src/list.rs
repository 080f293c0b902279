//! List queries with filters, visibility and keyset pagination (see the contract atop
//! `cmms_core::store::query`): work orders, requests, assets and users. Work orders and
//! requests are searched through their full-text index (`crate::search`); assets and users by
//! substring.

use crate::reads::R;
use crate::rows::{micros, uuid_value};
use crate::search::{self, REQUESTS_INDEX, WORK_ORDERS_INDEX};
use crate::sql::{Sql, bad_cursor, ids, int_key, op, text_key, texts, visibility, word};
use cmms_core::domain::asset::Asset;
use cmms_core::domain::request::Request;
use cmms_core::domain::user::User;
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::rbac::ScopeCondition;
use cmms_core::store::record::{ASSETS, REQUESTS, USERS, WORK_ORDERS};
use cmms_core::store::{
    AssetQuery, Direction, RequestQuery, UserQuery, WorkOrderQuery, WorkOrderSortField,
};
use cmms_core::{OrgId, SiteId};
use rusqlite::Connection;
use rusqlite::types::Value;

const ASSIGNED_TO: &str = "EXISTS (SELECT 1 FROM work_order_assignees x WHERE x.org_id = t.org_id \
                           AND x.work_order_id = t.id AND x.user_id = ";

/// The filters and visibility of a work-order list, after `q`'s SELECT; `None` when nothing
/// can match.
fn work_orders_where(q: &mut Sql, org: OrgId, query: &WorkOrderQuery) -> Option<()> {
    if query.visibility.is_none() {
        return None;
    }
    let f = &query.filter;
    q.push(" WHERE t.org_id = ").arg(uuid_value(org));
    if !f.status.is_empty() {
        q.push(" AND t.status IN ").list(texts(f.status.iter().map(|s| s.as_str())));
    }
    if !f.priority.is_empty() {
        q.push(" AND t.priority IN ").list(texts(f.priority.iter().map(|s| s.as_str())));
    }
    if !f.wo_type.is_empty() {
        q.push(" AND t.wo_type IN ").list(texts(f.wo_type.iter().map(|s| s.as_str())));
    }
    if let Some(user) = f.assignee.filter(|_| query.assignee_side().is_none()) {
        q.push(" AND ").push(ASSIGNED_TO).arg(uuid_value(user)).push(")");
    }
    if let Some(team) = f.team {
        q.push(" AND t.team_id = ").arg(uuid_value(team));
    }
    match (f.asset, f.include_sub_assets) {
        (Some(asset), true) => {
            // The asset and everything below it, at most 1000 levels deep.
            q.push(
                " AND t.asset_id IN (WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM assets ",
            )
            .push("WHERE org_id = ")
            .arg(uuid_value(org))
            .push(" AND id = ")
            .arg(uuid_value(asset))
            .push(" UNION SELECT a.id, sub.depth + 1 FROM assets a JOIN sub ON a.org_id = ")
            .arg(uuid_value(org))
            .push(" AND a.parent_id = sub.id WHERE sub.depth < 1000) SELECT id FROM sub)");
        }
        (Some(asset), false) => {
            q.push(" AND t.asset_id = ").arg(uuid_value(asset));
        }
        (None, _) => {}
    }
    if let Some(site) = f.site {
        q.push(" AND t.site_id = ").arg(uuid_value(site));
    }
    if let Some(location) = f.location {
        q.push(" AND t.location_id = ").arg(uuid_value(location));
    }
    if let Some(user) = f.requested_by {
        q.push(" AND t.requested_by = ").arg(uuid_value(user));
    }
    for (col, op, at) in [
        ("t.due_at", " >= ", f.due_from),
        ("t.due_at", " < ", f.due_to),
        ("t.created_at", " >= ", f.created_from),
        ("t.created_at", " < ", f.created_to),
    ] {
        if let Some(at) = at {
            q.push(" AND ").push(col).push(op).arg(micros(at));
        }
    }
    // Text (f.text) is searched by the caller through the index (crate::search).
    visibility(q, &query.visibility, "t.site_id", |q, cond| match cond {
        ScopeCondition::Any => {
            q.push("1");
        }
        ScopeCondition::Own(user) => {
            q.push("t.requested_by = ").arg(uuid_value(*user));
        }
        ScopeCondition::Assigned { user, teams } => {
            q.push("(").push(ASSIGNED_TO).arg(uuid_value(*user)).push(")");
            if !teams.is_empty() {
                q.push(" OR t.team_id IN ").list(ids(teams));
            }
            q.push(")");
        }
    });
    Some(())
}

/// A page of work orders.
pub(crate) fn work_orders(c: &Connection, org: OrgId, query: &WorkOrderQuery) -> R<Vec<WorkOrder>> {
    if query.fetch == 0 || query.visibility.is_none() {
        return Ok(Vec::new());
    }
    let filters = |q: &mut Sql| -> R<Option<()>> {
        if work_orders_where(q, org, query).is_none() {
            return Ok(None);
        }
        work_orders_keyset(q, query)?;
        Ok(Some(()))
    };
    let order = |q: &mut Sql| work_orders_order(q, query);
    if let Some(text) = &query.filter.text {
        return search::list(c, org, &WORK_ORDERS_INDEX, text, query.fetch, filters, order);
    }
    let mut q = Sql::select(&WORK_ORDERS);
    if let Some(user) = query.assignee_side() {
        q.push(" JOIN work_order_assignees x ON x.org_id = t.org_id AND x.work_order_id = t.id")
            .push(" AND x.user_id = ")
            .arg(uuid_value(user));
    }
    if filters(&mut q)?.is_none() {
        return Ok(Vec::new());
    }
    order(&mut q);
    q.push(" LIMIT ").arg(i64::from(query.fetch));
    q.run(c)
}

/// The column a work-order list sorts by, and whether it may be NULL.
fn work_orders_sort(query: &WorkOrderQuery) -> (&'static str, bool) {
    let f = &query.filter;
    if query.assignee_side().is_some() {
        return ("x.created_at", false);
    }
    let col = match f.sort.field {
        WorkOrderSortField::Created => "t.created_at",
        WorkOrderSortField::Updated => "t.updated_at",
        WorkOrderSortField::Due => "t.due_at",
        WorkOrderSortField::Priority => "t.priority_rank",
    };
    (col, f.sort.field == WorkOrderSortField::Due)
}

/// The id column that breaks ties in a work-order list's order (the same value either way).
fn work_orders_id(query: &WorkOrderQuery) -> &'static str {
    if query.assignee_side().is_some() { "x.work_order_id" } else { "t.id" }
}

/// The keyset condition of a work-order page after the first.
fn work_orders_keyset(q: &mut Sql, query: &WorkOrderQuery) -> R<()> {
    let (col, nullable) = work_orders_sort(query);
    let id = work_orders_id(query);
    let dir = query.filter.sort.direction;
    if let Some(key) = &query.after {
        match (int_key(key)?, nullable) {
            (Some(v), false) => {
                q.after(col, id, dir, Value::Integer(v), key.id);
            }
            (Some(v), true) => {
                // Rows with a key are followed by every row without one (NULLs last).
                q.push(" AND (").push(col).push(" IS NULL OR (1");
                q.after(col, id, dir, Value::Integer(v), key.id).push("))");
            }
            (None, true) => {
                q.push(" AND ")
                    .push(col)
                    .push(" IS NULL AND ")
                    .push(id)
                    .push(op(dir))
                    .arg(uuid_value(key.id));
            }
            (None, false) => return Err(bad_cursor()),
        }
    }
    Ok(())
}

/// The ORDER BY of a work-order list.
fn work_orders_order(q: &mut Sql, query: &WorkOrderQuery) {
    let (col, nullable) = work_orders_sort(query);
    let dir = query.filter.sort.direction;
    q.push(" ORDER BY ");
    if nullable {
        q.push(col).push(" IS NULL, ");
    }
    q.push(col).push(word(dir)).push(", ").push(work_orders_id(query)).push(word(dir));
}

/// How many work orders the list would show over all its pages (`?count=exact`).
pub(crate) fn count_work_orders(c: &Connection, org: OrgId, query: &WorkOrderQuery) -> R<u64> {
    if let Some(text) = &query.filter.text {
        return search::count(c, org, &WORK_ORDERS_INDEX, text, |q| {
            Ok(work_orders_where(q, org, query))
        });
    }
    let mut q = Sql::count(&WORK_ORDERS);
    match work_orders_where(&mut q, org, query) {
        None => Ok(0),
        Some(()) => q.count_rows(c),
    }
}

/// The filters and visibility of a request list, after `q`'s SELECT; `None` when
/// nothing can match.
fn requests_where(q: &mut Sql, org: OrgId, query: &RequestQuery) -> Option<()> {
    if query.visibility.is_none() {
        return None;
    }
    let f = &query.filter;
    q.push(" WHERE t.org_id = ");
    q.arg(uuid_value(org));
    if !f.status.is_empty() {
        q.push(" AND t.status IN ").list(texts(f.status.iter().map(|s| s.as_str())));
    }
    if let Some(site) = f.site {
        q.push(" AND t.site_id = ").arg(uuid_value(site));
    }
    if let Some(user) = f.requested_by {
        q.push(" AND t.requested_by = ").arg(uuid_value(user));
    }
    // Text (f.text) is searched by the caller through the index (crate::search).
    visibility(q, &query.visibility, "t.site_id", |q, cond| match cond {
        ScopeCondition::Any => {
            q.push("1");
        }
        ScopeCondition::Own(user) => {
            q.push("t.requested_by = ").arg(uuid_value(*user));
        }
        // Requests are never assigned to anyone.
        ScopeCondition::Assigned { .. } => {
            q.push("0");
        }
    });
    Some(())
}

/// A page of requests, newest first.
pub(crate) fn requests(c: &Connection, org: OrgId, query: &RequestQuery) -> R<Vec<Request>> {
    if query.fetch == 0 || query.visibility.is_none() {
        return Ok(Vec::new());
    }
    let filters = |q: &mut Sql| -> R<Option<()>> {
        if requests_where(q, org, query).is_none() {
            return Ok(None);
        }
        if let Some(key) = &query.after {
            let v = int_key(key)?.ok_or_else(bad_cursor)?;
            q.after("t.created_at", "t.id", Direction::Desc, Value::Integer(v), key.id);
        }
        Ok(Some(()))
    };
    let order = |q: &mut Sql| {
        q.push(" ORDER BY t.created_at DESC, t.id DESC");
    };
    if let Some(text) = &query.filter.text {
        return search::list(c, org, &REQUESTS_INDEX, text, query.fetch, filters, order);
    }
    let mut q = Sql::select(&REQUESTS);
    if filters(&mut q)?.is_none() {
        return Ok(Vec::new());
    }
    order(&mut q);
    q.push(" LIMIT ").arg(i64::from(query.fetch));
    q.run(c)
}

/// How many requests the list would show over all its pages (`?count=exact`).
pub(crate) fn count_requests(c: &Connection, org: OrgId, query: &RequestQuery) -> R<u64> {
    if let Some(text) = &query.filter.text {
        return search::count(c, org, &REQUESTS_INDEX, text, |q| Ok(requests_where(q, org, query)));
    }
    let mut q = Sql::count(&REQUESTS);
    match requests_where(&mut q, org, query) {
        None => Ok(0),
        Some(()) => q.count_rows(c),
    }
}

/// The filters and visibility of an assets list, after `q`'s SELECT; `None` when
/// nothing can match.
fn assets_where(q: &mut Sql, org: OrgId, query: &AssetQuery) -> Option<()> {
    if query.sites.as_ref().is_some_and(Vec::is_empty) {
        return None;
    }
    let f = &query.filter;
    q.push(" WHERE t.org_id = ");
    q.arg(uuid_value(org));
    if let Some(sites) = &query.sites {
        q.push(" AND t.site_id IN ").list(ids::<SiteId>(sites));
    }
    if let Some(site) = f.site {
        q.push(" AND t.site_id = ").arg(uuid_value(site));
    }
    if let Some(location) = f.location {
        q.push(" AND t.location_id = ").arg(uuid_value(location));
    }
    if let Some(parent) = f.parent {
        q.push(" AND t.parent_id = ").arg(uuid_value(parent));
    }
    if f.roots_only {
        q.push(" AND t.parent_id IS NULL");
    }
    if let Some(state) = f.state {
        q.push(" AND t.state = ").arg(state.as_str().to_owned());
    }
    if let Some(category) = &f.category {
        q.push(" AND t.category = ").arg(category.clone());
    }
    if let Some(text) = &f.text {
        q.text_search(&["t.name", "t.code", "t.serial_number"], text);
    }
    Some(())
}

/// A page of assets by name.
pub(crate) fn assets(c: &Connection, org: OrgId, query: &AssetQuery) -> R<Vec<Asset>> {
    let mut q = Sql::select(&ASSETS);
    if query.fetch == 0 || assets_where(&mut q, org, query).is_none() {
        return Ok(Vec::new());
    }
    if let Some(key) = &query.after {
        q.after("t.name", "t.id", Direction::Asc, Value::Text(text_key(key)?), key.id);
    }
    q.push(" ORDER BY t.name ASC, t.id ASC LIMIT ").arg(i64::from(query.fetch));
    q.run(c)
}

/// How many assets the list would show over all its pages (`?count=exact`).
pub(crate) fn count_assets(c: &Connection, org: OrgId, query: &AssetQuery) -> R<u64> {
    let mut q = Sql::count(&ASSETS);
    match assets_where(&mut q, org, query) {
        None => Ok(0),
        Some(()) => q.count_rows(c),
    }
}

/// The filters and visibility of a user list, after `q`'s SELECT; `None` when
/// nothing can match.
fn users_where(q: &mut Sql, org: OrgId, query: &UserQuery) -> Option<()> {
    let f = &query.filter;
    q.push(" WHERE t.org_id = ");
    q.arg(uuid_value(org));
    if let Some(active) = f.active {
        q.push(" AND t.active = ").arg(active);
    }
    if let Some(text) = &f.text {
        q.text_search(&["t.name", "t.email"], text);
    }
    Some(())
}

/// A page of users by email.
pub(crate) fn users(c: &Connection, org: OrgId, query: &UserQuery) -> R<Vec<User>> {
    let mut q = Sql::select(&USERS);
    if query.fetch == 0 || users_where(&mut q, org, query).is_none() {
        return Ok(Vec::new());
    }
    if let Some(key) = &query.after {
        q.after("t.email", "t.id", Direction::Asc, Value::Text(text_key(key)?), key.id);
    }
    q.push(" ORDER BY t.email ASC, t.id ASC LIMIT ").arg(i64::from(query.fetch));
    q.run(c)
}

/// How many users the list would show over all its pages (`?count=exact`).
pub(crate) fn count_users(c: &Connection, org: OrgId, query: &UserQuery) -> R<u64> {
    let mut q = Sql::count(&USERS);
    match users_where(&mut q, org, query) {
        None => Ok(0),
        Some(()) => q.count_rows(c),
    }
}
