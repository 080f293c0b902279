//! The conformance cases, one async function per behaviour.

use super::TestDb;
use std::sync::Arc;

/// The store reports a schema version.
pub async fn smoke_schema_version(db: Arc<dyn TestDb>) {
    let v = db.store().schema_version().await.unwrap();
    assert!(v >= 1, "a migrated store reports version >= 1, got {v}");
}
