//! Mail survives a crash: the `cmms` binary queues a password-reset mail while its mail server
//! is down, is killed with SIGKILL, and once started again (the mail server now up) delivers
//! the mail exactly once from the outbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use cmms_mail::loopback::LoopbackSmtp;
use common::process::{Running, login};
use serde_json::json;
use std::time::Duration;

const PASSWORD: &str = "mail crash admin password";
const ADMIN: &str = "admin@example.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_mail_is_delivered_once_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on yet: the mail server is down at first.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let smtp_url = format!("smtp://127.0.0.1:{port}?tls=none");
    let env = [
        ("CMMS_ADMIN_PASSWORD", PASSWORD),
        ("CMMS_SMTP_URL", smtp_url.as_str()),
        ("CMMS_MAIL_FROM", "cmms@example.com"),
        ("CMMS_JOB_INTERVAL", "1"),
    ];
    let mut srv = Running::start(dir.path(), &env);
    let base = srv.base();
    let org = srv.printed("org:").expect("first start prints the org");
    login(&base, &org, ADMIN, PASSWORD).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/api/v1/auth/password-reset/request"))
        .json(&json!({ "org": org, "email": ADMIN }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // Let the first attempts fail against the closed port, then crash.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    srv.kill9();

    let smtp = LoopbackSmtp::start_on(port, 0).await.unwrap();
    let mut srv = Running::start(dir.path(), &env);
    srv.base();
    // The retry waits out its backoff (at most 30 s after the failed attempt).
    let got = smtp.wait_for(1, Duration::from_secs(60)).await;
    assert_eq!(got.len(), 1, "the queued mail arrives after the restart");
    assert_eq!(got[0].to, vec![ADMIN.to_string()]);
    assert!(got[0].data.contains("Subject: Reset your password"));
    // A few more job runs send nothing again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.received().len(), 1, "delivered once");
    srv.terminate();
}
