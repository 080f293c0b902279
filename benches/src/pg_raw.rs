//! The raw PostgreSQL baseline: the statements `cmms-store-postgres` issues for each
//! benchmarked operation (copied from its `commit`, `apply`, `reads` and `list` modules: same
//! SQL, same binds, same transaction shape — the role and `cmms.org_id` set per transaction,
//! `BEGIN READ ONLY` for reads, the heads locked `FOR UPDATE` last, `pg_notify`), issued with
//! sqlx directly and columns read by position. The only difference: it notifies a channel
//! nobody listens on, so the store under test does not re-read the baseline's events.

use chrono::{DateTime, Datelike, Utc};
use cmms_core::domain::audit::{AuditDraft, chain_hash};
use cmms_core::domain::event::EventDraft;
use cmms_core::domain::work_order::{FailureReport, WorkOrder};
use cmms_core::{OrgId, SiteId, WorkOrderId};
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

/// The channel the baseline notifies (nobody listens).
pub const SILENT_CHANNEL: &str = "cmms_bench_nobody";

/// A pool set up like the store's: every connection switches to `cmms_app` on connect.
pub async fn pool(url: &str, max: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                sqlx::query(
                    "SELECT set_config('cmms.app_role', $1, false), set_config('role', $1, false)",
                )
                .bind("cmms_app")
                .execute(&mut *conn)
                .await?;
                sqlx::query("SELECT set_config('statement_timeout', $1, false)")
                    .bind("30000")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .expect("raw pool")
}

/// The store's `begin`: a transaction with the role and tenant set in one round trip.
pub async fn begin(
    pool: &PgPool,
    org: OrgId,
    read_only: bool,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx =
        if read_only { pool.begin_with("BEGIN READ ONLY").await } else { pool.begin().await }
            .expect("begin");
    sqlx::query(
        "SELECT set_config('role', current_setting('cmms.app_role'), true), \
                set_config('cmms.org_id', $1, true)",
    )
    .bind(org.to_string())
    .execute(&mut *tx)
    .await
    .expect("tenant");
    tx
}

const INSERT_WO: &str = "INSERT INTO work_orders (org_id, id, number, title, description, wo_type, \
    priority, priority_rank, category, status, site_id, location_id, asset_id, team_id, \
    requested_by, created_by, request_id, due_at, estimated_hours, actual_start, actual_end, \
    verified_by, verified_at, closed_at, completion_notes, failure_problem, failure_cause, \
    failure_remedy, attachments, created_at, updated_at, version, search_doc) VALUES ($1, $2, $3, \
    $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, \
    $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)";

const UPDATE_WO: &str = "UPDATE work_orders SET number = $1, title = $2, description = $3, \
    wo_type = $4, priority = $5, priority_rank = $6, category = $7, status = $8, site_id = $9, \
    location_id = $10, asset_id = $11, team_id = $12, requested_by = $13, created_by = $14, \
    request_id = $15, due_at = $16, estimated_hours = $17, actual_start = $18, actual_end = $19, \
    verified_by = $20, verified_at = $21, closed_at = $22, completion_notes = $23, \
    failure_problem = $24, failure_cause = $25, failure_remedy = $26, attachments = $27, \
    created_at = $28, updated_at = $29, version = $30, search_doc = $31 WHERE id = $32 AND \
    org_id = $33 AND version = $34";

