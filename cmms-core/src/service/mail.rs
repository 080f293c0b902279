//! Mail delivery: `deliver_mail` takes due mail from the outbox of every organization, claims
//! each row with a versioned update (a lease: the claim moves `next_attempt_at` to the end of
//! the lease), sends it through a [`MailTransport`], and records the outcome. Any number of
//! replicas may run it at once: of two deliverers that read the same row, one claim commits and
//! the other skips the row. The one case a mail goes out twice: a deliverer that crashes (or
//! outlives its lease) after the server accepted the mail and before it recorded that; the
//! lease then expires and the mail is sent again.

use super::Cmms;
use crate::actor::Actor;
use crate::domain::mail::{MailError, MailPolicy, MailStatus, OutboxMail, random_jitter};
use crate::error::{Result, StoreError};
use crate::ids::OrgId;
use crate::rbac::{self, Permission, Resource};
use crate::store::record::{Cmp, MAIL_OUTBOX, RecordReadsExt, Select};
use crate::store::{Changeset, Write};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// Sends one mail (the port: core has no network code). An SMTP transport lives in the
/// `cmms-mail` crate; tests and embedders plug in their own.
#[async_trait]
pub trait MailTransport: Send + Sync {
    /// Hands the mail to the mail server; `Err` says whether retrying may help.
    async fn send(&self, mail: &OutboxMail) -> std::result::Result<(), MailError>;
}

/// Mail settings of a [`Cmms`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The web address users open (`CMMS_PUBLIC_URL`): mails link to `<public_url>/...`.
    pub public_url: Option<String>,
    /// Retries, lease and batch size.
    pub policy: MailPolicy,
    /// Queue password-reset and invitation mail in the same commit as the token (default).
    /// Embedders that deliver the returned `TokenMail` themselves turn it off.
    pub queue_auth_mail: bool,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self { public_url: None, policy: MailPolicy::default(), queue_auth_mail: true }
    }
}

/// What one `deliver_mail` call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MailReport {
    /// Accepted by the mail server.
    pub sent: u64,
    /// Failed, to be retried later.
    pub retried: u64,
    /// Given up (attempts exhausted, permanent refusal, or expired).
    pub dead: u64,
    /// Claimed by another deliverer first (skipped).
    pub raced: u64,
}

/// The pending part of the outbox (for metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MailQueue {
    /// Pending mails (counted up to [`QUEUE_COUNT_CAP`] per organization).
    pub pending: u64,
    /// When the oldest pending mail was queued.
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

/// The most pending mails `mail_queue` counts per organization.
pub const QUEUE_COUNT_CAP: u32 = 10_000;

/// A row someone else changed first: skip it, they own it now.
fn raced(e: &StoreError) -> bool {
    matches!(e, StoreError::Conflict { .. } | StoreError::NotFound { .. })
}

impl Cmms {
    /// Uses these mail settings instead of the defaults.
    pub fn with_mail_settings(mut self, settings: MailSettings) -> Self {
        self.mail = std::sync::Arc::new(settings);
        self
    }

    /// The mail settings.
    pub fn mail_settings(&self) -> &MailSettings {
        &self.mail
    }

    /// Delivers the mail that is due at `now`, at most `policy.batch` mails, across every
    /// organization. Transport failures are recorded on the mail (retry with backoff, or dead)
    /// and never returned; only store failures are.
    ///
    /// ```no_run
    /// # async fn f(cmms: cmms_core::Cmms, smtp: &dyn cmms_core::service::mail::MailTransport)
    /// # -> cmms_core::Result<()> {
    /// let report = cmms.deliver_mail(cmms.now(), smtp).await?;
    /// println!("{} sent, {} to retry", report.sent, report.retried);
    /// # Ok(()) }
    /// ```
    pub async fn deliver_mail(
        &self,
        now: DateTime<Utc>,
        transport: &dyn MailTransport,
    ) -> Result<MailReport> {
        let mut report = MailReport::default();
        let mut budget = self.mail.policy.batch;
        for org in self.store.list_org_ids().await? {
            if budget == 0 {
                break;
            }
            let due: Vec<OutboxMail> = self.store.list(org, due_query(now, budget)).await?;
            for mail in due {
                budget = budget.saturating_sub(1);
                self.deliver_one(org, mail, now, transport, &mut report).await?;
            }
        }
        Ok(report)
    }

