//! Fixtures shared by the store-level tests: fresh migrated databases in temp dirs and records
//! built straight from the domain structs (no use cases).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use cmms_core::ids::*;
use cmms_core::store::{Changeset, Store, Write};
use cmms_store_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::Arc;

/// A store on a fresh database file.
pub struct Db {
    pub store: Arc<SqliteStore>,
    pub path: PathBuf,
    pub dir: tempfile::TempDir,
}

/// A fresh, migrated database.
pub async fn db() -> Db {
    let db = unmigrated().await;
    db.store.migrate().await.unwrap();
    db
}

/// A fresh database that has not been migrated.
pub async fn unmigrated() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cmms.db");
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    Db { store, path, dir }
}

#[allow(unused_imports)] // not every test file uses every record
pub use cmms_core::testkit::records::*;

/// Commits one write for `org`.
pub async fn put(store: &SqliteStore, org: OrgId, w: Write) {
    let mut cs = Changeset::new();
    cs.push(w);
    store.commit(org, cs).await.unwrap();
}
