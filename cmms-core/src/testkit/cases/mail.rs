//! Conformance: the mail outbox — token mail queued in the token's commit, delivery with
//! backoff and a dead state, expiry, and claims that keep racing deliverers from sending a
//! mail twice.

use crate::domain::mail::{MailDraft, MailError, MailPolicy, MailStatus, OutboxMail};
use crate::ids::MailId;
use crate::service::mail::{MailSettings, MailTransport};
use crate::store::Changeset;
use crate::store::record::RecordReadsExt;
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_forbidden};
use crate::{Cmms, Write};
use async_trait::async_trait;
use chrono::TimeDelta;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// A transport that records what it was given and fails the first `fail` calls.
#[derive(Default)]
pub struct RecordingTransport {
    /// Every mail accepted, in order.
    pub sent: Mutex<Vec<OutboxMail>>,
    fail: AtomicU32,
    permanent: bool,
}

impl RecordingTransport {
    /// Fails the first `n` sends (transiently, or for good).
    pub fn failing(n: u32, permanent: bool) -> Self {
        Self { fail: AtomicU32::new(n), permanent, ..Self::default() }
    }

    fn ids(&self) -> Vec<MailId> {
        self.sent.lock().map(|s| s.iter().map(|m| m.id).collect()).unwrap_or_default()
    }
}

#[async_trait]
impl MailTransport for RecordingTransport {
    async fn send(&self, mail: &OutboxMail) -> Result<(), MailError> {
        let left = self.fail.load(Ordering::SeqCst);
        if left > 0 {
            self.fail.store(left - 1, Ordering::SeqCst);
            return Err(match self.permanent {
                true => MailError::permanent("550 no such user"),
                false => MailError::transient("421 try again later"),
            });
        }
        // Yield so concurrent deliverers interleave between claim and record.
        tokio::task::yield_now().await;
        if let Ok(mut s) = self.sent.lock() {
            s.push(mail.clone());
        }
        Ok(())
    }
}

fn with_policy(fx: &Fx, policy: MailPolicy) -> Cmms {
    let settings = MailSettings {
        public_url: Some("https://cmms.example.test".into()),
        policy,
        queue_auth_mail: true,
    };
    fx.cmms.clone().with_mail_settings(settings)
}

async fn get(fx: &Fx, id: MailId) -> OutboxMail {
    fx.cmms.store().get::<OutboxMail>(fx.org.id, id).await.unwrap().expect("the mail")
}

async fn queue(fx: &Fx, n: usize) -> Vec<MailId> {
    let mut cs = Changeset::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let row = MailDraft::message(&format!("u{i}@example.test"), &format!("m{i}"), "body")
            .into_row(fx.org.id, fx.cmms.now());
        ids.push(row.id);
        cs.push(Write::insert(row));
    }
    fx.cmms.store().commit(fx.org.id, cs).await.unwrap();
    ids
}

/// A password reset queues its mail in the token's commit, with a link to the public URL; the
/// mail is delivered once, its body wiped once sent, and only admins see the outbox.
pub async fn mail_reset_is_queued_with_its_token(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = with_policy(&fx, MailPolicy::default());
    let token = c.request_password_reset(fx.org.id, &fx.tech.user.email).await.unwrap().unwrap();
    let outbox = c.list_mail(&fx.admin.actor, Some(MailStatus::Pending), 10).await.unwrap();
    assert_eq!(outbox.len(), 1, "one pending mail");
    let m = get(&fx, outbox[0].id).await;
    assert_eq!((m.to.as_str(), m.kind.as_str()), (fx.tech.user.email.as_str(), "password_reset"));
    let link = format!("https://cmms.example.test/reset-password?token={}", token.token);
    assert!(m.text.contains(&link) && m.html.contains(&link), "link in both bodies: {m:?}");
    assert!(m.expires_at.is_some_and(|e| e > c.now()), "expires with the token");
    assert_forbidden(c.list_mail(&fx.tech.actor, None, 10).await, "technician reading the outbox");

    let smtp = RecordingTransport::default();
    let report = c.deliver_mail(c.now(), &smtp).await.unwrap();
    assert_eq!((report.sent, report.retried, report.dead), (1, 0, 0));
    assert_eq!(smtp.ids(), vec![m.id]);
    let sent = get(&fx, m.id).await;
    assert_eq!((sent.status, sent.text.as_str(), sent.html.as_str()), (MailStatus::Sent, "", ""));
    assert_eq!(sent.sent_at, Some(c.now()));
    assert_eq!(c.deliver_mail(c.now(), &smtp).await.unwrap().sent, 0, "nothing twice");
    // An invitation is queued the same way, for the invited user.
    c.request_email_verification(&fx.manager.actor, fx.viewer.user.id).await.unwrap();
    let pending = c.list_mail(&fx.owner.actor, Some(MailStatus::Pending), 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].to.as_str(), pending[0].kind.as_str()),
        (fx.viewer.user.email.as_str(), "invitation")
    );
    assert!(pending[0].text.is_empty(), "listings never show bodies");
}

