//! Conformance: webhook subscriptions — managed by admins only, the secret shown once, events
//! delivered in order per subscription, signed, filtered, never a notification, echo
//! suppression for API-key writes, retries with backoff, the disable after a failure streak
//! (with its event), replay, test messages, and racing deliverers that send each event once.
//! The HTTP client is the `cmms-webhooks` crate's (tested against loopback receivers there and
//! in the server's tests); here a recording sender stands in for the receiver.

use crate::domain::api_key::NewApiKey;
use crate::domain::event::EventKind;
use crate::domain::org::OrgPatch;
use crate::domain::status::WorkOrderStatus as S;
use crate::domain::webhook::{
    NewWebhook, WebhookCursor, WebhookPatch, WebhookPolicy, WebhookRequest, WebhookResponse,
    WebhookSender, message_id, sign,
};
use crate::rbac::{BuiltinRole, RoleRef};
use crate::service::DeliveryFilter;
use crate::store::record::RecordReadsExt;
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field, assert_forbidden, assert_not_found};
use crate::{Cmms, OrgId};
use async_trait::async_trait;
use chrono::TimeDelta;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A receiver stand-in: answers from a script (then 200), records what it was sent.
#[derive(Default)]
pub struct RecordingSender {
    script: Mutex<VecDeque<Option<u16>>>,
    /// Every request, in order.
    pub got: Mutex<Vec<WebhookRequest>>,
}

impl RecordingSender {
    /// Answers the first requests with these statuses (`None`: no answer at all).
    pub fn scripted(answers: &[Option<u16>]) -> Self {
        Self { script: Mutex::new(answers.iter().copied().collect()), ..Self::default() }
    }

    fn header(r: &WebhookRequest, name: &str) -> String {
        r.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// `(url, event type, seq)` of each request received.
    pub fn seen(&self) -> Vec<(String, String, i64)> {
        let got = self.got.lock().unwrap();
        got.iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                let seq = v["data"]["seq"].as_i64().unwrap();
                (r.url.clone(), v["type"].as_str().unwrap().to_string(), seq)
            })
            .collect()
    }
}

#[async_trait]
impl WebhookSender for RecordingSender {
    async fn send(&self, request: &WebhookRequest) -> WebhookResponse {
        // Yield so concurrent deliverers interleave between claim and commit.
        tokio::task::yield_now().await;
        self.got.lock().unwrap().push(request.clone());
        let answer = self.script.lock().unwrap().pop_front().unwrap_or(Some(200));
        match answer {
            Some(status) => WebhookResponse {
                status: Some(status),
                latency_ms: 3,
                excerpt: format!("answer {status}"),
                error: None,
            },
            None => WebhookResponse::failed("timed out after 10s"),
        }
    }
}

fn new_hook(url: &str, types: &[&str]) -> NewWebhook {
    NewWebhook {
        url: url.into(),
        event_types: types.iter().map(|t| t.to_string()).collect(),
        description: "ERP".into(),
    }
}

async fn cursor(c: &Cmms, org: OrgId, id: crate::ids::WebhookId) -> WebhookCursor {
    c.store().get::<WebhookCursor>(org, id.0).await.unwrap().expect("the cursor")
}

