//! Mail over HTTP on both stores, against a real SMTP server on loopback: a password reset
//! queues its mail in the token's commit and the server delivers it right away (the link
//! works); an invitation too; the outbox's metrics count deliveries by channel and outcome.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use cmms_mail::loopback::LoopbackSmtp;
use common::{Kind, start_with};
use serde_json::json;
use std::time::Duration;

fn token_in(data: &str) -> String {
    // Quoted-printable folds long lines and escapes `=`; undo both, then cut the token out.
    let body = data.replace("=\r\n", "").replace("=3D", "=");
    let at = body.find("reset-password?token=").or_else(|| body.find("verify-email?token="));
    let rest = &body[at.expect("a link with a token")..];
    let rest = &rest[rest.find('=').unwrap() + 1..];
    rest.chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect()
}

async fn password_reset_mail_arrives_over_smtp(kind: Kind) {
    let smtp = LoopbackSmtp::start(0).await.unwrap();
    let url = smtp.url();
    let s = start_with(kind, |a| {
        a.smtp_url = Some(url);
        a.mail_from = Some("CMMS <cmms@acme.test>".into());
        a.public_url = Some("https://cmms.acme.test".into());
        a.metrics_token = Some("metrics-secret".into());
        a.mail_max_attempts = 3;
    })
    .await;
    let settings = s.state.cmms().mail_settings();
    assert_eq!((settings.policy.max_attempts, settings.queue_auth_mail), (3, true));
    let org = s.org("Acme").await;
    let body = json!({ "org": org.id, "email": org.email });
    s.post_open("/api/v1/auth/password-reset/request", body).await.expect(202);
    let got = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "the reset mail arrives without waiting for the job interval");
    assert_eq!(got[0].to, vec![org.email.clone()]);
    assert!(got[0].data.contains("Subject: Reset your password"), "{}", got[0].data);
    let unfolded = got[0].data.replace("=\r\n", "").replace("=3D", "=");
    assert!(unfolded.contains("https://cmms.acme.test/reset-password?token="), "{unfolded}");
    assert!(s.mail.sent().is_empty(), "the token is not handed to the Mailer as well");
    let token = token_in(&got[0].data);
    let confirm = json!({ "token": token, "password": "a brand new password" });
    s.post_open("/api/v1/auth/password-reset/confirm", confirm).await.expect(204);
    s.login(&org.id, &org.email, "a brand new password").await;

    // An invitation goes the same way.
    let created = s
        .post(
            "/api/v1/users",
            &org.owner,
            json!({ "name": "Tom", "email": "tom@acme.test", "role": { "builtin": "technician" } }),
        )
        .await
        .expect(201);
    let id = created["user"]["id"].as_str().unwrap();
    s.post("/api/v1/auth/invitations", &org.owner, json!({ "user_id": id })).await.expect(202);
    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.get(1).map(|m| m.to.clone()), Some(vec!["tom@acme.test".to_string()]));
    let token = token_in(&got[1].data);
    let verify = json!({ "token": token, "password": "tom's first password" });
    s.post_open("/api/v1/auth/verify-email", verify).await.expect(204);

    let text = s.get("/metrics", "metrics-secret").await.text;
    assert!(text.contains("deliveries_total{channel=\"email\",outcome=\"sent\"}"), "{text}");
    assert!(text.contains("delivery_queue_depth{channel=\"email\"}"), "{text}");
    s.shutdown().await;
}

both_stores!(password_reset_mail_arrives_over_smtp,);
