//! PM plans (a work-order template, the assets it covers and its schedule) and what generation
//! remembers per plan and asset: one slot per due date, and a state row that summarizes them.

use super::schedule::{CalendarUnit, History, Schedule, Service, Trigger};
use crate::domain::checklist::NewChecklistItem;
use crate::domain::inventory::PlannedPart;
use crate::domain::work_order::{Priority, WorkOrderType};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{AssetId, OrgId, PmPlanId, PmSlotId, SiteId, TeamId, UserId, WorkOrderId};
use crate::macros::string_enum;
use crate::validate;
use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Most assets a plan may name one by one (use a category for more).
pub const MAX_PLAN_ASSETS: usize = 1_000;

/// A preventive-maintenance plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PmPlan {
    /// Id.
    pub id: PmPlanId,
    /// Organization.
    pub org_id: OrgId,
    /// The site whose assets it covers (and whose time zone its calendar uses).
    pub site_id: SiteId,
    /// The work orders' title.
    pub title: String,
    /// The work orders' description.
    pub description: Option<String>,
    /// `preventive` or `inspection`.
    #[serde(rename = "type")]
    pub wo_type: WorkOrderType,
    /// The work orders' priority.
    pub priority: Priority,
    /// Estimated hours per work order.
    pub estimated_hours: Option<f64>,
    /// Checklist copied into each work order.
    pub checklist: Vec<NewChecklistItem>,
    /// Parts each work order needs: planned on it when it is generated, holding what stock
    /// is available.
    pub parts: Vec<PlannedPart>,
    /// Assignees of each work order.
    pub assignees: Vec<UserId>,
    /// Team of each work order.
    pub team_id: Option<TeamId>,
    /// The assets it covers, one by one (empty: every asset of `category` at the site).
    pub asset_ids: Vec<AssetId>,
    /// Covers every asset of this category at the site (when `asset_ids` is empty).
    pub category: Option<String>,
    /// When it is due.
    pub schedule: Schedule,
    /// Generates work only when active.
    pub active: bool,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create a plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPmPlan {
    /// The site.
    pub site_id: SiteId,
    /// The work orders' title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// `preventive` (default) or `inspection`.
    #[serde(default, rename = "type")]
    pub wo_type: Option<WorkOrderType>,
    /// Priority (default medium).
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Estimated hours.
    #[serde(default)]
    pub estimated_hours: Option<f64>,
    /// Checklist.
    #[serde(default)]
    pub checklist: Vec<NewChecklistItem>,
    /// Parts each work order needs.
    #[serde(default)]
    pub parts: Vec<PlannedPart>,
    /// Assignees.
    #[serde(default)]
    pub assignees: Vec<UserId>,
    /// Team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// Assets one by one.
    #[serde(default)]
    pub asset_ids: Vec<AssetId>,
    /// Or every asset of this category at the site.
    #[serde(default)]
    pub category: Option<String>,
    /// The schedule (`time_zone` is the site's; `starts_on` defaults to one period from today).
    pub schedule: Schedule,
    /// Active (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to a plan (a merge patch; `schedule` is replaced whole).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PmPlanPatch {
    /// Title.
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub title: Option<String>,
    /// Description (`null` clears it).
    #[serde(default, with = "crate::domain::double_option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub description: Option<Option<String>>,
    /// Priority.
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Priority"))]
    pub priority: Option<Priority>,
    /// Estimated hours (`null` clears them).
    #[serde(default, with = "crate::domain::double_option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<f64>"))]
    pub estimated_hours: Option<Option<f64>>,
    /// Checklist (replaces the old one).
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Vec<NewChecklistItem>"))]
    pub checklist: Option<Vec<NewChecklistItem>>,
    /// Parts each work order needs (replaced whole).
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Vec<PlannedPart>"))]
    pub parts: Option<Vec<PlannedPart>>,
    /// Assignees (replace the old ones).
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Vec<UserId>"))]
    pub assignees: Option<Vec<UserId>>,
    /// Team (`null` clears it).
    #[serde(default, with = "crate::domain::double_option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<TeamId>"))]
    pub team_id: Option<Option<TeamId>>,
    /// Assets one by one (replace the old ones).
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Vec<AssetId>"))]
    pub asset_ids: Option<Vec<AssetId>>,
    /// Category (`null` clears it).
    #[serde(default, with = "crate::domain::double_option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub category: Option<Option<String>>,
    /// The schedule (replaces the old one).
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Schedule"))]
    pub schedule: Option<Schedule>,
    /// Active.
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "bool"))]
    pub active: Option<bool>,
}

/// One period after `from` by the schedule's shortest calendar trigger (meter-only plans start
/// at once): where a new plan's schedule starts when none is given, so it is not overdue.
pub fn default_start(schedule: &Schedule, from: NaiveDate) -> NaiveDate {
    schedule
        .triggers
        .iter()
        .filter_map(|t| match t {
            Trigger::Calendar(c) => match c.unit {
                CalendarUnit::Days => from.checked_add_days(Days::new(u64::from(c.every))),
                CalendarUnit::Weeks => from.checked_add_days(Days::new(u64::from(c.every) * 7)),
                CalendarUnit::Months => from.checked_add_months(Months::new(c.every)),
                CalendarUnit::Years => from.checked_add_months(Months::new(c.every * 12)),
            },
            _ => None,
        })
        .min()
        .unwrap_or(from)
}

