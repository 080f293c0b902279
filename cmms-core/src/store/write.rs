//! Typed writes and the `Changeset` a use case hands to `Store::commit`.

use crate::domain::EntityKind;
use crate::domain::api_key::ApiKey;
use crate::domain::asset::Asset;
use crate::domain::audit::AuditDraft;
use crate::domain::checklist::ChecklistItem;
use crate::domain::comment::Comment;
use crate::domain::credential::Credential;
use crate::domain::event::{Event, EventDraft};
use crate::domain::failure_code::FailureCode;
use crate::domain::labor::LaborEntry;
use crate::domain::location::Location;
use crate::domain::org::Org;
use crate::domain::request::Request;
use crate::domain::site::Site;
use crate::domain::team::Team;
use crate::domain::timeline::TimelineEntry;
use crate::domain::token::{AuthToken, TokenPurpose};
use crate::domain::user::{CustomRole, RoleGrant, User};
use crate::domain::work_order::WorkOrder;
use crate::ids::{GrantId, TokenId, UserId, WorkOrderId};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// One typed write. `Update*` variants carry the record's NEXT version: the store writes it
/// only where the stored row still has `version - 1`, else returns `StoreError::Conflict`
/// (or `NotFound` when the row is gone).
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum Write {
    InsertOrg(Org),
    UpdateOrg(Org),
    InsertSite(Site),
    UpdateSite(Site),
    InsertLocation(Location),
    UpdateLocation(Location),
    /// Insert a team with its member list.
    InsertTeam(Team),
    /// Update a team; the member list is replaced.
    UpdateTeam(Team),
    InsertUser(User),
    UpdateUser(User),
    InsertGrant(RoleGrant),
    DeleteGrant(GrantId),
    InsertRole(CustomRole),
    UpdateRole(CustomRole),
    InsertFailureCode(FailureCode),
    InsertAsset(Asset),
    UpdateAsset(Asset),
    /// Insert a work order with its assignee list.
    InsertWorkOrder(WorkOrder),
    /// Update a work order; the assignee list is replaced.
    UpdateWorkOrder(WorkOrder),
    /// Delete a work order and everything that belongs to it, if its version is still this.
    DeleteWorkOrder {
        id: WorkOrderId,
        version: i64,
    },
    InsertTimeline(TimelineEntry),
    InsertComment(Comment),
    InsertChecklistItem(ChecklistItem),
    UpdateChecklistItem(ChecklistItem),
    InsertLabor(LaborEntry),
    InsertRequest(Request),
    UpdateRequest(Request),
    InsertCredential(Credential),
    UpdateCredential(Credential),
    InsertAuthToken(AuthToken),
    UpdateAuthToken(AuthToken),
    /// Revoke (set `revoked_at` on) the user's tokens that are not yet revoked: of one refresh
    /// family when `family` is given, else of `purpose` when given, else all of them.
    RevokeTokens {
        user: UserId,
        family: Option<TokenId>,
        purpose: Option<TokenPurpose>,
        at: DateTime<Utc>,
    },
    InsertApiKey(ApiKey),
    UpdateApiKey(ApiKey),
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
    /// Append to the org's audit chain; the store numbers and links it.
    AppendAudit(AuditDraft),
    /// Append to the org's event outbox; the store numbers it.
    AppendEvent(EventDraft),
}

impl Write {
    /// The organization of the record this write carries; `None` for writes addressed by id
    /// (deletes, revocations, guards) and for audit entries and events, which the commit's org
    /// scopes. Stores refuse a commit whose records name another org than the commit's.
    pub fn owner_org(&self) -> Option<crate::ids::OrgId> {
        use Write::*;
        Some(match self {
            InsertOrg(o) | UpdateOrg(o) => o.id,
            InsertSite(s) | UpdateSite(s) => s.org_id,
            InsertLocation(l) | UpdateLocation(l) => l.org_id,
            InsertTeam(t) | UpdateTeam(t) => t.org_id,
            InsertUser(u) | UpdateUser(u) => u.org_id,
            InsertGrant(g) => g.org_id,
            InsertRole(r) | UpdateRole(r) => r.org_id,
            InsertFailureCode(f) => f.org_id,
            InsertAsset(a) | UpdateAsset(a) => a.org_id,
            InsertWorkOrder(w) | UpdateWorkOrder(w) => w.org_id,
            InsertTimeline(t) => t.org_id,
            InsertComment(c) => c.org_id,
            InsertChecklistItem(c) | UpdateChecklistItem(c) => c.org_id,
            InsertLabor(l) => l.org_id,
            InsertRequest(r) | UpdateRequest(r) => r.org_id,
            InsertCredential(c) | UpdateCredential(c) => c.org_id,
            InsertAuthToken(t) | UpdateAuthToken(t) => t.org_id,
            InsertApiKey(k) | UpdateApiKey(k) => k.org_id,
            DeleteGrant(_)
            | DeleteWorkOrder { .. }
            | RevokeTokens { .. }
            | AssertVersion { .. }
            | AppendAudit(_)
            | AppendEvent(_) => return None,
        })
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
