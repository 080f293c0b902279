//! Parts on work orders: plan, reserve, issue, return and release, each committed together with
//! its stock delta and ledger movement (so a part is never issued without the work order's line
//! knowing it), and the release of what a work order still reserves when its work ends.

use super::{StockChange, entity, with_retries};
use crate::actor::Actor;
use crate::domain::EntityKind;
use crate::domain::event::EventKind;
use crate::domain::inventory::wo_parts::{RELEASING_STATUSES, check_status};
use crate::domain::inventory::{MovementKind, PartAction, PartsRequest, Quantity, WorkOrderPart};
use crate::domain::work_order::WorkOrder;
use crate::error::{CmmsError, Result};
use crate::ids::WorkOrderId;
use crate::rbac::{self, Permission};
use crate::service::work_order::audience as wo_audience;
use crate::service::{Cmms, Stamp, json};
use crate::store::record::{Record, RecordReadsExt, Select};
use crate::store::{Changeset, Write};

fn movement_kind(action: PartAction, reserved: Quantity) -> MovementKind {
    match action {
        PartAction::Plan if reserved.is_positive() => MovementKind::Reserve,
        PartAction::Reserve => MovementKind::Reserve,
        PartAction::Release | PartAction::Plan => MovementKind::Release,
        PartAction::Issue => MovementKind::Issue,
        PartAction::Return => MovementKind::Return,
    }
}

impl Cmms {
    /// The part lines of a work order (whoever may read the work order).
    pub async fn work_order_parts(
        &self,
        actor: &Actor,
        id: WorkOrderId,
    ) -> Result<Vec<WorkOrderPart>> {
        self.get_work_order(actor, id).await?;
        self.parts_of(actor, id).await
    }

    async fn parts_of(&self, actor: &Actor, id: WorkOrderId) -> Result<Vec<WorkOrderPart>> {
        let q = Select::new(WorkOrderPart::TABLE).eq("work_order_id", id.uuid());
        Ok(self.store.list::<WorkOrderPart>(actor.org(), q).await?)
    }

