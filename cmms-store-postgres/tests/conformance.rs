//! Runs cmms-core's conformance suite against PgStore, one fresh database per test (cloned
//! from the migrated template on the test server: `CMMS_TEST_DATABASE_URL`, or a throwaway
//! cluster the harness starts).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use cmms_core::OrgId;
use cmms_core::store::Store;
use cmms_core::testkit::TestDb;
use cmms_store_postgres::testing::{TestServer, owner_connection};
use cmms_store_postgres::{PgOptions, PgStore};
use sqlx::Connection;
use std::sync::Arc;

/// A migrated, empty database of its own.
struct PgTestDb {
    store: Arc<PgStore>,
    url: String,
}

#[async_trait]
impl TestDb for PgTestDb {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn tamper_audit_entry(&self, org: OrgId, seq: i64) {
        // As the owner, with the tenant setting too, so this works whether or not the owner
        // is a superuser (FORCEd policies apply to owners).
        let mut c = owner_connection(&self.url).await;
        let mut tx = c.begin().await.unwrap();
        sqlx::query("SELECT set_config('cmms.org_id', $1, true)")
            .bind(org.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let changed = sqlx::query(
            "UPDATE audit_log SET action = action || '-tampered' WHERE org_id = $1 AND seq = $2",
        )
        .bind(org.0)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
        tx.commit().await.unwrap();
        assert_eq!(changed, 1, "audit entry {seq} of org {org} exists");
    }
}

async fn make() -> Arc<dyn TestDb> {
    let url = TestServer::fresh_database().await;
    let options = PgOptions { max_connections: 5, ..PgOptions::default() };
    let store = PgStore::connect(&url, options).await.unwrap();
    Arc::new(PgTestDb { store: Arc::new(store), url })
}

cmms_core::conformance_suite!(make());
