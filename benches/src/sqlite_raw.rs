//! The raw SQLite baseline: the statements `cmms-store-sqlite` issues for each benchmarked
//! operation (copied from its `apply`, `commit`, `reads` and `list` modules: same SQL text, same
//! parameters, same `BEGIN IMMEDIATE` transaction shape), run with rusqlite on the calling
//! thread, with typed binds and positional column reads. No store, no thread hand-off, no
//! dynamic `Value` lists: what a careful hand-written application would do.

use chrono::{DateTime, Datelike, Utc};
use cmms_core::domain::audit::{AuditDraft, GENESIS_HASH, chain_hash};
use cmms_core::domain::event::EventDraft;
use cmms_core::domain::work_order::{FailureReport, WorkOrder};
use cmms_core::{OrgId, SiteId, WorkOrderId};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

type R<T> = rusqlite::Result<T>;

/// A connection configured like the store's (WAL, foreign keys, busy timeout, synchronous
/// NORMAL, journals in memory, a statement cache).
pub fn open(path: &Path) -> Connection {
    let c = Connection::open(path).expect("open raw SQLite connection");
    c.busy_timeout(Duration::from_secs(5)).expect("busy_timeout");
    c.pragma_update(None, "foreign_keys", true).expect("foreign_keys");
    let _: String =
        c.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).expect("journal_mode");
    c.pragma_update(None, "synchronous", "NORMAL").expect("synchronous");
    c.pragma_update(None, "temp_store", "MEMORY").expect("temp_store");
    c.set_prepared_statement_cache_capacity(64);
    c
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn opt_micros(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(micros)
}

const INSERT_WO: &str = "INSERT INTO work_orders (org_id, id, number, title, description, wo_type, \
    priority, priority_rank, category, status, site_id, location_id, asset_id, team_id, \
    requested_by, created_by, request_id, due_at, estimated_hours, actual_start, actual_end, \
    verified_by, verified_at, closed_at, completion_notes, failure_problem, failure_cause, \
    failure_remedy, attachments, created_at, updated_at, version, search_doc) VALUES (?1, ?2, ?3, \
    ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, \
    ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33)";

const UPDATE_WO: &str = "UPDATE work_orders SET number = ?3, title = ?4, description = ?5, \
    wo_type = ?6, priority = ?7, priority_rank = ?8, category = ?9, status = ?10, site_id = ?11, \
    location_id = ?12, asset_id = ?13, team_id = ?14, requested_by = ?15, created_by = ?16, \
    request_id = ?17, due_at = ?18, estimated_hours = ?19, actual_start = ?20, actual_end = ?21, \
    verified_by = ?22, verified_at = ?23, closed_at = ?24, completion_notes = ?25, \
    failure_problem = ?26, failure_cause = ?27, failure_remedy = ?28, attachments = ?29, \
    created_at = ?30, updated_at = ?31, version = ?32, search_doc = ?33 WHERE org_id = ?1 AND \
    id = ?2 AND version = ?32 - 1";

/// Executes `sql` with the 32 work-order columns bound in table order.
pub fn exec_work_order(tx: &Connection, sql: &str, w: &WorkOrder) -> R<usize> {
    let attachments = serde_json::to_string(&w.attachments).expect("attachments JSON");
    tx.prepare_cached(sql)?.execute(params![
        w.org_id.0,
        w.id.0,
        w.number,
        w.title,
        w.description,
        w.wo_type.as_str(),
        w.priority.as_str(),
        w.priority.rank(),
        w.category,
        w.status.as_str(),
        w.site_id.0,
        w.location_id.map(|v| v.0),
        w.asset_id.map(|v| v.0),
        w.team_id.map(|v| v.0),
        w.requested_by.map(|v| v.0),
        w.created_by.map(|v| v.0),
        w.request_id.map(|v| v.0),
        opt_micros(w.due_at),
        w.estimated_hours,
        opt_micros(w.actual_start),
        opt_micros(w.actual_end),
        w.verified_by.map(|v| v.0),
        opt_micros(w.verified_at),
        opt_micros(w.closed_at),
        w.completion_notes,
        w.failure.problem,
        w.failure.cause,
        w.failure.remedy,
        attachments,
        micros(w.created_at),
        micros(w.updated_at),
        w.version,
        cmms_core::search::document(&w.number, &w.title, w.description.as_deref()),
    ])
}

