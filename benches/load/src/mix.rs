//! The workload: seeding work orders through the API, and the mixed traffic of one simulated
//! user (one connection) — 60 % reads (list, get), 25 % transitions with version checks, 10 %
//! creates, 5 % comments — with every latency recorded in an HDR histogram per operation.

use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The operations of the mix.
pub const OPS: [&str; 5] = ["list", "get", "transition", "create", "comment"];

/// Latencies (µs) and errors per operation.
pub struct Recorder {
    pub hist: Vec<Histogram<u64>>,
    pub errors: Vec<u64>,
    pub first_errors: Vec<String>,
}

impl Recorder {
    pub fn new() -> Self {
        let h = || Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
        Recorder {
            hist: OPS.iter().map(|_| h()).collect(),
            errors: vec![0; OPS.len()],
            first_errors: Vec::new(),
        }
    }

    pub fn merge(&mut self, other: &Recorder) {
        for (a, b) in self.hist.iter_mut().zip(&other.hist) {
            a.add(b).expect("same bounds");
        }
        for (a, b) in self.errors.iter_mut().zip(&other.errors) {
            *a += b;
        }
        self.first_errors.extend(other.first_errors.iter().take(3).cloned());
    }
}

/// What the users of one organization share.
#[derive(Debug, Clone)]
pub struct OrgData {
    pub id: String,
    pub manager_id: String,
    pub sites: Vec<String>,
    /// Seeded work orders (read, commented on; never transitioned by the mix).
    pub work_orders: Vec<String>,
}

/// A logged-in simulated user.
pub struct User {
    pub org: Arc<OrgData>,
    pub token: String,
}

/// The two fields of a reply the mix uses; the rest of the body is parsed (so a malformed body
/// is an error) but not kept: the client shares the cores with the server, so it should spend
/// as little as it can.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Reply {
    pub id: Option<String>,
    pub version: Option<i64>,
}

pub async fn call<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Result<T, String> {
    let mut rb = http.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    send(rb).await
}

/// Sends a request; a non-2xx answer is an error quoting the start of its body, a 2xx answer
/// is parsed as `T`.
pub async fn send<T: serde::de::DeserializeOwned>(
    rb: reqwest::RequestBuilder,
) -> Result<T, String> {
    let res = rb.send().await.map_err(|e| e.to_string())?;
    let status = res.status();
    let bytes = res.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&bytes);
        return Err(format!("{status}: {}", text.chars().take(200).collect::<String>()));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("{status} with a bad body: {e}"))
}

pub async fn login(
    http: &reqwest::Client,
    base: &str,
    org: &str,
    email: &str,
) -> Result<Value, String> {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "org": org, "email": email, "password": crate::server::PASSWORD }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("login {email}: {}", res.status()));
    }
    res.json().await.map_err(|e| e.to_string())
}

const WORDS: [&str; 12] = [
    "pump", "valve", "motor", "belt", "leak", "seal", "bearing", "filter", "boiler", "fan", "door",
    "light",
];

/// A new work order's body: a title from a few words, a random site and priority.
pub fn new_work_order(org: &OrgData, rng: &mut fastrand::Rng, assigned: bool) -> Value {
    let title = format!(
        "{} {} check {}",
        WORDS[rng.usize(..WORDS.len())],
        WORDS[rng.usize(..WORDS.len())],
        rng.u32(..100_000)
    );
    let priority = ["low", "medium", "high", "urgent"][rng.usize(..4)];
    let assignees: Vec<&str> = if assigned { vec![&org.manager_id] } else { vec![] };
    json!({ "title": title, "site_id": org.sites[rng.usize(..org.sites.len())], "priority": priority, "assignees": assignees })
}

/// Creates `count` work orders for `org` through the API with `workers` concurrent requests.
pub async fn seed(
    http: &reqwest::Client,
    base: &str,
    org: &OrgData,
    token: &str,
    count: usize,
    workers: usize,
) -> Result<Vec<String>, String> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (http, base, token, next) =
            (http.clone(), base.to_string(), token.to_string(), next.clone());
        let template = OrgData {
            id: org.id.clone(),
            manager_id: org.manager_id.clone(),
            sites: org.sites.clone(),
            work_orders: Vec::new(),
        };
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(w as u64);
            let mut ids = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < count {
                let assigned = rng.bool();
                let body = new_work_order(&template, &mut rng, assigned);
                let wo: Reply = call(
                    &http,
                    reqwest::Method::POST,
                    format!("{base}/api/v1/work-orders"),
                    &token,
                    Some(body),
                )
                .await?;
                ids.push(wo.id.unwrap_or_default());
            }
            Ok::<_, String>(ids)
        }));
    }
    let mut all = Vec::with_capacity(count);
    for t in tasks {
        all.extend(t.await.map_err(|e| e.to_string())??);
    }
    Ok(all)
}

