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

/// Writes each message to the log at INFO level.
#[derive(Debug, Default)]
pub struct LogMailer;

impl Mailer for LogMailer {
    fn send(&self, mail: Mail) {
        tracing::info!(to = %mail.to, kind = mail.kind, token = %mail.token, "mail to deliver");
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