/// The store's `assignees`: delete, then insert each in position order.
pub fn replace_assignees(tx: &Connection, w: &WorkOrder) -> R<()> {
    tx.prepare_cached("DELETE FROM work_order_assignees WHERE org_id = ?1 AND work_order_id = ?2")?
        .execute(params![w.org_id.0, w.id.0])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO work_order_assignees (org_id, work_order_id, user_id, position, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (pos, user) in w.assignees.iter().enumerate() {
        stmt.execute(params![w.org_id.0, w.id.0, user.0, pos as i64, micros(w.created_at)])?;
    }
    Ok(())
}

/// One timeline row.
pub fn insert_timeline(tx: &Connection, t: &cmms_core::domain::timeline::TimelineEntry) -> R<()> {
    tx.prepare_cached(
        "INSERT INTO work_order_timeline (org_id, id, work_order_id, from_status, to_status, \
         actor_id, reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        t.org_id.0,
        t.id.0,
        t.work_order_id.0,
        t.from_status.map(|s| s.as_str()),
        t.to_status.as_str(),
        t.actor_id.map(|a| a.0),
        t.reason,
        micros(t.at),
    ])?;
    Ok(())
}

/// One comment row.
pub fn insert_comment(tx: &Connection, c: &cmms_core::domain::comment::Comment) -> R<()> {
    tx.prepare_cached(
        "INSERT INTO work_order_comments (org_id, id, work_order_id, author_id, body, internal, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        c.org_id.0,
        c.id.0,
        c.work_order_id.0,
        c.author_id.map(|a| a.0),
        c.body,
        c.internal,
        micros(c.created_at),
    ])?;
    Ok(())
}

/// The counter draw.
pub fn draw(tx: &Connection, org: OrgId, key: &str) -> R<i64> {
    tx.prepare_cached(
        "INSERT INTO org_counters (org_id, key, value) VALUES (?1, ?2, 1) \
         ON CONFLICT (org_id, key) DO UPDATE SET value = value + 1 RETURNING value",
    )?
    .query_row(params![org.0, key], |r| r.get(0))
}

