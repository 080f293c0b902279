//! Webhook delivery: each subscription is its own consumer of the outbox. `deliver_webhooks`
//! claims a subscription that has events behind its cursor (a versioned update that leases it
//! until `next_attempt_at`), sends those events in order, and commits each success together
//! with the cursor moved past it and its log row. The first failure ends the run for that
//! subscription: it is retried after an exponential backoff with jitter, starting with the
//! same event, so order holds; after `WebhookPolicy::disable_after` failures in a row the
//! subscription is turned off with a `webhook.disabled` event.
//!
//! At least once: a deliverer that dies after the receiver answered and before its commit
//! leaves the cursor before that event, and whoever claims next (after the lease) sends it
//! again with the same `webhook-id`, which receivers use as the idempotency key. Safe on every
//! replica: of two deliverers that read the same subscription one claim commits; a deliverer
//! whose lease ran out finds its next commit refused and stops.

use super::{Cmms, Stamp, json};
use crate::actor::Actor;
use crate::domain::event::{Event, EventKind};
use crate::domain::mail::random_jitter;
use crate::domain::webhook::{
    Webhook, WebhookCursor, WebhookDelivery, WebhookPolicy, WebhookResponse, WebhookSender,
    event_body, message_id,
};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{Result, StoreError};
use crate::ids::OrgId;
use crate::store::record::{RecordReadsExt, Select, WEBHOOKS};
use crate::store::{Changeset, Write};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// What one `deliver_webhooks` run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct WebhookReport {
    /// Requests the receivers accepted (2xx).
    pub delivered: u64,
    /// Requests that failed (to be retried).
    pub failed: u64,
    /// Subscriptions turned off by their failure streak in this run.
    pub disabled: u64,
    /// Events passed over: not of a type the subscription wants, or suppressed.
    pub skipped: u64,
    /// Subscriptions another deliverer held or took first.
    pub raced: u64,
}

/// Events waiting for active subscriptions (for metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct WebhookQueue {
    /// Events behind the cursors, summed over subscriptions (up to [`QUEUE_COUNT_CAP`] each).
    pub pending: u64,
    /// When the oldest of them happened.
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

impl WebhookQueue {
    /// How long the oldest pending event has waited at `now`.
    pub fn oldest_age(&self, now: DateTime<Utc>) -> TimeDelta {
        self.oldest_pending_at.map_or(TimeDelta::zero(), |t| now - t)
    }
}

/// The most pending events `webhook_queue` counts per subscription.
pub const QUEUE_COUNT_CAP: u32 = 500;

fn raced(e: &StoreError) -> bool {
    matches!(e, StoreError::Conflict { .. } | StoreError::NotFound { .. })
}

impl Cmms {
    /// Uses this delivery policy for webhooks instead of the default.
    pub fn with_webhook_policy(mut self, policy: WebhookPolicy) -> Self {
        self.webhooks = std::sync::Arc::new(policy);
        self
    }

    /// The webhook delivery policy.
    pub fn webhook_policy(&self) -> &WebhookPolicy {
        &self.webhooks
    }

    /// Delivers the events waiting for every organization's active subscriptions, as of `now`,
    /// through `sender`. Receiver failures are recorded (retry, or disable) and never
    /// returned; only store failures are. Safe to run often and on every replica.
    ///
    /// ```no_run
    /// # async fn f(cmms: cmms_core::Cmms, http: &dyn cmms_core::domain::webhook::WebhookSender)
    /// # -> cmms_core::Result<()> {
    /// let report = cmms.deliver_webhooks(cmms.now(), http).await?;
    /// println!("{} delivered, {} failed", report.delivered, report.failed);
    /// # Ok(()) }
    /// ```
    pub async fn deliver_webhooks(
        &self,
        now: DateTime<Utc>,
        sender: &dyn WebhookSender,
    ) -> Result<WebhookReport> {
        let orgs = self.store.list_org_ids().await?;
        self.deliver_webhooks_for(&orgs, now, sender).await
    }

    /// [`Cmms::deliver_webhooks`] for these organizations only.
    pub async fn deliver_webhooks_for(
        &self,
        orgs: &[OrgId],
        now: DateTime<Utc>,
        sender: &dyn WebhookSender,
    ) -> Result<WebhookReport> {
        let mut report = WebhookReport::default();
        for org in orgs {
            let q = Select::new(&WEBHOOKS).eq("active", true);
            for hook in self.store.list::<Webhook>(*org, q).await? {
                self.deliver_subscription(hook, now, sender, &mut report).await?;
            }
        }
        Ok(report)
    }

