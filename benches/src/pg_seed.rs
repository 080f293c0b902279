//! Seeded PostgreSQL databases for the list and scale benches: a fresh migrated database on the
//! test server (`cmms_store_postgres::testing`, or `CMMS_TEST_DATABASE_URL`), one fixture
//! organization made through the facade, and `n` generated work orders inserted in bulk
//! (multi-row INSERTs of the store's columns, with the tenant set like the store does), then
//! `ANALYZE`. Not cached: the throwaway server goes away with the process.

use crate::fixture::{Org, USERS_PER_ORG, make_org};
use crate::seedgen::Plan;
use cmms_store_postgres::PgStore;
use cmms_store_postgres::testing::{TestServer, owner_connection};
use sqlx::{Executor, QueryBuilder};
use std::sync::Arc;

/// A fresh, migrated database; returns its URL.
pub async fn fresh() -> String {
    TestServer::fresh_database().await
}

/// A fresh database with the fixture org and `n` work orders; returns its URL and the org.
pub async fn seeded(n: u64) -> (String, Org) {
    let url = fresh().await;
    let store = Arc::new(PgStore::connect_default(&url).await.expect("connect"));
    let org = make_org(store.clone(), "Seeded Plant", USERS_PER_ORG).await;
    store.close().await;
    let started = std::time::Instant::now();
    let mut c = owner_connection(&url).await;
    let mut plan = Plan::new(&org, n);
    loop {
        let batch = plan.batch(1_000);
        if batch.is_empty() {
            break;
        }
        let mut tx = sqlx::Connection::begin(&mut c).await.expect("begin");
        sqlx::query("SELECT set_config('cmms.org_id', $1, true)")
            .bind(org.id.to_string())
            .execute(&mut *tx)
            .await
            .expect("tenant");
        let mut q = QueryBuilder::new(
            "INSERT INTO work_orders (org_id, id, number, title, description, wo_type, priority, \
             priority_rank, category, status, site_id, location_id, asset_id, team_id, \
             requested_by, created_by, request_id, due_at, estimated_hours, actual_start, \
             actual_end, verified_by, verified_at, closed_at, completion_notes, failure_problem, \
             failure_cause, failure_remedy, attachments, created_at, updated_at, version, \
             search_doc) ",
        );
        q.push_values(&batch, |mut b, w| {
            b.push_bind(w.org_id.0)
                .push_bind(w.id.0)
                .push_bind(w.number.clone())
                .push_bind(w.title.clone())
                .push_bind(w.description.clone())
                .push_bind(w.wo_type.as_str())
                .push_bind(w.priority.as_str())
                .push_bind(w.priority.rank())
                .push_bind(w.category.clone())
                .push_bind(w.status.as_str())
                .push_bind(w.site_id.0)
                .push_bind(w.location_id.map(|v| v.0))
                .push_bind(w.asset_id.map(|v| v.0))
                .push_bind(w.team_id.map(|v| v.0))
                .push_bind(w.requested_by.map(|v| v.0))
                .push_bind(w.created_by.map(|v| v.0))
                .push_bind(w.request_id.map(|v| v.0))
                .push_bind(w.due_at)
                .push_bind(w.estimated_hours)
                .push_bind(w.actual_start)
                .push_bind(w.actual_end)
                .push_bind(w.verified_by.map(|v| v.0))
                .push_bind(w.verified_at)
                .push_bind(w.closed_at)
                .push_bind(w.completion_notes.clone())
                .push_bind(w.failure.problem.clone())
                .push_bind(w.failure.cause.clone())
                .push_bind(w.failure.remedy.clone())
                .push_bind(serde_json::to_value(&w.attachments).expect("json"))
                .push_bind(w.created_at)
                .push_bind(w.updated_at)
                .push_bind(w.version)
                .push_bind(cmms_core::search::document(
                    &w.number,
                    &w.title,
                    w.description.as_deref(),
                ));
        });
        q.build().execute(&mut *tx).await.expect("insert work orders");
        let (mut wo, mut user, mut pos, mut at) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for w in &batch {
            for (i, u) in w.assignees.iter().enumerate() {
                wo.push(w.id.0);
                user.push(u.0);
                pos.push(i as i64);
                at.push(w.created_at);
            }
        }
        sqlx::query(
            "INSERT INTO work_order_assignees (org_id, work_order_id, user_id, position, created_at) \
             SELECT $1, * FROM UNNEST($2::uuid[], $3::uuid[], $4::bigint[], $5::timestamptz[])",
        )
        .bind(org.id.0)
        .bind(wo)
        .bind(user)
        .bind(pos)
        .bind(at)
        .execute(&mut *tx)
        .await
        .expect("insert assignees");
        tx.commit().await.expect("commit");
    }
    let mut tx = sqlx::Connection::begin(&mut c).await.expect("begin");
    sqlx::query("SELECT set_config('cmms.org_id', $1, true)")
        .bind(org.id.to_string())
        .execute(&mut *tx)
        .await
        .expect("tenant");
    for (year, value) in &plan.counters {
        sqlx::query(
            "INSERT INTO org_counters (org_id, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, key) DO UPDATE SET value = excluded.value",
        )
        .bind(org.id.0)
        .bind(format!("work_order:{year:04}"))
        .bind(value)
        .execute(&mut *tx)
        .await
        .expect("counter");
    }
    tx.commit().await.expect("commit");
    c.execute("ANALYZE").await.expect("analyze");
    eprintln!("seeded PostgreSQL with {n} work orders in {:.1?}", started.elapsed());
    (url, org)
}
