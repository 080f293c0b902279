//! `Store::commit`: one changeset in one `BEGIN IMMEDIATE` transaction on the writer thread (or
//! as one member of a group's transaction, see `group`) — plain writes, then the numbered
//! writes built from drawn counter values, then the audit chain and event outbox, whose per-org
//! heads are touched last.

use crate::apply::{Drafts, apply};
use crate::error::map_rusqlite;
use crate::rows::{json_text, micros};
use cmms_core::domain::audit::{AuditDraft, GENESIS_HASH, chain_hash};
use cmms_core::domain::event::{Event, EventDraft};
use cmms_core::store::{Changeset, Receipt};
use cmms_core::{OrgId, StoreError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Applies `changes` for `org` atomically; nothing remains when an error is returned.
pub(crate) fn commit(
    conn: &mut Connection,
    org: OrgId,
    changes: Changeset,
) -> Result<Receipt, StoreError> {
    let result = apply_all(conn, org, changes);
    if result.is_err() {
        // Belt and braces: the transaction guard rolls back on drop, but the one writer
        // connection must never be left inside a transaction.
        roll_back(conn);
    }
    result
}

/// Makes sure the one writer connection is not left inside a transaction.
pub(crate) fn roll_back(conn: &Connection) {
    if !conn.is_autocommit() {
        if let Err(e) = conn.execute_batch("ROLLBACK") {
            tracing::error!(error = %e, "rollback on the writer connection failed");
        }
    }
}

fn apply_all(conn: &mut Connection, org: OrgId, changes: Changeset) -> Result<Receipt, StoreError> {
    let tx =
        conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_rusqlite)?;
    let receipt = apply_parts(&tx, org, changes)?;
    // Deferred foreign keys are checked here. On any error, dropping `tx` rolls back.
    tx.commit().map_err(map_rusqlite)?;
    Ok(receipt)
}

/// Applies one changeset inside a transaction the caller opened and will end (commit, or roll
/// back on an error: a failed changeset may have applied part of its writes).
pub(crate) fn apply_parts(
    tx: &Connection,
    org: OrgId,
    changes: Changeset,
) -> Result<Receipt, StoreError> {
    let (writes, numbered) = changes.into_parts();
    let mut drafts = Drafts::default();
    for w in writes {
        apply(tx, org, w, &mut drafts)?;
    }
    let mut numbers = Vec::new();
    if let Some(numbered) = numbered {
        for key in &numbered.counters {
            numbers.push(draw(tx, org, key)?);
        }
        for w in (numbered.build)(&numbers) {
            apply(tx, org, w, &mut drafts)?;
        }
    }
    let audit_seq = append_audit(tx, org, drafts.audit)?;
    let events = append_events(tx, org, drafts.events)?;
    Ok(Receipt { numbers, audit_seq, events })
}

/// Draws the next value of one per-org counter (starting at 1).
fn draw(tx: &Connection, org: OrgId, key: &str) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO org_counters (org_id, key, value) VALUES (?1, ?2, 1) \
         ON CONFLICT (org_id, key) DO UPDATE SET value = value + 1 RETURNING value",
    )
    .and_then(|mut s| s.query_row(params![org.0, key], |r| r.get(0)))
    .map_err(map_rusqlite)
}

/// Numbers and links the audit drafts after the chain head; returns the last seq (0 if none).
fn append_audit(tx: &Connection, org: OrgId, drafts: Vec<AuditDraft>) -> Result<i64, StoreError> {
    if drafts.is_empty() {
        return Ok(0);
    }
    let head: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM audit_heads WHERE org_id = ?1")
        .and_then(|mut s| s.query_row(params![org.0], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(map_rusqlite)?;
    let (mut seq, mut prev) = head.unwrap_or_else(|| (0, GENESIS_HASH.to_string()));
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO audit_log (org_id, seq, at, actor_id, action, entity_kind, entity_id, \
             before_doc, after_doc, request_id, prev_hash, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .map_err(map_rusqlite)?;
    for d in drafts {
        seq += 1;
        let hash = chain_hash(org, seq, &d, &prev);
        let before = d.before.as_ref().map(json_text).transpose()?;
        let after = d.after.as_ref().map(json_text).transpose()?;
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
        ])
        .map_err(map_rusqlite)?;
        prev = hash;
    }
    tx.prepare_cached(
        "INSERT INTO audit_heads (org_id, seq, hash) VALUES (?1, ?2, ?3) \
         ON CONFLICT (org_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .and_then(|mut s| s.execute(params![org.0, seq, prev]))
    .map_err(map_rusqlite)?;
    Ok(seq)
}

/// Numbers the event drafts after the outbox head; returns the committed events.
fn append_events(
    tx: &Connection,
    org: OrgId,
    drafts: Vec<EventDraft>,
) -> Result<Vec<Event>, StoreError> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let head: Option<i64> = tx
        .prepare_cached("SELECT seq FROM event_heads WHERE org_id = ?1")
        .and_then(|mut s| s.query_row(params![org.0], |r| r.get(0)).optional())
        .map_err(map_rusqlite)?;
    let mut seq = head.unwrap_or(0);
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO events (org_id, seq, kind, entity_kind, entity_id, actor_id, audience, \
             payload, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(map_rusqlite)?;
    let mut events = Vec::with_capacity(drafts.len());
    for d in drafts {
        seq += 1;
        stmt.execute(params![
            org.0,
            seq,
            d.kind.as_str(),
            d.entity.kind.as_str(),
            d.entity.id,
            d.actor_id.map(|a| a.0),
            json_text(&d.audience)?,
            json_text(&d.payload)?,
            micros(d.at),
        ])
        .map_err(map_rusqlite)?;
        events.push(Event { org_id: org, seq, draft: d });
    }
    tx.prepare_cached(
        "INSERT INTO event_heads (org_id, seq) VALUES (?1, ?2) \
         ON CONFLICT (org_id) DO UPDATE SET seq = excluded.seq",
    )
    .and_then(|mut s| s.execute(params![org.0, seq]))
    .map_err(map_rusqlite)?;
    Ok(events)
}