    /// Plans, reserves, issues, returns or releases a part on a work order
    /// (`work_order.parts` on the work order: a technician on work assigned to them). Planning
    /// holds as much of the plan as is available (the line shows how much); reserving and
    /// issuing refuse more than is available with `insufficient_stock` and write nothing; an
    /// issue uses the work order's own reservation first. The line, the stock and the
    /// ledger change in one commit.
    ///
    /// ```
    /// # async fn demo(cmms: cmms_core::Cmms, tech: cmms_core::Actor, wo: cmms_core::WorkOrderId,
    /// #     part: cmms_core::ids::PartId, store: cmms_core::ids::StockLocationId) -> cmms_core::Result<()> {
    /// use cmms_core::domain::inventory::{PartAction, PartsRequest};
    /// let line = cmms
    ///     .change_work_order_parts(&tech, wo, PartsRequest {
    ///         action: PartAction::Issue,
    ///         part_id: part,
    ///         location_id: store,
    ///         quantity: Some("2".parse().unwrap()),
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn change_work_order_parts(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        req: PartsRequest,
    ) -> Result<WorkOrderPart> {
        let wo = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderParts, &wo.resource())?;
        check_status(req.action, wo.status)?;
        // The storeroom must be one the actor may see (a site-scoped grant takes parts only
        // from its sites' storerooms).
        let loc = self.get_stock_location(actor, req.location_id).await?;
        if !loc.active
            && matches!(req.action, PartAction::Plan | PartAction::Reserve | PartAction::Issue)
        {
            return Err(CmmsError::invalid("location_id", "the stock location is inactive"));
        }
        with_retries!({
            let part = self.load_part(actor, req.part_id).await?;
            if !part.active && matches!(req.action, PartAction::Reserve | PartAction::Issue) {
                return Err(CmmsError::invalid("part_id", "the part is inactive"));
            }
            let q = Select::new(WorkOrderPart::TABLE)
                .eq("work_order_id", id.uuid())
                .eq("part_id", part.id.uuid())
                .eq("location_id", loc.id.uuid());
            let line = match self.store.find::<WorkOrderPart>(actor.org(), q).await? {
                Some(l) => l,
                None => WorkOrderPart::new(actor.org(), id, part.id, loc.id, self.now()),
            };
            let stock = self.stock_row(actor, &part, loc.id).await?;
            let st = Stamp::new(actor, self.now());
            let change = line.decide(req.action, req.quantity, stock.available(), st.at)?;
            let mut cs = Changeset::new();
            cs.push(if line.version == 0 {
                Write::insert(change.line.clone())
            } else {
                Write::update(change.line.clone())
            });
            // A plan that holds no more and no less than before moves no stock.
            if req.action != PartAction::Plan || change.reserved != Quantity::ZERO {
                let quantity = match req.action {
                    PartAction::Plan => change.reserved.max(-change.reserved),
                    _ => change.quantity,
                };
                let mut c = StockChange::new(
                    movement_kind(req.action, change.reserved),
                    quantity,
                    change.on_hand,
                    change.reserved,
                );
                c.work_order = Some(id);
                let (writes, _) = self.stock_writes(&st, &stock, &part, &loc, c)?;
                cs.extend(writes);
            }
            cs.extend(self.parts_trail(&st, &wo, &line, &change.line, req.action));
            self.commit_stock(actor, cs).await?.map(|_| change.line)
        })
    }

    fn parts_trail(
        &self,
        st: &Stamp,
        wo: &WorkOrder,
        before: &WorkOrderPart,
        after: &WorkOrderPart,
        action: PartAction,
    ) -> Vec<Write> {
        let e = entity(EntityKind::WorkOrderPart, after.id);
        let before = (before.version > 0).then(|| json(before));
        let payload = serde_json::json!({
            "work_order_id": wo.id, "number": wo.number, "action": action, "line": after,
        });
        vec![
            st.audit(&format!("work_order.parts.{action}"), e, before, Some(json(after))),
            st.event(
                EventKind::WorkOrderPartsChanged,
                crate::service::work_order::entity(wo.id),
                wo_audience(wo, Permission::WorkOrderRead),
                payload,
            ),
        ]
    }

    /// The writes that give back what `after` still reserves when its status ends the work
    /// (completed, verified, closed, cancelled) and `before`'s did not: for each line, the line,
    /// a release delta and its movement.
    pub(crate) async fn release_parts_on(
        &self,
        actor: &Actor,
        before: &WorkOrder,
        after: &WorkOrder,
    ) -> Result<Vec<Write>> {
        if RELEASING_STATUSES.contains(&before.status)
            || !RELEASING_STATUSES.contains(&after.status)
        {
            return Ok(Vec::new());
        }
        let mut writes = Vec::new();
        let st = Stamp::new(actor, self.now());
        for line in self.parts_of(actor, after.id).await? {
            if !line.reserved.is_positive() {
                continue;
            }
            let part = self.load_part(actor, line.part_id).await?;
            let loc = self.load_stock_location(actor, line.location_id).await?;
            let stock = self.stock_row(actor, &part, loc.id).await?;
            let change = line.decide(PartAction::Release, None, stock.available(), st.at)?;
            writes.push(Write::update(change.line.clone()));
            let mut c = StockChange::new(
                MovementKind::Release,
                change.quantity,
                change.on_hand,
                change.reserved,
            );
            c.work_order = Some(after.id);
            c.reason = Some(format!("work order {}", after.status));
            writes.extend(self.stock_writes(&st, &stock, &part, &loc, c)?.0);
            writes.extend(self.parts_trail(&st, after, &line, &change.line, PartAction::Release));
        }
        Ok(writes)
    }

    /// Whether a work order has part lines (work with parts cannot be deleted, only cancelled:
    /// its ledger entries name it).
    pub(crate) async fn has_parts(&self, actor: &Actor, id: WorkOrderId) -> Result<bool> {
        let q = Select::new(WorkOrderPart::TABLE).eq("work_order_id", id.uuid()).limit(1);
        Ok(!self.store.list::<WorkOrderPart>(actor.org(), q).await?.is_empty())
    }
}