/// The audit chain append: head, rows, head update.
pub fn append_audit(tx: &Connection, org: OrgId, drafts: &[AuditDraft]) -> R<i64> {
    let head: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM audit_heads WHERE org_id = ?1")?
        .query_row(params![org.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (mut seq, mut prev) = head.unwrap_or_else(|| (0, GENESIS_HASH.to_string()));
    let mut stmt = tx.prepare_cached(
        "INSERT INTO audit_log (org_id, seq, at, actor_id, action, entity_kind, entity_id, \
         before_doc, after_doc, request_id, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for d in drafts {
        seq += 1;
        let hash = chain_hash(org, seq, d, &prev);
        let before = d.before.as_ref().map(|v| serde_json::to_string(v).expect("json"));
        let after = d.after.as_ref().map(|v| serde_json::to_string(v).expect("json"));
        stmt.execute(params![
            org.0,
            seq,
            micros(d.at),
            d.actor_id.map(|a| a.0),
            d.action,
            d.entity.kind.as_str(),
            d.entity.id,
            before,
            after,
            d.request_id,
            prev,
            hash,
        ])?;
        prev = hash;
    }
    tx.prepare_cached(
        "INSERT INTO audit_heads (org_id, seq, hash) VALUES (?1, ?2, ?3) \
         ON CONFLICT (org_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![org.0, seq, prev])?;
    Ok(seq)
}

/// The event outbox append: head, rows, head update.
pub fn append_events(tx: &Connection, org: OrgId, drafts: &[EventDraft]) -> R<i64> {
    let head: Option<i64> = tx
        .prepare_cached("SELECT seq FROM event_heads WHERE org_id = ?1")?
        .query_row(params![org.0], |r| r.get(0))
        .optional()?;
    let mut seq = head.unwrap_or(0);
    let mut stmt = tx.prepare_cached(
        "INSERT INTO events (org_id, seq, kind, entity_kind, entity_id, actor_id, audience, \
         payload, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for d in drafts {
        seq += 1;
        stmt.execute(params![
            org.0,
            seq,
            d.kind.as_str(),
            d.entity.kind.as_str(),
            d.entity.id,
            d.actor_id.map(|a| a.0),
            serde_json::to_string(&d.audience).expect("json"),
            serde_json::to_string(&d.payload).expect("json"),
            micros(d.at),
        ])?;
    }
    tx.prepare_cached(
        "INSERT INTO event_heads (org_id, seq) VALUES (?1, ?2) \
         ON CONFLICT (org_id) DO UPDATE SET seq = excluded.seq",
    )?
    .execute(params![org.0, seq])?;
    Ok(seq)
}

pub use crate::fixture::Parts as Extras;

/// Raw create: the store's statement sequence for the create changeset (counter first, then
/// the numbered writes, then audit and events).
pub fn create(
    c: &mut Connection,
    draft: WorkOrder,
    build: impl FnOnce(WorkOrder) -> (WorkOrder, Extras),
) -> WorkOrder {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
    let at = draft.created_at;
    let n = draw(&tx, draft.org_id, &crate::fixture::number_key(at)).expect("draw");
    let wo = WorkOrder { number: format!("WO-{:04}-{n:05}", at.year()), ..draft };
    let (wo, extras) = build(wo);
    exec_work_order(&tx, INSERT_WO, &wo).expect("insert work order");
    replace_assignees(&tx, &wo).expect("assignees");
    finish(tx, wo, extras)
}

/// Raw versioned update of a work order with its extras (transition, 10 writes).
pub fn update(c: &mut Connection, wo: WorkOrder, extras: Extras) -> WorkOrder {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
    let changed = exec_work_order(&tx, UPDATE_WO, &wo).expect("update work order");
    assert_eq!(changed, 1, "version check failed");
    replace_assignees(&tx, &wo).expect("assignees");
    finish(tx, wo, extras)
}

fn finish(tx: rusqlite::Transaction<'_>, wo: WorkOrder, extras: Extras) -> WorkOrder {
    for t in &extras.timeline {
        insert_timeline(&tx, t).expect("timeline");
    }
    for cm in &extras.comments {
        insert_comment(&tx, cm).expect("comment");
    }
    if !extras.audit.is_empty() {
        append_audit(&tx, wo.org_id, &extras.audit).expect("audit");
    }
    if !extras.events.is_empty() {
        append_events(&tx, wo.org_id, &extras.events).expect("events");
    }
    tx.commit().expect("commit");
    wo
}

/// The store's work-order SELECT (assignees as hex, in position order).
pub const WO_SELECT: &str = "SELECT w.*, (SELECT group_concat(hex(a.user_id), ',' ORDER BY \
     a.position) FROM work_order_assignees a WHERE a.org_id = w.org_id AND a.work_order_id = w.id) \
     AS assignee_hex FROM work_orders w";

fn parse<T: std::str::FromStr>(i: usize, s: &str) -> R<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn ts(i: usize, v: i64) -> R<DateTime<Utc>> {
    DateTime::from_timestamp_micros(v).ok_or(rusqlite::Error::IntegralValueOutOfRange(i, v))
}

fn opt_ts(row: &Row<'_>, i: usize) -> R<Option<DateTime<Utc>>> {
    row.get::<_, Option<i64>>(i)?.map(|v| ts(i, v)).transpose()
}

/// A work-order row read by position (table order, then `assignee_hex`).
pub fn work_order_row(row: &Row<'_>) -> R<WorkOrder> {
    let hex: Option<String> = row.get(32)?;
    let assignees = match hex {
        None => Vec::new(),
        Some(s) => s
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| Uuid::parse_str(h).map(Into::into))
            .collect::<Result<_, _>>()
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    32,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
    };
    let attachments: String = row.get(28)?;
    Ok(WorkOrder {
        org_id: OrgId::from(row.get::<_, Uuid>(0)?),
        id: WorkOrderId::from(row.get::<_, Uuid>(1)?),
        number: row.get(2)?,
        title: row.get(3)?,
        description: row.get(4)?,
        wo_type: parse(5, &row.get::<_, String>(5)?)?,
        priority: parse(6, &row.get::<_, String>(6)?)?,
        category: row.get(8)?,
        status: parse(9, &row.get::<_, String>(9)?)?,
        site_id: SiteId::from(row.get::<_, Uuid>(10)?),
        location_id: row.get::<_, Option<Uuid>>(11)?.map(Into::into),
        asset_id: row.get::<_, Option<Uuid>>(12)?.map(Into::into),
        team_id: row.get::<_, Option<Uuid>>(13)?.map(Into::into),
        requested_by: row.get::<_, Option<Uuid>>(14)?.map(Into::into),
        created_by: row.get::<_, Option<Uuid>>(15)?.map(Into::into),
        request_id: row.get::<_, Option<Uuid>>(16)?.map(Into::into),
        pm_plan_id: None,
        pm_slot_id: None,
        due_at: opt_ts(row, 17)?,
        estimated_hours: row.get(18)?,
        actual_start: opt_ts(row, 19)?,
        actual_end: opt_ts(row, 20)?,
        verified_by: row.get::<_, Option<Uuid>>(21)?.map(Into::into),
        verified_at: opt_ts(row, 22)?,
        closed_at: opt_ts(row, 23)?,
        completion_notes: row.get(24)?,
        failure: FailureReport { problem: row.get(25)?, cause: row.get(26)?, remedy: row.get(27)? },
        attachments: serde_json::from_str(&attachments).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(28, rusqlite::types::Type::Text, Box::new(e))
        })?,
        assignees,
        created_at: ts(29, row.get(29)?)?,
        updated_at: ts(30, row.get(30)?)?,
        version: row.get(31)?,
    })
}

