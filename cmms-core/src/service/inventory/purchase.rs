//! Purchase orders: write a draft (lines priced from the vendor's price, else the part's cost),
//! submit, approve within the role's limit, place, cancel, close — each an edge of
//! `domain::inventory::PO_EDGES`.

use super::{audience, entity};
use crate::actor::Actor;
use crate::domain::EntityKind;
use crate::domain::event::EventKind;
use crate::domain::inventory::purchase::{approval_limit, build_lines, po_edge};
use crate::domain::inventory::{
    Money, NewPurchaseOrder, PoStatus, PoTransitionInput, PurchaseOrder, PurchaseOrderLine,
    VendorPart,
};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{PurchaseOrderId, VendorId};
use crate::rbac::{self, Permission, Resource};
use crate::service::{Cmms, Numbering, Stamp, check_version, json, require_held};
use crate::store::record::{Record, RecordReadsExt, Select};
use crate::store::{Changeset, Page, Write};
use serde::{Deserialize, Serialize};

/// Which purchase orders to list (by id, i.e. creation order).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PurchaseOrderFilter {
    /// Only this status.
    pub status: Option<PoStatus>,
    /// Only this vendor's.
    pub vendor: Option<VendorId>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// A purchase order with its lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PurchaseOrderDetail {
    /// The order.
    #[serde(flatten)]
    pub order: PurchaseOrder,
    /// Its lines, by position.
    pub lines: Vec<PurchaseOrderLine>,
}

impl Cmms {
    /// Writes a purchase order in draft (`purchase.create` at its site), numbered like work
    /// orders (`OrgSettings::purchase_order_number_format`). A line without a price takes the
    /// vendor's price for the part, else the part's unit cost, else 0.
    pub async fn create_purchase_order(
        &self,
        actor: &Actor,
        input: NewPurchaseOrder,
    ) -> Result<PurchaseOrderDetail> {
        require_held(actor, Permission::PurchaseCreate)?;
        self.get_site(actor, input.site_id).await?;
        rbac::authorize(actor, Permission::PurchaseCreate, &Resource::at_site(input.site_id))?;
        let vendor = self.get_vendor(actor, input.vendor_id).await?;
        if !vendor.active {
            return Err(CmmsError::invalid("vendor_id", "the vendor is inactive"));
        }
        let settings = self.load_org(actor.org()).await?.settings;
        let id = PurchaseOrderId::new();
        let now = self.now();
        let (lines, total) = self.price_lines(actor, &input, id).await?;
        let mut p = Problems::new();
        let notes = crate::validate::opt_text(&mut p, "notes", input.notes.as_deref(), 4_000);
        p.finish()?;
        let st = Stamp::new(actor, now);
        let org = actor.org();
        let currency = vendor.currency.clone().unwrap_or(settings.currency);
        let lines_c = lines.clone();
        let number = self
            .commit_numbered(actor, Numbering::PurchaseOrder(input.site_id), now, move |number| {
                let po = PurchaseOrder {
                    id,
                    org_id: org,
                    number,
                    vendor_id: vendor.id,
                    site_id: input.site_id,
                    status: PoStatus::Draft,
                    currency: currency.clone(),
                    notes: notes.clone(),
                    total,
                    approved_by: None,
                    approved_at: None,
                    reason: None,
                    created_by: st.actor_id,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                };
                let e = entity(EntityKind::PurchaseOrder, id);
                let mut w = vec![Write::insert(po.clone())];
                w.extend(lines_c.iter().cloned().map(Write::insert));
                w.push(st.audit("purchase_order.create", e, None, Some(json(&po))));
                w.push(st.event(
                    EventKind::PurchaseOrderChanged,
                    e,
                    audience(Some(po.site_id)),
                    json(&po),
                ));
                w
            })
            .await?;
        let _ = number;
        self.get_purchase_order(actor, id).await
    }

