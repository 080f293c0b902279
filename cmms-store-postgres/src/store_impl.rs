//! The `Store` and read-trait implementations: each read checks the schema, opens a read-only
//! transaction for the org (tenant setting first) and runs one function of `reads` or `list`.

use crate::error::map_sqlx;
use crate::{PgStore, auth, commit, events, list, migrate, reads};
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
use std::sync::atomic::Ordering;
use tokio::sync::broadcast;

/// `read!(self, org, f, args...)`: `f(&mut tx, org, args...)` in a read-only transaction for
/// `org`, committed after.
macro_rules! read {
    ($store:expr, $org:expr, $f:path $(, $arg:expr)*) => {{
        let mut tx = $store.begin_read($org).await?;
        let value = $f(&mut tx, $org $(, $arg)*).await?;
        tx.commit().await.map_err(map_sqlx)?;
        Ok(value)
    }};
}

#[async_trait]
impl OrgReads for PgStore {
    async fn get_org(&self, org: OrgId) -> StoreResult<Option<Org>> {
        read!(self, org, reads::get_org)
    }
    /// The one read across tenants: through `cmms_org_ids()`, a SECURITY DEFINER function
    /// that runs as the tables' owner and returns ids only (see the migration).
    async fn list_org_ids(&self) -> StoreResult<Vec<OrgId>> {
        self.ready().await?;
        let ids: Vec<uuid::Uuid> =
            sqlx::query_scalar("SELECT id FROM cmms_org_ids() AS t(id) ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(map_sqlx)?;
        Ok(ids.into_iter().map(OrgId::from_uuid).collect())
    }
    async fn list_failure_codes(&self, org: OrgId) -> StoreResult<Vec<FailureCode>> {
        read!(self, org, reads::list_failure_codes)
    }
}

#[async_trait]
impl SiteReads for PgStore {
    async fn get_site(&self, org: OrgId, id: SiteId) -> StoreResult<Option<Site>> {
        read!(self, org, reads::get_site, id)
    }
    async fn list_sites(&self, org: OrgId) -> StoreResult<Vec<Site>> {
        read!(self, org, reads::list_sites)
    }
    async fn get_location(&self, org: OrgId, id: LocationId) -> StoreResult<Option<Location>> {
        read!(self, org, reads::get_location, id)
    }
    async fn list_locations(&self, org: OrgId, site: Option<SiteId>) -> StoreResult<Vec<Location>> {
        read!(self, org, reads::list_locations, site)
    }
    async fn location_path(&self, org: OrgId, id: LocationId) -> StoreResult<Vec<LocationId>> {
        read!(self, org, reads::location_path, id)
    }
    async fn get_team(&self, org: OrgId, id: TeamId) -> StoreResult<Option<Team>> {
        read!(self, org, reads::get_team, id)
    }
    async fn list_teams(&self, org: OrgId) -> StoreResult<Vec<Team>> {
        read!(self, org, reads::list_teams)
    }
    async fn teams_of_user(&self, org: OrgId, user: UserId) -> StoreResult<Vec<TeamId>> {
        read!(self, org, reads::teams_of_user, user)
    }
}

#[async_trait]
impl UserReads for PgStore {
    async fn get_user(&self, org: OrgId, id: UserId) -> StoreResult<Option<User>> {
        read!(self, org, reads::get_user, id)
    }
    async fn find_user_by_email(&self, org: OrgId, email: &str) -> StoreResult<Option<User>> {
        read!(self, org, reads::find_user_by_email, email)
    }
    async fn users_by_ids(&self, org: OrgId, ids: &[UserId]) -> StoreResult<Vec<User>> {
        read!(self, org, reads::users_by_ids, ids)
    }
    async fn list_users(&self, org: OrgId, query: &UserQuery) -> StoreResult<Vec<User>> {
        read!(self, org, list::users, query)
    }
    async fn grants_of_user(&self, org: OrgId, user: UserId) -> StoreResult<Vec<RoleGrant>> {
        read!(self, org, reads::grants_of_user, user)
    }
    async fn get_grant(&self, org: OrgId, id: GrantId) -> StoreResult<Option<RoleGrant>> {
        read!(self, org, reads::get_grant, id)
    }
    async fn get_role(&self, org: OrgId, id: RoleId) -> StoreResult<Option<CustomRole>> {
        read!(self, org, reads::get_role, id)
    }
    async fn list_roles(&self, org: OrgId) -> StoreResult<Vec<CustomRole>> {
        read!(self, org, reads::list_roles)
    }
}

#[async_trait]
impl AssetReads for PgStore {
    async fn get_asset(&self, org: OrgId, id: AssetId) -> StoreResult<Option<Asset>> {
        read!(self, org, reads::get_asset, id)
    }
    async fn find_asset_by_code(&self, org: OrgId, code: &str) -> StoreResult<Option<Asset>> {
        read!(self, org, reads::find_asset_by_code, code)
    }
    async fn asset_path(&self, org: OrgId, id: AssetId) -> StoreResult<Vec<AssetId>> {
        read!(self, org, reads::asset_path, id)
    }
    async fn list_assets(&self, org: OrgId, query: &AssetQuery) -> StoreResult<Vec<Asset>> {
        read!(self, org, list::assets, query)
    }
}

#[async_trait]
impl WorkOrderReads for PgStore {
    async fn get_work_order(&self, org: OrgId, id: WorkOrderId) -> StoreResult<Option<WorkOrder>> {
        read!(self, org, reads::get_work_order, id)
    }
    async fn list_work_orders(
        &self,
        org: OrgId,
        query: &WorkOrderQuery,
    ) -> StoreResult<Vec<WorkOrder>> {
        read!(self, org, list::work_orders, query)
    }
    async fn timeline(&self, org: OrgId, wo: WorkOrderId) -> StoreResult<Vec<TimelineEntry>> {
        read!(self, org, reads::timeline, wo)
    }
    async fn comments(
        &self,
        org: OrgId,
        wo: WorkOrderId,
        include_internal: bool,
    ) -> StoreResult<Vec<Comment>> {
        read!(self, org, reads::comments, wo, include_internal)
    }
    async fn checklist(&self, org: OrgId, wo: WorkOrderId) -> StoreResult<Vec<ChecklistItem>> {
        read!(self, org, reads::checklist, wo)
    }
    async fn labor(&self, org: OrgId, wo: WorkOrderId) -> StoreResult<Vec<LaborEntry>> {
        read!(self, org, reads::labor, wo)
    }
    async fn awaiting_confirmation(
        &self,
        org: OrgId,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<WorkOrder>> {
        read!(self, org, reads::awaiting_confirmation, before)
    }
}

#[async_trait]
impl RequestReads for PgStore {
    async fn get_request(&self, org: OrgId, id: RequestId) -> StoreResult<Option<Request>> {
        read!(self, org, reads::get_request, id)
    }
    async fn list_requests(&self, org: OrgId, query: &RequestQuery) -> StoreResult<Vec<Request>> {
        read!(self, org, list::requests, query)
    }
}

#[async_trait]
impl AuditReads for PgStore {
    async fn audit_entries(
        &self,
        org: OrgId,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        read!(self, org, reads::audit_entries, after, limit)
    }
    async fn audit_head(&self, org: OrgId) -> StoreResult<(i64, String)> {
        read!(self, org, reads::audit_head)
    }
}

#[async_trait]
impl Store for PgStore {
    async fn commit(&self, org: OrgId, changes: Changeset) -> StoreResult<Receipt> {
        self.ready().await?;
        let receipt = commit::commit(&self.pool, org, changes).await?;
        // Straight to the dispatcher, so local subscribers need not wait for the NOTIFY.
        if !receipt.events.is_empty() {
            let batch = CommittedBatch { org_id: org, events: receipt.events.clone() };
            if self.local.send(Arc::new(batch)).is_err() {
                tracing::error!("the event dispatcher has stopped; subscribers miss this batch");
            }
        }
        Ok(receipt)
    }

    async fn events_since(&self, org: OrgId, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
        self.ready().await?;
        events::read_events(&self.pool, org, after, limit).await
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<CommittedBatch>> {
        self.events.subscribe()
    }

    async fn schema_version(&self) -> StoreResult<u32> {
        if self.version.load(Ordering::Acquire) != migrate::LATEST {
            return self.refresh_version().await;
        }
        let mut c = self.pool.acquire().await.map_err(map_sqlx)?;
        migrate::applied_version(&mut c).await
    }
}

#[async_trait]
impl AuthReads for PgStore {
    async fn get_credential(&self, org: OrgId, user: UserId) -> StoreResult<Option<Credential>> {
        read!(self, org, auth::get_credential, user)
    }
    async fn get_auth_token(&self, org: OrgId, id: TokenId) -> StoreResult<Option<AuthToken>> {
        read!(self, org, auth::get_auth_token, id)
    }
    async fn get_api_key(&self, org: OrgId, id: ApiKeyId) -> StoreResult<Option<ApiKey>> {
        read!(self, org, auth::get_api_key, id)
    }
    async fn list_api_keys(&self, org: OrgId) -> StoreResult<Vec<ApiKey>> {
        read!(self, org, auth::list_api_keys)
    }
}
