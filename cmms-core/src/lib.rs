//! # cmms-core
//!
//! The maintenance-management domain as a library: organizations, sites, assets, work orders,
//! requests, preventive maintenance and meters, role-based access control, the work-order status
//! machine, the audit hash chain and domain events — and the `Store` trait that SQLite and
//! Postgres backends implement.
//!
//! Every use case follows the same five steps (DESIGN §3.1): **load** through the store's
//! tenant-scoped reads, **authorize** with the pure [`rbac::authorize`], **decide** with pure
//! domain functions, **commit** one [`store::Changeset`] atomically, **publish** the events.
//!
//! Start with [`Cmms`]: wrap a store, bootstrap an organization, and call use cases with an
//! [`Actor`].
//!
//! Every stored record type is described once, in [`store::record`]: its table, ordered
//! columns with neutral types, key and versioning, and its conversions to and from neutral
//! values. Stores apply generic statements to the descriptions (docs/records.md).
//!
//! Preventive maintenance: [`domain::pm`] holds plans' schedules and the pure engine
//! ([`domain::pm::next_due`], [`domain::pm::forecast`]: no clock, no I/O); `Cmms` generates the
//! due work idempotently (`generate_due_pm`) and reports what is due and compliance
//! (docs/preventive-maintenance.md).
//!
//! Inventory and purchasing: [`domain::inventory`] holds exact quantities and money, stock
//! and its ledger, parts on work orders, purchase orders (a status table) and cost; every
//! stock change commits as a conditional `Write::StockDelta`, so stock never goes below zero
//! (docs/inventory.md).

#![warn(missing_docs)]

mod macros;

pub mod actor;
pub mod clock;
pub mod domain;
pub mod error;
pub mod ids;
pub mod notify;
pub mod rbac;
pub mod search;
pub mod service;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
mod validate;

pub use actor::{Actor, ActorGrant};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{CmmsError, FieldError, Result, StoreError, StoreFailure};
pub use ids::*;
pub use service::Cmms;
pub use store::{Changeset, Page, Receipt, Store, Write};
