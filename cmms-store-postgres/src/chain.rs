//! The end of every commit transaction: the org's audit chain and event outbox. Both heads are
//! locked LAST, in one statement (audit head before event head, the range-table order, the
//! same in every transaction, so two never wait on each other in opposite orders), and held
//! only through COMMIT (DESIGN §3.1). Then one statement appends the audit entries (numbered
//! and linked with core's `chain_hash`), the events, moves both heads and `NOTIFY`s
//! `cmms_events` — which PostgreSQL delivers only if the transaction commits. Two round trips
//! for a whole commit group, whatever its size.

use crate::error::{map_json, map_sqlx};
use cmms_core::domain::audit::{AuditDraft, GENESIS_HASH, chain_hash};
use cmms_core::domain::event::{Event, EventDraft};
use cmms_core::{OrgId, StoreError};
use sqlx::PgConnection;
use uuid::Uuid;

/// The LISTEN/NOTIFY channel every store of a database shares.
pub(crate) const CHANNEL: &str = "cmms_events";

/// Locks both heads of `org` (creating them at an org's first commit); returns the audit seq
/// and hash and the event seq.
async fn lock_heads(c: &mut PgConnection, org: OrgId) -> Result<(i64, String, i64), StoreError> {
    if let Some(heads) = read_heads(c, org).await? {
        return Ok(heads);
    }
    sqlx::query(
        "WITH a AS (INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, $2) \
         ON CONFLICT (org_id) DO NOTHING) \
         INSERT INTO event_heads (org_id, seq) VALUES ($1, 0) ON CONFLICT (org_id) DO NOTHING",
    )
    .bind(org.0)
    .bind(GENESIS_HASH)
    .execute(&mut *c)
    .await
    .map_err(map_sqlx)?;
    read_heads(c, org)
        .await?
        .ok_or_else(|| StoreError::backend("a chain head row vanished while it was locked"))
}

async fn read_heads(
    c: &mut PgConnection,
    org: OrgId,
) -> Result<Option<(i64, String, i64)>, StoreError> {
    sqlx::query_as(
        "SELECT a.seq, a.hash, e.seq FROM audit_heads a, event_heads e \
         WHERE a.org_id = $1 AND e.org_id = $1 FOR UPDATE",
    )
    .bind(org.0)
    .fetch_optional(c)
    .await
    .map_err(map_sqlx)
}

/// A document as JSON text, for the audit log's `json` columns (kept verbatim, see the
/// migration).
fn json_text(v: Option<&serde_json::Value>) -> Result<Option<String>, StoreError> {
    v.map(serde_json::to_string).transpose().map_err(map_json)
}

/// Appends the group's audit drafts and events after the heads, in order. Returns the last
/// audit seq (0 when there was none) and the committed events.
pub(crate) async fn append(
    c: &mut PgConnection,
    org: OrgId,
    audit: Vec<AuditDraft>,
    events: Vec<EventDraft>,
) -> Result<(i64, Vec<Event>), StoreError> {
    if audit.is_empty() && events.is_empty() {
        return Ok((0, Vec::new()));
    }
    let (audit_head, mut prev, event_head) = lock_heads(c, org).await?;
    let a = Audit::number(org, audit_head, &mut prev, audit)?;
    let audit_n = a.seqs.len() as i64;
    let audit_last = audit_head + audit_n;
    let e = Events::number(org, event_head, events)?;
    let event_last = event_head + e.events.len() as i64;
    let notify = match (e.events.first(), e.events.last()) {
        (Some(first), Some(last)) => Some(crate::events::payload(org, first.seq, last.seq)),
        _ => None,
    };
    // Data-modifying CTEs run whether or not the final SELECT reads them; a head is only
    // rewritten when it moves.
    sqlx::query(
        "WITH a AS (INSERT INTO audit_log (org_id, seq, at, actor_id, action, entity_kind, \
         entity_id, before_doc, after_doc, request_id, prev_hash, hash) \
         SELECT $1, * FROM UNNEST($2::bigint[], $3::timestamptz[], $4::uuid[], $5::text[], \
         $6::text[], $7::uuid[], $8::text[]::json[], $9::text[]::json[], $10::text[], \
         $11::text[], $12::text[])), \
         ah AS (UPDATE audit_heads SET seq = $13, hash = $14 WHERE org_id = $1 AND seq <> $13), \
         e AS (INSERT INTO events (org_id, seq, kind, entity_kind, entity_id, actor_id, \
         audience, payload, at) \
         SELECT $1, * FROM UNNEST($15::bigint[], $16::text[], $17::text[], $18::uuid[], \
         $19::uuid[], $20::jsonb[], $21::jsonb[], $22::timestamptz[])), \
         eh AS (UPDATE event_heads SET seq = $23 WHERE org_id = $1 AND seq <> $23) \
         SELECT pg_notify($24, $25) WHERE $25 IS NOT NULL",
    )
    .bind(org.0)
    .bind(a.seqs)
    .bind(a.ats)
    .bind(a.actors)
    .bind(a.actions)
    .bind(a.kinds)
    .bind(a.ids)
    .bind(a.befores)
    .bind(a.afters)
    .bind(a.requests)
    .bind(a.prevs)
    .bind(a.hashes)
    .bind(audit_last)
    .bind(prev)
    .bind(e.seqs)
    .bind(e.kinds)
    .bind(e.entity_kinds)
    .bind(e.entity_ids)
    .bind(e.actors)
    .bind(e.audiences)
    .bind(e.payloads)
    .bind(e.ats)
    .bind(event_last)
    .bind(CHANNEL)
    .bind(notify)
    .execute(&mut *c)
    .await
    .map_err(map_sqlx)?;
    Ok((if audit_n > 0 { audit_last } else { 0 }, e.events))
}

