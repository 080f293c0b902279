//! Purchase orders: lines of (part, quantity, unit price, where to receive), a status machine
//! kept as ONE edge table like the work orders', approval with an amount limit per role, and
//! receiving (partial receipts allowed, over-receipt only when the organization allows it).

use super::amount::{Money, Quantity};
use crate::actor::Actor;
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{
    OrgId, PartId, PurchaseOrderId, PurchaseOrderLineId, SiteId, StockLocationId, UserId, VendorId,
};
use crate::macros::string_enum;
use crate::rbac::{Permission, Resource, RoleRef};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

string_enum! {
    /// Where a purchase order stands.
    PoStatus, field = "status" {
        /// Being written.
        Draft => "draft",
        /// Waiting for approval.
        Submitted => "submitted",
        /// Approved, not yet sent.
        Approved => "approved",
        /// Refused by an approver (may go back to draft).
        Rejected => "rejected",
        /// Sent to the vendor.
        Ordered => "ordered",
        /// Some of it received.
        PartiallyReceived => "partially_received",
        /// All of it received.
        Received => "received",
        /// Done.
        Closed => "closed",
        /// Called off before anything was received.
        Cancelled => "cancelled",
    }
}

/// One edge of the purchase-order status machine.
#[derive(Debug, Clone, Copy)]
pub struct PoEdge {
    /// From.
    pub from: PoStatus,
    /// To.
    pub to: PoStatus,
    /// Who may take it.
    pub permission: Permission,
    /// Taken only by receiving (not by a status change request).
    pub by_receipt: bool,
}

const fn edge(from: PoStatus, to: PoStatus, permission: Permission) -> PoEdge {
    PoEdge { from, to, permission, by_receipt: false }
}

const fn receipt(from: PoStatus, to: PoStatus) -> PoEdge {
    PoEdge { from, to, permission: Permission::PurchaseReceive, by_receipt: true }
}

use Permission::{PurchaseApprove as APPROVE, PurchaseCreate as CREATE};
use PoStatus::*;

/// The purchase-order status machine as data.
pub const PO_EDGES: &[PoEdge] = &[
    edge(Draft, Submitted, CREATE),
    edge(Draft, Cancelled, CREATE),
    edge(Submitted, Approved, APPROVE),
    edge(Submitted, Rejected, APPROVE),
    edge(Submitted, Draft, CREATE),
    edge(Submitted, Cancelled, CREATE),
    edge(Rejected, Draft, CREATE),
    edge(Rejected, Cancelled, CREATE),
    edge(Approved, Ordered, CREATE),
    edge(Approved, Cancelled, APPROVE),
    edge(Ordered, Cancelled, APPROVE),
    receipt(Ordered, PartiallyReceived),
    receipt(Ordered, Received),
    receipt(PartiallyReceived, PartiallyReceived),
    receipt(PartiallyReceived, Received),
    // Closing a partly received order gives up on the rest (short close).
    edge(PartiallyReceived, Closed, APPROVE),
    edge(Received, Closed, CREATE),
];

/// The edge from `from` to `to` that a status change request may take.
pub fn po_edge(from: PoStatus, to: PoStatus) -> Result<&'static PoEdge> {
    PO_EDGES
        .iter()
        .find(|e| e.from == from && e.to == to && !e.by_receipt)
        .ok_or_else(|| CmmsError::InvalidTransition { from: from.to_string(), to: to.to_string() })
}

/// A purchase order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PurchaseOrder {
    /// Id.
    pub id: PurchaseOrderId,
    /// Organization.
    pub org_id: OrgId,
    /// Human number (`PO-2026-00042`).
    pub number: String,
    /// The vendor.
    pub vendor_id: VendorId,
    /// The site it is for (its lines receive into stock locations of this site).
    pub site_id: SiteId,
    /// Status.
    pub status: PoStatus,
    /// Currency.
    pub currency: String,
    /// Notes.
    pub notes: Option<String>,
    /// Sum of the lines (quantity × unit price).
    pub total: Money,
    /// Who approved it.
    pub approved_by: Option<UserId>,
    /// When it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// Why it was rejected, short-closed or cancelled.
    pub reason: Option<String>,
    /// Who wrote it.
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// A line of a purchase order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PurchaseOrderLine {
    /// Id.
    pub id: PurchaseOrderLineId,
    /// Organization.
    pub org_id: OrgId,
    /// The order.
    pub purchase_order_id: PurchaseOrderId,
    /// Position on the order, from 1.
    pub position: i64,
    /// The part.
    pub part_id: PartId,
    /// Where it is received into.
    pub location_id: StockLocationId,
    /// Ordered quantity.
    pub quantity: Quantity,
    /// Received so far.
    pub received: Quantity,
    /// Unit price.
    pub unit_price: Money,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input for one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPoLine {
    /// The part.
    pub part_id: PartId,
    /// Where to receive it.
    pub location_id: StockLocationId,
    /// How much (above zero).
    pub quantity: Quantity,
    /// Unit price (default: the vendor's price, else the part's unit cost, else 0).
    #[serde(default)]
    pub unit_price: Option<Money>,
}

