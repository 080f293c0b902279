//! The storage boundary: read traits grouped per aggregate and one atomic `commit`.
//!
//! A store never decides anything. It reads (always scoped to one organization) and applies
//! typed writes atomically. Every rule lives in core, which is what keeps SQLite and Postgres
//! behaving identically; the conformance suite (`testkit`) proves it.

mod cursor;
pub mod group;
mod query;
pub mod record;
mod write;

pub use cursor::*;
pub use query::*;
pub use write::*;

use crate::domain::api_key::ApiKey;
use crate::domain::asset::Asset;
use crate::domain::audit::AuditEntry;
use crate::domain::checklist::ChecklistItem;
use crate::domain::comment::Comment;
use crate::domain::credential::Credential;
use crate::domain::event::{CommittedBatch, Event};
use crate::domain::failure_code::FailureCode;
use crate::domain::labor::LaborEntry;
use crate::domain::location::Location;
use crate::domain::org::Org;
use crate::domain::request::Request;
use crate::domain::site::Site;
use crate::domain::team::Team;
use crate::domain::timeline::TimelineEntry;
use crate::domain::token::AuthToken;
use crate::domain::user::{CustomRole, RoleGrant, User};
use crate::domain::work_order::WorkOrder;
use crate::error::StoreError;
use crate::ids::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use record::{
    API_KEYS, ASSETS, CHECKLIST_ITEMS, COMMENTS, CUSTOM_ROLES, FAILURE_CODES, LABOR_ENTRIES,
    LOCATIONS, ROLE_GRANTS, RecordReads, RecordReadsExt, SITES, Select, TEAMS, TIMELINE, USERS,
};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Result of a store call.
pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// Organizations and their reference data.
#[async_trait]
pub trait OrgReads: RecordReads {
    /// One organization.
    async fn get_org(&self, org: OrgId) -> StoreResult<Option<Org>> {
        self.get(org, org).await
    }
    /// Every organization's id (for background jobs). One of the two reads across tenants:
    /// special in each store (PostgreSQL answers it through a SECURITY DEFINER function).
    async fn list_org_ids(&self) -> StoreResult<Vec<OrgId>>;
    /// The organization with this slug (for logging in by slug); the other read across
    /// tenants, special for the same reason.
    async fn find_org_by_slug(&self, slug: &str) -> StoreResult<Option<OrgId>>;
    /// The organization's failure codes, by kind in declaration order (problem, cause,
    /// remedy), then by code.
    async fn list_failure_codes(&self, org: OrgId) -> StoreResult<Vec<FailureCode>> {
        let mut codes: Vec<FailureCode> = self.list(org, Select::new(&FAILURE_CODES)).await?;
        // The table's order is by code; a stable sort by kind keeps it within each kind.
        codes.sort_by_key(|c| c.kind);
        Ok(codes)
    }
}

/// Sites, locations and teams.
#[async_trait]
pub trait SiteReads: RecordReads {
    /// One site.
    async fn get_site(&self, org: OrgId, id: SiteId) -> StoreResult<Option<Site>> {
        self.get(org, id).await
    }
    /// Every site, by code.
    async fn list_sites(&self, org: OrgId) -> StoreResult<Vec<Site>> {
        self.list(org, Select::new(&SITES)).await
    }
    /// One location.
    async fn get_location(&self, org: OrgId, id: LocationId) -> StoreResult<Option<Location>> {
        self.get(org, id).await
    }
    /// Locations, of one site or all, by name.
    async fn list_locations(&self, org: OrgId, site: Option<SiteId>) -> StoreResult<Vec<Location>> {
        let mut q = Select::new(&LOCATIONS);
        if let Some(site) = site {
            q = q.eq("site_id", site.0);
        }
        self.list(org, q).await
    }
    /// The location and its ancestors, the location first and the root last (empty if unknown).
    /// Special in each store: a recursive query.
    async fn location_path(&self, org: OrgId, id: LocationId) -> StoreResult<Vec<LocationId>>;
    /// One team with its members.
    async fn get_team(&self, org: OrgId, id: TeamId) -> StoreResult<Option<Team>> {
        self.get(org, id).await
    }
    /// Every team, by name.
    async fn list_teams(&self, org: OrgId) -> StoreResult<Vec<Team>> {
        self.list(org, Select::new(&TEAMS)).await
    }
    /// The teams a user belongs to. Special in each store: a read of the join table by item.
    async fn teams_of_user(&self, org: OrgId, user: UserId) -> StoreResult<Vec<TeamId>>;
}

