//! Reading, editing and deleting work orders.

use super::{audience, entity};
use crate::actor::Actor;
use crate::domain::checklist::ChecklistItem;
use crate::domain::comment::Comment;
use crate::domain::event::EventKind;
use crate::domain::labor::LaborEntry;
use crate::domain::timeline::TimelineEntry;
use crate::domain::work_order::activity::{Activity, require_activity};
use crate::domain::work_order::{WorkOrder, WorkOrderPatch};
use crate::error::{CmmsError, Result};
use crate::ids::WorkOrderId;
use crate::rbac::{self, Permission};
use crate::service::{Cmms, Stamp, check_version, json, require_readable};
use crate::store::{Changeset, Write};

impl Cmms {
    /// One work order (another tenant's, or one the actor may not read, is `NotFound`).
    pub async fn get_work_order(&self, actor: &Actor, id: WorkOrderId) -> Result<WorkOrder> {
        let wo = self
            .store
            .get_work_order(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("work_order", id))?;
        require_readable(actor, Permission::WorkOrderRead, &wo.resource(), "work_order", id)?;
        Ok(wo)
    }

    /// Edits a work order's fields (people and status have their own use cases).
    pub async fn update_work_order(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        patch: WorkOrderPatch,
        expected_version: Option<i64>,
    ) -> Result<WorkOrder> {
        let before = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderUpdate, &before.resource())?;
        check_version("work_order", before.version, expected_version)?;
        require_activity(before.status, Activity::Edit)?;
        let after = before.patched(patch, self.now())?;
        if (after.location_id, after.asset_id) != (before.location_id, before.asset_id) {
            self.resolve_place(actor, Some(after.site_id), after.location_id, after.asset_id)
                .await?;
        }
        let st = Stamp::new(actor, after.updated_at);
        let mut cs = Changeset::new();
        cs.push(Write::update(after.clone()));
        cs.push(st.audit("work_order.update", entity(id), Some(json(&before)), Some(json(&after))));
        let readers = audience(&after, Permission::WorkOrderRead);
        cs.push(st.event(EventKind::WorkOrderUpdated, entity(id), readers, json(&after)));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// Deletes a work order that has not started (requested, open, assigned) or was cancelled,
    /// and did not come from a request; its comments, checklist, labor and timeline go with it
    /// (the audit entry keeps the deleted record).
    pub async fn delete_work_order(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        expected_version: Option<i64>,
    ) -> Result<()> {
        let wo = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderDelete, &wo.resource())?;
        check_version("work_order", wo.version, expected_version)?;
        require_activity(wo.status, Activity::Delete)?;
        if wo.request_id.is_some() {
            return Err(CmmsError::invalid(
                "request_id",
                "work that came from a request cannot be deleted; cancel it",
            ));
        }
        if wo.pm_slot_id.is_some() {
            return Err(CmmsError::invalid(
                "pm_plan_id",
                "work a PM plan generated cannot be deleted; cancel it (the plan records that)",
            ));
        }
        if self.has_parts(actor, id).await? {
            return Err(CmmsError::invalid(
                "parts",
                "work with parts cannot be deleted (the stock ledger names it); cancel it",
            ));
        }
        if self.work_has_attachments(actor, id).await? {
            return Err(CmmsError::invalid(
                "attachments",
                "work with attached files cannot be deleted; remove the files or cancel it",
            ));
        }
        let st = Stamp::new(actor, self.now());
        let mut cs = Changeset::new();
        // The work order first: its versioned delete (a row lock on PostgreSQL) decides the
        // commit before anything that hangs off it goes.
        cs.push(Write::delete_versioned::<WorkOrder>(id, wo.version));
        cs.push(Write::delete_children::<TimelineEntry>(id));
        cs.push(Write::delete_children::<Comment>(id));
        cs.push(Write::delete_children::<ChecklistItem>(id));
        cs.push(Write::delete_children::<LaborEntry>(id));
        cs.push(Write::delete_children::<crate::domain::inventory::WorkOrderCost>(id));
        cs.push(Write::delete_children::<crate::domain::notification::Watch>(id));
        cs.push(st.audit("work_order.delete", entity(id), Some(json(&wo)), None));
        let payload = serde_json::json!({ "number": wo.number });
        cs.push(st.event(
            EventKind::WorkOrderDeleted,
            entity(id),
            audience(&wo, Permission::WorkOrderRead),
            payload,
        ));
        self.commit(actor, cs).await?;
        Ok(())
    }
}
