//! Generation: the work orders PM plans call for by now (within their lead time), once each.
//!
//! Idempotent by construction: a slot is one row per (plan, asset, due slot) under a unique key,
//! at most one slot per (plan, asset) is open (a partial unique index), and the per-(plan,
//! asset) state row is versioned. Two generators that race — replicas of the server, or a job
//! and a person — both compute the same slot; the second commit fails on the key or the version
//! and is counted as `raced`, never a second work order. A slot that comes due while the
//! previous work order is still open is recorded as **skipped** (no second work order; it counts
//! as missed in compliance), so the backlog shows once, not as a pile of duplicates.

use super::super::{Cmms, Stamp, json, require_held};
use crate::actor::Actor;
use crate::domain::asset::Asset;
use crate::domain::checklist::ChecklistItem;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::meter::{Meter, Reading};
use crate::domain::pm::calendar::local_instant;
use crate::domain::pm::metered::RATE_WINDOW_DAYS;
use crate::domain::pm::{Due, PmPlan, PmSlot, PmState, Series, SlotStatus, Trigger, next_due};
use crate::domain::status::{self};
use crate::domain::work_order::WorkOrder;
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{AssetId, PmPlanId, PmSlotId, WorkOrderId};
use crate::rbac::{self, Permission, Resource};
use crate::store::Write;
use crate::store::record::{Cmp, Record, RecordReadsExt, Select};
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most slots one run handles per (plan, asset): a plan that was off for years catches up over
/// several runs rather than in one long one.
const MAX_PER_PAIR: usize = 50;

/// What to generate.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct GenerateRequest {
    /// Generate what is due by then, counting lead time (default: now; at most a year ahead).
    pub through: Option<DateTime<Utc>>,
    /// Only these plans (default: every active plan the actor may manage).
    pub plan_ids: Vec<PmPlanId>,
}

/// A work order generation created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct GeneratedWork {
    /// The plan.
    pub plan_id: PmPlanId,
    /// The asset.
    pub asset_id: AssetId,
    /// The slot.
    pub slot_id: PmSlotId,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// Due by a meter projection rather than a known date or reading.
    pub estimated: bool,
    /// The work order.
    pub work_order_id: WorkOrderId,
    /// Its number.
    pub number: String,
}

/// A slot that came due while the previous work order was still open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SkippedSlot {
    /// The plan.
    pub plan_id: PmPlanId,
    /// The asset.
    pub asset_id: AssetId,
    /// The slot.
    pub slot_id: PmSlotId,
    /// When it was due.
    pub due_at: DateTime<Utc>,
}

/// What one generation run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct GenerationReport {
    /// Work orders created.
    pub created: Vec<GeneratedWork>,
    /// Slots skipped (the previous work order was still open).
    pub skipped: Vec<SkippedSlot>,
    /// Open PM work orders found overdue now (a `pm.overdue` event each).
    pub overdue: usize,
    /// Pairs another generator handled at the same moment (nothing done twice).
    pub raced: usize,
}

fn slot_entity(id: PmSlotId) -> EntityRef {
    EntityRef::new(EntityKind::PmSlot, id)
}

fn audience(plan: &PmPlan) -> EventAudience {
    EventAudience {
        permission: Some(Permission::PmRead),
        site_id: Some(plan.site_id),
        ..EventAudience::default()
    }
}

/// The state's write: its first version is an insert (a racer's insert hits the key).
fn state_write(state: PmState) -> Write {
    if state.version == 1 { Write::insert(state) } else { Write::update(state) }
}

