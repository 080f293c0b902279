//! Inventory at 100,000 parts × 10 stock locations (1M stock rows, 1% of them low), on SQLite
//! (a file) and PostgreSQL, each next to the raw SQL a hand-written application would run
//! (`cmms_benches::inventory`): issuing one unit to a work order (`change_work_order_parts`:
//! line, stock delta, movement, audit and events in one commit) and the first page (50) of one
//! location's low-stock list (`low_stock`). Prints the seeding time and the query plans of the
//! low-stock query (the store's SELECT and the raw one; on PostgreSQL as the app role, so
//! row-level security applies). `CMMS_BENCH_STORES=sqlite` or `=postgres` runs one store.
// Benchmarks: setup failures should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use cmms_benches::inventory::{self, Inventory, IssueTarget, LowRow, PlanParam};
use cmms_benches::{fixture, machine, pg_raw, pg_seed, sqlite_raw};
use cmms_core::domain::inventory::{PartAction, PartsRequest, Quantity};
use cmms_core::service::LowStockQuery;
use cmms_core::{Actor, Cmms, Store};
use cmms_store_postgres::PgStore;
use cmms_store_sqlite::SqliteStore;
use criterion::{Criterion, criterion_group, criterion_main};
use sqlx::Executor;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Parts in the catalogue.
const PARTS: usize = 100_000;
/// Stock locations, each stocking every part.
const LOCATIONS: usize = 10;
/// The location whose low-stock list is read (the issues go to the first).
const LIST_AT: usize = 3;

fn wanted(store: &str) -> bool {
    std::env::var("CMMS_BENCH_STORES").map_or(true, |v| v.split(',').any(|s| s == store))
}

/// What both stores' benches share after seeding.
struct Bench {
    cmms: Cmms,
    owner: Actor,
    inv: Inventory,
    library_wo: cmms_core::WorkOrderId,
    raw: IssueTarget,
}

async fn prepare(store: Arc<dyn Store>, label: &str) -> Bench {
    let started = Instant::now();
    let inv = inventory::seed(store.clone(), PARTS, LOCATIONS).await;
    eprintln!(
        "{label}: seeded {PARTS} parts x {LOCATIONS} locations ({} stock rows) in {:.1?}",
        PARTS * LOCATIONS,
        started.elapsed()
    );
    let org = &inv.org;
    let library_wo = fixture::committed_work_order(&*store, org, 1).await;
    let raw_wo = fixture::committed_work_order(&*store, org, 2).await;
    let raw = IssueTarget {
        wo: raw_wo,
        part: inv.parts[1],
        location: inv.locations[0].clone(),
        actor: org.owner_id(),
    };
    Bench { cmms: Cmms::new(store), owner: org.owner.clone(), library_wo: library_wo.id, raw, inv }
}

fn issue_request(b: &Bench) -> PartsRequest {
    PartsRequest {
        action: PartAction::Issue,
        part_id: b.inv.parts[0],
        location_id: b.inv.locations[0].id,
        quantity: Some(Quantity::units(1)),
    }
}

fn low_query(b: &Bench) -> LowStockQuery {
    LowStockQuery { location: Some(b.inv.locations[LIST_AT].id), ..LowStockQuery::default() }
}

/// The library's page as (stock id, consumed), checked against the raw page.
async fn same_page(b: &Bench, raw: &[LowRow]) {
    let page = b.cmms.low_stock(&b.owner, low_query(b)).await.unwrap();
    let lib: Vec<_> = page.items.iter().map(|i| (i.stock.id.0, i.consumed.thousandths())).collect();
    let raw: Vec<_> = raw.iter().map(|r| (r.stock_id, r.consumed)).collect();
    assert_eq!(lib.len(), 50, "a full first page");
    assert_eq!(lib, raw, "library and raw low-stock pages differ");
}

fn since() -> chrono::DateTime<Utc> {
    Utc::now() - chrono::TimeDelta::days(30)
}

/// The statements whose plans are printed: the store's low-stock SELECT, its read of one
/// row's movements (for a low row of the listed location), and the raw query.
fn plans(b: &Bench, hint: &str) -> Vec<(&'static str, String, Vec<PlanParam>)> {
    let org = PlanParam::Uuid(b.inv.org.id.0);
    let loc = PlanParam::Uuid(b.inv.locations[LIST_AT].id.0);
    let low_part = (0..PARTS).find(|p| inventory::is_low(*p, LIST_AT)).unwrap();
    let part = PlanParam::Uuid(b.inv.parts[low_part].0);
    let since = PlanParam::Time(since());
    vec![
        (
            "the store's low-stock SELECT",
            inventory::STORE_LOW_STOCK_SQL.to_string(),
            vec![org, loc, PlanParam::Int(51)],
        ),
        (
            "the store's movements of one row",
            inventory::STORE_CONSUMED_SQL.to_string(),
            vec![org, part, loc, since],
        ),
        ("the raw low-stock query", inventory::raw_low_stock_sql(hint), vec![org, loc, since]),
        (
            "the store's stock-row read of an issue",
            inventory::STORE_STOCK_ROW_SQL.to_string(),
            vec![
                org,
                PlanParam::Uuid(b.inv.parts[0].0),
                PlanParam::Uuid(b.inv.locations[0].id.0),
                PlanParam::Int(1),
            ],
        ),
    ]
}

