//! Receiving purchase orders (partial receipts allowed; over-receipt only when the organization
//! allows it), each receipt one commit of receive movements, moving-average costs, received
//! quantities and the order's status; and purchase orders suggested from the low-stock list.

use super::{StockChange, audience, entity, with_retries};
use crate::actor::Actor;
use crate::domain::EntityKind;
use crate::domain::event::EventKind;
use crate::domain::inventory::purchase::status_after_receipt;
use crate::domain::inventory::stock::moving_average;
use crate::domain::inventory::{
    MovementKind, NewPoLine, NewPurchaseOrder, PO_EDGES, PurchaseOrderLine, Quantity, Receipt,
    Stock, VendorPart,
};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{PartId, PurchaseOrderId, SiteId, StockLocationId, VendorId};
use crate::rbac::{self, Permission, Resource};
use crate::service::{Cmms, LowStockQuery, PurchaseOrderDetail, Stamp, check_version, json};
use crate::store::record::{Record, RecordReadsExt, Select};
use crate::store::{Changeset, Write};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A purchase order suggested from low stock: the parts of one site whose preferred vendor is
/// the same, each at its reorder quantity (else its shortage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SuggestedOrder {
    /// The preferred vendor (none: the parts have no preferred vendor yet).
    pub vendor_id: Option<VendorId>,
    /// The site the stock is at.
    pub site_id: SiteId,
    /// What to order.
    pub lines: Vec<NewPoLine>,
    /// The draft created from it, when asked to create drafts.
    pub created: Option<PurchaseOrderId>,
}

impl Cmms {
    /// Receives goods against a purchase order (`purchase.receive` at its site): for each line,
    /// a receive movement at the line's price (or the given cost), the stock's moving average,
    /// the line's received quantity, and the order's status (`partially_received` or
    /// `received`), all in one commit. Receiving more than a line's open quantity is refused
    /// unless `OrgSettings::allow_over_receipt`.
    pub async fn receive_purchase_order(
        &self,
        actor: &Actor,
        id: PurchaseOrderId,
        receipt: Receipt,
    ) -> Result<PurchaseOrderDetail> {
        let first = self.get_purchase_order(actor, id).await?;
        check_version("purchase_order", first.order.version, receipt.expected_version)?;
        rbac::authorize(
            actor,
            Permission::PurchaseReceive,
            &Resource::at_site(first.order.site_id),
        )?;
        if receipt.lines.is_empty() {
            return Err(CmmsError::invalid("lines", "give at least one received line"));
        }
        let over_ok = self.load_org(actor.org()).await?.settings.allow_over_receipt;
        with_retries!({
            let detail = self.get_purchase_order(actor, id).await?;
            let before = detail.order.clone();
            if !PO_EDGES.iter().any(|e| e.by_receipt && e.from == before.status) {
                return Err(CmmsError::invalid(
                    "status",
                    format!("a {} purchase order cannot be received", before.status),
                ));
            }
            let mut lines: BTreeMap<_, PurchaseOrderLine> =
                detail.lines.iter().map(|l| (l.id, l.clone())).collect();
            let mut p = Problems::new();
            for (i, r) in receipt.lines.iter().enumerate() {
                match lines.get_mut(&r.line_id) {
                    None => p.add(format!("lines[{i}].line_id"), "is not a line of this order"),
                    Some(l) => {
                        if !r.quantity.is_positive() {
                            p.add(format!("lines[{i}].quantity"), "must be above zero");
                        } else if !over_ok && l.received + r.quantity > l.quantity {
                            p.add(
                                format!("lines[{i}].quantity"),
                                format!(
                                    "only {} of {} is still to receive (over-receipt is not allowed)",
                                    l.quantity - l.received,
                                    l.quantity
                                ),
                            );
                        }
                        if r.unit_cost.is_some_and(|c| c.is_negative()) {
                            p.add(format!("lines[{i}].unit_cost"), "must not be negative");
                        }
                        l.received += r.quantity;
                    }
                }
            }
            p.finish()?;
            let st = Stamp::new(actor, self.now());
            let mut cs = Changeset::new();
            // Stock rows as they will be after each receipt line, so two lines of the same
            // part and location build on each other.
            let mut rows: BTreeMap<(PartId, StockLocationId), Stock> = BTreeMap::new();
            for r in &receipt.lines {
                let Some(line) = detail.lines.iter().find(|l| l.id == r.line_id) else { continue };
                let part = self.load_part(actor, line.part_id).await?;
                let loc = self.load_stock_location(actor, line.location_id).await?;
                let key = (part.id, loc.id);
                let stock = match rows.get(&key) {
                    Some(s) => s.clone(),
                    None => self.stock_row(actor, &part, loc.id).await?,
                };
                let cost = r.unit_cost.unwrap_or(line.unit_price);
                let mut c =
                    StockChange::new(MovementKind::Receive, r.quantity, r.quantity, Quantity::ZERO);
                c.receipt_cost = Some(cost);
                c.purchase_order = Some(id);
                cs.extend(self.stock_writes(&st, &stock, &part, &loc, c)?.0);
                let mut next = stock.clone();
                next.avg_cost = moving_average(stock.on_hand, stock.avg_cost, r.quantity, cost);
                next.on_hand += r.quantity;
                next.version += 1;
                rows.insert(key, next);
            }
            let mut after = before.clone();
            let all: Vec<PurchaseOrderLine> = lines.values().cloned().collect();
            after.status = status_after_receipt(&all);
            after.updated_at = st.at;
            after.version += 1;
            for l in detail.lines.iter() {
                if let Some(n) = lines.get(&l.id).filter(|n| n.received != l.received) {
                    let mut n = n.clone();
                    n.updated_at = st.at;
                    n.version += 1;
                    cs.push(Write::update(n));
                }
            }
            cs.push(Write::update(after.clone()));
            let e = entity(EntityKind::PurchaseOrder, id);
            cs.push(st.audit("purchase_order.receive", e, Some(json(&before)), Some(json(&after))));
            let payload = serde_json::json!({
                "number": after.number, "status": after.status, "lines": receipt.lines,
            });
            cs.push(st.event(
                EventKind::PurchaseOrderReceived,
                e,
                audience(Some(after.site_id)),
                payload,
            ));
            match self.commit_stock(actor, cs).await? {
                Some(_) => Some(()),
                None => {
                    // Someone else received meanwhile: a stale version is the caller's conflict.
                    let now = self.get_purchase_order(actor, id).await?.order;
                    check_version("purchase_order", now.version, receipt.expected_version)?;
                    None
                }
            }
        })?;
        self.get_purchase_order(actor, id).await
    }

