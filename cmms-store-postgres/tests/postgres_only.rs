//! What only a server database gives, tested against a real server: row-level security under
//! the app role, migrations down and up again on a populated database, events across two
//! stores while the listener connection is cut, and many concurrent transitions of one row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cmms_core::domain::event::EventKind;
use cmms_core::domain::site::{NewSite, Site};
use cmms_core::domain::status::{TransitionInput, WorkOrderStatus as S};
use cmms_core::domain::work_order::NewWorkOrder;
use cmms_core::store::{AuditReads, OrgReads, SiteReads, Store, WorkOrderReads};
use cmms_core::{Cmms, CmmsError, OrgId, StoreError};
use cmms_store_postgres::PgStore;
use cmms_store_postgres::testing::{TestServer, owner_connection};
use sqlx::{Connection, Executor, PgConnection, Row};
use std::collections::BTreeSet;
use std::time::Duration;

mod common;
use common::{org, store, work_order};

async fn count(c: &mut PgConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(c).await.unwrap()
}

/// (a) As cmms_app, a query without any tenant filter sees only the org named by the
/// transaction's setting, nothing without one, and cannot write another org's rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_level_security_confines_the_app_role_to_one_org() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 3).await;
    let cmms = Cmms::new(store.clone());
    let (a, a_site) = org(&cmms, "Alpha").await;
    let (b, b_site) = org(&cmms, "Beta").await;
    for i in 0..3 {
        work_order(&cmms, &a, a_site, &format!("A{i}")).await;
    }
    let b_wo = work_order(&cmms, &b, b_site, "B0").await;
    work_order(&cmms, &b, b_site, "B1").await;

    let mut c = owner_connection(&url).await;
    c.execute("SET ROLE cmms_app").await.unwrap();
    let who = sqlx::query(
        "SELECT current_user AS name, r.rolsuper, r.rolbypassrls, \
         (SELECT tableowner FROM pg_tables WHERE tablename = 'work_orders') AS owner \
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(who.get::<String, _>("name"), "cmms_app");
    assert!(!who.get::<bool, _>("rolsuper") && !who.get::<bool, _>("rolbypassrls"));
    assert_ne!(who.get::<String, _>("owner"), "cmms_app", "the app role owns no table");

    // Never set in this session: NULL, nothing visible.
    assert_eq!(count(&mut c, "SELECT count(*) FROM work_orders").await, 0);
    assert!(sqlx::query("SELECT * FROM work_orders").fetch_all(&mut c).await.unwrap().is_empty());

    let mut tx = c.begin().await.unwrap();
    sqlx::query("SELECT set_config('cmms.org_id', $1, true)")
        .bind(a.org().to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(count(&mut tx, "SELECT count(*) FROM work_orders").await, 3);
    let orgs: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT DISTINCT org_id FROM work_orders")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(orgs, vec![a.org().0]);
    assert_eq!(count(&mut tx, "SELECT count(*) FROM orgs").await, 1);
    assert_eq!(
        count(&mut tx, "SELECT count(*) FROM audit_log WHERE org_id <> (SELECT id FROM orgs)")
            .await,
        0
    );
    // Another org's row cannot be changed either: it is not there.
    let changed = sqlx::query("UPDATE work_orders SET title = 'hijacked' WHERE id = $1")
        .bind(b_wo.0)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0);
    // A row carrying org B's id is refused.
    let err = sqlx::query(
        "INSERT INTO work_orders (org_id, id, number, title, wo_type, priority, priority_rank, \
         status, site_id, attachments, created_at, updated_at, version) \
         VALUES ($1, $2, 'WO-X', 'Smuggled', 'corrective', 'low', 1, 'open', $3, '[]', now(), \
         now(), 1)",
    )
    .bind(b.org().0)
    .bind(uuid::Uuid::now_v7())
    .bind(b_site.0)
    .execute(&mut *tx)
    .await
    .unwrap_err();
    let db = err.as_database_error().expect("a database error");
    assert_eq!(db.code().as_deref(), Some("42501"), "{db}");
    assert!(db.message().contains("row-level security"), "{db}");
    tx.rollback().await.unwrap();

    // After a transaction-local setting ends the session value is '' (not NULL): still nothing.
    let setting: Option<String> = sqlx::query_scalar("SELECT current_setting('cmms.org_id', true)")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(setting.as_deref(), Some(""));
    assert_eq!(count(&mut c, "SELECT count(*) FROM work_orders").await, 0);
    // The cross-tenant id list goes through the SECURITY DEFINER function only.
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT * FROM cmms_org_ids()").fetch_all(&mut c).await.unwrap();
    assert_eq!(ids.len(), 2);
    c.close().await.unwrap();

    let mut listed = store.list_org_ids().await.unwrap();
    listed.sort();
    let mut expected = vec![a.org(), b.org()];
    expected.sort();
    assert_eq!(listed, expected);
    // Through the store, B's work order does not exist for A.
    assert!(store.get_work_order(a.org(), b_wo).await.unwrap().is_none());
    assert!(store.get_work_order(b.org(), b_wo).await.unwrap().is_some());
}

