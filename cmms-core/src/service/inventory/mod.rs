//! Inventory and purchasing use cases (DESIGN §3.6), one file per job: the catalogue (parts,
//! stock locations, levels), stock movements and the low-stock list, parts on work orders,
//! vendors and purchase orders, and work-order cost. This file holds what they share: building
//! one stock change (the delta, its ledger movement and a possible low-stock event) from the
//! stock row as read, committing it with bounded retries, and paging by id.

mod catalog;
mod cost;
mod purchase;
mod receive;
mod stock;
mod vendors;
mod wo_parts;

pub use catalog::{PartFilter, StockLocationFilter};
pub use purchase::{PurchaseOrderDetail, PurchaseOrderFilter};
pub use receive::SuggestedOrder;
pub use stock::{
    LowStockItem, LowStockQuery, MovementFilter, StockFilter, StockInput, TransferInput,
};

use super::{Cmms, Stamp, json, page_cursor};
use crate::actor::Actor;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::inventory::stock::ensure_available;
use crate::domain::inventory::{
    Money, MovementKind, Part, Quantity, Stock, StockDelta, StockLocation, StockMovement,
};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{PartId, PurchaseOrderId, SiteId, StockLocationId, StockMovementId, WorkOrderId};
use crate::rbac::Permission;
use crate::store::record::{Cmp, Record, RecordReadsExt, STOCK, Select};
use crate::store::{Changeset, KeyType, KeyValue, Page, Receipt, SortKey, Write, check_limit};
use crate::store::{decode_cursor, encode_cursor};
use uuid::Uuid;

/// How often a stock change is decided again after a concurrent change of the same stock row
/// won the race. Each round one of the racing commits succeeds, so this bounds the wait of the
/// unluckiest caller, who then gets `busy`.
pub(crate) const MAX_ATTEMPTS: usize = 200;

/// Who may see inventory events: readers of inventory (at the site, when there is one).
pub(crate) fn audience(site: Option<SiteId>) -> EventAudience {
    EventAudience {
        permission: Some(Permission::InventoryRead),
        site_id: site,
        ..EventAudience::default()
    }
}

pub(crate) fn entity(kind: EntityKind, id: impl Into<Uuid>) -> EntityRef {
    EntityRef::new(kind, id)
}

/// One change of one stock row, as decided.
#[derive(Debug, Clone)]
pub(crate) struct StockChange {
    pub kind: MovementKind,
    pub quantity: Quantity,
    pub on_hand: Quantity,
    pub reserved: Quantity,
    /// The unit cost of a receipt (moves the average); other movements use the average.
    pub receipt_cost: Option<Money>,
    pub work_order: Option<WorkOrderId>,
    pub purchase_order: Option<PurchaseOrderId>,
    pub transfer: Option<Uuid>,
    pub reason: Option<String>,
}

impl StockChange {
    pub(crate) fn new(
        kind: MovementKind,
        quantity: Quantity,
        on_hand: Quantity,
        reserved: Quantity,
    ) -> Self {
        Self {
            kind,
            quantity,
            on_hand,
            reserved,
            receipt_cost: None,
            work_order: None,
            purchase_order: None,
            transfer: None,
            reason: None,
        }
    }
}

impl Cmms {
    /// The stock row of a part at a location, or an empty one following the part's levels.
    pub(crate) async fn stock_row(
        &self,
        actor: &Actor,
        part: &Part,
        location: StockLocationId,
    ) -> Result<Stock> {
        let q =
            Select::new(&STOCK).eq("part_id", part.id.uuid()).eq("location_id", location.uuid());
        Ok(match self.store.find::<Stock>(actor.org(), q).await? {
            Some(s) => s,
            None => Stock::empty(actor.org(), part.id, location, part.levels, self.now()),
        })
    }

