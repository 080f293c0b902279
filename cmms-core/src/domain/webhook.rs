//! Webhook subscriptions: where an organization's events go, which ones, signed with which
//! secret, and how far delivery got (the subscription's own cursor into the outbox). This
//! module holds the rows and the pure rules — URL checks, the event filter, the Standard
//! Webhooks message and signature, claiming, backoff and the disable after a failure streak.
//! Delivery itself is `Cmms::deliver_webhooks`; the HTTP client is a port ([`WebhookSender`]).

use crate::domain::event::{Event, EventKind};
use crate::domain::retry::backoff;
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{OrgId, UserId, WebhookDeliveryId, WebhookId};
use crate::validate;
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

/// Prefix of every signing secret (the Standard Webhooks convention: `whsec_<base64 key>`).
pub const SECRET_PREFIX: &str = "whsec_";
/// The request header naming a subscription that must not receive the events of this change.
pub const SUPPRESS_HEADER: &str = "X-Cmms-Suppress-Webhooks";
/// The event types a subscription may never receive: a notification is its recipient's alone.
const NEVER_SENT: &[EventKind] = &[EventKind::NotificationCreated];

/// A webhook subscription. The secret is stored (it signs every request) but never serialized:
/// it is returned once, by `create_webhook`.
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
    /// Delivering. Turned off by an admin or after `WebhookPolicy::disable_after` failures.
    pub active: bool,
    /// The cursor: the last event delivered or passed over (not of a wanted type).
    pub last_seq: i64,
    /// Failed attempts in a row (0 after a success).
    pub failure_streak: i64,
    /// When a deliverer may next take it: the retry time, or the end of a claim's lease.
    pub next_attempt_at: DateTime<Utc>,
    /// The claim that holds it while a deliverer sends (a fresh id per claim).
    pub lease_id: Option<Uuid>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was turned off by the failure streak.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
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

/// One attempt to deliver one event (or a test message) to one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct WebhookDelivery {
    /// Organization.
    pub org_id: OrgId,
    /// Id (time-ordered).
    pub id: WebhookDeliveryId,
    /// The subscription.
    pub webhook_id: WebhookId,
    /// The event's sequence number (0 for a test message).
    pub event_seq: i64,
    /// The event type.
    pub event_type: String,
    /// The `webhook-id` header: the same on every attempt at one event (the idempotency key).
    pub message_id: String,
    /// Which attempt at this event this was (1 = first).
    pub attempt: i64,
    /// Whether the receiver answered 2xx.
    pub ok: bool,
    /// The receiver's status code (none when it did not answer).
    pub status_code: Option<i64>,
    /// How long the request took.
    pub latency_ms: i64,
    /// The start of the response body (at most 1,000 characters).
    pub response_excerpt: String,
    /// What went wrong before any answer (refused, timed out, private address, ...).
    pub error: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// How webhooks are delivered and retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// The wait after the first failure; doubled after each further one.
    pub base_backoff: TimeDelta,
    /// The longest wait.
    pub max_backoff: TimeDelta,
    /// Failures in a row after which a subscription is turned off (with a `webhook.disabled`
    /// event). With the defaults, about a day of failing.
    pub disable_after: i64,
    /// How long a claim holds a subscription. A deliverer stops sending at half of it, so keep
    /// it well above the sender's timeout.
    pub lease: TimeDelta,
    /// Events read per subscription and run.
    pub batch: u32,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        Self {
            base_backoff: TimeDelta::seconds(10),
            max_backoff: TimeDelta::hours(1),
            disable_after: 30,
            lease: TimeDelta::minutes(2),
            batch: 100,
        }
    }
}

/// One signed request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    /// The subscription's URL.
    pub url: String,
    /// `content-type`, `webhook-id`, `webhook-timestamp`, `webhook-signature`, `user-agent`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: String,
}

/// What the receiver did with a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookResponse {
    /// Its status code (none: no answer).
    pub status: Option<u16>,
    /// How long it took.
    pub latency_ms: u64,
    /// The start of its body.
    pub excerpt: String,
    /// Why there was no answer.
    pub error: Option<String>,
}

impl WebhookResponse {
    /// A 2xx answer.
    pub fn ok(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }

    /// No answer, because of `error`.
    pub fn failed(error: impl Into<String>) -> Self {
        Self { error: Some(error.into()), ..Self::default() }
    }

    fn describe(&self) -> String {
        match (&self.error, self.status) {
            (Some(e), _) => e.clone(),
            (None, Some(s)) => format!("HTTP {s}"),
            (None, None) => "no answer".into(),
        }
    }
}

/// Sends one request (the port: core has no network code). The HTTP client with timeouts,
/// the response cap and the private-address refusal lives in the `cmms-webhooks` crate.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// POSTs the request; never fails — a failure is a response without a status.
    async fn send(&self, request: &WebhookRequest) -> WebhookResponse;
}

