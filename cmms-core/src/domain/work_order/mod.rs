//! Work orders: the record, its vocabularies (type, priority) and input checks; the status
//! machine is the `status` submodule.

pub mod activity;
pub mod status;

use crate::clock::truncate_micros;
use crate::domain::attachment::Attachment;
use crate::domain::checklist::NewChecklistItem;
use crate::domain::status::WorkOrderStatus;
use crate::error::{Problems, Result};
use crate::ids::{
    AssetId, LocationId, OrgId, PmPlanId, PmSlotId, RequestId, SiteId, TeamId, UserId, WorkOrderId,
};
use crate::macros::string_enum;
use crate::rbac::Resource;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Kind of maintenance (EN 13306 terms).
    WorkOrderType, field = "type" {
        /// Fixing a fault after it happened.
        Corrective => "corrective",
        /// Planned, to prevent faults.
        Preventive => "preventive",
        /// Checking condition.
        Inspection => "inspection",
        /// Corrective work that cannot wait.
        Emergency => "emergency",
        /// Improvement or installation work.
        Project => "project",
    }
}

string_enum! {
    /// How urgent the work is.
    Priority, field = "priority" {
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
        /// Urgent.
        Urgent => "urgent",
    }
}

impl Priority {
    /// Rank for sorting: urgent 4 ... low 1.
    pub fn rank(self) -> i64 {
        match self {
            Self::Low => 1,
            Self::Medium => 2,
            Self::High => 3,
            Self::Urgent => 4,
        }
    }
}

/// Failure codes recorded on completion (ISO 14224: failure mode, cause, remedy action), as
/// org-defined code values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct FailureReport {
    /// Problem (failure mode) code.
    pub problem: Option<String>,
    /// Cause code.
    pub cause: Option<String>,
    /// Remedy (action) code.
    pub remedy: Option<String>,
}

impl FailureReport {
    /// Whether no code is set.
    pub fn is_empty(&self) -> bool {
        self.problem.is_none() && self.cause.is_none() && self.remedy.is_none()
    }
}

/// A work order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct WorkOrder {
    /// Id.
    pub id: WorkOrderId,
    /// Organization.
    pub org_id: OrgId,
    /// Human number, unique per organization (`WO-2026-00042`).
    pub number: String,
    /// Title (1–200 characters).
    pub title: String,
    /// Description (up to 5000 characters).
    pub description: Option<String>,
    /// Kind of work.
    #[serde(rename = "type")]
    pub wo_type: WorkOrderType,
    /// Priority.
    pub priority: Priority,
    /// Free category.
    pub category: Option<String>,
    /// Status (see the status machine).
    pub status: WorkOrderStatus,
    /// Site.
    pub site_id: SiteId,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Asset.
    pub asset_id: Option<AssetId>,
    /// Assigned users.
    pub assignees: Vec<UserId>,
    /// Assigned team.
    pub team_id: Option<TeamId>,
    /// Who asked for the work (the "own" of RBAC conditions).
    pub requested_by: Option<UserId>,
    /// Who created it (`None` = the system).
    pub created_by: Option<UserId>,
    /// The request this work order came from.
    pub request_id: Option<RequestId>,
    /// The PM plan that generated it.
    pub pm_plan_id: Option<PmPlanId>,
    /// The plan's due slot it serves.
    pub pm_slot_id: Option<PmSlotId>,
    /// Due.
    pub due_at: Option<DateTime<Utc>>,
    /// Estimated hours.
    pub estimated_hours: Option<f64>,
    /// First time work started (set once).
    pub actual_start: Option<DateTime<Utc>>,
    /// When work was completed.
    pub actual_end: Option<DateTime<Utc>>,
    /// Who verified the completion.
    pub verified_by: Option<UserId>,
    /// When it was verified.
    pub verified_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Completion notes.
    pub completion_notes: Option<String>,
    /// Failure codes recorded on completion.
    pub failure: FailureReport,
    /// Attachments' metadata.
    pub attachments: Vec<Attachment>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

impl WorkOrder {
    /// The RBAC view of this work order.
    pub fn resource(&self) -> Resource<'_> {
        Resource {
            site: Some(self.site_id),
            owner: self.requested_by,
            assignees: &self.assignees,
            team: self.team_id,
        }
    }
}

/// Input to create a work order. `site_id` may be left out when the asset or location gives it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewWorkOrder {
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Kind (default corrective).
    #[serde(rename = "type")]
    pub wo_type: Option<WorkOrderType>,
    /// Priority (default medium).
    pub priority: Option<Priority>,
    /// Category.
    pub category: Option<String>,
    /// Site.
    pub site_id: Option<SiteId>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Asset.
    pub asset_id: Option<AssetId>,
    /// Assignees.
    pub assignees: Vec<UserId>,
    /// Team.
    pub team_id: Option<TeamId>,
    /// Requested by (default: the creator).
    pub requested_by: Option<UserId>,
    /// Due.
    pub due_at: Option<DateTime<Utc>>,
    /// Estimated hours.
    pub estimated_hours: Option<f64>,
    /// Checklist.
    pub checklist: Vec<NewChecklistItem>,
    /// Attachments' metadata.
    pub attachments: Vec<Attachment>,
}

