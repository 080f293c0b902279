//! Delivering password-reset and invitation tokens to users. The reference server has no mail
//! transport of its own: the default mailer writes the message to the log, where an operator
//! (or a log-shipping hook) picks it up; embedders plug in their own.

use std::sync::Mutex;

/// One message for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// What it is about (`password_reset`, `invitation`).
    pub kind: &'static str,
    /// The single-use token to act on.
    pub token: String,
}

/// Delivers mail.
pub trait Mailer: Send + Sync + 'static {
    /// Sends one message (best effort; failures are the mailer's to log).
    fn send(&self, mail: Mail);
}

/// Writes each message to the log at INFO level. Tokens work like passwords, so they are
/// written only when `reveal_tokens` is set (`--log-mail-tokens`); otherwise the log says a
/// mail was due and that no transport is configured.
#[derive(Debug, Default)]
pub struct LogMailer {
    /// Whether to write the token itself.
    pub reveal_tokens: bool,
}

impl Mailer for LogMailer {
    fn send(&self, mail: Mail) {
        if self.reveal_tokens {
            tracing::info!(to = %mail.to, kind = mail.kind, token = %mail.token, "mail to deliver");
        } else {
            tracing::warn!(
                to = %mail.to,
                kind = mail.kind,
                "mail not delivered: no mail transport (embed a Mailer, or run with --log-mail-tokens)"
            );
        }
    }
}

/// Keeps messages in memory (for tests and embedding).
#[derive(Debug, Default)]
pub struct MemoryMailer(Mutex<Vec<Mail>>);

impl MemoryMailer {
    /// Every message sent so far.
    pub fn sent(&self) -> Vec<Mail> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

impl Mailer for MemoryMailer {
    fn send(&self, mail: Mail) {
        if let Ok(mut box_) = self.0.lock() {
            box_.push(mail);
        }
    }
}
