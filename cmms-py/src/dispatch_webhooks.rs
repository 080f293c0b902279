//! The call table of webhook subscriptions (`webhooks.*`). Like `dispatch`, it only decodes
//! arguments, calls core and encodes results. Sending (delivery, test messages) needs the
//! database's HTTP sender and lives in `lib.rs` (`deliver_webhooks`, `test_webhook`).

use crate::dispatch::{on_record, parse};
use crate::dispatch_pm::{Id, out};
use cmms_core::domain::webhook::{NewWebhook, WebhookPatch};
use cmms_core::ids::WebhookId;
use cmms_core::service::DeliveryFilter;
use cmms_core::{Actor, Cmms};
use pyo3::PyResult;
use pyo3::exceptions::PyValueError;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replay {
    id: WebhookId,
    from_seq: i64,
}

/// Webhook calls made as `a`.
pub(crate) async fn call_webhooks(
    c: &Cmms,
    a: &Actor,
    method: &str,
    args: &str,
) -> PyResult<String> {
    match method {
        "webhooks.create" => {
            let made = c.create_webhook(a, parse::<NewWebhook>(args)?).await;
            out(made
                .map(|(webhook, secret)| serde_json::json!({"webhook": webhook, "secret": secret})))
        }
        "webhooks.list" => out(c.list_webhooks(a).await),
        "webhooks.get" => out(c.get_webhook(a, parse::<Id<WebhookId>>(args)?.id).await),
        "webhooks.update" => {
            let x = on_record::<WebhookId, WebhookPatch>(args)?;
            let patch = WebhookPatch { version: x.expected_version, ..x.rest };
            out(c.update_webhook(a, x.id, patch).await)
        }
        "webhooks.delete" => out(c.delete_webhook(a, parse::<Id<WebhookId>>(args)?.id).await),
        "webhooks.replay" => {
            let x: Replay = parse(args)?;
            out(c.replay_webhook(a, x.id, x.from_seq).await)
        }
        "webhooks.deliveries" => {
            let x = on_record::<WebhookId, DeliveryFilter>(args)?;
            out(c.webhook_deliveries(a, x.id, &x.rest).await)
        }
        other => Err(PyValueError::new_err(format!("unknown call '{other}'"))),
    }
}
