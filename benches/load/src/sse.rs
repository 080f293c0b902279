//! Event-stream delivery latency under load, with and without `TCP_NODELAY` on the server's
//! accepted connections (issue 16 item 6). For each setting: a server over the same database,
//! the mixed load of `mix.rs` on the two seeded organizations, and in a third, quiet
//! organization a probe that creates a work order every 100 ms while `SUBSCRIBERS` clients
//! follow its event stream (SSE). Reported: the time from sending the create to each
//! subscriber reading its `work_order.created` event (which includes the create's own time,
//! shown beside it), and the load's own throughput and p99; once without load and once with.

use crate::mix::{self, OrgData, Recorder, User};
use crate::server::{self, Server};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Clients following the probe organization's event stream.
const SUBSCRIBERS: usize = 4;
/// Time between the probe's creates.
const PROBE_EVERY: Duration = Duration::from_millis(100);

type Arrivals = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

/// Runs the comparison on `url` (whose organizations `orgs` were seeded already) and prints
/// one Markdown row per setting.
pub async fn run(
    bin: &Path,
    url: &str,
    orgs: &[Arc<OrgData>],
    conns: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<(), String> {
    let probe_org = server::seed_demo(bin, url).await?;
    println!(
        "| TCP_NODELAY | load connections | load req/s | load p99 ms | events | probe create p50 ms | SSE p50 ms | SSE p95 ms | SSE p99 ms | SSE max ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (conns, nodelay) in [(0, true), (0, false), (conns, true), (conns, false)] {
        let srv = Server::start_with(
            bin,
            url,
            &[("CMMS_TCP_NODELAY", if nodelay { "true" } else { "false" })],
        )
        .await?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(conns + 64)
            .build()
            .map_err(|e| e.to_string())?;
        let base = srv.base.clone();
        let session = mix::login(&http, &base, &probe_org.id, "manager@demo.test").await?;
        let token = session["access_token"].as_str().unwrap_or_default().to_string();
        let sites: Value =
            mix::call(&http, reqwest::Method::GET, format!("{base}/api/v1/sites"), &token, None)
                .await?;
        let site = sites[0]["id"].as_str().unwrap_or_default().to_string();

        let arrivals: Arrivals = Arc::default();
        let mut followers = Vec::new();
        for _ in 0..SUBSCRIBERS {
            // Its own client: a stream holds its connection for the whole run.
            let client = reqwest::Client::new();
            let req = client.get(format!("{base}/api/v1/events?after=0")).bearer_auth(&token);
            let res = req.send().await.map_err(|e| e.to_string())?;
            followers.push(tokio::spawn(follow(res, arrivals.clone())));
        }
        let mut users = Vec::new();
        for i in 0..conns {
            let org = orgs[i % orgs.len()].clone();
            let s = mix::login(&http, &base, &org.id, "manager@demo.test").await?;
            users.push(User { org, token: s["access_token"].as_str().unwrap_or_default().into() });
        }
        let record_from = mix::after(warmup);
        let until = record_from + duration;
        let load: Vec<_> = users
            .into_iter()
            .enumerate()
            .map(|(i, u)| {
                let (http, base) = (http.clone(), base.clone());
                tokio::spawn(mix::run_user(http, base, u, i as u64, record_from, until))
            })
            .collect();
        let sent = probe(&http, &base, &token, &site, record_from, until).await?;
        let mut total = Recorder::new();
        for t in load {
            total.merge(&t.await.map_err(|e| e.to_string())??);
        }
        // Give the last events a moment to arrive, then stop following.
        tokio::time::sleep(Duration::from_millis(500)).await;
        for f in followers {
            f.abort();
        }
        let mut sse = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
            .map_err(|e| e.to_string())?;
        let mut creates = sse.clone();
        let got = arrivals.lock().map_err(|_| "poisoned")?.clone();
        for (id, at, answered) in &sent {
            let us = answered.saturating_duration_since(*at).as_micros().max(1);
            creates.record(u64::try_from(us).unwrap_or(u64::MAX)).map_err(|e| e.to_string())?;
            for arrived in got.get(id).into_iter().flatten() {
                let us = arrived.saturating_duration_since(*at).as_micros().max(1);
                sse.record(u64::try_from(us).unwrap_or(u64::MAX)).map_err(|e| e.to_string())?;
            }
        }
        let mut all = creates.clone();
        all.reset();
        for h in &total.hist {
            all.add(h).map_err(|e| e.to_string())?;
        }
        let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "| {} | {conns} | {:.0} | {:.2} | {} of {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} |",
            if nodelay { "on" } else { "off" },
            all.len() as f64 / duration.as_secs_f64(),
            ms(&all, 0.99),
            sse.len(),
            sent.len() * SUBSCRIBERS,
            ms(&creates, 0.5),
            ms(&sse, 0.5),
            ms(&sse, 0.95),
            ms(&sse, 0.99),
            sse.max() as f64 / 1000.0
        );
        srv.stop().await;
    }
    Ok(())
}

/// Creates a work order every `PROBE_EVERY` between `from` and `until`; returns each one's id,
/// when its request was sent and when its answer came.
async fn probe(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    site: &str,
    from: Instant,
    until: Instant,
) -> Result<Vec<(String, Instant, Instant)>, String> {
    tokio::time::sleep_until(from.into()).await;
    let mut sent = Vec::new();
    let mut tick = tokio::time::interval(PROBE_EVERY);
    while Instant::now() < until {
        tick.tick().await;
        let at = Instant::now();
        let body = json!({ "title": "SSE probe", "site_id": site });
        let wo: mix::Reply = mix::call(
            http,
            reqwest::Method::POST,
            format!("{base}/api/v1/work-orders"),
            token,
            Some(body),
        )
        .await?;
        sent.push((wo.id.unwrap_or_default(), at, Instant::now()));
    }
    Ok(sent)
}

/// Reads an event stream, noting when each `work_order.created` event arrives.
async fn follow(mut res: reqwest::Response, arrivals: Arrivals) {
    let mut buf = String::new();
    while let Ok(Some(chunk)) = res.chunk().await {
        let now = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            for line in frame.lines() {
                let Some(data) = line.strip_prefix("data:") else { continue };
                let Ok(event) = serde_json::from_str::<Value>(data.trim()) else { continue };
                if event["kind"] == "work_order.created" {
                    let id = event["entity"]["id"].as_str().unwrap_or_default().to_string();
                    if let Ok(mut a) = arrivals.lock() {
                        a.entry(id).or_default().push(now);
                    }
                }
            }
        }
    }
}
