//! What PM plans say: lists of plans, what is due and overdue, forecasts, a plan's history, and
//! compliance. Reads only; the engine does the arithmetic.

use super::super::{Cmms, page_cursor, require_held};
use crate::actor::Actor;
use crate::domain::pm::compliance::{Outcome, Standing, compliance, simple_compliance, standing};
use crate::domain::pm::{Due, PmPlan, PmSlot, PmState, SlotStatus, forecast, ical, next_due};
use crate::error::{CmmsError, Result};
use crate::ids::{AssetId, PmPlanId, SiteId, WorkOrderId};
use crate::rbac::{self, Permission, Resource};
use crate::store::record::{Cmp, Record, RecordReadsExt, Select};
use crate::store::{KeyType, KeyValue, Page, SortKey, check_limit, decode_cursor, encode_cursor};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which plans to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PlanFilter {
    /// Only this site's plans.
    pub site: Option<SiteId>,
    /// Only active (true) or inactive (false) plans.
    pub active: Option<bool>,
}

/// What is due: every (plan, asset) whose next due date is by `through`, or that has open work.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct DueQuery {
    /// Due by then (default: 30 days from now).
    pub through: Option<DateTime<Utc>>,
    /// Only this site.
    pub site: Option<SiteId>,
    /// Only this plan.
    pub plan: Option<PmPlanId>,
}

/// One (plan, asset) and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DueItem {
    /// The plan.
    pub plan_id: PmPlanId,
    /// Its title.
    pub title: String,
    /// The asset.
    pub asset_id: AssetId,
    /// When it is due: the open work order's due date, else the next due date.
    pub due_at: DateTime<Utc>,
    /// Projected from a meter's usage.
    pub estimated: bool,
    /// The open work order, if there is one.
    pub open_work_order_id: Option<WorkOrderId>,
    /// Overdue, due soon or compliant.
    pub standing: Standing,
    /// Whole days until due (negative: days overdue).
    pub days_until_due: i64,
}

/// One forecast due on one asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ForecastItem {
    /// The asset.
    pub asset_id: AssetId,
    /// The due.
    #[serde(flatten)]
    pub due: Due,
}

/// A plan's slots.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SlotFilter {
    /// Only this asset.
    pub asset: Option<AssetId>,
    /// Page size.
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Compliance over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ComplianceReport {
    /// Period start (inclusive).
    pub from: DateTime<Utc>,
    /// Period end (exclusive).
    pub to: DateTime<Utc>,
    /// PM slots due in the period (skipped ones included: they were missed).
    pub due: usize,
    /// Of those, completed within their grace window.
    pub on_time: usize,
    /// `on_time / due × 100` (SMRP 5.4.8); none when nothing was due.
    pub compliance: Option<f64>,
    /// Active plans.
    pub plans: usize,
    /// Active plans with overdue work now.
    pub overdue_plans: usize,
    /// `(plans − overdue plans) / plans × 100`, 100 with no plans.
    pub simple_compliance: f64,
}

impl Cmms {
    /// The plans the actor may read, by title.
    pub async fn list_pm_plans(&self, actor: &Actor, filter: PlanFilter) -> Result<Vec<PmPlan>> {
        require_held(actor, Permission::PmRead)?;
        let mut q = Select::new(PmPlan::TABLE);
        if let Some(site) = filter.site {
            q = q.eq("site_id", site.uuid());
        }
        if let Some(active) = filter.active {
            q = q.eq("active", active);
        }
        let plans = self.store.list::<PmPlan>(actor.org(), q).await?;
        Ok(plans
            .into_iter()
            .filter(|p| rbac::can(actor, Permission::PmRead, &Resource::at_site(p.site_id)))
            .collect())
    }

    async fn states_of(&self, actor: &Actor, plan: PmPlanId) -> Result<BTreeMap<AssetId, PmState>> {
        let q = Select::new(PmState::TABLE).eq("plan_id", plan.uuid());
        let states = self.store.list::<PmState>(actor.org(), q).await?;
        Ok(states.into_iter().map(|s| (s.asset_id, s)).collect())
    }

