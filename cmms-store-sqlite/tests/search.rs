//! The FTS5 index of migration 0008 against a real database: it follows inserts, updates,
//! deletes and VACUUM; rare words past the first phase's walk are found through the index, per
//! organization; and migrating an existing database fills the documents of its rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cmms_core::domain::work_order::WorkOrder;
use cmms_core::ids::*;
use cmms_core::rbac::Visibility;
use cmms_core::search;
use cmms_core::store::*;
use common::*;
use rusqlite::Connection;

fn query(text: &str, fetch: u32) -> WorkOrderQuery {
    WorkOrderQuery {
        filter: WorkOrderFilter { text: Some(text.into()), ..Default::default() },
        visibility: Visibility::all(),
        after: None,
        fetch,
    }
}

/// Numbers of the rows matching `text`, newest first, as the reference says.
fn reference(rows: &[WorkOrder], text: &str) -> Vec<String> {
    let mut hits: Vec<&WorkOrder> = rows
        .iter()
        .filter(|w| {
            search::matches(&search::document(&w.number, &w.title, w.description.as_deref()), text)
        })
        .collect();
    hits.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    hits.into_iter().map(|w| w.number.clone()).collect()
}

async fn found(db: &Db, org: OrgId, text: &str, fetch: u32) -> Vec<String> {
    let rows = db.store.list_work_orders(org, &query(text, fetch)).await.unwrap();
    rows.into_iter().map(|w| w.number).collect()
}

/// Record ids the FTS index itself returns for `text` (no first phase).
fn index_hits(path: &std::path::Path, text: &str) -> usize {
    let c = Connection::open(path).unwrap();
    let q = search::fts5_query(&search::query(text)).unwrap();
    c.query_row(
        "SELECT count(*) FROM work_order_fts f JOIN work_order_search_keys k \
         ON k.fts_rowid = f.rowid WHERE work_order_fts MATCH ?1",
        [q],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| usize::try_from(n).unwrap())
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_index_follows_updates_deletes_and_vacuum() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let mut rows = Vec::new();
    for i in 0..30_i64 {
        let mut wo = wo_rec(s.org, s.site.id, &format!("WO-{i:05}"));
        wo.title = ["Pump seal", "Valve stuck", "Grüße Halle", "Belt drive"][i as usize % 4].into();
        wo.created_at = at(i * 1000);
        put(&db.store, s.org, Write::insert(wo.clone())).await;
        rows.push(wo);
    }
    // Retitle two pumps, delete a valve.
    for i in [0, 4] {
        let mut wo = rows[i].clone();
        wo.title = "Impeller replaced".into();
        wo.version += 1;
        put(&db.store, s.org, Write::update(wo.clone())).await;
        rows[i] = wo;
    }
    let gone = rows.remove(1);
    put(&db.store, s.org, Write::delete::<WorkOrder>(gone.id)).await;
    for text in ["pump", "impeller", "valve", "grusse", "belt", "wo 0000", "zeppelin"] {
        assert_eq!(found(&db, s.org, text, 100).await, reference(&rows, text), "{text}");
        assert_eq!(index_hits(&db.path, text), reference(&rows, text).len(), "index {text}");
    }
    // VACUUM may renumber work_orders' rowids; the index keys its rows by its own table.
    Connection::open(&db.path).unwrap().execute_batch("VACUUM").unwrap();
    for text in ["pump", "impeller", "valve"] {
        assert_eq!(found(&db, s.org, text, 100).await, reference(&rows, text), "{text}");
        assert_eq!(index_hits(&db.path, text), reference(&rows, text).len(), "index {text}");
    }
    let c = Connection::open(&db.path).unwrap();
    c.execute("INSERT INTO work_order_fts (work_order_fts) VALUES ('integrity-check')", [])
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn rare_words_past_the_walk_are_found_through_the_index() {
    let db = db().await;
    let a = seed(&*db.store, "Acme").await;
    let b = seed(&*db.store, "Beta").await;
    let mut rows = Vec::new();
    let mut cs = Changeset::new();
    // The three rare rows are the oldest, so a walk of the newest 2,000 never reaches them.
    for i in 0..2_103_i64 {
        let mut wo = wo_rec(a.org, a.site.id, &format!("WO-{i:05}"));
        wo.title = if i < 3 { format!("Impeller {i}") } else { format!("Pump check {}", i % 7) };
        wo.created_at = at(i * 1000);
        cs.push(Write::insert(wo.clone()));
        rows.push(wo);
    }
    db.store.commit(a.org, cs).await.unwrap();
    let mut other = wo_rec(b.org, b.site.id, "WO-00001");
    other.title = "Impeller elsewhere".into();
    put(&db.store, b.org, Write::insert(other)).await;

    assert_eq!(found(&db, a.org, "impeller", 50).await, reference(&rows, "impeller"));
    assert_eq!(found(&db, a.org, "IMPELL", 2).await, reference(&rows, "impeller")[..2]);
    assert!(found(&db, a.org, "zeppelin", 50).await.is_empty());
    assert_eq!(found(&db, a.org, "pump", 50).await, reference(&rows, "pump")[..50]);
    // "check 3" fills no page of 50 within the walk (one row in seven): the index finishes it.
    assert_eq!(found(&db, a.org, "check 3", 400).await, reference(&rows, "check 3"));
    assert_eq!(found(&db, b.org, "impeller", 50).await, ["WO-00001"]);
    // Pages of a search past the walk: each page after the last one's key, none lost or doubled.
    let (mut pages, mut after) = (Vec::new(), None);
    loop {
        let q = WorkOrderQuery { after, ..query("check 3", 70) };
        let page = db.store.list_work_orders(a.org, &q).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(SortKey {
            value: Some(KeyValue::Int(last.created_at.timestamp_micros())),
            id: last.id.0,
        });
        pages.extend(page.into_iter().map(|w| w.number));
    }
    assert_eq!(pages, reference(&rows, "check 3"));
    let count = db.store.count_work_orders(a.org, &query("impeller", 50)).await.unwrap();
    assert_eq!(count, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn migrating_fills_the_documents_of_existing_rows() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let mut rows = Vec::new();
    for i in 0..5_i64 {
        let mut wo = wo_rec(s.org, s.site.id, &format!("WO-{i:05}"));
        wo.title = format!("Électricité {i}");
        wo.created_at = at(i * 1000);
        put(&db.store, s.org, Write::insert(wo.clone())).await;
        rows.push(wo);
    }
    db.store.migrate_down_to(6).await.unwrap();
    db.store.migrate().await.unwrap();
    assert_eq!(found(&db, s.org, "electricite", 50).await, reference(&rows, "electricite"));
    assert_eq!(found(&db, s.org, "wo", 50).await.len(), 5);
}
