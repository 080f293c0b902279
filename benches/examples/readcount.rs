//! Reads and writes through the SQLite store for an instruction count under callgrind, which
//! (unlike wall-clock time on a shared 2-core machine) repeats to the instruction:
//! `readcount N get` runs N reads of one work order by id, `readcount N list` N lists of 50,
//! `readcount N create` N creates through `Cmms::create_work_order`, after seeding 60 work
//! orders. Subtract a `readcount 0 get` run for the setup (see BENCHMARKS.md):
//!
//! ```text
//! cargo build --release -p cmms-benches --example readcount
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out target/release/examples/readcount 2000 get
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use cmms_core::Cmms;
use cmms_core::domain::org::NewOrg;
use cmms_core::domain::site::NewSite;
use cmms_core::domain::work_order::NewWorkOrder;
use cmms_core::store::Store;
use cmms_store_sqlite::SqliteStore;
use std::sync::Arc;

fn main() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let store = Arc::new(SqliteStore::open(dir.path().join("x.db")).await.unwrap());
        store.migrate().await.unwrap();
        let cmms = Cmms::new(store.clone());
        let boot = cmms
            .bootstrap_org(NewOrg {
                name: "Acme".into(),
                owner_name: "O".into(),
                owner_email: "o@acme.test".into(),
                ..NewOrg::default()
            })
            .await
            .unwrap();
        let owner = cmms.actor(boot.org.id, boot.owner.id).await.unwrap();
        let site = cmms
            .create_site(
                &owner,
                NewSite { name: "P".into(), code: "P1".into(), ..NewSite::default() },
            )
            .await
            .unwrap();
        let mut id = None;
        for i in 0..60 {
            let wo = cmms
                .create_work_order(
                    &owner,
                    NewWorkOrder {
                        title: format!("Pump {i}"),
                        site_id: Some(site.id),
                        assignees: vec![boot.owner.id],
                        ..NewWorkOrder::default()
                    },
                )
                .await
                .unwrap();
            id = Some(wo.id);
        }
        let id = id.unwrap();
        let store: Arc<dyn Store> = store;
        let mode = std::env::args().nth(2).unwrap_or_default();
        for _ in 0..n {
            if mode == "create" {
                let input = NewWorkOrder {
                    title: "Pump".into(),
                    site_id: Some(site.id),
                    assignees: vec![boot.owner.id],
                    ..NewWorkOrder::default()
                };
                std::hint::black_box(cmms.create_work_order(&owner, input).await.unwrap());
            } else if mode == "list" {
                let q = cmms_core::store::WorkOrderQuery {
                    filter: Default::default(),
                    visibility: cmms_core::rbac::Visibility::all(),
                    after: None,
                    fetch: 50,
                };
                std::hint::black_box(store.list_work_orders(boot.org.id, &q).await.unwrap());
            } else {
                std::hint::black_box(store.get_work_order(boot.org.id, id).await.unwrap());
            }
        }
    });
}
