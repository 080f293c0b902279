//! Typed writes and the `Changeset` a use case hands to `Store::commit`.

use crate::domain::EntityKind;
use crate::domain::audit::AuditDraft;
use crate::domain::event::{Event, EventDraft};
use crate::domain::inventory::StockDelta;
use crate::domain::token::TokenPurpose;
use crate::ids::{TokenId, UserId};
use crate::store::record::{Record, StoredRecord, Table};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// One write of a changeset.
///
/// Records go in through [`Write::insert`] and [`Write::update`], which take any described
/// [`Record`]: the stores apply them generically from the record's description, so a new
/// record type needs no new variant here and no code in either store. (A typed variant per
/// record, as before, cost a match arm in each store for every table.) The remaining variants
/// are the writes whose SQL is genuinely special.
#[derive(Debug, Clone)]
pub enum Write {
    /// Insert a record (and its join-table lists).
    Insert(Arc<dyn StoredRecord>),
    /// Update a versioned record: the record carries its NEXT version, and the store writes it
    /// only where the stored row still has `version - 1`, else returns `StoreError::Conflict`
    /// (or `NotFound` when the row is gone). Join-table lists are replaced.
    Update(Arc<dyn StoredRecord>),
    /// Delete one row by id (with its join-table lists): `NotFound` when it is not there and,
    /// when `version` is given, `Conflict` unless the row still has it.
    Delete {
        /// Which table.
        table: &'static Table,
        /// The row's id.
        id: Uuid,
        /// The version the decision was made on, for a versioned delete.
        version: Option<i64>,
    },
    /// Delete every row of `table` whose parent column (`Table::parent`) is `parent`.
    DeleteChildren {
        /// Which table.
        table: &'static Table,
        /// The parent's id.
        parent: Uuid,
    },
    /// Revoke (set `revoked_at` on) the user's tokens that are not yet revoked: of one refresh
    /// family when `family` is given, else of `purpose` when given, else all of them.
    RevokeTokens {
        /// Whose tokens.
        user: UserId,
        /// One refresh family only.
        family: Option<TokenId>,
        /// One purpose only.
        purpose: Option<TokenPurpose>,
        /// The revocation time.
        at: DateTime<Utc>,
    },
    /// Refuse the whole commit unless the row still has `version` (`Conflict`, or `NotFound`
    /// when it is gone); stores with row locks also lock the row until the commit ends. Lets a
    /// decision that depends on OTHER rows commit safely — a tree move is checked against the
    /// new parent's ancestors, and asserting their versions stops a concurrent move from
    /// closing a cycle.
    AssertVersion {
        /// Which table: any entity with a `version`.
        entity: EntityKind,
        /// The row.
        id: uuid::Uuid,
        /// The version the decision was made on.
        version: i64,
    },
    /// Move one stock row by a delta (creating it when missing), refused with `Conflict` when
    /// the result would be negative or reserve more than is on hand; see [`StockDelta`].
    StockDelta(Box<StockDelta>),
    /// Append to the org's audit chain; the store numbers and links it.
    AppendAudit(AuditDraft),
    /// Append to the org's event outbox; the store numbers it.
    AppendEvent(EventDraft),
}

impl Write {
    /// Inserts `record`.
    pub fn insert(record: impl Record) -> Self {
        Self::Insert(Arc::new(record))
    }

    /// Updates `record`, which carries its next version.
    pub fn update(record: impl Record) -> Self {
        Self::Update(Arc::new(record))
    }

    /// Deletes the `T` with this id.
    pub fn delete<T: Record>(id: impl Into<Uuid>) -> Self {
        Self::Delete { table: T::TABLE, id: id.into(), version: None }
    }

    /// Deletes the `T` with this id if it still has `version`.
    pub fn delete_versioned<T: Record>(id: impl Into<Uuid>, version: i64) -> Self {
        Self::Delete { table: T::TABLE, id: id.into(), version: Some(version) }
    }

    /// Deletes every `T` that belongs to `parent`.
    pub fn delete_children<T: Record>(parent: impl Into<Uuid>) -> Self {
        Self::DeleteChildren { table: T::TABLE, parent: parent.into() }
    }

    /// The organization of the record this write carries; `None` for writes addressed by id
    /// (deletes, revocations, guards) and for audit entries and events, which the commit's org
    /// scopes. Stores refuse a commit whose records name another org than the commit's.
    pub fn owner_org(&self) -> Option<crate::ids::OrgId> {
        match self {
            Self::Insert(r) | Self::Update(r) => Some(r.org()),
            _ => None,
        }
    }
}

/// Builds the writes that depend on human numbers, given the counter values the store drew.
///
/// `Fn`, not `FnOnce`: a store may apply a changeset more than once when a transaction it was
/// part of rolls back (SQLite's group commit re-runs each changeset alone), so building must
/// not consume anything.
pub type NumberedBuild = Arc<dyn Fn(&[i64]) -> Vec<Write> + Send + Sync>;

/// Human numbers a changeset needs, and the writes built from them.
#[derive(Clone)]
pub struct Numbered {
    /// Counter keys to increment (one value drawn per key, in order).
    pub counters: Vec<String>,
    /// Builds the remaining writes from the drawn values.
    pub build: NumberedBuild,
}

impl std::fmt::Debug for Numbered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Numbered").field("counters", &self.counters).finish_non_exhaustive()
    }
}

/// Everything one use case changes, applied by `Store::commit` in ONE transaction, or not at all.
///
/// Writes apply in order. When the changeset needs human numbers (`WO-2026-00042`), the store
/// first increments each counter inside the transaction, then calls `build` with the values and
/// applies the writes it returns after the plain ones. A closure (instead of placeholders) keeps
/// number formatting, audit and event content in core while the counter stays transactional:
/// numbers are race-free and, when no commit fails, consecutive.
#[derive(Debug, Default, Clone)]
pub struct Changeset {
    writes: Vec<Write>,
    numbered: Option<Numbered>,
}

impl Changeset {
    /// An empty changeset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a write.
    pub fn push(&mut self, write: Write) {
        self.writes.push(write);
    }

    /// Appends several writes.
    pub fn extend(&mut self, writes: impl IntoIterator<Item = Write>) {
        self.writes.extend(writes);
    }

    /// Asks the store to draw one value from each counter and build the dependent writes.
    /// `build` may be called more than once (a store may re-run a changeset after a rolled-back
    /// attempt), so it must not consume what it captures: clone instead.
    pub fn with_numbers(
        mut self,
        counters: Vec<String>,
        build: impl Fn(&[i64]) -> Vec<Write> + Send + Sync + 'static,
    ) -> Self {
        self.numbered = Some(Numbered { counters, build: Arc::new(build) });
        self
    }

    /// The plain writes and the numbered part, for the store.
    pub fn into_parts(self) -> (Vec<Write>, Option<Numbered>) {
        (self.writes, self.numbered)
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.numbered.is_none()
    }
}

/// What a commit produced.
#[derive(Debug, Clone, Default)]
pub struct Receipt {
    /// Values drawn from the counters, in the order asked.
    pub numbers: Vec<i64>,
    /// Sequence number of the last audit entry written (0 when none).
    pub audit_seq: i64,
    /// The committed events with their sequence numbers.
    pub events: Vec<Event>,
}
