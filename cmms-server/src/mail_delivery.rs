//! Mail in the server: with `CMMS_SMTP_URL`, password-reset and invitation mail is queued in
//! the outbox in the token's commit and delivered by [`deliver`] (the background job on every
//! replica, and right after a request queued mail); without it, tokens go to the [`Mailer`]
//! (the log by default, or an embedder's) as before, and nothing is queued for them.
//!
//! [`Mailer`]: crate::mailer::Mailer

use crate::config::ServeArgs;
use crate::state::AppState;
use cmms_core::Cmms;
use cmms_core::domain::mail::MailPolicy;
use cmms_core::service::mail::{MailSettings, MailTransport};
use std::sync::Arc;

/// The SMTP transport `args` configure, if any.
pub(crate) fn transport(args: &ServeArgs) -> Result<Option<Arc<dyn MailTransport>>, String> {
    let Some(url) = &args.smtp_url else { return Ok(None) };
    let from = args
        .mail_from
        .as_deref()
        .ok_or("CMMS_SMTP_URL needs CMMS_MAIL_FROM (the sender address)")?;
    let smtp = cmms_mail::SmtpTransport::from_url(url, from).map_err(|e| e.to_string())?;
    Ok(Some(Arc::new(smtp)))
}

/// The server's mail settings.
pub(crate) struct ServerMail<'a> {
    /// `CMMS_PUBLIC_URL`.
    pub public_url: Option<&'a str>,
    /// Whether a transport delivers the outbox.
    pub delivering: bool,
    /// `CMMS_MAIL_MAX_ATTEMPTS`.
    pub max_attempts: u32,
}

/// `cmms` with the server's mail settings: token mail is queued only when something delivers
/// the outbox.
pub(crate) fn configure(cmms: Cmms, server: &ServerMail<'_>) -> Cmms {
    let current = cmms.mail_settings().clone();
    let settings = MailSettings {
        public_url: server.public_url.map(str::to_string).or(current.public_url),
        queue_auth_mail: server.delivering,
        policy: MailPolicy {
            max_attempts: i64::from(server.max_attempts.max(1)),
            ..current.policy
        },
    };
    cmms.with_mail_settings(settings)
}

/// Delivers the mail that is due (a no-op without a transport); counts outcomes and the
/// queue in the metrics.
pub(crate) async fn deliver(state: &AppState) {
    let Some(transport) = state.mail_transport() else { return };
    let cmms = state.cmms();
    match cmms.deliver_mail(cmms.now(), transport.as_ref()).await {
        Ok(r) => {
            for (outcome, n) in
                [("sent", r.sent), ("retried", r.retried), ("dead", r.dead), ("raced", r.raced)]
            {
                metrics::counter!("deliveries_total", "channel" => "email", "outcome" => outcome)
                    .increment(n);
            }
            if r.sent + r.retried + r.dead > 0 {
                tracing::info!(sent = r.sent, retried = r.retried, dead = r.dead, "mail delivered");
            }
        }
        Err(e) => {
            metrics::counter!("job_errors_total", "job" => "mail").increment(1);
            tracing::warn!(error = %e, "mail delivery failed");
        }
    }
    match cmms.mail_queue().await {
        Ok(q) => {
            metrics::gauge!("delivery_queue_depth", "channel" => "email").set(q.pending as f64);
            let age = q.oldest_age(cmms.now()).num_milliseconds() as f64 / 1000.0;
            metrics::gauge!("delivery_oldest_pending_seconds", "channel" => "email").set(age);
        }
        Err(e) => tracing::warn!(error = %e, "mail queue not measured"),
    }
}

/// Delivers soon after a request queued mail, without holding up its answer.
pub(crate) fn deliver_soon(state: &AppState) {
    if state.mail_transport().is_some() {
        let state = state.clone();
        tokio::spawn(async move { deliver(&state).await });
    }
}
