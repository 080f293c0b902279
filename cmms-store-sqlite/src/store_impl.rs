//! The `Store` and read-trait implementations: each method checks the schema and hands one
//! closure to a connection thread.

use crate::{SqliteStore, auth, list, migrate, reads};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cmms_core::domain::api_key::ApiKey;
use cmms_core::domain::asset::Asset;
use cmms_core::domain::audit::AuditEntry;
use cmms_core::domain::checklist::ChecklistItem;
use cmms_core::domain::comment::Comment;
use cmms_core::domain::credential::Credential;
use cmms_core::domain::event::{CommittedBatch, Event};
use cmms_core::domain::failure_code::FailureCode;
use cmms_core::domain::labor::LaborEntry;
use cmms_core::domain::location::Location;
use cmms_core::domain::org::Org;
use cmms_core::domain::request::Request;
use cmms_core::domain::site::Site;
use cmms_core::domain::team::Team;
use cmms_core::domain::timeline::TimelineEntry;
use cmms_core::domain::token::AuthToken;
use cmms_core::domain::user::{CustomRole, RoleGrant, User};
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::ids::*;
use cmms_core::store::*;
use std::sync::Arc;
use tokio::sync::broadcast;

#[async_trait]
impl OrgReads for SqliteStore {
    async fn get_org(&self, org: OrgId) -> StoreResult<Option<Org>> {
        self.read(move |c| reads::get_org(c, org)).await
    }
    async fn list_org_ids(&self) -> StoreResult<Vec<OrgId>> {
        self.read(|c| reads::list_org_ids(c)).await
    }
    async fn list_failure_codes(&self, org: OrgId) -> StoreResult<Vec<FailureCode>> {
        self.read(move |c| reads::list_failure_codes(c, org)).await
    }
}

#[async_trait]
impl SiteReads for SqliteStore {
    async fn get_site(&self, org: OrgId, id: SiteId) -> StoreResult<Option<Site>> {
        self.read(move |c| reads::get_site(c, org, id)).await
    }
    async fn list_sites(&self, org: OrgId) -> StoreResult<Vec<Site>> {
        self.read(move |c| reads::list_sites(c, org)).await
    }
    async fn get_location(&self, org: OrgId, id: LocationId) -> StoreResult<Option<Location>> {
        self.read(move |c| reads::get_location(c, org, id)).await
    }
    async fn list_locations(&self, org: OrgId, site: Option<SiteId>) -> StoreResult<Vec<Location>> {
        self.read(move |c| reads::list_locations(c, org, site)).await
    }
    async fn location_path(&self, org: OrgId, id: LocationId) -> StoreResult<Vec<LocationId>> {
        self.read(move |c| reads::location_path(c, org, id)).await
    }
    async fn get_team(&self, org: OrgId, id: TeamId) -> StoreResult<Option<Team>> {
        self.read(move |c| reads::get_team(c, org, id)).await
    }
    async fn list_teams(&self, org: OrgId) -> StoreResult<Vec<Team>> {
        self.read(move |c| reads::list_teams(c, org)).await
    }
    async fn teams_of_user(&self, org: OrgId, user: UserId) -> StoreResult<Vec<TeamId>> {
        self.read(move |c| reads::teams_of_user(c, org, user)).await
    }
}

#[async_trait]
impl UserReads for SqliteStore {
    async fn get_user(&self, org: OrgId, id: UserId) -> StoreResult<Option<User>> {
        self.read(move |c| reads::get_user(c, org, id)).await
    }
    async fn find_user_by_email(&self, org: OrgId, email: &str) -> StoreResult<Option<User>> {
        let email = email.to_owned();
        self.read(move |c| reads::find_user_by_email(c, org, &email)).await
    }
    async fn users_by_ids(&self, org: OrgId, ids: &[UserId]) -> StoreResult<Vec<User>> {
        let ids = ids.to_vec();
        self.read(move |c| reads::users_by_ids(c, org, &ids)).await
    }
    async fn list_users(&self, org: OrgId, query: &UserQuery) -> StoreResult<Vec<User>> {
        let query = query.clone();
        self.read(move |c| list::users(c, org, &query)).await
    }
    async fn grants_of_user(&self, org: OrgId, user: UserId) -> StoreResult<Vec<RoleGrant>> {
        self.read(move |c| reads::grants_of_user(c, org, user)).await
    }
    async fn get_grant(&self, org: OrgId, id: GrantId) -> StoreResult<Option<RoleGrant>> {
        self.read(move |c| reads::get_grant(c, org, id)).await
    }
    async fn get_role(&self, org: OrgId, id: RoleId) -> StoreResult<Option<CustomRole>> {
        self.read(move |c| reads::get_role(c, org, id)).await
    }
    async fn list_roles(&self, org: OrgId) -> StoreResult<Vec<CustomRole>> {
        self.read(move |c| reads::list_roles(c, org)).await
    }
}

