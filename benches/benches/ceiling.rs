//! Per-org write ceiling: commits per second with 1, 4 and 16 concurrent writers all in ONE
//! organization (they serialize on its counter and chain heads) against the same writers
//! spread over as many organizations, on SQLite (one writer thread for everything) and
//! PostgreSQL (row locks per org). Each commit is a work-order create. Prints a markdown table.
// Benchmarks: setup failures should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use cmms_benches::fixture::{self, Org, make_org};
use cmms_benches::stats::{Summary, ms};
use cmms_benches::{machine, pg_seed};
use cmms_core::Store;
use cmms_core::clock::truncate_micros;
use cmms_store_postgres::{PgOptions, PgStore};
use cmms_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const WRITERS: [usize; 3] = [1, 4, 16];
const RUN_FOR: Duration = Duration::from_secs(4);

async fn orgs(store: Arc<dyn Store>, n: usize) -> Vec<Org> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(make_org(store.clone(), &format!("Ceiling Org {i}"), 3).await);
    }
    out
}

/// `writers` tasks committing creates for `RUN_FOR`, writer `w` into `orgs[w % orgs.len()]`.
async fn drive(store: Arc<dyn Store>, orgs: &[Org], writers: usize) -> (f64, Summary) {
    let counter = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        let org = orgs[w % orgs.len()].clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while started.elapsed() < RUN_FOR {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let now = truncate_micros(Utc::now());
                let cs = fixture::create_changeset(&org, fixture::draft_work_order(&org, i, now));
                let t = Instant::now();
                store.commit(org.id, cs).await.unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    (all.len() as f64 / secs, Summary::of(all))
}

async fn table(label: &str, store: Arc<dyn Store>) {
    let many = orgs(store.clone(), *WRITERS.iter().max().unwrap_or(&1)).await;
    for writers in WRITERS {
        for (spread, set) in [("one org", &many[..1]), ("one org each", &many[..writers])] {
            if writers == 1 && spread == "one org each" {
                continue;
            }
            let (rate, s) = drive(store.clone(), set, writers).await;
            println!(
                "| {label} | {writers} | {spread} | {rate:.0} | {} | {} |",
                ms(s.p50),
                ms(s.p99)
            );
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    eprintln!("machine: {}", machine::describe());
    println!("| store | writers | organizations | commits/s | p50 ms | p99 ms |");
    println!("|---|---:|---|---:|---:|---:|");
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("ceiling.db")).await.unwrap();
        store.migrate().await.unwrap();
        table("SQLite", Arc::new(store)).await;

        let url = pg_seed::fresh().await;
        eprintln!("PostgreSQL {}", machine::postgres_version(&url).await);
        // 16 writers need 16 connections (the default pool is 10).
        let options = PgOptions { max_connections: 20, ..PgOptions::default() };
        let pg = Arc::new(PgStore::connect(&url, options).await.unwrap());
        table("PostgreSQL", pg.clone()).await;
        pg.close().await;
    });
}
