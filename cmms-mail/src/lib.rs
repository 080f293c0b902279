//! The SMTP transport of the cmms mail outbox: `cmms_core` queues mail and decides when to
//! send it; this crate only hands one message to a mail server ([`SmtpTransport`], built on
//! `lettre` with rustls and the ring provider).
//!
//! ```no_run
//! # async fn f(cmms: cmms_core::Cmms) -> Result<(), Box<dyn std::error::Error>> {
//! let smtp = cmms_mail::SmtpTransport::from_url(
//!     "smtp://cmms:secret@mail.example.test:587", // STARTTLS required
//!     "CMMS <cmms@example.test>",
//! )?;
//! let report = cmms.deliver_mail(cmms.now(), &smtp).await?;
//! # let _ = report; Ok(()) }
//! ```

mod config;
#[cfg(feature = "test-server")]
pub mod loopback;

pub use config::{MailConfigError, lettre_url};

use async_trait::async_trait;
use cmms_core::domain::mail::{MailError, OutboxMail};
use cmms_core::service::mail::MailTransport;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP conversation may take; well below the outbox lease (5 minutes).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends outbox mail to one SMTP server.
#[derive(Clone)]
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it holds the password.
        f.debug_struct("SmtpTransport").field("from", &self.from.to_string()).finish()
    }
}

impl SmtpTransport {
    /// A transport for `CMMS_SMTP_URL` sending as `CMMS_MAIL_FROM`. `smtp://user:pass@host:587`
    /// requires STARTTLS, `smtps://host:465` is TLS from the start, and `?tls=none` sends in
    /// the clear (for a server on loopback only).
    pub fn from_url(url: &str, from: &str) -> Result<Self, MailConfigError> {
        let from: Mailbox = from.parse().map_err(|_| MailConfigError::From(from.to_string()))?;
        let url = lettre_url(url)?;
        let inner = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| MailConfigError::Url(e.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self { inner, from })
    }

    fn message(&self, mail: &OutboxMail) -> Result<Message, MailError> {
        // A malformed address never becomes deliverable: dead at once.
        let to: Mailbox = mail.to.parse().map_err(|_| {
            MailError::permanent(format!("invalid recipient address {:?}", mail.to))
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| MailError::permanent(format!("message not built: {e}")))
    }
}

#[async_trait]
impl MailTransport for SmtpTransport {
    async fn send(&self, mail: &OutboxMail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        match self.inner.send(message).await {
            Ok(_) => Ok(()),
            // 5xx: the server refused for good. Everything else (4xx, connection, timeout,
            // TLS) may pass later.
            Err(e) if e.is_permanent() => Err(MailError::permanent(e.to_string())),
            Err(e) => Err(MailError::transient(e.to_string())),
        }
    }
}
