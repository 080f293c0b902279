//! Every stored record type described once (DESIGN §3.1a): its table, its ordered columns with a
//! neutral type, its key, whether it is versioned, and the two conversions record ⇄ neutral
//! values. The stores map the neutral types to their drivers once and apply generic insert,
//! versioned update, delete, get and list for every description here, so a new simple table
//! costs its description and one migration per store — no code in either store.
//!
//! ```
//! use cmms_core::domain::site::Site;
//! use cmms_core::store::record::{ColumnType, Record, TABLES};
//!
//! let sites = Site::TABLE;
//! assert_eq!(sites.name, "sites");
//! assert_eq!(sites.column("time_zone").map(|c| c.ty), Some(ColumnType::Text));
//! assert!(TABLES.iter().any(|t| t.name == "work_orders"));
//! ```

mod auth;
mod files;
mod inventory;
mod mail;
mod notify;
mod org;
mod pm;
mod reader;
mod reads;
mod schema;
mod sql;
#[cfg(test)]
mod tests;
mod value;
mod webhook;
mod work;

pub use auth::*;
pub use files::*;
pub use inventory::*;
pub use mail::*;
pub use notify::*;
pub use org::*;
pub use pm::*;
pub use reader::*;
pub use reads::*;
pub use schema::*;
pub use sql::*;
pub use value::*;
pub use webhook::*;
pub use work::*;

use crate::domain::EntityKind;
use crate::error::StoreError;
use crate::ids::OrgId;
use std::fmt;

/// The neutral type of a column. Each store maps each type to its driver once (SQLite: BLOB,
/// TEXT, INTEGER, REAL; PostgreSQL: uuid, text, bigint, double precision, boolean,
/// timestamptz, jsonb, numeric, uuid[]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// A UUID (every id).
    Uuid,
    /// UTF-8 text without NUL characters (names, codes, wire names of enums).
    Text,
    /// A 64-bit signed integer.
    Int,
    /// A 64-bit float.
    Float,
    /// A boolean.
    Bool,
    /// A UTC timestamp with microsecond precision.
    Timestamp,
    /// A JSON document.
    Json,
    /// An exact decimal number (quantities, money), scale kept.
    Decimal,
    /// An ordered list of UUIDs.
    UuidList,
}

impl ColumnType {
    /// Its name in messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Uuid => "uuid",
            Self::Text => "text",
            Self::Int => "integer",
            Self::Float => "float",
            Self::Bool => "boolean",
            Self::Timestamp => "timestamp",
            Self::Json => "json",
            Self::Decimal => "decimal",
            Self::UuidList => "uuid list",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A list of ids kept in a join table instead of a column: `(org_id, <parent>, <item>,
/// position)`, replaced as a whole whenever its record is inserted or updated, read back in
/// position order, and deleted with its record. (Join tables give each item a foreign key,
/// which an array column cannot.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinTable {
    /// The join table.
    pub table: &'static str,
    /// Its column naming the record the list belongs to.
    pub parent: &'static str,
    /// Its column holding one item.
    pub item: &'static str,
    /// A column of the parent copied into every row of its list, under the same name, so a
    /// list filtered by item can be read in the parent's order from the join side alone
    /// ("my work": a user's work orders newest first walks the user's assignments, not the
    /// organization). Stores fill it from the parent row when they write the list, which
    /// happens on every insert and update of the parent, so the copy never goes stale.
    pub copied: Option<&'static str>,
}

/// One column of a described record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column's name in both stores.
    pub name: &'static str,
    /// Its neutral type.
    pub ty: ColumnType,
    /// Whether it may be NULL.
    pub nullable: bool,
    /// Where a list column lives when it is not a column of the table itself.
    pub join: Option<&'static JoinTable>,
    /// Written from the record but never read back (a search document): reads select NULL
    /// instead of shipping it.
    pub derived: bool,
}

/// A NOT NULL column.
pub const fn col(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, nullable: false, join: None, derived: false }
}