/// (b) up -> down -> up on a populated database; the store refuses work while the schema is
/// missing and works again after; both stores report the same version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_go_down_and_up_again() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 3).await;
    let cmms = Cmms::new(store.clone());
    let (owner, site) = org(&cmms, "Gamma").await;
    work_order(&cmms, &owner, site, "Before").await;
    let latest = cmms_store_sqlite::LATEST_SCHEMA_VERSION;
    assert_eq!(store.schema_version().await.unwrap(), latest);
    assert_eq!(cmms_store_postgres::LATEST_SCHEMA_VERSION, latest);

    assert_eq!(store.migrate_down_to(0).await.unwrap(), 0);
    assert_eq!(store.schema_version().await.unwrap(), 0);
    match store.get_org(owner.org()).await {
        Err(StoreError::Migration(m)) => assert!(m.contains("call migrate()"), "{m}"),
        other => panic!("expected a migration error, got {other:?}"),
    }
    let mut c = owner_connection(&url).await;
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(left, 0, "the down migration drops every table");
    c.close().await.unwrap();

    assert_eq!(store.migrate().await.unwrap(), latest);
    assert_eq!(store.migrate().await.unwrap(), latest, "migrating is idempotent");
    assert_eq!(store.schema_version().await.unwrap(), latest);
    assert!(store.get_org(owner.org()).await.unwrap().is_none(), "data went with the schema");
    let (owner, site) = org(&cmms, "Delta").await;
    let id = work_order(&cmms, &owner, site, "After").await;
    assert_eq!(
        cmms.get_work_order(&owner, id).await.unwrap().number,
        "WO-2026-00001".replace("2026", &chrono::Utc::now().format("%Y").to_string())
    );
    assert_eq!(cmms.verify_audit_chain(&owner).await.unwrap(), None);
}

/// Reads `org`'s whole outbox through `store`.
async fn all_seqs(store: &PgStore, org: OrgId) -> Vec<i64> {
    let events = store.events_since(org, 0, 10_000).await.unwrap();
    events.iter().map(|e| e.seq).collect()
}