    async fn price_lines(
        &self,
        actor: &Actor,
        input: &NewPurchaseOrder,
        id: PurchaseOrderId,
    ) -> Result<(Vec<PurchaseOrderLine>, Money)> {
        let mut priced = Vec::with_capacity(input.lines.len());
        for (i, l) in input.lines.iter().enumerate() {
            let part = self.load_part(actor, l.part_id).await?;
            let loc = self.load_stock_location(actor, l.location_id).await?;
            if !loc.active {
                return Err(CmmsError::invalid(
                    format!("lines[{i}].location_id"),
                    "the stock location is inactive",
                ));
            }
            if loc.site_id != input.site_id {
                return Err(CmmsError::invalid(
                    format!("lines[{i}].location_id"),
                    "receives into another site than the order's",
                ));
            }
            let price = match l.unit_price {
                Some(p) => p,
                None => {
                    let q = Select::new(VendorPart::TABLE)
                        .eq("vendor_id", input.vendor_id.uuid())
                        .eq("part_id", part.id.uuid());
                    let vp = self.store.find::<VendorPart>(actor.org(), q).await?;
                    vp.and_then(|v| v.price).or(part.unit_cost).unwrap_or(Money::ZERO)
                }
            };
            priced.push((l.clone(), price));
        }
        build_lines(actor.org(), id, &priced, self.now())
    }

    /// A purchase order with its lines (`purchase.read` at its site).
    pub async fn get_purchase_order(
        &self,
        actor: &Actor,
        id: PurchaseOrderId,
    ) -> Result<PurchaseOrderDetail> {
        let order = self
            .store
            .get::<PurchaseOrder>(actor.org(), id)
            .await?
            .filter(|po| rbac::can(actor, Permission::PurchaseRead, &Resource::at_site(po.site_id)))
            .ok_or_else(|| CmmsError::not_found("purchase_order", id))?;
        let q = Select::new(PurchaseOrderLine::TABLE).eq("purchase_order_id", id.uuid());
        let lines = self.store.list::<PurchaseOrderLine>(actor.org(), q).await?;
        Ok(PurchaseOrderDetail { order, lines })
    }

    /// A page of purchase orders the actor may read, newest last.
    pub async fn list_purchase_orders(
        &self,
        actor: &Actor,
        filter: PurchaseOrderFilter,
    ) -> Result<Page<PurchaseOrder>> {
        require_held(actor, Permission::PurchaseRead)?;
        let mut q = Select::new(PurchaseOrder::TABLE);
        if let Some(s) = filter.status {
            q = q.eq("status", s.as_str().to_string());
        }
        if let Some(v) = filter.vendor {
            q = q.eq("vendor_id", v.uuid());
        }
        let keep = |po: &PurchaseOrder| {
            rbac::can(actor, Permission::PurchaseRead, &Resource::at_site(po.site_id))
        };
        self.page_by_id(
            actor,
            q,
            filter.limit,
            filter.cursor.as_deref(),
            |po: &PurchaseOrder| po.id.uuid(),
            keep,
        )
        .await
    }

