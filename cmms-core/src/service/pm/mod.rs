//! Preventive-maintenance use cases: plans (this module), generation of their work
//! (`generate`), and what is due, forecasts, history and compliance (`report`). A PM work
//! order's completion is the plan's service: `pm_follow` keeps the plan's slot and state in step
//! with the work order's status, in the same commit as the status change.

mod generate;
mod report;

pub use generate::{GenerateRequest, GeneratedWork, GenerationReport, SkippedSlot};
pub use report::{ComplianceReport, DueItem, DueQuery, ForecastItem, PlanFilter, SlotFilter};

use super::{Cmms, Stamp, check_version, json, require_held, require_readable};
use crate::actor::Actor;
use crate::domain::asset::{Asset, AssetState};
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::meter::Meter;
use crate::domain::pm::calendar::local_date;
use crate::domain::pm::{
    NewPmPlan, PmPlan, PmPlanPatch, PmSlot, PmState, SlotStatus, default_start, state_id,
};
use crate::domain::site::Site;
use crate::domain::status::WorkOrderStatus;
use crate::domain::work_order::{Priority, WorkOrder, WorkOrderType};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::PmPlanId;
use crate::rbac::{self, Permission, Resource};
use crate::store::Write;
use crate::store::record::{Record, RecordReadsExt, Select};
use std::collections::BTreeMap;

fn audience(site: crate::ids::SiteId) -> EventAudience {
    EventAudience {
        permission: Some(Permission::PmRead),
        site_id: Some(site),
        ..EventAudience::default()
    }
}

fn entity(id: PmPlanId) -> EntityRef {
    EntityRef::new(EntityKind::PmPlan, id)
}

/// The resource a plan's work will be: its site, assignees and team.
fn work_resource(plan: &PmPlan) -> Resource<'_> {
    Resource {
        site: Some(plan.site_id),
        owner: None,
        assignees: &plan.assignees,
        team: plan.team_id,
    }
}