/// One simulated user: prepares its own work orders for transitions, then runs the mix until
/// `until`, recording only after `record_from`.
pub async fn run_user(
    http: reqwest::Client,
    base: String,
    user: User,
    seed: u64,
    record_from: Instant,
    until: Instant,
) -> Result<Recorder, String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let org = user.org.clone();
    let wo_url = |id: &str| format!("{base}/api/v1/work-orders/{id}");
    // Its own work orders, started, so transitions never race with another user's.
    let mut mine: Vec<(String, i64, bool)> = Vec::new();
    for _ in 0..3 {
        let wo: Reply = call(
            &http,
            reqwest::Method::POST,
            format!("{base}/api/v1/work-orders"),
            &user.token,
            Some(new_work_order(&org, &mut rng, true)),
        )
        .await?;
        let id = wo.id.unwrap_or_default();
        let started: Reply = call(
            &http,
            reqwest::Method::POST,
            format!("{}/transitions", wo_url(&id)),
            &user.token,
            Some(json!({ "to": "in_progress" })),
        )
        .await?;
        mine.push((id, started.version.unwrap_or(0), true));
    }
    let mut rec = Recorder::new();
    let mut turn = 0usize;
    loop {
        let now = Instant::now();
        if now >= until {
            break;
        }
        let roll = rng.u32(..100);
        let op = match roll {
            0..30 => 0,
            30..60 => 1,
            60..85 => 2,
            85..95 => 3,
            _ => 4,
        };
        let started = Instant::now();
        let result: Result<Reply, String> = match op {
            0 => {
                let status = ["open", "assigned"][rng.usize(..2)];
                let site = &org.sites[rng.usize(..org.sites.len())];
                call(
                    &http,
                    reqwest::Method::GET,
                    format!("{base}/api/v1/work-orders?site={site}&status={status}&limit=50"),
                    &user.token,
                    None,
                )
                .await
            }
            1 => {
                let id = &org.work_orders[rng.usize(..org.work_orders.len())];
                call(&http, reqwest::Method::GET, wo_url(id), &user.token, None).await
            }
            2 => {
                turn = (turn + 1) % mine.len();
                let (id, version, running) = &mine[turn];
                let body = if *running {
                    json!({ "to": "on_hold", "reason": "waiting for parts", "expected_version": version })
                } else {
                    json!({ "to": "in_progress", "expected_version": version })
                };
                let r: Result<Reply, String> = call(
                    &http,
                    reqwest::Method::POST,
                    format!("{}/transitions", wo_url(id)),
                    &user.token,
                    Some(body),
                )
                .await;
                if let Ok(wo) = &r {
                    let entry = &mut mine[turn];
                    entry.1 = wo.version.unwrap_or(entry.1);
                    entry.2 = !entry.2;
                }
                r
            }
            3 => {
                call(
                    &http,
                    reqwest::Method::POST,
                    format!("{base}/api/v1/work-orders"),
                    &user.token,
                    Some({
                        let assigned = rng.bool();
                        new_work_order(&org, &mut rng, assigned)
                    }),
                )
                .await
            }
            _ => {
                let id = &org.work_orders[rng.usize(..org.work_orders.len())];
                let body = json!({ "body": format!("checked, reading {}", rng.u32(..1000)) });
                call(
                    &http,
                    reqwest::Method::POST,
                    format!("{}/comments", wo_url(id)),
                    &user.token,
                    Some(body),
                )
                .await
            }
        };
        if started >= record_from {
            let micros = started.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
            let _ = rec.hist[op].record(micros.max(1));
            if let Err(e) = result {
                rec.errors[op] += 1;
                if rec.first_errors.len() < 3 {
                    rec.first_errors.push(format!("{}: {e}", OPS[op]));
                }
            }
        }
    }
    Ok(rec)
}

/// Waits out `d`, for the warm-up.
pub fn after(d: Duration) -> Instant {
    Instant::now() + d
}
