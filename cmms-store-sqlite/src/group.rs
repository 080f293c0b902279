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
use cmms_core::store::group::{GroupPlan, Run};
use cmms_core::store::{Changeset, Receipt};
use cmms_core::{OrgId, StoreError};
use rusqlite::{Connection, TransactionBehavior};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{broadcast, oneshot};

pub(crate) use cmms_core::store::group::MAX_GROUP;

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

/// Each changeset's result, in order, and how many transactions that took; after a failure,
/// the members run again as core's [`GroupPlan`] says.
fn commit_all(
    conn: &mut Connection,
    work: Vec<(OrgId, Changeset)>,
) -> (Vec<Result<Receipt, StoreError>>, u64) {
    let mut plan = GroupPlan::new(work.len());
    while let Some(run) = plan.next() {
        let r = match run {
            Run::Alone(i) => {
                let (org, changes) = work[i].clone();
                plan.finish(i, alone(conn, org, changes));
                continue;
            }
            Run::Together(r) => r,
        };
        match together(conn, work[r.clone()].to_vec()) {
            Ok(receipts) => plan.succeeded(r, receipts),
            // Running alone would only wait for the lock again.
            Err(Failure::Begin(e)) => plan.begin_failed(r, &e),
            Err(Failure::Member(i, e)) => {
                tracing::debug!(error = %e, "a grouped changeset failed; regrouping around it");
                roll_back(conn);
                plan.member_failed(r.clone(), r.start + i);
            }
            Err(Failure::Commit(e)) => {
                // Deferred foreign keys are checked for the group as a whole; only running
                // each member alone tells whose they were.
                tracing::debug!(error = %e, "a group's COMMIT failed; committing one by one");
                roll_back(conn);
                plan.commit_failed(r);
            }
        }
    }
    plan.into_results()
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