    /// What is due by `through` (default 30 days), with open and overdue work first by date:
    /// for every active plan and asset, the open work order or the next due date.
    pub async fn pm_due(&self, actor: &Actor, query: DueQuery) -> Result<Vec<DueItem>> {
        let now = self.now();
        let through = query.through.unwrap_or(now + TimeDelta::days(30));
        let plans = match query.plan {
            Some(id) => vec![self.get_pm_plan(actor, id).await?],
            None => {
                self.list_pm_plans(actor, PlanFilter { site: query.site, active: Some(true) })
                    .await?
            }
        };
        let mut out = Vec::new();
        for plan in plans.into_iter().filter(|p| query.site.is_none_or(|s| s == p.site_id)) {
            let site = self.get_site(actor, plan.site_id).await?;
            let mut schedule = plan.schedule.clone();
            schedule.time_zone = site.time_zone;
            let states = self.states_of(actor, plan.id).await?;
            for asset in self.plan_assets(actor, &plan).await? {
                let state = states
                    .get(&asset.id)
                    .cloned()
                    .unwrap_or_else(|| PmState::empty(actor.org(), plan.id, asset.id, now));
                let open = match state.open_slot_id {
                    Some(id) => self.store.get::<PmSlot>(actor.org(), id).await?,
                    None => None,
                };
                let (due_at, estimated, grace, open_wo) = match &open {
                    Some(slot) => (slot.due_at, false, slot.grace_days, slot.work_order_id),
                    None => {
                        let series = self.series_for(actor, &asset, &plan, &state).await?;
                        match next_due(&schedule, &state.history(), &series) {
                            Some(d) => (d.at, d.estimated, schedule.grace(), None),
                            None => continue,
                        }
                    }
                };
                if open.is_none() && due_at > through {
                    continue;
                }
                let (standing, days) = standing(due_at, now, schedule.lead_days, grace);
                out.push(DueItem {
                    plan_id: plan.id,
                    title: plan.title.clone(),
                    asset_id: asset.id,
                    due_at,
                    estimated,
                    open_work_order_id: open_wo,
                    standing,
                    days_until_due: days,
                });
            }
        }
        out.sort_by_key(|d| (d.due_at, d.plan_id, d.asset_id));
        Ok(out)
    }

    async fn series_for(
        &self,
        actor: &Actor,
        asset: &crate::domain::asset::Asset,
        plan: &PmPlan,
        state: &PmState,
    ) -> Result<Vec<crate::domain::pm::Series>> {
        let names: Vec<&str> = plan.schedule.triggers.iter().filter_map(meter_name).collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        self.asset_series(actor, asset, &names, state, plan).await
    }

    /// A plan's dues on each of its assets from `from` for `days` days (at most 3,660), by
    /// date: the engine run forward from what has happened, assuming each due is served on
    /// time. Meter dues are estimates from recent usage.
    pub async fn pm_forecast(
        &self,
        actor: &Actor,
        plan: PmPlanId,
        from: Option<DateTime<Utc>>,
        days: Option<u32>,
    ) -> Result<Vec<ForecastItem>> {
        let plan = self.get_pm_plan(actor, plan).await?;
        let days = days.unwrap_or(90);
        if !(1..=3660).contains(&days) {
            return Err(CmmsError::invalid("days", "must be 1 to 3,660"));
        }
        let now = self.now();
        let from = from.unwrap_or(now);
        let site = self.get_site(actor, plan.site_id).await?;
        let mut schedule = plan.schedule.clone();
        schedule.time_zone = site.time_zone;
        let states = self.states_of(actor, plan.id).await?;
        let mut out = Vec::new();
        for asset in self.plan_assets(actor, &plan).await? {
            let state = states
                .get(&asset.id)
                .cloned()
                .unwrap_or_else(|| PmState::empty(actor.org(), plan.id, asset.id, now));
            let series = self.series_for(actor, &asset, &plan, &state).await?;
            for due in forecast(&schedule, &state.history(), &series, from, days) {
                out.push(ForecastItem { asset_id: asset.id, due });
            }
        }
        out.sort_by_key(|f| (f.due.at, f.asset_id));
        Ok(out)
    }

    /// A plan's slots, newest first: what was generated, skipped, completed, cancelled.
    pub async fn pm_history(
        &self,
        actor: &Actor,
        plan: PmPlanId,
        filter: SlotFilter,
    ) -> Result<Page<PmSlot>> {
        let plan = self.get_pm_plan(actor, plan).await?;
        let limit = check_limit(filter.limit)?;
        let mut q = Select::new(PmSlot::TABLE).eq("plan_id", plan.id.uuid());
        if let Some(asset) = filter.asset {
            q = q.eq("asset_id", asset.uuid());
        }
        if let Some(c) = &filter.cursor {
            q = q.cmp("id", Cmp::Lt, decode_cursor("id", c, KeyType::Int)?.id);
        }
        let items = self.store.list::<PmSlot>(actor.org(), q.reversed().limit(limit + 1)).await?;
        Ok(slot_page(items, limit))
    }

