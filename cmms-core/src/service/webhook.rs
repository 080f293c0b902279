//! Webhook subscription use cases: create (the secret shown once), list, read, change,
//! delete, replay from a sequence number, the delivery log, and a test message. All need
//! `webhook.manage`; each change leaves an audit entry and a `webhook.*` event.

use super::{Cmms, Stamp, check_version, json, require_held};
use crate::actor::Actor;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::webhook::{
    NewWebhook, Webhook, WebhookCursor, WebhookDelivery, WebhookPatch, WebhookSender,
};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result, StoreError};
use crate::ids::{WebhookDeliveryId, WebhookId};
use crate::rbac::Permission;
use crate::store::record::{
    Cmp, RecordReadsExt, Select, WEBHOOK_CURSORS, WEBHOOK_DELIVERIES, WEBHOOKS,
};
use crate::store::{Changeset, Write};
use serde::{Deserialize, Serialize};

/// The most subscriptions an organization may have.
pub const MAX_WEBHOOKS: usize = 100;
/// Replays retried when a deliverer moved the cursor at the same moment.
const REPLAY_TRIES: usize = 5;

/// Which delivery log rows to list: newest first, `limit` (1..=500, default 50), before a row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryFilter {
    /// At most this many rows.
    pub limit: Option<u32>,
    /// Only rows older than this one (the last id of the previous page).
    pub before: Option<WebhookDeliveryId>,
    /// Only attempts at this event.
    pub event_seq: Option<i64>,
}

/// Who may see the events of subscription changes: those who manage webhooks.
pub(crate) fn audience() -> EventAudience {
    EventAudience { permission: Some(Permission::WebhookManage), ..EventAudience::default() }
}