    /// Purchase orders suggested from the low-stock list (optionally of one location): per site
    /// and preferred vendor, each low part at its reorder quantity (else its shortage). With
    /// `create`, a draft is written for every suggestion that has a vendor
    /// (`purchase.create`).
    pub async fn suggest_purchase_orders(
        &self,
        actor: &Actor,
        location: Option<StockLocationId>,
        create: bool,
    ) -> Result<Vec<SuggestedOrder>> {
        crate::service::require_held(actor, Permission::PurchaseRead)?;
        let sites = self.location_sites(actor).await?;
        let mut groups: BTreeMap<(SiteId, Option<VendorId>), Vec<NewPoLine>> = BTreeMap::new();
        let mut cursor = None;
        loop {
            let page = self
                .low_stock(
                    actor,
                    LowStockQuery { location, window_days: None, limit: Some(500), cursor },
                )
                .await?;
            for item in &page.items {
                let Some(site) = sites.get(&item.stock.location_id) else { continue };
                let quantity = item.stock.levels.reorder_quantity.unwrap_or(item.shortage);
                if !quantity.is_positive() {
                    continue;
                }
                let q = Select::new(VendorPart::TABLE)
                    .eq("part_id", item.part.id.uuid())
                    .eq("preferred", true);
                let vendor =
                    self.store.find::<VendorPart>(actor.org(), q).await?.map(|v| v.vendor_id);
                groups.entry((*site, vendor)).or_default().push(NewPoLine {
                    part_id: item.part.id,
                    location_id: item.stock.location_id,
                    quantity,
                    unit_price: None,
                });
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut out = Vec::with_capacity(groups.len());
        for ((site_id, vendor_id), lines) in groups {
            let created = match (create, vendor_id) {
                (true, Some(vendor_id)) => {
                    let input = NewPurchaseOrder {
                        vendor_id,
                        site_id,
                        notes: Some("suggested from low stock".into()),
                        lines: lines.clone(),
                    };
                    Some(self.create_purchase_order(actor, input).await?.order.id)
                }
                _ => None,
            };
            out.push(SuggestedOrder { vendor_id, site_id, lines, created });
        }
        Ok(out)
    }
}
