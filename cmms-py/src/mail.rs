//! Mail from Python: the SMTP transport `cmms.open(..., smtp_url=...)` configures, and the
//! calls that queue a password reset, deliver the outbox and show it.

use crate::errors::{self, to_py};
use cmms_core::domain::mail::MailStatus;
use cmms_core::service::mail::{MailSettings, MailTransport};
use cmms_core::{Actor, Cmms, OrgId};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;

/// The transport of `smtp_url` sending as `mail_from`, if a URL is given.
pub(crate) fn transport(
    smtp_url: Option<&str>,
    mail_from: Option<&str>,
) -> PyResult<Option<Arc<dyn MailTransport>>> {
    let Some(url) = smtp_url else { return Ok(None) };
    let from = mail_from.ok_or_else(|| PyValueError::new_err("smtp_url needs mail_from"))?;
    let smtp = cmms_mail::SmtpTransport::from_url(url, from)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(Some(Arc::new(smtp)))
}

/// `cmms` linking mails to pages under `public_url`.
pub(crate) fn configure(cmms: Cmms, public_url: Option<String>) -> Cmms {
    let settings = MailSettings { public_url, ..cmms.mail_settings().clone() };
    cmms.with_mail_settings(settings)
}

/// Delivers the due mail at `now` (RFC 3339; the clock's time when `None`); the report as JSON.
pub(crate) async fn deliver(
    cmms: &Cmms,
    transport: Option<&Arc<dyn MailTransport>>,
    now: Option<String>,
) -> PyResult<String> {
    let transport = transport.ok_or_else(|| {
        PyValueError::new_err("no mail transport: open the database with smtp_url= and mail_from=")
    })?;
    let now = parse_now(cmms, now)?;
    let report = cmms.deliver_mail(now, transport.as_ref()).await.map_err(to_py)?;
    serde_json::to_string(&report).map_err(errors::encode_failed)
}

/// `now` from Python (RFC 3339), or the clock's time.
pub(crate) fn parse_now(
    cmms: &Cmms,
    now: Option<String>,
) -> PyResult<chrono::DateTime<chrono::Utc>> {
    match now {
        Some(t) => Ok(chrono::DateTime::parse_from_rfc3339(&t)
            .map_err(|e| PyValueError::new_err(format!("now: {e}")))?
            .to_utc()),
        None => Ok(cmms.now()),
    }
}

/// Starts a password reset: queues the mail with the token (never returned to Python);
/// whether an active user has this email.
pub(crate) async fn request_password_reset(cmms: &Cmms, org: &str, email: &str) -> PyResult<bool> {
    let org: OrgId = org.parse().map_err(to_py)?;
    Ok(cmms.request_password_reset(org, email).await.map_err(to_py)?.is_some())
}

/// The outbox of the actor's organization as JSON (no bodies).
pub(crate) async fn outbox(
    cmms: &Cmms,
    actor: &Actor,
    status: Option<&str>,
    limit: u32,
) -> PyResult<String> {
    let status: Option<MailStatus> = status.map(str::parse).transpose().map_err(to_py)?;
    let rows = cmms.list_mail(actor, status, limit).await.map_err(to_py)?;
    serde_json::to_string(&rows).map_err(errors::encode_failed)
}