/// Users, grants and custom roles.
#[async_trait]
pub trait UserReads: RecordReads {
    /// One user.
    async fn get_user(&self, org: OrgId, id: UserId) -> StoreResult<Option<User>> {
        self.get(org, id).await
    }
    /// The user with this (lower-case) email.
    async fn find_user_by_email(&self, org: OrgId, email: &str) -> StoreResult<Option<User>> {
        self.find(org, Select::new(&USERS).eq("email", email.to_owned())).await
    }
    /// The users among `ids` that exist (in any order).
    async fn users_by_ids(&self, org: OrgId, ids: &[UserId]) -> StoreResult<Vec<User>> {
        let ids = ids.iter().map(|u| u.0).collect();
        self.list(org, Select::new(&USERS).any_of("id", ids)).await
    }
    /// A page of users (sorted by email, id). Special in each store: a filtered keyset list.
    async fn list_users(&self, org: OrgId, query: &UserQuery) -> StoreResult<Vec<User>>;
    /// How many users `query` finds over all its pages (its cursor and page size aside).
    async fn count_users(&self, org: OrgId, query: &UserQuery) -> StoreResult<u64>;
    /// A user's role grants.
    async fn grants_of_user(&self, org: OrgId, user: UserId) -> StoreResult<Vec<RoleGrant>> {
        self.list(org, Select::new(&ROLE_GRANTS).eq("user_id", user.0)).await
    }
    /// One grant.
    async fn get_grant(&self, org: OrgId, id: GrantId) -> StoreResult<Option<RoleGrant>> {
        self.get(org, id).await
    }
    /// One custom role.
    async fn get_role(&self, org: OrgId, id: RoleId) -> StoreResult<Option<CustomRole>> {
        self.get(org, id).await
    }
    /// Every custom role, by name.
    async fn list_roles(&self, org: OrgId) -> StoreResult<Vec<CustomRole>> {
        self.list(org, Select::new(&CUSTOM_ROLES)).await
    }
}

/// Assets.
#[async_trait]
pub trait AssetReads: RecordReads {
    /// One asset.
    async fn get_asset(&self, org: OrgId, id: AssetId) -> StoreResult<Option<Asset>> {
        self.get(org, id).await
    }
    /// The asset with this code.
    async fn find_asset_by_code(&self, org: OrgId, code: &str) -> StoreResult<Option<Asset>> {
        self.find(org, Select::new(&ASSETS).eq("code", code.to_owned())).await
    }
    /// The asset and its ancestors, the asset first and the root last (empty if unknown).
    /// Special in each store: a recursive query.
    async fn asset_path(&self, org: OrgId, id: AssetId) -> StoreResult<Vec<AssetId>>;
    /// A page of assets. Special in each store: a filtered keyset list.
    async fn list_assets(&self, org: OrgId, query: &AssetQuery) -> StoreResult<Vec<Asset>>;
    /// How many assets `query` finds over all its pages.
    async fn count_assets(&self, org: OrgId, query: &AssetQuery) -> StoreResult<u64>;
}

