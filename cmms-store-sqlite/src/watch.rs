//! Noticing commits made through other connections — another process on the same file, or
//! another `SqliteStore` — so that followers see them too. Our own commits reach subscribers
//! straight from the writer; nothing tells us about anybody else's, so while someone follows,
//! the writer thread looks at `PRAGMA data_version` on its connection at most every
//! [`CHECK_EVERY`] (when idle, and between jobs when busy). That number changes only when
//! ANOTHER connection commits, so our own commits never trigger it. When it has changed, the
//! writer sends every organization an empty batch: a hint that subscribers answer by reading the
//! outbox from the last sequence they saw (`Cmms::subscribe` does). Nobody following costs one
//! uncontended lock per writer job (the subscriber count) and no wake-ups.

use crate::reads;
use cmms_core::domain::event::CommittedBatch;
use rusqlite::Connection;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// How often, at most, the writer looks for other connections' commits while someone follows:
/// the longest a follower waits for another process's commit, plus one outbox read.
pub const CHECK_EVERY: Duration = Duration::from_millis(200);

/// The writer's view of other connections' commits.
pub(crate) struct Watcher {
    /// `data_version` at the last look (from when the store opened, so commits made while
    /// nobody followed are noticed by the first follower).
    seen: Option<i64>,
    last_check: Instant,
}

impl Watcher {
    /// Starts watching the writer connection `conn`.
    pub(crate) fn new(conn: &Connection) -> Self {
        Self { seen: data_version(conn), last_check: Instant::now() }
    }

    /// How long the writer may wait for its next job: `None` (as long as it takes) when nobody
    /// follows, else until the next look is due.
    pub(crate) fn wait(
        &self,
        publish: &broadcast::Sender<Arc<CommittedBatch>>,
    ) -> Option<Duration> {
        (publish.receiver_count() > 0)
            .then(|| CHECK_EVERY.saturating_sub(self.last_check.elapsed()))
    }

    /// Looks, if someone follows and the last look is [`CHECK_EVERY`] old.
    pub(crate) fn check_if_due(
        &mut self,
        conn: &Connection,
        publish: &broadcast::Sender<Arc<CommittedBatch>>,
    ) {
        if self.last_check.elapsed() < CHECK_EVERY || publish.receiver_count() == 0 {
            return;
        }
        self.last_check = Instant::now();
        let now = data_version(conn);
        if now.is_none() || now == self.seen {
            return;
        }
        self.seen = now;
        match reads::list_org_ids(conn) {
            Ok(orgs) => {
                for org_id in orgs {
                    // No subscriber left is not an error.
                    let _ = publish.send(Arc::new(CommittedBatch { org_id, events: Vec::new() }));
                }
            }
            // Not migrated yet, for one: subscribers cannot read events either.
            Err(e) => tracing::debug!(error = %e, "cannot list organizations to wake followers"),
        }
    }
}

fn data_version(conn: &Connection) -> Option<i64> {
    match conn.query_row("PRAGMA data_version", [], |r| r.get(0)) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::debug!(error = %e, "PRAGMA data_version failed");
            None
        }
    }
}