impl PmPlan {
    /// Checks everything about the plan that needs no database.
    pub fn check(&self) -> Result<()> {
        let mut p = Problems::new();
        validate::text(&mut p, "title", &self.title, 1, 200);
        validate::opt_text(&mut p, "description", self.description.as_deref(), 10_000);
        if !matches!(self.wo_type, WorkOrderType::Preventive | WorkOrderType::Inspection) {
            p.add("type", "a plan creates preventive or inspection work");
        }
        if self.estimated_hours.is_some_and(|h| !(h.is_finite() && (0.0..=10_000.0).contains(&h))) {
            p.add("estimated_hours", "must be 0 to 10,000");
        }
        for (i, item) in self.checklist.iter().enumerate() {
            p.absorb(item.check(&format!("checklist[{i}]")))?;
        }
        for (i, part) in self.parts.iter().enumerate() {
            if !part.quantity.is_positive() {
                p.add(format!("parts[{i}].quantity"), "must be above zero");
            }
        }
        match (self.asset_ids.is_empty(), self.category.as_deref()) {
            (true, None) => p.add("asset_ids", "name the assets, or a category of assets"),
            (false, Some(_)) => p.add("category", "give assets or a category, not both"),
            _ => {}
        }
        if self.asset_ids.len() > MAX_PLAN_ASSETS {
            p.add("asset_ids", format!("at most {MAX_PLAN_ASSETS}; use a category for more"));
        }
        let mut seen = std::collections::HashSet::new();
        if self.asset_ids.iter().any(|a| !seen.insert(*a)) {
            p.add("asset_ids", "names an asset twice");
        }
        validate::opt_text(&mut p, "category", self.category.as_deref(), 100);
        if let Err(CmmsError::Validation(errors)) = self.schedule.validate() {
            for e in errors {
                p.add(format!("schedule.{}", e.field), e.message);
            }
        }
        p.finish()
    }
}

string_enum! {
    /// What became of a due slot.
    SlotStatus, field = "status" {
        /// Its work order is open.
        Open => "open",
        /// Its work order was completed: a service.
        Completed => "completed",
        /// Its work order was cancelled (not a service).
        Cancelled => "cancelled",
        /// It came due while the previous work order was still open, so no second one was made.
        Skipped => "skipped",
    }
}

/// One due slot of a plan on an asset: one per (plan, asset, slot), by a unique key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PmSlot {
    /// Id.
    pub id: PmSlotId,
    /// Organization.
    pub org_id: OrgId,
    /// The plan.
    pub plan_id: PmPlanId,
    /// The asset.
    pub asset_id: AssetId,
    /// The slot's identity from the engine (`calendar:<instant>`, `meter:<name>:<value>`, ...).
    pub slot: String,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// Days late that still count as on time.
    pub grace_days: u32,
    /// What became of it.
    pub status: SlotStatus,
    /// Its work order (none when skipped).
    pub work_order_id: Option<WorkOrderId>,
    /// When its work order was completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Meter totals at completion, by meter name.
    pub meter_values: BTreeMap<String, f64>,
    /// When it was first seen overdue (the `pm.overdue` event went out then).
    pub overdue_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Generation's memory of one (plan, asset): the engine's history. Its id is derived from the
/// pair, so two generators that both create it collide on the key instead of making two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PmState {
    /// `state_id(plan, asset)`.
    pub id: Uuid,
    /// Organization.
    pub org_id: OrgId,
    /// The plan.
    pub plan_id: PmPlanId,
    /// The asset.
    pub asset_id: AssetId,
    /// The latest slot's due instant.
    pub last_due: Option<DateTime<Utc>>,
    /// How many slots there were.
    pub count: u32,
    /// The open slot, if a work order is open.
    pub open_slot_id: Option<PmSlotId>,
    /// The latest service's completion.
    pub last_service_at: Option<DateTime<Utc>>,
    /// Meter totals at the latest service.
    pub last_service_meters: BTreeMap<String, f64>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// The id of the state row of (plan, asset).
pub fn state_id(plan: PmPlanId, asset: AssetId) -> Uuid {
    Uuid::new_v5(&plan.uuid(), asset.uuid().as_bytes())
}

impl PmState {
    /// A state with nothing generated yet (version 0: not stored).
    pub fn empty(org_id: OrgId, plan_id: PmPlanId, asset_id: AssetId, now: DateTime<Utc>) -> Self {
        Self {
            id: state_id(plan_id, asset_id),
            org_id,
            plan_id,
            asset_id,
            last_due: None,
            count: 0,
            open_slot_id: None,
            last_service_at: None,
            last_service_meters: BTreeMap::new(),
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    /// The engine's view.
    pub fn history(&self) -> History {
        History {
            last_due: self.last_due,
            last_service: self
                .last_service_at
                .map(|at| Service { at, meter_values: self.last_service_meters.clone() }),
            count: self.count,
        }
    }
}