/// Work orders and what hangs off them.
#[async_trait]
pub trait WorkOrderReads: RecordReads {
    /// One work order with its assignees.
    async fn get_work_order(&self, org: OrgId, id: WorkOrderId) -> StoreResult<Option<WorkOrder>> {
        self.get(org, id).await
    }
    /// A page of work orders (see the keyset contract in `query`). Special in each store: a
    /// filtered keyset list with visibility and text search.
    async fn list_work_orders(
        &self,
        org: OrgId,
        query: &WorkOrderQuery,
    ) -> StoreResult<Vec<WorkOrder>>;
    /// How many work orders `query` finds over all its pages.
    async fn count_work_orders(&self, org: OrgId, query: &WorkOrderQuery) -> StoreResult<u64>;
    /// The status timeline, oldest first.
    async fn timeline(&self, org: OrgId, wo: WorkOrderId) -> StoreResult<Vec<TimelineEntry>> {
        self.list(org, Select::new(&TIMELINE).eq("work_order_id", wo.0)).await
    }
    /// Comments, oldest first; internal ones only when asked.
    async fn comments(
        &self,
        org: OrgId,
        wo: WorkOrderId,
        include_internal: bool,
    ) -> StoreResult<Vec<Comment>> {
        let mut q = Select::new(&COMMENTS).eq("work_order_id", wo.0);
        if !include_internal {
            q = q.eq("internal", false);
        }
        self.list(org, q).await
    }
    /// Checklist items by position.
    async fn checklist(&self, org: OrgId, wo: WorkOrderId) -> StoreResult<Vec<ChecklistItem>> {
        self.list(org, Select::new(&CHECKLIST_ITEMS).eq("work_order_id", wo.0)).await
    }
    /// Labor entries by start time.
    async fn labor(&self, org: OrgId, wo: WorkOrderId) -> StoreResult<Vec<LaborEntry>> {
        self.list(org, Select::new(&LABOR_ENTRIES).eq("work_order_id", wo.0)).await
    }
    /// Completed work orders that came from a request and were completed at or before `before`.
    /// Special in each store: a range condition.
    async fn awaiting_confirmation(
        &self,
        org: OrgId,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<WorkOrder>>;
}

/// Requests.
#[async_trait]
pub trait RequestReads: RecordReads {
    /// One request.
    async fn get_request(&self, org: OrgId, id: RequestId) -> StoreResult<Option<Request>> {
        self.get(org, id).await
    }
    /// A page of requests (created_at, id descending). Special in each store: a filtered
    /// keyset list.
    async fn list_requests(&self, org: OrgId, query: &RequestQuery) -> StoreResult<Vec<Request>>;
    /// How many requests `query` finds over all its pages.
    async fn count_requests(&self, org: OrgId, query: &RequestQuery) -> StoreResult<u64>;
}

/// The audit chain (special in each store: numbered, hash-linked rows and their head).
#[async_trait]
pub trait AuditReads {
    /// Entries with `seq > after`, in order, at most `limit`.
    async fn audit_entries(
        &self,
        org: OrgId,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>>;
    /// The chain head: last sequence number and hash (`0` and the genesis hash when empty).
    async fn audit_head(&self, org: OrgId) -> StoreResult<(i64, String)>;
}

/// Credentials, authentication tokens and API keys.
#[async_trait]
pub trait AuthReads: RecordReads {
    /// A user's credential.
    async fn get_credential(&self, org: OrgId, user: UserId) -> StoreResult<Option<Credential>> {
        self.get(org, user).await
    }
    /// One authentication token.
    async fn get_auth_token(&self, org: OrgId, id: TokenId) -> StoreResult<Option<AuthToken>> {
        self.get(org, id).await
    }
    /// One API key.
    async fn get_api_key(&self, org: OrgId, id: ApiKeyId) -> StoreResult<Option<ApiKey>> {
        self.get(org, id).await
    }
    /// Every API key of the organization, newest first.
    async fn list_api_keys(&self, org: OrgId) -> StoreResult<Vec<ApiKey>> {
        self.list(org, Select::new(&API_KEYS)).await
    }
}

/// A storage backend. See DESIGN §3.1.
#[async_trait]
pub trait Store:
    RecordReads
    + OrgReads
    + SiteReads
    + UserReads
    + AssetReads
    + WorkOrderReads
    + RequestReads
    + AuditReads
    + AuthReads
    + Send
    + Sync
    + 'static
{
    /// Applies the whole changeset in one transaction, or nothing. Numbers audit entries (and
    /// links them with `domain::audit::chain_hash`) and events per org; after the transaction
    /// commits, broadcasts the events to subscribers.
    async fn commit(&self, org: OrgId, changes: Changeset) -> StoreResult<Receipt>;

    /// Events with `seq > after`, in order, at most `limit`.
    async fn events_since(&self, org: OrgId, after: i64, limit: u32) -> StoreResult<Vec<Event>>;

    /// The sequence number of the organization's newest event (0 when it has none): where a
    /// new consumer of the outbox (a webhook subscription) starts.
    async fn event_head(&self, org: OrgId) -> StoreResult<i64>;

    /// Committed batches as they happen (all organizations). A store that cannot see every
    /// commit as it happens (SQLite, written by another process) sends an empty batch for an
    /// organization whose outbox may have grown: read it back with `events_since`.
    fn subscribe(&self) -> broadcast::Receiver<Arc<CommittedBatch>>;

    /// The schema version of the database.
    async fn schema_version(&self) -> StoreResult<u32>;
}