type Q<'a> = sqlx::query::Query<'a, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds the 30 non-key work-order columns in table order.
fn bind_body<'a>(q: Q<'a>, w: &WorkOrder) -> Q<'a> {
    let attachments = serde_json::to_value(&w.attachments).expect("attachments JSON");
    q.bind(w.number.clone())
        .bind(w.title.clone())
        .bind(w.description.clone())
        .bind(w.wo_type.as_str())
        .bind(w.priority.as_str())
        .bind(w.priority.rank())
        .bind(w.category.clone())
        .bind(w.status.as_str())
        .bind(w.site_id.0)
        .bind(w.location_id.map(|v| v.0))
        .bind(w.asset_id.map(|v| v.0))
        .bind(w.team_id.map(|v| v.0))
        .bind(w.requested_by.map(|v| v.0))
        .bind(w.created_by.map(|v| v.0))
        .bind(w.request_id.map(|v| v.0))
        .bind(w.due_at)
        .bind(w.estimated_hours)
        .bind(w.actual_start)
        .bind(w.actual_end)
        .bind(w.verified_by.map(|v| v.0))
        .bind(w.verified_at)
        .bind(w.closed_at)
        .bind(w.completion_notes.clone())
        .bind(w.failure.problem.clone())
        .bind(w.failure.cause.clone())
        .bind(w.failure.remedy.clone())
        .bind(attachments)
        .bind(w.created_at)
        .bind(w.updated_at)
        .bind(w.version)
        .bind(cmms_core::search::document(&w.number, &w.title, w.description.as_deref()))
}

async fn assignees(c: &mut PgConnection, w: &WorkOrder) {
    sqlx::query("DELETE FROM work_order_assignees WHERE org_id = $1 AND work_order_id = $2")
        .bind(w.org_id.0)
        .bind(w.id.0)
        .execute(&mut *c)
        .await
        .expect("delete assignees");
    if w.assignees.is_empty() {
        return;
    }
    let ids: Vec<Uuid> = w.assignees.iter().map(|u| u.0).collect();
    sqlx::query(
        "INSERT INTO work_order_assignees (org_id, work_order_id, user_id, position, created_at) \
         SELECT $1, $2, u.id, u.n - 1, $4 FROM UNNEST($3::uuid[]) WITH ORDINALITY AS u(id, n)",
    )
    .bind(w.org_id.0)
    .bind(w.id.0)
    .bind(ids)
    .bind(w.created_at)
    .execute(&mut *c)
    .await
    .expect("insert assignees");
}

/// What a commit carries besides the work-order rows (as in `sqlite_raw`).
pub use crate::sqlite_raw::Extras;

