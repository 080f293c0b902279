//! The conformance cases, one async function per behaviour, grouped by area.

mod attachments;
mod audit_events;
mod auth;
mod concurrency;
mod grants;
mod input;
mod inventory;
mod lists;
mod mail;
mod notifications;
mod org;
mod permissions;
mod pm;
mod requests;
mod roundtrip;
mod rules;
mod search;
mod semantics;
mod status;
mod tenancy;
mod webhooks;

pub use attachments::*;
pub use audit_events::*;
pub use auth::*;
pub use concurrency::*;
pub use grants::*;
pub use input::*;
pub use inventory::*;
pub use lists::*;
pub use mail::*;
pub use notifications::*;
pub use org::*;
pub use permissions::*;
pub use pm::*;
pub use requests::*;
pub use roundtrip::*;
pub use rules::*;
pub use search::*;
pub use semantics::*;
pub use status::*;
pub use tenancy::*;
pub use webhooks::*;

use super::TestDb;
use std::sync::Arc;

/// A migrated store reports its schema version.
pub async fn smoke_schema_version(db: Arc<dyn TestDb>) {
    let v = db.store().schema_version().await.unwrap();
    assert!(v >= 1, "a migrated store reports version >= 1, got {v}");
}