    async fn deliver_one(
        &self,
        org: OrgId,
        mail: OutboxMail,
        now: DateTime<Utc>,
        transport: &dyn MailTransport,
        report: &mut MailReport,
    ) -> Result<()> {
        let policy = &self.mail.policy;
        if mail.is_expired(now) {
            return self.record(org, mail.dead(now, "expired before delivery"), report).await;
        }
        let claim = mail.claimed(now, policy);
        match self.store.commit(org, one(Write::update(claim.clone()))).await {
            Ok(_) => {}
            Err(e) if raced(&e) => {
                report.raced += 1;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        let outcome = match transport.send(&claim).await {
            Ok(()) => claim.sent(now),
            Err(e) => {
                tracing::warn!(%org, mail = %claim.id, error = %e.message, "mail not delivered");
                claim.failed(now, &e, policy, random_jitter()?)
            }
        };
        self.record(org, outcome, report).await
    }

    /// Stores the outcome of an attempt and counts it.
    async fn record(&self, org: OrgId, outcome: OutboxMail, report: &mut MailReport) -> Result<()> {
        let status = outcome.status;
        match self.store.commit(org, one(Write::update(outcome))).await {
            Ok(_) => {}
            // The lease ran out and another deliverer took the row: it records its own attempt.
            Err(e) if raced(&e) => {
                report.raced += 1;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        match status {
            MailStatus::Sent => report.sent += 1,
            MailStatus::Pending => report.retried += 1,
            MailStatus::Dead => report.dead += 1,
        }
        Ok(())
    }

    /// The outbox of the actor's organization, oldest due first: mails in `status` (all when
    /// `None`), at most `limit`. Needs `org.manage`; bodies are never shown.
    pub async fn list_mail(
        &self,
        actor: &Actor,
        status: Option<MailStatus>,
        limit: u32,
    ) -> Result<Vec<OutboxMail>> {
        rbac::authorize(actor, Permission::OrgManage, &Resource::ORG)?;
        let mut q = Select::new(&MAIL_OUTBOX).limit(limit.clamp(1, 1000));
        if let Some(s) = status {
            q = q.eq("status", s.as_str().to_string());
        }
        let rows: Vec<OutboxMail> = self.store.list(actor.org(), q).await?;
        Ok(rows
            .into_iter()
            .map(|m| OutboxMail { text: String::new(), html: String::new(), ..m })
            .collect())
    }

    /// How many mails wait, across every organization, and since when (for metrics).
    pub async fn mail_queue(&self) -> Result<MailQueue> {
        let mut queue = MailQueue::default();
        for org in self.store.list_org_ids().await? {
            let q = Select::new(&MAIL_OUTBOX)
                .eq("status", MailStatus::Pending.as_str().to_string())
                .limit(QUEUE_COUNT_CAP);
            let rows: Vec<OutboxMail> = self.store.list(org, q).await?;
            queue.pending += rows.len() as u64;
            let oldest = rows.iter().map(|m| m.created_at).min();
            queue.oldest_pending_at = match (queue.oldest_pending_at, oldest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(queue)
    }
}

impl MailQueue {
    /// How long the oldest pending mail has waited at `now`.
    pub fn oldest_age(&self, now: DateTime<Utc>) -> TimeDelta {
        self.oldest_pending_at.map_or(TimeDelta::zero(), |t| now - t)
    }
}

/// Pending mail whose time has come (including claims whose lease ran out).
fn due_query(now: DateTime<Utc>, limit: u32) -> Select {
    Select::new(&MAIL_OUTBOX)
        .eq("status", MailStatus::Pending.as_str().to_string())
        .cmp("next_attempt_at", Cmp::Le, now)
        .limit(limit)
}

fn one(write: Write) -> Changeset {
    let mut cs = Changeset::new();
    cs.push(write);
    cs
}
