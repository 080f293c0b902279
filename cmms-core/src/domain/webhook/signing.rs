//! What goes on the wire: the Standard Webhooks message of an event (body, `webhook-id`), its
//! signature, and the port an HTTP client implements to send it.

use crate::domain::event::Event;
use crate::error::{CmmsError, Result};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// Prefix of every signing secret (the Standard Webhooks convention: `whsec_<base64 key>`).
pub const SECRET_PREFIX: &str = "whsec_";

/// One signed request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    /// The subscription's URL.
    pub url: String,
    /// `content-type`, `user-agent`, `webhook-id`, `webhook-timestamp`, `webhook-signature`.
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

    /// The failure in a few words (for `last_error`).
    pub fn describe(&self) -> String {
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

/// The signed request carrying `body` as message `msg_id` to `url`, timestamped `now`.
pub fn signed_request(
    url: &str,
    secret: &str,
    msg_id: &str,
    body: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<WebhookRequest> {
    let ts = now.timestamp();
    let signature = sign(secret, msg_id, ts, &body)?;
    Ok(WebhookRequest {
        url: url.to_string(),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
        assert!(sign("whsec_!!!", "m", 1, "b").is_err());
        assert!(new_secret().unwrap().starts_with(SECRET_PREFIX));
    }
}