#[async_trait]
impl AssetReads for SqliteStore {
    async fn get_asset(&self, org: OrgId, id: AssetId) -> StoreResult<Option<Asset>> {
        self.read(move |c| reads::get_asset(c, org, id)).await
    }
    async fn find_asset_by_code(&self, org: OrgId, code: &str) -> StoreResult<Option<Asset>> {
        let code = code.to_owned();
        self.read(move |c| reads::find_asset_by_code(c, org, &code)).await
    }
    async fn asset_path(&self, org: OrgId, id: AssetId) -> StoreResult<Vec<AssetId>> {
        self.read(move |c| reads::asset_path(c, org, id)).await
    }
    async fn list_assets(&self, org: OrgId, query: &AssetQuery) -> StoreResult<Vec<Asset>> {
        let query = query.clone();
        self.read(move |c| list::assets(c, org, &query)).await
    }
}

#[async_trait]
impl WorkOrderReads for SqliteStore {
    async fn get_work_order(&self, org: OrgId, id: WorkOrderId) -> StoreResult<Option<WorkOrder>> {
        self.read(move |c| reads::get_work_order(c, org, id)).await
    }
    async fn list_work_orders(
        &self,
        org: OrgId,
        query: &WorkOrderQuery,
    ) -> StoreResult<Vec<WorkOrder>> {
        let query = query.clone();
        self.read(move |c| list::work_orders(c, org, &query)).await
    }
    async fn timeline(&self, org: OrgId, wo: WorkOrderId) -> StoreResult<Vec<TimelineEntry>> {
        self.read(move |c| reads::timeline(c, org, wo)).await
    }
    async fn comments(
        &self,
        org: OrgId,
        wo: WorkOrderId,
        include_internal: bool,
    ) -> StoreResult<Vec<Comment>> {
        self.read(move |c| reads::comments(c, org, wo, include_internal)).await
    }
    async fn checklist(&self, org: OrgId, wo: WorkOrderId) -> StoreResult<Vec<ChecklistItem>> {
        self.read(move |c| reads::checklist(c, org, wo)).await
    }
    async fn labor(&self, org: OrgId, wo: WorkOrderId) -> StoreResult<Vec<LaborEntry>> {
        self.read(move |c| reads::labor(c, org, wo)).await
    }
    async fn awaiting_confirmation(
        &self,
        org: OrgId,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<WorkOrder>> {
        self.read(move |c| reads::awaiting_confirmation(c, org, before)).await
    }
}

#[async_trait]
impl RequestReads for SqliteStore {
    async fn get_request(&self, org: OrgId, id: RequestId) -> StoreResult<Option<Request>> {
        self.read(move |c| reads::get_request(c, org, id)).await
    }
    async fn list_requests(&self, org: OrgId, query: &RequestQuery) -> StoreResult<Vec<Request>> {
        let query = query.clone();
        self.read(move |c| list::requests(c, org, &query)).await
    }
}

#[async_trait]
impl AuditReads for SqliteStore {
    async fn audit_entries(
        &self,
        org: OrgId,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        self.read(move |c| reads::audit_entries(c, org, after, limit)).await
    }
    async fn audit_head(&self, org: OrgId) -> StoreResult<(i64, String)> {
        self.read(move |c| reads::audit_head(c, org)).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn commit(&self, org: OrgId, changes: Changeset) -> StoreResult<Receipt> {
        self.ready()?;
        // The writer publishes the events right after COMMIT, so batches reach subscribers in
        // commit order.
        self.threads.commit(org, changes).await
    }

    async fn events_since(&self, org: OrgId, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
        self.read(move |c| reads::events_since(c, org, after, limit)).await
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<CommittedBatch>> {
        self.events.subscribe()
    }

    async fn schema_version(&self) -> StoreResult<u32> {
        self.threads.read(|c| migrate::user_version(c)).await
    }
}

#[async_trait]
impl AuthReads for SqliteStore {
    async fn get_credential(&self, org: OrgId, user: UserId) -> StoreResult<Option<Credential>> {
        self.read(move |c| auth::get_credential(c, org, user)).await
    }
    async fn get_auth_token(&self, org: OrgId, id: TokenId) -> StoreResult<Option<AuthToken>> {
        self.read(move |c| auth::get_auth_token(c, org, id)).await
    }
    async fn get_api_key(&self, org: OrgId, id: ApiKeyId) -> StoreResult<Option<ApiKey>> {
        self.read(move |c| auth::get_api_key(c, org, id)).await
    }
    async fn list_api_keys(&self, org: OrgId) -> StoreResult<Vec<ApiKey>> {
        self.read(move |c| auth::list_api_keys(c, org)).await
    }
}
