//! Store-level tests on real SQLite files: migrations, atomic commits, optimistic concurrency,
//! numbering, the audit chain, events, round-trips and the in-memory mode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cmms_core::StoreError;
use cmms_core::domain::audit::ChainVerifier;
use cmms_core::domain::event::EventKind;
use cmms_core::store::*;
use cmms_store_sqlite::{LATEST_SCHEMA_VERSION, SqliteStore};
use common::*;
use serde_json::json;
use std::sync::Arc;

fn table_count(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_up_down_up_on_a_populated_database() {
    let db = db().await;
    assert_eq!(db.store.schema_version().await.unwrap(), LATEST_SCHEMA_VERSION);
    let s = seed(&*db.store, "Acme").await;
    let wo = wo_rec(s.org, s.site.id, "WO-1");
    put(&db.store, s.org, Write::insert(wo)).await;
    assert!(table_count(&db.path) > 20);

    assert_eq!(db.store.migrate_down_to(0).await.unwrap(), 0);
    assert_eq!(db.store.schema_version().await.unwrap(), 0);
    assert_eq!(table_count(&db.path), 0, "down drops every table and index the up created");
    assert!(matches!(db.store.get_org(s.org).await, Err(StoreError::Migration(_))));

    assert_eq!(db.store.migrate().await.unwrap(), LATEST_SCHEMA_VERSION);
    assert_eq!(db.store.get_org(s.org).await.unwrap(), None, "the data went with the schema");
    let again = seed(&*db.store, "Acme").await;
    assert!(db.store.get_org(again.org).await.unwrap().is_some());
    // Migrating an up-to-date database is a no-op.
    assert_eq!(db.store.migrate().await.unwrap(), LATEST_SCHEMA_VERSION);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_from_a_newer_library_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = SqliteStore::open(&path).await.unwrap_err();
    let StoreError::Migration(msg) = err else { panic!("expected a migration error, got {err:?}") };
    assert!(msg.contains("99") && msg.contains(&LATEST_SCHEMA_VERSION.to_string()), "{msg}");
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_works_before_migrate() {
    let db = unmigrated().await;
    assert_eq!(db.store.schema_version().await.unwrap(), 0);
    let err = db.store.get_org(cmms_core::OrgId::new()).await.unwrap_err();
    let StoreError::Migration(msg) = err else { panic!("expected a migration error, got {err:?}") };
    assert!(msg.contains("call migrate()") && msg.contains("version 0"), "{msg}");
    let org = org_rec("Acme");
    let mut cs = Changeset::new();
    cs.push(Write::insert(org.clone()));
    assert!(matches!(db.store.commit(org.id, cs).await, Err(StoreError::Migration(_))));
    db.store.migrate().await.unwrap();
    assert!(db.store.get_org(org.id).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_write_rolls_back_the_whole_changeset() {
    let db = db().await;
    let a = seed(&*db.store, "Alpha").await;
    let b = seed(&*db.store, "Beta").await;
    let head = db.store.audit_head(a.org).await.unwrap();
    let events = db.store.events_since(a.org, 0, 100).await.unwrap();

    let site2 = site_rec(a.org, "PLANT2");
    let user2 = user_rec(a.org, "second@alpha.example");
    // Third write: a work order of org A pointing at org B's site.
    let bad = wo_rec(a.org, b.site.id, "WO-1");
    let mut cs = Changeset::new();
    cs.push(Write::insert(site2.clone()));
    cs.push(Write::insert(user2.clone()));
    cs.push(Write::insert(bad.clone()));
    cs.push(Write::AppendAudit(audit("work_order.create", bad.id, json!({}))));
    cs.push(Write::AppendEvent(event(EventKind::WorkOrderCreated, bad.id, json!({}))));
    let err = db.store.commit(a.org, cs).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidReference(_)), "{err:?}");

    assert!(db.store.get_site(a.org, site2.id).await.unwrap().is_none());
    assert!(db.store.get_user(a.org, user2.id).await.unwrap().is_none());
    assert!(db.store.get_work_order(a.org, bad.id).await.unwrap().is_none());
    assert_eq!(db.store.audit_head(a.org).await.unwrap(), head);
    assert_eq!(db.store.events_since(a.org, 0, 100).await.unwrap(), events);
    // The writer is not left inside a transaction: the next commit goes through.
    put(&db.store, a.org, Write::insert(site2.clone())).await;
    assert_eq!(db.store.get_site(a.org, site2.id).await.unwrap(), Some(site2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_may_be_written_before_its_numbered_parent() {
    // Plain writes apply before the numbered ones, so a checklist item can precede the work
    // order it belongs to; foreign keys are checked at COMMIT.
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let (org, site) = (s.org, s.site.id);
    let wo_id = cmms_core::WorkOrderId::new();
    let item = cmms_core::domain::checklist::ChecklistItem {
        id: cmms_core::ChecklistItemId::new(),
        org_id: org,
        work_order_id: wo_id,
        position: 0,
        label: "Lock out".into(),
        mandatory: true,
        result: None,
        notes: None,
        completed_by: None,
        completed_at: None,
        version: 1,
    };
    let mut cs = Changeset::new().with_numbers(vec!["work_order:2026".into()], move |n| {
        let mut wo = wo_rec(org, site, &format!("WO-{}", n[0]));
        wo.id = wo_id;
        vec![Write::insert(wo)]
    });
    cs.push(Write::insert(item.clone()));
    db.store.commit(org, cs).await.unwrap();
    assert_eq!(db.store.checklist(org, wo_id).await.unwrap(), vec![item]);
}

#[tokio::test(flavor = "multi_thread")]
async fn records_of_another_org_are_refused() {
    let db = db().await;
    let a = seed(&*db.store, "Alpha").await;
    let b = seed(&*db.store, "Beta").await;
    let mut cs = Changeset::new();
    cs.push(Write::insert(site_rec(b.org, "SNEAKY")));
    let err = db.store.commit(a.org, cs).await.unwrap_err();
    assert!(err.to_string().contains("cross-tenant write refused"), "{err}");
    assert_eq!(db.store.list_sites(b.org).await.unwrap().len(), 1);
    // Reads are tenant-scoped too.
    assert!(db.store.get_site(a.org, b.site.id).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_versions_conflict_and_missing_rows_are_not_found() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let mut v2 = s.site.clone();
    v2.name = "Renamed".into();
    v2.version = 2;
    put(&db.store, s.org, Write::update(v2.clone())).await;
    assert_eq!(db.store.get_site(s.org, s.site.id).await.unwrap(), Some(v2.clone()));

    // Someone else read version 1 too and writes version 2 again.
    let mut stale = s.site.clone();
    stale.version = 2;
    let mut cs = Changeset::new();
    cs.push(Write::update(stale));
    match db.store.commit(s.org, cs).await.unwrap_err() {
        StoreError::Conflict { current_version, .. } => assert_eq!(current_version, Some(2)),
        other => panic!("expected a conflict, got {other:?}"),
    }

    let mut ghost = site_rec(s.org, "GHOST");
    ghost.version = 2;
    let mut cs = Changeset::new();
    cs.push(Write::update(ghost));
    assert!(matches!(
        db.store.commit(s.org, cs).await,
        Err(StoreError::NotFound { entity: "site", .. })
    ));

    // Orgs are versioned the same way.
    let mut org = db.store.get_org(s.org).await.unwrap().unwrap();
    org.version = 5;
    let mut cs = Changeset::new();
    cs.push(Write::update(org));
    match db.store.commit(s.org, cs).await.unwrap_err() {
        StoreError::Conflict { current_version, .. } => assert_eq!(current_version, Some(1)),
        other => panic!("expected a conflict, got {other:?}"),
    }

    // A taken unique value is a conflict naming the constraint, not the value.
    let mut cs = Changeset::new();
    cs.push(Write::insert(site_rec(s.org, "PLANT1")));
    match db.store.commit(s.org, cs).await.unwrap_err() {
        StoreError::Conflict { message, current_version: None } => {
            assert!(message.contains("sites(org_id, code)"), "{message}");
            assert!(!message.contains("PLANT1"), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_work_order_checks_its_version_and_removes_its_children() {
    use cmms_core::domain::comment::Comment;
    use cmms_core::domain::work_order::WorkOrder;
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let mut wo = wo_rec(s.org, s.site.id, "WO-1");
    wo.assignees = vec![s.user.id];
    put(&db.store, s.org, Write::insert(wo.clone())).await;
    let comment = Comment::create(s.org, wo.id, Some(s.user.id), "hello", false, at(30)).unwrap();
    put(&db.store, s.org, Write::insert(comment)).await;

    let mut cs = Changeset::new();
    cs.push(Write::delete_versioned::<WorkOrder>(wo.id, 7));
    match db.store.commit(s.org, cs).await.unwrap_err() {
        StoreError::Conflict { current_version, .. } => assert_eq!(current_version, Some(1)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut cs = Changeset::new();
    cs.push(Write::delete_versioned::<WorkOrder>(wo.id, 1));
    cs.push(Write::delete_children::<Comment>(wo.id));
    db.store.commit(s.org, cs).await.unwrap();
    assert!(db.store.get_work_order(s.org, wo.id).await.unwrap().is_none());
    assert!(db.store.comments(s.org, wo.id, true).await.unwrap().is_empty());
    let mut cs = Changeset::new();
    cs.push(Write::delete_versioned::<WorkOrder>(wo.id, 1));
    assert!(matches!(db.store.commit(s.org, cs).await, Err(StoreError::NotFound { .. })));
}

fn numbered_wo(org: cmms_core::OrgId, site: cmms_core::SiteId) -> Changeset {
    Changeset::new().with_numbers(vec!["work_order:2026".into()], move |n| {
        let wo = wo_rec(org, site, &format!("WO-2026-{:05}", n[0]));
        vec![
            Write::AppendAudit(audit("work_order.create", wo.id, json!({"number": wo.number}))),
            Write::AppendEvent(event(
                EventKind::WorkOrderCreated,
                wo.id,
                json!({"number": wo.number}),
            )),
            Write::insert(wo),
        ]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn numbers_are_consecutive_even_under_concurrent_commits() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    for expected in 1..=3 {
        let receipt = db.store.commit(s.org, numbered_wo(s.org, s.site.id)).await.unwrap();
        assert_eq!(receipt.numbers, vec![expected]);
    }
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = db.store.clone();
            let (org, site) = (s.org, s.site.id);
            tokio::spawn(async move { store.commit(org, numbered_wo(org, site)).await.unwrap() })
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.extend(t.await.unwrap().numbers);
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (4..=23).collect::<Vec<i64>>());
    // Counters are independent per key and per org.
    let other = seed(&*db.store, "Other").await;
    let cs = Changeset::new()
        .with_numbers(vec!["work_order:2026".into(), "request:2026".into()], |_| Vec::new());
    assert_eq!(db.store.commit(other.org, cs).await.unwrap().numbers, vec![1, 1]);
    let all = WorkOrderQuery {
        filter: WorkOrderFilter::default(),
        visibility: cmms_core::rbac::Visibility::all(),
        after: None,
        fetch: 100,
    };
    assert_eq!(db.store.list_work_orders(s.org, &all).await.unwrap().len(), 23);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_chain_verifies_and_ends_at_the_head() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let mut last = 1; // the seed's entry
    for i in 0..5 {
        let wo = wo_rec(s.org, s.site.id, &format!("WO-{i}"));
        let mut cs = Changeset::new();
        let mut first = audit(
            "work_order.create",
            wo.id,
            json!({"n": i, "h": 1.1 * f64::from(i), "t": "Grüße ✓"}),
        );
        first.before = Some(json!({"z": [1, 2, {"b": null, "a": 0.30000000000000004}]}));
        first.actor_id = Some(s.user.id);
        cs.push(Write::AppendAudit(first));
        cs.push(Write::insert(wo.clone()));
        cs.push(Write::AppendAudit(audit("work_order.note", wo.id, json!({"i": i}))));
        let receipt = db.store.commit(s.org, cs).await.unwrap();
        assert_eq!(receipt.audit_seq, last + 2);
        last = receipt.audit_seq;
    }
    let no_audit = db.store.commit(s.org, numbered_wo(s.org, s.site.id)).await.unwrap();
    assert_eq!(no_audit.audit_seq, last + 1);
    let (head_seq, head_hash) = db.store.audit_head(s.org).await.unwrap();
    assert_eq!(head_seq, 1 + 10 + 1, "seed + 5 commits x 2 + the numbered one");

    let mut verifier = ChainVerifier::new(s.org);
    let mut after = 0;
    loop {
        let page = db.store.audit_entries(s.org, after, 3).await.unwrap();
        if page.is_empty() {
            break;
        }
        for e in &page {
            verifier.check(e).unwrap();
        }
        after = page.last().unwrap().seq;
    }
    verifier.finish(head_seq, &head_hash).unwrap();

    // Editing an entry behind the store's back breaks the chain.
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.execute(
        "UPDATE audit_log SET action = action || '-tampered' WHERE org_id = ?1 AND seq = ?2",
        rusqlite::params![s.org.0, 4],
    )
    .unwrap();
    let mut verifier = ChainVerifier::new(s.org);
    let broken = db
        .store
        .audit_entries(s.org, 0, 100)
        .await
        .unwrap()
        .iter()
        .find_map(|e| verifier.check(e).err());
    assert_eq!(broken.map(|b| b.seq), Some(4));
}

#[tokio::test(flavor = "multi_thread")]
async fn events_are_numbered_stored_and_broadcast_in_order() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let mut rx = db.store.subscribe();
    let mut receipts = Vec::new();
    for _ in 0..3 {
        let mut cs = numbered_wo(s.org, s.site.id);
        cs.push(Write::AppendEvent(event(EventKind::SiteUpdated, s.site.id, json!({"x": "ü"}))));
        receipts.push(db.store.commit(s.org, cs).await.unwrap());
    }
    let stored = db.store.events_since(s.org, 0, 100).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=6).collect::<Vec<_>>());
    // Plain writes come first, then the numbered ones.
    assert_eq!(stored[0].draft.kind, EventKind::SiteUpdated);
    assert_eq!(stored[1].draft.kind, EventKind::WorkOrderCreated);
    assert_eq!(stored[1].draft.payload, json!({"number": "WO-2026-00001"}));
    let from_receipts: Vec<_> = receipts.iter().flat_map(|r| r.events.clone()).collect();
    assert_eq!(from_receipts, stored);
    for chunk in stored.chunks(2) {
        let batch = rx.recv().await.unwrap();
        assert_eq!(batch.org_id, s.org);
        assert_eq!(batch.events, chunk.to_vec());
    }
    let page = db.store.events_since(s.org, 4, 1).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5]);
    assert!(db.store.events_since(cmms_core::OrgId::new(), 0, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn in_memory_store_shares_one_connection() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    store.migrate().await.unwrap();
    let s = seed(&store, "Acme").await;
    assert_eq!(store.get_site(s.org, s.site.id).await.unwrap(), Some(s.site.clone()));
    assert_eq!(store.list_org_ids().await.unwrap(), vec![s.org]);
    let again = SqliteStore::open(":memory:").await.unwrap();
    assert_eq!(again.schema_version().await.unwrap(), 0, "each in-memory store is private");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_reads_and_writes_do_not_interfere() {
    // Many concurrent readers and one writer do not trip over each other.
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let store: Arc<SqliteStore> = db.store.clone();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        let (org, site) = (s.org, s.site.id);
        tasks.push(tokio::spawn(async move {
            if i % 4 == 0 {
                store.commit(org, numbered_wo(org, site)).await.map(|_| ())
            } else {
                store.get_site(org, site).await.map(|s| assert!(s.is_some()))
            }
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_database_reports_busy_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cmms.db");
    let options = cmms_store_sqlite::SqliteOptions {
        readers: 2,
        busy_timeout: std::time::Duration::from_millis(50),
    };
    let store = SqliteStore::open_with(&path, options).await.unwrap();
    store.migrate().await.unwrap();
    let s = seed(&store, "Acme").await;
    // Another process holds the write lock.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut cs = Changeset::new();
    cs.push(Write::insert(site_rec(s.org, "LOCKED")));
    assert!(matches!(store.commit(s.org, cs).await, Err(StoreError::Busy)));
    // Readers are not blocked by a writer in WAL mode.
    assert!(store.get_site(s.org, s.site.id).await.unwrap().is_some());
    other.execute_batch("ROLLBACK").unwrap();
    put(&store, s.org, Write::insert(site_rec(s.org, "FREE"))).await;
}

/// Two stores on one file are what two processes are to SQLite: separate connections. A
/// follower on one sees what the other commits, within about `WATCH_INTERVAL`.
#[tokio::test(flavor = "multi_thread")]
async fn a_follower_sees_commits_made_through_another_connection() {
    use cmms_core::Cmms;
    use cmms_core::domain::org::NewOrg;
    use cmms_core::domain::site::NewSite;
    use cmms_core::domain::work_order::NewWorkOrder;
    use std::time::{Duration, Instant};
    let db = db().await;
    let other = Arc::new(SqliteStore::open(&db.path).await.unwrap());
    let (here, there) = (Cmms::new(db.store.clone()), Cmms::new(other.clone()));
    let new_org = NewOrg {
        name: "Acme".into(),
        owner_name: "Olivia".into(),
        owner_email: "olivia@acme.test".into(),
        ..NewOrg::default()
    };
    let boot = there.bootstrap_org(new_org).await.unwrap();
    let owner_there = there.actor(boot.org.id, boot.owner.id).await.unwrap();
    let owner = here.actor(boot.org.id, boot.owner.id).await.unwrap();
    let after =
        here.events_since(&owner, 0, Some(cmms_core::store::MAX_LIMIT)).await.unwrap().last_seq;
    let mut sub = here.subscribe(&owner, after).unwrap();
    // Nothing new yet: the follower waits.
    assert!(tokio::time::timeout(Duration::from_millis(300), sub.next()).await.is_err());

    let site = NewSite { name: "North".into(), code: "N".into(), ..NewSite::default() };
    let site = there.create_site(&owner_there, site).await.unwrap();
    let started = Instant::now();
    for i in 0..3 {
        let wo = NewWorkOrder {
            title: format!("Pump {i}"),
            site_id: Some(site.id),
            ..NewWorkOrder::default()
        };
        there.create_work_order(&owner_there, wo).await.unwrap();
    }
    let mut created = 0;
    while created < 3 {
        let event = tokio::time::timeout(Duration::from_secs(1), sub.next())
            .await
            .expect("the follower sees the other connection's commits within a second")
            .unwrap();
        if event.draft.kind == EventKind::WorkOrderCreated {
            created += 1;
        }
    }
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    // Commits made here still arrive straight from the writer, once each.
    let wo = NewWorkOrder { title: "Here".into(), site_id: Some(site.id), ..Default::default() };
    let mine = here.create_work_order(&owner, wo).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(1), sub.next()).await.unwrap().unwrap();
    assert_eq!(event.draft.entity.id, mine.id.uuid());
    assert!(tokio::time::timeout(Duration::from_millis(500), sub.next()).await.is_err());
}

/// A database that cannot be opened says which file and why, and keeps the driver's error as
/// the source of the caller's error.
#[tokio::test]
async fn a_missing_directory_is_named_in_the_open_error() {
    use std::error::Error as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nonexistent").join("x.db");
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Failed { .. }), "{err:?}");
    let e = cmms_core::CmmsError::from(err);
    assert_eq!(e.code(), "store_error");
    assert_eq!(
        e.to_string(),
        format!(
            "storage error: cannot open SQLite database {}: unable to open database file (the \
             directory {} does not exist)",
            path.display(),
            path.parent().unwrap().display()
        )
    );
    let source = e.source().expect("the driver's error");
    assert!(source.to_string().contains("unable to open database file"), "{source}");

    // A file that is not a database is named too.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let e = cmms_core::CmmsError::from(SqliteStore::open(&junk).await.unwrap_err());
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "storage error: cannot open SQLite database {}: ",
            junk.display()
        )),
        "{text}"
    );
    assert!(text.contains("not a database"), "{text}");
}