/// A fresh signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> Result<String> {
    let key = crate::domain::token::random_bytes::<32>()?;
    Ok(format!("{SECRET_PREFIX}{}", B64.encode(key)))
}

/// The Standard Webhooks signature of a message: `v1,<base64 HMAC-SHA256 of
/// "{id}.{timestamp}.{body}">`, keyed with the base64-decoded part of the secret after `whsec_`.
///
/// ```
/// use cmms_core::domain::webhook::sign;
/// let sig = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
///     1614265330, r#"{"test": 2432232314}"#).unwrap();
/// assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
/// ```
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<String> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = B64
        .decode(encoded)
        .map_err(|_| CmmsError::invalid("secret", "is not base64 after whsec_"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|_| CmmsError::invalid("secret", "is not a usable HMAC key"))?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The `webhook-id` of an event: the same for every attempt and every replay of it, so a
/// receiver that stores the ids it processed handles each event once.
pub fn message_id(event: &Event) -> String {
    let name = format!("{}:{}", event.org_id, event.seq);
    format!("msg_{}", Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()).simple())
}

/// The body of an event's message: `{"type", "timestamp", "data": {...}}` as Standard Webhooks
/// suggests, `data` carrying the event (sequence number, entity, actor, payload).
pub fn event_body(event: &Event) -> String {
    let d = &event.draft;
    let body = serde_json::json!({
        "type": d.kind.as_str(),
        "timestamp": d.at,
        "data": {
            "org_id": event.org_id,
            "seq": event.seq,
            "entity": d.entity,
            "actor_id": d.actor_id,
            "payload": d.payload,
        },
    });
    body.to_string()
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
    match url::Url::parse(url) {
        Err(e) => p.add("url", format!("is not a URL: {e}")),
        Ok(u) => match u.scheme() {
            "https" => {}
            "http" if allow_http => {}
            "http" => p.add(
                "url",
                "must use https (the organization setting webhooks_allow_http allows http)",
            ),
            other => p.add("url", format!("scheme {other} is not http(s)")),
        },
    }
    if let Ok(u) = url::Url::parse(url) {
        if u.host_str().is_none_or(str::is_empty) {
            p.add("url", "must name a host");
        }
        if !u.username().is_empty() || u.password().is_some() {
            p.add("url", "must not carry credentials (receivers check the signature)");
        }
        if u.fragment().is_some() {
            p.add("url", "must not have a fragment");
        }
    }
    url.to_string()
}

impl Webhook {
    /// A new subscription starting after event `head` (it receives what happens from now on),
    /// and its secret.
    pub fn create(
        org_id: OrgId,
        input: NewWebhook,
        allow_http: bool,
        head: i64,
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
            last_seq: head,
            failure_streak: 0,
            next_attempt_at: now,
            lease_id: None,
            last_error: None,
            disabled_at: None,
            created_by,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// This subscription with a patch applied.
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
        match patch.active {
            Some(true) if !self.active => {
                next.active = true;
                next.failure_streak = 0;
                next.disabled_at = None;
                next.next_attempt_at = now;
                next.lease_id = None;
            }
            Some(false) => next.active = false,
            _ => {}
        }
        Ok(next)
    }

    /// Replays from event `from_seq` on: the cursor moves back to just before it (and the
    /// subscription is retried at once). Receivers see the same `webhook-id`s again.
    pub fn replayed(&self, from_seq: i64, now: DateTime<Utc>) -> Result<Self> {
        if from_seq < 1 {
            return Err(CmmsError::invalid("from_seq", "must be at least 1"));
        }
        Ok(Self {
            last_seq: from_seq - 1,
            failure_streak: 0,
            next_attempt_at: now,
            lease_id: None,
            ..self.next(now)
        })
    }

    fn next(&self, now: DateTime<Utc>) -> Self {
        Self { version: self.version + 1, updated_at: now, ..self.clone() }
    }

    /// Whether this subscription receives an event: a type it asked for, never a notification,
    /// and not a change whose author asked to suppress this subscription.
    pub fn wants(&self, event: &Event) -> bool {
        let kind = event.draft.kind;
        !NEVER_SENT.contains(&kind)
            && event.draft.audience.suppress_webhook != Some(self.id.0)
            && (self.event_types.is_empty() || self.event_types.iter().any(|t| t == kind.as_str()))
    }

