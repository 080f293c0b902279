//! Group commit on a real file: commits that wait in the writer's queue share one transaction,
//! yet each stays atomic, a failing one fails alone (the group re-runs its members one by one,
//! whether the failure is in a changeset or at the group's COMMIT), and numbers, the audit
//! chain and events stay exact.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cmms_core::StoreError;
use cmms_core::domain::audit::ChainVerifier;
use cmms_core::domain::event::EventKind;
use cmms_core::store::*;
use cmms_core::{OrgId, SiteId};
use cmms_store_sqlite::{SqliteOptions, SqliteStore};
use common::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn numbered_wo(org: OrgId, site: SiteId) -> Changeset {
    Changeset::new().with_numbers(vec!["work_order:2026".into()], move |n| {
        let wo = wo_rec(org, site, &format!("WO-2026-{:05}", n[0]));
        vec![
            Write::InsertWorkOrder(wo.clone()),
            Write::AppendAudit(audit("work_order.create", wo.id, json!({"number": wo.number}))),
            Write::AppendEvent(event(EventKind::WorkOrderCreated, wo.id, json!({"n": n[0]}))),
        ]
    })
}

/// Commits `changesets` while another connection holds the write lock, so that all but the
/// first queue up behind it and reach the writer together; results in the given order.
async fn queued(
    store: &Arc<SqliteStore>,
    path: &std::path::Path,
    org: OrgId,
    changesets: Vec<Changeset>,
) -> Vec<Result<Receipt, StoreError>> {
    let other = rusqlite::Connection::open(path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut tasks = Vec::new();
    for cs in changesets {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.commit(org, cs).await }));
        // Keeps arrival order = list order, so the test knows who came first.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    other.execute_batch("ROLLBACK").unwrap();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_commits_share_a_transaction_and_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cmms.db");
    let options = SqliteOptions { readers: 2, busy_timeout: Duration::from_secs(10) };
    let store = Arc::new(SqliteStore::open_with(&path, options).await.unwrap());
    store.migrate().await.unwrap();
    let s = seed(&store, "Acme").await;
    let mut events = store.subscribe();
    let start = store.writer_stats();

    // Eight creates waiting together share transactions.
    let round1: Vec<Changeset> = (0..8).map(|_| numbered_wo(s.org, s.site.id)).collect();
    let results = queued(&store, &path, s.org, round1).await;
    let grouped = store.writer_stats();
    assert_eq!(grouped.commits - start.commits, 8);
    assert!(
        grouped.transactions - start.transactions < 8,
        "queued commits shared transactions: {start:?} -> {grouped:?}"
    );
    let numbers: Vec<i64> = results.into_iter().flat_map(|r| r.unwrap().numbers).collect();
    assert_eq!(numbers, (1..=8).collect::<Vec<_>>(), "consecutive, in arrival order");

    // A group with a stale update in the middle: it fails, alone, and none of its writes stay.
    let mut stale = s.site.clone();
    stale.name = "Stale".into();
    stale.version = 7;
    let mut bad = Changeset::new();
    bad.push(Write::InsertSite(site_rec(s.org, "HALF")));
    bad.push(Write::UpdateSite(stale));
    let mut round2: Vec<Changeset> = (0..3).map(|_| numbered_wo(s.org, s.site.id)).collect();
    round2.insert(2, bad);
    let results = queued(&store, &path, s.org, round2).await;
    let retried = store.writer_stats();
    assert_eq!(retried.commits - grouped.commits, 4);
    assert!(
        retried.transactions - grouped.transactions > 4,
        "the failed group re-ran its members alone: {grouped:?} -> {retried:?}"
    );
    assert!(matches!(results[2], Err(StoreError::Conflict { .. })), "{:?}", results[2]);
    let numbers: Vec<i64> =
        results.iter().filter_map(|r| r.as_ref().ok()).flat_map(|r| r.numbers.clone()).collect();
    assert_eq!(numbers, vec![9, 10, 11]);
    assert_eq!(store.list_sites(s.org).await.unwrap().len(), 1, "HALF rolled back with it");

    // A group whose COMMIT fails on a deferred foreign key: everyone re-runs alone and only the
    // offender fails.
    let mut dangling = Changeset::new();
    let orphan = wo_rec(s.org, SiteId::new(), "WO-ORPHAN");
    dangling.push(Write::InsertWorkOrder(orphan.clone()));
    dangling.push(Write::AppendAudit(audit("work_order.create", orphan.id, json!({}))));
    let mut round3: Vec<Changeset> = (0..3).map(|_| numbered_wo(s.org, s.site.id)).collect();
    round3.insert(2, dangling);
    round3.push(numbered_wo(s.org, s.site.id));
    let results = queued(&store, &path, s.org, round3).await;
    let after = store.writer_stats();
    assert_eq!(after.commits - retried.commits, 5);
    assert!(after.transactions - retried.transactions > 5, "{retried:?} -> {after:?}");
    assert!(matches!(results[2], Err(StoreError::InvalidReference(_))), "{:?}", results[2]);
    let numbers: Vec<i64> =
        results.iter().filter_map(|r| r.as_ref().ok()).flat_map(|r| r.numbers.clone()).collect();
    assert_eq!(numbers, vec![12, 13, 14, 15]);
    assert!(store.get_work_order(s.org, orphan.id).await.unwrap().is_none());

    // 15 work orders, a chain that verifies with no gap, and one event each, in order.
    let all = WorkOrderQuery {
        filter: WorkOrderFilter::default(),
        visibility: cmms_core::rbac::Visibility::all(),
        after: None,
        fetch: 100,
    };
    assert_eq!(store.list_work_orders(s.org, &all).await.unwrap().len(), 15);
    let (head_seq, head_hash) = store.audit_head(s.org).await.unwrap();
    assert_eq!(head_seq, 1 + 15, "the seed's entry and one per work order");
    let mut verifier = ChainVerifier::new(s.org);
    for e in store.audit_entries(s.org, 0, 100).await.unwrap() {
        verifier.check(&e).unwrap();
    }
    verifier.finish(head_seq, &head_hash).unwrap();
    let mut seen = Vec::new();
    while let Ok(batch) = events.try_recv() {
        seen.extend(batch.events.iter().map(|e| (e.seq, e.draft.payload["n"].as_i64())));
    }
    let expected: Vec<_> = (1..=15).map(|n| (n, Some(n))).collect();
    assert_eq!(seen, expected, "published once per committed changeset, in commit order");
}