impl Cmms {
    /// Creates a PM plan (`pm.manage` at its site). Its calendar runs in the site's time zone;
    /// without `schedule.starts_on` it starts one period from today, so it is not due at once.
    pub async fn create_pm_plan(&self, actor: &Actor, input: NewPmPlan) -> Result<PmPlan> {
        require_held(actor, Permission::PmManage)?;
        let site = self.get_site(actor, input.site_id).await?;
        rbac::authorize(actor, Permission::PmManage, &Resource::at_site(site.id))?;
        let now = self.now();
        let mut schedule = input.schedule;
        schedule.time_zone = site.time_zone.clone();
        if schedule.starts_on.is_none() {
            schedule.starts_on = Some(default_start(&schedule, local_date(schedule.tz(), now)));
        }
        let plan = PmPlan {
            id: PmPlanId::new(),
            org_id: actor.org(),
            site_id: site.id,
            title: input.title.trim().to_string(),
            description: input.description.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()),
            wo_type: input.wo_type.unwrap_or(WorkOrderType::Preventive),
            priority: input.priority.unwrap_or(Priority::Medium),
            estimated_hours: input.estimated_hours,
            checklist: input.checklist,
            parts: input.parts,
            assignees: input.assignees,
            team_id: input.team_id,
            asset_ids: input.asset_ids,
            category: input.category.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
            schedule,
            active: input.active.unwrap_or(true),
            created_by: actor.user_id(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.check_plan(actor, &plan, &site).await?;
        let st = Stamp::new(actor, now);
        let mut cs = crate::store::Changeset::new();
        cs.push(Write::insert(plan.clone()));
        cs.push(st.audit("pm.plan_create", entity(plan.id), None, Some(json(&plan))));
        cs.push(st.event(
            EventKind::PmPlanCreated,
            entity(plan.id),
            audience(site.id),
            json(&plan),
        ));
        self.commit(actor, cs).await?;
        Ok(plan)
    }

    /// Everything about a plan that needs the database: its assets are at its site, its
    /// people exist and may carry out the work.
    async fn check_plan(&self, actor: &Actor, plan: &PmPlan, site: &Site) -> Result<()> {
        plan.check()?;
        for (i, part) in plan.parts.iter().enumerate() {
            let missing = |what: &str| {
                CmmsError::invalid(format!("parts[{i}].{what}_id"), format!("no such {what}"))
            };
            self.load_part(actor, part.part_id).await.map_err(|_| missing("part"))?;
            self.load_stock_location(actor, part.location_id)
                .await
                .map_err(|_| missing("location"))?;
        }
        for (i, id) in plan.asset_ids.iter().enumerate() {
            let field = format!("asset_ids[{i}]");
            let asset = self
                .store
                .get_asset(actor.org(), *id)
                .await?
                .ok_or_else(|| CmmsError::invalid(&field, "no such asset"))?;
            if asset.site_id != site.id {
                return Err(CmmsError::invalid(field, "is at another site than the plan"));
            }
        }
        self.check_people(actor, &plan.assignees, plan.team_id).await?;
        self.check_may_execute(actor, &plan.assignees, &work_resource(plan)).await
    }

    /// One plan.
    pub async fn get_pm_plan(&self, actor: &Actor, id: PmPlanId) -> Result<PmPlan> {
        let plan = self
            .store
            .get::<PmPlan>(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("pm_plan", id))?;
        let site = Resource::at_site(plan.site_id);
        require_readable(actor, Permission::PmRead, &site, "pm_plan", id)?;
        Ok(plan)
    }

    /// Changes a plan (a merge patch; `schedule` is replaced whole and runs in the site's
    /// zone). What was generated stays; the next due date follows the new schedule.
    pub async fn update_pm_plan(
        &self,
        actor: &Actor,
        id: PmPlanId,
        patch: PmPlanPatch,
        expected_version: Option<i64>,
    ) -> Result<PmPlan> {
        let before = self.get_pm_plan(actor, id).await?;
        check_version("pm_plan", before.version, expected_version)?;
        rbac::authorize(actor, Permission::PmManage, &Resource::at_site(before.site_id))?;
        let site = self.get_site(actor, before.site_id).await?;
        let now = self.now();
        let mut after = before.clone();
        if let Some(v) = patch.title {
            after.title = v.trim().to_string();
        }
        if let Some(v) = patch.description {
            after.description = v.map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
        }
        if let Some(v) = patch.priority {
            after.priority = v;
        }
        if let Some(v) = patch.estimated_hours {
            after.estimated_hours = v;
        }
        if let Some(v) = patch.checklist {
            after.checklist = v;
        }
        if let Some(v) = patch.parts {
            after.parts = v;
        }
        if let Some(v) = patch.assignees {
            after.assignees = v;
        }
        if let Some(v) = patch.team_id {
            after.team_id = v;
        }
        if let Some(v) = patch.asset_ids {
            after.asset_ids = v;
        }
        if let Some(v) = patch.category {
            after.category = v.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        }
        if let Some(mut v) = patch.schedule {
            v.time_zone = site.time_zone.clone();
            if v.starts_on.is_none() {
                v.starts_on = before.schedule.starts_on;
            }
            after.schedule = v;
        }
        if let Some(v) = patch.active {
            after.active = v;
        }
        after.updated_at = now;
        after.version += 1;
        self.check_plan(actor, &after, &site).await?;
        let st = Stamp::new(actor, now);
        let mut cs = crate::store::Changeset::new();
        cs.push(Write::update(after.clone()));
        cs.push(st.audit("pm.plan_update", entity(id), Some(json(&before)), Some(json(&after))));
        cs.push(st.event(EventKind::PmPlanUpdated, entity(id), audience(site.id), json(&after)));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// Deletes a plan (`pm.manage` at its site) with its due slots and generation state, in one
    /// commit; the audit entry keeps the deleted plan.
    ///
    /// Refused with a conflict naming the work orders while the plan has **open work**: that
    /// work is what the plan's schedule waits on (its completion is the service that restarts
    /// floating triggers), so deleting the plan under it would silently turn scheduled
    /// maintenance into loose work. Complete or cancel it first, or set the plan inactive,
    /// which stops generation and keeps everything.
    ///
    /// The work orders the plan generated stay, with `pm_plan_id` still naming it: they are the
    /// assets' maintenance history, which deleting a schedule must not rewrite. What goes is
    /// the schedule's own bookkeeping — its slots, so the plan leaves what is due, forecasts and
    /// compliance reports from now on. To keep a retired plan counted in past compliance,
    /// deactivate it instead of deleting it.
    pub async fn delete_pm_plan(
        &self,
        actor: &Actor,
        id: PmPlanId,
        expected_version: Option<i64>,
    ) -> Result<()> {
        let plan = self.get_pm_plan(actor, id).await?;
        rbac::authorize(actor, Permission::PmManage, &Resource::at_site(plan.site_id))?;
        check_version("pm_plan", plan.version, expected_version)?;
        let org = actor.org();
        let open = Select::new(PmSlot::TABLE)
            .eq("plan_id", id.uuid())
            .eq("status", SlotStatus::Open.as_str().to_string());
        let open: Vec<_> = self
            .store
            .list::<PmSlot>(org, open)
            .await?
            .into_iter()
            .filter_map(|s| s.work_order_id)
            .collect();
        if !open.is_empty() {
            let mut numbers = Vec::new();
            for wo in &open {
                let number = self.store.get::<WorkOrder>(org, *wo).await?.map(|w| w.number);
                numbers.push(number.unwrap_or_else(|| wo.to_string()));
            }
            return Err(CmmsError::Conflict {
                message: format!(
                    "the plan has open work ({}); complete or cancel it first, or set the plan \
                     inactive",
                    numbers.join(", ")
                ),
                // No version: the caller's version was right, so an If-Match caller gets a
                // 409 about the work, not a 412 about the version.
                current_version: None,
                field: Some("work_orders".into()),
            });
        }
        let states = Select::new(PmState::TABLE).eq("plan_id", id.uuid());
        let states = self.store.list::<PmState>(org, states).await?;
        let st = Stamp::new(actor, self.now());
        let mut cs = crate::store::Changeset::new();
        // The plan first: its versioned delete (a row lock on PostgreSQL) decides the commit.
        cs.push(Write::delete_versioned::<PmPlan>(id, plan.version));
        // Each state at the version read: generation bumps it whenever it opens work, so work
        // generated since the check above fails this commit instead of being orphaned.
        for s in &states {
            cs.push(Write::delete_versioned::<PmState>(s.id, s.version));
        }
        cs.push(Write::delete_children::<PmSlot>(id));
        cs.push(Write::delete_children::<PmState>(id));
        cs.push(st.audit("pm.plan_delete", entity(id), Some(json(&plan)), None));
        let payload = serde_json::json!({ "title": plan.title });
        cs.push(st.event(EventKind::PmPlanDeleted, entity(id), audience(plan.site_id), payload));
        self.commit(actor, cs).await?;
        Ok(())
    }

    /// The assets a plan covers now: named ones, or its category at its site; never retired
    /// ones.
    pub(crate) async fn plan_assets(&self, actor: &Actor, plan: &PmPlan) -> Result<Vec<Asset>> {
        let q = if plan.asset_ids.is_empty() {
            Select::new(Asset::TABLE)
                .eq("site_id", plan.site_id.uuid())
                .eq("category", plan.category.clone().unwrap_or_default())
        } else {
            let ids = plan.asset_ids.iter().map(|a| a.uuid()).collect();
            Select::new(Asset::TABLE).any_of("id", ids)
        };
        let assets = self.store.list::<Asset>(actor.org(), q).await?;
        Ok(assets.into_iter().filter(|a| a.state != AssetState::Retired).collect())
    }

    /// The writes that keep a PM work order's slot and its plan's state in step with a status
    /// change: completing is the plan's service (its time and the asset's meter totals restart
    /// floating triggers); cancelling closes the slot without a service; reopening completed
    /// work opens the slot again (the service stays recorded until the next completion).
    pub(crate) async fn pm_follow(
        &self,
        actor: &Actor,
        before: &WorkOrder,
        after: &WorkOrder,
    ) -> Result<Vec<Write>> {
        let Some(slot_id) = after.pm_slot_id else { return Ok(Vec::new()) };
        let status = match (before.status, after.status) {
            (_, WorkOrderStatus::Completed) => SlotStatus::Completed,
            (_, WorkOrderStatus::Cancelled) => SlotStatus::Cancelled,
            (WorkOrderStatus::Completed, WorkOrderStatus::InProgress) => SlotStatus::Open,
            _ => return Ok(Vec::new()),
        };
        let org = actor.org();
        let Some(slot) = self.store.get::<PmSlot>(org, slot_id).await? else {
            return Ok(Vec::new());
        };
        let sid = state_id(slot.plan_id, slot.asset_id);
        let Some(state) = self.store.get::<PmState>(org, sid).await? else {
            return Ok(Vec::new());
        };
        let now = after.updated_at;
        let mut next_slot =
            PmSlot { status, updated_at: now, version: slot.version + 1, ..slot.clone() };
        let mut next_state =
            PmState { updated_at: now, version: state.version + 1, ..state.clone() };
        match status {
            SlotStatus::Completed => {
                let meters = self.meter_totals(actor, slot.asset_id).await?;
                let done = after.actual_end.unwrap_or(now);
                next_slot.completed_at = Some(done);
                next_slot.meter_values = meters.clone();
                if next_state.open_slot_id == Some(slot.id) {
                    next_state.open_slot_id = None;
                }
                if next_state.last_service_at.is_none_or(|t| t <= done) {
                    next_state.last_service_at = Some(done);
                    next_state.last_service_meters = meters;
                }
            }
            SlotStatus::Cancelled => {
                if next_state.open_slot_id == Some(slot.id) {
                    next_state.open_slot_id = None;
                }
            }
            _ => {
                next_slot.completed_at = None;
                next_state.open_slot_id = Some(slot.id);
            }
        }
        Ok(vec![Write::update(next_slot), Write::update(next_state)])
    }

    /// An asset's meters' totals now, by name.
    async fn meter_totals(
        &self,
        actor: &Actor,
        asset: crate::ids::AssetId,
    ) -> Result<BTreeMap<String, f64>> {
        let q = Select::new(Meter::TABLE).eq("asset_id", asset.uuid());
        let meters = self.store.list::<Meter>(actor.org(), q).await?;
        Ok(meters.into_iter().filter_map(|m| Some((m.name, m.last_total?))).collect())
    }
}
