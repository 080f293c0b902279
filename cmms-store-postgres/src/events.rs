//! Event fan-out, in-process and across replicas. Each `PgStore` runs two tasks:
//!
//! * the **listener** holds its own connection (`application_name = cmms-listener`), LISTENs
//!   on `cmms_events` and forwards every notification (`<org>:<first_seq>:<last_seq>`, sent by
//!   a committing transaction of any store on the database). When the connection drops it
//!   reconnects with backoff and then asks for a catch-up of every known org, because
//!   notifications sent while nobody listened are gone.
//! * the **dispatcher** is the only sender on the broadcast channel subscribers read. It keeps
//!   the last sequence broadcast per org. A local commit's batch that starts right after it is
//!   broadcast as is (fast path); anything else (a gap, a notification, a catch-up) is read back
//!   from the database with `events_since`. So per org, once an org has been seen, the stream
//!   is gap-free and never repeats an event. An org's stream starts at the first batch or
//!   notification the dispatcher sees for it: two first commits racing in a new org may reach it
//!   out of order, and the earlier is then skipped. Subscribers that must miss nothing follow
//!   through `cmms_core::Cmms::subscribe`, which resumes from a sequence number and reads any
//!   gap back from the outbox.
//!
//! Both tasks end when the store is dropped: it holds the only sender of the dispatcher's
//! local channel, and the listener ends once the dispatcher has.

use crate::chain::CHANNEL;
use crate::commit::begin;
use crate::error::map_sqlx;
use crate::reads;
use cmms_core::domain::event::{CommittedBatch, Event};
use cmms_core::{OrgId, StoreError};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// Events read back per query while catching up.
const PAGE: u32 = 1000;
/// Pause before retrying an org whose catch-up read failed.
const RETRY: Duration = Duration::from_millis(500);
/// First and longest pause between listener reconnection attempts.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// The NOTIFY payload of a commit whose events are `first..=last` of `org`.
pub(crate) fn payload(org: OrgId, first: i64, last: i64) -> String {
    format!("{org}:{first}:{last}")
}

/// Parses a NOTIFY payload; `None` for anything that is not `<uuid>:<first>:<last>` with
/// `1 <= first <= last`.
pub(crate) fn parse_payload(s: &str) -> Option<(OrgId, i64, i64)> {
    let mut parts = s.split(':');
    let org = parts.next()?.parse::<uuid::Uuid>().ok()?;
    let first: i64 = parts.next()?.parse().ok()?;
    let last: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || first < 1 || last < first {
        return None;
    }
    Some((OrgId::from_uuid(org), first, last))
}

/// What the listener tells the dispatcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    /// A commit (of any store) appended `first..=last` to `org`'s outbox.
    Notified { org: OrgId, first: i64, last: i64 },
    /// The listener was disconnected: notifications may have been lost.
    CatchUpAll,
}

/// Opens a listener on the listener pool's connection and LISTENs on the events channel.
pub(crate) async fn connect_listener(pool: &PgPool) -> Result<PgListener, StoreError> {
    let mut listener = PgListener::connect_with(pool).await.map_err(map_sqlx)?;
    listener.listen(CHANNEL).await.map_err(map_sqlx)?;
    Ok(listener)
}

/// Starts the dispatcher and listener tasks; returns the sender for local batches (hold it:
/// dropping it stops both tasks).
pub(crate) fn start(
    pool: PgPool,
    listener_pool: PgPool,
    listener: PgListener,
    out: broadcast::Sender<Arc<CommittedBatch>>,
) -> mpsc::UnboundedSender<Arc<CommittedBatch>> {
    let (local_tx, local_rx) = mpsc::unbounded_channel();
    let (signal_tx, signal_rx) = mpsc::unbounded_channel();
    let dispatcher = Dispatcher { pool, out, last_seen: HashMap::new(), retry: HashSet::new() };
    tokio::spawn(dispatcher.run(local_rx, signal_rx));
    tokio::spawn(listen(listener, listener_pool, signal_tx));
    local_tx
}

