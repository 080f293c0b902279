//! Webhooks over HTTP on both stores, against real HTTP receivers on loopback: subscriptions
//! managed by admins (the secret shown once), delivery by the server's own job, signatures that
//! verify, a receiver that fails three times getting the event on the fourth attempt, one that
//! never answers turned off with a `webhook.disabled` event, echo suppression for API-key
//! writes, replay, test messages, private addresses refused by default, and the metrics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use cmms_webhooks::receiver::{Answer, LoopbackReceiver, Received};
use common::{Kind, Srv, start_with};
use serde_json::{Value, json};
use std::time::Duration;

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn body(r: &Received) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

/// Verifies a received request's Standard Webhooks signature with `secret`.
fn verify(r: &Received, secret: &str) {
    let id = header(r, "webhook-id");
    let ts: i64 = header(r, "webhook-timestamp").parse().unwrap();
    let want = cmms_core::domain::webhook::sign(secret, id, ts, &r.body).unwrap();
    assert_eq!(header(r, "webhook-signature"), want, "signature of {id}");
    let age = chrono::Utc::now().timestamp() - ts;
    assert!((0..60).contains(&age), "a fresh timestamp: {age}s");
}

async fn allow_http(s: &Srv, token: &str) {
    s.patch("/api/v1/orgs/current", token, json!({ "webhooks_allow_http": true }))
        .await
        .expect(200);
}

async fn subscribe(s: &Srv, token: &str, url: &str, types: &[&str]) -> (String, String) {
    let made = s
        .post("/api/v1/webhooks", token, json!({ "url": url, "event_types": types }))
        .await
        .expect(201);
    let id = made["webhook"]["id"].as_str().unwrap().to_string();
    (id, made["secret"].as_str().unwrap().to_string())
}

