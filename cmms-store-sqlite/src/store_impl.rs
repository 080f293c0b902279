//! The `Store` and read-trait implementations: each method checks the schema and hands one
//! closure to a connection thread.

use crate::{SqliteStore, list, migrate, reads, record};
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
use tokio::sync::broadcast;

#[async_trait]
impl RecordReads for SqliteStore {
    async fn select(
        &self,
        org: OrgId,
        select: Select,
        decode: DecodeRow,
        out: Box<dyn Any + Send>,
    ) -> StoreResult<Box<dyn Any + Send>> {
        self.read(move |c| record::select(c, org, select, decode, out)).await
    }
}

#[async_trait]
impl OrgReads for SqliteStore {
    async fn list_org_ids(&self) -> StoreResult<Vec<OrgId>> {
        self.read(|c| reads::list_org_ids(c)).await
    }
    async fn find_org_by_slug(&self, slug: &str) -> StoreResult<Option<OrgId>> {
        let slug = slug.to_owned();
        self.read(move |c| reads::find_org_by_slug(c, &slug)).await
    }
}

#[async_trait]
impl SiteReads for SqliteStore {
    async fn location_path(&self, org: OrgId, id: LocationId) -> StoreResult<Vec<LocationId>> {
        self.read(move |c| reads::location_path(c, org, id)).await
    }
    async fn teams_of_user(&self, org: OrgId, user: UserId) -> StoreResult<Vec<TeamId>> {
        self.read(move |c| reads::teams_of_user(c, org, user)).await
    }
}

#[async_trait]
impl UserReads for SqliteStore {
    async fn list_users(&self, org: OrgId, query: &UserQuery) -> StoreResult<Vec<User>> {
        let query = query.clone();
        self.read(move |c| list::users(c, org, &query)).await
    }
    async fn count_users(&self, org: OrgId, query: &UserQuery) -> StoreResult<u64> {
        let query = query.clone();
        self.read(move |c| list::count_users(c, org, &query)).await
    }
}

#[async_trait]
impl AssetReads for SqliteStore {
    async fn asset_path(&self, org: OrgId, id: AssetId) -> StoreResult<Vec<AssetId>> {
        self.read(move |c| reads::asset_path(c, org, id)).await
    }
    async fn list_assets(&self, org: OrgId, query: &AssetQuery) -> StoreResult<Vec<Asset>> {
        let query = query.clone();
        self.read(move |c| list::assets(c, org, &query)).await
    }
    async fn count_assets(&self, org: OrgId, query: &AssetQuery) -> StoreResult<u64> {
        let query = query.clone();
        self.read(move |c| list::count_assets(c, org, &query)).await
    }
}

#[async_trait]
impl WorkOrderReads for SqliteStore {
    async fn list_work_orders(
        &self,
        org: OrgId,
        query: &WorkOrderQuery,
    ) -> StoreResult<Vec<WorkOrder>> {
        let query = query.clone();
        self.read(move |c| list::work_orders(c, org, &query)).await
    }
    async fn count_work_orders(&self, org: OrgId, query: &WorkOrderQuery) -> StoreResult<u64> {
        let query = query.clone();
        self.read(move |c| list::count_work_orders(c, org, &query)).await
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
    async fn list_requests(&self, org: OrgId, query: &RequestQuery) -> StoreResult<Vec<Request>> {
        let query = query.clone();
        self.read(move |c| list::requests(c, org, &query)).await
    }
    async fn count_requests(&self, org: OrgId, query: &RequestQuery) -> StoreResult<u64> {
        let query = query.clone();
        self.read(move |c| list::count_requests(c, org, &query)).await
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

    async fn event_head(&self, org: OrgId) -> StoreResult<i64> {
        self.read(move |c| reads::event_head(c, org)).await
    }

    /// Batches of this store's commits as they happen, and — while anyone subscribes — an
    /// empty batch per organization within about `WATCH_INTERVAL` of a commit made through
    /// another connection (another process): read the outbox back then.
    fn subscribe(&self) -> broadcast::Receiver<Arc<CommittedBatch>> {
        let rx = self.events.subscribe();
        self.threads.wake();
        rx
    }

    async fn schema_version(&self) -> StoreResult<u32> {
        self.threads.read(|c| migrate::user_version(c)).await
    }
}

impl AuthReads for SqliteStore {}