/// A nullable column.
pub const fn null(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, nullable: true, join: None, derived: false }
}

/// A NOT NULL column the record writes but never reads back (see [`Column::derived`]).
pub const fn derived(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, nullable: false, join: None, derived: true }
}

/// A list of ids kept in a join table (see [`JoinTable`]).
pub const fn joined(name: &'static str, join: &'static JoinTable) -> Column {
    Column { name, ty: ColumnType::UuidList, nullable: false, join: Some(join), derived: false }
}

/// One key of a table's list order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// The column.
    pub column: &'static str,
    /// Descending instead of ascending.
    pub descending: bool,
}

/// Ascending by `column`.
pub const fn asc(column: &'static str) -> Order {
    Order { column, descending: false }
}

/// Descending by `column`.
pub const fn desc(column: &'static str) -> Order {
    Order { column, descending: true }
}

/// How a table's rows are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `(org_id, <column>)`: every tenant table.
    Org(&'static str),
    /// The organizations themselves: `id` is the tenant.
    Tenant,
}

/// The description of one stored record type.
pub struct Table {
    /// The table's name in both stores.
    pub name: &'static str,
    /// The entity named in errors (`NotFound`, `Conflict`).
    pub entity: &'static str,
    /// Columns in record order; every store selects them in this order and reads by position.
    pub columns: &'static [Column],
    /// How rows are keyed.
    pub key: Key,
    /// Whether rows carry `version` and updates are optimistic (`version = next - 1`).
    pub versioned: bool,
    /// The column naming the record this one belongs to (a work order's comments), for
    /// deleting a parent's rows.
    pub parent: Option<&'static str>,
    /// The order of every list of this table (the last key should make it total).
    pub order: &'static [Order],
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Table({})", self.name)
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Where the column called `name` is in a row.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column holding a row's own id (with `org_id` for tenant tables).
    pub const fn id_column(&self) -> &'static str {
        match self.key {
            Key::Org(c) => c,
            Key::Tenant => "id",
        }
    }

    /// The columns stored in the table itself (every column but join-table lists).
    pub fn stored(&self) -> impl Iterator<Item = &'static Column> {
        self.columns.iter().filter(|c| c.join.is_none())
    }

    /// The row's id among a record's values.
    pub fn id_of(&self, values: &[Value<'_>]) -> Option<uuid::Uuid> {
        match self.position(self.id_column()).and_then(|p| values.get(p)) {
            Some(Value::Uuid(id)) => Some(*id),
            _ => None,
        }
    }

    /// The row's version among a record's values (versioned tables).
    pub fn version_of(&self, values: &[Value<'_>]) -> Option<i64> {
        match self.position("version").and_then(|p| values.get(p)) {
            Some(Value::Int(v)) => Some(*v),
            _ => None,
        }
    }

    /// Why a versioned write of row `id` matched nothing: the row is gone (`current` is `None`:
    /// `NotFound`) or has another version than `expected` (`Conflict` with the current one).
    pub fn version_miss(&self, id: uuid::Uuid, current: Option<i64>, expected: i64) -> StoreError {
        match current {
            None => StoreError::NotFound { entity: self.entity, id: id.to_string() },
            Some(v) => StoreError::Conflict {
                message: format!(
                    "{} {id} changed since it was read (expected version {expected}, found {v})",
                    self.entity
                ),
                current_version: Some(v),
            },
        }
    }

    /// `NotFound` for row `id`.
    pub fn not_found(&self, id: uuid::Uuid) -> StoreError {
        StoreError::NotFound { entity: self.entity, id: id.to_string() }
    }

    /// The columns kept in join tables.
    pub fn joins(&self) -> impl Iterator<Item = (&'static Column, &'static JoinTable)> {
        self.columns.iter().filter_map(|c| c.join.map(|j| (c, j)))
    }
}

/// A record type with a description: what `Write::insert` / `Write::update` take and what the
/// generic reads return.
///
/// `write` pushes one value per column of [`Record::TABLE`], in order; `read` takes them back in
/// the same order, from whatever [`RowSource`] the store reads (its driver's row, by position). The values are checked against the description before a store sees them,
/// and a store's values are checked while they are read, so a description that disagrees with
/// its functions fails loudly instead of shifting columns.
pub trait Record: fmt::Debug + Send + Sync + Sized + 'static {
    /// The description.
    const TABLE: &'static Table;

    /// The organization the record belongs to.
    fn org_id(&self) -> OrgId;

    /// Pushes the record's values, one per column.
    fn write<'a>(&'a self, v: &mut Values<'a>) -> Result<(), StoreError>;

    /// Reads a record back from one row, column by column.
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> Result<Self, StoreError>;

    /// The record's values, checked against the description.
    fn to_values(&self) -> Result<Vec<Value<'_>>, StoreError> {
        let mut v = Values::new(Self::TABLE);
        self.write(&mut v)?;
        v.finish()
    }
}

