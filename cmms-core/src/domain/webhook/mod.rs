//! Webhook subscriptions: where an organization's events go, which ones, and signed with which
//! secret. This module holds the subscription row and its checks (URL, event filter) and what
//! a subscription receives; [`cursor`] holds its delivery state (its own cursor into the
//! outbox), [`signing`] the Standard Webhooks message and signature. Delivery itself is
//! `Cmms::deliver_webhooks`; the HTTP client is a port ([`WebhookSender`]).

mod cursor;
mod signing;

pub use cursor::{WebhookCursor, WebhookDelivery, WebhookPolicy};
pub use signing::{
    SECRET_PREFIX, WebhookRequest, WebhookResponse, WebhookSender, event_body, message_id,
    new_secret, sign, signed_request,
};

use crate::domain::event::{Event, EventKind};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{OrgId, UserId, WebhookId};
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The request header naming a subscription that must not receive the events of this change.
pub const SUPPRESS_HEADER: &str = "X-Cmms-Suppress-Webhooks";
/// The event types a subscription may never receive: a notification is its recipient's alone.
const NEVER_SENT: &[EventKind] = &[EventKind::NotificationCreated];

/// A webhook subscription. The secret is stored (it signs every request) but never serialized:
/// it is returned once, by `create_webhook`. Its delivery state is a row of its own
/// ([`WebhookCursor`]), shown here as `delivery` by the use cases that read subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Webhook {
    /// Organization.
    pub org_id: OrgId,
    /// Id (also what `X-Cmms-Suppress-Webhooks` names).
    pub id: WebhookId,
    /// Where events are POSTed.
    pub url: String,
    /// Event types delivered (`work_order.created`, ...); empty: every type.
    pub event_types: Vec<String>,
    /// What it is for.
    pub description: String,
    /// The signing secret (`whsec_...`); never serialized.
    #[serde(skip)]
    pub secret: String,
    /// Delivering. Turned off by an admin, or after `WebhookPolicy::disable_after` failures.
    pub active: bool,
    /// When it was turned off by its failure streak.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed (by an admin, or turned off).
    pub updated_at: DateTime<Utc>,
    /// Version of the subscription (deliveries do not change it).
    pub version: i64,
    /// Where delivery stands (not stored with the subscription; filled in when read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<WebhookCursor>,
}

/// Input to create a webhook subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where events are POSTed: `https://...` (`http://` only where the organization's
    /// `webhooks_allow_http` setting allows it).
    pub url: String,
    /// Event types to deliver; empty or absent: every type.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// What it is for.
    #[serde(default)]
    pub description: String,
}

/// A change of a subscription (absent fields keep their value). Turning it back on (`active:
/// true`) clears the failure streak and retries at once, from where it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct WebhookPatch {
    /// New URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New event type filter (empty: every type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// On or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Optimistic concurrency: the version the caller read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// Checks an event type filter: known types only (`notification.created` is never sent).
