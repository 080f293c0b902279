//! Runs cmms-core's conformance suite against SqliteStore, one fresh database file per test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use cmms_core::OrgId;
use cmms_core::store::Store;
use cmms_core::testkit::TestDb;
use cmms_store_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::Arc;

/// A migrated, empty database in its own temporary directory.
struct SqliteTestDb {
    store: Arc<SqliteStore>,
    path: PathBuf,
    // Dropped last: the directory (and the database) lives as long as the test.
    _dir: tempfile::TempDir,
}

#[async_trait]
impl TestDb for SqliteTestDb {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn tamper_audit_entry(&self, org: OrgId, seq: i64) {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
            let changed = conn
                .execute(
                    "UPDATE audit_log SET action = action || '-tampered' WHERE org_id = ?1 AND seq = ?2",
                    rusqlite::params![org.0, seq],
                )
                .unwrap();
            assert_eq!(changed, 1, "audit entry {seq} of org {org} exists");
        })
        .await
        .unwrap();
    }
}

async fn make() -> Arc<dyn TestDb> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cmms.db");
    let store = SqliteStore::open(&path).await.unwrap();
    store.migrate().await.unwrap();
    Arc::new(SqliteTestDb { store: Arc::new(store), path, _dir: dir })
}

cmms_core::conformance_suite!(make());
