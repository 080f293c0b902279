//! A subscription's delivery state — its cursor into the outbox, failure streak, retry time
//! and claim — kept in a row of its own (`webhook_cursors`), versioned apart from the
//! subscription, so deliveries never conflict with an admin's changes. Also the delivery log
//! row and the retry policy.

use crate::domain::retry::backoff;
use crate::domain::webhook::WebhookResponse;
use crate::ids::{OrgId, WebhookDeliveryId, WebhookId};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where delivery to one subscription stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct WebhookCursor {
    /// Organization.
    pub org_id: OrgId,
    /// The subscription.
    pub webhook_id: WebhookId,
    /// The last event delivered or passed over (not of a wanted type).
    pub last_seq: i64,
    /// Failed attempts in a row (0 after a success).
    pub failure_streak: i64,
    /// When a deliverer may next take it: the retry time, or the end of a claim's lease.
    pub next_attempt_at: DateTime<Utc>,
    /// The claim that holds it while a deliverer sends (a fresh id per claim).
    pub lease_id: Option<Uuid>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version (of this row, not of the subscription).
    pub version: i64,
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

impl WebhookCursor {
    /// A cursor after event `head`: the subscription receives what happens from now on.
    pub fn start(org_id: OrgId, webhook_id: WebhookId, head: i64, now: DateTime<Utc>) -> Self {
        Self {
            org_id,
            webhook_id,
            last_seq: head,
            failure_streak: 0,
            next_attempt_at: now,
            lease_id: None,
            last_error: None,
            updated_at: now,
            version: 1,
        }
    }

    fn next(&self, now: DateTime<Utc>) -> Self {
        Self { version: self.version + 1, updated_at: now, ..self.clone() }
    }

    /// Whether a deliverer may take it at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.next_attempt_at <= now
    }

    /// Claimed for one run: the lease runs until `next_attempt_at`. Written with its version,
    /// so of two deliverers that read the same row only one claim commits.
    pub fn claimed(&self, now: DateTime<Utc>, policy: &WebhookPolicy) -> Self {
        Self {
            next_attempt_at: now + policy.lease,
            lease_id: Some(Uuid::now_v7()),
            ..self.next(now)
        }
    }

    /// Delivered (or passed over) up to `seq`, still holding the claim.
    pub fn advanced(&self, seq: i64, now: DateTime<Utc>) -> Self {
        Self {
            last_seq: self.last_seq.max(seq),
            failure_streak: 0,
            last_error: None,
            ..self.next(now)
        }
    }

    /// The claim given back after passing over events up to `seq`: due again at once.
    pub fn released(&self, seq: i64, now: DateTime<Utc>) -> Self {
        Self {
            last_seq: self.last_seq.max(seq),
            next_attempt_at: now,
            lease_id: None,
            ..self.next(now)
        }
    }

    /// After a failed attempt (events up to `passed` were passed over before it): retried
    /// after the backoff. Whether the streak now turns the subscription off is
    /// [`WebhookCursor::exhausted`].
    pub fn failed(
        &self,
        passed: i64,
        now: DateTime<Utc>,
        response: &WebhookResponse,
        policy: &WebhookPolicy,
        jitter: f64,
    ) -> Self {
        let streak = self.failure_streak + 1;
        Self {
            last_seq: self.last_seq.max(passed),
            failure_streak: streak,
            next_attempt_at: now + backoff(policy.base_backoff, policy.max_backoff, streak, jitter),
            lease_id: None,
            last_error: Some(excerpt(&response.describe(), 500)),
            ..self.next(now)
        }
    }

    /// Whether the failure streak reached the policy's limit.
    pub fn exhausted(&self, policy: &WebhookPolicy) -> bool {
        self.failure_streak >= policy.disable_after
    }

    /// A fresh start (turned back on): no streak, no claim, due now, from the same event.
    pub fn restarted(&self, now: DateTime<Utc>) -> Self {
        Self {
            failure_streak: 0,
            next_attempt_at: now,
            lease_id: None,
            last_error: None,
            ..self.next(now)
        }
    }

    /// Replays from event `from_seq` on: the cursor moves back to just before it.
    pub fn replayed(&self, from_seq: i64, now: DateTime<Utc>) -> Self {
        Self { last_seq: from_seq - 1, ..self.restarted(now) }
    }
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

impl WebhookDelivery {
    /// The log row of one attempt at event `seq` of type `event_type`, sent as `msg_id`.
    pub fn record(
        (org_id, webhook_id): (OrgId, WebhookId),
        (seq, event_type, msg_id): (i64, &str, &str),
        attempt: i64,
        response: &WebhookResponse,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            org_id,
            id: WebhookDeliveryId::new(),
            webhook_id,
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

/// At most `max` characters, without NULs (the stores refuse them in text).
fn excerpt(s: &str, max: usize) -> String {
    s.chars().filter(|c| *c != '\0').take(max).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn failures_back_off_exhaust_and_restart() {
        let p = WebhookPolicy { disable_after: 3, ..WebhookPolicy::default() };
        let now = Utc::now();
        let c = WebhookCursor::start(OrgId::new(), WebhookId::new(), 5, now).claimed(now, &p);
        let r = WebhookResponse { status: Some(500), ..Default::default() };
        let f1 = c.failed(7, now, &r, &p, 1.0);
        assert_eq!((f1.failure_streak, f1.last_seq, f1.lease_id), (1, 7, None));
        assert_eq!(f1.next_attempt_at, now + TimeDelta::seconds(10));
        assert_eq!(f1.last_error.as_deref(), Some("HTTP 500"));
        assert!(!f1.exhausted(&p));
        let f3 = f1.failed(0, now, &r, &p, 1.0).failed(0, now, &r, &p, 1.0);
        assert!(f3.exhausted(&p));
        let back = f3.restarted(now);
        assert_eq!((back.failure_streak, back.last_seq), (0, 7));
        assert_eq!(back.advanced(9, now).last_seq, 9);
        assert_eq!(back.replayed(3, now).last_seq, 2);
        assert_eq!(back.released(8, now).last_seq, 8);
    }
}
