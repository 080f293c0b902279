//! Group commit. The writer folds the commits waiting in its queue (up to [`MAX_GROUP`]) into
//! ONE SQLite transaction, so concurrent callers share one `BEGIN IMMEDIATE … COMMIT`, one WAL
//! append of the pages they all touch (counters, chain heads, the newest index pages) and one
//! checkpoint's worth of work. Nothing waits to fill a group: a commit that finds the queue
//! empty runs alone, exactly as before.
//!
//! Optimistic: the changesets of a group apply one after another, each seeing the earlier ones'
//! writes as it would have in its own transaction. If any of them fails, or the COMMIT does
//! (deferred foreign keys are only checked there), the whole group rolls back and every
//! changeset re-runs alone, in the same order, so exactly the offenders fail and nobody else
//! notices. A savepoint per changeset would isolate failures without the re-run, but it makes
//! SQLite journal every page a changeset touches; under the load benchmark that was ~9 % of the
//! writer's time spent on every commit to save work only when one fails. Callers hear back (and
//! events are published) only after their changeset is committed.

use crate::commit;
use crate::error::map_rusqlite;
use cmms_core::domain::event::CommittedBatch;
use cmms_core::store::{Changeset, Receipt};
use cmms_core::{OrgId, StoreError};
use rusqlite::{Connection, TransactionBehavior};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{broadcast, oneshot};

/// Most changesets in one transaction: bounds the work a failing COMMIT repeats.
pub(crate) const MAX_GROUP: usize = 64;

/// One caller's commit, queued for the writer.
pub(crate) struct Pending {
    pub(crate) org: OrgId,
    pub(crate) changes: Changeset,
    pub(crate) reply: oneshot::Sender<Result<Receipt, StoreError>>,
}

/// What the writer has done, for [`crate::SqliteStore::writer_stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) transactions: AtomicU64,
    pub(crate) commits: AtomicU64,
}

/// Commits `group` in order, publishes the committed events in that order, answers each caller.
pub(crate) fn run(
    conn: &mut Connection,
    group: Vec<Pending>,
    publish: &broadcast::Sender<Arc<CommittedBatch>>,
    counters: &Counters,
) {
    let (work, replies): (Vec<_>, Vec<_>) =
        group.into_iter().map(|p| ((p.org, p.changes), (p.org, p.reply))).unzip();
    let (results, transactions) = commit_all(conn, work);
    counters.transactions.fetch_add(transactions, Ordering::Relaxed);
    counters.commits.fetch_add(results.len() as u64, Ordering::Relaxed);
    for ((org, reply), result) in replies.into_iter().zip(results) {
        if let Ok(receipt) = &result {
            if !receipt.events.is_empty() {
                // No receivers is not an error.
                let batch = CommittedBatch { org_id: org, events: receipt.events.clone() };
                let _ = publish.send(Arc::new(batch));
            }
        }
        // The caller may have gone away (its future dropped): the commit stands regardless.
        let _ = reply.send(result);
    }
}

/// Each changeset's result, in order, and how many transactions that took.
fn commit_all(
    conn: &mut Connection,
    mut work: Vec<(OrgId, Changeset)>,
) -> (Vec<Result<Receipt, StoreError>>, u64) {
    if work.len() == 1 {
        if let Some((org, changes)) = work.pop() {
            return (vec![commit::commit(conn, org, changes)], 1);
        }
    }
    let spare: Vec<(OrgId, Changeset)> = work.iter().map(|(o, c)| (*o, c.clone())).collect();
    match together(conn, work) {
        Ok(receipts) => (receipts.into_iter().map(Ok).collect(), 1),
        Err(Retry::Never(e)) => (spare.iter().map(|_| Err(copy(&e))).collect(), 0),
        Err(Retry::Alone(e)) => {
            tracing::debug!(error = %e, "a group failed; committing its changesets one by one");
            if !conn.is_autocommit() {
                if let Err(e) = conn.execute_batch("ROLLBACK") {
                    tracing::error!(error = %e, "rollback after a failed group commit failed");
                }
            }
            let n = spare.len() as u64;
            (spare.into_iter().map(|(org, cs)| commit::commit(conn, org, cs)).collect(), n + 1)
        }
    }
}

/// Why a group did not commit.
enum Retry {
    /// The transaction could not start (e.g. another process holds the lock past the busy
    /// timeout): every caller gets this error; re-running alone would only wait again.
    Never(StoreError),
    /// A changeset or the COMMIT (deferred foreign keys) failed.
    Alone(StoreError),
}

fn together(conn: &mut Connection, work: Vec<(OrgId, Changeset)>) -> Result<Vec<Receipt>, Retry> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| Retry::Never(map_rusqlite(e)))?;
    let mut receipts = Vec::with_capacity(work.len());
    for (org, changes) in work {
        receipts.push(commit::apply_parts(&tx, org, changes).map_err(Retry::Alone)?);
    }
    // Dropping `tx` on an error rolls the whole group back.
    tx.commit().map_err(|e| Retry::Alone(map_rusqlite(e)))?;
    Ok(receipts)
}

/// The same error for every caller of a group (errors are not `Clone`: they may carry a
/// backend source).
fn copy(e: &StoreError) -> StoreError {
    match e {
        StoreError::Busy => StoreError::Busy,
        StoreError::Migration(m) => StoreError::Migration(m.clone()),
        StoreError::InvalidReference(m) => StoreError::InvalidReference(m.clone()),
        other => StoreError::backend(other.to_string()),
    }
}
