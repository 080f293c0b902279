//! Assignment: replacing the people on a work order, and taking unassigned work oneself.

use super::{audience, entity, steps, transition_writes};
use crate::actor::Actor;
use crate::domain::event::EventKind;
use crate::domain::status::WorkOrderStatus;
use crate::domain::timeline::TimelineEntry;
use crate::domain::work_order::activity::{Activity, require_activity};
use crate::domain::work_order::{WorkOrder, dedup_assignees};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{TeamId, UserId, WorkOrderId};
use crate::rbac::{self, Permission};
use crate::service::{Cmms, Stamp, check_version};
use crate::store::Changeset;
use serde::{Deserialize, Serialize};

/// New assignees and team for `assign_work_order` (replacing the old ones).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// Users.
    pub assignees: Vec<UserId>,
    /// Team.
    pub team_id: Option<TeamId>,
    /// The version the caller read.
    pub expected_version: Option<i64>,
}

impl Cmms {
    /// Replaces the assignees and team. Assigning open work moves it to `assigned`;
    /// unassigning everyone from `assigned` work moves it back to `open`.
    pub async fn assign_work_order(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        assignment: Assignment,
    ) -> Result<WorkOrder> {
        let before = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderAssign, &before.resource())?;
        check_version("work_order", before.version, assignment.expected_version)?;
        require_activity(before.status, Activity::Staff)?;
        let mut p = Problems::new();
        let assignees = dedup_assignees(&mut p, &assignment.assignees);
        p.finish()?;
        self.check_people(actor, &assignees, assignment.team_id).await?;
        let now = self.now();
        let staffed =
            WorkOrder { assignees, team_id: assignment.team_id, updated_at: now, ..before.clone() };
        self.check_assignees_may_execute(actor, &staffed).await?;
        let has_people = !staffed.assignees.is_empty() || staffed.team_id.is_some();
        let path: &[WorkOrderStatus] = match (before.status, has_people) {
            (WorkOrderStatus::Open, true) => &[WorkOrderStatus::Assigned],
            (WorkOrderStatus::Assigned, false) => &[WorkOrderStatus::Open],
            _ => &[],
        };
        let (after, entries) = steps(&staffed, path, None, actor.user_id(), now)?;
        self.commit_assignment(actor, &before, after, entries).await
    }

    async fn commit_assignment(
        &self,
        actor: &Actor,
        before: &WorkOrder,
        after: WorkOrder,
        entries: Vec<TimelineEntry>,
    ) -> Result<WorkOrder> {
        let st = Stamp::new(actor, after.updated_at);
        let mut cs = Changeset::new();
        cs.extend(transition_writes(&st, "work_order.assign", before, &after, &entries));
        let payload = serde_json::json!({ "number": after.number, "assignees": after.assignees, "team_id": after.team_id });
        let readers = audience(&after, Permission::WorkOrderRead);
        cs.push(st.event(EventKind::WorkOrderAssigned, entity(after.id), readers, payload));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// Takes an open, unassigned work order oneself. Work already assigned to someone (or a
    /// team) is a `Conflict`: no silent take-over; work awaiting approval cannot be taken.
    pub async fn self_assign(&self, actor: &Actor, id: WorkOrderId) -> Result<WorkOrder> {
        let before = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderSelfAssign, &before.resource())?;
        let me = actor.user_id().ok_or(CmmsError::Unauthenticated)?;
        if !before.assignees.is_empty() || before.team_id.is_some() {
            return Err(CmmsError::conflict(
                "the work order is already assigned; ask a manager to reassign it",
            ));
        }
        if before.status != WorkOrderStatus::Open {
            // Only the open -> assigned step; taking requested work would skip its approval.
            return Err(CmmsError::InvalidTransition {
                from: before.status.as_str().into(),
                to: WorkOrderStatus::Assigned.as_str().into(),
            });
        }
        let now = self.now();
        let staffed = WorkOrder { assignees: vec![me], updated_at: now, ..before.clone() };
        let (after, entries) = steps(&staffed, &[WorkOrderStatus::Assigned], None, Some(me), now)?;
        self.commit_assignment(actor, &before, after, entries).await
    }
}