/// A record behind a `Write`, with its type erased.
pub trait StoredRecord: fmt::Debug + Send + Sync + 'static {
    /// Its description.
    fn table(&self) -> &'static Table;
    /// The organization it belongs to.
    fn org(&self) -> OrgId;
    /// Its values, checked against the description.
    fn values(&self) -> Result<Vec<Value<'_>>, StoreError>;
}

impl<T: Record> StoredRecord for T {
    fn table(&self) -> &'static Table {
        T::TABLE
    }
    fn org(&self) -> OrgId {
        self.org_id()
    }
    fn values(&self) -> Result<Vec<Value<'_>>, StoreError> {
        self.to_values()
    }
}

/// Every described table.
pub static TABLES: &[&Table] = &[
    &ORGS,
    &SITES,
    &LOCATIONS,
    &TEAMS,
    &USERS,
    &CUSTOM_ROLES,
    &ROLE_GRANTS,
    &FAILURE_CODES,
    &ASSETS,
    &WORK_ORDERS,
    &TIMELINE,
    &COMMENTS,
    &CHECKLIST_ITEMS,
    &LABOR_ENTRIES,
    &REQUESTS,
    &CREDENTIALS,
    &AUTH_TOKENS,
    &API_KEYS,
    &METERS,
    &METER_READINGS,
    &PM_PLANS,
    &PM_SLOTS,
    &PM_STATES,
    &PARTS,
    &STOCK_LOCATIONS,
    &STOCK,
    &STOCK_MOVEMENTS,
    &WORK_ORDER_PARTS,
    &WORK_ORDER_COSTS,
    &VENDORS,
    &VENDOR_PARTS,
    &PURCHASE_ORDERS,
    &PURCHASE_ORDER_LINES,
    &NOTIFICATIONS,
    &NOTIFICATION_PREFERENCES,
    &WORK_ORDER_WATCHERS,
    &NOTIFICATION_CURSORS,
    &MAIL_OUTBOX,
    &ATTACHMENTS,
    &ATTACHMENT_CONTENTS,
    &ATTACHMENT_USAGE,
    &WEBHOOKS,
    &WEBHOOK_CURSORS,
    &WEBHOOK_DELIVERIES,
];

/// Tables the stores keep that are not records: counters and the audit and event chains are
/// written by the commit itself (numbered, hash-linked), not by generic writes.
pub const SPECIAL_TABLES: &[&str] =
    &["org_counters", "audit_heads", "audit_log", "event_heads", "events"];

/// The versioned table of an entity kind (for `Write::AssertVersion`).
pub fn versioned_table(kind: EntityKind) -> Result<&'static Table, StoreError> {
    TABLES
        .iter()
        .copied()
        .find(|t| t.versioned && t.entity == kind.as_str())
        .ok_or_else(|| StoreError::backend(format!("{kind} rows carry no version")))
}
