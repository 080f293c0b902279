//! Work-order use cases, one file per job: creating (with a race-free number), reading and
//! editing, status changes, assignment, and the filtered list. This file holds what they share.

mod assign;
mod create;
mod edit;
mod list;
mod transition;

pub use assign::Assignment;
pub use list::sort_key;

use super::{Cmms, Stamp, json};
use crate::actor::Actor;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::status::{self, TransitionFacts, TransitionInput, WorkOrderStatus};
use crate::domain::timeline::TimelineEntry;
use crate::domain::work_order::WorkOrder;
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{AssetId, LocationId, SiteId, TeamId, UserId, WorkOrderId};
use crate::rbac::{self, Permission, Resource};
use crate::store::Write;
use chrono::{DateTime, Utc};

/// Who may see an event about `wo`: readers of it (or `permission`, e.g. internal comments).
pub(crate) fn audience(wo: &WorkOrder, permission: Permission) -> EventAudience {
    EventAudience {
        permission: Some(permission),
        site_id: Some(wo.site_id),
        owner: wo.requested_by,
        assignees: wo.assignees.clone(),
        team_id: wo.team_id,
        ..EventAudience::default()
    }
}

pub(crate) fn entity(id: WorkOrderId) -> EntityRef {
    EntityRef::new(EntityKind::WorkOrder, id)
}

/// Writes that record a status change: the work order, its timeline entries, one audit entry
/// under `action`, and one status event per step.
pub(crate) fn transition_writes(
    st: &Stamp,
    action: &str,
    before: &WorkOrder,
    after: &WorkOrder,
    entries: &[TimelineEntry],
) -> Vec<Write> {
    let mut w = vec![Write::update(after.clone())];
    w.extend(entries.iter().cloned().map(Write::insert));
    w.push(st.audit(action, entity(after.id), Some(json(before)), Some(json(after))));
    for e in entries {
        let payload = serde_json::json!({
            "number": after.number, "from": e.from_status, "to": e.to_status, "reason": e.reason,
        });
        let to_readers = audience(after, Permission::WorkOrderRead);
        w.push(st.event(EventKind::WorkOrderStatusChanged, entity(after.id), to_readers, payload));
    }
    w
}

/// Several status steps committed as one write: the record's version moves by one.
pub(crate) fn steps(
    wo: &WorkOrder,
    path: &[WorkOrderStatus],
    reason: Option<&str>,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<(WorkOrder, Vec<TimelineEntry>)> {
    let mut current = wo.clone();
    let mut entries = Vec::new();
    for to in path {
        let input =
            TransitionInput { reason: reason.map(str::to_string), ..TransitionInput::default() };
        let facts = TransitionFacts { checklist: &[], failure_codes_required: false };
        let t = status::decide_transition(&current, *to, input, facts, actor, now)?;
        current = t.work_order;
        entries.push(t.entry);
    }
    current.version = wo.version + 1;
    Ok((current, entries))
}

impl Cmms {
    /// Resolves and checks where something is: the site (given, or from the asset or
    /// location) and that location and asset belong to it.
    pub(crate) async fn resolve_place(
        &self,
        actor: &Actor,
        site: Option<SiteId>,
        location: Option<LocationId>,
        asset: Option<AssetId>,
    ) -> Result<SiteId> {
        let asset = match asset {
            Some(id) => Some(self.get_asset(actor, id).await?),
            None => None,
        };
        let loc = match location {
            Some(id) => Some(self.load_location(actor, id).await?),
            None => None,
        };
        let site = site
            .or(asset.as_ref().map(|a| a.site_id))
            .or(loc.as_ref().map(|l| l.site_id))
            .ok_or_else(|| {
            CmmsError::invalid("site_id", "is required (or give an asset or location)")
        })?;
        self.get_site(actor, site).await?;
        if asset.as_ref().is_some_and(|a| a.site_id != site) {
            return Err(CmmsError::invalid("asset_id", "the asset belongs to another site"));
        }
        if loc.as_ref().is_some_and(|l| l.site_id != site) {
            return Err(CmmsError::invalid("location_id", "the location belongs to another site"));
        }
        Ok(site)
    }

    /// Checks that assignees exist and are active, and that the team exists.
    /// Assignees must be able to carry the work out: each must hold `work_order.execute` on
    /// the work order as it will be (its site; an `assigned` condition holds by being
    /// assigned). A viewer or requester made assignee would own work they cannot start.
    pub(crate) async fn check_assignees_may_execute(
        &self,
        actor: &Actor,
        wo: &WorkOrder,
    ) -> Result<()> {
        self.check_may_execute(actor, &wo.assignees, &wo.resource()).await
    }

    /// Every one of `users` may carry out work like `resource` (a work order, or the work a PM
    /// plan will create); else one validation error naming each who may not.
    pub(crate) async fn check_may_execute(
        &self,
        actor: &Actor,
        users: &[UserId],
        resource: &Resource<'_>,
    ) -> Result<()> {
        let mut p = Problems::new();
        for user in users {
            let who = match self.actor(actor.org(), *user).await {
                Ok(who) => who,
                Err(CmmsError::Unauthenticated) => {
                    p.add("assignees", format!("user {user} is inactive"));
                    continue;
                }
                Err(e) => return Err(e),
            };
            if rbac::authorize(&who, Permission::WorkOrderExecute, resource).is_err() {
                p.add(
                    "assignees",
                    format!("user {user} may not carry out work orders at this site"),
                );
            }
        }
        p.finish()
    }

    pub(crate) async fn check_people(
        &self,
        actor: &Actor,
        assignees: &[UserId],
        team: Option<TeamId>,
    ) -> Result<()> {
        self.ensure_users(actor, assignees, Some("assignees")).await?;
        if let Some(t) = team {
            self.store
                .get_team(actor.org(), t)
                .await?
                .ok_or_else(|| CmmsError::not_found("team", t))?;
        }
        Ok(())
    }
}