/// A failing mail server delays mail: each failure backs off (not due before the wait), the
/// mail arrives on a later attempt, and after the last attempt it is dead (visible, wiped).
/// A permanent refusal is dead at once; a mail whose token expired is never sent.
pub async fn mail_failures_back_off_then_die(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let policy = MailPolicy { max_attempts: 3, ..MailPolicy::default() };
    let c = with_policy(&fx, policy.clone());
    let id = queue(&fx, 1).await[0];
    let smtp = RecordingTransport::failing(2, false);
    let r = c.deliver_mail(c.now(), &smtp).await.unwrap();
    assert_eq!((r.sent, r.retried), (0, 1));
    let m = get(&fx, id).await;
    assert_eq!((m.status, m.attempts), (MailStatus::Pending, 1));
    assert_eq!(m.last_error.as_deref(), Some("421 try again later"));
    let wait = m.next_attempt_at - c.now();
    assert!(wait >= policy.base_backoff / 2 && wait <= policy.base_backoff, "backoff {wait}");
    assert_eq!(c.deliver_mail(c.now(), &smtp).await.unwrap(), Default::default(), "not yet due");
    fx.clock.advance(TimeDelta::hours(2));
    assert_eq!(c.deliver_mail(c.now(), &smtp).await.unwrap().retried, 1);
    let wait = get(&fx, id).await.next_attempt_at - c.now();
    assert!(wait >= policy.base_backoff && wait <= policy.base_backoff * 2, "doubled {wait}");
    fx.clock.advance(TimeDelta::hours(2));
    assert_eq!(c.deliver_mail(c.now(), &smtp).await.unwrap().sent, 1, "arrives on the third");
    assert_eq!(get(&fx, id).await.status, MailStatus::Sent);

    // Out of attempts: dead and visible.
    let id = queue(&fx, 1).await[0];
    let down = RecordingTransport::failing(u32::MAX, false);
    for _ in 0..3 {
        c.deliver_mail(c.now(), &down).await.unwrap();
        fx.clock.advance(TimeDelta::hours(2));
    }
    let dead = get(&fx, id).await;
    assert_eq!((dead.status, dead.attempts, dead.text.as_str()), (MailStatus::Dead, 3, ""));
    let listed = c.list_mail(&fx.admin.actor, Some(MailStatus::Dead), 10).await.unwrap();
    assert_eq!(listed.iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
    // Refused for good: dead after one attempt.
    let id = queue(&fx, 1).await[0];
    let refuse = RecordingTransport::failing(1, true);
    assert_eq!(c.deliver_mail(c.now(), &refuse).await.unwrap().dead, 1);
    assert_eq!(get(&fx, id).await.last_error.as_deref(), Some("550 no such user"));
    // A reset mail nobody could deliver before its token expired is never sent.
    c.request_password_reset(fx.org.id, &fx.tech.user.email).await.unwrap().unwrap();
    fx.clock.advance(TimeDelta::days(3));
    let ok = RecordingTransport::default();
    assert_eq!(c.deliver_mail(c.now(), &ok).await.unwrap().dead, 1);
    assert!(ok.ids().is_empty(), "an expired token mail is not sent");
}

/// Deliverers racing over one outbox send every mail exactly once (claims are versioned
/// updates); a claim whose deliverer died holds the mail until its lease ends, then another
/// deliverer sends it (the documented at-least-once case). Batches are bounded.
pub async fn mail_claims_keep_racing_deliverers_apart(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let policy = MailPolicy { batch: 100, ..MailPolicy::default() };
    let c = with_policy(&fx, policy.clone());
    let ids = queue(&fx, 30).await;
    let smtp = Arc::new(RecordingTransport::default());
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (c, smtp, now) = (c.clone(), smtp.clone(), c.now());
        tasks.push(tokio::spawn(async move { c.deliver_mail(now, smtp.as_ref()).await }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap().unwrap().sent;
    }
    let mut sent = smtp.ids();
    sent.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!((total, sent), (30, want), "every mail once");

    // A deliverer claimed a mail and died before sending it.
    let id = queue(&fx, 1).await[0];
    let claimed = get(&fx, id).await.claimed(c.now(), &policy);
    let mut cs = Changeset::new();
    cs.push(Write::update(claimed));
    c.store().commit(fx.org.id, cs).await.unwrap();
    let later = RecordingTransport::default();
    assert_eq!(c.deliver_mail(c.now(), &later).await.unwrap().sent, 0, "leased");
    fx.clock.advance(policy.lease);
    assert_eq!(c.deliver_mail(c.now(), &later).await.unwrap().sent, 1, "after the lease");
    assert_eq!(get(&fx, id).await.attempts, 2);

    // Bounded batches: one call takes at most `batch` mails.
    let small = with_policy(&fx, MailPolicy { batch: 2, ..policy });
    queue(&fx, 5).await;
    let r = small.deliver_mail(c.now(), &later).await.unwrap();
    assert_eq!(r.sent, 2);
    assert_eq!(small.mail_queue().await.unwrap().pending, 3);
}
