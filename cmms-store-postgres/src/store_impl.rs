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
impl RecordReads for PgStore {
    async fn select(
        &self,
        org: OrgId,
        select: Select,
        decode: DecodeRow,
        out: Box<dyn Any + Send>,
    ) -> StoreResult<Box<dyn Any + Send>> {
        read!(self, org, record::select, select, decode, out)
    }
}

#[async_trait]
impl OrgReads for PgStore {
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
}

#[async_trait]
impl SiteReads for PgStore {
    async fn location_path(&self, org: OrgId, id: LocationId) -> StoreResult<Vec<LocationId>> {
        read!(self, org, reads::location_path, id)
    }
    async fn teams_of_user(&self, org: OrgId, user: UserId) -> StoreResult<Vec<TeamId>> {
        read!(self, org, reads::teams_of_user, user)
    }
}

#[async_trait]
impl UserReads for PgStore {
    async fn list_users(&self, org: OrgId, query: &UserQuery) -> StoreResult<Vec<User>> {
        read!(self, org, list::users, query)
    }
}

#[async_trait]
impl AssetReads for PgStore {
    async fn asset_path(&self, org: OrgId, id: AssetId) -> StoreResult<Vec<AssetId>> {
        read!(self, org, reads::asset_path, id)
    }
    async fn list_assets(&self, org: OrgId, query: &AssetQuery) -> StoreResult<Vec<Asset>> {
        read!(self, org, list::assets, query)
    }
}

#[async_trait]
impl WorkOrderReads for PgStore {
    async fn list_work_orders(
        &self,
        org: OrgId,
        query: &WorkOrderQuery,
    ) -> StoreResult<Vec<WorkOrder>> {
        read!(self, org, list::work_orders, query)
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

impl AuthReads for PgStore {}
