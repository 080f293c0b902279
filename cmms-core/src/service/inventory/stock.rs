//! Stock movements outside work orders and purchase orders — receive, adjust, count, transfer —
//! and the reads: stock by part / location / status, the ledger, and the low-stock list.

use super::{StockChange, with_retries};
use crate::actor::Actor;
use crate::domain::inventory::stock::{StockStatus, days_until_stockout};
use crate::domain::inventory::{Money, MovementKind, Part, Quantity, Stock, StockMovement};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{PartId, PurchaseOrderId, StockLocationId, WorkOrderId};
use crate::rbac::{self, Permission, Resource};
use crate::service::{Cmms, Stamp, require_held};
use crate::store::record::{Cmp, LOW_STOCK, Record, RecordReadsExt, STOCK, Select};
use crate::store::{Changeset, Page};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A receipt, adjustment or count of one part at one location.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StockInput {
    /// The part.
    pub part_id: PartId,
    /// Where.
    pub location_id: StockLocationId,
    /// Receive: how much arrived (above zero). Adjust: the change (negative takes stock out).
    /// Count: the quantity counted (zero or more).
    pub quantity: Quantity,
    /// Receive: the unit cost (default: the part's unit cost, else the current average).
    #[serde(default)]
    pub unit_cost: Option<Money>,
    /// Why (required to adjust).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A transfer between two locations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// The part.
    pub part_id: PartId,
    /// From.
    pub from_location_id: StockLocationId,
    /// To.
    pub to_location_id: StockLocationId,
    /// How much (above zero).
    pub quantity: Quantity,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Which stock rows to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct StockFilter {
    /// Only this part.
    pub part: Option<PartId>,
    /// Only this location.
    pub location: Option<StockLocationId>,
    /// Only this status.
    pub status: Option<StockStatus>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Which movements to list (oldest first).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct MovementFilter {
    /// Only this part.
    pub part: Option<PartId>,
    /// Only this location.
    pub location: Option<StockLocationId>,
    /// Only for this work order.
    pub work_order: Option<WorkOrderId>,
    /// Only on this purchase order.
    pub purchase_order: Option<PurchaseOrderId>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Which low stock to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct LowStockQuery {
    /// Only this location.
    pub location: Option<StockLocationId>,
    /// Days of consumption the stock-out estimate looks back on (default 30, 1–365).
    pub window_days: Option<u32>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// One line of the low-stock list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct LowStockItem {
    /// The stock row.
    pub stock: Stock,
    /// Its part.
    pub part: Part,
    /// `out` or `low`.
    pub status: StockStatus,
    /// Available now.
    pub available: Quantity,
    /// How much to order to get back to the maximum (or reorder point + reorder quantity).
    pub shortage: Quantity,
    /// Issued in the window, net of returns.
    pub consumed: Quantity,
    /// `available / (consumed / window_days)`, rounded down; none without consumption.
    pub days_until_stockout: Option<u32>,
}

/// How a stock input's quantity is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Receive,
    Adjust,
    Count,
}

impl Cmms {
    /// Receives stock outside a purchase order (`stock.move` at the location's site): found
    /// stock, a delivery without an order, an opening balance. Moves the average cost.
    pub async fn receive_stock(&self, actor: &Actor, input: StockInput) -> Result<StockMovement> {
        if !input.quantity.is_positive() {
            return Err(CmmsError::invalid("quantity", "must be above zero"));
        }
        self.move_stock(actor, input, Mode::Receive).await
    }

    /// Corrects stock by a signed quantity with a reason (`stock.move`).
    pub async fn adjust_stock(&self, actor: &Actor, input: StockInput) -> Result<StockMovement> {
        let mut p = Problems::new();
        if input.quantity == Quantity::ZERO {
            p.add("quantity", "must not be zero");
        }
        if input.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            p.add("reason", "is required for an adjustment");
        }
        p.finish()?;
        self.move_stock(actor, input, Mode::Adjust).await
    }

    /// Records a cycle count (`stock.move`): the difference between the counted quantity and
    /// what is on hand becomes an adjustment with the reason (default `cycle count`); a count
    /// that matches records an adjustment of zero, so the ledger shows when stock was counted.
    /// A count below what is reserved is refused (release reservations first).
    pub async fn count_stock(&self, actor: &Actor, input: StockInput) -> Result<StockMovement> {
        if input.quantity.is_negative() {
            return Err(CmmsError::invalid("quantity", "a count cannot be negative"));
        }
        self.move_stock(actor, input, Mode::Count).await
    }

    async fn move_stock(
        &self,
        actor: &Actor,
        input: StockInput,
        mode: Mode,
    ) -> Result<StockMovement> {
        require_held(actor, Permission::StockMove)?;
        let loc = self.load_stock_location(actor, input.location_id).await?;
        if mode == Mode::Receive && !loc.active {
            return Err(CmmsError::invalid("location_id", "the stock location is inactive"));
        }
        rbac::authorize(actor, Permission::StockMove, &Resource::at_site(loc.site_id))?;
        let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        let reason = match (mode, reason) {
            (Mode::Count, None) => Some("cycle count".to_string()),
            (_, r) => r.map(String::from),
        };
        with_retries!({
            let part = self.load_part(actor, input.part_id).await?;
            if mode == Mode::Receive && !part.active {
                return Err(CmmsError::invalid("part_id", "the part is inactive"));
            }
            let stock = self.stock_row(actor, &part, loc.id).await?;
            let mut c = match mode {
                Mode::Receive => {
                    let q = input.quantity;
                    let mut c = StockChange::new(MovementKind::Receive, q, q, Quantity::ZERO);
                    c.receipt_cost =
                        Some(input.unit_cost.or(part.unit_cost).unwrap_or(stock.avg_cost));
                    c
                }
                Mode::Adjust | Mode::Count => {
                    let delta = match mode {
                        Mode::Count => input.quantity - stock.on_hand,
                        _ => input.quantity,
                    };
                    let size = delta.max(-delta);
                    StockChange::new(MovementKind::Adjust, size, delta, Quantity::ZERO)
                }
            };
            c.reason = reason.clone();
            let st = Stamp::new(actor, self.now());
            let (writes, movement) = self.stock_writes(&st, &stock, &part, &loc, c)?;
            let mut cs = Changeset::new();
            cs.extend(writes);
            self.commit_stock(actor, cs).await?.map(|_| movement)
        })
    }

    /// Moves stock from one location to another as one commit of two movements (a
    /// `transfer_out` and a `transfer_in` sharing a `transfer_id`), so the total across
    /// locations never changes; the destination's average cost takes the source's.
    pub async fn transfer_stock(
        &self,
        actor: &Actor,
        input: TransferInput,
    ) -> Result<(StockMovement, StockMovement)> {
        require_held(actor, Permission::StockMove)?;
        let mut p = Problems::new();
        if !input.quantity.is_positive() {
            p.add("quantity", "must be above zero");
        }
        if input.from_location_id == input.to_location_id {
            p.add("to_location_id", "must differ from from_location_id");
        }
        p.finish()?;
        let from = self.load_stock_location(actor, input.from_location_id).await?;
        let to = self.load_stock_location(actor, input.to_location_id).await?;
        if !to.active {
            return Err(CmmsError::invalid("to_location_id", "the stock location is inactive"));
        }
        for l in [&from, &to] {
            rbac::authorize(actor, Permission::StockMove, &Resource::at_site(l.site_id))?;
        }
        let q = input.quantity;
        let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        with_retries!({
            let part = self.load_part(actor, input.part_id).await?;
            let source = self.stock_row(actor, &part, from.id).await?;
            let target = self.stock_row(actor, &part, to.id).await?;
            let transfer = Some(uuid::Uuid::now_v7());
            let mut out = StockChange::new(MovementKind::TransferOut, q, -q, Quantity::ZERO);
            out.transfer = transfer;
            out.reason = reason.map(String::from);
            let mut inn = StockChange::new(MovementKind::TransferIn, q, q, Quantity::ZERO);
            inn.transfer = transfer;
            inn.reason = reason.map(String::from);
            inn.receipt_cost = Some(source.avg_cost);
            let st = Stamp::new(actor, self.now());
            let (w1, m1) = self.stock_writes(&st, &source, &part, &from, out)?;
            let (w2, m2) = self.stock_writes(&st, &target, &part, &to, inn)?;
            let mut cs = Changeset::new();
            cs.extend(w1);
            cs.extend(w2);
            self.commit_stock(actor, cs).await?.map(|_| (m1, m2))
        })
    }

    /// A page of stock rows at locations the actor may see (`inventory.read`), by id.
    pub async fn list_stock(&self, actor: &Actor, filter: StockFilter) -> Result<Page<Stock>> {
        require_held(actor, Permission::InventoryRead)?;
        let mut q = Select::new(&STOCK);
        if let Some(p) = filter.part {
            q = q.eq("part_id", p.uuid());
        }
        if let Some(l) = filter.location {
            q = q.eq("location_id", l.uuid());
        }
        let sites = self.location_sites(actor).await?;
        let status = filter.status;
        let keep = |s: &Stock| {
            readable(actor, &sites, s.location_id) && status.is_none_or(|want| s.status() == want)
        };
        self.page_by_id(
            actor,
            q,
            filter.limit,
            filter.cursor.as_deref(),
            |s: &Stock| s.id.uuid(),
            keep,
        )
        .await
    }

    /// The stock of one part at one location (an empty row when nothing was ever there).
    pub async fn get_stock(
        &self,
        actor: &Actor,
        part: PartId,
        location: StockLocationId,
    ) -> Result<Stock> {
        require_held(actor, Permission::InventoryRead)?;
        self.get_stock_location(actor, location).await?;
        let part = self.load_part(actor, part).await?;
        self.stock_row(actor, &part, location).await
    }

    /// A page of the stock ledger, oldest first.
    pub async fn list_stock_movements(
        &self,
        actor: &Actor,
        filter: MovementFilter,
    ) -> Result<Page<StockMovement>> {
        require_held(actor, Permission::InventoryRead)?;
        let mut q = Select::new(StockMovement::TABLE);
        if let Some(p) = filter.part {
            q = q.eq("part_id", p.uuid());
        }
        if let Some(l) = filter.location {
            q = q.eq("location_id", l.uuid());
        }
        if let Some(w) = filter.work_order {
            q = q.eq("work_order_id", w.uuid());
        }
        if let Some(po) = filter.purchase_order {
            q = q.eq("purchase_order_id", po.uuid());
        }
        let sites = self.location_sites(actor).await?;
        let keep = |m: &StockMovement| readable(actor, &sites, m.location_id);
        self.page_by_id(
            actor,
            q,
            filter.limit,
            filter.cursor.as_deref(),
            |m: &StockMovement| m.id.uuid(),
            keep,
        )
        .await
    }

    /// Stock at or below its reorder point (or minimum), with how much is short and an
    /// estimate of the days until it runs out at the recent rate of consumption (issues minus
    /// returns over `window_days`; see `domain::inventory::stock::days_until_stockout`).
    pub async fn low_stock(
        &self,
        actor: &Actor,
        query: LowStockQuery,
    ) -> Result<Page<LowStockItem>> {
        require_held(actor, Permission::InventoryRead)?;
        let window = query.window_days.unwrap_or(30);
        if !(1..=365).contains(&window) {
            return Err(CmmsError::invalid("window_days", "must be between 1 and 365"));
        }
        let mut q = Select::new(&STOCK).condition(LOW_STOCK);
        if let Some(l) = query.location {
            q = q.eq("location_id", l.uuid());
        }
        let sites = self.location_sites(actor).await?;
        let keep = |s: &Stock| readable(actor, &sites, s.location_id);
        let page = self
            .page_by_id(
                actor,
                q,
                query.limit,
                query.cursor.as_deref(),
                |s: &Stock| s.id.uuid(),
                keep,
            )
            .await?;
        let since = self.now() - chrono::TimeDelta::days(i64::from(window));
        let part_ids: Vec<uuid::Uuid> = page.items.iter().map(|s| s.part_id.uuid()).collect();
        let parts: BTreeMap<PartId, Part> = self
            .store
            .list::<Part>(actor.org(), Select::new(Part::TABLE).any_of("id", part_ids))
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let consumed = self.consumed_since(actor, &page.items, since).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for stock in page.items {
            let Some(part) = parts.get(&stock.part_id).cloned() else { continue };
            let key = (stock.part_id, stock.location_id);
            let consumed = consumed.get(&key).copied().unwrap_or(Quantity::ZERO);
            let available = stock.available();
            items.push(LowStockItem {
                status: if available.is_positive() { StockStatus::Low } else { StockStatus::Out },
                available,
                shortage: stock.shortage(),
                consumed,
                days_until_stockout: days_until_stockout(available, consumed, window),
                stock,
                part,
            });
        }
        Ok(Page { items, next_cursor: page.next_cursor, total: None })
    }

    /// Issues minus returns since `since` of each of these stock rows, by (part, location):
    /// ONE read of the rows' parts' movements in the window (a page of the low-stock list is
    /// one query, not one per row).
    async fn consumed_since(
        &self,
        actor: &Actor,
        rows: &[Stock],
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<BTreeMap<(PartId, StockLocationId), Quantity>> {
        let mut out = BTreeMap::new();
        if rows.is_empty() {
            return Ok(out);
        }
        let parts: Vec<uuid::Uuid> = rows.iter().map(|s| s.part_id.uuid()).collect();
        let q =
            Select::new(StockMovement::TABLE).any_of("part_id", parts).cmp("at", Cmp::Ge, since);
        for m in self.store.list::<StockMovement>(actor.org(), q).await? {
            let used = match m.kind {
                MovementKind::Issue => m.quantity,
                MovementKind::Return => -m.quantity,
                _ => continue,
            };
            *out.entry((m.part_id, m.location_id)).or_insert(Quantity::ZERO) += used;
        }
        Ok(out)
    }

    /// The site of every stock location (locations are few; lists filter by site with it).
    pub(crate) async fn location_sites(
        &self,
        actor: &Actor,
    ) -> Result<BTreeMap<StockLocationId, crate::ids::SiteId>> {
        let all = self
            .store
            .list::<crate::domain::inventory::StockLocation>(
                actor.org(),
                Select::new(crate::domain::inventory::StockLocation::TABLE),
            )
            .await?;
        Ok(all.into_iter().map(|l| (l.id, l.site_id)).collect())
    }
}

/// Whether the actor may read inventory at the site of `location`.
fn readable(
    actor: &Actor,
    sites: &BTreeMap<StockLocationId, crate::ids::SiteId>,
    location: StockLocationId,
) -> bool {
    sites
        .get(&location)
        .is_some_and(|site| rbac::can(actor, Permission::InventoryRead, &Resource::at_site(*site)))
}