/// Raw get by id (the store reads in autocommit mode on a reader connection).
pub fn get(c: &Connection, org: OrgId, id: WorkOrderId) -> Option<WorkOrder> {
    let sql = "SELECT w.*, (SELECT group_concat(hex(a.user_id), ',' ORDER BY a.position) FROM \
               work_order_assignees a WHERE a.org_id = w.org_id AND a.work_order_id = w.id) AS \
               assignee_hex FROM work_orders w WHERE w.org_id = ?1 AND w.id = ?2";
    c.prepare_cached(sql)
        .expect("prepare")
        .query_row(params![org.0, id.0], work_order_row)
        .optional()
        .expect("get")
}

/// Raw list: 50 newest by site and one status, optionally with the store's text search as its
/// first phase runs it (the word as a prefix of a word of the search document), filtered in SQL.
pub fn list(
    c: &Connection,
    org: OrgId,
    site: SiteId,
    status: &str,
    text: Option<&str>,
) -> Vec<WorkOrder> {
    let mut sql = format!("{WO_SELECT} WHERE w.org_id = ? AND w.status IN (?) AND w.site_id = ?");
    if text.is_some() {
        sql.push_str(" AND instr(w.search_doc, ' ' || ?) > 0");
    }
    sql.push_str(" ORDER BY w.created_at DESC, w.id DESC LIMIT ?");
    let mut stmt = c.prepare_cached(&sql).expect("prepare");
    let rows = match text {
        Some(t) => stmt.query_map(params![org.0, status, site.0, t, 50i64], work_order_row),
        None => stmt.query_map(params![org.0, status, site.0, 50i64], work_order_row),
    }
    .expect("query");
    rows.collect::<R<Vec<_>>>().expect("rows")
}
