//! Side by side with the peer (issue 16): cmms on PostgreSQL against PostgREST 12 over a bare
//! `work_orders` table of the same size in the same database, each driven by the same client
//! with the same connection count, one operation at a time (list 50 newest by site + status,
//! create returning the row, optimistic transition), the two cells of each pair run back to
//! back with the order alternating so noise hits both alike.

use crate::mix::{self, OrgData, Reply};
use hdrhistogram::Histogram;
use serde_json::json;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The operations compared.
pub const OPS: [&str; 3] = ["list", "create", "transition"];

/// PostgREST, started by `benches/peer/postgrest.sh` against the cmms database.
pub struct Peer {
    child: Child,
    pub base: String,
}

impl Peer {
    /// Sets the peer up in `url`'s database with `rows` seeded rows and waits until its schema
    /// cache is loaded.
    pub async fn start(url: &str, rows: usize) -> Result<Peer, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../peer/postgrest.sh");
        let port = free_port()?;
        let admin = free_port()?;
        let child = Command::new("bash")
            .arg(&script)
            .env("PEER_DATABASE_URL", url)
            .env("PEER_PORT", port.to_string())
            .env("PEER_ADMIN_PORT", admin.to_string())
            .env("PEER_SEED", rows.to_string())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", script.display()))?;
        let http = reqwest::Client::new();
        let ready = format!("http://127.0.0.1:{admin}/ready");
        let deadline = Instant::now() + Duration::from_secs(300);
        while Instant::now() < deadline {
            if http.get(&ready).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(Peer { child, base: format!("http://127.0.0.1:{port}") });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("PostgREST was not ready within 300 s (see its output above)".into())
    }

    /// Stops PostgREST.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// The seeded peer rows' sites (see benches/peer/README.md).
fn peer_sites() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for o in 1..=2 {
        for s in 1..=4 {
            out.push((
                format!("00000000-0000-4000-8000-00000000000{o}"),
                format!("00000000-0000-4000-9000-0000000000{o}{s}"),
            ));
        }
    }
    out
}

/// Who drives one connection.
#[derive(Clone)]
pub enum Side {
    /// cmms, as a logged-in manager of `org`.
    Cmms { base: String, org: Arc<OrgData>, token: String },
    /// PostgREST, anonymous.
    Peer { base: String },
}

/// One cell's outcome.
pub struct Cell {
    pub hist: Histogram<u64>,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Side {
    /// Creates a work order (`assigned` to the manager: one that may start at once).
    async fn create(
        &self,
        http: &reqwest::Client,
        rng: &mut fastrand::Rng,
        assigned: bool,
    ) -> Result<Reply, String> {
        match self {
            Side::Cmms { base, org, token } => {
                let body = mix::new_work_order(org, rng, assigned);
                mix::call(
                    http,
                    reqwest::Method::POST,
                    format!("{base}/api/v1/work-orders"),
                    token,
                    Some(body),
                )
                .await
            }
            Side::Peer { base } => {
                let sites = peer_sites();
                let (org, site) = &sites[rng.usize(..sites.len())];
                let priority = ["low", "medium", "high", "urgent"][rng.usize(..4)];
                let body = json!({
                    "org_id": org, "site_id": site, "number": format!("P-{}", rng.u32(..1_000_000)),
                    "title": format!("pump seal check {}", rng.u32(..100_000)),
                    "status": "open", "priority": priority,
                });
                one(peer_call(
                    http,
                    reqwest::Method::POST,
                    format!("{base}/work_orders"),
                    Some(body),
                )
                .await)
            }
        }
    }

    async fn list(&self, http: &reqwest::Client, rng: &mut fastrand::Rng) -> Result<(), String> {
        match self {
            Side::Cmms { base, org, token } => {
                let site = &org.sites[rng.usize(..org.sites.len())];
                let url = format!("{base}/api/v1/work-orders?site={site}&status=open&limit=50");
                mix::call::<serde::de::IgnoredAny>(http, reqwest::Method::GET, url, token, None)
                    .await
                    .map(drop)
            }
            Side::Peer { base } => {
                let sites = peer_sites();
                let site = &sites[rng.usize(..sites.len())].1;
                let url = format!(
                    "{base}/work_orders?site_id=eq.{site}&status=eq.open&order=created_at.desc&limit=50"
                );
                peer_call(http, reqwest::Method::GET, url, None).await.map(drop)
            }
        }
    }

    /// Moves `wo` between in progress and on hold, guarded by its version.
    async fn transition(
        &self,
        http: &reqwest::Client,
        wo: &mut (String, i64, bool),
    ) -> Result<(), String> {
        let (id, version, running) = wo;
        let next = match self {
            Side::Cmms { base, token, .. } => {
                let body = if *running {
                    json!({ "to": "on_hold", "reason": "waiting for parts", "expected_version": version })
                } else {
                    json!({ "to": "in_progress", "expected_version": version })
                };
                let url = format!("{base}/api/v1/work-orders/{id}/transitions");
                let r: Reply =
                    mix::call(http, reqwest::Method::POST, url, token, Some(body)).await?;
                r.version.unwrap_or(*version)
            }
            Side::Peer { base } => {
                let to = if *running { "on_hold" } else { "in_progress" };
                let url = format!("{base}/work_orders?id=eq.{id}&version=eq.{version}");
                let body = json!({ "status": to, "version": *version + 1, "updated_at": "now" });
                let r = one(peer_call(http, reqwest::Method::PATCH, url, Some(body)).await)?;
                r.version.unwrap_or(*version)
            }
        };
        *version = next;
        *running = !*running;
        Ok(())
    }
}

async fn peer_call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<serde_json::Value>,
) -> Result<Vec<Reply>, String> {
    let mut rb = http.request(method, url).header("Prefer", "return=representation");
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    mix::send(rb).await
}