/// (c) Two stores on one database: a commit through one reaches a subscriber of the other,
/// and nothing is lost or repeated while the subscriber's listener connection is cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_cross_stores_and_survive_a_lost_listener() {
    let server = TestServer::get().await;
    let url = TestServer::fresh_database().await;
    let db_name = url.rsplit('/').next().unwrap().to_string();
    // One connection: the publisher keeps committing through it while the database refuses
    // new connections (to keep the subscriber's listener out).
    let publisher = store(&url, 1).await;
    let subscriber = store(&url, 3).await;
    let mut raw = subscriber.subscribe();
    let cmms1 = Cmms::new(publisher.clone());
    let cmms2 = Cmms::new(subscriber.clone());
    let (owner, site) = org(&cmms1, "Epsilon").await;
    let org_id = owner.org();
    let reader = cmms2.actor(org_id, owner.user_id().unwrap()).await.unwrap();
    let mut sub = cmms2.subscribe(&reader, 0).unwrap();
    let first = work_order(&cmms1, &owner, site, "Seen across stores").await;
    let mut got: Vec<i64> = Vec::new();
    let wait = |n| Duration::from_secs(n);
    loop {
        let e = tokio::time::timeout(wait(10), sub.next())
            .await
            .expect("the other store's commit arrives")
            .unwrap();
        got.push(e.seq);
        if e.draft.kind == EventKind::WorkOrderCreated && e.draft.entity.id == first.0 {
            break;
        }
    }

    // Cut the subscriber's listener (the newest `cmms-listener` session: the subscriber's
    // store connected second) and keep it out while the publisher commits.
    let mut admin = owner_connection(server.url()).await;
    admin
        .execute(sqlx::AssertSqlSafe(format!("ALTER DATABASE {db_name} ALLOW_CONNECTIONS false")))
        .await
        .unwrap();
    let killed: Option<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend((SELECT pid FROM pg_stat_activity WHERE datname = $1 \
         AND application_name = 'cmms-listener' ORDER BY backend_start DESC LIMIT 1))",
    )
    .bind(&db_name)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(killed, Some(true), "the listener connection was found and terminated");
    for i in 0..5 {
        work_order(&cmms1, &owner, site, &format!("While the listener is down {i}")).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    admin
        .execute(sqlx::AssertSqlSafe(format!("ALTER DATABASE {db_name} ALLOW_CONNECTIONS true")))
        .await
        .unwrap();
    admin.close().await.unwrap();

    // No commit after the outage: only the listener's catch-up can bring these events.
    let expected = all_seqs(&publisher, org_id).await;
    let last = *expected.last().unwrap();
    while got.last() != Some(&last) {
        let e = tokio::time::timeout(wait(20), sub.next())
            .await
            .expect("the subscriber catches up after the listener reconnects")
            .unwrap();
        got.push(e.seq);
    }
    assert_eq!(got, expected, "every event, in order, none twice");

    // The store's own broadcast (not only core's subscription, which also reads back gaps) is
    // gap-free and duplicate-free per org.
    let mut broadcast: Vec<i64> = Vec::new();
    while broadcast.last() != Some(&last) {
        let batch = tokio::time::timeout(wait(20), raw.recv())
            .await
            .expect("the broadcast reaches the last event")
            .unwrap();
        if batch.org_id == org_id {
            broadcast.extend(batch.events.iter().map(|e| e.seq));
        }
    }
    assert_eq!(broadcast, expected, "the raw broadcast has every event once, in order");
    assert!(raw.try_recv().is_err(), "and nothing after it");
}

/// (d) 32 concurrent transitions from the same version: one wins, the rest are refused, and
/// the timeline, events and audit chain show exactly one change.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_transitions_one_winner() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 10).await;
    let cmms = Cmms::new(store.clone());
    let (owner, site) = org(&cmms, "Zeta").await;
    let input = NewWorkOrder {
        title: "Contended".into(),
        site_id: Some(site),
        assignees: vec![owner.user_id().unwrap()],
        ..NewWorkOrder::default()
    };
    let wo = cmms.create_work_order(&owner, input).await.unwrap();
    assert_eq!(wo.status, S::Assigned);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (cmms, owner) = (cmms.clone(), owner.clone());
        let input =
            TransitionInput { expected_version: Some(wo.version), ..TransitionInput::default() };
        tasks.push(tokio::spawn(async move {
            cmms.transition_work_order(&owner, wo.id, S::InProgress, input).await
        }));
    }
    let (mut won, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(w) => {
                won += 1;
                assert_eq!(w.version, wo.version + 1);
            }
            Err(CmmsError::Conflict { .. } | CmmsError::InvalidTransition { .. }) => refused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((won, refused), (1, 31));
    let stored = cmms.get_work_order(&owner, wo.id).await.unwrap();
    assert_eq!((stored.status, stored.version), (S::InProgress, wo.version + 1));
    let timeline = store.timeline(owner.org(), wo.id).await.unwrap();
    let to: Vec<S> = timeline.iter().map(|t| t.to_status).collect();
    assert_eq!(to, vec![S::Assigned, S::InProgress], "no lost or doubled entry");
    let events = store.events_since(owner.org(), 0, 10_000).await.unwrap();
    let changes = events
        .iter()
        .filter(|e| {
            e.draft.kind == EventKind::WorkOrderStatusChanged && e.draft.entity.id == wo.id.0
        })
        .count();
    assert_eq!(changes, 1);
    let seqs: BTreeSet<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs.len(), events.len());
    assert_eq!(cmms.verify_audit_chain(&owner).await.unwrap(), None);
    let (head, _) = store.audit_head(owner.org()).await.unwrap();
    assert_eq!(
        head as usize,
        cmms.audit_entries(&owner, 0, Some(cmms_core::store::MAX_LIMIT)).await.unwrap().len()
    );
}

