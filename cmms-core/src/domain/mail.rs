//! The mail outbox: mail is queued as a row in the same commit as whatever caused it (a reset
//! token, a notification), and delivered later by `Cmms::deliver_mail` through a transport.
//! This module holds the rows and the pure rules: rendering (plain text + escaped HTML),
//! claiming with a lease, exponential backoff with jitter, and the dead state.

use crate::domain::EntityRef;
use crate::error::Result;
use crate::ids::{MailId, OrgId};
use crate::macros::string_enum;
use crate::store::Write;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use uuid::Uuid;

string_enum! {
    /// Where a mail is in its life.
    MailStatus, field = "status" {
        /// Waiting to be sent (or claimed by a deliverer until `next_attempt_at`).
        Pending => "pending",
        /// Accepted by the mail server.
        Sent => "sent",
        /// Given up: too many attempts, a permanent refusal, or its token expired.
        Dead => "dead",
    }
}

/// One queued mail. Bodies are wiped once the mail is sent or dead, so a link with a token
/// lives in the database only while it may still be delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMail {
    /// Organization.
    pub org_id: OrgId,
    /// Id.
    pub id: MailId,
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (empty once sent or dead).
    #[serde(skip)]
    pub text: String,
    /// HTML body (empty once sent or dead).
    #[serde(skip)]
    pub html: String,
    /// What it is about (`password_reset`, `invitation`, a notification type).
    pub kind: String,
    /// Status.
    pub status: MailStatus,
    /// Attempts so far (a claim counts as an attempt).
    pub attempts: i64,
    /// When a deliverer may next take it: the retry time, or the end of a claim's lease.
    pub next_attempt_at: DateTime<Utc>,
    /// The last transport error.
    pub last_error: Option<String>,
    /// The claim that holds it while it is being sent (a fresh id per claim).
    pub lease_id: Option<Uuid>,
    /// After this the mail is not sent any more (token mail: the token's expiry).
    pub expires_at: Option<DateTime<Utc>>,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Accepted by the mail server.
    pub sent_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
}

/// A mail to queue: build one, then `draft.queue(org, now)` gives the `Write` to put in the
/// same changeset as whatever the mail is about.
///
/// ```
/// use cmms_core::domain::mail::MailDraft;
/// use cmms_core::OrgId;
/// let draft = MailDraft::message("ann@example.test", "Pump P-7 is down", "Assigned to you.")
///     .link(Some("https://cmms.example.test"), "work-orders", uuid::Uuid::nil());
/// assert!(draft.html.contains("https://cmms.example.test/work-orders/"));
/// let write = draft.queue(OrgId::new(), chrono::Utc::now());
/// # let _ = write;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDraft {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body (already escaped; built by the constructors).
    pub html: String,
    /// What it is about.
    pub kind: String,
    /// Not sent after this.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The path segment of the web page of an entity kind (`work-orders/<id>`).
pub fn entity_path(entity: &EntityRef) -> String {
    format!("{}s/{}", entity.kind.as_str().replace('_', "-"), entity.id)
}

impl MailDraft {
    /// A plain message: the text becomes the plain body and, escaped, the HTML body.
    pub fn message(to: &str, subject: &str, text: &str) -> Self {
        Self {
            to: to.to_string(),
            subject: subject.to_string(),
            text: text.to_string(),
            html: paragraphs(text),
            kind: "message".to_string(),
            expires_at: None,
        }
    }

    /// Sets the kind (a notification type, `password_reset`, ...).
    pub fn kind(mut self, kind: &str) -> Self {
        self.kind = kind.to_string();
        self
    }

    /// Appends a link to `<public_url>/<path>` when a public URL is configured; without one
    /// the mail goes out without a link (there is nothing to point at).
    pub fn link(
        mut self,
        public_url: Option<&str>,
        segment: &str,
        id: impl std::fmt::Display,
    ) -> Self {
        if let Some(base) = public_url {
            let url = format!("{}/{segment}/{id}", base.trim_end_matches('/'));
            self.push_link(&url, "Open in CMMS");
        }
        self
    }

    /// Appends a link to an entity's page (see [`entity_path`]).
    pub fn link_to(self, public_url: Option<&str>, entity: &EntityRef) -> Self {
        let path = entity_path(entity);
        match path.rsplit_once('/') {
            Some((segment, id)) => {
                let (segment, id) = (segment.to_string(), id.to_string());
                self.link(public_url, &segment, id)
            }
            None => self,
        }
    }

