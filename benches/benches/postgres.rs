//! The PostgreSQL store against its raw baseline (the same statements with sqlx, no library):
//! create, transition with version check, get by id, list 50 newest by site + status and with
//! a text search (100,000 work orders), 1,000 creates in a loop, and a 10-write commit. The
//! server is the throwaway cluster of `cmms_store_postgres::testing` (or
//! `CMMS_TEST_DATABASE_URL`).
// Benchmarks: setup failures should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use cmms_benches::fixture::{self, Org};
use cmms_benches::{pg_raw, pg_seed, seedgen};
use cmms_core::Store;
use cmms_core::clock::truncate_micros;
use cmms_core::domain::status::WorkOrderStatus;
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::rbac::Visibility;
use cmms_core::store::{WorkOrderFilter, WorkOrderQuery};
use cmms_store_postgres::PgStore;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Work orders in the seeded database.
const SEEDED: u64 = 100_000;

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
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (url, org) = rt.block_on(pg_seed::seeded(SEEDED));
    eprintln!(
        "machine: {}, PostgreSQL {}",
        cmms_benches::machine::describe(),
        rt.block_on(cmms_benches::machine::postgres_version(&url))
    );
    let pg = Arc::new(rt.block_on(PgStore::connect_default(&url)).unwrap());
    let store: Arc<dyn Store> = pg.clone();
    let raw = rt.block_on(pg_raw::pool(&url, 10));
    let owner = org.owner_id();

    // Reads first, on the seeded data as generated (the write benches add work orders).
    let first = rt
        .block_on(store.list_work_orders(org.id, &list_query(&org, None)))
        .unwrap()
        .into_iter()
        .next()
        .expect("a seeded work order");
    let mut g = c.benchmark_group("postgres/get");
    let id = first.id;
    g.bench_function("store", |b| {
        b.to_async(&rt).iter(|| {
            let store = store.clone();
            let org = org.id;
            async move { store.get_work_order(org, id).await.unwrap().unwrap() }
        })
    });
    g.bench_function("raw", |b| {
        b.to_async(&rt).iter(|| {
            let raw = raw.clone();
            let org = org.id;
            async move { pg_raw::get(&raw, org, id).await.unwrap() }
        })
    });
    g.finish();

    for (name, text) in [("list_site_status", None), ("list_text", Some(seedgen::COMMON_WORD))] {
        let mut g = c.benchmark_group(format!("postgres/{name}"));
        let q = list_query(&org, text);
        let n = rt.block_on(store.list_work_orders(org.id, &q)).unwrap().len();
        let raw_n =
            rt.block_on(pg_raw::list(&raw, org.id, org.sites[0], "in_progress", text)).len();
        assert_eq!(n, raw_n, "store and raw lists differ");
        eprintln!("{name}: {n} rows per page of {SEEDED} work orders");
        g.bench_function("store", |b| {
            b.to_async(&rt).iter(|| {
                let store = store.clone();
                let q = q.clone();
                let org = org.id;
                async move { store.list_work_orders(org, &q).await.unwrap() }
            })
        });
        let site = org.sites[0];
        g.bench_function("raw", |b| {
            b.to_async(&rt).iter(|| {
                let raw = raw.clone();
                let org = org.id;
                async move { pg_raw::list(&raw, org, site, "in_progress", text).await }
            })
        });
        g.finish();
    }

    let mut g = c.benchmark_group("postgres/create");
    let mut i = 0;
    g.bench_function("store", |b| {
        b.to_async(&rt).iter(|| {
            i += 1;
            let cs = fixture::create_changeset(&org, fixture::draft_work_order(&org, i, now()));
            let store = store.clone();
            let org = org.id;
            async move { store.commit(org, cs).await.unwrap() }
        })
    });
    g.bench_function("raw", |b| {
        b.to_async(&rt).iter(|| {
            i += 1;
            let draft = fixture::draft_work_order(&org, i, now());
            let raw = raw.clone();
            async move {
                pg_raw::create(&raw, draft, |wo| {
                    let parts = fixture::create_parts(owner, &wo);
                    (wo, parts)
                })
                .await
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("postgres/transition");
    let mut wo: WorkOrder = rt.block_on(fixture::committed_work_order(&*store, &org, 1));
    g.bench_function("store", |b| {
        b.iter(|| {
            let (cs, after) = fixture::transition_changeset(&org.owner, &wo, now());
            rt.block_on(store.commit(org.id, cs)).unwrap();
            wo = after;
        })
    });
    let mut raw_wo: WorkOrder = rt.block_on(fixture::committed_work_order(&*store, &org, 2));
    g.bench_function("raw", |b| {
        b.iter(|| {
            let (after, parts) = fixture::transition_parts(&org.owner, &raw_wo, now());
            raw_wo = rt.block_on(pg_raw::update(&raw, after, parts));
        })
    });
    g.finish();

    let mut g = c.benchmark_group("postgres/create_1000");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("store", "sequential"), |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                rt.block_on(async {
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
                rt.block_on(async {
                    for _ in 0..1000 {
                        i += 1;
                        let d = fixture::draft_work_order(&org, i, now());
                        pg_raw::create(&raw, d, |wo| {
                            let parts = fixture::create_parts(owner, &wo);
                            (wo, parts)
                        })
                        .await;
                    }
                });
            }
            started.elapsed()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("postgres/commit_10_writes");
    g.bench_function("store", |b| {
        b.iter(|| {
            let (cs, after) = fixture::ten_writes_changeset(&org.owner, &wo, now());
            rt.block_on(store.commit(org.id, cs)).unwrap();
            wo = after;
        })
    });
    g.bench_function("raw", |b| {
        b.iter(|| {
            let (after, parts) = fixture::ten_writes_parts(&org.owner, &raw_wo, now());
            raw_wo = rt.block_on(pg_raw::update(&raw, after, parts));
        })
    });
    g.finish();
    rt.block_on(pg.close());
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! { name = group; config = config(); targets = benches }
criterion_main!(group);