impl Cmms {
    /// Creates a subscription that receives the organization's events from now on. Returns
    /// it with its signing secret (`whsec_...`), which is shown this once.
    ///
    /// ```
    /// # async fn demo(cmms: &cmms_core::Cmms, admin: &cmms_core::Actor) -> cmms_core::Result<()> {
    /// use cmms_core::domain::webhook::NewWebhook;
    /// let (hook, secret) = cmms
    ///     .create_webhook(admin, NewWebhook {
    ///         url: "https://erp.example.test/cmms-events".into(),
    ///         event_types: vec!["work_order.status_changed".into()],
    ///         description: "ERP sync".into(),
    ///     })
    ///     .await?;
    /// assert!(secret.starts_with("whsec_"));
    /// # Ok(()) }
    /// ```
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        input: NewWebhook,
    ) -> Result<(Webhook, String)> {
        require_held(actor, Permission::WebhookManage)?;
        let org = self.load_org(actor.org()).await?;
        let existing: Vec<Webhook> =
            self.store.list(actor.org(), Select::new(&WEBHOOKS).limit(MAX_WEBHOOKS as u32)).await?;
        if existing.len() >= MAX_WEBHOOKS {
            return Err(CmmsError::invalid(
                "url",
                format!("an organization has at most {MAX_WEBHOOKS} webhook subscriptions"),
            ));
        }
        let now = self.now();
        let allow_http = org.settings.webhooks_allow_http;
        let hook = Webhook::create(actor.org(), input, allow_http, actor.user_id(), now)?;
        let head = self.store.event_head(actor.org()).await?;
        let cursor = WebhookCursor::start(actor.org(), hook.id, head, now);
        let secret = hook.secret.clone();
        let mut cs = Changeset::new();
        cs.push(Write::insert(hook.clone()));
        cs.push(Write::insert(cursor.clone()));
        self.stamp_change(&mut cs, actor, &hook, "webhook.create", EventKind::WebhookCreated, None);
        self.commit(actor, cs).await?;
        Ok((Webhook { delivery: Some(cursor), ..hook }, secret))
    }

    /// The organization's subscriptions (without secrets), oldest first, with where delivery
    /// stands.
    pub async fn list_webhooks(&self, actor: &Actor) -> Result<Vec<Webhook>> {
        require_held(actor, Permission::WebhookManage)?;
        let limit = MAX_WEBHOOKS as u32;
        let hooks: Vec<Webhook> =
            self.store.list(actor.org(), Select::new(&WEBHOOKS).limit(limit)).await?;
        let cursors: Vec<WebhookCursor> =
            self.store.list(actor.org(), Select::new(&WEBHOOK_CURSORS).limit(limit)).await?;
        Ok(hooks
            .into_iter()
            .map(|h| {
                let delivery = cursors.iter().find(|c| c.webhook_id == h.id).cloned();
                Webhook { delivery, ..h }
            })
            .collect())
    }

    /// One subscription (without its secret), with where delivery stands.
    pub async fn get_webhook(&self, actor: &Actor, id: WebhookId) -> Result<Webhook> {
        require_held(actor, Permission::WebhookManage)?;
        let hook: Webhook = self
            .store
            .get(actor.org(), id.0)
            .await?
            .ok_or_else(|| CmmsError::not_found("webhook", id))?;
        let delivery = self.store.get(actor.org(), id.0).await?;
        Ok(Webhook { delivery, ..hook })
    }

    /// Changes a subscription's URL, filter, description or on/off state. Turning a disabled
    /// subscription back on resumes delivery where it stopped.
    pub async fn update_webhook(
        &self,
        actor: &Actor,
        id: WebhookId,
        patch: WebhookPatch,
    ) -> Result<Webhook> {
        let hook = self.get_webhook(actor, id).await?;
        check_version("webhook", hook.version, patch.version)?;
        let allow_http = self.load_org(actor.org()).await?.settings.webhooks_allow_http;
        let now = self.now();
        let after = hook.patched(&patch, allow_http, now)?;
        // Turned back on: from where it stopped, with a clean streak (nobody delivers to an
        // inactive subscription, so its cursor is not moving).
        let restart = match (&hook.delivery, !hook.active && after.active) {
            (Some(c), true) => Some(c.restarted(now)),
            _ => None,
        };
        let mut cs = Changeset::new();
        cs.push(Write::update(after.clone()));
        if let Some(c) = &restart {
            cs.push(Write::update(c.clone()));
        }
        self.stamp_change(
            &mut cs,
            actor,
            &after,
            "webhook.update",
            EventKind::WebhookUpdated,
            Some(&hook),
        );
        self.commit(actor, cs).await?;
        Ok(Webhook { delivery: restart.or(hook.delivery), ..after })
    }

    /// Replays events from `from_seq` on: the subscription's cursor moves back and every
    /// wanted event from there is delivered again, in order, with its original `webhook-id`.
    pub async fn replay_webhook(
        &self,
        actor: &Actor,
        id: WebhookId,
        from_seq: i64,
    ) -> Result<Webhook> {
        let head = self.store.event_head(actor.org()).await?;
        Webhook::check_replay(from_seq, head)?;
        // A deliverer may move the cursor meanwhile: read it again and retry a few times.
        for _ in 0..REPLAY_TRIES {
            let hook = self.get_webhook(actor, id).await?;
            let Some(cursor) = &hook.delivery else {
                return Err(CmmsError::not_found("webhook", id));
            };
            let moved = cursor.replayed(from_seq, self.now());
            let mut cs = Changeset::new();
            cs.push(Write::update(moved.clone()));
            let st = Stamp::new(actor, moved.updated_at);
            let entity = EntityRef::new(EntityKind::Webhook, id);
            let (before, after) = (json(cursor), json(&moved));
            cs.push(st.audit("webhook.replay", entity, Some(before), Some(after.clone())));
            cs.push(st.event(EventKind::WebhookUpdated, entity, audience(), after));
            match self.store.commit(actor.org(), cs).await {
                Ok(_) => return Ok(Webhook { delivery: Some(moved), ..hook }),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CmmsError::Conflict {
            message: "webhook is being delivered to; try the replay again".into(),
            current_version: None,
            field: None,
        })
    }

    /// Deletes a subscription and its delivery log.
    pub async fn delete_webhook(&self, actor: &Actor, id: WebhookId) -> Result<()> {
        let hook = self.get_webhook(actor, id).await?;
        let mut cs = Changeset::new();
        cs.push(Write::delete_children::<WebhookDelivery>(id.0));
        cs.push(Write::delete::<WebhookCursor>(id.0));
        cs.push(Write::delete_versioned::<Webhook>(id.0, hook.version));
        let st = Stamp::new(actor, self.now());
        let entity = EntityRef::new(EntityKind::Webhook, id);
        cs.push(st.audit("webhook.delete", entity, Some(json(&hook)), None));
        cs.push(st.event(EventKind::WebhookDeleted, entity, audience(), json(&hook)));
        self.commit(actor, cs).await.map(drop)
    }

    /// The delivery log of a subscription, newest first.
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        id: WebhookId,
        filter: &DeliveryFilter,
    ) -> Result<Vec<WebhookDelivery>> {
        self.get_webhook(actor, id).await?;
        let limit = filter.limit.unwrap_or(50).clamp(1, 500);
        let mut q = Select::new(&WEBHOOK_DELIVERIES).eq("webhook_id", id.0).reversed().limit(limit);
        if let Some(before) = filter.before {
            q = q.cmp("id", Cmp::Lt, before.0);
        }
        if let Some(seq) = filter.event_seq {
            q = q.eq("event_seq", seq);
        }
        Ok(self.store.list(actor.org(), q).await?)
    }

    /// Sends a `webhook.test` message to the subscription now (whether it is on or off) and
    /// logs the attempt (event 0); the cursor does not move. Returns the log row.
    pub async fn test_webhook(
        &self,
        actor: &Actor,
        id: WebhookId,
        sender: &dyn WebhookSender,
    ) -> Result<WebhookDelivery> {
        let hook = self.get_webhook(actor, id).await?;
        let now = self.now();
        let msg_id = format!("msg_test_{}", uuid::Uuid::now_v7().simple());
        let body = serde_json::json!({
            "type": "webhook.test",
            "timestamp": now,
            "data": {"org_id": hook.org_id, "webhook_id": hook.id, "seq": 0},
        })
        .to_string();
        let response = sender.send(&hook.request(&msg_id, body, now)?).await;
        let key = (0, "webhook.test", msg_id.as_str());
        let row = WebhookDelivery::record((hook.org_id, hook.id), key, 1, &response, now);
        let mut cs = Changeset::new();
        cs.push(Write::insert(row.clone()));
        self.commit(actor, cs).await?;
        Ok(row)
    }

    fn stamp_change(
        &self,
        cs: &mut Changeset,
        actor: &Actor,
        hook: &Webhook,
        action: &'static str,
        kind: EventKind,
        before: Option<&Webhook>,
    ) {
        // The subscription as stored: its delivery state is another row with its own history.
        let stored = |h: &Webhook| json(&Webhook { delivery: None, ..h.clone() });
        let st = Stamp::new(actor, hook.updated_at);
        let entity = EntityRef::new(EntityKind::Webhook, hook.id);
        cs.push(st.audit(action, entity, before.map(stored), Some(stored(hook))));
        cs.push(st.event(kind, entity, audience(), stored(hook)));
    }
}