    fn push_link(&mut self, url: &str, label: &str) {
        self.text.push_str(&format!("\n\n{url}\n"));
        let url = escape_html(url);
        self.html.push_str(&format!("\n<p><a href=\"{url}\">{}</a></p>", escape_html(label)));
    }

    /// The mail carrying a single-use token: a link to `<public_url>/<page>?token=...` when a
    /// public URL is set, else the token itself to paste. It expires with the token.
    pub fn token(
        to: &str,
        t: &TokenTemplate,
        token: &str,
        public_url: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        let (subject, page) = (t.subject, t.page);
        let mut d = Self::message(to, subject, t.intro).kind(t.kind);
        match public_url {
            Some(base) => {
                let url = format!("{}/{page}?token={token}", base.trim_end_matches('/'));
                d.push_link(&url, subject);
            }
            None => {
                d.text.push_str(&format!("\n\nYour code: {token}\n"));
                d.html
                    .push_str(&format!("\n<p>Your code: <code>{}</code></p>", escape_html(token)));
            }
        }
        let footer =
            "This link works once and expires. If you did not ask for it, ignore this mail.";
        d.text.push_str(&format!("\n{footer}\n"));
        d.html.push_str(&format!("\n<p>{}</p>", escape_html(footer)));
        d.expires_at = Some(expires_at);
        d
    }

    /// The queued row.
    pub fn into_row(self, org: OrgId, now: DateTime<Utc>) -> OutboxMail {
        OutboxMail {
            org_id: org,
            id: MailId::new(),
            to: self.to,
            subject: self.subject,
            text: self.text,
            html: self.html,
            kind: self.kind,
            status: MailStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            lease_id: None,
            expires_at: self.expires_at,
            created_at: now,
            sent_at: None,
            version: 1,
        }
    }

    /// The write that queues this mail; put it in the changeset of the use case that caused it.
    pub fn queue(self, org: OrgId, now: DateTime<Utc>) -> Write {
        Write::insert(self.into_row(org, now))
    }
}

/// The words of a token mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenTemplate {
    /// The mail's kind.
    pub kind: &'static str,
    /// Subject line (also the link's label).
    pub subject: &'static str,
    /// The first paragraph.
    pub intro: &'static str,
    /// The web page that takes the token (`<public_url>/<page>?token=...`).
    pub page: &'static str,
}

/// Password reset.
pub const PASSWORD_RESET: TokenTemplate = TokenTemplate {
    kind: "password_reset",
    subject: "Reset your password",
    intro: "Someone asked to reset the password of your CMMS account.",
    page: "reset-password",
};

/// Invitation (email verification, may set the first password).
pub const INVITATION: TokenTemplate = TokenTemplate {
    kind: "invitation",
    subject: "You are invited to CMMS",
    intro: "You have been invited to a CMMS organization. Confirm your email to start.",
    page: "verify-email",
};

/// How mail is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailPolicy {
    /// Attempts before a mail is dead.
    pub max_attempts: i64,
    /// The wait after the first failure; doubled after each further one.
    pub base_backoff: TimeDelta,
    /// The longest wait.
    pub max_backoff: TimeDelta,
    /// How long a claim holds a mail: a deliverer that crashed mid-send frees it after this.
    /// Keep it well above the transport's timeout.
    pub lease: TimeDelta,
    /// Mails claimed per `deliver_mail` call.
    pub batch: u32,
}

impl Default for MailPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_backoff: TimeDelta::seconds(30),
            max_backoff: TimeDelta::hours(1),
            lease: TimeDelta::minutes(5),
            batch: 50,
        }
    }
}

impl MailPolicy {
    /// The wait after `attempts` failed attempts: `base * 2^(attempts-1)`, capped, then scaled
    /// by `jitter` in `[0.5, 1.0]` so many mails failing together do not retry together.
    pub fn backoff(&self, attempts: i64, jitter: f64) -> TimeDelta {
        crate::domain::retry::backoff(self.base_backoff, self.max_backoff, attempts, jitter)
    }
}

/// Why a transport could not send a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailError {
    /// Retrying cannot help (the server refused the address or the message for good).
    pub permanent: bool,
    /// What went wrong (kept as `last_error`).
    pub message: String,
}

impl MailError {
    /// A failure worth retrying (connection refused, 4xx reply, timeout).
    pub fn transient(message: impl Into<String>) -> Self {
        Self { permanent: false, message: message.into() }
    }