async fn listen(mut listener: PgListener, pool: PgPool, tx: mpsc::UnboundedSender<Signal>) {
    let mut backoff = BACKOFF_MIN;
    loop {
        let next = tokio::select! {
            _ = tx.closed() => break,
            next = listener.try_recv() => next,
        };
        let signal = match next {
            Ok(Some(n)) => {
                backoff = BACKOFF_MIN;
                match parse_payload(n.payload()) {
                    Some((org, first, last)) => Signal::Notified { org, first, last },
                    None => {
                        tracing::warn!(payload = n.payload(), "ignored a malformed notification");
                        continue;
                    }
                }
            }
            // sqlx lost the connection and has already reconnected and re-LISTENed.
            Ok(None) => {
                tracing::info!("event listener reconnected; catching up");
                Signal::CatchUpAll
            }
            Err(_) if pool.is_closed() => break,
            Err(e) => {
                tracing::warn!(error = %e, "event listener lost its connection; reconnecting");
                // sqlx keeps its connection after errors other than a clean disconnect; the
                // listener pool has one connection, so the old listener must go before a new
                // one can be acquired.
                drop(listener);
                listener = loop {
                    if pool.is_closed() {
                        return;
                    }
                    tokio::select! {
                        _ = tx.closed() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    match connect_listener(&pool).await {
                        Ok(l) => break l,
                        Err(e) => tracing::warn!(error = %e, "event listener reconnect failed"),
                    }
                };
                tracing::info!("event listener reconnected; catching up");
                Signal::CatchUpAll
            }
        };
        if tx.send(signal).is_err() {
            break;
        }
    }
    tracing::debug!("event listener stopped");
}

/// The one sender on the broadcast channel (see the module docs).
struct Dispatcher {
    pool: PgPool,
    out: broadcast::Sender<Arc<CommittedBatch>>,
    /// Last sequence broadcast, per org.
    last_seen: HashMap<OrgId, i64>,
    /// Orgs whose catch-up read failed, retried after `RETRY`.
    retry: HashSet<OrgId>,
}

async fn recv_or_pending<T>(rx: &mut Option<mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

impl Dispatcher {
    async fn run(
        mut self,
        mut local: mpsc::UnboundedReceiver<Arc<CommittedBatch>>,
        signals: mpsc::UnboundedReceiver<Signal>,
    ) {
        let mut signals = Some(signals);
        // One deadline for retries, so steady traffic cannot keep pushing a retry back.
        let mut retry_at = tokio::time::Instant::now() + RETRY;
        loop {
            let retry_due = !self.retry.is_empty();
            if !retry_due {
                retry_at = tokio::time::Instant::now() + RETRY;
            }
            tokio::select! {
                biased;
                batch = local.recv() => match batch {
                    Some(batch) => self.local(batch).await,
                    None => break,
                },
                signal = recv_or_pending(&mut signals) => match signal {
                    Some(Signal::Notified { org, first, last }) => {
                        self.notified(org, first, last).await;
                    }
                    Some(Signal::CatchUpAll) => {
                        let orgs: Vec<OrgId> = self.last_seen.keys().copied().collect();
                        for org in orgs {
                            self.catch_up(org).await;
                        }
                    }
                    None => signals = None,
                },
                _ = tokio::time::sleep_until(retry_at), if retry_due => {
                    retry_at = tokio::time::Instant::now() + RETRY;
                    let orgs: Vec<OrgId> = self.retry.iter().copied().collect();
                    for org in orgs {
                        self.catch_up(org).await;
                    }
                }
            }
        }
        tracing::debug!("event dispatcher stopped");
    }

    /// A batch this store just committed.
    async fn local(&mut self, batch: Arc<CommittedBatch>) {
        let org = batch.org_id;
        let (Some(first), Some(last)) = (batch.events.first(), batch.events.last()) else {
            return;
        };
        let (first, last) = (first.seq, last.seq);
        match self.last_seen.get(&org).copied() {
            Some(seen) if last <= seen => {}
            Some(seen) if first != seen + 1 => self.catch_up(org).await,
            _ => {
                self.last_seen.insert(org, last);
                self.send(batch);
            }
        }
    }

    /// A notification (from any store, this one included).
    async fn notified(&mut self, org: OrgId, first: i64, last: i64) {
        let seen = *self.last_seen.entry(org).or_insert(first - 1);
        if last > seen {
            self.catch_up(org).await;
        }
    }

    /// Broadcasts everything after the org's last sequence, read from the database.
    async fn catch_up(&mut self, org: OrgId) {
        let Some(mut seen) = self.last_seen.get(&org).copied() else {
            return;
        };
        loop {
            let events = match read_events(&self.pool, org, seen, PAGE).await {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(%org, error = %e, "reading missed events failed; will retry");
                    self.retry.insert(org);
                    return;
                }
            };
            let Some(last) = events.last().map(|e| e.seq) else {
                break;
            };
            let full = events.len() >= PAGE as usize;
            seen = last;
            self.last_seen.insert(org, seen);
            self.send(Arc::new(CommittedBatch { org_id: org, events }));
            if !full {
                break;
            }
        }
        self.retry.remove(&org);
    }

    fn send(&self, batch: Arc<CommittedBatch>) {
        // No subscriber is not an error.
        let _ = self.out.send(batch);
    }
}

/// `events_since` in a read-only transaction for `org`.
pub(crate) async fn read_events(
    pool: &PgPool,
    org: OrgId,
    after: i64,
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    let mut tx = begin(pool, org, true).await?;
    let events = reads::events_since(&mut tx, org, after, limit).await?;
    drop(tx); // read only: the queued ROLLBACK goes out with the release ping
    Ok(events)
}

/// The newest event's sequence number of an organization (0 without events).
pub(crate) async fn event_head(pool: &PgPool, org: OrgId) -> Result<i64, StoreError> {
    let mut tx = begin(pool, org, true).await?;
    let head: Option<i64> = sqlx::query_scalar("SELECT seq FROM event_heads WHERE org_id = $1")
        .bind(org.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(crate::error::map_sqlx)?;
    drop(tx); // read only: the queued ROLLBACK goes out with the release ping
    Ok(head.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_bad_ones_are_refused() {
        let org = OrgId::new();
        assert_eq!(parse_payload(&payload(org, 3, 7)), Some((org, 3, 7)));
        assert_eq!(parse_payload(&payload(org, 1, 1)), Some((org, 1, 1)));
        for bad in [
            String::new(),
            "nonsense".into(),
            format!("{org}:3"),
            format!("{org}:3:2"),
            format!("{org}:0:2"),
            format!("{org}:1:2:3"),
            format!("{org}:x:2"),
            "not-a-uuid:1:2".into(),
        ] {
            assert_eq!(parse_payload(&bad), None, "{bad}");
        }
    }
}