    async fn deliver_subscription(
        &self,
        hook: Webhook,
        now: DateTime<Utc>,
        sender: &dyn WebhookSender,
        report: &mut WebhookReport,
    ) -> Result<()> {
        let org = hook.org_id;
        let policy = self.webhooks.clone();
        let Some(cursor) = self.store.get::<WebhookCursor>(org, hook.id.0).await? else {
            return Ok(());
        };
        // Read first, write only when there is something to send: idle subscriptions cost
        // two reads per run, not a claim.
        let events = self.store.events_since(org, cursor.last_seq, policy.batch).await?;
        if events.is_empty() || !cursor.is_due(now) {
            return Ok(());
        }
        let claim = cursor.claimed(now, &policy);
        if !self.commit_or_race(org, vec![Write::update(claim.clone())], report).await? {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let half_lease = (policy.lease / 2).to_std().unwrap_or_default();
        let mut cur = claim;
        let mut passed = cur.last_seq;
        for event in &events {
            if started.elapsed() > half_lease {
                break;
            }
            if !hook.wants(event) {
                passed = event.seq;
                report.skipped += 1;
                continue;
            }
            let (response, row) = self.send_event(&hook, &cur, event, sender).await?;
            if response.ok() {
                let next = cur.advanced(event.seq, now);
                let writes = vec![Write::update(next.clone()), Write::insert(row)];
                if !self.commit_or_race(org, writes, report).await? {
                    return Ok(());
                }
                report.delivered += 1;
                cur = next;
                passed = event.seq;
            } else {
                tracing::warn!(%org, webhook = %hook.id, seq = event.seq,
                    error = ?response.error, status = ?response.status, "webhook not delivered");
                let failed = cur.failed(passed, now, &response, &policy, random_jitter()?);
                return self.record_failure(&hook, failed, row, now, report).await;
            }
        }
        let done = cur.released(passed, now);
        self.commit_or_race(org, vec![Write::update(done)], report).await.map(drop)
    }

    /// Sends one event and builds its log row.
    async fn send_event(
        &self,
        hook: &Webhook,
        cursor: &WebhookCursor,
        event: &Event,
        sender: &dyn WebhookSender,
    ) -> Result<(WebhookResponse, WebhookDelivery)> {
        let msg_id = message_id(event);
        let request = hook.request(&msg_id, event_body(event), self.now())?;
        let response = sender.send(&request).await;
        let attempt = cursor.failure_streak + 1;
        let key = (event.seq, event.draft.kind.as_str(), msg_id.as_str());
        let row =
            WebhookDelivery::record((hook.org_id, hook.id), key, attempt, &response, self.now());
        Ok((response, row))
    }

    /// Commits a failed attempt; when the streak ends the subscription, it is turned off in
    /// the same commit, with the audit entry and the `webhook.disabled` event saying so.
    async fn record_failure(
        &self,
        hook: &Webhook,
        cursor: WebhookCursor,
        row: WebhookDelivery,
        now: DateTime<Utc>,
        report: &mut WebhookReport,
    ) -> Result<()> {
        let disabled = cursor.exhausted(&self.webhooks);
        let mut writes = vec![Write::update(cursor.clone()), Write::insert(row)];
        if disabled {
            let off = hook.disabled(now);
            let st = Stamp::new(&Actor::system(hook.org_id), now);
            let entity = EntityRef::new(EntityKind::Webhook, hook.id);
            writes.push(Write::update(off.clone()));
            writes.push(st.audit("webhook.disable", entity, Some(json(hook)), Some(json(&off))));
            let payload = serde_json::json!({
                "webhook": json(&off),
                "reason": format!(
                    "{} failed deliveries in a row; last: {}",
                    cursor.failure_streak,
                    cursor.last_error.as_deref().unwrap_or("unknown")
                ),
            });
            let kind = EventKind::WebhookDisabled;
            writes.push(st.event(kind, entity, super::webhook::audience(), payload));
        }
        if self.commit_or_race(hook.org_id, writes, report).await? {
            report.failed += 1;
            report.disabled += u64::from(disabled);
        }
        Ok(())
    }

    /// Commits the writes; `false` when another deliverer changed the subscription first.
    async fn commit_or_race(
        &self,
        org: OrgId,
        writes: Vec<Write>,
        report: &mut WebhookReport,
    ) -> Result<bool> {
        let mut cs = Changeset::new();
        cs.extend(writes);
        match self.store.commit(org, cs).await {
            Ok(_) => Ok(true),
            Err(e) if raced(&e) => {
                report.raced += 1;
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Events waiting for active subscriptions, across every organization (for metrics).
    pub async fn webhook_queue(&self) -> Result<WebhookQueue> {
        let mut queue = WebhookQueue::default();
        for org in self.store.list_org_ids().await? {
            let q = Select::new(&WEBHOOKS).eq("active", true);
            for hook in self.store.list::<Webhook>(org, q).await? {
                let Some(cursor) = self.store.get::<WebhookCursor>(org, hook.id.0).await? else {
                    continue;
                };
                let behind = self.store.events_since(org, cursor.last_seq, QUEUE_COUNT_CAP).await?;
                let mut wanted = behind.iter().filter(|e| hook.wants(e)).peekable();
                if let Some(first) = wanted.peek() {
                    let at = first.draft.at;
                    queue.oldest_pending_at =
                        Some(queue.oldest_pending_at.map_or(at, |o| o.min(at)));
                }
                queue.pending += wanted.count() as u64;
            }
        }
        Ok(queue)
    }
}
