//! Crash durability, on both stores: the `cmms` binary under concurrent creates and
//! transitions is killed with SIGKILL at a random moment and started again, several times.
//! Every write the server acknowledged must be there with at least its acknowledged version,
//! work-order numbers never repeat, and the audit chain verifies. The moments come from a
//! seeded generator (`CMMS_CRASH_SEED` replays a run); the whole test stays well under two
//! minutes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::Rng;
use common::process::{Running, login};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CYCLES: usize = 5;
const CLIENTS: usize = 6;
const PASSWORD: &str = "crash test admin password";

/// Work orders the server acknowledged: id -> the highest version it answered with.
type Acked = Arc<Mutex<HashMap<String, i64>>>;

struct Session {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Session {
    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Option<Value> {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }
}

/// One client: creates a work order assigned to the owner and moves it between in_progress and
/// on_hold, recording every acknowledged version, until told to stop.
async fn client(s: Arc<Session>, site: String, owner: String, acked: Acked, stop: Arc<AtomicBool>) {
    use reqwest::Method;
    while !stop.load(Ordering::Relaxed) {
        let body = json!({ "title": "crash", "site_id": site, "assignees": [owner] });
        let Some(wo) = s.send(Method::POST, "/api/v1/work-orders", body).await else { continue };
        let id = wo["id"].as_str().unwrap().to_string();
        acked.lock().unwrap().insert(id.clone(), wo["version"].as_i64().unwrap());
        let path = format!("/api/v1/work-orders/{id}/transitions");
        for to in [json!({ "to": "in_progress" }), json!({ "to": "on_hold", "reason": "parts" })]
            .into_iter()
            .cycle()
            .take(4)
        {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let Some(after) = s.send(Method::POST, &path, to).await else { break };
            let v = after["version"].as_i64().unwrap();
            let mut a = acked.lock().unwrap();
            let e = a.entry(id.clone()).or_default();
            *e = (*e).max(v);
        }
    }
}

/// Every acknowledged write is present, numbers are unique, the chain verifies.
async fn verify(s: &Session, acked: &HashMap<String, i64>) {
    for (id, version) in acked {
        let r = s.http.get(format!("{}/api/v1/work-orders/{id}", s.base)).bearer_auth(&s.token);
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 200, "acknowledged work order {id} is gone");
        let wo: Value = r.json().await.unwrap();
        let stored = wo["version"].as_i64().unwrap();
        assert!(stored >= *version, "{id}: acknowledged version {version}, stored {stored}");
    }
    let mut numbers = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/api/v1/work-orders?limit=500", s.base);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value =
            s.http.get(url).bearer_auth(&s.token).send().await.unwrap().json().await.unwrap();
        for wo in page["items"].as_array().unwrap() {
            let n = wo["number"].as_str().unwrap().to_string();
            assert!(numbers.insert(n.clone()), "number {n} appears twice");
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let chain: Value = s
        .http
        .get(format!("{}/api/v1/audit/verify", s.base))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(chain["ok"], true, "audit chain: {chain}");
}

async fn crash_cycles(database: Option<String>) {
    let seed = std::env::var("CMMS_CRASH_SEED").ok().and_then(|s| s.parse().ok());
    let mut rng = Rng::new(seed.unwrap_or(0x5eed_c4a5));
    let dir = tempfile::tempdir().unwrap();
    // The load and the checks after each crash are one client: no rate limit in the way.
    let mut env = vec![
        ("CMMS_ADMIN_PASSWORD", PASSWORD.to_string()),
        ("CMMS_TOKEN_RATE", "1000000".to_string()),
    ];
    if let Some(url) = &database {
        env.push(("CMMS_DATABASE_URL", url.clone()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let acked: Acked = Arc::default();
    let (mut org, mut site, mut owner) = (String::new(), String::new(), String::new());
    for cycle in 0..=CYCLES {
        let mut srv = Running::start(dir.path(), &env);
        let base = srv.base();
        if cycle == 0 {
            org = srv.printed("org:").expect("first start prints the org");
        }
        let tokens = login(&base, &org, "admin@example.com", PASSWORD).await;
        let s = Arc::new(Session {
            http: reqwest::Client::new(),
            base,
            token: tokens["access_token"].as_str().unwrap().to_string(),
        });
        if cycle > 0 {
            // After the crash: everything acknowledged before it is there.
            let snapshot = acked.lock().unwrap().clone();
            verify(&s, &snapshot).await;
        }
        if cycle == CYCLES {
            srv.terminate();
            break;
        }
        if cycle == 0 {
            owner = tokens["user"]["id"].as_str().unwrap().to_string();
            let body = json!({ "name": "Crash site", "code": "CR" });
            site = s.send(reqwest::Method::POST, "/api/v1/sites", body).await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (s, site, owner) = (s.clone(), site.clone(), owner.clone());
                tokio::spawn(client(s, site, owner, acked.clone(), stop.clone()))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300 + rng.below(1_200))).await;
        srv.kill9();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
    }
    assert!(acked.lock().unwrap().len() >= CYCLES, "the load acknowledged some writes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_keeps_every_acknowledged_write_across_kill_9() {
    crash_cycles(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_keeps_every_acknowledged_write_across_kill_9() {
    let url = cmms_store_postgres::testing::TestServer::fresh_database().await;
    crash_cycles(Some(url)).await;
}
