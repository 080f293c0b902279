//! Webhooks from Python: the HTTP sender `cmms.open(..., webhooks_allow_private=...)`
//! configures (the `cmms-webhooks` crate), delivery, and test messages.

use crate::errors::{self, to_py};
use cmms_core::domain::webhook::WebhookSender;
use cmms_core::ids::WebhookId;
use cmms_core::{Actor, Cmms};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;

/// The HTTP sender: private addresses refused unless `allow_private`; `timeout` in seconds.
pub(crate) fn sender(allow_private: bool, timeout: f64) -> PyResult<Arc<dyn WebhookSender>> {
    if !(timeout.is_finite() && (0.05..=300.0).contains(&timeout)) {
        return Err(PyValueError::new_err("webhooks_timeout: expected 0.05 to 300 seconds"));
    }
    let config = cmms_webhooks::SenderConfig {
        timeout: std::time::Duration::from_secs_f64(timeout),
        allow_private,
        ..Default::default()
    };
    let sender = cmms_webhooks::HttpSender::new(config)
        .map_err(|e| PyValueError::new_err(format!("webhook client: {e}")))?;
    Ok(Arc::new(sender))
}

/// Delivers what waits for webhook subscriptions at `now`; the report as JSON.
pub(crate) async fn deliver(
    cmms: &Cmms,
    sender: &dyn WebhookSender,
    now: Option<String>,
) -> PyResult<String> {
    let now = crate::mail::parse_now(cmms, now)?;
    let report = cmms.deliver_webhooks(now, sender).await.map_err(to_py)?;
    serde_json::to_string(&report).map_err(errors::encode_failed)
}

/// Sends a test message to subscription `id`; the log row as JSON.
pub(crate) async fn test(
    cmms: &Cmms,
    actor: &Actor,
    sender: &dyn WebhookSender,
    id: &str,
) -> PyResult<String> {
    let id: WebhookId = id.parse().map_err(to_py)?;
    let row = cmms.test_webhook(actor, id, sender).await.map_err(to_py)?;
    serde_json::to_string(&row).map_err(errors::encode_failed)
}