/// Changes to a work order's fields. Status, people (assignees and team) and completion have
/// their own use cases, so a field edit can never bypass assignment rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[allow(missing_docs)]
#[serde(deny_unknown_fields)]
pub struct WorkOrderPatch {
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub title: Option<String>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub description: Option<Option<String>>,
    #[serde(rename = "type")]
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "WorkOrderType"))]
    pub wo_type: Option<WorkOrderType>,
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Priority"))]
    pub priority: Option<Priority>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub category: Option<Option<String>>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<LocationId>"))]
    pub location_id: Option<Option<LocationId>>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<AssetId>"))]
    pub asset_id: Option<Option<AssetId>>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<DateTime<Utc>>"))]
    pub due_at: Option<Option<DateTime<Utc>>>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<f64>"))]
    pub estimated_hours: Option<Option<f64>>,
}

/// Maximum assignees on one work order.
pub const MAX_ASSIGNEES: usize = 20;

pub(crate) fn title(p: &mut Problems, v: &str) -> String {
    validate::text(p, "title", v, 1, 200)
}

pub(crate) fn description(p: &mut Problems, v: Option<&str>) -> Option<String> {
    validate::opt_text(p, "description", v, 5000)
}

fn hours(p: &mut Problems, v: Option<f64>) -> Option<f64> {
    if let Some(h) = v {
        if !h.is_finite() || !(0.0..=10_000.0).contains(&h) {
            p.add("estimated_hours", "must be between 0 and 10000");
        }
    }
    v
}

/// Checked, normalised fields of a new work order (everything but number and status).
#[derive(Debug, Clone)]
pub(crate) struct CheckedNew {
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub estimated_hours: Option<f64>,
    pub assignees: Vec<UserId>,
}

pub(crate) fn check_new(input: &NewWorkOrder) -> Result<CheckedNew> {
    let mut p = Problems::new();
    let checked = CheckedNew {
        title: title(&mut p, &input.title),
        description: description(&mut p, input.description.as_deref()),
        category: validate::opt_text(&mut p, "category", input.category.as_deref(), 100),
        estimated_hours: hours(&mut p, input.estimated_hours),
        assignees: dedup_assignees(&mut p, &input.assignees),
    };
    for (i, item) in input.checklist.iter().enumerate() {
        p.absorb(item.check(&format!("checklist[{i}]")))?;
    }
    if input.checklist.len() > 200 {
        p.add("checklist", "at most 200 items");
    }
    p.absorb(crate::domain::attachment::check_all(&input.attachments))?;
    p.finish()?;
    Ok(checked)
}

impl NewWorkOrder {
    /// Checks the input's own fields (title, description, category, hours, assignees,
    /// checklist, attachments) the way `Cmms::create_work_order` does before it touches the
    /// store; references (site, asset, people) are checked there, against the store.
    ///
    /// ```
    /// use cmms_core::domain::work_order::NewWorkOrder;
    /// assert!(NewWorkOrder { title: "Fix pump".into(), ..NewWorkOrder::default() }.validate().is_ok());
    /// assert!(NewWorkOrder::default().validate().is_err()); // a title is required
    /// ```
    pub fn validate(&self) -> Result<()> {
        check_new(self).map(drop)
    }
}

pub(crate) fn dedup_assignees(p: &mut Problems, ids: &[UserId]) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    if out.len() > MAX_ASSIGNEES {
        p.add("assignees", format!("at most {MAX_ASSIGNEES} assignees"));
    }
    out
}

impl WorkOrder {
    /// The next version with nothing changed but the time: written alongside changes to the
    /// work order's checklist or labor so they are ordered with its status changes (a
    /// completion and a concurrent checklist change cannot both commit).
    pub fn touched(&self, now: DateTime<Utc>) -> Self {
        Self { updated_at: now, version: self.version + 1, ..self.clone() }
    }

    /// This work order with the field `patch` applied, as the next version.
    pub fn patched(&self, patch: WorkOrderPatch, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let mut n = self.clone();
        if let Some(v) = patch.title {
            n.title = title(&mut p, &v);
        }
        if let Some(v) = patch.description {
            n.description = description(&mut p, v.as_deref());
        }
        if let Some(v) = patch.wo_type {
            n.wo_type = v;
        }
        if let Some(v) = patch.priority {
            n.priority = v;
        }
        if let Some(v) = patch.category {
            n.category = validate::opt_text(&mut p, "category", v.as_deref(), 100);
        }
        if let Some(v) = patch.location_id {
            n.location_id = v;
        }
        if let Some(v) = patch.asset_id {
            n.asset_id = v;
        }
        if let Some(v) = patch.due_at {
            n.due_at = v.map(truncate_micros);
        }
        if let Some(v) = patch.estimated_hours {
            n.estimated_hours = hours(&mut p, v);
        }
        p.finish()?;
        n.updated_at = now;
        n.version += 1;
        Ok(n)
    }
}
