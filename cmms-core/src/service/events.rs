//! Event use cases: read the outbox from a sequence number and follow it live, filtered by
//! what the actor may read. A subscriber that resumes from the last sequence it saw misses
//! nothing and sees nothing twice.

use super::{Cmms, require_held};
use crate::actor::Actor;
use crate::domain::event::{CommittedBatch, Event, EventKind};
use crate::error::{CmmsError, Result};
use crate::rbac::{self, Permission};
use crate::store::{MAX_LIMIT, check_limit};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

/// A page of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct EventPage {
    /// The events the actor may see, in sequence order.
    pub events: Vec<Event>,
    /// The last sequence number scanned (pass it as `after` next time); events the actor may
    /// not see are skipped but still advance it.
    pub last_seq: i64,
}

fn visible(actor: &Actor, e: &Event) -> bool {
    // A notification's event is its recipient's alone (the audience's owner), whatever else
    // the reader may see: an owner must not read everybody's notifications off the stream.
    if e.draft.kind == EventKind::NotificationCreated {
        return actor.is_system() || actor.user_id() == e.draft.audience.owner;
    }
    rbac::can(actor, e.draft.audience.required(), &e.draft.audience.resource())
}

impl Cmms {
    /// Events of the actor's organization with `seq > after`, keeping those the actor may read.
    /// Scans at most `limit` events, bounded like every list's (`None`:
    /// [`crate::store::DEFAULT_LIMIT`], at most [`MAX_LIMIT`]).
    pub async fn events_since(
        &self,
        actor: &Actor,
        after: i64,
        limit: Option<u32>,
    ) -> Result<EventPage> {
        require_held(actor, Permission::OrgRead)?;
        let limit = check_limit(limit)?;
        let scanned = self.store.events_since(actor.org(), after, limit).await?;
        let last_seq = scanned.last().map_or(after, |e| e.seq);
        let events = scanned.into_iter().filter(|e| visible(actor, e)).collect();
        Ok(EventPage { events, last_seq })
    }

    /// Follows the actor's events live, starting after `after` (0 = from the beginning).
    ///
    /// ```
    /// # async fn demo(cmms: &cmms_core::Cmms, actor: &cmms_core::Actor) -> cmms_core::Result<()> {
    /// let mut sub = cmms.subscribe(actor, 0)?;
    /// let first = sub.next().await?; // waits until there is one
    /// println!("{} #{}", first.draft.kind, first.seq);
    /// # Ok(()) }
    /// ```
    pub fn subscribe(&self, actor: &Actor, after: i64) -> Result<EventSubscription> {
        require_held(actor, Permission::OrgRead)?;
        Ok(EventSubscription {
            cmms: self.clone(),
            actor: actor.clone(),
            last: after.max(0),
            rx: self.store.subscribe(),
            buffer: VecDeque::new(),
            catch_up: true,
        })
    }
}

/// A live, resumable stream of one actor's events. Call `next` in a loop.
pub struct EventSubscription {
    cmms: Cmms,
    actor: Actor,
    last: i64,
    rx: broadcast::Receiver<Arc<CommittedBatch>>,
    buffer: VecDeque<Event>,
    catch_up: bool,
}

impl std::fmt::Debug for EventSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSubscription").field("last_seq", &self.last).finish_non_exhaustive()
    }
}

impl EventSubscription {
    /// The sequence number of the last event scanned (resume from here).
    pub fn last_seq(&self) -> i64 {
        self.last
    }

    /// The next event the actor may see, waiting for one if needed. Reads missed events back
    /// from the store when the live channel lagged or skipped, so nothing is lost.
    pub async fn next(&mut self) -> Result<Event> {
        loop {
            if let Some(e) = self.buffer.pop_front() {
                return Ok(e);
            }
            if self.catch_up {
                let page = self.cmms.events_since(&self.actor, self.last, Some(MAX_LIMIT)).await?;
                if page.last_seq > self.last {
                    self.last = page.last_seq;
                    self.buffer.extend(page.events);
                } else {
                    self.catch_up = false;
                }
                continue;
            }
            match self.rx.recv().await {
                Ok(batch) if batch.org_id == self.actor.org() => self.take(&batch),
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => self.catch_up = true,
                Err(RecvError::Closed) => {
                    return Err(CmmsError::store("the event stream closed"));
                }
            }
        }
    }

    fn take(&mut self, batch: &CommittedBatch) {
        if batch.events.is_empty() {
            // A hint that the outbox grew through commits this store did not make (another
            // process on the same SQLite file): read it back.
            self.catch_up = true;
            return;
        }
        for e in &batch.events {
            if e.seq <= self.last {
                continue;
            }
            if e.seq != self.last + 1 {
                // A gap: something was committed that this channel did not bring; read it back.
                self.catch_up = true;
                return;
            }
            self.last = e.seq;
            if visible(&self.actor, e) {
                self.buffer.push_back(e.clone());
            }
        }
    }
}