    /// A failure not worth retrying (5xx reply).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self { permanent: true, message: message.into() }
    }
}

impl OutboxMail {
    /// Whether a deliverer may take it now.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.status == MailStatus::Pending && self.next_attempt_at <= now
    }

    /// Whether it may no longer be sent.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }

    fn next(&self) -> Self {
        Self { version: self.version + 1, ..self.clone() }
    }

    /// This mail claimed for one attempt: the lease runs until `next_attempt_at`, so a
    /// deliverer that dies mid-send frees it then. Written as a versioned update, so of two
    /// deliverers that read the same row only one claim commits.
    pub fn claimed(&self, now: DateTime<Utc>, policy: &MailPolicy) -> Self {
        Self {
            attempts: self.attempts + 1,
            next_attempt_at: now + policy.lease,
            lease_id: Some(Uuid::now_v7()),
            ..self.next()
        }
    }

    /// Sent: done, body wiped.
    pub fn sent(&self, now: DateTime<Utc>) -> Self {
        Self {
            status: MailStatus::Sent,
            sent_at: Some(now),
            lease_id: None,
            next_attempt_at: now,
            last_error: None,
            ..self.wiped()
        }
    }

    /// Given up with `reason`: dead, body wiped.
    pub fn dead(&self, now: DateTime<Utc>, reason: &str) -> Self {
        Self {
            status: MailStatus::Dead,
            lease_id: None,
            next_attempt_at: now,
            last_error: Some(excerpt(reason)),
            ..self.wiped()
        }
    }

    /// After a failed attempt: retried after the backoff, or dead once attempts run out or
    /// the failure is permanent.
    pub fn failed(
        &self,
        now: DateTime<Utc>,
        error: &MailError,
        policy: &MailPolicy,
        jitter: f64,
    ) -> Self {
        if error.permanent || self.attempts >= policy.max_attempts {
            return self.dead(now, &error.message);
        }
        Self {
            next_attempt_at: now + policy.backoff(self.attempts, jitter),
            lease_id: None,
            last_error: Some(excerpt(&error.message)),
            ..self.next()
        }
    }

    fn wiped(&self) -> Self {
        Self { text: String::new(), html: String::new(), ..self.next() }
    }
}

/// At most 500 characters of an error (a mail server's reply may be long).
fn excerpt(s: &str) -> String {
    s.chars().take(500).collect()
}

/// A random jitter in `[0, 1)`.
pub(crate) fn random_jitter() -> Result<f64> {
    let b = crate::domain::token::random_bytes::<4>()?;
    Ok(f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let p = MailPolicy::default();
        assert_eq!(p.backoff(1, 1.0), TimeDelta::seconds(30));
        assert_eq!(p.backoff(2, 1.0), TimeDelta::seconds(60));
        assert_eq!(p.backoff(3, 0.0), TimeDelta::seconds(60));
        assert_eq!(p.backoff(40, 1.0), TimeDelta::hours(1));
    }

    #[test]
    fn html_is_escaped_and_links_added() {
        let d = MailDraft::message("a@b.test", "s", "<b>x</b> & y").link(
            Some("https://h.test/"),
            "work-orders",
            "7",
        );
        assert!(d.html.contains("&lt;b&gt;x&lt;/b&gt; &amp; y"));
        assert!(d.html.contains("href=\"https://h.test/work-orders/7\""));
        assert!(d.text.contains("https://h.test/work-orders/7"));
        let none = MailDraft::message("a@b.test", "s", "t").link(None, "work-orders", "7");
        assert!(!none.text.contains("http"));
    }

    #[test]
    fn failures_retry_then_die_and_wipe() {
        let p = MailPolicy { max_attempts: 2, ..MailPolicy::default() };
        let now = Utc::now();
        let m = MailDraft::message("a@b.test", "s", "secret").into_row(OrgId::new(), now);
        let c = m.claimed(now, &p);
        let f = c.failed(now, &MailError::transient("421"), &p, 0.0);
        assert_eq!((f.status, f.version, f.text.as_str()), (MailStatus::Pending, 3, "secret"));
        let d = f.claimed(now, &p).failed(now, &MailError::transient("421"), &p, 0.0);
        assert_eq!((d.status, d.text.as_str(), d.html.as_str()), (MailStatus::Dead, "", ""));
    }
}
