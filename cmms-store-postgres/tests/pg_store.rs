//! Store behaviour specific to the PostgreSQL backend beyond the Postgres-only issue tests:
//! the schema check before migrating, exact audit documents, and lock waits that end as `busy`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cmms_core::domain::org::NewOrg;
use cmms_core::domain::work_order::WorkOrderPatch;
use cmms_core::store::{OrgReads, Store};
use cmms_core::{Cmms, CmmsError, StoreError};
use cmms_store_postgres::PgOptions;
use cmms_store_postgres::testing::{TestServer, owner_connection};
use sqlx::{Connection, Executor};
use std::time::Duration;

mod common;
use common::{org, store, store_with, work_order};

/// A database that was never migrated: the store connects, refuses reads and commits with a
/// migration error, and works once `migrate()` ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmigrated_database_asks_for_migrate() {
    let server = TestServer::get().await;
    let name = format!("test_{}", uuid::Uuid::now_v7().simple());
    let mut c = owner_connection(server.url()).await;
    c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    c.close().await.unwrap();
    let store = store(&server.database_url(&name), 2).await;
    assert_eq!(store.schema_version().await.unwrap(), 0);
    let cmms = Cmms::new(store.clone());
    let err = cmms
        .bootstrap_org(NewOrg {
            name: "Early".into(),
            owner_name: "E".into(),
            owner_email: "e@early.test".into(),
            ..NewOrg::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("call migrate()"), "{err}");
    assert!(matches!(store.list_org_ids().await, Err(StoreError::Migration(_))));
    store.migrate().await.unwrap();
    org(&cmms, "Late").await;
}

/// Audit documents come back exactly as they were hashed (they are `json`, not `jsonb`, which
/// would turn -0.0 into 0.0), so such values never look like tampering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_documents_keep_their_exact_json() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 2).await;
    let cmms = Cmms::new(store.clone());
    let (owner, site) = org(&cmms, "Eta").await;
    let specs = serde_json::json!({
        "neg_zero": -0.0, "tiny": 1e-7, "max": f64::MAX, "z": 1, "a": [0.1, -2.5e-300]
    });
    let asset = cmms_core::domain::asset::NewAsset {
        name: "Exact".into(),
        code: "EX-1".into(),
        site_id: Some(site),
        specifications: specs.clone(),
        ..Default::default()
    };
    cmms.create_asset(&owner, asset).await.unwrap();
    let entries = cmms.audit_entries(&owner, 0, 1000).await.unwrap();
    let created = entries.iter().find(|e| e.draft.action == "asset.create").unwrap();
    let stored = &created.draft.after.as_ref().unwrap()["specifications"];
    assert_eq!(stored.to_string(), specs.to_string());
    assert_eq!(cmms.verify_audit_chain(&owner).await.unwrap(), None);
}

/// A commit that waits on a row lock longer than the statement timeout is cancelled and
/// reported as `busy` (retryable), not as a storage failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_wait_past_the_statement_timeout_is_busy() {
    let url = TestServer::fresh_database().await;
    let options = PgOptions {
        max_connections: 2,
        statement_timeout: Some(Duration::from_millis(300)),
        ..PgOptions::default()
    };
    let store = store_with(&url, options).await;
    let cmms = Cmms::new(store.clone());
    let (owner, site) = org(&cmms, "Theta").await;
    let id = work_order(&cmms, &owner, site, "Locked").await;
    // Another session holds the row.
    let mut c = owner_connection(&url).await;
    let mut tx = c.begin().await.unwrap();
    sqlx::query("SELECT set_config('cmms.org_id', $1, true)")
        .bind(owner.org().to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("SELECT 1 FROM work_orders WHERE id = $1 FOR UPDATE")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    let patch = WorkOrderPatch { title: Some("Waited".into()), ..WorkOrderPatch::default() };
    let err = cmms.update_work_order(&owner, id, patch.clone(), None).await.unwrap_err();
    assert!(matches!(err, CmmsError::Busy), "{err:?}");
    tx.rollback().await.unwrap();
    c.close().await.unwrap();
    // Once the lock is gone the same change goes through.
    let updated = cmms.update_work_order(&owner, id, patch, None).await.unwrap();
    assert_eq!(updated.title, "Waited");
}