impl Cmms {
    /// Creates the preventive work orders that are due (within lead time) by `through`, one per
    /// (plan, asset, due slot), records slots that came due while earlier work was still open
    /// as skipped, and marks overdue PM work. Safe to run any number of times, from any number
    /// of processes at once. Run by `Actor::system(org)` (the server's job) or someone with
    /// `pm.manage`.
    pub async fn generate_due_pm(
        &self,
        actor: &Actor,
        request: GenerateRequest,
    ) -> Result<GenerationReport> {
        require_held(actor, Permission::PmManage)?;
        let now = self.now();
        let through = request.through.unwrap_or(now);
        if through > now + TimeDelta::days(366) {
            return Err(CmmsError::invalid("through", "at most a year ahead"));
        }
        let plans = if request.plan_ids.is_empty() {
            let q = Select::new(PmPlan::TABLE).eq("active", true);
            let all = self.store.list::<PmPlan>(actor.org(), q).await?;
            all.into_iter()
                .filter(|p| rbac::can(actor, Permission::PmManage, &Resource::at_site(p.site_id)))
                .collect()
        } else {
            let mut named = Vec::new();
            for id in &request.plan_ids {
                let plan = self.get_pm_plan(actor, *id).await?;
                rbac::authorize(actor, Permission::PmManage, &Resource::at_site(plan.site_id))?;
                named.push(plan);
            }
            named
        };
        let mut report = GenerationReport::default();
        for plan in plans.iter().filter(|p| p.active) {
            self.generate_plan(actor, plan, now, through, &mut report).await?;
        }
        report.overdue = self.mark_overdue(actor, now).await?;
        Ok(report)
    }

    /// Generation for every organization, as the system (the server's background job). One
    /// organization's failure does not stop the others: each gets its own result.
    pub async fn generate_due_pm_everywhere(
        &self,
    ) -> Result<Vec<(crate::ids::OrgId, Result<GenerationReport>)>> {
        let mut out = Vec::new();
        for org in self.store.list_org_ids().await? {
            let report =
                self.generate_due_pm(&Actor::system(org), GenerateRequest::default()).await;
            out.push((org, report));
        }
        Ok(out)
    }

