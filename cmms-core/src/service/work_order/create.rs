//! Creating work orders: checks, the initial status, and the insert with a number drawn inside
//! the commit.

use super::{audience, entity};
use crate::actor::Actor;
use crate::domain::checklist::ChecklistItem;
use crate::domain::event::EventKind;
use crate::domain::status::{self, WorkOrderStatus};
use crate::domain::timeline::TimelineEntry;
use crate::domain::work_order::{self as rules, NewWorkOrder, Priority, WorkOrder, WorkOrderType};
use crate::domain::{EntityKind, EntityRef};
use crate::error::Result;
use crate::ids::{TimelineId, WorkOrderId};
use crate::rbac::{self, Permission};
use crate::service::{Cmms, Numbering, Stamp, json, require_held};
use crate::store::Write;

impl Cmms {
    /// Creates a work order with the org's next number. It starts `requested` when the creator
    /// may not approve work, else `assigned` or `open`.
    ///
    /// ```
    /// # async fn demo(cmms: &cmms_core::Cmms, actor: &cmms_core::Actor, site: cmms_core::SiteId) -> cmms_core::Result<()> {
    /// use cmms_core::domain::work_order::{NewWorkOrder, Priority};
    /// let wo = cmms
    ///     .create_work_order(actor, NewWorkOrder {
    ///         title: "Replace pump seal".into(),
    ///         site_id: Some(site),
    ///         priority: Some(Priority::High),
    ///         ..NewWorkOrder::default()
    ///     })
    ///     .await?;
    /// assert!(wo.number.starts_with("WO-"));
    /// # Ok(()) }
    /// ```
    pub async fn create_work_order(&self, actor: &Actor, input: NewWorkOrder) -> Result<WorkOrder> {
        require_held(actor, Permission::WorkOrderCreate)?;
        let checked = rules::check_new(&input)?;
        let site =
            self.resolve_place(actor, input.site_id, input.location_id, input.asset_id).await?;
        self.check_people(actor, &checked.assignees, input.team_id).await?;
        let requested_by = input.requested_by.or(actor.user_id());
        if let Some(r) = input.requested_by {
            self.ensure_users(actor, &[r], Some("requested_by")).await?;
        }
        let now = self.now();
        let mut draft = WorkOrder {
            id: WorkOrderId::new(),
            org_id: actor.org(),
            number: String::new(),
            title: checked.title,
            description: checked.description,
            wo_type: input.wo_type.unwrap_or(WorkOrderType::Corrective),
            priority: input.priority.unwrap_or(Priority::Medium),
            category: checked.category,
            status: WorkOrderStatus::Open,
            site_id: site,
            location_id: input.location_id,
            asset_id: input.asset_id,
            assignees: checked.assignees,
            team_id: input.team_id,
            requested_by,
            created_by: actor.user_id(),
            request_id: None,
            pm_plan_id: None,
            pm_slot_id: None,
            due_at: input.due_at.map(crate::clock::truncate_micros),
            estimated_hours: checked.estimated_hours,
            actual_start: None,
            actual_end: None,
            verified_by: None,
            verified_at: None,
            closed_at: None,
            completion_notes: None,
            failure: Default::default(),
            attachments: input.attachments,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        rbac::authorize(actor, Permission::WorkOrderCreate, &draft.resource())?;
        self.check_assignees_may_execute(actor, &draft).await?;
        let staffed = !draft.assignees.is_empty() || draft.team_id.is_some();
        if staffed {
            let only_me = draft.assignees.iter().all(|a| Some(*a) == actor.user_id())
                && draft.team_id.is_none();
            let perm =
                if only_me { Permission::WorkOrderSelfAssign } else { Permission::WorkOrderAssign };
            rbac::authorize(actor, perm, &draft.resource())?;
        }
        if requested_by != actor.user_id() {
            rbac::authorize(actor, Permission::WorkOrderApprove, &draft.resource())?;
        }
        let can_approve = rbac::can(actor, Permission::WorkOrderApprove, &draft.resource());
        draft.status = status::initial_status(can_approve, staffed);
        let items: Vec<ChecklistItem> = input
            .checklist
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                item.into_item(actor.org(), draft.id, i32::try_from(i).unwrap_or(i32::MAX))
            })
            .collect();
        self.insert_numbered_work_order(actor, draft, items, Vec::new()).await
    }

    /// Commits a new work order (with its checklist, timeline entry, audit entries and events),
    /// drawing its number inside the transaction; `after` are writes that must follow the
    /// insert (they may reference it).
    pub(crate) async fn insert_numbered_work_order(
        &self,
        actor: &Actor,
        draft: WorkOrder,
        items: Vec<ChecklistItem>,
        after: Vec<Write>,
    ) -> Result<WorkOrder> {
        let now = draft.created_at;
        let st = Stamp::new(actor, now);
        let template = draft.clone();
        let number = self
            .commit_numbered(actor, Numbering::WorkOrder(draft.site_id), now, move |number| {
                let wo = WorkOrder { number, ..template.clone() };
                let mut w = vec![Write::insert(wo.clone()), Write::insert(created_entry(&wo, &st))];
                w.push(st.audit("work_order.create", entity(wo.id), None, Some(json(&wo))));
                for item in items.iter().cloned() {
                    let e = EntityRef::new(EntityKind::ChecklistItem, item.id);
                    w.push(st.audit("work_order.checklist_add", e, None, Some(json(&item))));
                    w.push(Write::insert(item));
                }
                let readers = audience(&wo, Permission::WorkOrderRead);
                w.push(st.event(EventKind::WorkOrderCreated, entity(wo.id), readers.clone(), json(&wo)));
                if !wo.assignees.is_empty() || wo.team_id.is_some() {
                    let staff = serde_json::json!({ "number": wo.number, "assignees": wo.assignees, "team_id": wo.team_id });
                    w.push(st.event(EventKind::WorkOrderAssigned, entity(wo.id), readers, staff));
                }
                w.extend(after.iter().cloned());
                w
            })
            .await?;
        Ok(WorkOrder { number, ..draft })
    }
}

fn created_entry(wo: &WorkOrder, st: &Stamp) -> TimelineEntry {
    TimelineEntry {
        id: TimelineId::new(),
        org_id: wo.org_id,
        work_order_id: wo.id,
        from_status: None,
        to_status: wo.status,
        actor_id: st.actor_id,
        reason: None,
        at: wo.created_at,
    }
}