fn sqlite(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.db");
    let store = rt.block_on(SqliteStore::open(&path)).unwrap();
    rt.block_on(store.migrate()).unwrap();
    let b = rt.block_on(prepare(Arc::new(store), "SQLite"));
    let mut raw = sqlite_raw::open(&path);
    let (org, loc) = (b.inv.org.id, b.inv.locations[LIST_AT].id);
    for (name, sql, params) in plans(&b, inventory::SQLITE_HINT) {
        let plan = inventory::sqlite::plan(&raw, &sql, &params);
        eprintln!("SQLite plan of {name}:\n  {}", plan.join("\n  "));
    }
    let rows = inventory::sqlite::low_stock(&raw, org, loc, since());
    rt.block_on(same_page(&b, &rows));

    let mut g = c.benchmark_group("inventory_sqlite/low_stock");
    g.bench_function("library", |bn| {
        bn.to_async(rt).iter(|| b.cmms.low_stock(&b.owner, low_query(&b)));
    });
    g.bench_function("raw", |bn| {
        bn.iter(|| inventory::sqlite::low_stock(&raw, org, loc, since()));
    });
    g.finish();

    let mut g = c.benchmark_group("inventory_sqlite/issue");
    let req = issue_request(&b);
    g.bench_function("library", |bn| {
        bn.to_async(rt).iter(|| async {
            b.cmms.change_work_order_parts(&b.owner, b.library_wo, req.clone()).await.unwrap()
        });
    });
    g.bench_function("raw", |bn| {
        bn.iter(|| inventory::sqlite::issue(&mut raw, &b.raw, Quantity::units(1)));
    });
    g.finish();
}

fn postgres(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let url = rt.block_on(pg_seed::fresh());
    eprintln!("PostgreSQL {}", rt.block_on(machine::postgres_version(&url)));
    let pg = Arc::new(rt.block_on(PgStore::connect_default(&url)).unwrap());
    let b = rt.block_on(prepare(pg.clone(), "PostgreSQL"));
    let started = Instant::now();
    rt.block_on(async {
        let mut owner = cmms_store_postgres::testing::owner_connection(&url).await;
        owner.execute("ANALYZE").await.expect("analyze");
    });
    eprintln!("PostgreSQL: ANALYZE in {:.1?}", started.elapsed());
    let raw = rt.block_on(pg_raw::pool(&url, 10));
    let (org, loc) = (b.inv.org.id, b.inv.locations[LIST_AT].id);
    for (name, sql, params) in plans(&b, "") {
        let plan = rt.block_on(inventory::pg::plan(&raw, &sql, org, &params));
        eprintln!("PostgreSQL plan of {name}:\n  {}", plan.join("\n  "));
    }
    let rows = rt.block_on(inventory::pg::low_stock(&raw, org, loc, since()));
    rt.block_on(same_page(&b, &rows));

    let mut g = c.benchmark_group("inventory_postgres/low_stock");
    g.bench_function("library", |bn| {
        bn.to_async(rt).iter(|| b.cmms.low_stock(&b.owner, low_query(&b)));
    });
    g.bench_function("raw", |bn| {
        bn.to_async(rt).iter(|| inventory::pg::low_stock(&raw, org, loc, since()));
    });
    g.finish();

    let mut g = c.benchmark_group("inventory_postgres/issue");
    let req = issue_request(&b);
    g.bench_function("library", |bn| {
        bn.to_async(rt).iter(|| async {
            b.cmms.change_work_order_parts(&b.owner, b.library_wo, req.clone()).await.unwrap()
        });
    });
    g.bench_function("raw", |bn| {
        bn.to_async(rt).iter(|| inventory::pg::issue(&raw, &b.raw, Quantity::units(1)));
    });
    g.finish();
    rt.block_on(pg.close());
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    eprintln!("machine: {}", machine::describe());
    if wanted("sqlite") {
        sqlite(c, &rt);
    }
    if wanted("postgres") {
        postgres(c, &rt);
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! { name = group; config = config(); targets = benches }
criterion_main!(group);