    async fn generate_plan(
        &self,
        actor: &Actor,
        plan: &PmPlan,
        now: DateTime<Utc>,
        through: DateTime<Utc>,
        report: &mut GenerationReport,
    ) -> Result<()> {
        let org = actor.org();
        let site = self.get_site(actor, plan.site_id).await?;
        let mut schedule = plan.schedule.clone();
        schedule.time_zone = site.time_zone;
        let lead = TimeDelta::days(i64::from(schedule.lead_days));
        let q = Select::new(PmState::TABLE).eq("plan_id", plan.id.uuid());
        let mut states: BTreeMap<AssetId, PmState> = self
            .store
            .list::<PmState>(org, q)
            .await?
            .into_iter()
            .map(|s| (s.asset_id, s))
            .collect();
        let meter_names: Vec<&str> = schedule
            .triggers
            .iter()
            .filter_map(|t| match t {
                Trigger::MeterInterval(m) => Some(m.meter.as_str()),
                Trigger::MeterThreshold(m) => Some(m.meter.as_str()),
                Trigger::Calendar(_) => None,
            })
            .collect();
        for asset in self.plan_assets(actor, plan).await? {
            let mut state = states
                .remove(&asset.id)
                .unwrap_or_else(|| PmState::empty(org, plan.id, asset.id, now));
            let series = match meter_names.is_empty() {
                true => Vec::new(),
                false => self.asset_series(actor, &asset, &meter_names, &state, plan).await?,
            };
            for _ in 0..MAX_PER_PAIR {
                let Some(due) = next_due(&schedule, &state.history(), &series) else { break };
                if due.at - lead > through || (state.open_slot_id.is_some() && due.at > now) {
                    break;
                }
                let outcome = if state.open_slot_id.is_some() {
                    self.skip_slot(actor, plan, &asset, &due, &state, now).await
                } else {
                    self.generate_slot(actor, plan, &asset, &due, &state, now).await
                };
                match outcome {
                    Ok((next, Ok(work))) => {
                        report.created.push(work);
                        state = next;
                    }
                    Ok((next, Err(skipped))) => {
                        report.skipped.push(skipped);
                        state = next;
                    }
                    Err(CmmsError::Conflict { .. }) => {
                        report.raced += 1;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// The slot and state rows of a new slot, and the state after it.
    fn new_slot(
        plan: &PmPlan,
        asset: AssetId,
        due: &Due,
        state: &PmState,
        status: SlotStatus,
        work_order: Option<WorkOrderId>,
        now: DateTime<Utc>,
    ) -> (PmSlot, PmState) {
        let slot = PmSlot {
            id: PmSlotId::new(),
            org_id: plan.org_id,
            plan_id: plan.id,
            asset_id: asset,
            slot: due.slot.clone(),
            due_at: due.at,
            grace_days: plan.schedule.grace(),
            status,
            work_order_id: work_order,
            completed_at: None,
            meter_values: BTreeMap::new(),
            overdue_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let next = PmState {
            last_due: Some(due.at),
            count: state.count.saturating_add(1),
            open_slot_id: work_order.map(|_| slot.id).or(state.open_slot_id),
            updated_at: now,
            version: state.version + 1,
            ..state.clone()
        };
        (slot, next)
    }

    async fn skip_slot(
        &self,
        actor: &Actor,
        plan: &PmPlan,
        asset: &Asset,
        due: &Due,
        state: &PmState,
        now: DateTime<Utc>,
    ) -> Result<(PmState, std::result::Result<GeneratedWork, SkippedSlot>)> {
        let (slot, next) =
            Self::new_slot(plan, asset.id, due, state, SlotStatus::Skipped, None, now);
        let st = Stamp::new(actor, now);
        let e = slot_entity(slot.id);
        let mut cs = crate::store::Changeset::new();
        cs.push(Write::insert(slot.clone()));
        cs.push(state_write(next.clone()));
        cs.push(st.audit("pm.skip", e, None, Some(json(&slot))));
        cs.push(st.event(EventKind::PmSkipped, e, audience(plan), json(&slot)));
        self.commit(actor, cs).await?;
        let skipped =
            SkippedSlot { plan_id: plan.id, asset_id: asset.id, slot_id: slot.id, due_at: due.at };
        Ok((next, Err(skipped)))
    }

    async fn generate_slot(
        &self,
        actor: &Actor,
        plan: &PmPlan,
        asset: &Asset,
        due: &Due,
        state: &PmState,
        now: DateTime<Utc>,
    ) -> Result<(PmState, std::result::Result<GeneratedWork, SkippedSlot>)> {
        let wo_id = WorkOrderId::new();
        let (slot, next) =
            Self::new_slot(plan, asset.id, due, state, SlotStatus::Open, Some(wo_id), now);
        let staffed = !plan.assignees.is_empty() || plan.team_id.is_some();
        let draft = WorkOrder {
            id: wo_id,
            org_id: plan.org_id,
            number: String::new(),
            title: plan.title.clone(),
            description: plan.description.clone(),
            wo_type: plan.wo_type,
            priority: plan.priority,
            category: None,
            status: status::initial_status(true, staffed),
            site_id: plan.site_id,
            location_id: asset.location_id,
            asset_id: Some(asset.id),
            assignees: plan.assignees.clone(),
            team_id: plan.team_id,
            requested_by: None,
            created_by: actor.user_id(),
            request_id: None,
            pm_plan_id: Some(plan.id),
            pm_slot_id: Some(slot.id),
            due_at: Some(crate::clock::truncate_micros(due.at)),
            estimated_hours: plan.estimated_hours,
            actual_start: None,
            actual_end: None,
            verified_by: None,
            verified_at: None,
            closed_at: None,
            completion_notes: None,
            failure: Default::default(),
            attachments: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let items: Vec<ChecklistItem> = plan
            .checklist
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, item)| {
                item.into_item(plan.org_id, wo_id, i32::try_from(i).unwrap_or(i32::MAX))
            })
            .collect();
        let st = Stamp::new(actor, now);
        let e = slot_entity(slot.id);
        let payload = serde_json::json!({
            "plan_id": plan.id, "asset_id": asset.id, "slot": slot, "work_order_id": wo_id,
            "estimated": due.estimated,
        });
        let after = vec![
            Write::insert(slot.clone()),
            state_write(next.clone()),
            st.audit("pm.generate", e, None, Some(json(&slot))),
            st.event(EventKind::PmGenerated, e, audience(plan), payload),
        ];
        let wo = self.insert_numbered_work_order(actor, draft, items, after).await?;
        self.plan_pm_parts(actor, plan, wo.id).await;
        let work = GeneratedWork {
            plan_id: plan.id,
            asset_id: asset.id,
            slot_id: slot.id,
            due_at: due.at,
            estimated: due.estimated,
            work_order_id: wo.id,
            number: wo.number,
        };
        Ok((next, Ok(work)))
    }

    /// Plans the plan's parts on a generated work order, each holding what stock is available.
    /// A commit of its own after the work order's: a part that cannot be planned (made
    /// inactive, its location gone) must not undo the generated work, so it is logged and the
    /// line is left for a person to plan.
    async fn plan_pm_parts(&self, actor: &Actor, plan: &PmPlan, wo: WorkOrderId) {
        for part in &plan.parts {
            let req = crate::domain::inventory::PartsRequest {
                action: crate::domain::inventory::PartAction::Plan,
                part_id: part.part_id,
                location_id: part.location_id,
                quantity: Some(part.quantity),
            };
            if let Err(e) = self.change_work_order_parts(actor, wo, req).await {
                tracing::warn!(%wo, part = %part.part_id, error = %e, "a PM plan's part was not planned");
            }
        }
    }

    /// The engine's view of an asset's meters that the plan names: totals (usage across
    /// resets) since shortly before the plan's reference point, plus the reading before that.
    pub(crate) async fn asset_series(
        &self,
        actor: &Actor,
        asset: &Asset,
        names: &[&str],
        state: &PmState,
        plan: &PmPlan,
    ) -> Result<Vec<Series>> {
        let org = actor.org();
        let q = Select::new(Meter::TABLE).eq("asset_id", asset.id.uuid());
        let meters = self.store.list::<Meter>(org, q).await?;
        let start = plan
            .schedule
            .starts_on
            .and_then(|d| local_instant(plan.schedule.tz(), d, NaiveTime::MIN))
            .unwrap_or(asset.created_at);
        let reference = state.last_service_at.map_or(start, |s| s.min(start));
        let since = reference - TimeDelta::days(RATE_WINDOW_DAYS);
        let mut out = Vec::new();
        for m in meters.into_iter().filter(|m| names.contains(&m.name.as_str())) {
            let of = || Select::new(Reading::TABLE).eq("meter_id", m.id.uuid());
            let mut readings = self
                .store
                .list::<Reading>(org, of().cmp("taken_at", Cmp::Lt, since).reversed().limit(1))
                .await?;
            readings.extend(
                self.store.list::<Reading>(org, of().cmp("taken_at", Cmp::Ge, since)).await?,
            );
            out.push(Series {
                meter: m.name,
                readings: readings.into_iter().map(|r| (r.taken_at, r.total)).collect(),
            });
        }
        Ok(out)
    }

    /// Marks open PM work past its due date and grace window as overdue, once (a `pm.overdue`
    /// event each). Returns how many it marked.
    async fn mark_overdue(&self, actor: &Actor, now: DateTime<Utc>) -> Result<usize> {
        let org = actor.org();
        let q = Select::new(PmSlot::TABLE)
            .eq("status", SlotStatus::Open.as_str().to_string())
            .eq("overdue_at", crate::store::record::Value::Null)
            .cmp("due_at", Cmp::Lt, now);
        let mut plans: BTreeMap<PmPlanId, Option<PmPlan>> = BTreeMap::new();
        let mut marked = 0;
        for slot in self.store.list::<PmSlot>(org, q).await? {
            if now <= slot.due_at + TimeDelta::days(i64::from(slot.grace_days)) {
                continue;
            }
            if let std::collections::btree_map::Entry::Vacant(e) = plans.entry(slot.plan_id) {
                e.insert(self.store.get::<PmPlan>(org, slot.plan_id).await?);
            }
            let Some(Some(plan)) = plans.get(&slot.plan_id) else { continue };
            let next = PmSlot {
                overdue_at: Some(now),
                updated_at: now,
                version: slot.version + 1,
                ..slot.clone()
            };
            let st = Stamp::new(actor, now);
            let e = slot_entity(slot.id);
            let mut cs = crate::store::Changeset::new();
            cs.push(Write::update(next.clone()));
            cs.push(st.audit("pm.overdue", e, Some(json(&slot)), Some(json(&next))));
            cs.push(st.event(EventKind::PmOverdue, e, audience(plan), json(&next)));
            match self.commit(actor, cs).await {
                Ok(_) => marked += 1,
                Err(CmmsError::Conflict { .. }) => {} // another generator marked it
                Err(e) => return Err(e),
            }
        }
        Ok(marked)
    }
}
