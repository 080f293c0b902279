//! The SMTP transport against a real SMTP conversation on loopback: queued password-reset
//! mail arrives with the right recipient, subject and link, and a server that refuses the
//! first attempts gets the mail on a retry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::TimeDelta;
use cmms_core::domain::mail::{MailDraft, MailPolicy, MailStatus};
use cmms_core::domain::org::NewOrg;
use cmms_core::service::mail::MailSettings;
use cmms_core::{Changeset, Cmms, ManualClock, OrgId};
use cmms_mail::SmtpTransport;
use cmms_mail::loopback::LoopbackSmtp;
use cmms_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;

struct Setup {
    cmms: Cmms,
    clock: Arc<ManualClock>,
    org: OrgId,
    email: String,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("cmms.db")).await.unwrap();
    store.migrate().await.unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let settings = MailSettings {
        public_url: Some("https://cmms.example.test/".into()),
        ..MailSettings::default()
    };
    let cmms = Cmms::with_clock(Arc::new(store), clock.clone()).with_mail_settings(settings);
    let email = "olivia@acme.test".to_string();
    let boot = cmms
        .bootstrap_org(NewOrg {
            name: "Acme".into(),
            owner_name: "Olivia".into(),
            owner_email: email.clone(),
            ..NewOrg::default()
        })
        .await
        .unwrap();
    Setup { cmms, clock, org: boot.org.id, email, _dir: dir }
}

#[tokio::test]
async fn password_reset_mail_arrives_with_its_link() {
    let s = setup().await;
    let server = LoopbackSmtp::start(0).await.unwrap();
    let smtp = SmtpTransport::from_url(&server.url(), "CMMS <cmms@acme.test>").unwrap();
    let token = s.cmms.request_password_reset(s.org, &s.email).await.unwrap().unwrap();
    let report = s.cmms.deliver_mail(s.cmms.now(), &smtp).await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let got = server.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].from.as_str(), got[0].to.clone()),
        ("cmms@acme.test", vec![s.email.clone()])
    );
    assert!(got[0].data.contains("Subject: Reset your password"), "{}", got[0].data);
    // Quoted-printable may fold long lines; unfold before looking for the link.
    let body = got[0].data.replace("=\r\n", "").replace("=3D", "=");
    let link = format!("https://cmms.example.test/reset-password?token={}", token.token);
    assert!(body.contains(&link), "link {link} in {body}");
    assert!(body.contains("text/html") && body.contains("text/plain"), "both bodies");
}

#[tokio::test]
async fn a_server_that_refuses_gets_the_mail_on_a_retry() {
    let s = setup().await;
    let server = LoopbackSmtp::start(2).await.unwrap();
    let smtp = SmtpTransport::from_url(&server.url(), "cmms@acme.test").unwrap();
    let mut cs = Changeset::new();
    let draft = MailDraft::message(&s.email, "Pump P-7 <down>", "Assigned to you & Bob.");
    cs.push(draft.queue(s.org, s.cmms.now()));
    s.cmms.store().commit(s.org, cs).await.unwrap();
    for _ in 0..2 {
        let r = s.cmms.deliver_mail(s.cmms.now(), &smtp).await.unwrap();
        assert_eq!((r.sent, r.retried), (0, 1), "451 is retried");
        s.clock.advance(MailPolicy::default().max_backoff);
    }
    let r = s.cmms.deliver_mail(s.cmms.now(), &smtp).await.unwrap();
    assert_eq!(r.sent, 1, "third attempt");
    let got = server.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].data.contains("Assigned to you &amp; Bob."), "escaped html: {}", got[0].data);
    let sys = cmms_core::Actor::system(s.org);
    let sent = s.cmms.list_mail(&sys, Some(MailStatus::Sent), 10).await.unwrap();
    assert_eq!(sent.first().map(|m| m.attempts), Some(3));
}

#[tokio::test]
async fn a_server_that_is_down_delays_mail() {
    let s = setup().await;
    // Nothing listens on this port once the server is dropped.
    let url = LoopbackSmtp::start(0).await.unwrap().url();
    let smtp = SmtpTransport::from_url(&url, "cmms@acme.test").unwrap();
    s.cmms.request_password_reset(s.org, &s.email).await.unwrap().unwrap();
    let r = s.cmms.deliver_mail(s.cmms.now(), &smtp).await.unwrap();
    assert_eq!((r.sent, r.retried, r.dead), (0, 1, 0));
    s.clock.advance(TimeDelta::minutes(1));
    assert_eq!(s.cmms.mail_queue().await.unwrap().pending, 1, "still queued");
}

#[test]
fn bad_settings_are_refused_without_the_password() {
    let e = SmtpTransport::from_url("ftp://u:hunter2@mail.test", "a@b.test").unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert!(SmtpTransport::from_url("smtp://mail.test", "not an address").is_err());
}
