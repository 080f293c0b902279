//! The webhook client against real HTTP receivers on loopback sockets: answers, failures,
//! time limits, redirects not followed, the response cap, private addresses refused, and a
//! request that arrives exactly as signed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cmms_core::OrgId;
use cmms_core::domain::webhook::{NewWebhook, Webhook, WebhookRequest, WebhookSender, sign};
use cmms_webhooks::receiver::{Answer, LoopbackReceiver};
use cmms_webhooks::{HttpSender, SenderConfig};
use std::time::{Duration, Instant};

fn sender(allow_private: bool, timeout_ms: u64) -> HttpSender {
    HttpSender::new(SenderConfig {
        allow_private,
        timeout: Duration::from_millis(timeout_ms),
        max_response_bytes: 4096,
        ..SenderConfig::default()
    })
    .unwrap()
}

fn signed(url: &str) -> (Webhook, WebhookRequest) {
    let input = NewWebhook { url: url.into(), event_types: vec![], description: String::new() };
    let hook = Webhook::create(OrgId::new(), input, true, None, chrono::Utc::now()).unwrap();
    let req = hook
        .request("msg_abc", r#"{"type":"x","data":{"n":1}}"#.into(), chrono::Utc::now())
        .unwrap();
    (hook, req)
}

#[tokio::test]
async fn answers_and_failures() {
    let rx = LoopbackReceiver::start(vec![Answer::Body(200, "thanks".into()), Answer::Status(500)])
        .await
        .unwrap();
    let s = sender(true, 2000);
    let (hook, req) = signed(&rx.url());
    let ok = s.send(&req).await;
    assert!(ok.ok(), "{ok:?}");
    assert_eq!((ok.status, ok.excerpt.as_str(), ok.error.as_deref()), (Some(200), "thanks", None));
    let bad = s.send(&req).await;
    assert_eq!((bad.ok(), bad.status), (false, Some(500)));

    // It arrived exactly as signed.
    let got = &rx.received()[0];
    assert_eq!((got.method.as_str(), got.path.as_str()), ("POST", "/hook"));
    assert_eq!(got.body, req.body);
    assert_eq!(got.header("content-type"), "application/json");
    let ts: i64 = got.header("webhook-timestamp").parse().unwrap();
    let sig = sign(&hook.secret, got.header("webhook-id"), ts, &got.body).unwrap();
    assert_eq!(got.header("webhook-signature"), sig);
    assert_eq!(rx.distinct_ids(), 1);
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out() {
    let rx = LoopbackReceiver::start(vec![Answer::Hang]).await.unwrap();
    let started = Instant::now();
    let r = sender(true, 300).send(&signed(&rx.url()).1).await;
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(r.status, None);
    assert!(r.error.unwrap().contains("timed out"));
    assert!(r.latency_ms >= 300);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = LoopbackReceiver::start(vec![]).await.unwrap();
    let rx = LoopbackReceiver::start(vec![Answer::Redirect(elsewhere.url())]).await.unwrap();
    let r = sender(true, 2000).send(&signed(&rx.url()).1).await;
    assert_eq!((r.ok(), r.status), (false, Some(302)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(elsewhere.received().is_empty(), "the redirect target got nothing");
}

#[tokio::test]
async fn only_the_cap_of_a_large_answer_is_read() {
    let big = "x".repeat(5 * 1024 * 1024);
    let rx = LoopbackReceiver::start(vec![Answer::Body(200, big)]).await.unwrap();
    let started = Instant::now();
    let r = sender(true, 5000).send(&signed(&rx.url()).1).await;
    assert_eq!(r.status, Some(200));
    assert_eq!(r.excerpt.len(), 1000, "the excerpt is cut");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    let rx = LoopbackReceiver::start(vec![]).await.unwrap();
    let strict = sender(false, 2000);
    let r = strict.send(&signed(&rx.url()).1).await;
    assert_eq!(r.status, None);
    assert!(r.error.as_deref().unwrap_or("").contains("refused"), "{r:?}");
    // A host name that resolves to loopback is refused the same way.
    let port = rx.url().split(':').nth(2).unwrap().split('/').next().unwrap().to_string();
    let by_name = format!("http://localhost:{port}/hook");
    let r = strict.send(&signed(&by_name).1).await;
    assert!(r.error.as_deref().unwrap_or("").contains("refused"), "{r:?}");
    for url in ["http://169.254.169.254/latest/meta-data", "http://[::1]:9/x", "http://10.0.0.1/x"]
    {
        let r = strict.send(&signed(url).1).await;
        assert!(r.error.as_deref().unwrap_or("").contains("refused"), "{url}: {r:?}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rx.received().is_empty(), "nothing reached the receiver");
    assert!(sender(true, 2000).send(&signed(&by_name).1).await.ok(), "allowed");
}

#[tokio::test]
async fn unreachable_targets_fail_cleanly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = sender(true, 2000).send(&signed(&format!("http://127.0.0.1:{port}/x")).1).await;
    assert_eq!(r.status, None);
    assert!(r.error.is_some());
    let mut req = signed("http://127.0.0.1:1/x").1;
    req.url = "not a url".into();
    assert!(sender(true, 2000).send(&req).await.error.unwrap().contains("bad URL"));
}