/// Only webhook managers manage subscriptions; URLs and event types are checked; the secret
/// is returned once; a subscription receives what happens after it was made, in order,
/// signed (Standard Webhooks), filtered, never notifications, never twice; an API-key write
/// may suppress one subscription; the delivery log and test messages.
pub async fn webhooks_deliver_signed_in_order(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let admin = &fx.admin.actor;
    fx.wo("before any subscription", vec![]).await;
    let head0 = c.store().event_head(fx.org.id).await.unwrap();
    assert_forbidden(
        c.create_webhook(&fx.manager.actor, new_hook("https://erp.test/in", &[])).await,
        "manager creating a webhook",
    );
    assert_forbidden(c.list_webhooks(&fx.tech.actor).await, "technician listing webhooks");
    assert_field(c.create_webhook(admin, new_hook("http://erp.test/in", &[])).await, "url");
    assert_field(
        c.create_webhook(admin, new_hook("https://erp.test/in", &["nope"])).await,
        "event_types",
    );
    assert_field(
        c.create_webhook(admin, new_hook("https://erp.test/in", &["notification.created"])).await,
        "event_types",
    );
    let patch = OrgPatch { webhooks_allow_http: Some(true), ..OrgPatch::default() };
    c.update_org(&fx.owner.actor, patch, None).await.unwrap();
    let (all, secret) =
        c.create_webhook(admin, new_hook("http://erp.test/all", &[])).await.unwrap();
    assert!(secret.starts_with("whsec_"));
    let listed = c.list_webhooks(admin).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!serde_json::to_string(&listed).unwrap().contains(&secret), "never shown again");
    let only = ["work_order.status_changed"];
    let (some, _) =
        c.create_webhook(admin, new_hook("https://erp.test/some", &only)).await.unwrap();

    let wo = fx.wo("pump", vec![fx.tech.user.id]).await;
    fx.wo("valve", vec![]).await;
    fx.go(&fx.tech.actor, wo.id, S::InProgress, None).await;
    c.deliver_notifications(c.now()).await.unwrap(); // notification.created events appear
    let rx = RecordingSender::default();
    let report = c.deliver_webhooks(c.now(), &rx).await.unwrap();
    let seen = rx.seen();
    let to_all: Vec<_> = seen.iter().filter(|s| s.0.ends_with("/all")).collect();
    let to_some: Vec<_> = seen.iter().filter(|s| s.0.ends_with("/some")).collect();
    assert!(to_all.iter().all(|s| s.1 != "notification.created"), "no notifications: {seen:?}");
    assert!(!to_all.iter().any(|s| s.2 <= head0), "nothing from before");
    let seqs: Vec<i64> = to_all.iter().map(|s| s.2).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    let types: Vec<&str> = to_all.iter().map(|s| s.1.as_str()).collect();
    assert!(
        types.contains(&"work_order.created") && types.contains(&"webhook.created"),
        "{types:?}"
    );
    assert_eq!(to_some.len(), 1, "only the status change: {seen:?}");
    assert_eq!(to_some[0].1, "work_order.status_changed");
    assert_eq!(report.delivered as usize, seen.len());
    assert!(report.skipped > 0, "filtered and notification events are passed over");

    // Signed like Standard Webhooks; the id is the event's idempotency key.
    let first = rx.got.lock().unwrap()[0].clone();
    let id = RecordingSender::header(&first, "webhook-id");
    let ts: i64 = RecordingSender::header(&first, "webhook-timestamp").parse().unwrap();
    let sig = RecordingSender::header(&first, "webhook-signature");
    assert_eq!(sig, sign(&secret, &id, ts, &first.body).unwrap());
    let events = c.store().events_since(fx.org.id, to_all[0].2 - 1, 1).await.unwrap();
    assert_eq!(id, message_id(&events[0]));

    // Nothing twice; the cursor is at the head; the log has one row per request.
    let again = RecordingSender::default();
    assert_eq!(c.deliver_webhooks(c.now(), &again).await.unwrap().delivered, 0);
    assert_eq!(
        cursor(c, fx.org.id, all.id).await.last_seq,
        c.store().event_head(fx.org.id).await.unwrap()
    );
    let log = c.webhook_deliveries(admin, all.id, &DeliveryFilter::default()).await.unwrap();
    assert_eq!(log.len(), to_all.len());
    assert!(log.iter().all(|d| d.ok && d.attempt == 1 && d.status_code == Some(200)));
    assert!(log.windows(2).all(|w| w[0].id > w[1].id), "newest first");

    // Echo suppression: an integration's own API-key writes skip its subscription only.
    let key =
        NewApiKey { name: "ERP".into(), role: RoleRef::Builtin(BuiltinRole::Manager), sites: None };
    let (_, text) = c.create_api_key(&fx.owner.actor, key).await.unwrap();
    let erp = c.authenticate_api_key(&text).await.unwrap().suppressing_webhook(all.id).unwrap();
    assert_field(fx.manager.actor.clone().suppressing_webhook(all.id), "X-Cmms-Suppress-Webhooks");
    fx.wo("by a person", vec![]).await;
    let own = c
        .create_work_order(
            &erp,
            crate::domain::work_order::NewWorkOrder {
                title: "ERP order".into(),
                site_id: Some(fx.site.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let rx2 = RecordingSender::default();
    c.deliver_webhooks(c.now(), &rx2).await.unwrap();
    let own_seq = c
        .store()
        .events_since(fx.org.id, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.draft.entity.id == own.id.0 && e.draft.kind == EventKind::WorkOrderCreated)
        .map(|e| e.seq)
        .unwrap();
    let got2 = rx2.seen();
    assert!(!got2.iter().any(|s| s.0.ends_with("/all") && s.2 == own_seq), "suppressed: {got2:?}");
    assert!(
        got2.iter().any(|s| s.0.ends_with("/all") && s.1 == "work_order.created"),
        "others still go"
    );
    assert_eq!(
        cursor(c, fx.org.id, all.id).await.last_seq,
        c.store().event_head(fx.org.id).await.unwrap()
    );

    // A test message: logged as event 0, the cursor unmoved, works on a subscription's URL.
    let head = cursor(c, fx.org.id, some.id).await.last_seq;
    let t = c.test_webhook(admin, some.id, &RecordingSender::default()).await.unwrap();
    assert_eq!((t.event_seq, t.event_type.as_str(), t.ok), (0, "webhook.test", true));
    assert_eq!(cursor(c, fx.org.id, some.id).await.last_seq, head);
    assert_not_found(c.get_webhook(admin, crate::ids::WebhookId::new()).await, "unknown id");
}

/// A receiver that fails three times then answers gets the event on the fourth attempt, each
/// retry after a growing wait, and the events behind it after it, in order. One that never
/// answers is turned off after the streak, with a `webhook.disabled` event; turned back on it
/// resumes with the event it stopped at.
pub async fn webhooks_retry_then_disable(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let policy = WebhookPolicy { disable_after: 5, ..WebhookPolicy::default() };
    let c = fx.cmms.clone().with_webhook_policy(policy.clone());
    let admin = &fx.admin.actor;
    let types = ["work_order.created"];
    let (h, _) = c.create_webhook(admin, new_hook("https://erp.test/in", &types)).await.unwrap();
    fx.wo("first", vec![]).await;
    fx.wo("second", vec![]).await;
    let rx = RecordingSender::scripted(&[Some(500), Some(500), Some(503)]);
    let mut waits = Vec::new();
    for attempt in 1..=3 {
        let r = c.deliver_webhooks(c.now(), &rx).await.unwrap();
        assert_eq!((r.delivered, r.failed), (0, 1), "attempt {attempt}");
        let now_hook = cursor(&c, fx.org.id, h.id).await;
        assert_eq!(now_hook.failure_streak, attempt);
        let wait = now_hook.next_attempt_at - c.now();
        waits.push(wait);
        let r = c.deliver_webhooks(c.now(), &rx).await.unwrap();
        assert_eq!(r.failed + r.delivered, 0, "not due before the backoff");
        fx.clock.advance(wait);
    }
    assert!(waits[0] <= policy.base_backoff && waits[2] >= policy.base_backoff * 2, "{waits:?}");
    let r = c.deliver_webhooks(c.now(), &rx).await.unwrap();
    assert_eq!(r.delivered, 2, "the fourth attempt, then the next event");
    let seen = rx.seen();
    let entities: Vec<i64> = seen.iter().map(|s| s.2).collect();
    assert_eq!(entities.len(), 5);
    assert!(entities[..4].iter().all(|s| *s == entities[0]), "same event retried: {entities:?}");
    assert!(entities[4] > entities[0]);
    let log = c.webhook_deliveries(admin, h.id, &DeliveryFilter::default()).await.unwrap();
    let attempts: Vec<(i64, bool)> = log.iter().rev().map(|d| (d.attempt, d.ok)).collect();
    assert_eq!(attempts, vec![(1, false), (2, false), (3, false), (4, true), (1, true)]);
    assert_eq!(log.last().unwrap().status_code, Some(500));

    // Never answers: turned off after the streak, with an event that says so.
    let stuck = fx.wo("third", vec![]).await;
    let dead = RecordingSender::scripted(&[None; 10]);
    for _ in 0..policy.disable_after {
        c.deliver_webhooks(c.now(), &dead).await.unwrap();
        fx.clock.advance(policy.max_backoff);
    }
    let off = c.get_webhook(admin, h.id).await.unwrap();
    assert!(!off.active && off.disabled_at.is_some(), "{off:?}");
    let off = off.delivery.unwrap();
    assert_eq!(off.last_error.as_deref(), Some("timed out after 10s"));
    let tail = c.store().events_since(fx.org.id, off.last_seq, 1000).await.unwrap();
    let disabled = tail.iter().find(|e| e.draft.kind == EventKind::WebhookDisabled).unwrap();
    assert_eq!(disabled.draft.entity.id, h.id.0);
    assert!(disabled.draft.payload["reason"].as_str().unwrap().contains("5 failed"));
    let page = c.events_since(admin, off.last_seq, Some(100)).await.unwrap();
    assert!(
        page.events.iter().any(|e| e.draft.kind == EventKind::WebhookDisabled),
        "admins see it"
    );
    let page = c.events_since(&fx.tech.actor, off.last_seq, Some(100)).await.unwrap();
    assert!(!page.events.iter().any(|e| e.draft.kind == EventKind::WebhookDisabled));
    assert_eq!(c.deliver_webhooks(c.now(), &dead).await.unwrap(), Default::default(), "off");

    // Back on: resumes with the event it stopped at.
    let on = WebhookPatch { active: Some(true), ..WebhookPatch::default() };
    c.update_webhook(admin, h.id, on).await.unwrap();
    let ok = RecordingSender::default();
    assert_eq!(c.deliver_webhooks(c.now(), &ok).await.unwrap().delivered, 1);
    let v: serde_json::Value = serde_json::from_str(&ok.got.lock().unwrap()[0].body).unwrap();
    assert_eq!(v["data"]["entity"]["id"], serde_json::json!(stuck.id));
}

/// Replay re-sends from a sequence number with the original ids; racing deliverers send every
/// event once per subscription, in order; a deleted subscription takes its log with it.
pub async fn webhooks_replay_and_racing_deliverers(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = fx.cmms.clone();
    let admin = &fx.admin.actor;
    let types = ["work_order.created"];
    let (h1, _) = c.create_webhook(admin, new_hook("https://a.test/in", &types)).await.unwrap();
    let (h2, _) = c.create_webhook(admin, new_hook("https://b.test/in", &types)).await.unwrap();
    for i in 0..12 {
        fx.wo(&format!("order {i}"), vec![]).await;
    }
    let rx = Arc::new(RecordingSender::default());
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (c, rx, now) = (c.clone(), rx.clone(), c.now());
        tasks.push(tokio::spawn(async move { c.deliver_webhooks(now, rx.as_ref()).await }));
    }
    let mut delivered = 0;
    for t in tasks {
        delivered += t.await.unwrap().unwrap().delivered;
    }
    // A deliverer may have been left behind by a racing claim: finish the rest.
    delivered += c.deliver_webhooks(c.now(), rx.as_ref()).await.unwrap().delivered;
    assert_eq!(delivered, 24, "12 events x 2 subscriptions");
    for url in ["https://a.test/in", "https://b.test/in"] {
        let seqs: Vec<i64> = rx.seen().into_iter().filter(|s| s.0 == url).map(|s| s.2).collect();
        assert_eq!(seqs.len(), 12, "{url}: each event once: {seqs:?}");
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{url}: in order: {seqs:?}");
    }

    // Replay from the 10th event: the same messages again, with the same ids.
    let first_ids: Vec<String> = rx
        .got
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.url.starts_with("https://a"))
        .map(|r| RecordingSender::header(r, "webhook-id"))
        .collect();
    let seqs: Vec<i64> =
        rx.seen().into_iter().filter(|s| s.0.starts_with("https://a")).map(|s| s.2).collect();
    assert_field(c.replay_webhook(admin, h1.id, 0).await, "from_seq");
    assert_field(c.replay_webhook(admin, h1.id, 1_000_000).await, "from_seq");
    c.replay_webhook(admin, h1.id, seqs[9]).await.unwrap();
    let again = RecordingSender::default();
    assert_eq!(c.deliver_webhooks(c.now(), &again).await.unwrap().delivered, 3);
    let replayed: Vec<String> = again
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|r| RecordingSender::header(r, "webhook-id"))
        .collect();
    assert_eq!(replayed, first_ids[9..].to_vec());

    // A stale claim (a deliverer that died) holds the subscription until its lease ends.
    fx.wo("late", vec![]).await;
    let policy = c.webhook_policy().clone();
    let held = cursor(&c, fx.org.id, h2.id).await.claimed(c.now(), &policy);
    let mut cs = crate::store::Changeset::new();
    cs.push(crate::Write::update(held));
    c.store().commit(fx.org.id, cs).await.unwrap();
    let later = RecordingSender::default();
    c.deliver_webhooks(c.now(), &later).await.unwrap();
    assert!(later.seen().iter().all(|s| s.0.starts_with("https://a")), "b is leased");
    fx.clock.advance(policy.lease + TimeDelta::seconds(1));
    c.deliver_webhooks(c.now(), &later).await.unwrap();
    assert!(later.seen().iter().any(|s| s.0.starts_with("https://b")), "after the lease");

    // Deleting takes the log with it; the id is gone.
    c.delete_webhook(admin, h2.id).await.unwrap();
    assert_not_found(c.get_webhook(admin, h2.id).await, "deleted webhook");
    let log: Vec<crate::domain::webhook::WebhookDelivery> = c
        .store()
        .list(
            fx.org.id,
            crate::store::record::Select::new(&crate::store::record::WEBHOOK_DELIVERIES)
                .eq("webhook_id", h2.id.0),
        )
        .await
        .unwrap();
    assert!(log.is_empty());
    // Another organization cannot see or touch these subscriptions.
    let other = Fx::new(fx.db.clone()).await;
    assert_not_found(other.cmms.get_webhook(&other.admin.actor, h1.id).await, "other tenant");
    assert!(other.cmms.list_webhooks(&other.admin.actor).await.unwrap().is_empty());
}
