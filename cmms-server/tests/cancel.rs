//! Clients that hang up mid-request, on both stores: 1,000 creates, each abandoned by its
//! client at a random moment (seeded). Work the server acknowledged is all there, and on
//! PostgreSQL no pooled connection is left inside a transaction (a dropped request used to
//! return its connection between BEGIN and COMMIT, and the next request ran inside it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, Rng, into_res, start_with};
use serde_json::json;
use std::time::Duration;

const WRITES: usize = 1_000;

async fn abandoned_requests_leave_nothing_behind(kind: Kind) {
    let s = start_with(kind, |a| a.token_rate_per_second = 1_000_000).await;
    let org = s.org("Hangups").await;
    let site = s.site(&org, "H").await;
    let mut rng = Rng::new(0x00c0_ffee);
    let mut acked = Vec::new();
    // Eight at a time, so the pool's connections are shared and reused all along.
    for round in 0..WRITES / 8 {
        let mut batch = Vec::new();
        for i in 0..8 {
            // A fresh client per request: dropping its future closes the connection. Reads and
            // writes mixed: a read transaction left open would turn the next write on its
            // connection into a write inside a READ ONLY transaction.
            let http = reqwest::Client::new();
            let req = if rng.below(2) == 0 {
                http.get(s.url("/api/v1/work-orders?limit=5")).bearer_auth(&org.owner).send()
            } else {
                http.post(s.url("/api/v1/work-orders"))
                    .bearer_auth(&org.owner)
                    .json(&json!({ "title": format!("W{round}-{i}"), "site_id": site }))
                    .send()
            };
            let patience = Duration::from_micros(rng.below(8_000));
            batch.push(tokio::spawn(async move {
                match tokio::time::timeout(patience, req).await {
                    Ok(Ok(r)) => Some(into_res(r).await),
                    _ => None,
                }
            }));
        }
        for b in batch {
            if let Some(r) = b.await.unwrap() {
                assert!(r.status.as_u16() < 500, "a request answered {}: {}", r.status, r.text);
                if r.status == 201 {
                    acked.push(r.body["id"].as_str().unwrap().to_string());
                }
            }
        }
    }
    // Work whose client left finishes on its own; give it a moment, then look.
    tokio::time::sleep(Duration::from_millis(500)).await;
    if let cmms_server::Database::Postgres(_, url) = s.state.db() {
        let mut c = cmms_store_postgres::testing::owner_connection(url).await;
        let stuck: Vec<(String, String)> = sqlx::query_as(
            "SELECT state, coalesce(query, '') FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
               AND state LIKE 'idle in transaction%'",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        assert!(stuck.is_empty(), "connections left inside a transaction: {stuck:?}");
    }
    for id in &acked {
        s.get(&format!("/api/v1/work-orders/{id}"), &org.owner).await.expect(200);
    }
    // The server still serves every request normally.
    let page = s.get("/api/v1/work-orders?limit=1&count=exact", &org.owner).await.expect(200);
    assert!(page["total"].as_u64().unwrap() >= acked.len() as u64);
    s.shutdown().await;
}

both_stores!(abandoned_requests_leave_nothing_behind);
