//! What happens on a work order besides its status: comments, checklist results, labor, and
//! the timeline with time-in-status.

use super::work_order::audience;
use super::{Cmms, Stamp, json};
use crate::actor::Actor;
use crate::domain::checklist::{ChecklistItem, ChecklistResult, NewChecklistItem};
use crate::domain::comment::Comment;
use crate::domain::event::EventKind;
use crate::domain::labor::{LaborEntry, NewLabor};
use crate::domain::status::WorkOrderStatus;
use crate::domain::timeline::{TimelineEntry, time_in_status};
use crate::domain::work_order::activity::{Activity, require_activity};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{ChecklistItemId, WorkOrderId};
use crate::rbac::{self, Permission};
use crate::store::{Changeset, Write};
use chrono::TimeDelta;

impl Cmms {
    /// Adds a comment. Internal comments need `work_order.internal` and are never shown to
    /// users without it (requesters).
    pub async fn add_comment(
        &self,
        actor: &Actor,
        wo: WorkOrderId,
        body: &str,
        internal: bool,
    ) -> Result<Comment> {
        let w = self.get_work_order(actor, wo).await?;
        rbac::authorize(actor, Permission::WorkOrderComment, &w.resource())?;
        if internal {
            rbac::authorize(actor, Permission::WorkOrderInternal, &w.resource())?;
        }
        let c = Comment::create(actor.org(), wo, actor.user_id(), body, internal, self.now())?;
        let st = Stamp::new(actor, c.created_at);
        let e = EntityRef::new(EntityKind::Comment, c.id);
        let perm = if internal { Permission::WorkOrderInternal } else { Permission::WorkOrderRead };
        let mut cs = Changeset::new();
        cs.push(Write::insert(c.clone()));
        cs.push(st.audit("work_order.comment", e, None, Some(json(&c))));
        cs.push(st.event(
            EventKind::WorkOrderCommented,
            EntityRef::new(EntityKind::WorkOrder, wo),
            audience(&w, perm),
            json(&c),
        ));
        self.commit(actor, cs).await?;
        Ok(c)
    }

    /// The comments the actor may see, oldest first.
    pub async fn list_comments(&self, actor: &Actor, wo: WorkOrderId) -> Result<Vec<Comment>> {
        let w = self.get_work_order(actor, wo).await?;
        let internal = rbac::can(actor, Permission::WorkOrderInternal, &w.resource());
        Ok(self.store.comments(actor.org(), wo, internal).await?)
    }

    /// Adds a checklist item at the end of the list.
    pub async fn add_checklist_item(
        &self,
        actor: &Actor,
        wo: WorkOrderId,
        item: NewChecklistItem,
    ) -> Result<ChecklistItem> {
        let w = self.get_work_order(actor, wo).await?;
        rbac::authorize(actor, Permission::WorkOrderUpdate, &w.resource())?;
        require_activity(w.status, Activity::Checklist)?;
        item.check("")?;
        let existing = self.store.checklist(actor.org(), wo).await?;
        if existing.len() >= 200 {
            return Err(CmmsError::invalid("checklist", "at most 200 items"));
        }
        let position = existing.iter().map(|i| i.position + 1).max().unwrap_or(0);
        let created = item.into_item(actor.org(), wo, position);
        let st = Stamp::new(actor, self.now());
        let mut cs = Changeset::new();
        cs.push(Write::update(w.touched(self.now())));
        cs.push(Write::insert(created.clone()));
        cs.push(st.audit(
            "work_order.checklist_add",
            EntityRef::new(EntityKind::ChecklistItem, created.id),
            None,
            Some(json(&created)),
        ));
        cs.push(st.event(
            EventKind::WorkOrderChecklistUpdated,
            EntityRef::new(EntityKind::WorkOrder, wo),
            audience(&w, Permission::WorkOrderRead),
            json(&created),
        ));
        self.commit(actor, cs).await?;
        Ok(created)
    }

