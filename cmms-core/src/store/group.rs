//! Group commit, the part every store shares: in which order and in which company the
//! changesets of a group are tried again after the group's transaction failed.
//!
//! A store folds the commits waiting for one writer into ONE transaction (one `BEGIN … COMMIT`,
//! one WAL flush, the per-org heads locked once). Members apply one after another, each seeing
//! the earlier ones' writes as it would in its own transaction. Without savepoints a failure
//! rolls the whole group back, so the store asks a [`GroupPlan`] what to run next: the members
//! before a failing one go again as a group, the offender alone (so it gets its own error, as
//! if it had never been grouped), the rest as the next group; after a failed COMMIT (deferred
//! foreign keys are checked for the group as a whole) every member alone. Exactly the offenders
//! fail, and members keep their queue order, hence audit and event order.
//!
//! ```
//! use cmms_core::store::group::{GroupPlan, Run};
//! let mut plan = GroupPlan::new(4);
//! assert_eq!(plan.next(), Some(Run::Together(0..4)));
//! plan.member_failed(0..4, 2); // the third changeset broke the group
//! assert_eq!(plan.next(), Some(Run::Together(0..2)));
//! assert_eq!(plan.next(), Some(Run::Alone(2)));
//! assert_eq!(plan.next(), Some(Run::Alone(3))); // a group of one runs alone
//! assert_eq!(plan.next(), None);
//! ```

use crate::error::StoreError;
use crate::store::Receipt;
use std::collections::VecDeque;
use std::ops::Range;

/// Most changesets in one transaction: bounds the work a failing group repeats.
pub const MAX_GROUP: usize = 64;

/// What to run next: indexes into the group's changesets, in queue order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// These changesets in one transaction (always two or more).
    Together(Range<usize>),
    /// This changeset in its own transaction; its result is final.
    Alone(usize),
}

impl Run {
    /// The changesets it covers.
    pub fn range(&self) -> Range<usize> {
        match self {
            Self::Together(r) => r.clone(),
            Self::Alone(i) => *i..*i + 1,
        }
    }
}

/// The runs still to do for a group of `n` changesets, and each changeset's result once it has
/// one (both stores' group runners keep their books here).
#[derive(Debug)]
pub struct GroupPlan {
    runs: VecDeque<Run>,
    results: Vec<Option<Result<Receipt, StoreError>>>,
    transactions: u64,
}

impl GroupPlan {
    /// A plan that first tries all `n` changesets together.
    pub fn new(n: usize) -> Self {
        let results = (0..n).map(|_| None).collect();
        let mut plan = Self { runs: VecDeque::new(), results, transactions: 0 };
        plan.push_front(std::iter::once(0..n).collect());
        plan
    }

    /// The next run (each one is a database transaction), or `None` when every changeset has
    /// its result.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Run> {
        let run = self.runs.pop_front();
        if run.is_some() {
            self.transactions += 1;
        }
        run
    }

    /// The members of `run` committed, with these receipts (in order).
    pub fn succeeded(&mut self, run: Range<usize>, receipts: Vec<Receipt>) {
        for (i, receipt) in run.zip(receipts) {
            self.finish(i, Ok(receipt));
        }
    }

    /// Changeset `i` has its final result (it ran alone).
    pub fn finish(&mut self, i: usize, result: Result<Receipt, StoreError>) {
        if let Some(slot) = self.results.get_mut(i) {
            *slot = Some(result);
        }
    }

    /// The transaction of `run` could not even start: every member gets the error (running
    /// alone would only meet the same lock, pool or server again).
    pub fn begin_failed(&mut self, run: Range<usize>, e: &StoreError) {
        for i in run {
            self.finish(i, Err(copy_error(e)));
        }
    }

    /// Each changeset's result, in queue order, and how many transactions the group took.
    pub fn into_results(self) -> (Vec<Result<Receipt, StoreError>>, u64) {
        let results = self
            .results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(StoreError::backend("a grouped changeset was not run")))
            })
            .collect();
        (results, self.transactions)
    }

    /// Member `failed` (an index of the whole group, inside `run`) broke the transaction of
    /// `run`: the members before it go again together, it alone, the rest together.
    pub fn member_failed(&mut self, run: Range<usize>, failed: usize) {
        let failed = failed.clamp(run.start, run.end.saturating_sub(1));
        self.push_front(vec![run.start..failed, failed..failed + 1, failed + 1..run.end]);
    }

    /// The COMMIT of `run` failed: only running each member alone tells whose fault it was.
    pub fn commit_failed(&mut self, run: Range<usize>) {
        self.push_front(run.map(|i| i..i + 1).collect());
    }

    fn push_front(&mut self, ranges: Vec<Range<usize>>) {
        for r in ranges.into_iter().rev() {
            match r.len() {
                0 => {}
                1 => self.runs.push_front(Run::Alone(r.start)),
                _ => self.runs.push_front(Run::Together(r)),
            }
        }
    }
}

