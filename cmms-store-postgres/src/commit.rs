//! `Store::commit`: one changeset in one transaction — the tenant setting, the plain writes, the
//! counters and the numbered writes built from them, then the audit chain and event outbox,
//! whose per-org heads are locked LAST (audit head before event head, always, so two commits
//! never wait on each other in opposite orders) and held only through COMMIT. The transaction
//! also `NOTIFY`s `cmms_events`, which PostgreSQL delivers only if it commits.

use crate::apply::{Drafts, apply};
use crate::error::map_sqlx;
use cmms_core::domain::audit::{AuditDraft, GENESIS_HASH, chain_hash};
use cmms_core::domain::event::{Event, EventDraft};
use cmms_core::store::{Changeset, Receipt};
use cmms_core::{OrgId, StoreError};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The LISTEN/NOTIFY channel every store of a database shares.
pub(crate) const CHANNEL: &str = "cmms_events";

/// Starts a transaction for `org`: every store transaction, reads included, first sets the
/// transaction-local `cmms.org_id` that the row-level security policies compare with.
pub(crate) async fn begin(
    pool: &PgPool,
    org: OrgId,
    read_only: bool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
    let mut tx =
        if read_only { pool.begin_with("BEGIN READ ONLY").await } else { pool.begin().await }
            .map_err(map_sqlx)?;
    // Role and tenant are both transaction-local and set in one round trip. current_setting
    // without `missing_ok` fails when the session lost cmms.app_role: fail closed.
    sqlx::query(
        "SELECT set_config('role', current_setting('cmms.app_role'), true), \
                set_config('cmms.org_id', $1, true)",
    )
    .bind(org.to_string())
    .execute(&mut *tx)
    .await
    .map_err(map_sqlx)?;
    Ok(tx)
}

/// Applies `changes` for `org` atomically; nothing remains when an error is returned (dropping
/// the transaction rolls it back).
pub(crate) async fn commit(
    pool: &PgPool,
    org: OrgId,
    changes: Changeset,
) -> Result<Receipt, StoreError> {
    let mut tx = begin(pool, org, false).await?;
    let (writes, numbered) = changes.into_parts();
    let mut drafts = Drafts::default();
    for w in writes {
        apply(&mut tx, org, w, &mut drafts).await?;
    }
    let mut numbers = Vec::new();
    if let Some(numbered) = numbered {
        numbers = draw_all(&mut tx, org, &numbered.counters).await?;
        for w in (numbered.build)(&numbers) {
            apply(&mut tx, org, w, &mut drafts).await?;
        }
    }
    // Check the deferred foreign keys now, before the per-org heads are locked, so that work
    // is not done while other commits of the org wait on the heads (DESIGN §3.1).
    sqlx::query("SET CONSTRAINTS ALL IMMEDIATE").execute(&mut *tx).await.map_err(map_sqlx)?;
    let audit_seq = append_audit(&mut tx, org, drafts.audit).await?;
    let events = append_events(&mut tx, org, drafts.events).await?;
    if let (Some(first), Some(last)) = (events.first(), events.last()) {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(crate::events::payload(org, first.seq, last.seq))
            .execute(&mut *tx)
            .await
            .map_err(map_sqlx)?;
    }
    tx.commit().await.map_err(map_sqlx)?;
    Ok(Receipt { numbers, audit_seq, events })
}

/// Draws one value per counter key, returned in the order asked. The rows are locked in key
/// order, so two commits drawing the same keys never wait on each other in opposite orders.
async fn draw_all(
    c: &mut PgConnection,
    org: OrgId,
    keys: &[String],
) -> Result<Vec<i64>, StoreError> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
    let mut numbers = vec![0; keys.len()];
    for i in order {
        numbers[i] = sqlx::query_scalar(
            "INSERT INTO org_counters (org_id, key, value) VALUES ($1, $2, 1) \
             ON CONFLICT (org_id, key) DO UPDATE SET value = org_counters.value + 1 \
             RETURNING value",
        )
        .bind(org.0)
        .bind(&keys[i])
        .fetch_one(&mut *c)
        .await
        .map_err(map_sqlx)?;
    }
    Ok(numbers)
}