/// The one row a write answers with; none means the guarded row did not match (stale).
fn one(rows: Result<Vec<Reply>, String>) -> Result<Reply, String> {
    rows?.into_iter().next().ok_or_else(|| "no row: the version was stale".to_string())
}

/// Runs `op` on `conns` connections of `sides` for `duration` after `warmup`.
pub async fn cell(
    http: &reqwest::Client,
    sides: &[Side],
    op: &str,
    warmup: Duration,
    duration: Duration,
) -> Result<Cell, String> {
    let record_from = Instant::now() + warmup;
    let until = record_from + duration;
    let tasks: Vec<_> = sides
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, side)| {
            let (http, op) = (http.clone(), op.to_string());
            tokio::spawn(async move { drive(http, side, &op, i as u64, record_from, until).await })
        })
        .collect();
    let mut total = Cell { hist: histogram(), errors: 0, first_error: None };
    for t in tasks {
        let c = t.await.map_err(|e| e.to_string())??;
        total.hist.add(&c.hist).map_err(|e| e.to_string())?;
        total.errors += c.errors;
        total.first_error = total.first_error.or(c.first_error);
    }
    Ok(total)
}

fn histogram() -> Histogram<u64> {
    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

async fn drive(
    http: reqwest::Client,
    side: Side,
    op: &str,
    seed: u64,
    record_from: Instant,
    until: Instant,
) -> Result<Cell, String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    // Transitions move the connection's own rows, so no two connections race for one.
    let mut mine = Vec::new();
    if op == "transition" {
        for _ in 0..3 {
            let r = side.create(&http, &mut rng, true).await?;
            let mut wo = (r.id.unwrap_or_default(), r.version.unwrap_or(1), false);
            side.transition(&http, &mut wo).await?;
            mine.push(wo);
        }
    }
    let mut cell = Cell { hist: histogram(), errors: 0, first_error: None };
    let mut turn = 0;
    while Instant::now() < until {
        let started = Instant::now();
        let result = match op {
            "list" => side.list(&http, &mut rng).await,
            "create" => side.create(&http, &mut rng, false).await.map(drop),
            _ => {
                turn = (turn + 1) % mine.len();
                side.transition(&http, &mut mine[turn]).await
            }
        };
        if started >= record_from {
            let micros = started.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
            let _ = cell.hist.record(micros.max(1));
            if let Err(e) = result {
                cell.errors += 1;
                cell.first_error.get_or_insert(e);
            }
        }
    }
    Ok(cell)
}
