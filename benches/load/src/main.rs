//! `cmms-load`: the HTTP load benchmark. Starts the release `cmms` server on loopback (SQLite
//! file, then a throwaway PostgreSQL database), seeds work orders in two organizations through
//! the API, and drives the mixed workload of `mix.rs` at each concurrency for a fixed time.
//! Prints throughput, p50/p95/p99/max per operation, errors and the server's peak RSS as
//! Markdown tables (for `benches/BENCHMARKS.md`).
//!
//! ```text
//! cargo run --release -p cmms-load -- [--stores sqlite,postgres] [--connections 16,64,256]
//!     [--duration 20] [--warmup 5] [--work-orders 100000]
//! ```
#![allow(clippy::expect_used)] // a benchmark tool: histogram bounds are constants

mod mix;
mod server;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use mix::{OPS, OrgData, Recorder, User};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(about = "HTTP load benchmark of the cmms server")]
struct Args {
    /// Stores to run on.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    stores: Vec<String>,
    /// Concurrent connections (one simulated user each), one run per value.
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    connections: Vec<usize>,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Seconds of unmeasured warm-up per run (users prepare their work orders here).
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// Work orders seeded before the runs, split over two organizations.
    #[arg(long, default_value_t = 100_000)]
    work_orders: usize,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("cmms-load: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let bin = server::binary().await?;
    println!(
        "| store | connections | requests/s | op | count | p50 ms | p95 ms | p99 ms | max ms | errors | server peak RSS |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for store in &args.stores {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let url = match store.as_str() {
            "sqlite" => format!("sqlite:///{}", dir.path().join("load.db").display()),
            "postgres" => match std::env::var("CMMS_LOAD_DATABASE_URL") {
                Ok(u) => u,
                Err(_) => cmms_store_postgres::testing::TestServer::fresh_database().await,
            },
            other => return Err(format!("unknown store {other}: use sqlite or postgres")),
        };
        run_store(&args, &bin, store, &url).await?;
    }
    Ok(())
}

async fn run_store(
    args: &Args,
    bin: &std::path::Path,
    store: &str,
    url: &str,
) -> Result<(), String> {
    let seeded = [server::seed_demo(bin, url).await?, server::seed_demo(bin, url).await?];
    let srv = server::Server::start(bin, url).await?;
    let max = args.connections.iter().copied().max().unwrap_or(16);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(max + 64)
        .build()
        .map_err(|e| e.to_string())?;
    let base = srv.base.clone();
    let mut prepared = Vec::new();
    for s in &seeded {
        let session = mix::login(&http, &base, &s.id, "manager@demo.test").await?;
        let token = session["access_token"].as_str().unwrap_or_default().to_string();
        let manager_id = session["user"]["id"].as_str().unwrap_or_default().to_string();
        let sites: serde_json::Value =
            mix::call(&http, reqwest::Method::GET, format!("{base}/api/v1/sites"), &token, None)
                .await?;
        let sites: Vec<String> = sites
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect();
        prepared.push((
            OrgData { id: s.id.clone(), manager_id, sites, work_orders: Vec::new() },
            token,
        ));
    }
    // Both organizations seed at once: each org's commits serialize on its own heads.
    let started = Instant::now();
    let per_org = args.work_orders / prepared.len();
    let tasks: Vec<_> = prepared
        .iter()
        .map(|(org, token)| {
            let (http, base, org, token) = (http.clone(), base.clone(), org.clone(), token.clone());
            tokio::spawn(async move { mix::seed(&http, &base, &org, &token, per_org, 16).await })
        })
        .collect();
    let mut seeded_ids = Vec::new();
    for t in tasks {
        seeded_ids.push(t.await.map_err(|e| e.to_string())??);
    }
    let mut orgs = Vec::new();
    for ((mut org, _), ids) in prepared.into_iter().zip(seeded_ids) {
        org.work_orders = ids;
        orgs.push(Arc::new(org));
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{store}: seeded {} work orders through the API in {secs:.0} s ({:.0}/s)",
        args.work_orders,
        args.work_orders as f64 / secs
    );
    for &conns in &args.connections {
        let mut users = Vec::new();
        for i in 0..conns {
            let org = orgs[i % orgs.len()].clone();
            let session = mix::login(&http, &base, &org.id, "manager@demo.test").await?;
            users.push(User {
                org,
                token: session["access_token"].as_str().unwrap_or_default().to_string(),
            });
        }
        let record_from = mix::after(Duration::from_secs(args.warmup));
        let until = record_from + Duration::from_secs(args.duration);
        let tasks: Vec<_> = users
            .into_iter()
            .enumerate()
            .map(|(i, u)| {
                tokio::spawn(mix::run_user(
                    http.clone(),
                    base.clone(),
                    u,
                    i as u64,
                    record_from,
                    until,
                ))
            })
            .collect();
        let mut total = Recorder::new();
        for t in tasks {
            total.merge(&t.await.map_err(|e| e.to_string())??);
        }
        let count: u64 = total.hist.iter().map(|h| h.len()).sum();
        let rps = count as f64 / args.duration as f64;
        let rss = srv.peak_rss_mib().map_or_else(|| "?".into(), |m| format!("{m:.0} MiB"));
        let mut all = total.hist[0].clone();
        for h in &total.hist[1..] {
            all.add(h).expect("same bounds");
        }
        let errors: u64 = total.errors.iter().sum();
        let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "| {store} | {conns} | **{rps:.0}** | all | {count} | {:.2} | {:.2} | {:.2} | {:.1} | {errors} | {rss} |",
            ms(&all, 0.5),
            ms(&all, 0.95),
            ms(&all, 0.99),
            all.max() as f64 / 1000.0
        );
        for (i, op) in OPS.iter().enumerate() {
            let h = &total.hist[i];
            println!(
                "| | | | {op} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {} | |",
                h.len(),
                ms(h, 0.5),
                ms(h, 0.95),
                ms(h, 0.99),
                h.max() as f64 / 1000.0,
                total.errors[i]
            );
        }
        for e in &total.first_errors {
            eprintln!("  error: {e}");
        }
    }
    srv.stop().await;
    Ok(())
}