/// Locks an org's head row (creating it when missing) and returns its columns. `select` reads
/// the row `FOR UPDATE`; `create` inserts the empty head `ON CONFLICT DO NOTHING` (binding the
/// genesis hash as `$2` when `with_hash`).
async fn lock_head<T>(
    c: &mut PgConnection,
    org: OrgId,
    select: &'static str,
    create: &'static str,
    with_hash: bool,
) -> Result<T, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    if let Some(head) = read_head(c, org, select).await? {
        return Ok(head);
    }
    let mut q = sqlx::query(create).bind(org.0);
    if with_hash {
        q = q.bind(GENESIS_HASH);
    }
    q.execute(&mut *c).await.map_err(map_sqlx)?;
    read_head(c, org, select)
        .await?
        .ok_or_else(|| StoreError::backend("a chain head row vanished while it was locked"))
}

async fn read_head<T>(
    c: &mut PgConnection,
    org: OrgId,
    select: &'static str,
) -> Result<Option<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as::<_, T>(select).bind(org.0).fetch_optional(c).await.map_err(map_sqlx)
}

/// A document as JSON text, for the audit log's `json` columns (kept verbatim, see the
/// migration).
fn json_text(v: Option<&serde_json::Value>) -> Result<Option<String>, StoreError> {
    v.map(serde_json::to_string).transpose().map_err(crate::error::map_json)
}

/// Numbers and links the audit drafts after the chain head; returns the last seq (0 if none).
async fn append_audit(
    c: &mut PgConnection,
    org: OrgId,
    drafts: Vec<AuditDraft>,
) -> Result<i64, StoreError> {
    if drafts.is_empty() {
        return Ok(0);
    }
    let (mut seq, mut prev): (i64, String) = lock_head(
        c,
        org,
        "SELECT seq, hash FROM audit_heads WHERE org_id = $1 FOR UPDATE",
        "INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, $2) \
         ON CONFLICT (org_id) DO NOTHING",
        true,
    )
    .await?;
    let n = drafts.len();
    let (mut seqs, mut ats, mut actors, mut actions) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut kinds, mut ids, mut befores, mut afters) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut requests, mut prevs, mut hashes) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for d in drafts {
        seq += 1;
        let hash = chain_hash(org, seq, &d, &prev);
        seqs.push(seq);
        ats.push(d.at);
        actors.push(d.actor_id.map(|a| a.0));
        actions.push(d.action);
        kinds.push(d.entity.kind.as_str().to_owned());
        ids.push(d.entity.id);
        befores.push(json_text(d.before.as_ref())?);
        afters.push(json_text(d.after.as_ref())?);
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
    .map_err(map_sqlx)?;
    sqlx::query("UPDATE audit_heads SET seq = $2, hash = $3 WHERE org_id = $1")
        .bind(org.0)
        .bind(seq)
        .bind(prev)
        .execute(&mut *c)
        .await
        .map_err(map_sqlx)?;
    Ok(seq)
}

/// Numbers the event drafts after the outbox head; returns the committed events.
async fn append_events(
    c: &mut PgConnection,
    org: OrgId,
    drafts: Vec<EventDraft>,
) -> Result<Vec<Event>, StoreError> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let (head,): (i64,) = lock_head(
        c,
        org,
        "SELECT seq FROM event_heads WHERE org_id = $1 FOR UPDATE",
        "INSERT INTO event_heads (org_id, seq) VALUES ($1, 0) ON CONFLICT (org_id) DO NOTHING",
        false,
    )
    .await?;
    let n = drafts.len();
    let mut events = Vec::with_capacity(n);
    let (mut seqs, mut kinds, mut entity_kinds, mut entity_ids) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::<Uuid>::with_capacity(n),
    );
    let (mut actors, mut audiences, mut payloads, mut ats) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (i, d) in drafts.into_iter().enumerate() {
        let seq = head + 1 + i as i64;
        seqs.push(seq);
        kinds.push(d.kind.as_str().to_owned());
        entity_kinds.push(d.entity.kind.as_str().to_owned());
        entity_ids.push(d.entity.id);
        actors.push(d.actor_id.map(|a| a.0));
        audiences.push(serde_json::to_value(&d.audience).map_err(crate::error::map_json)?);
        payloads.push(d.payload.clone());
        ats.push(d.at);
        events.push(Event { org_id: org, seq, draft: d });
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
    .bind(entity_kinds)
    .bind(entity_ids)
    .bind(actors)
    .bind(audiences)
    .bind(payloads)
    .bind(ats)
    .execute(&mut *c)
    .await
    .map_err(map_sqlx)?;
    sqlx::query("UPDATE event_heads SET seq = $2 WHERE org_id = $1")
        .bind(org.0)
        .bind(last)
        .execute(&mut *c)
        .await
        .map_err(map_sqlx)?;
    Ok(events)
}
