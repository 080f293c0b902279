//! In-app notifications over HTTP, on both stores: the consumer inside `serve` delivers them
//! soon after the commit (it wakes on the store's broadcast), and every route of the area —
//! list, read, read-all, unread count, preferences, org defaults, watching — answers as the
//! recipient expects; other people's notifications are 404 and bad input is problem+json.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, Srv, start_with};
use reqwest::Method;
use serde_json::{Value, json};

/// Waits until `token`'s unread count reaches `n` (the consumer runs in the background).
async fn unread_becomes(s: &Srv, token: &str, n: u64) -> Value {
    for _ in 0..200 {
        let c = s.get("/api/v1/notifications/unread-count", token).await.expect(200);
        if c["count"].as_u64() == Some(n) {
            return c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the unread count never became {n}");
}

async fn notifications_over_http(kind: Kind) {
    let s = start_with(kind, |a| a.metrics_token = Some("metrics-secret".into())).await;
    let org = s.org("Plant").await;
    let t = org.owner.as_str();
    let site = s.site(&org, "NP").await;
    let (tech_id, tech) = s.user(&org, "technician", None).await;
    let (_, viewer) = s.user(&org, "viewer", None).await;
    // The technician follows their event stream (SSE) from the start.
    let mut stream = s.http.get(s.url("/api/v1/events")).bearer_auth(&tech).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let wo = s
        .work_order(t, json!({ "title": "Fix the pump", "site_id": site, "assignees": [tech_id] }))
        .await;
    let wo_id = wo["id"].as_str().unwrap();
    let count = unread_becomes(&s, &tech, 1).await;
    assert_eq!(count["more"], false);
    // The notification arrives on the stream as it is created.
    let mut seen = String::new();
    while !seen.contains("notification.created") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("the notification's event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(seen.contains("Fix the pump") || seen.contains(wo_id), "{seen}");
    drop(stream);

    let page = s.get("/api/v1/notifications?unread=true&limit=10", &tech).await.expect(200);
    let n = &page["items"][0];
    assert_eq!((n["kind"].as_str(), n["link"]["id"].as_str()), (Some("assigned"), Some(wo_id)));
    assert_eq!(n["link"]["kind"], "work_order");
    assert!(n["read_at"].is_null());
    let nid = n["id"].as_str().unwrap();
    s.post(&format!("/api/v1/notifications/{nid}/read"), &viewer, json!({}))
        .await
        .problem(404, "not_found");
    let read =
        s.post(&format!("/api/v1/notifications/{nid}/read"), &tech, json!({})).await.expect(200);
    assert!(read["read_at"].is_string());
    s.get("/api/v1/notifications?unread=maybe", &tech).await.problem(422, "validation_failed");
    s.get("/api/v1/notifications?colour=red", &tech).await.problem(422, "validation_failed");

    // Watching: the viewer watches, the technician comments, the viewer hears of it.
    let watch = format!("/api/v1/work-orders/{wo_id}/watch");
    assert_eq!(s.get(&watch, &viewer).await.expect(200)["watching"], false);
    let w = s.call(Method::PUT, &watch, Some(&viewer), None).await.expect(200);
    assert_eq!(w["work_order_id"], wo_id);
    assert_eq!(s.get(&watch, &viewer).await.expect(200)["watching"], true);
    s.post(&format!("/api/v1/work-orders/{wo_id}/comments"), &tech, json!({ "body": "On it" }))
        .await
        .expect(201);
    unread_becomes(&s, &viewer, 1).await;
    // Each sees their own notifications' events only.
    let created = |page: &Value| {
        let events = page["events"].as_array().unwrap();
        events.iter().filter(|e| e["kind"] == "notification.created").count()
    };
    let page = s.get("/api/v1/events/page?after=0&limit=500", &viewer).await.expect(200);
    assert_eq!(created(&page), 1, "the viewer's one, not the technician's");
    let page = s.get("/api/v1/events/page?after=0&limit=500", t).await.expect(200);
    assert_eq!(created(&page), 0, "not even the owner reads others' notifications");
    s.delete(&watch, &viewer).await.expect(204);
    assert_eq!(s.get(&watch, &viewer).await.expect(200)["watching"], false);
    let marked = s.post("/api/v1/notifications/read-all", &viewer, json!({})).await.expect(200);
    assert_eq!(marked["marked"], 1);
    unread_becomes(&s, &viewer, 0).await;

    // Preferences: mine, then the org's defaults (admins only).
    let prefs = s.get("/api/v1/me/notification-preferences", &tech).await.expect(200);
    let assigned = prefs.as_array().unwrap().iter().find(|p| p["kind"] == "assigned").unwrap();
    assert_eq!(assigned["channels"], json!({ "in_app": true, "email": false }));
    assert_eq!(assigned["source"], "builtin");
    let off = json!({ "channels": { "assigned": { "in_app": false, "email": false } } });
    let prefs =
        s.patch("/api/v1/me/notification-preferences", &tech, off.clone()).await.expect(200);
    let assigned = prefs.as_array().unwrap().iter().find(|p| p["kind"] == "assigned").unwrap();
    assert_eq!(assigned["source"], "user");
    let bad = json!({ "channels": { "sky_falling": { "in_app": true, "email": false } } });
    s.patch("/api/v1/me/notification-preferences", &tech, bad)
        .await
        .problem(422, "validation_failed");
    s.patch("/api/v1/orgs/current/notification-defaults", &tech, off.clone())
        .await
        .problem(403, "forbidden");
    let defaults = s.patch("/api/v1/orgs/current/notification-defaults", t, off).await.expect(200);
    assert!(defaults.as_array().unwrap().iter().any(|p| p["source"] == "org"));

    // Metrics: deliveries by channel and outcome, and the queue.
    let text = s.get("/metrics", "metrics-secret").await.text;
    for series in [
        "deliveries_total{channel=\"in_app\",outcome=\"delivered\"}",
        "delivery_queue_depth{channel=\"in_app\"}",
        "delivery_oldest_pending_seconds{channel=\"in_app\"}",
    ] {
        assert!(text.contains(series), "{series} is missing: {text}");
    }
    s.shutdown().await;
}

both_stores!(notifications_over_http);
