//! PM generation at scale: one plan over every asset of a category, on 1,000 and 10,000 assets,
//! on SQLite (a file) and PostgreSQL. Times the first run (one work order per asset, each with
//! its checklist, slot, state, audit entry and events, one commit per asset) and the second run
//! (nothing left to do: it must be cheap, since every replica runs it every minute). Prints a
//! markdown table; `next_due` itself is timed by the `core` bench.
// Benchmarks: setup failures should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cmms_benches::fixture::{Org, make_org};
use cmms_benches::{machine, pg_seed};
use cmms_core::domain::asset::{Asset, NewAsset};
use cmms_core::domain::checklist::NewChecklistItem;
use cmms_core::domain::pm::NewPmPlan;
use cmms_core::service::GenerateRequest;
use cmms_core::{Changeset, Cmms, Store, Write};
use cmms_store_postgres::{PgOptions, PgStore};
use cmms_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Instant;

const SIZES: [usize; 2] = [1_000, 10_000];

/// `n` assets of category `cat` at the org's first site, committed in bulk.
async fn assets(store: &Arc<dyn Store>, org: &Org, n: usize, cat: &str) {
    let now = chrono::Utc::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1_000) {
        let mut cs = Changeset::new();
        for i in chunk {
            let input = NewAsset {
                name: format!("Pump {cat}-{i}"),
                code: format!("{cat}-{i}"),
                category: Some(cat.into()),
                ..NewAsset::default()
            };
            cs.push(Write::insert(Asset::create(org.id, org.sites[0], input, now).unwrap()));
        }
        store.commit(org.id, cs).await.unwrap();
    }
}

async fn table(label: &str, store: Arc<dyn Store>) {
    let org = make_org(store.clone(), &format!("PM {label}"), 3).await;
    let cmms = Cmms::new(store.clone());
    for n in SIZES {
        let cat = format!("c{n}");
        assets(&store, &org, n, &cat).await;
        let plan = NewPmPlan {
            site_id: org.sites[0],
            title: "Grease bearings".into(),
            description: None,
            wo_type: None,
            priority: None,
            estimated_hours: Some(0.5),
            checklist: vec![NewChecklistItem::new("Grease", true), NewChecklistItem::new("Inspect seals", false)],
            parts: Vec::new(),
            assignees: vec![org.users[1]],
            team_id: None,
            asset_ids: Vec::new(),
            category: Some(cat),
            schedule: serde_json::from_value(serde_json::json!({
                "triggers": [{ "kind": "calendar", "every": 1, "unit": "months", "time_of_day": "00:00:00" }],
                "starts_on": chrono::Utc::now().date_naive().to_string(),
            }))
            .unwrap(),
            active: None,
        };
        let plan = cmms.create_pm_plan(&org.owner, plan).await.unwrap();
        let request = GenerateRequest { plan_ids: vec![plan.id], ..GenerateRequest::default() };
        let t = Instant::now();
        let first = cmms.generate_due_pm(&org.owner, request.clone()).await.unwrap();
        let first_s = t.elapsed().as_secs_f64();
        assert_eq!(first.created.len(), n);
        let t = Instant::now();
        let second = cmms.generate_due_pm(&org.owner, request).await.unwrap();
        let second_s = t.elapsed().as_secs_f64();
        assert!(second.created.is_empty());
        println!("| {label} | {n} | {first_s:.2} | {:.0} | {:.3} |", n as f64 / first_s, second_s);
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    eprintln!("machine: {}", machine::describe());
    println!("| store | assets | first run s | work orders/s | second run s |");
    println!("|---|---:|---:|---:|---:|");
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("pm.db")).await.unwrap();
        store.migrate().await.unwrap();
        table("SQLite", Arc::new(store)).await;

        let url = pg_seed::fresh().await;
        eprintln!("PostgreSQL {}", machine::postgres_version(&url).await);
        let pg = Arc::new(PgStore::connect(&url, PgOptions::default()).await.unwrap());
        table("PostgreSQL", pg.clone()).await;
        pg.close().await;
    });
}
