//! Group commit. The writer folds the commits waiting in its queue (up to [`MAX_GROUP`]) into
//! ONE SQLite transaction, so concurrent callers share one `BEGIN IMMEDIATE … COMMIT`, one WAL
//! append of the pages they all touch (counters, chain heads, the newest index pages) and one
//! checkpoint's worth of work. Nothing waits to fill a group: a commit that finds the queue
//! empty runs alone, exactly as before.
//!
//! Optimistic: the changesets of a group apply one after another, each seeing the earlier ones'
//! writes as it would have in its own transaction. If member `i` fails (or panics), the group
//! rolls back; the members before it commit again as a group, `i` runs alone and gets its own
//! error, and the rest form the next group. If the COMMIT fails (deferred foreign keys are only
//! checked there), every member re-runs alone. Either way exactly the offenders fail. A
//! savepoint per changeset would isolate failures without the re-run, but it makes SQLite
//! journal every page a changeset touches; under the load benchmark that was ~9 % of the
//! writer's time, spent on every commit to save work only when one fails. Callers hear back
//! (and events are published) only after their changeset is committed.
//!
//! One difference from committing alone: deferred foreign keys are checked for the group as a
//! whole, so a member whose dangling reference is satisfied by a LATER member of the same group
//! (a site inserted after a work order that names it) commits, where alone it would have been
//! refused. The database is consistent either way; core checks references before it builds a
//! changeset, so only hand-built changesets can notice.

use crate::commit::{self, roll_back};
use crate::error::map_rusqlite;
use cmms_core::domain::event::CommittedBatch;
use cmms_core::store::{Changeset, Receipt};
use cmms_core::{OrgId, StoreError};
use rusqlite::{Connection, TransactionBehavior};
use std::panic::{AssertUnwindSafe, catch_unwind};
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
    let mut results = Vec::with_capacity(work.len());
    let mut transactions = 0;
    while !work.is_empty() {
        if work.len() == 1 {
            if let Some((org, changes)) = work.pop() {
                results.push(alone(conn, org, changes));
                transactions += 1;
            }
            break;
        }
        let spare: Vec<(OrgId, Changeset)> = work.iter().map(|(o, c)| (*o, c.clone())).collect();
        transactions += 1;
        match together(conn, std::mem::take(&mut work)) {
            Ok(receipts) => results.extend(receipts.into_iter().map(Ok)),
            Err(Failure::Begin(e)) => {
                let mut errors: Vec<_> = spare.iter().skip(1).map(|_| Err(copy(&e))).collect();
                results.push(Err(e));
                results.append(&mut errors);
            }
            Err(Failure::Member(i, e)) => {
                // The members before `i` applied cleanly on the same state: they go again as a
                // group, `i` alone (to get its own error, as if it had never been grouped),
                // and the rest of the queue as the next group.
                tracing::debug!(error = %e, "a grouped changeset failed; regrouping around it");
                roll_back(conn);
                let mut rest = spare;
                let tail = rest.split_off((i + 1).min(rest.len()));
                let offender = rest.pop();
                let (mut head, n) = commit_all(conn, rest);
                results.append(&mut head);
                transactions += n;
                if let Some((org, changes)) = offender {
                    results.push(alone(conn, org, changes));
                    transactions += 1;
                }
                work = tail;
            }
            Err(Failure::Commit(e)) => {
                // Deferred foreign keys are checked for the group as a whole; only running
                // each member alone tells whose they were.
                tracing::debug!(error = %e, "a group's COMMIT failed; committing one by one");
                roll_back(conn);
                transactions += spare.len() as u64;
                results.extend(spare.into_iter().map(|(org, cs)| alone(conn, org, cs)));
            }
        }
    }
    (results, transactions)
}

/// Why a group did not commit; the transaction is rolled back in every case.
enum Failure {
    /// The transaction could not start (e.g. another process holds the lock past the busy
    /// timeout): every caller gets the error, since running alone would only wait again.
    Begin(StoreError),
    /// Member `.0` failed (or panicked) while applying.
    Member(usize, StoreError),
    /// The COMMIT failed (deferred foreign keys).
    Commit(StoreError),
}

fn together(conn: &mut Connection, work: Vec<(OrgId, Changeset)>) -> Result<Vec<Receipt>, Failure> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| Failure::Begin(map_rusqlite(e)))?;
    let mut receipts = Vec::with_capacity(work.len());
    for (i, (org, changes)) in work.into_iter().enumerate() {
        let applied = catch_unwind(AssertUnwindSafe(|| commit::apply_parts(&tx, org, changes)))
            .unwrap_or_else(|_| Err(panicked()));
        receipts.push(applied.map_err(|e| Failure::Member(i, e))?);
    }
    // Dropping `tx` on an error rolls the whole group back.
    tx.commit().map_err(|e| Failure::Commit(map_rusqlite(e)))?;
    Ok(receipts)
}

/// One changeset in its own transaction. A panic (say, in a numbered-write closure handed to
/// `Changeset::with_numbers`) fails this caller only: the others of the group were answered or
/// are still to run.
fn alone(conn: &mut Connection, org: OrgId, changes: Changeset) -> Result<Receipt, StoreError> {
    catch_unwind(AssertUnwindSafe(|| commit::commit(conn, org, changes))).unwrap_or_else(|_| {
        // An unwinding transaction guard rolls back; make sure of it.
        roll_back(conn);
        Err(panicked())
    })
}

fn panicked() -> StoreError {
    tracing::error!("a changeset panicked while being applied; its caller gets an error");
    StoreError::backend("the changeset panicked while being applied")
}

/// The error the first caller got, for the others of a group that could not start (errors are
/// not `Clone`: they may carry a backend source).
fn copy(e: &StoreError) -> StoreError {
    match e {
        StoreError::Busy => StoreError::Busy,
        StoreError::Migration(m) => StoreError::Migration(m.clone()),
        StoreError::Backend(source) => StoreError::backend(source.to_string()),
        StoreError::Failed { message, source } => {
            StoreError::failed(message.clone(), source.to_string())
        }
        other => StoreError::backend(other.to_string()),
    }
}