async fn webhooks_are_delivered_retried_and_disabled(kind: Kind) {
    let rx = LoopbackReceiver::start(vec![Answer::Status(500); 3]).await.unwrap();
    let s = start_with(kind, |a| {
        a.webhooks_allow_private = true;
        a.webhooks_retry_base_ms = 100;
        a.webhooks_timeout_secs = 1;
        a.webhooks_disable_after = 4;
        a.job_interval_secs = 1;
        a.metrics_token = Some("metrics-secret".into());
    })
    .await;
    let org = s.org("Acme").await;
    let t = &org.owner;
    // https only, until the organization allows http (for loopback receivers).
    s.post("/api/v1/webhooks", t, json!({ "url": rx.url() }))
        .await
        .problem(422, "validation_failed");
    allow_http(&s, t).await;
    let (hook, secret) = subscribe(&s, t, &rx.url(), &["work_order.created"]).await;
    let shown = s.get(&format!("/api/v1/webhooks/{hook}"), t).await.expect(200);
    assert!(shown.get("secret").is_none() && !shown.to_string().contains(&secret));
    let tech = s.user(&org, "technician", None).await;
    s.get("/api/v1/webhooks", &tech.1).await.problem(403, "forbidden");

    let site = s.site(&org, "NP").await;
    let wo = s.work_order(t, json!({ "title": "Pump P-7", "site_id": site })).await;
    // 500, 500, 500, then 200: the fourth attempt carries the event.
    let got = rx.wait_for(4, Duration::from_secs(30)).await;
    assert!(got, "four attempts within the retries' backoff");
    let all = rx.received();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|r| header(r, "webhook-id") == header(&all[0], "webhook-id")));
    for r in &all {
        verify(r, &secret);
        assert_eq!(body(r)["data"]["entity"]["id"], wo["id"]);
    }
    let log = s.get(&format!("/api/v1/webhooks/{hook}/deliveries"), t).await.expect(200);
    let attempts: Vec<(i64, bool)> = log
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|d| (d["attempt"].as_i64().unwrap(), d["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(attempts, vec![(1, false), (2, false), (3, false), (4, true)]);

    // Echo suppression: an API key's own write skips the subscription it names.
    let key = s
        .post("/api/v1/api-keys", t, json!({ "name": "erp", "role": { "builtin": "manager" } }))
        .await
        .expect(201);
    let key = key["token"].as_str().unwrap().to_string();
    let suppress = [("X-Cmms-Suppress-Webhooks", hook.as_str())];
    let own = s
        .post_with(
            "/api/v1/work-orders",
            &key,
            &suppress,
            json!({ "title": "ERP", "site_id": site }),
        )
        .await
        .expect(201);
    s.post_with(
        "/api/v1/work-orders",
        t,
        &suppress,
        json!({ "title": "Not a key", "site_id": site }),
    )
    .await
    .problem(422, "validation_failed");
    let other = s.work_order(t, json!({ "title": "By a person", "site_id": site })).await;
    assert!(rx.wait_for(5, Duration::from_secs(10)).await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ids: Vec<Value> =
        rx.received().iter().map(|r| body(r)["data"]["entity"]["id"].clone()).collect();
    assert!(ids.contains(&other["id"]) && !ids.contains(&own["id"]), "{ids:?}");

    // Replay from the first event: the same id again; a test message now.
    let first_seq = body(&all[3])["data"]["seq"].as_i64().unwrap();
    let before = rx.received().len();
    s.post(&format!("/api/v1/webhooks/{hook}/replay"), t, json!({ "from_seq": first_seq }))
        .await
        .expect(200);
    assert!(rx.wait_for(before + 2, Duration::from_secs(10)).await);
    let again = &rx.received()[before];
    assert_eq!(header(again, "webhook-id"), header(&all[3], "webhook-id"));
    let test = s.post(&format!("/api/v1/webhooks/{hook}/test"), t, json!({})).await.expect(200);
    assert_eq!(
        (test["ok"].as_bool(), test["event_type"].as_str()),
        (Some(true), Some("webhook.test"))
    );

    // A receiver that never answers: turned off after four failures, with an event.
    let hang = LoopbackReceiver::start(vec![Answer::Hang; 10]).await.unwrap();
    let (dead, _) = subscribe(&s, t, &hang.url(), &["work_order.created"]).await;
    let head = s.get("/api/v1/events/page?after=0&limit=500", t).await.expect(200);
    let after = head["last_seq"].as_i64().unwrap();
    s.work_order(t, json!({ "title": "Fan F-1", "site_id": site })).await;
    let mut off = Value::Null;
    for _ in 0..300 {
        off = s.get(&format!("/api/v1/webhooks/{dead}"), t).await.expect(200);
        if off["active"] == json!(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(off["active"], json!(false), "{off}");
    assert_eq!(off["delivery"]["failure_streak"], json!(4));
    let events =
        s.get(&format!("/api/v1/events/page?after={after}&limit=500"), t).await.expect(200);
    let disabled: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == json!("webhook.disabled"))
        .collect();
    assert_eq!(disabled.len(), 1, "{events}");
    assert_eq!(disabled[0]["entity"]["id"], json!(dead));
    let text = s.get("/metrics", "metrics-secret").await.text;
    assert!(text.contains("deliveries_total{channel=\"webhook\",outcome=\"delivered\"}"), "{text}");
    // The recorder is the process's: both stores' runs count into it.
    assert!(text.contains("deliveries_total{channel=\"webhook\",outcome=\"disabled\"} "), "{text}");
    assert!(text.contains("delivery_queue_depth{channel=\"webhook\"}"), "{text}");
    s.shutdown().await;
}

async fn private_addresses_are_refused_by_default(kind: Kind) {
    let rx = LoopbackReceiver::start(vec![]).await.unwrap();
    let s = start_with(kind, |a| a.job_interval_secs = 1).await;
    let org = s.org("Acme").await;
    let t = &org.owner;
    allow_http(&s, t).await;
    let (hook, _) = subscribe(&s, t, &rx.url(), &[]).await;
    let test = s.post(&format!("/api/v1/webhooks/{hook}/test"), t, json!({})).await.expect(200);
    assert_eq!(test["ok"], json!(false));
    assert!(test["error"].as_str().unwrap_or("").contains("private"), "{test}");
    assert!(test["status_code"].is_null());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.received().is_empty(), "nothing reached the loopback receiver");
    // Another tenant sees none of it.
    let other = s.org("Other").await;
    s.get(&format!("/api/v1/webhooks/{hook}"), &other.owner).await.problem(404, "not_found");
    s.shutdown().await;
}

both_stores!(webhooks_are_delivered_retried_and_disabled, private_addresses_are_refused_by_default,);

/// Three replicas on one PostgreSQL database, all running the delivery job and all taking
/// writes: every event reaches each subscription once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_deliver_each_event_once_in_order() {
    let url = cmms_store_postgres::testing::TestServer::fresh_database().await;
    let args = cmms_server::config::ServeArgs {
        jwt_secret: Some("a test secret that is at least 32 bytes long".into()),
        job_interval_secs: 1,
        actor_cache_ms: 0,
        webhooks_allow_private: true,
        ..Default::default()
    };
    let mut replicas = Vec::new();
    for i in 0..3 {
        let db = cmms_server::db::Database::open(&url).await.unwrap();
        if i == 0 {
            db.migrate().await.unwrap();
        }
        replicas.push(common::serve_db(db, None, args.clone()).await);
    }
    let org = replicas[0].org("Acme").await;
    let t = &org.owner;
    allow_http(&replicas[0], t).await;
    let (a, b) = (
        LoopbackReceiver::start(vec![]).await.unwrap(),
        LoopbackReceiver::start(vec![]).await.unwrap(),
    );
    subscribe(&replicas[1], t, &a.url(), &["work_order.created"]).await;
    subscribe(&replicas[2], t, &b.url(), &["work_order.created"]).await;
    let site = replicas[0].site(&org, "NP").await;
    let mut made = Vec::new();
    for i in 0..30 {
        let s = &replicas[i % 3];
        made.push(
            s.work_order(t, json!({ "title": format!("order {i}"), "site_id": site })).await["id"]
                .clone(),
        );
    }
    for rx in [&a, &b] {
        assert!(rx.wait_for(30, Duration::from_secs(30)).await, "30 events arrive");
        // A few more job runs on every replica: nothing comes twice.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let got = rx.received();
        let seqs: Vec<i64> = got.iter().map(|r| body(r)["data"]["seq"].as_i64().unwrap()).collect();
        assert_eq!(got.len(), 30, "once each: {seqs:?}");
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
        let entities: Vec<Value> =
            got.iter().map(|r| body(r)["data"]["entity"]["id"].clone()).collect();
        assert_eq!(entities, made);
    }
    for s in replicas {
        s.shutdown().await;
    }
}