async fn extras(c: &mut PgConnection, org: OrgId, x: Extras) {
    for t in &x.timeline {
        sqlx::query(
            "INSERT INTO work_order_timeline (org_id, id, work_order_id, from_status, to_status, \
             actor_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.org_id.0)
        .bind(t.id.0)
        .bind(t.work_order_id.0)
        .bind(t.from_status.map(|s| s.as_str()))
        .bind(t.to_status.as_str())
        .bind(t.actor_id.map(|a| a.0))
        .bind(t.reason.clone())
        .bind(t.at)
        .execute(&mut *c)
        .await
        .expect("timeline");
    }
    for cm in &x.comments {
        sqlx::query(
            "INSERT INTO work_order_comments (org_id, id, work_order_id, author_id, body, \
             internal, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(cm.org_id.0)
        .bind(cm.id.0)
        .bind(cm.work_order_id.0)
        .bind(cm.author_id.map(|a| a.0))
        .bind(cm.body.clone())
        .bind(cm.internal)
        .bind(cm.created_at)
        .execute(&mut *c)
        .await
        .expect("comment");
    }
    append_trail(c, org, x.audit, x.events).await;
}

/// The end of every commit: constraints checked, the audit entries and events appended (heads
/// locked last), and the notification.
pub async fn append_trail(
    c: &mut PgConnection,
    org: OrgId,
    audit: Vec<AuditDraft>,
    events: Vec<EventDraft>,
) {
    sqlx::query("SET CONSTRAINTS ALL IMMEDIATE").execute(&mut *c).await.expect("constraints");
    if !audit.is_empty() {
        append_audit(c, org, audit).await;
    }
    if !events.is_empty() {
        let (first, last) = append_events(c, org, events).await;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(SILENT_CHANNEL)
            .bind(format!("{org}:{first}:{last}"))
            .execute(&mut *c)
            .await
            .expect("notify");
    }
}

async fn append_audit(c: &mut PgConnection, org: OrgId, drafts: Vec<AuditDraft>) {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE org_id = $1 FOR UPDATE")
            .bind(org.0)
            .fetch_optional(&mut *c)
            .await
            .expect("audit head");
    let (mut seq, mut prev) = head.expect("the fixture made the audit head");
    let n = drafts.len();
    let mut seqs: Vec<i64> = Vec::with_capacity(n);
    let mut ats: Vec<DateTime<Utc>> = Vec::with_capacity(n);
    let mut actors: Vec<Option<Uuid>> = Vec::with_capacity(n);
    let mut actions: Vec<String> = Vec::with_capacity(n);
    let mut kinds: Vec<String> = Vec::with_capacity(n);
    let mut ids: Vec<Uuid> = Vec::with_capacity(n);
    let mut befores: Vec<Option<String>> = Vec::with_capacity(n);
    let mut afters: Vec<Option<String>> = Vec::with_capacity(n);
    let mut requests: Vec<Option<String>> = Vec::with_capacity(n);
    let mut prevs: Vec<String> = Vec::with_capacity(n);
    let mut hashes: Vec<String> = Vec::with_capacity(n);
    for d in drafts {
        seq += 1;
        let hash = chain_hash(org, seq, &d, &prev);
        seqs.push(seq);
        ats.push(d.at);
        actors.push(d.actor_id.map(|a| a.0));
        actions.push(d.action);
        kinds.push(d.entity.kind.as_str().to_owned());
        ids.push(d.entity.id);
        befores.push(d.before.as_ref().map(|v| serde_json::to_string(v).expect("json")));
        afters.push(d.after.as_ref().map(|v| serde_json::to_string(v).expect("json")));
        requests.push(d.request_id);
        prevs.push(std::mem::replace(&mut prev, hash.clone()));
        hashes.push(hash);
    }
    sqlx::query(
        "INSERT INTO audit_log (org_id, seq, at, actor_id, action, entity_kind, entity_id, \
         before_doc, after_doc, request_id, prev_hash, hash) \
         SELECT $1, * FROM UNNEST($2::bigint[], $3::timestamptz[], $4::uuid[], $5::text[], \
         $6::text[], $7::uuid[], $8::text[]::json[], $9::text[]::json[], $10::text[], $11::text[], \
         $12::text[])",
    )
    .bind(org.0)
    .bind(seqs)
    .bind(ats)
    .bind(actors)
    .bind(actions)
    .bind(kinds)
    .bind(ids)
    .bind(befores)
    .bind(afters)
    .bind(requests)
    .bind(prevs)
    .bind(hashes)
    .execute(&mut *c)
    .await
    .expect("audit rows");
    sqlx::query("UPDATE audit_heads SET seq = $2, hash = $3 WHERE org_id = $1")
        .bind(org.0)
        .bind(seq)
        .bind(prev)
        .execute(&mut *c)
        .await
        .expect("audit head update");
}

async fn append_events(c: &mut PgConnection, org: OrgId, drafts: Vec<EventDraft>) -> (i64, i64) {
    let (head,): (i64,) =
        sqlx::query_as("SELECT seq FROM event_heads WHERE org_id = $1 FOR UPDATE")
            .bind(org.0)
            .fetch_optional(&mut *c)
            .await
            .expect("event head")
            .expect("the fixture made the event head");
    let n = drafts.len();
    let (mut seqs, mut kinds, mut ekinds, mut eids) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::<Uuid>::with_capacity(n),
    );
    let (mut actors, mut auds, mut payloads, mut ats) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (i, d) in drafts.into_iter().enumerate() {
        seqs.push(head + 1 + i as i64);
        kinds.push(d.kind.as_str().to_owned());
        ekinds.push(d.entity.kind.as_str().to_owned());
        eids.push(d.entity.id);
        actors.push(d.actor_id.map(|a| a.0));
        auds.push(serde_json::to_value(&d.audience).expect("json"));
        payloads.push(d.payload);
        ats.push(d.at);
    }
    let last = head + n as i64;
    sqlx::query(
        "INSERT INTO events (org_id, seq, kind, entity_kind, entity_id, actor_id, audience, \
         payload, at) \
         SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], \
         $7::jsonb[], $8::jsonb[], $9::timestamptz[])",
    )
    .bind(org.0)
    .bind(seqs)
    .bind(kinds)
    .bind(ekinds)
    .bind(eids)
    .bind(actors)
    .bind(auds)
    .bind(payloads)
    .bind(ats)
    .execute(&mut *c)
    .await
    .expect("event rows");
    sqlx::query("UPDATE event_heads SET seq = $2 WHERE org_id = $1")
        .bind(org.0)
        .bind(last)
        .execute(&mut *c)
        .await
        .expect("event head update");
    (head + 1, last)
}

/// Inserts one work order row with the store's statement (used by the baseline and seeding).
pub async fn insert_work_order(c: &mut PgConnection, w: &WorkOrder) {
    let q = sqlx::query(INSERT_WO).bind(w.org_id.0).bind(w.id.0);
    bind_body(q, w).execute(&mut *c).await.expect("insert work order");
}

/// Raw create: the store's statements for the create changeset.
pub async fn create(
    pool: &PgPool,
    draft: WorkOrder,
    build: impl FnOnce(WorkOrder) -> (WorkOrder, Extras),
) -> WorkOrder {
    let org = draft.org_id;
    let mut tx = begin(pool, org, false).await;
    let at = draft.created_at;
    let n: i64 = sqlx::query_scalar(
        "INSERT INTO org_counters (org_id, key, value) VALUES ($1, $2, 1) \
         ON CONFLICT (org_id, key) DO UPDATE SET value = org_counters.value + 1 \
         RETURNING value",
    )
    .bind(org.0)
    .bind(crate::fixture::number_key(at))
    .fetch_one(&mut *tx)
    .await
    .expect("draw");
    let wo = WorkOrder { number: format!("WO-{:04}-{n:05}", at.year()), ..draft };
    let (wo, x) = build(wo);
    insert_work_order(&mut tx, &wo).await;
    assignees(&mut tx, &wo).await;
    extras(&mut tx, org, x).await;
    tx.commit().await.expect("commit");
    wo
}

/// Raw versioned update with its extras (transition, 10 writes).
pub async fn update(pool: &PgPool, wo: WorkOrder, x: Extras) -> WorkOrder {
    let org = wo.org_id;
    let mut tx = begin(pool, org, false).await;
    let q = bind_body(sqlx::query(UPDATE_WO), &wo).bind(wo.id.0).bind(org.0).bind(wo.version - 1);
    let changed = q.execute(&mut *tx).await.expect("update").rows_affected();
    assert_eq!(changed, 1, "version check failed");
    assignees(&mut tx, &wo).await;
    extras(&mut tx, org, x).await;
    tx.commit().await.expect("commit");
    wo
}

/// The store's work-order SELECT (assignees as uuid[], in position order).
pub const WO_SELECT: &str = "SELECT w.*, (SELECT array_agg(a.user_id ORDER BY a.position) FROM \
     work_order_assignees a WHERE a.org_id = w.org_id AND a.work_order_id = w.id) AS assignee_ids \
     FROM work_orders w";

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, sqlx::Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A work-order row read by position (table order, then `assignee_ids`).
pub fn work_order_row(r: &PgRow) -> Result<WorkOrder, sqlx::Error> {
    let assignees: Option<Vec<Uuid>> = r.try_get(32)?;
    let attachments: serde_json::Value = r.try_get(28)?;
    Ok(WorkOrder {
        org_id: OrgId::from(r.try_get::<Uuid, _>(0)?),
        id: WorkOrderId::from(r.try_get::<Uuid, _>(1)?),
        number: r.try_get(2)?,
        title: r.try_get(3)?,
        description: r.try_get(4)?,
        wo_type: parse(r.try_get::<&str, _>(5)?)?,
        priority: parse(r.try_get::<&str, _>(6)?)?,
        category: r.try_get(8)?,
        status: parse(r.try_get::<&str, _>(9)?)?,
        site_id: SiteId::from(r.try_get::<Uuid, _>(10)?),
        location_id: r.try_get::<Option<Uuid>, _>(11)?.map(Into::into),
        asset_id: r.try_get::<Option<Uuid>, _>(12)?.map(Into::into),
        team_id: r.try_get::<Option<Uuid>, _>(13)?.map(Into::into),
        requested_by: r.try_get::<Option<Uuid>, _>(14)?.map(Into::into),
        created_by: r.try_get::<Option<Uuid>, _>(15)?.map(Into::into),
        request_id: r.try_get::<Option<Uuid>, _>(16)?.map(Into::into),
        pm_plan_id: None,
        pm_slot_id: None,
        due_at: r.try_get(17)?,
        estimated_hours: r.try_get(18)?,
        actual_start: r.try_get(19)?,
        actual_end: r.try_get(20)?,
        verified_by: r.try_get::<Option<Uuid>, _>(21)?.map(Into::into),
        verified_at: r.try_get(22)?,
        closed_at: r.try_get(23)?,
        completion_notes: r.try_get(24)?,
        failure: FailureReport {
            problem: r.try_get(25)?,
            cause: r.try_get(26)?,
            remedy: r.try_get(27)?,
        },
        attachments: serde_json::from_value(attachments)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        assignees: assignees.unwrap_or_default().into_iter().map(Into::into).collect(),
        created_at: r.try_get(29)?,
        updated_at: r.try_get(30)?,
        version: r.try_get(31)?,
    })
}

/// Raw get by id, in a read-only transaction like the store's.
pub async fn get(pool: &PgPool, org: OrgId, id: WorkOrderId) -> Option<WorkOrder> {
    let mut tx = begin(pool, org, true).await;
    let sql = "SELECT w.*, (SELECT array_agg(a.user_id ORDER BY a.position) FROM \
               work_order_assignees a WHERE a.org_id = w.org_id AND a.work_order_id = w.id) AS \
               assignee_ids FROM work_orders w WHERE w.org_id = $1 AND w.id = $2";
    let row = sqlx::query(sql).bind(org.0).bind(id.0).fetch_optional(&mut *tx).await.expect("get");
    let wo = row.map(|r| work_order_row(&r).expect("row"));
    tx.commit().await.expect("commit");
    wo
}

/// Raw list: 50 newest by site and one status, optionally with the store's text search (the ids
/// of its tenant search view whose terms match the word as a prefix), as the store writes it.
pub async fn list(
    pool: &PgPool,
    org: OrgId,
    site: SiteId,
    status: &str,
    text: Option<&str>,
) -> Vec<WorkOrder> {
    let mut tx = begin(pool, org, true).await;
    let mut sql =
        format!("{WO_SELECT} WHERE w.org_id = $1 AND w.status = ANY($2) AND w.site_id = $3");
    let limit_at = if text.is_some() {
        sql.push_str(
            " AND w.id IN (SELECT s.work_order_id FROM work_order_search_v s \
             WHERE s.org_id = $1 AND s.terms @@ $4::tsquery)",
        );
        5
    } else {
        4
    };
    sql.push_str(&format!(" ORDER BY w.created_at DESC, w.id DESC LIMIT ${limit_at}"));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(org.0)
        .bind(vec![status.to_string()])
        .bind(site.0);
    if let Some(t) = text {
        q = q.bind(format!("'{t}':*"));
    }
    // Planned for its values, like the store's searches (unnamed statement).
    let q = q.bind(50i64).persistent(text.is_none());
    let rows = q.fetch_all(&mut *tx).await.expect("list");
    let out = rows.iter().map(|r| work_order_row(r).expect("row")).collect();
    tx.commit().await.expect("commit");
    out
}