/// Every table of the schema (but sqlx's bookkeeping and the search side tables) has row-level
/// security enabled AND forced, and a tenant policy: a table added by a later migration cannot
/// forget it. The search side tables have no RLS by design (migration 0007): the app role has
/// no privilege on them at all, which tests/search.rs checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_has_forced_row_level_security() {
    let url = TestServer::fresh_database().await;
    let mut c = owner_connection(&url).await;
    let rows = sqlx::query(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, \
                (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname AND p.policyname = 'tenant') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' \
           AND c.relname NOT IN ('_sqlx_migrations', 'work_order_search', 'request_search') \
         ORDER BY c.relname",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert!(rows.len() >= 25, "the schema's tables are all listed ({})", rows.len());
    for row in rows {
        let (name, enabled, forced, policies): (String, bool, bool, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        assert!(
            enabled && forced && policies == 1,
            "{name}: rls={enabled} forced={forced} tenant policies={policies}"
        );
    }
}

/// Polls `fut` at most `polls` times (yielding between), then drops it: abandons a call at one
/// of its first await points, such as the round trip of its `BEGIN`.
async fn abandon_after<F: std::future::Future>(fut: F, polls: u64) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    for _ in 0..polls {
        let polled = std::future::poll_fn(|cx| std::task::Poll::Ready(fut.as_mut().poll(cx))).await;
        if let std::task::Poll::Ready(out) = polled {
            return Some(out);
        }
        tokio::task::yield_now().await;
    }
    None
}

/// Callers dropped at any moment (a client that hung up, a timeout) never leave the pooled
/// connection inside a transaction. On a pool of one connection, 2,000 times: a read abandoned
/// at one of its first await points (such as its `BEGIN`'s round trip), then a write that runs
/// to its end. A read transaction left open would make that write fail as read-only (sqlx 0.9.0
/// did that about once in 500 abandoned reads here). Then every acknowledged write is there and
/// the connection is idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_calls_never_leave_a_transaction_open() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 1).await;
    let cmms = Cmms::new(store.clone());
    let (owner, site) = org(&cmms, "Dropped").await;
    let first = work_order(&cmms, &owner, site, "first").await;
    let mut seed: u64 = 0x0dd5_eed5;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut acked = Vec::new();
    for i in 0..2_000 {
        if let Some(r) =
            abandon_after(store.get_work_order(owner.org(), first), 1 + next() % 6).await
        {
            r.unwrap();
        }
        // A write with no read of its own first (which would end a transaction left open).
        let input = NewSite { name: format!("S{i}"), code: format!("S{i}"), ..NewSite::default() };
        let new = Site::create(owner.org(), input, chrono::Utc::now()).unwrap();
        let mut cs = cmms_core::Changeset::new();
        cs.push(cmms_core::Write::insert(new.clone()));
        store.commit(owner.org(), cs).await.unwrap();
        acked.push(new.id);
    }
    for id in acked {
        assert!(store.get_site(owner.org(), id).await.unwrap().is_some(), "{id} is gone");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut c = owner_connection(&url).await;
    let stuck: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(stuck, 0, "a pooled connection was left inside a transaction");
}

