//! Group commit on PostgreSQL: one committer task per org folds the commits waiting for it
//! into one transaction (`commit::commit_group`), as the SQLite writer does, so concurrent
//! callers share one `BEGIN … COMMIT`, one WAL flush and one lock of the org's chain heads
//! instead of queueing on the heads one fsync at a time.
//!
//! A commit that finds its org idle starts the org's task and runs alone: nothing waits to
//! fill a group. While a group is in flight the next one accumulates, so group size follows
//! the load. One org per transaction keeps row-level security as it is (one `cmms.org_id` per
//! transaction), and orgs commit concurrently on their own connections. After a failure the
//! members are run again as `cmms_core::store::group::GroupPlan` says, so exactly the
//! offenders fail. The task publishes each member's events to the local dispatcher, in member
//! order, before it answers: a caller that went away still has its commit (and its events).

use crate::commit::{Failure, commit_group};
use cmms_core::domain::event::CommittedBatch;
use cmms_core::store::group::{GroupPlan, GroupStats, MAX_GROUP, Run};
use cmms_core::store::{Changeset, Receipt};
use cmms_core::{OrgId, StoreError};
use sqlx::PgPool;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{mpsc, oneshot};

type Reply = oneshot::Sender<Result<Receipt, StoreError>>;

/// The per-org queues and their tasks.
pub(crate) struct Committer {
    pool: PgPool,
    /// An org has an entry exactly while its task runs.
    queues: Mutex<HashMap<OrgId, VecDeque<(Changeset, Reply)>>>,
    /// Committed batches to the event dispatcher (the store's only sender: dropping the last
    /// committer stops the event tasks).
    local: mpsc::UnboundedSender<Arc<CommittedBatch>>,
    commits: AtomicU64,
    transactions: AtomicU64,
}

impl Committer {
    pub(crate) fn new(pool: PgPool, local: mpsc::UnboundedSender<Arc<CommittedBatch>>) -> Self {
        Self {
            pool,
            queues: Mutex::new(HashMap::new()),
            local,
            commits: AtomicU64::new(0),
            transactions: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> GroupStats {
        GroupStats {
            commits: self.commits.load(Ordering::Relaxed),
            transactions: self.transactions.load(Ordering::Relaxed),
        }
    }

    /// Queues `changes` for `org` and waits for its result. The commit runs in the org's task:
    /// dropping this future does not stop it.
    pub(crate) async fn commit(
        self: &Arc<Self>,
        org: OrgId,
        changes: Changeset,
    ) -> Result<Receipt, StoreError> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
            let start = !queues.contains_key(&org);
            queues.entry(org).or_default().push_back((changes, reply));
            start
        };
        if start {
            tokio::spawn(Arc::clone(self).run(org));
        }
        answer.await.map_err(|_| StoreError::backend("the commit task stopped before answering"))?
    }

    /// The org's task: takes groups from its queue until it is empty, then removes the queue.
    async fn run(self: Arc<Self>, org: OrgId) {
        // If this task ends abnormally, the queue must go with it: a later commit then starts a
        // new task instead of waiting behind a dead one (its queued callers see an error).
        let _cleanup = RemoveOnDrop { committer: &self, org };
        loop {
            let group: Vec<_> = {
                let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(queue) = queues.get_mut(&org) else { return };
                if queue.is_empty() {
                    queues.remove(&org);
                    return;
                }
                let n = queue.len().min(MAX_GROUP);
                queue.drain(..n).collect()
            };
            let (work, replies): (Vec<_>, Vec<_>) = group.into_iter().unzip();
            let n = work.len();
            // In a task of its own, so a panic while applying fails this group, not the org.
            let results = match tokio::spawn(run_group(self.pool.clone(), org, work)).await {
                Ok((results, transactions)) => {
                    self.transactions.fetch_add(transactions, Ordering::Relaxed);
                    results
                }
                Err(e) => {
                    tracing::error!(error = %e, "a group commit task failed");
                    (0..n).map(|_| Err(StoreError::backend("a commit task failed"))).collect()
                }
            };
            self.commits.fetch_add(n as u64, Ordering::Relaxed);
            for (reply, result) in replies.into_iter().zip(results) {
                if let Ok(receipt) = &result {
                    if !receipt.events.is_empty() {
                        let batch = CommittedBatch { org_id: org, events: receipt.events.clone() };
                        if self.local.send(Arc::new(batch)).is_err() {
                            tracing::error!("the event dispatcher has stopped; a batch is missed");
                        }
                    }
                }
                // The caller may have gone away: the commit stands regardless.
                let _ = reply.send(result);
            }
        }
    }
}

struct RemoveOnDrop<'a> {
    committer: &'a Committer,
    org: OrgId,
}

impl Drop for RemoveOnDrop<'_> {
    fn drop(&mut self) {
        // Only while unwinding: after a normal end the entry is gone already, and a new task
        // may have made a new one, which is not ours to remove.
        if std::thread::panicking() {
            let mut queues = self.committer.queues.lock().unwrap_or_else(PoisonError::into_inner);
            queues.remove(&self.org);
        }
    }
}

/// Every member's result, in order, and how many transactions that took.
async fn run_group(
    pool: PgPool,
    org: OrgId,
    work: Vec<Changeset>,
) -> (Vec<Result<Receipt, StoreError>>, u64) {
    let mut plan = GroupPlan::new(work.len());
    while let Some(run) = plan.next() {
        let range = run.range();
        let members = work[range.clone()].to_vec();
        match commit_group(&pool, org, members).await {
            Ok(receipts) => plan.succeeded(range, receipts),
            Err(failure) => match (run, failure) {
                (Run::Alone(i), Failure::Begin(e) | Failure::Member(_, e) | Failure::Commit(e)) => {
                    plan.finish(i, Err(e));
                }
                (Run::Together(r), Failure::Begin(e)) => plan.begin_failed(r, &e),
                (Run::Together(r), Failure::Member(i, e)) => {
                    tracing::debug!(error = %e, "a grouped changeset failed; regrouping around it");
                    plan.member_failed(r.clone(), r.start + i);
                }
                (Run::Together(r), Failure::Commit(e)) => {
                    tracing::debug!(error = %e, "a group failed as a whole; committing one by one");
                    plan.commit_failed(r);
                }
            },
        }
    }
    plan.into_results()
}