    /// The forecast of every active plan the actor may read (optionally one site's) for `days`
    /// days (default 90, at most 366), as an iCalendar feed (see `domain::pm::ical`).
    pub async fn pm_calendar(
        &self,
        actor: &Actor,
        days: Option<u32>,
        site: Option<SiteId>,
    ) -> Result<String> {
        let days = days.unwrap_or(90);
        if !(1..=366).contains(&days) {
            return Err(CmmsError::invalid("days", "must be 1 to 366"));
        }
        let now = self.now();
        let plans = self.list_pm_plans(actor, PlanFilter { site, active: Some(true) }).await?;
        let mut entries = Vec::new();
        for plan in plans {
            let assets: BTreeMap<AssetId, crate::domain::asset::Asset> =
                self.plan_assets(actor, &plan).await?.into_iter().map(|a| (a.id, a)).collect();
            let minutes = plan.estimated_hours.map_or(60.0, |h| h * 60.0).round() as i64;
            for item in self.pm_forecast(actor, plan.id, Some(now), Some(days)).await? {
                let Some(asset) = assets.get(&item.asset_id) else { continue };
                let estimate =
                    if item.due.estimated { " (estimated from meter usage)" } else { "" };
                entries.push(ical::CalendarEntry {
                    uid: format!("{}-{}-{}@cmms", plan.id, asset.id, item.due.slot),
                    start: item.due.at,
                    duration: TimeDelta::minutes(minutes),
                    summary: format!("{}: {} ({})", plan.title, asset.name, asset.code),
                    description: format!("PM plan {}{estimate}", plan.title),
                    estimated: item.due.estimated,
                });
            }
        }
        entries.sort_by_key(|e| e.start);
        Ok(ical::render("Preventive maintenance", &entries, now))
    }

    /// Compliance of the plans the actor may read (optionally one site's) over `[from, to)`.
    pub async fn pm_compliance(
        &self,
        actor: &Actor,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        site: Option<SiteId>,
    ) -> Result<ComplianceReport> {
        if to <= from {
            return Err(CmmsError::invalid("to", "must be after from"));
        }
        let now = self.now();
        let plans = self.list_pm_plans(actor, PlanFilter { site, active: None }).await?;
        let visible: BTreeMap<PmPlanId, &PmPlan> = plans.iter().map(|p| (p.id, p)).collect();
        let q = Select::new(PmSlot::TABLE).cmp("due_at", Cmp::Ge, from).cmp("due_at", Cmp::Lt, to);
        let slots = self.store.list::<PmSlot>(actor.org(), q).await?;
        let outcomes: Vec<Outcome> = slots
            .iter()
            .filter(|s| visible.contains_key(&s.plan_id) && s.status != SlotStatus::Cancelled)
            .map(|s| Outcome {
                due_at: s.due_at,
                grace_days: s.grace_days,
                completed_at: s.completed_at,
            })
            .collect();
        let on_time = outcomes.iter().filter(|o| o.on_time()).count();
        let active: Vec<&PmPlan> = plans.iter().filter(|p| p.active).collect();
        let mut overdue_plans = 0;
        for plan in &active {
            let q = Select::new(PmSlot::TABLE)
                .eq("plan_id", plan.id.uuid())
                .eq("status", SlotStatus::Open.as_str().to_string());
            let open = self.store.list::<PmSlot>(actor.org(), q).await?;
            if open.iter().any(|s| standing(s.due_at, now, 0, s.grace_days).0 == Standing::Overdue)
            {
                overdue_plans += 1;
            }
        }
        Ok(ComplianceReport {
            from,
            to,
            due: outcomes.len(),
            on_time,
            compliance: compliance(&outcomes, from, to),
            plans: active.len(),
            overdue_plans,
            simple_compliance: simple_compliance(active.len(), overdue_plans),
        })
    }
}

fn meter_name(t: &crate::domain::pm::Trigger) -> Option<&str> {
    match t {
        crate::domain::pm::Trigger::MeterInterval(m) => Some(m.meter.as_str()),
        crate::domain::pm::Trigger::MeterThreshold(m) => Some(m.meter.as_str()),
        crate::domain::pm::Trigger::Calendar(_) => None,
    }
}

fn slot_page(mut items: Vec<PmSlot>, limit: u32) -> Page<PmSlot> {
    let next = page_cursor(&mut items, limit, |s: &PmSlot| SortKey {
        value: Some(KeyValue::Int(0)),
        id: s.id.uuid(),
    });
    Page { items, next_cursor: next.map(|k| encode_cursor("id", &k)), total: None }
}