    /// Records (or clears, with `None`) the result of a checklist item.
    pub async fn record_checklist_result(
        &self,
        actor: &Actor,
        wo: WorkOrderId,
        item: ChecklistItemId,
        result: Option<ChecklistResult>,
        notes: Option<&str>,
    ) -> Result<ChecklistItem> {
        let w = self.get_work_order(actor, wo).await?;
        rbac::authorize(actor, Permission::WorkOrderLogWork, &w.resource())?;
        require_activity(w.status, Activity::Checklist)?;
        let items = self.store.checklist(actor.org(), wo).await?;
        let before = items
            .into_iter()
            .find(|i| i.id == item)
            .ok_or_else(|| CmmsError::not_found("checklist_item", item))?;
        let after = before.recorded(result, notes, actor.user_id(), self.now())?;
        let st = Stamp::new(actor, self.now());
        let mut cs = Changeset::new();
        cs.push(Write::update(w.touched(self.now())));
        cs.push(Write::update(after.clone()));
        cs.push(st.audit(
            "work_order.checklist_record",
            EntityRef::new(EntityKind::ChecklistItem, item),
            Some(json(&before)),
            Some(json(&after)),
        ));
        cs.push(st.event(
            EventKind::WorkOrderChecklistUpdated,
            EntityRef::new(EntityKind::WorkOrder, wo),
            audience(&w, Permission::WorkOrderRead),
            json(&after),
        ));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// The checklist, in order.
    pub async fn list_checklist(
        &self,
        actor: &Actor,
        wo: WorkOrderId,
    ) -> Result<Vec<ChecklistItem>> {
        self.get_work_order(actor, wo).await?;
        Ok(self.store.checklist(actor.org(), wo).await?)
    }

    /// Logs labor. Logging for someone else needs `work_order.assign`.
    pub async fn log_labor(
        &self,
        actor: &Actor,
        wo: WorkOrderId,
        input: NewLabor,
    ) -> Result<LaborEntry> {
        let w = self.get_work_order(actor, wo).await?;
        rbac::authorize(actor, Permission::WorkOrderLogWork, &w.resource())?;
        require_activity(w.status, Activity::Labor)?;
        let me = actor.user_id();
        let who = input
            .user_id
            .or(me)
            .ok_or_else(|| CmmsError::invalid("user_id", "is required for system entries"))?;
        if Some(who) != me {
            rbac::authorize(actor, Permission::WorkOrderAssign, &w.resource())?;
            self.check_people(actor, &[who], None).await?;
        }
        let entry = LaborEntry::create(actor.org(), wo, who, input, me, self.now())?;
        let st = Stamp::new(actor, entry.created_at);
        let mut cs = Changeset::new();
        cs.push(Write::update(w.touched(entry.created_at)));
        cs.push(Write::insert(entry.clone()));
        cs.push(st.audit(
            "work_order.labor",
            EntityRef::new(EntityKind::Labor, entry.id),
            None,
            Some(json(&entry)),
        ));
        cs.push(st.event(
            EventKind::WorkOrderLaborLogged,
            EntityRef::new(EntityKind::WorkOrder, wo),
            audience(&w, Permission::WorkOrderRead),
            json(&entry),
        ));
        self.commit(actor, cs).await?;
        Ok(entry)
    }

    /// Labor entries by start time.
    pub async fn list_labor(&self, actor: &Actor, wo: WorkOrderId) -> Result<Vec<LaborEntry>> {
        self.get_work_order(actor, wo).await?;
        Ok(self.store.labor(actor.org(), wo).await?)
    }

    /// The status timeline, oldest first.
    pub async fn timeline(&self, actor: &Actor, wo: WorkOrderId) -> Result<Vec<TimelineEntry>> {
        self.get_work_order(actor, wo).await?;
        Ok(self.store.timeline(actor.org(), wo).await?)
    }

    /// Total time spent in each status so far.
    pub async fn time_in_status(
        &self,
        actor: &Actor,
        wo: WorkOrderId,
    ) -> Result<Vec<(WorkOrderStatus, TimeDelta)>> {
        let tl = self.timeline(actor, wo).await?;
        Ok(time_in_status(&tl, self.now()))
    }
}
