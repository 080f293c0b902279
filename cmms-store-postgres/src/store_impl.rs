//! The `Store` and read-trait implementations: each read checks the schema, opens a read-only
//! transaction for the org (tenant setting first) and runs one function of `reads` or `list`.

use crate::error::map_sqlx;
use crate::{PgStore, commit, events, list, migrate, reads, record};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cmms_core::domain::asset::Asset;
use cmms_core::domain::audit::AuditEntry;
use cmms_core::domain::event::{CommittedBatch, Event};
use cmms_core::domain::request::Request;
use cmms_core::domain::user::User;
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::ids::*;
use cmms_core::store::record::{DecodeRow, RecordReads, Select};
use cmms_core::store::*;
use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::broadcast;

/// `read!(self, org, |c| call(c, ...))`: the call in a read-only transaction for `org`, all in
/// a task of its own (`detached`): a caller that goes away mid-read cannot leave the
/// transaction open on a pooled connection. What the call uses is moved in. The transaction is
/// not committed but dropped: sqlx queues its ROLLBACK (the same as COMMIT for a read-only
/// transaction) and the release ping sends it, off the caller's path. BEGIN with the tenant,
/// then the query: two round trips.
macro_rules! read {
    ($store:expr, $org:expr, |$c:ident| $call:expr) => {{
        $store.ready().await?;
        let pool = $store.pool.clone();
        let org = $org;
        crate::detached(async move {
            let mut tx = commit::begin(&pool, org, true).await?;
            let value = {
                let $c = &mut *tx;
                $call.await?
            };
            drop(tx);
            Ok(value)
        })
        .await
    }};
}

#[async_trait]
impl RecordReads for PgStore {
    async fn select(
        &self,
        org: OrgId,
        select: Select,
        decode: DecodeRow,
        out: Box<dyn Any + Send>,
    ) -> StoreResult<Box<dyn Any + Send>> {
        read!(self, org, |c| record::select(c, org, select, decode, out))
    }
}

#[async_trait]
impl OrgReads for PgStore {
    /// A read across tenants: through `cmms_org_ids()`, a SECURITY DEFINER function
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
    /// The other read across tenants, before any tenant is known: through
    /// `cmms_org_by_slug(text)`, a SECURITY DEFINER function that returns the id only.
    async fn find_org_by_slug(&self, slug: &str) -> StoreResult<Option<OrgId>> {
        self.ready().await?;
        let id: Option<uuid::Uuid> = sqlx::query_scalar("SELECT cmms_org_by_slug($1)")
            .bind(slug)
            .fetch_one(&self.pool)
            .await
            .map_err(map_sqlx)?;
        Ok(id.map(OrgId::from_uuid))
    }
}

#[async_trait]
impl SiteReads for PgStore {
    async fn location_path(&self, org: OrgId, id: LocationId) -> StoreResult<Vec<LocationId>> {
        read!(self, org, |c| reads::location_path(c, org, id))
    }
    async fn teams_of_user(&self, org: OrgId, user: UserId) -> StoreResult<Vec<TeamId>> {
        read!(self, org, |c| reads::teams_of_user(c, org, user))
    }
}

#[async_trait]
impl UserReads for PgStore {
    async fn list_users(&self, org: OrgId, query: &UserQuery) -> StoreResult<Vec<User>> {
        let query = query.clone();
        read!(self, org, |c| list::users(c, org, &query))
    }
    async fn count_users(&self, org: OrgId, query: &UserQuery) -> StoreResult<u64> {
        let query = query.clone();
        read!(self, org, |c| list::count_users(c, org, &query))
    }
}

#[async_trait]
impl AssetReads for PgStore {
    async fn asset_path(&self, org: OrgId, id: AssetId) -> StoreResult<Vec<AssetId>> {
        read!(self, org, |c| reads::asset_path(c, org, id))
    }
    async fn list_assets(&self, org: OrgId, query: &AssetQuery) -> StoreResult<Vec<Asset>> {
        let query = query.clone();
        read!(self, org, |c| list::assets(c, org, &query))
    }
    async fn count_assets(&self, org: OrgId, query: &AssetQuery) -> StoreResult<u64> {
        let query = query.clone();
        read!(self, org, |c| list::count_assets(c, org, &query))
    }
}

#[async_trait]
impl WorkOrderReads for PgStore {
    async fn list_work_orders(
        &self,
        org: OrgId,
        query: &WorkOrderQuery,
    ) -> StoreResult<Vec<WorkOrder>> {
        let query = query.clone();
        read!(self, org, |c| list::work_orders(c, org, &query))
    }
    async fn count_work_orders(&self, org: OrgId, query: &WorkOrderQuery) -> StoreResult<u64> {
        let query = query.clone();
        read!(self, org, |c| list::count_work_orders(c, org, &query))
    }
    async fn awaiting_confirmation(
        &self,
        org: OrgId,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<WorkOrder>> {
        read!(self, org, |c| reads::awaiting_confirmation(c, org, before))
    }
}

#[async_trait]
impl RequestReads for PgStore {
    async fn list_requests(&self, org: OrgId, query: &RequestQuery) -> StoreResult<Vec<Request>> {
        let query = query.clone();
        read!(self, org, |c| list::requests(c, org, &query))
    }
    async fn count_requests(&self, org: OrgId, query: &RequestQuery) -> StoreResult<u64> {
        let query = query.clone();
        read!(self, org, |c| list::count_requests(c, org, &query))
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
        read!(self, org, |c| reads::audit_entries(c, org, after, limit))
    }
    async fn audit_head(&self, org: OrgId) -> StoreResult<(i64, String)> {
        read!(self, org, |c| reads::audit_head(c, org))
    }
}

#[async_trait]
impl Store for PgStore {
    async fn commit(&self, org: OrgId, changes: Changeset) -> StoreResult<Receipt> {
        self.ready().await?;
        // The org's committer task runs it (grouped with concurrent commits of the org) to
        // COMMIT or rollback even when this caller is dropped half-way, and hands its events
        // straight to the dispatcher, so local subscribers need not wait for the NOTIFY.
        self.committer.commit(org, changes).await
    }

    async fn events_since(&self, org: OrgId, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
        self.ready().await?;
        let pool = self.pool.clone();
        crate::detached(async move { events::read_events(&pool, org, after, limit).await }).await
    }

    async fn event_head(&self, org: OrgId) -> StoreResult<i64> {
        self.ready().await?;
        let pool = self.pool.clone();
        crate::detached(async move { events::event_head(&pool, org).await }).await
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

impl AuthReads for PgStore {}