    /// The writes of one stock change decided on `stock` as read: the delta (conditional in
    /// the store), the ledger movement, and the low-stock event the store appends if this
    /// delta takes available stock across the reorder point. Refuses taking more than is
    /// available.
    pub(crate) fn stock_writes(
        &self,
        st: &Stamp,
        stock: &Stock,
        part: &Part,
        location: &StockLocation,
        c: StockChange,
    ) -> Result<(Vec<Write>, StockMovement)> {
        // What the change takes out of what is available (a reservation it consumes was
        // already taken out).
        let taken = -(c.on_hand - c.reserved);
        if taken.is_positive() {
            ensure_available(part.id, location.id, stock.available(), taken)?;
        }
        let (avg, expect) = match c.receipt_cost {
            Some(cost) => (
                Some(crate::domain::inventory::stock::moving_average(
                    stock.on_hand,
                    stock.avg_cost,
                    c.on_hand,
                    cost,
                )),
                // The average was computed from this version of the row.
                Some(stock.version),
            ),
            None => (None, None),
        };
        let unit_cost = c.receipt_cost.or(Some(stock.avg_cost));
        let alert = stock.levels.low_point().map(|threshold| {
            let payload = serde_json::json!({
                "part_id": part.id, "part_number": part.part_number, "name": part.name,
                "location_id": location.id, "location_code": location.code,
                "reorder_point": threshold, "reorder_quantity": stock.levels.reorder_quantity,
            });
            let draft = match st.event(
                EventKind::LowStock,
                entity(EntityKind::Stock, stock.id),
                audience(Some(location.site_id)),
                payload,
            ) {
                Write::AppendEvent(d) => Some(d),
                _ => None,
            };
            (threshold, draft)
        });
        let delta = StockDelta {
            id: stock.id,
            part_id: part.id,
            location_id: location.id,
            on_hand: c.on_hand,
            reserved: c.reserved,
            avg_cost: avg,
            levels: stock.levels,
            expect_version: expect,
            alert: alert.and_then(|(t, d)| d.map(|d| (t, d))),
            at: st.at,
        };
        let movement = StockMovement {
            id: StockMovementId::new(),
            org_id: stock.org_id,
            part_id: part.id,
            location_id: location.id,
            kind: c.kind,
            quantity: c.quantity,
            on_hand_delta: c.on_hand,
            reserved_delta: c.reserved,
            unit_cost,
            work_order_id: c.work_order,
            purchase_order_id: c.purchase_order,
            transfer_id: c.transfer,
            reason: c.reason,
            actor_id: st.actor_id,
            at: st.at,
        };
        let event = st.event(
            EventKind::StockMoved,
            entity(EntityKind::Stock, stock.id),
            audience(Some(location.site_id)),
            json(&movement),
        );
        Ok((
            vec![Write::StockDelta(Box::new(delta)), Write::insert(movement.clone()), event],
            movement,
        ))
    }

    /// Commits a changeset built from stock as read: `Ok(None)` when a concurrent change of a
    /// row it read won (the caller decides again), else the receipt.
    pub(crate) async fn commit_stock(
        &self,
        actor: &Actor,
        cs: Changeset,
    ) -> Result<Option<Receipt>> {
        match self.store.commit(actor.org(), cs).await {
            Ok(r) => Ok(Some(r)),
            Err(crate::error::StoreError::Conflict { message, .. }) => {
                tracing::debug!(%message, "a stock change lost a race; deciding again");
                tokio::task::yield_now().await;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A page of `T` in id order after `cursor`, keeping the rows `keep` accepts.
    pub(crate) async fn page_by_id<T: Record + Clone>(
        &self,
        actor: &Actor,
        q: Select,
        limit: Option<u32>,
        cursor: Option<&str>,
        id: impl Fn(&T) -> Uuid,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Page<T>> {
        let limit = check_limit(limit)?;
        let mut after = match cursor {
            Some(c) => Some(decode_cursor("id", c, KeyType::Int)?.id),
            None => None,
        };
        let mut items = Vec::new();
        loop {
            let mut page = q.clone().limit(limit + 1);
            if let Some(a) = after {
                page = page.cmp("id", Cmp::Gt, a);
            }
            let batch = self.store.list::<T>(actor.org(), page).await?;
            let full = batch.len() > limit as usize;
            after = batch.last().map(&id);
            items.extend(batch.into_iter().filter(|r| keep(r)));
            if !full || items.len() > limit as usize {
                break;
            }
        }
        let next = page_cursor(&mut items, limit, |r: &T| SortKey {
            value: Some(KeyValue::Int(0)),
            id: id(r),
        });
        Ok(Page { items, next_cursor: next.map(|k| encode_cursor("id", &k)), total: None })
    }

    /// A part of the organization.
    pub(crate) async fn load_part(&self, actor: &Actor, id: PartId) -> Result<Part> {
        self.store
            .get::<Part>(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("part", id))
    }

    /// A stock location of the organization.
    pub(crate) async fn load_stock_location(
        &self,
        actor: &Actor,
        id: StockLocationId,
    ) -> Result<StockLocation> {
        self.store
            .get::<StockLocation>(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("stock_location", id))
    }
}

/// Runs `attempt` until it commits (`Some`), at most [`MAX_ATTEMPTS`] times; then `busy`.
macro_rules! with_retries {
    ($attempt:expr) => {{
        let mut outcome = Err($crate::error::CmmsError::Busy);
        for _ in 0..$crate::service::inventory::MAX_ATTEMPTS {
            if let Some(done) = $attempt {
                outcome = Ok(done);
                break;
            }
        }
        outcome
    }};
}
pub(crate) use with_retries;
