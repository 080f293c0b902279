//! Group commit on a real PostgreSQL server: commits of one org that wait for its committer
//! share one transaction, yet each stays atomic and a failing one fails alone — whether it
//! fails in its own writes, panics, or breaks a deferred foreign key that only the group as a
//! whole checks — and numbers, the audit chain and events stay exact. The same story as the
//! SQLite store's `tests/group.rs`, with a row lock on the org's audit head as the blocker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cmms_core::StoreError;
use cmms_core::domain::audit::ChainVerifier;
use cmms_core::domain::event::EventKind;
use cmms_core::store::group::GroupStats;
use cmms_core::store::*;
use cmms_core::testkit::records::*;
use cmms_core::{OrgId, SiteId};
use cmms_store_postgres::testing::{TestServer, owner_connection};
use cmms_store_postgres::{PgOptions, PgStore};
use serde_json::json;
use sqlx::Connection;
use std::sync::Arc;
use std::time::Duration;

fn numbered_wo(org: OrgId, site: SiteId) -> Changeset {
    Changeset::new().with_numbers(vec!["work_order:2026".into()], move |n| {
        let wo = wo_rec(org, site, &format!("WO-2026-{:05}", n[0]));
        vec![
            Write::insert(wo.clone()),
            Write::AppendAudit(audit("work_order.create", wo.id, json!({"number": wo.number}))),
            Write::AppendEvent(event(EventKind::WorkOrderCreated, wo.id, json!({"n": n[0]}))),
        ]
    })
}

