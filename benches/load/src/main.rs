//! `cmms-load`: the HTTP load benchmark. Starts the release `cmms` server on loopback (SQLite
//! file, then a throwaway PostgreSQL database), seeds work orders in two organizations through
//! the API, and drives the mixed workload of `mix.rs` at each concurrency for a fixed time.
//! Prints throughput, p50/p95/p99/max per operation, errors and the server's peak RSS as
//! Markdown tables (for `benches/BENCHMARKS.md`).
//!
//! With `--peer`, it instead compares cmms on PostgreSQL with PostgREST 12 over a bare table
//! in the same database (`peer.rs`), operation by operation. With `--sse`, it measures event
//! stream delivery latency under the mixed load, with and without `TCP_NODELAY` (`sse.rs`).
//!
//! ```text
//! cargo run --release -p cmms-load -- [--stores sqlite,postgres] [--connections 16,64,256]
//!     [--duration 20] [--warmup 5] [--work-orders 100000]
//! cargo run --release -p cmms-load -- --peer --connections 8,64 --duration 10
//! cargo run --release -p cmms-load -- --sse --stores postgres --connections 64 --duration 10
//! ```
#![allow(clippy::expect_used)] // a benchmark tool: histogram bounds are constants

mod mix;
mod peer;
mod server;
mod sse;

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
    /// Compare cmms on PostgreSQL with PostgREST over a bare table instead of running the mix.
    #[arg(long)]
    peer: bool,
    /// Measure event-stream delivery latency under the mix, TCP_NODELAY on and off (at the
    /// first connection count).
    #[arg(long)]
    sse: bool,
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
    if args.peer {
        let url = postgres_url().await;
        return run_peer(&args, &bin, &url).await;
    }
    if args.sse {
        return run_sse(&args, &bin).await;
    }
    println!(
        "| store | connections | requests/s | op | count | p50 ms | p95 ms | p99 ms | max ms | errors | server peak RSS |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for store in &args.stores {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let url = store_url(store, dir.path()).await?;
        run_store(&args, &bin, store, &url).await?;
    }
    Ok(())
}

/// The database a run on `store` uses: a file in `dir`, or [`postgres_url`].
async fn store_url(store: &str, dir: &std::path::Path) -> Result<String, String> {
    match store {
        "sqlite" => Ok(format!("sqlite:///{}", dir.join("load.db").display())),
        "postgres" => Ok(postgres_url().await),
        other => Err(format!("unknown store {other}: use sqlite or postgres")),
    }
}

/// `CMMS_LOAD_DATABASE_URL`, or a fresh database on the test cluster (whose durability
/// settings are off unless `CMMS_TEST_PG_DURABLE=1`).
async fn postgres_url() -> String {
    match std::env::var("CMMS_LOAD_DATABASE_URL") {
        Ok(u) => u,
        Err(_) => cmms_store_postgres::testing::TestServer::fresh_database().await,
    }
}

/// The server started on `url` with two seeded organizations of `args.work_orders` work
/// orders together.
async fn prepare(
    args: &Args,
    bin: &std::path::Path,
    store: &str,
    url: &str,
) -> Result<(server::Server, reqwest::Client, Vec<Arc<OrgData>>), String> {
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
    if store == "postgres" {
        analyze(url).await?;
    }
    Ok((srv, http, orgs))
}

/// Fresh planner statistics before measuring, as a deployment has once autovacuum has passed
/// (the peer's script analyzes its table too). Without them the outcome depended on whether
/// autovacuum happened to analyze the tables during the seeding: plans made while
/// `work_orders` still looked empty (foreign-key checks and the assignee insert walking the
/// organization's rows through `work_orders_request`) made whole runs 2x slower.
async fn analyze(url: &str) -> Result<(), String> {
    use sqlx::Connection;
    let started = Instant::now();
    let mut c = sqlx::PgConnection::connect(url).await.map_err(|e| format!("analyze: {e}"))?;
    sqlx::raw_sql("ANALYZE").execute(&mut c).await.map_err(|e| format!("analyze: {e}"))?;
    let _ = c.close().await;
    eprintln!("postgres: ANALYZE in {:.1?}", started.elapsed());
    Ok(())
}

async fn run_store(
    args: &Args,
    bin: &std::path::Path,
    store: &str,
    url: &str,
) -> Result<(), String> {
    let (srv, http, orgs) = prepare(args, bin, store, url).await?;
    let base = srv.base.clone();
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

/// Event-stream latency with and without TCP_NODELAY, on each store.
async fn run_sse(args: &Args, bin: &std::path::Path) -> Result<(), String> {
    for store in &args.stores {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let url = store_url(store, dir.path()).await?;
        let (srv, _http, orgs) = prepare(args, bin, store, &url).await?;
        srv.stop().await;
        println!("\n{store}:\n");
        let conns = args.connections.first().copied().unwrap_or(64);
        let (warmup, duration) =
            (Duration::from_secs(args.warmup), Duration::from_secs(args.duration));
        sse::run(bin, &url, &orgs, conns, warmup, duration).await?;
    }
    Ok(())
}

/// cmms against PostgREST, operation by operation, at each connection count.
async fn run_peer(args: &Args, bin: &std::path::Path, url: &str) -> Result<(), String> {
    let (srv, http, orgs) = prepare(args, bin, "postgres", url).await?;
    let peer = peer::Peer::start(url, args.work_orders).await?;
    println!(
        "| op | connections | PostgREST req/s | cmms req/s | cmms / PostgREST | PostgREST p99 ms | cmms p99 ms | p99 cmms / PostgREST | errors (PostgREST / cmms) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (warmup, duration) = (Duration::from_secs(args.warmup), Duration::from_secs(args.duration));
    let mut turn = 0;
    for &conns in &args.connections {
        let mut cmms_sides = Vec::new();
        for i in 0..conns {
            let org = orgs[i % orgs.len()].clone();
            let session = mix::login(&http, &srv.base, &org.id, "manager@demo.test").await?;
            let token = session["access_token"].as_str().unwrap_or_default().to_string();
            cmms_sides.push(peer::Side::Cmms { base: srv.base.clone(), org, token });
        }
        let peer_sides = vec![peer::Side::Peer { base: peer.base.clone() }; conns];
        for op in peer::OPS {
            // Alternate which goes first, so a drift in the machine's speed favours neither.
            turn += 1;
            let (c, p) = if turn % 2 == 0 {
                let c = peer::cell(&http, &cmms_sides, op, warmup, duration).await?;
                (c, peer::cell(&http, &peer_sides, op, warmup, duration).await?)
            } else {
                let p = peer::cell(&http, &peer_sides, op, warmup, duration).await?;
                (peer::cell(&http, &cmms_sides, op, warmup, duration).await?, p)
            };
            let rps = |cell: &peer::Cell| cell.hist.len() as f64 / duration.as_secs_f64();
            let p99 = |cell: &peer::Cell| cell.hist.value_at_quantile(0.99) as f64 / 1000.0;
            println!(
                "| {op} | {conns} | {:.0} | {:.0} | **{:.2}×** | {:.2} | {:.2} | {:.2} | {} / {} |",
                rps(&p),
                rps(&c),
                rps(&c) / rps(&p).max(1e-9),
                p99(&p),
                p99(&c),
                p99(&c) / p99(&p).max(1e-9),
                p.errors,
                c.errors
            );
            for e in [&p.first_error, &c.first_error].into_iter().flatten() {
                eprintln!("  error: {e}");
            }
        }
    }
    peer.stop().await;
    srv.stop().await;
    Ok(())
}
