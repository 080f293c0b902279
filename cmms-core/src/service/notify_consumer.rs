//! The notification consumer: reads each organization's outbox from its cursor, decides who
//! must hear about each event ([`crate::notify`]), and commits the notifications together with
//! the cursor moved past them — one changeset per batch, so a crash between an event and its
//! notifications loses nothing and duplicates nothing.
//!
//! Safe on every replica: the cursor row is only ever written with its version, so of two
//! consumers that read the same position one commit wins and the other conflicts and writes
//! nothing. A batch that leaves more to do also leases the cursor (holder and expiry in the
//! same row) so other replicas leave the organization alone instead of computing batches that
//! would lose the race; a holder that dies delays that organization by at most the lease.
//! A lease row rather than an advisory lock because it works the same on SQLite and PostgreSQL
//! and holds no connection while the batch is computed.

use super::Cmms;
use crate::domain::EntityKind;
use crate::domain::event::Event;
use crate::domain::notification::{NotificationCursor, PreferenceRow, Watch};
use crate::domain::user::RoleGrant;
use crate::domain::work_order::WorkOrder;
use crate::error::{Result, StoreError};
use crate::ids::{OrgId, UserId};
use crate::notify::deliver::{MailBook, PreferenceBook, changeset};
use crate::notify::{Directory, Recipient, candidates, recipients};
use crate::store::MAX_LIMIT;
use crate::store::record::{
    NOTIFICATION_PREFERENCES, ROLE_GRANTS, RecordReadsExt, Select, WORK_ORDER_WATCHERS, WORK_ORDERS,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Events read per batch (one commit each).
pub const BATCH: u32 = 200;
/// Batches per organization and run, so one busy organization cannot starve the others.
pub const MAX_BATCHES: u32 = 10;

/// What one run of [`Cmms::deliver_notifications`] did (the server exports it as metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DeliveryReport {
    /// Organizations looked at.
    pub orgs: u64,
    /// Events read past.
    pub events: u64,
    /// Notifications stored in the app (channel `in_app`, outcome `delivered`).
    pub in_app: u64,
    /// Recipients who turned every channel off for that kind (outcome `muted`).
    pub muted: u64,
    /// Recipients who chose email (the mail outbox takes these).
    pub email: u64,
    /// People a rule named who may not read the event (outcome `not_visible`), or are inactive.
    pub not_visible: u64,
    /// Organizations left to another replica (leased, or its commit won the race).
    pub busy: u64,
    /// Events still behind the cursors after the run (counted up to 500 per organization).
    pub pending: u64,
    /// When the oldest event still behind a cursor happened.
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

impl Cmms {
    /// Delivers notifications for every organization's new events, as of `now`. Resumable and
    /// safe to run often and from several processes; see the module docs.
    ///
    /// ```
    /// # async fn demo(cmms: &cmms_core::Cmms) -> cmms_core::Result<()> {
    /// let report = cmms.deliver_notifications(cmms.now()).await?;
    /// println!("{} notifications, {} events pending", report.in_app, report.pending);
    /// # Ok(()) }
    /// ```
    pub async fn deliver_notifications(&self, now: DateTime<Utc>) -> Result<DeliveryReport> {
        let orgs = self.store.list_org_ids().await?;
        self.deliver_notifications_for(&orgs, now).await
    }

    /// [`Cmms::deliver_notifications`] for these organizations only (a server that learned of
    /// a commit in one organization delivers for that one, not for every tenant).
    pub async fn deliver_notifications_for(
        &self,
        orgs: &[OrgId],
        now: DateTime<Utc>,
    ) -> Result<DeliveryReport> {
        let holder = uuid::Uuid::now_v7().to_string();
        let mut report = DeliveryReport::default();
        for org in orgs {
            report.orgs += 1;
            let at = self.deliver_org(*org, now, &holder, &mut report).await?;
            self.count_pending(*org, at, &mut report).await?;
        }
        Ok(report)
    }

    async fn deliver_org(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
        holder: &str,
        report: &mut DeliveryReport,
    ) -> Result<Option<i64>> {
        let stored: Option<NotificationCursor> = self.store.get(org, org.0).await?;
        let mut cursor = stored.unwrap_or_else(|| NotificationCursor::start(org, now));
        if cursor.leased_to_other(holder, now) {
            report.busy += 1;
            return Ok(None);
        }
        for batch in 1..=MAX_BATCHES {
            let events = self.store.events_since(org, cursor.last_seq, BATCH).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(Some(cursor.last_seq));
            };
            let full = events.len() == BATCH as usize;
            let more = full && batch < MAX_BATCHES;
            let dir = self.directory(org, &events).await?;
            let mut planned = Vec::new();
            for e in &events {
                let named = candidates(e, &dir).len();
                let told = recipients(e, &dir);
                report.not_visible += (named - told.len()) as u64;
                planned.extend(told.into_iter().map(|r| (e, r)));
            }
            let rows: Vec<PreferenceRow> =
                self.store.list(org, Select::new(&NOTIFICATION_PREFERENCES)).await?;
            let prefs = PreferenceBook::from_rows(org, rows);
            let mail = self.mail_book(org, &planned, &prefs).await?;
            let next = cursor.next(last, more.then_some(holder), now);
            let (cs, out) = changeset(&cursor, next.clone(), &planned, &prefs, &mail, now);
            match self.store.commit(org, cs).await {
                Ok(_) => {}
                // Another replica moved the cursor first: its batch stands, ours is dropped.
                Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => {
                    report.busy += 1;
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
            report.events += events.len() as u64;
            report.in_app += out.in_app;
            report.muted += out.muted;
            report.email += out.email;
            cursor = next;
            // A batch that wrote notifications appended their events behind the cursor: pass
            // over them now, so a run leaves nothing of its own pending.
            if !full && out.in_app == 0 {
                break;
            }
        }
        Ok(Some(cursor.last_seq))
    }

    /// The addresses of the planned recipients who chose email (active users only).
    async fn mail_book(
        &self,
        org: OrgId,
        planned: &[(&Event, Recipient)],
        prefs: &PreferenceBook,
    ) -> Result<MailBook<'_>> {
        let mut wanted: Vec<UserId> = planned
            .iter()
            .filter(|(_, r)| prefs.channels(r.user_id, r.kind).email)
            .map(|(_, r)| r.user_id)
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut book =
            MailBook { addresses: HashMap::new(), public_url: self.mail.public_url.as_deref() };
        if !wanted.is_empty() {
            for user in self.store.users_by_ids(org, &wanted).await? {
                if user.active {
                    book.addresses.insert(user.id, user.email);
                }
            }
        }
        Ok(book)
    }

    /// Who the rules may name for these events, and the actors of those they do name.
    async fn directory(&self, org: OrgId, events: &[Event]) -> Result<Directory> {
        let s = &self.store;
        let mut wo_ids: Vec<uuid::Uuid> = events
            .iter()
            .filter(|e| e.draft.entity.kind == EntityKind::WorkOrder)
            .map(|e| e.draft.entity.id)
            .collect();
        wo_ids.sort_unstable();
        wo_ids.dedup();
        let mut dir = Directory {
            grants: s.list::<RoleGrant>(org, Select::new(&ROLE_GRANTS)).await?,
            teams: s.list_teams(org).await?,
            ..Directory::default()
        };
        if !wo_ids.is_empty() {
            dir.watchers = s
                .list::<Watch>(
                    org,
                    Select::new(&WORK_ORDER_WATCHERS).any_of("work_order_id", wo_ids.clone()),
                )
                .await?;
        }
        if !wo_ids.is_empty() {
            // One read for the batch's work orders, not one per work order.
            let found: Vec<WorkOrder> =
                s.list(org, Select::new(&WORK_ORDERS).any_of("id", wo_ids)).await?;
            dir.work_orders.extend(found.into_iter().map(|wo| (wo.id.0, wo)));
        }
        let mut users: Vec<UserId> =
            events.iter().flat_map(|e| candidates(e, &dir)).map(|r| r.user_id).collect();
        users.sort_unstable();
        users.dedup();
        // Inactive or gone users get no actor: they hear nothing.
        dir.actors = self.actors_among(org, &users, &dir.grants, &dir.teams).await?;
        Ok(dir)
    }

    /// Counts what is behind the cursor, which is at `at` when this run knows where it left it
    /// (otherwise it is read: another replica holds or moved it).
    async fn count_pending(
        &self,
        org: OrgId,
        at: Option<i64>,
        report: &mut DeliveryReport,
    ) -> Result<()> {
        let after = match at {
            Some(seq) => seq,
            None => {
                let cursor: Option<NotificationCursor> = self.store.get(org, org.0).await?;
                cursor.map_or(0, |c| c.last_seq)
            }
        };
        let behind = self.store.events_since(org, after, MAX_LIMIT).await?;
        report.pending += behind.len() as u64;
        if let Some(first) = behind.first() {
            let at = first.draft.at;
            report.oldest_pending_at = Some(report.oldest_pending_at.map_or(at, |o| o.min(at)));
        }
        Ok(())
    }
}