/// Commits a blocker and then `group` while another connection holds the org's audit head: the
/// blocker's transaction waits for that row lock, so every changeset of `group` is queued
/// behind it and they reach the committer together, in whatever order they arrived. Returns
/// the results of `group`, in the order given, and the commit stats before.
async fn queued(
    store: &Arc<PgStore>,
    url: &str,
    org: OrgId,
    site: SiteId,
    group: Vec<Changeset>,
) -> (Vec<Result<Receipt, StoreError>>, GroupStats) {
    let before = store.commit_stats();
    let mut other = owner_connection(url).await;
    let mut lock = other.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM audit_heads WHERE org_id = $1 FOR UPDATE")
        .bind(org.uuid())
        .fetch_one(&mut *lock)
        .await
        .unwrap();
    let blocker = {
        let store = store.clone();
        tokio::spawn(async move { store.commit(org, numbered_wo(org, site)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let tasks: Vec<_> = group
        .into_iter()
        .map(|cs| {
            let store = store.clone();
            tokio::spawn(async move { store.commit(org, cs).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    lock.rollback().await.unwrap();
    blocker.await.unwrap().unwrap();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    (out, before)
}

fn numbers(results: &[Result<Receipt, StoreError>]) -> Vec<i64> {
    let mut n: Vec<i64> =
        results.iter().filter_map(|r| r.as_ref().ok()).flat_map(|r| r.numbers.clone()).collect();
    n.sort_unstable();
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_commits_share_a_transaction_and_fail_alone() {
    let url = TestServer::fresh_database().await;
    let options = PgOptions { max_connections: 4, ..PgOptions::default() };
    let store = Arc::new(PgStore::connect(&url, options).await.unwrap());
    let s = seed(&*store, "Acme").await;
    let (org, site) = (s.org, s.site.id);
    let mut events = store.subscribe();

    // Eight creates waiting together share one transaction (plus the blocker's).
    let round1: Vec<Changeset> = (0..8).map(|_| numbered_wo(org, site)).collect();
    let (results, before) = queued(&store, &url, org, site, round1).await;
    let after = store.commit_stats();
    assert_eq!(after.commits - before.commits, 9);
    assert_eq!(after.transactions - before.transactions, 2, "{before:?} -> {after:?}");
    assert_eq!(numbers(&results), (2..=9).collect::<Vec<_>>(), "the blocker drew 1");

    // A stale update in the middle of a group fails alone; none of its writes stay.
    let mut stale = s.site.clone();
    stale.name = "Stale".into();
    stale.version = 7;
    let mut bad = Changeset::new();
    bad.push(Write::insert(site_rec(org, "HALF")));
    bad.push(Write::update(stale));
    let mut round2: Vec<Changeset> = (0..4).map(|_| numbered_wo(org, site)).collect();
    round2.insert(2, bad);
    let (results, before) = queued(&store, &url, org, site, round2).await;
    let after = store.commit_stats();
    assert_eq!(after.commits - before.commits, 6);
    assert!(after.transactions - before.transactions >= 4, "{before:?} -> {after:?}");
    assert!(matches!(results[2], Err(StoreError::Conflict { .. })), "{:?}", results[2]);
    assert_eq!(numbers(&results), (11..=14).collect::<Vec<_>>(), "the blocker drew 10");
    assert_eq!(store.list_sites(org).await.unwrap().len(), 1, "HALF rolled back with it");

    // A changeset whose numbered writes panic fails alone too.
    let panicking = Changeset::new().with_numbers(vec!["work_order:2026".into()], |n| {
        let second = n[1]; // only one counter was asked for
        vec![Write::insert(site_rec(OrgId::new(), &second.to_string()))]
    });
    let mut round3: Vec<Changeset> = (0..2).map(|_| numbered_wo(org, site)).collect();
    round3.insert(1, panicking);
    let (results, _) = queued(&store, &url, org, site, round3).await;
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.to_string(), "backend: the changeset panicked while being applied");
    assert_eq!(numbers(&results), vec![16, 17], "the blocker drew 15");

    // A dangling foreign key fails the group's COMMIT: everyone re-runs alone and only the
    // offender fails.
    let mut dangling = Changeset::new();
    let orphan = wo_rec(org, SiteId::new(), "WO-ORPHAN");
    dangling.push(Write::insert(orphan.clone()));
    dangling.push(Write::AppendAudit(audit("work_order.create", orphan.id, json!({}))));
    let mut round4: Vec<Changeset> = (0..3).map(|_| numbered_wo(org, site)).collect();
    round4.insert(2, dangling);
    let (results, before) = queued(&store, &url, org, site, round4).await;
    let after = store.commit_stats();
    assert_eq!(after.commits - before.commits, 5);
    assert_eq!(after.transactions - before.transactions, 1 + 1 + 4, "{before:?} -> {after:?}");
    assert!(matches!(results[2], Err(StoreError::InvalidReference(_))), "{:?}", results[2]);
    assert_eq!(numbers(&results), vec![19, 20, 21], "the blocker drew 18");
    assert!(store.get_work_order(org, orphan.id).await.unwrap().is_none());

    // 21 work orders, a chain that verifies with no gap, and one event each, in commit order.
    let all = WorkOrderQuery {
        filter: WorkOrderFilter::default(),
        visibility: cmms_core::rbac::Visibility::all(),
        after: None,
        fetch: 100,
    };
    assert_eq!(store.list_work_orders(org, &all).await.unwrap().len(), 21);
    let (head_seq, head_hash) = store.audit_head(org).await.unwrap();
    assert_eq!(head_seq, 1 + 21, "the seed's entry and one per work order");
    let mut verifier = ChainVerifier::new(org);
    for e in store.audit_entries(org, 0, 100).await.unwrap() {
        verifier.check(&e).unwrap();
    }
    verifier.finish(head_seq, &head_hash).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // the dispatcher is a task
    let mut seen = Vec::new();
    while let Ok(batch) = events.try_recv() {
        seen.extend(batch.events.iter().map(|e| (e.seq, e.draft.payload["n"].as_i64())));
    }
    let expected: Vec<_> = (1..=21).map(|n| (n, Some(n))).collect();
    assert_eq!(seen, expected, "published once per committed changeset, in commit order");
}

/// Updates of several members go to the table in one statement (and their assignee lists in
/// one delete and one insert); a stale one among them still fails alone, naming the version
/// it found, and the others' new values and lists are what is read back.
#[tokio::test(flavor = "multi_thread")]
async fn grouped_updates_share_statements_and_a_stale_one_fails_alone() {
    let url = TestServer::fresh_database().await;
    let options = PgOptions { max_connections: 4, ..PgOptions::default() };
    let store = Arc::new(PgStore::connect(&url, options).await.unwrap());
    let s = seed(&*store, "Acme").await;
    let (org, site, user) = (s.org, s.site.id, s.user.id);
    let mut originals = Vec::new();
    for n in 0..5 {
        let mut wo = wo_rec(org, site, &format!("WO-{n}"));
        if n % 2 == 1 {
            wo.assignees = vec![user];
        }
        let mut cs = Changeset::new();
        cs.push(Write::insert(wo.clone()));
        store.commit(org, cs).await.unwrap();
        originals.push(wo);
    }
    let mut updated = Vec::new();
    let mut group = Vec::new();
    for (n, wo) in originals.iter().enumerate() {
        let mut next = wo.clone();
        next.title = format!("Renamed {n}");
        next.assignees = if n % 2 == 1 { Vec::new() } else { vec![user] };
        next.version = if n == 2 { 5 } else { 2 }; // the third read a version that never was
        let mut cs = Changeset::new();
        cs.push(Write::update(next.clone()));
        group.push(cs);
        updated.push(next);
    }
    let (results, before) = queued(&store, &url, org, site, group).await;
    let after = store.commit_stats();
    match &results[2] {
        Err(StoreError::Conflict { current_version, .. }) => assert_eq!(*current_version, Some(1)),
        other => panic!("the stale update: {other:?}"),
    }
    assert!(after.transactions - before.transactions >= 3, "{before:?} -> {after:?}");
    for (n, (r, want)) in results.iter().zip(&updated).enumerate() {
        let got = store.get_work_order(org, want.id).await.unwrap().unwrap();
        if n == 2 {
            assert_eq!(got, originals[2], "the stale update left nothing behind");
        } else {
            assert!(r.is_ok(), "{r:?}");
            assert_eq!(&got, want);
        }
    }
}