/// Three store instances (as three server replicas would have) generate the same PM plan's
/// work at the same moment: every asset gets exactly one work order, and the audit chain is
/// whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_generate_each_pm_work_order_once() {
    use cmms_core::domain::asset::NewAsset;
    use cmms_core::domain::pm::NewPmPlan;
    use cmms_core::service::GenerateRequest;
    use cmms_core::store::WorkOrderFilter;
    let url = TestServer::fresh_database().await;
    let first = Cmms::new(store(&url, 5).await);
    let (owner, site) = org(&first, "Replicas").await;
    for i in 0..12 {
        let asset = NewAsset {
            name: format!("Fan {i}"),
            code: format!("F-{i}"),
            site_id: Some(site),
            category: Some("fan".into()),
            ..NewAsset::default()
        };
        first.create_asset(&owner, asset).await.unwrap();
    }
    let schedule = serde_json::json!({
        "triggers": [{ "kind": "calendar", "every": 1, "unit": "weeks", "time_of_day": "00:00:00" }],
        "starts_on": chrono::Utc::now().date_naive().to_string(),
    });
    let plan = NewPmPlan {
        site_id: site,
        title: "Check belts".into(),
        description: None,
        wo_type: None,
        priority: None,
        estimated_hours: None,
        checklist: Vec::new(),
        parts: Vec::new(),
        assignees: Vec::new(),
        team_id: None,
        asset_ids: Vec::new(),
        category: Some("fan".into()),
        schedule: serde_json::from_value(schedule).unwrap(),
        active: None,
    };
    first.create_pm_plan(&owner, plan).await.unwrap();
    let mut replicas = vec![first.clone()];
    for _ in 0..2 {
        replicas.push(Cmms::new(store(&url, 5).await));
    }
    let runs = replicas.into_iter().map(|cmms| {
        let owner = owner.clone();
        tokio::spawn(async move { cmms.generate_due_pm(&owner, GenerateRequest::default()).await })
    });
    let mut created = 0;
    for run in runs.collect::<Vec<_>>() {
        created += run.await.unwrap().unwrap().created.len();
    }
    assert_eq!(created, 12, "each asset once across the three replicas");
    let filter = WorkOrderFilter { limit: Some(100), ..WorkOrderFilter::default() };
    let wos = first.list_work_orders(&owner, filter).await.unwrap();
    assert_eq!(wos.items.iter().filter(|w| w.pm_plan_id.is_some()).count(), 12);
    assert_eq!(first.verify_audit_chain(&owner).await.unwrap(), None);
}

/// Issue 14: 50 concurrent issues of one unit against a stock of 20, from two store instances
/// (two pools, as two server replicas would be): exactly 20 succeed, stock ends at 0 and never
/// went negative, the ledger sums to the stock, and the low-stock event was raised once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_never_oversell_stock() {
    use cmms_core::domain::inventory::{
        NewPart, NewStockLocation, PartAction, PartsRequest, Quantity, StockLevels,
    };
    use cmms_core::service::{MovementFilter, StockInput};
    let url = TestServer::fresh_database().await;
    let first = Cmms::new(store(&url, 5).await);
    let second = Cmms::new(store(&url, 5).await);
    let (owner, site) = org(&first, "Stores").await;
    let levels = StockLevels { reorder_point: Some(Quantity::units(5)), ..StockLevels::default() };
    let part =
        NewPart { part_number: "BOLT".into(), name: "Bolt".into(), levels, ..NewPart::default() };
    let part = first.create_part(&owner, part).await.unwrap();
    let loc = NewStockLocation {
        site_id: Some(site),
        parent_id: None,
        code: "MAIN".into(),
        name: "Main".into(),
    };
    let loc = first.create_stock_location(&owner, loc).await.unwrap();
    let input = StockInput {
        part_id: part.id,
        location_id: loc.id,
        quantity: Quantity::units(20),
        unit_cost: None,
        reason: None,
    };
    first.receive_stock(&owner, input).await.unwrap();
    let wo =
        NewWorkOrder { title: "Bolting".into(), site_id: Some(site), ..NewWorkOrder::default() };
    let wo = first.create_work_order(&owner, wo).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let cmms = if i % 2 == 0 { first.clone() } else { second.clone() };
        let owner = owner.clone();
        let req = PartsRequest {
            action: PartAction::Issue,
            part_id: part.id,
            location_id: loc.id,
            quantity: Some(Quantity::units(1)),
        };
        tasks.push(tokio::spawn(
            async move { cmms.change_work_order_parts(&owner, wo.id, req).await },
        ));
    }
    let (mut ok, mut short) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(CmmsError::InsufficientStock { .. }) => short += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!((ok, short), (20, 30));
    let stock = second.get_stock(&owner, part.id, loc.id).await.unwrap();
    assert_eq!((stock.on_hand, stock.reserved), (Quantity::ZERO, Quantity::ZERO));
    let filter =
        MovementFilter { part: Some(part.id), limit: Some(500), ..MovementFilter::default() };
    let ledger = first.list_stock_movements(&owner, filter).await.unwrap();
    let sum: Quantity = ledger.items.iter().map(|m| m.on_hand_delta).sum();
    assert_eq!(sum, Quantity::ZERO);
    let events = first.store().events_since(owner.org(), 0, 10_000).await.unwrap();
    let lows = events.iter().filter(|e| e.draft.kind == EventKind::LowStock).count();
    assert_eq!(lows, 1, "one crossing of the reorder point, one event");
    assert_eq!(first.verify_audit_chain(&owner).await.unwrap(), None);
}