pub fn check_event_types(p: &mut Problems, types: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(types.len());
    for t in types {
        match t.parse::<EventKind>() {
            Ok(k) if NEVER_SENT.contains(&k) => {
                p.add("event_types", format!("{t} is never sent to webhooks"));
            }
            Ok(_) => out.push(t.clone()),
            Err(_) => p.add("event_types", format!("unknown event type {t}")),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Checks a subscription URL: absolute `https` (or `http` when `allow_http`), with a host, no
/// credentials, no fragment, at most 2,000 characters. Private addresses are refused by the
/// sender when it connects (DNS can change after this check).
pub fn check_url(p: &mut Problems, url: &str, allow_http: bool) -> String {
    let url = url.trim();
    if url.len() > 2000 {
        p.add("url", "must be at most 2000 characters");
        return url.to_string();
    }
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(e) => {
            p.add("url", format!("is not a URL: {e}"));
            return url.to_string();
        }
    };
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => p.add(
            "url",
            "must use https (the organization setting webhooks_allow_http allows http)",
        ),
        other => p.add("url", format!("scheme {other} is not http(s)")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        p.add("url", "must name a host");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        p.add("url", "must not carry credentials (receivers check the signature)");
    }
    if parsed.fragment().is_some() {
        p.add("url", "must not have a fragment");
    }
    url.to_string()
}

impl Webhook {
    /// A new subscription and its secret (in `secret`; returned once by the use case).
    pub fn create(
        org_id: OrgId,
        input: NewWebhook,
        allow_http: bool,
        created_by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut p = Problems::new();
        let url = check_url(&mut p, &input.url, allow_http);
        let event_types = check_event_types(&mut p, &input.event_types);
        let description = validate::text(&mut p, "description", &input.description, 0, 500);
        p.finish()?;
        Ok(Self {
            org_id,
            id: WebhookId::new(),
            url,
            event_types,
            description,
            secret: new_secret()?,
            active: true,
            disabled_at: None,
            created_by,
            created_at: now,
            updated_at: now,
            version: 1,
            delivery: None,
        })
    }

    fn next(&self, now: DateTime<Utc>) -> Self {
        Self { version: self.version + 1, updated_at: now, delivery: None, ..self.clone() }
    }

    /// This subscription with a patch applied (whether it was turned back on is
    /// `!self.active && next.active`: its cursor then restarts).
    pub fn patched(
        &self,
        patch: &WebhookPatch,
        allow_http: bool,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut p = Problems::new();
        let mut next = self.next(now);
        if let Some(url) = &patch.url {
            next.url = check_url(&mut p, url, allow_http);
        }
        if let Some(types) = &patch.event_types {
            next.event_types = check_event_types(&mut p, types);
        }
        if let Some(d) = &patch.description {
            next.description = validate::text(&mut p, "description", d, 0, 500);
        }
        p.finish()?;
        if let Some(active) = patch.active {
            next.active = active;
            if active {
                next.disabled_at = None;
            }
        }
        Ok(next)
    }

    /// Turned off by its failure streak.
    pub fn disabled(&self, now: DateTime<Utc>) -> Self {
        Self { active: false, disabled_at: Some(now), ..self.next(now) }
    }

    /// Whether this subscription receives an event: a type it asked for, never a notification,
    /// and not a change whose author asked to suppress this subscription.
    pub fn wants(&self, event: &Event) -> bool {
        let kind = event.draft.kind;
        !NEVER_SENT.contains(&kind)
            && event.draft.audience.suppress_webhook != Some(self.id.0)
            && (self.event_types.is_empty() || self.event_types.iter().any(|t| t == kind.as_str()))
    }

    /// The signed request carrying `body` as message `msg_id`, timestamped `now`.
    pub fn request(
        &self,
        msg_id: &str,
        body: String,
        now: DateTime<Utc>,
    ) -> Result<WebhookRequest> {
        signed_request(&self.url, &self.secret, msg_id, body, now)
    }

    /// Checks a replay's starting point against the newest event.
    pub fn check_replay(from_seq: i64, head: i64) -> Result<()> {
        if from_seq < 1 || from_seq > head + 1 {
            return Err(CmmsError::invalid(
                "from_seq",
                format!("must be between 1 and {} (the newest event + 1)", head + 1),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::EntityRef;
    use crate::domain::event::{EventAudience, EventDraft};
    use uuid::Uuid;

    fn event(kind: EventKind, suppress: Option<Uuid>) -> Event {
        Event {
            org_id: OrgId::new(),
            seq: 7,
            draft: EventDraft {
                kind,
                entity: EntityRef::new(crate::domain::EntityKind::WorkOrder, Uuid::nil()),
                actor_id: None,
                audience: EventAudience { suppress_webhook: suppress, ..Default::default() },
                payload: serde_json::json!({"a": 1}),
                at: Utc::now(),
            },
        }
    }

    fn hook(types: &[&str]) -> Webhook {
        let input = NewWebhook {
            url: "https://hooks.example.test/in".into(),
            event_types: types.iter().map(|s| s.to_string()).collect(),
            description: String::new(),
        };
        Webhook::create(OrgId::new(), input, false, None, Utc::now()).unwrap()
    }

    #[test]
    fn urls_are_checked() {
        for (url, http, ok) in [
            ("https://h.test/x", false, true),
            ("http://127.0.0.1:9/x", false, false),
            ("http://127.0.0.1:9/x", true, true),
            ("ftp://h.test/", true, false),
            ("https://u:p@h.test/", false, false),
            ("not a url", false, false),
            ("https://h.test/#frag", false, false),
        ] {
            let mut p = Problems::new();
            check_url(&mut p, url, http);
            assert_eq!(p.finish().is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn filter_notifications_and_suppression() {
        let all = hook(&[]);
        assert!(all.wants(&event(EventKind::WorkOrderCreated, None)));
        assert!(!all.wants(&event(EventKind::NotificationCreated, None)));
        assert!(!all.wants(&event(EventKind::WorkOrderCreated, Some(all.id.0))));
        assert!(all.wants(&event(EventKind::WorkOrderCreated, Some(Uuid::nil()))));
        let some = hook(&["work_order.status_changed"]);
        assert!(!some.wants(&event(EventKind::WorkOrderCreated, None)));
        assert!(some.wants(&event(EventKind::WorkOrderStatusChanged, None)));
        let mut p = Problems::new();
        check_event_types(&mut p, &["nope".into(), "notification.created".into()]);
        assert!(p.finish().is_err());
    }

    #[test]
    fn patches_and_disable() {
        let now = Utc::now();
        let h = hook(&[]);
        let off = h.disabled(now);
        assert_eq!((off.active, off.disabled_at, off.version), (false, Some(now), 2));
        let on = WebhookPatch { active: Some(true), ..Default::default() };
        let back = off.patched(&on, false, now).unwrap();
        assert_eq!((back.active, back.disabled_at, back.version), (true, None, 3));
        let bad = WebhookPatch { url: Some("http://x.test".into()), ..Default::default() };
        assert!(h.patched(&bad, false, now).is_err());
        assert!(Webhook::check_replay(0, 5).is_err() && Webhook::check_replay(7, 5).is_err());
        assert!(Webhook::check_replay(6, 5).is_ok());
    }

    #[test]
    fn requests_are_signed_and_ids_stable() {
        let h = hook(&[]);
        let e = event(EventKind::WorkOrderCreated, None);
        let id = message_id(&e);
        assert_eq!(id, message_id(&e));
        let body = event_body(&e);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["data"]["seq"].as_i64()),
            (Some("work_order.created"), Some(7))
        );
        let now = Utc::now();
        let req = h.request(&id, body.clone(), now).unwrap();
        let sig = req.headers.iter().find(|(k, _)| *k == "webhook-signature").unwrap();
        assert_eq!(sig.1, sign(&h.secret, &id, now.timestamp(), &body).unwrap());
        assert!(!serde_json::to_string(&h).unwrap().contains(&h.secret));
    }
}