/// The audit drafts numbered and linked, as one array per column.
#[derive(Default)]
struct Audit {
    seqs: Vec<i64>,
    ats: Vec<chrono::DateTime<chrono::Utc>>,
    actors: Vec<Option<Uuid>>,
    actions: Vec<String>,
    kinds: Vec<String>,
    ids: Vec<Uuid>,
    befores: Vec<Option<String>>,
    afters: Vec<Option<String>>,
    requests: Vec<Option<String>>,
    prevs: Vec<String>,
    hashes: Vec<String>,
}

impl Audit {
    /// Numbers `drafts` after `head`, linking each to `prev` (left at the last hash).
    fn number(
        org: OrgId,
        head: i64,
        prev: &mut String,
        drafts: Vec<AuditDraft>,
    ) -> Result<Self, StoreError> {
        let mut a = Self::default();
        for (i, d) in drafts.into_iter().enumerate() {
            let seq = head + 1 + i as i64;
            let hash = chain_hash(org, seq, &d, prev);
            a.seqs.push(seq);
            a.ats.push(d.at);
            a.actors.push(d.actor_id.map(|x| x.0));
            a.actions.push(d.action);
            a.kinds.push(d.entity.kind.as_str().to_owned());
            a.ids.push(d.entity.id);
            a.befores.push(json_text(d.before.as_ref())?);
            a.afters.push(json_text(d.after.as_ref())?);
            a.requests.push(d.request_id);
            a.prevs.push(std::mem::replace(prev, hash.clone()));
            a.hashes.push(hash);
        }
        Ok(a)
    }
}

/// The events numbered, as one array per column, and as the committed events.
#[derive(Default)]
struct Events {
    events: Vec<Event>,
    seqs: Vec<i64>,
    kinds: Vec<String>,
    entity_kinds: Vec<String>,
    entity_ids: Vec<Uuid>,
    actors: Vec<Option<Uuid>>,
    audiences: Vec<serde_json::Value>,
    payloads: Vec<serde_json::Value>,
    ats: Vec<chrono::DateTime<chrono::Utc>>,
}

impl Events {
    fn number(org: OrgId, head: i64, drafts: Vec<EventDraft>) -> Result<Self, StoreError> {
        let mut e = Self::default();
        for (i, d) in drafts.into_iter().enumerate() {
            let seq = head + 1 + i as i64;
            e.seqs.push(seq);
            e.kinds.push(d.kind.as_str().to_owned());
            e.entity_kinds.push(d.entity.kind.as_str().to_owned());
            e.entity_ids.push(d.entity.id);
            e.actors.push(d.actor_id.map(|a| a.0));
            e.audiences.push(serde_json::to_value(&d.audience).map_err(map_json)?);
            e.payloads.push(d.payload.clone());
            e.ats.push(d.at);
            e.events.push(Event { org_id: org, seq, draft: d });
        }
        Ok(e)
    }
}
