//! Row-level security stays a real second wall now that the tenant is set in the same message as
//! `BEGIN` and connections are not pinged on checkout: through the store's own way of opening a
//! transaction, a query without any tenant filter sees only that org; a connection reused for
//! another org — also after cancelled calls — sees nothing of the previous one; and a session
//! that lost its role fails instead of running as the tables' owner.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cmms_core::domain::site::{NewSite, Site};
use cmms_core::store::{OrgReads, Store, WorkOrderReads};
use cmms_core::{Changeset, Cmms, OrgId, Write};
use cmms_store_postgres::PgStore;
use cmms_store_postgres::testing::{TestServer, owner_connection};
use sqlx::{Executor, PgConnection};
use std::time::Duration;
use uuid::Uuid;

mod common;
use common::{org, store, work_order};

/// Every table and view with an `org_id` column the app role may read: the search side tables
/// are closed to it (tests/search.rs), their tenant views are checked like tables.
async fn tenant_tables(url: &str) -> Vec<String> {
    let mut c = owner_connection(url).await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.table_name::text FROM information_schema.columns c \
         JOIN information_schema.tables t USING (table_schema, table_name) \
         WHERE c.table_schema = 'public' AND c.column_name = 'org_id' \
         AND t.table_type IN ('BASE TABLE', 'VIEW') \
         AND c.table_name NOT IN ('work_order_search', 'request_search') ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert!(tables.len() >= 20, "expected every tenant table, found {tables:?}");
    tables
}

/// The distinct orgs `c` sees in each table, for every table with rows visible.
async fn visible_orgs(c: &mut PgConnection, tables: &[String]) -> Vec<(String, Uuid)> {
    let mut seen = Vec::new();
    for t in tables {
        // Table names come from the catalogue, not from input.
        let sql = format!("SELECT DISTINCT org_id FROM {t}");
        let orgs: Vec<Uuid> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await.unwrap();
        seen.extend(orgs.into_iter().map(|o| (t.clone(), o)));
    }
    seen
}

async fn two_orgs(store: &std::sync::Arc<PgStore>) -> (OrgId, OrgId, Uuid) {
    let cmms = Cmms::new(store.clone());
    let (a, a_site) = org(&cmms, "Alpha").await;
    let (b, b_site) = org(&cmms, "Beta").await;
    for i in 0..3 {
        work_order(&cmms, &a, a_site, &format!("A{i}")).await;
    }
    let b_wo = work_order(&cmms, &b, b_site, "B0").await;
    (a.org(), b.org(), b_wo.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfiltered_queries_see_only_the_org_the_transaction_was_opened_for() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 2).await;
    let (a, b, b_wo) = two_orgs(&store).await;
    let tables = tenant_tables(&url).await;

    let mut tx = store.tenant_transaction(a, false).await.unwrap();
    let seen = visible_orgs(&mut tx, &tables).await;
    assert!(seen.iter().any(|(t, _)| t == "work_orders"), "org A's rows are visible: {seen:?}");
    assert!(seen.iter().all(|(_, o)| *o == a.0), "only org A is visible: {seen:?}");
    let who: String =
        sqlx::query_scalar("SELECT current_user::text").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(who, "cmms_app");
    // Writing B's rows: invisible to UPDATE, refused to INSERT.
    let hit = sqlx::query("UPDATE work_orders SET title = 'stolen' WHERE id = $1")
        .bind(b_wo)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(hit.rows_affected(), 0);
    let err = sqlx::query("INSERT INTO org_counters (org_id, key, value) VALUES ($1, 'x', 1)")
        .bind(b.0)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    let code = err.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("42501"), "{err}");
    drop(tx);

    let mut tx = store.tenant_transaction(b, true).await.unwrap();
    let seen = visible_orgs(&mut tx, &tables).await;
    assert!(!seen.is_empty() && seen.iter().all(|(_, o)| *o == b.0), "{seen:?}");
}

/// What a pooled connection sees between two calls: no tenant, so nothing.
async fn assert_connection_sees_nothing(store: &PgStore, tables: &[String]) {
    let mut c = store.pooled_connection().await;
    let tenant: Option<String> = sqlx::query_scalar("SELECT current_setting('cmms.org_id', true)")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(tenant.unwrap_or_default(), "", "a tenant outlived its transaction");
    let seen = visible_orgs(&mut c, tables).await;
    assert!(seen.is_empty(), "a connection between calls sees {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_connection_sees_nothing_of_the_previous_org() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 1).await; // one connection: every call reuses it
    let (a, b, _) = two_orgs(&store).await;
    let tables = tenant_tables(&url).await;
    {
        let mut tx = store.tenant_transaction(a, true).await.unwrap();
        assert!(visible_orgs(&mut tx, &tables).await.iter().all(|(_, o)| *o == a.0));
    }
    let mut tx = store.tenant_transaction(b, true).await.unwrap();
    let seen = visible_orgs(&mut tx, &tables).await;
    assert!(!seen.is_empty() && seen.iter().all(|(_, o)| *o == b.0), "{seen:?}");
    drop(tx);
    assert_connection_sees_nothing(&store, &tables).await;
}

/// Polls `fut` at most `polls` times (yielding between), then drops it.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_leave_no_tenant_behind() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 1).await;
    let cmms = Cmms::new(store.clone());
    let (owner, site) = org(&cmms, "Alpha").await;
    let (b, _) = org(&cmms, "Beta").await;
    let (a, b) = (owner.org(), b.org());
    let wo = work_order(&cmms, &owner, site, "A0").await;
    let tables = tenant_tables(&url).await;
    for i in 0..1_000u64 {
        if let Some(r) = abandon_after(store.get_work_order(a, wo), 1 + i % 7).await {
            r.unwrap();
        }
        let input = NewSite { name: format!("S{i}"), code: format!("S{i}"), ..NewSite::default() };
        let mut cs = Changeset::new();
        cs.push(Write::insert(Site::create(a, input, chrono::Utc::now()).unwrap()));
        if let Some(r) = abandon_after(store.commit(a, cs), 1 + (i * 3) % 5).await {
            r.unwrap();
        }
    }
    // Abandoned commits still run, in order, in the org's committer: one awaited commit after
    // them returns once they are all done.
    let mut cs = Changeset::new();
    let last = NewSite { name: "last".into(), code: "LAST".into(), ..NewSite::default() };
    cs.push(Write::insert(Site::create(a, last, chrono::Utc::now()).unwrap()));
    store.commit(a, cs).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut tx = store.tenant_transaction(b, true).await.unwrap();
    let seen = visible_orgs(&mut tx, &tables).await;
    assert!(!seen.is_empty() && seen.iter().all(|(_, o)| *o == b.0), "{seen:?}");
    drop(tx);
    assert_connection_sees_nothing(&store, &tables).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_lost_its_role_fails_instead_of_running_as_the_owner() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 1).await;
    let (a, _, _) = two_orgs(&store).await;
    {
        // What a pooler's RESET ALL would do to the session.
        let mut c = store.pooled_connection().await;
        c.execute("RESET ROLE; RESET cmms.app_role").await.unwrap();
    }
    let err = store.tenant_transaction(a, true).await.err();
    assert!(err.is_some(), "a transaction opened without the app role");
    let read = store.get_org(a).await;
    assert!(read.is_err(), "a read ran without the app role: {read:?}");
}