    /// Replaces a draft's vendor, notes and lines (`purchase.create`).
    pub async fn update_purchase_order(
        &self,
        actor: &Actor,
        id: PurchaseOrderId,
        input: NewPurchaseOrder,
        expected_version: Option<i64>,
    ) -> Result<PurchaseOrderDetail> {
        let before = self.get_purchase_order(actor, id).await?.order;
        check_version("purchase_order", before.version, expected_version)?;
        rbac::authorize(actor, Permission::PurchaseCreate, &Resource::at_site(before.site_id))?;
        if before.status != PoStatus::Draft {
            return Err(CmmsError::invalid("status", "only a draft's lines can be changed"));
        }
        if input.site_id != before.site_id {
            return Err(CmmsError::invalid("site_id", "an order stays at its site"));
        }
        self.get_vendor(actor, input.vendor_id).await?;
        let (lines, total) = self.price_lines(actor, &input, id).await?;
        let mut p = Problems::new();
        let notes = crate::validate::opt_text(&mut p, "notes", input.notes.as_deref(), 4_000);
        p.finish()?;
        let now = self.now();
        let after = PurchaseOrder {
            vendor_id: input.vendor_id,
            notes,
            total,
            updated_at: now,
            version: before.version + 1,
            ..before.clone()
        };
        let st = Stamp::new(actor, now);
        let e = entity(EntityKind::PurchaseOrder, id);
        let mut cs = Changeset::new();
        cs.push(Write::update(after.clone()));
        cs.push(Write::delete_children::<PurchaseOrderLine>(id));
        cs.extend(lines.into_iter().map(Write::insert));
        cs.push(st.audit("purchase_order.update", e, Some(json(&before)), Some(json(&after))));
        cs.push(st.event(
            EventKind::PurchaseOrderChanged,
            e,
            audience(Some(after.site_id)),
            json(&after),
        ));
        self.commit(actor, cs).await?;
        self.get_purchase_order(actor, id).await
    }

    /// Moves a purchase order along its status machine (`PO_EDGES`): the edge's permission at
    /// the order's site; approval also within the approver's limit
    /// (`OrgSettings::purchase_approval_limits`); a reason to reject, cancel or short-close;
    /// at least one line to submit. Receiving moves it to partly received / received.
    pub async fn transition_purchase_order(
        &self,
        actor: &Actor,
        id: PurchaseOrderId,
        to: PoStatus,
        input: PoTransitionInput,
    ) -> Result<PurchaseOrderDetail> {
        let detail = self.get_purchase_order(actor, id).await?;
        let before = detail.order;
        check_version("purchase_order", before.version, input.expected_version)?;
        let edge = po_edge(before.status, to)?;
        rbac::authorize(actor, edge.permission, &Resource::at_site(before.site_id))?;
        let mut p = Problems::new();
        let reason = crate::validate::opt_text(&mut p, "reason", input.reason.as_deref(), 2_000);
        let needs_reason = matches!(to, PoStatus::Rejected | PoStatus::Cancelled)
            || (to == PoStatus::Closed && before.status == PoStatus::PartiallyReceived);
        if needs_reason && reason.is_none() {
            p.add("reason", format!("is required to move a purchase order to {to}"));
        }
        if to == PoStatus::Submitted && detail.lines.is_empty() {
            p.add("lines", "an order needs at least one line to be submitted");
        }
        p.finish()?;
        let now = self.now();
        let mut after = PurchaseOrder {
            status: to,
            updated_at: now,
            version: before.version + 1,
            ..before.clone()
        };
        if needs_reason {
            after.reason = reason;
        }
        if to == PoStatus::Approved {
            let limits = self.load_org(actor.org()).await?.settings.purchase_approval_limits;
            if let Some(limit) = approval_limit(actor, before.site_id, &limits) {
                if before.total > limit {
                    return Err(CmmsError::Forbidden {
                        permission: format!(
                            "purchase.approve above {limit} (the order totals {})",
                            before.total
                        ),
                    });
                }
            }
            after.approved_by = actor.user_id();
            after.approved_at = Some(now);
        }
        let st = Stamp::new(actor, now);
        let e = entity(EntityKind::PurchaseOrder, id);
        let mut cs = Changeset::new();
        cs.push(Write::update(after.clone()));
        cs.push(st.audit("purchase_order.transition", e, Some(json(&before)), Some(json(&after))));
        let payload =
            serde_json::json!({ "number": after.number, "from": before.status, "to": to });
        cs.push(st.event(
            EventKind::PurchaseOrderStatusChanged,
            e,
            audience(Some(after.site_id)),
            payload,
        ));
        self.commit(actor, cs).await?;
        Ok(PurchaseOrderDetail { order: after, lines: detail.lines })
    }
}