/// Input to create a purchase order (in draft), or to replace a draft's vendor, notes and lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPurchaseOrder {
    /// The vendor.
    pub vendor_id: VendorId,
    /// The site.
    pub site_id: SiteId,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Lines (at least one to submit).
    #[serde(default)]
    pub lines: Vec<NewPoLine>,
}

/// A request to move a purchase order along its status machine.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PoTransitionInput {
    /// Why (required to reject, cancel or short-close).
    pub reason: Option<String>,
    /// The version the caller read.
    pub expected_version: Option<i64>,
}

/// One received line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReceiptLine {
    /// The order line.
    pub line_id: PurchaseOrderLineId,
    /// How much arrived (above zero).
    pub quantity: Quantity,
    /// The unit cost it arrived at (default: the line's price).
    #[serde(default)]
    pub unit_cost: Option<Money>,
}

/// A receipt against a purchase order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// What arrived.
    pub lines: Vec<ReceiptLine>,
    /// The version the caller read.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

/// The lines of a purchase order built from input, numbered from 1, and their total.
pub fn build_lines(
    org_id: OrgId,
    po: PurchaseOrderId,
    input: &[(NewPoLine, Money)],
    now: DateTime<Utc>,
) -> Result<(Vec<PurchaseOrderLine>, Money)> {
    let mut p = Problems::new();
    let mut lines = Vec::with_capacity(input.len());
    for (i, (l, price)) in input.iter().enumerate() {
        if !l.quantity.is_positive() {
            p.add(format!("lines[{i}].quantity"), "must be above zero");
        }
        if price.is_negative() {
            p.add(format!("lines[{i}].unit_price"), "must not be negative");
        }
        lines.push(PurchaseOrderLine {
            id: PurchaseOrderLineId::new(),
            org_id,
            purchase_order_id: po,
            position: i as i64 + 1,
            part_id: l.part_id,
            location_id: l.location_id,
            quantity: l.quantity,
            received: Quantity::ZERO,
            unit_price: *price,
            updated_at: now,
            version: 1,
        });
    }
    p.finish()?;
    let total = lines.iter().map(|l| l.unit_price.times(l.quantity)).sum();
    Ok((lines, total))
}

/// The largest order total `actor` may approve at `site`: `None` means no limit. Each grant
/// that holds `purchase.approve` there contributes its role's limit from `limits` (keyed by a
/// built-in role's name or a custom role's id); a role without an entry has no limit. The
/// system actor has no limit. `Some(Some(0))`-like results never occur: no grant → Forbidden
/// is decided by the caller with `rbac::authorize` first.
pub fn approval_limit(
    actor: &Actor,
    site: SiteId,
    limits: &BTreeMap<String, Money>,
) -> Option<Money> {
    if actor.is_system() {
        return None;
    }
    let resource = Resource::at_site(site);
    let mut best: Option<Option<Money>> = None;
    for g in actor.grants() {
        let single = Actor::new(actor.org(), UserId::new(), vec![g.clone()], Vec::new());
        if !crate::rbac::can(&single, Permission::PurchaseApprove, &resource) {
            continue;
        }
        let key = match g.role.role {
            RoleRef::Builtin(b) => b.as_str().to_string(),
            RoleRef::Custom(id) => id.to_string(),
        };
        let limit = limits.get(&key).copied();
        best = Some(match (best, limit) {
            (Some(None), _) | (_, None) => None,
            (Some(Some(a)), Some(b)) => Some(a.max(b)),
            (None, Some(b)) => Some(b),
        });
    }
    best.flatten()
}

/// The status after receiving: every line in full → `received`, else `partially_received`.
pub fn status_after_receipt(lines: &[PurchaseOrderLine]) -> PoStatus {
    if lines.iter().all(|l| l.received >= l.quantity) {
        PoStatus::Received
    } else {
        PoStatus::PartiallyReceived
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_is_reachable_from_draft() {
        let mut seen = vec![PoStatus::Draft];
        let mut i = 0;
        while i < seen.len() {
            let from = seen[i];
            for e in PO_EDGES.iter().filter(|e| e.from == from) {
                if !seen.contains(&e.to) {
                    seen.push(e.to);
                }
            }
            i += 1;
        }
        assert_eq!(seen.len(), PoStatus::ALL.len());
        assert!(po_edge(PoStatus::Ordered, PoStatus::Received).is_err(), "only receipts receive");
        assert!(po_edge(PoStatus::Received, PoStatus::Cancelled).is_err());
    }
}