/// Counts of a store's group commits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    /// Changesets committed or refused through `Store::commit`.
    pub commits: u64,
    /// Database transactions run for them (a refused group re-runs its members, and counts
    /// those too).
    pub transactions: u64,
}

/// The error the first caller got, for the others of a group that could not start (errors are
/// not `Clone`: they may carry a backend source).
pub fn copy_error(e: &StoreError) -> StoreError {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(plan: &mut GroupPlan) -> Vec<Run> {
        std::iter::from_fn(|| plan.next()).collect()
    }

    #[test]
    fn a_group_of_one_runs_alone() {
        assert_eq!(drain(&mut GroupPlan::new(1)), vec![Run::Alone(0)]);
        assert_eq!(drain(&mut GroupPlan::new(0)), vec![]);
    }

    #[test]
    fn a_failing_member_splits_the_group_around_it() {
        let mut plan = GroupPlan::new(6);
        assert_eq!(plan.next(), Some(Run::Together(0..6)));
        plan.member_failed(0..6, 3);
        assert_eq!(plan.next(), Some(Run::Together(0..3)));
        // The head fails again, at its first member.
        plan.member_failed(0..3, 0);
        assert_eq!(
            drain(&mut plan),
            vec![Run::Alone(0), Run::Together(1..3), Run::Alone(3), Run::Together(4..6)]
        );
    }

    #[test]
    fn a_failed_commit_runs_everyone_alone_in_order() {
        let mut plan = GroupPlan::new(5);
        plan.next();
        plan.member_failed(0..5, 4);
        assert_eq!(plan.next(), Some(Run::Together(0..4)));
        plan.commit_failed(0..4);
        assert_eq!(
            drain(&mut plan),
            vec![Run::Alone(0), Run::Alone(1), Run::Alone(2), Run::Alone(3), Run::Alone(4)]
        );
    }

    #[test]
    fn an_index_outside_the_run_is_clamped_into_it() {
        let mut plan = GroupPlan::new(3);
        plan.next();
        plan.member_failed(0..3, 9);
        assert_eq!(drain(&mut plan), vec![Run::Together(0..2), Run::Alone(2)]);
    }

    #[test]
    fn the_plan_keeps_each_members_result_and_counts_transactions() {
        let mut plan = GroupPlan::new(4);
        let run = plan.next().map(|r| r.range());
        assert_eq!(run, Some(0..4));
        plan.member_failed(0..4, 2);
        let head = plan.next().map(|r| r.range()).unwrap_or_default();
        plan.succeeded(head, vec![Receipt::default(), Receipt::default()]);
        assert_eq!(plan.next(), Some(Run::Alone(2)));
        plan.finish(2, Err(StoreError::conflict("stale")));
        // The last one never gets to run: its slot says so instead of vanishing.
        let (results, transactions) = plan.into_results();
        assert_eq!(transactions, 3);
        assert_eq!(results.len(), 4);
        assert!(results[0].is_ok() && results[1].is_ok());
        assert!(matches!(results[2], Err(StoreError::Conflict { .. })));
        assert!(matches!(results[3], Err(StoreError::Backend(_))));
        let mut busy = GroupPlan::new(3);
        let all = busy.next().map(|r| r.range()).unwrap_or_default();
        busy.begin_failed(all, &StoreError::Busy);
        assert!(busy.into_results().0.iter().all(|r| matches!(r, Err(StoreError::Busy))));
    }
}
