//! The SQLite store against its raw baseline (the same statements with rusqlite, no library):
//! create, transition with version check, get by id, list 50 newest by site + status and with
//! a text search (100,000 work orders), 1,000 creates in a loop, and a 10-write commit. The
//! database is a file in WAL mode, seeded once and cached (see `cmms_benches::sqlite_seed`).
// Benchmarks: setup failures should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use cmms_benches::fixture::{self, Org};
use cmms_benches::{seedgen, sqlite_raw, sqlite_seed};
use cmms_core::Store;
use cmms_core::clock::truncate_micros;
use cmms_core::domain::status::WorkOrderStatus;
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::rbac::Visibility;
use cmms_core::store::{WorkOrderFilter, WorkOrderQuery};
use cmms_store_sqlite::{SqliteOptions, SqliteStore};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Work orders in the seeded database.
const SEEDED: u64 = 100_000;

struct Setup {
    rt: tokio::runtime::Runtime,
    store: Arc<SqliteStore>,
    raw: rusqlite::Connection,
    org: Org,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (path, org) = rt.block_on(sqlite_seed::seeded_copy(SEEDED, dir.path()));
    // CMMS_BENCH_SQLITE_READERS changes the reader pool (default: the store's default).
    let mut options = SqliteOptions::default();
    if let Ok(n) = std::env::var("CMMS_BENCH_SQLITE_READERS") {
        options.readers = n.parse().expect("CMMS_BENCH_SQLITE_READERS is a number");
    }
    let store = Arc::new(rt.block_on(SqliteStore::open_with(&path, options)).unwrap());
    let raw = sqlite_raw::open(&path);
    eprintln!("machine: {}", cmms_benches::machine::describe());
    Setup { rt, store, raw, org, _dir: dir }
}

fn now() -> chrono::DateTime<Utc> {
    truncate_micros(Utc::now())
}

fn list_query(org: &Org, text: Option<&str>) -> WorkOrderQuery {
    WorkOrderQuery {
        filter: WorkOrderFilter {
            status: vec![WorkOrderStatus::InProgress],
            site: Some(org.sites[0]),
            text: text.map(str::to_string),
            ..WorkOrderFilter::default()
        },
        visibility: Visibility::all(),
        after: None,
        fetch: 50,
    }
}

fn benches(c: &mut Criterion) {
    let mut s = setup();
    let org = s.org.clone();
    let owner = org.owner_id();
    let store: Arc<dyn Store> = s.store.clone();

    // Reads first, on the seeded data as generated (the write benches add work orders).
    let first =
        s.rt.block_on(store.list_work_orders(org.id, &list_query(&org, None)))
            .unwrap()
            .into_iter()
            .next()
            .expect("a seeded work order");
    // The cross-thread hand-off alone: `schema_version` runs one pragma on a reader thread.
    let mut g = c.benchmark_group("sqlite/handoff");
    g.bench_function("store_schema_version", |b| {
        b.to_async(&s.rt).iter(|| {
            let store = store.clone();
            async move { store.schema_version().await.unwrap() }
        })
    });
    g.bench_function("raw_user_version", |b| {
        b.iter(|| s.raw.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite/get");
    let id = first.id;
    g.bench_function("store", |b| {
        b.to_async(&s.rt).iter(|| {
            let store = store.clone();
            async move { store.get_work_order(org.id, id).await.unwrap().unwrap() }
        })
    });
    g.bench_function("raw", |b| b.iter(|| sqlite_raw::get(&s.raw, org.id, id).unwrap()));
    g.finish();

    for (name, text) in [("list_site_status", None), ("list_text", Some(seedgen::COMMON_WORD))] {
        let mut g = c.benchmark_group(format!("sqlite/{name}"));
        let q = list_query(&org, text);
        let n = s.rt.block_on(store.list_work_orders(org.id, &q)).unwrap().len();
        let raw_n = sqlite_raw::list(&s.raw, org.id, org.sites[0], "in_progress", text).len();
        assert_eq!(n, raw_n, "store and raw lists differ");
        eprintln!("{name}: {n} rows per page of {SEEDED} work orders");
        g.bench_function("store", |b| {
            b.to_async(&s.rt).iter(|| {
                let store = store.clone();
                let q = q.clone();
                async move { store.list_work_orders(org.id, &q).await.unwrap() }
            })
        });
        g.bench_function("raw", |b| {
            b.iter(|| sqlite_raw::list(&s.raw, org.id, org.sites[0], "in_progress", text))
        });
        g.finish();
    }

    let mut g = c.benchmark_group("sqlite/create");
    let mut i = 0;
    g.bench_function("store", |b| {
        b.to_async(&s.rt).iter(|| {
            i += 1;
            let cs = fixture::create_changeset(&org, fixture::draft_work_order(&org, i, now()));
            let store = store.clone();
            async move { store.commit(org.id, cs).await.unwrap() }
        })
    });
    g.bench_function("raw", |b| {
        b.iter(|| {
            i += 1;
            let draft = fixture::draft_work_order(&org, i, now());
            sqlite_raw::create(&mut s.raw, draft, |wo| {
                let parts = fixture::create_parts(owner, &wo);
                (wo, parts)
            })
        })
    });
    g.finish();

    // Transition ping-pong (in_progress <-> on_hold), each side on its own work order.
    let mut g = c.benchmark_group("sqlite/transition");
    let mut wo: WorkOrder = s.rt.block_on(fixture::committed_work_order(&*store, &org, 1));
    g.bench_function("store", |b| {
        b.iter(|| {
            let (cs, after) = fixture::transition_changeset(&org.owner, &wo, now());
            s.rt.block_on(store.commit(org.id, cs)).unwrap();
            wo = after;
        })
    });
    let mut raw_wo: WorkOrder = s.rt.block_on(fixture::committed_work_order(&*store, &org, 2));
    g.bench_function("raw", |b| {
        b.iter(|| {
            let (after, parts) = fixture::transition_parts(&org.owner, &raw_wo, now());
            raw_wo = sqlite_raw::update(&mut s.raw, after, parts);
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite/create_1000");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("store", "sequential"), |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                s.rt.block_on(async {
                    for _ in 0..1000 {
                        i += 1;
                        let d = fixture::draft_work_order(&org, i, now());
                        store.commit(org.id, fixture::create_changeset(&org, d)).await.unwrap();
                    }
                });
            }
            started.elapsed()
        })
    });
    g.bench_function(BenchmarkId::new("raw", "sequential"), |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                for _ in 0..1000 {
                    i += 1;
                    let d = fixture::draft_work_order(&org, i, now());
                    sqlite_raw::create(&mut s.raw, d, |wo| {
                        let parts = fixture::create_parts(owner, &wo);
                        (wo, parts)
                    });
                }
            }
            started.elapsed()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sqlite/commit_10_writes");
    g.bench_function("store", |b| {
        b.iter(|| {
            let (cs, after) = fixture::ten_writes_changeset(&org.owner, &wo, now());
            s.rt.block_on(store.commit(org.id, cs)).unwrap();
            wo = after;
        })
    });
    g.bench_function("raw", |b| {
        b.iter(|| {
            let (after, parts) = fixture::ten_writes_parts(&org.owner, &raw_wo, now());
            raw_wo = sqlite_raw::update(&mut s.raw, after, parts);
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! { name = group; config = config(); targets = benches }
criterion_main!(group);
