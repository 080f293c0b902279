//! Scale check: list and filter latency (a page of 50) at 10k, 100k and 1M work orders on
//! SQLite and PostgreSQL, p50 and p99: site + status, assignee, due-date sort, text searches
//! for a common word (1 in 8), a medium word (1 in 200), a rare word (1 in 10,000) and one that
//! matches nothing. Not a criterion bench: criterion reports
//! means, this reports percentiles as a markdown table on stdout.
//!
//! `CMMS_BENCH_SIZES=10000,100000` limits the sizes; `CMMS_BENCH_STORES=sqlite` the stores.
// Benchmarks: setup failures should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cmms_benches::fixture::Org;
use cmms_benches::stats::{Summary, measure, ms};
use cmms_benches::{machine, pg_seed, seedgen, sqlite_seed};
use cmms_core::Store;
use cmms_core::domain::status::WorkOrderStatus;
use cmms_core::rbac::Visibility;
use cmms_core::store::{
    Direction, WorkOrderFilter, WorkOrderQuery, WorkOrderSort, WorkOrderSortField,
};
use cmms_store_postgres::PgStore;
use cmms_store_sqlite::{SqliteOptions, SqliteStore};
use std::sync::Arc;
use std::time::Duration;

fn queries(org: &Org) -> Vec<(&'static str, WorkOrderFilter)> {
    let base = WorkOrderFilter::default();
    vec![
        (
            "site + status",
            WorkOrderFilter {
                status: vec![WorkOrderStatus::InProgress],
                site: Some(org.sites[0]),
                ..base.clone()
            },
        ),
        ("assignee", WorkOrderFilter { assignee: Some(org.users[7]), ..base.clone() }),
        (
            "due-date sort",
            WorkOrderFilter {
                sort: WorkOrderSort { field: WorkOrderSortField::Due, direction: Direction::Asc },
                ..base.clone()
            },
        ),
        (
            "text, common word",
            WorkOrderFilter { text: Some(seedgen::COMMON_WORD.into()), ..base.clone() },
        ),
        (
            "text, medium word",
            WorkOrderFilter { text: Some(seedgen::MEDIUM_WORD.into()), ..base.clone() },
        ),
        (
            "text, rare word",
            WorkOrderFilter { text: Some(seedgen::RARE_WORD.into()), ..base.clone() },
        ),
        ("text, no match", WorkOrderFilter { text: Some(seedgen::NO_MATCH_WORD.into()), ..base }),
    ]
}

async fn run(store: Arc<dyn Store>, org: &Org, label: &str, n: u64) {
    for (name, filter) in queries(org) {
        let q = WorkOrderQuery { filter, visibility: Visibility::all(), after: None, fetch: 50 };
        let rows = store.list_work_orders(org.id, &q).await.unwrap().len();
        let s: Summary = measure(2, 5, 300, Duration::from_secs(3), || {
            let store = store.clone();
            let q = q.clone();
            async move {
                store.list_work_orders(org.id, &q).await.unwrap();
            }
        })
        .await;
        println!(
            "| {label} | {n} | {name} | {rows} | {} | {} | {} |",
            ms(s.p50),
            ms(s.p99),
            s.runs
        );
    }
}

fn env_list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful either way.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes: Vec<u64> = env_list("CMMS_BENCH_SIZES", "10000,100000,1000000")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let stores = env_list("CMMS_BENCH_STORES", "sqlite,postgres");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    eprintln!("machine: {}", machine::describe());
    println!("| store | work orders | query | rows | p50 ms | p99 ms | runs |");
    println!("|---|---:|---|---:|---:|---:|---:|");
    for &n in &sizes {
        if stores.iter().any(|s| s == "sqlite") {
            rt.block_on(async {
                let (path, org) = sqlite_seed::seeded(n).await;
                let store = SqliteStore::open_with(&path, SqliteOptions::default()).await.unwrap();
                run(Arc::new(store), &org, "SQLite", n).await;
            });
        }
        if stores.iter().any(|s| s == "postgres") {
            rt.block_on(async {
                let (url, org) = pg_seed::seeded(n).await;
                eprintln!("PostgreSQL {}", machine::postgres_version(&url).await);
                let store = Arc::new(PgStore::connect_default(&url).await.unwrap());
                run(store.clone(), &org, "PostgreSQL", n).await;
                store.close().await;
                let mut c = cmms_store_postgres::testing::owner_connection(
                    cmms_store_postgres::testing::TestServer::get().await.url(),
                )
                .await;
                let db = url.rsplit('/').next().unwrap_or_default().to_string();
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
            });
        }
    }
}
