//! Real time on both stores: SSE with resume after a disconnect (`Last-Event-ID`), the
//! WebSocket stream with `?after=`, per-caller filtering, and graceful shutdown with streams
//! open.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, Srv, start};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;

/// Reads SSE frames until `n` events arrived; returns `(id, data)` pairs.
async fn read_events(
    resp: &mut reqwest::Response,
    buf: &mut String,
    n: usize,
) -> Vec<(i64, Value)> {
    let mut out = Vec::new();
    while out.len() < n {
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = String::new();
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse::<i64>().ok();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if let Some(id) = id {
                out.push((id, serde_json::from_str(&data).unwrap()));
            }
        }
        if out.len() >= n {
            break;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    out
}

async fn open_sse(s: &Srv, token: &str, last: Option<i64>) -> reqwest::Response {
    let mut rb = s.http.get(s.url("/api/v1/events")).bearer_auth(token);
    if let Some(l) = last {
        rb = rb.header("last-event-id", l.to_string());
    }
    let resp = rb.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("content-type").unwrap(), "text/event-stream");
    resp
}

async fn sse_resumes_after_disconnect(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Live").await;
    let site = s.site(&org, "L").await;
    let mut stream = open_sse(&s, &org.owner, None).await;
    let mut buf = String::new();
    // The org's history so far (org, owner, grant, site...) arrives first.
    let backlog = read_events(&mut stream, &mut buf, 4).await;
    let w1 = s.work_order(&org.owner, json!({ "title": "One", "site_id": site })).await;
    let mut got = backlog.clone();
    loop {
        let ev = read_events(&mut stream, &mut buf, 1).await;
        let done = ev.iter().any(|(_, e)| e["entity"]["id"] == w1["id"]);
        got.extend(ev);
        if done {
            break;
        }
    }
    let last = got.last().unwrap().0;
    drop(stream);
    // While disconnected, more happens.
    let w2 = s.work_order(&org.owner, json!({ "title": "Two", "site_id": site })).await;
    let w2_path = format!("/api/v1/work-orders/{}", w2["id"].as_str().unwrap());
    s.post(&format!("{w2_path}/comments"), &org.owner, json!({ "body": "note" })).await.expect(201);
    let page = s.get(&format!("/api/v1/events/page?after={last}"), &org.owner).await.expect(200);
    let missed: Vec<i64> =
        page["events"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(missed.len() >= 2, "{page}");
    // Reconnecting with Last-Event-ID delivers exactly what was missed, in order.
    let mut stream = open_sse(&s, &org.owner, Some(last)).await;
    let mut buf = String::new();
    let resumed = read_events(&mut stream, &mut buf, missed.len()).await;
    let ids: Vec<i64> = resumed.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, missed, "no gap, no duplicate");
    assert!(ids.iter().all(|id| *id > last));
    assert!(resumed.iter().any(|(_, e)| e["entity"]["id"] == w2["id"]));
    // The server stops gracefully with the stream still open.
    tokio::time::timeout(Duration::from_secs(20), s.shutdown())
        .await
        .expect("shutdown with an open stream");
    let rest = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
        .await
        .expect("the stream ends");
    assert!(matches!(rest, Ok(None) | Err(_)), "{rest:?}");
}

async fn streams_only_what_the_caller_may_read(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Filter").await;
    let site = s.site(&org, "F").await;
    let (_, alice) = s.user(&org, "requester", None).await;
    let (_, bob) = s.user(&org, "requester", None).await;
    let mine = s
        .post(
            "/api/v1/requests",
            &alice,
            json!({ "title": "Alice's door", "site_id": site, "submit": true }),
        )
        .await
        .expect(201);
    let theirs = s
        .post(
            "/api/v1/requests",
            &bob,
            json!({ "title": "Bob's window", "site_id": site, "submit": true }),
        )
        .await
        .expect(201);
    let page = s.get("/api/v1/events/page?limit=500", &alice).await.expect(200);
    let entities: Vec<&Value> =
        page["events"].as_array().unwrap().iter().map(|e| &e["entity"]["id"]).collect();
    assert!(entities.contains(&&mine["id"]), "{page}");
    assert!(!entities.contains(&&theirs["id"]), "another requester's request is not streamed");
    s.shutdown().await;
}

async fn websocket_stream_with_after(kind: Kind) {
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let s = start(kind).await;
    let org = s.org("Sockets").await;
    let site = s.site(&org, "W").await;
    let page = s.get("/api/v1/events/page?limit=500", &org.owner).await.expect(200);
    let last = page["events"].as_array().unwrap().last().unwrap()["seq"].as_i64().unwrap();
    let url = format!("{}/api/v1/events/ws?after={last}", s.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {}", org.owner).parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let wo = s.work_order(&org.owner, json!({ "title": "Over the socket", "site_id": site })).await;
    let first = loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(text) = msg {
            break serde_json::from_str::<Value>(&text).unwrap();
        }
    };
    assert!(first["seq"].as_i64().unwrap() > last);
    assert_eq!(first["entity"]["id"], wo["id"], "{first}");
    // Without a token there is no stream.
    let anon = format!("{}/api/v1/events/ws", s.base.replace("http://", "ws://"));
    assert!(tokio_tungstenite::connect_async(anon).await.is_err());
    drop(ws);
    s.shutdown().await;
}

async fn streams_end_when_the_token_expires(kind: Kind) {
    let s = common::start_with(kind, |a| a.access_token_ttl = 2).await;
    let org = s.org("Expiry").await;
    let mut stream = open_sse(&s, &org.owner, None).await;
    let ended = tokio::time::timeout(Duration::from_secs(15), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends once its access token expires");
    s.shutdown().await;
}

async fn streams_filter_per_caller_over_sse(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Sieve").await;
    let site = s.site(&org, "S").await;
    let (_, alice) = s.user(&org, "requester", None).await;
    let (_, bob) = s.user(&org, "requester", None).await;
    let theirs = s
        .post(
            "/api/v1/requests",
            &bob,
            json!({ "title": "Bob's", "site_id": site, "submit": true }),
        )
        .await
        .expect(201);
    let mine = s
        .post(
            "/api/v1/requests",
            &alice,
            json!({ "title": "Alice's", "site_id": site, "submit": true }),
        )
        .await
        .expect(201);
    let mut stream = open_sse(&s, &alice, None).await;
    let mut buf = String::new();
    let mut seen: Vec<Value> = Vec::new();
    while !seen.iter().any(|e| e["entity"]["id"] == mine["id"]) {
        seen.extend(read_events(&mut stream, &mut buf, 1).await.into_iter().map(|(_, e)| e));
    }
    assert!(
        !seen.iter().any(|e| e["entity"]["id"] == theirs["id"]),
        "Bob's request is not streamed to Alice"
    );
    s.shutdown().await;
}

both_stores!(
    sse_resumes_after_disconnect,
    streams_only_what_the_caller_may_read,
    websocket_stream_with_after,
    streams_end_when_the_token_expires,
    streams_filter_per_caller_over_sse,
);