    /// Whether a deliverer may take it at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.active && self.next_attempt_at <= now
    }

    /// Claimed for one run: the lease runs until `next_attempt_at`. Written with its version,
    /// so of two deliverers that read the same row only one claim commits.
    pub fn claimed(&self, now: DateTime<Utc>, policy: &WebhookPolicy) -> Self {
        Self {
            next_attempt_at: now + policy.lease,
            lease_id: Some(Uuid::now_v7()),
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// Delivered (or passed over) up to `seq`, still holding the claim.
    pub fn advanced(&self, seq: i64) -> Self {
        Self {
            last_seq: self.last_seq.max(seq),
            failure_streak: 0,
            last_error: None,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The claim given back: due again at once.
    pub fn released(&self, now: DateTime<Utc>) -> Self {
        Self { next_attempt_at: now, lease_id: None, version: self.version + 1, ..self.clone() }
    }

    /// After a failed attempt: retried after the backoff, or turned off once the streak
    /// reaches `policy.disable_after` (the caller then records a `webhook.disabled` event).
    pub fn failed(
        &self,
        now: DateTime<Utc>,
        response: &WebhookResponse,
        policy: &WebhookPolicy,
        jitter: f64,
    ) -> Self {
        let streak = self.failure_streak + 1;
        let disabled = streak >= policy.disable_after;
        Self {
            failure_streak: streak,
            next_attempt_at: now + backoff(policy.base_backoff, policy.max_backoff, streak, jitter),
            lease_id: None,
            last_error: Some(excerpt(&response.describe(), 500)),
            active: self.active && !disabled,
            disabled_at: if disabled { Some(now) } else { self.disabled_at },
            version: self.version + 1,
            updated_at: if disabled { now } else { self.updated_at },
            ..self.clone()
        }
    }

    /// The signed request carrying `body` as message `msg_id`, timestamped `now`.
    pub fn request(
        &self,
        msg_id: &str,
        body: String,
        now: DateTime<Utc>,
    ) -> Result<WebhookRequest> {
        let ts = now.timestamp();
        let signature = sign(&self.secret, msg_id, ts, &body)?;
        Ok(WebhookRequest {
            url: self.url.clone(),
            headers: vec![
                ("content-type", "application/json".into()),
                ("user-agent", concat!("cmms-webhooks/", env!("CARGO_PKG_VERSION")).into()),
                ("webhook-id", msg_id.to_string()),
                ("webhook-timestamp", ts.to_string()),
                ("webhook-signature", signature),
            ],
            body,
        })
    }
}

impl WebhookDelivery {
    /// The log row of one attempt.
    pub fn record(
        hook: &Webhook,
        (seq, event_type, msg_id): (i64, &str, &str),
        attempt: i64,
        response: &WebhookResponse,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            org_id: hook.org_id,
            id: WebhookDeliveryId::new(),
            webhook_id: hook.id,
            event_seq: seq,
            event_type: event_type.to_string(),
            message_id: msg_id.to_string(),
            attempt,
            ok: response.ok(),
            status_code: response.status.map(i64::from),
            latency_ms: i64::try_from(response.latency_ms).unwrap_or(i64::MAX),
            response_excerpt: excerpt(&response.excerpt, 1000),
            error: response.error.as_deref().map(|e| excerpt(e, 500)),
            at,
        }
    }
}

fn excerpt(s: &str, max: usize) -> String {
    s.chars().filter(|c| *c != '\0').take(max).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::EntityRef;
    use crate::domain::event::{EventAudience, EventDraft};

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
        Webhook::create(OrgId::new(), input, false, 0, None, Utc::now()).unwrap()
    }

    #[test]
    fn standard_webhooks_reference_signature() {
        // The example of the Standard Webhooks specification.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
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
    fn failures_back_off_then_disable() {
        let p = WebhookPolicy { disable_after: 3, ..WebhookPolicy::default() };
        let now = Utc::now();
        let h = hook(&[]).claimed(now, &p);
        let r = WebhookResponse { status: Some(500), ..Default::default() };
        let f1 = h.failed(now, &r, &p, 1.0);
        assert_eq!((f1.failure_streak, f1.active), (1, true));
        assert_eq!(f1.next_attempt_at, now + TimeDelta::seconds(10));
        assert_eq!(f1.last_error.as_deref(), Some("HTTP 500"));
        let f3 = f1.failed(now, &r, &p, 1.0).failed(now, &r, &p, 1.0);
        assert_eq!((f3.failure_streak, f3.active, f3.disabled_at), (3, false, Some(now)));
        let back =
            f3.patched(&WebhookPatch { active: Some(true), ..Default::default() }, false, now);
        let back = back.unwrap();
        assert_eq!((back.active, back.failure_streak), (true, 0));
        assert_eq!(back.advanced(9).last_seq, 9);
    }

    #[test]
    fn requests_are_signed_and_ids_stable() {
        let h = hook(&[]);
        let e = event(EventKind::WorkOrderCreated, None);
        let id = message_id(&e);
        assert_eq!(id, message_id(&e));
        let body = event_body(&e);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["type"], "work_order.created");
        assert_eq!(v["data"]["seq"], 7);
        let now = Utc::now();
        let req = h.request(&id, body.clone(), now).unwrap();
        let sig = req.headers.iter().find(|(k, _)| *k == "webhook-signature").unwrap();
        assert_eq!(sig.1, sign(&h.secret, &id, now.timestamp(), &body).unwrap());
        assert!(h.secret.starts_with(SECRET_PREFIX));
        assert!(!serde_json::to_string(&h).unwrap().contains(&h.secret));
    }
}
