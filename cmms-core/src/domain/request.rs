//! Requests: the customer-facing intake. A requester files one; staff approve it (creating the
//! work order) or reject it; the requester then follows and confirms the work.

use crate::domain::attachment::{self, Attachment};
use crate::domain::work_order::{Priority, WorkOrderType};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{AssetId, LocationId, OrgId, RequestId, SiteId, TeamId, UserId, WorkOrderId};
use crate::macros::string_enum;
use crate::rbac::{Permission, Resource};
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where a request is.
    RequestStatus, field = "status" {
        /// Being written.
        Draft => "draft",
        /// Waiting for review.
        Submitted => "submitted",
        /// Approved; a work order exists.
        Approved => "approved",
        /// Rejected with a reason.
        Rejected => "rejected",
        /// Withdrawn.
        Cancelled => "cancelled",
    }
}

/// One allowed request status change.
#[derive(Debug, Clone, Copy)]
pub struct RequestEdge {
    /// From.
    pub from: RequestStatus,
    /// To.
    pub to: RequestStatus,
    /// Permission that may take it.
    pub permission: Permission,
    /// Whether a reason (at least 3 characters) is required.
    pub needs_reason: bool,
}

use RequestStatus as RS;

/// The request status machine.
pub const REQUEST_EDGES: &[RequestEdge] = &[
    RequestEdge {
        from: RS::Draft,
        to: RS::Submitted,
        permission: Permission::RequestUpdate,
        needs_reason: false,
    },
    RequestEdge {
        from: RS::Draft,
        to: RS::Cancelled,
        permission: Permission::RequestUpdate,
        needs_reason: false,
    },
    RequestEdge {
        from: RS::Submitted,
        to: RS::Cancelled,
        permission: Permission::RequestUpdate,
        needs_reason: false,
    },
    RequestEdge {
        from: RS::Submitted,
        to: RS::Approved,
        permission: Permission::RequestReview,
        needs_reason: false,
    },
    RequestEdge {
        from: RS::Submitted,
        to: RS::Rejected,
        permission: Permission::RequestReview,
        needs_reason: true,
    },
];

/// The edge, or `InvalidTransition`.
pub fn request_edge(from: RequestStatus, to: RequestStatus) -> Result<&'static RequestEdge> {
    REQUEST_EDGES.iter().find(|e| e.from == from && e.to == to).ok_or_else(|| {
        CmmsError::InvalidTransition { from: from.as_str().into(), to: to.as_str().into() }
    })
}

/// A request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Request {
    /// Id.
    pub id: RequestId,
    /// Organization.
    pub org_id: OrgId,
    /// Human number (`REQ-2026-00007`).
    pub number: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Site.
    pub site_id: SiteId,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Asset.
    pub asset_id: Option<AssetId>,
    /// Suggested priority.
    pub priority: Priority,
    /// Status.
    pub status: RequestStatus,
    /// Who filed it.
    pub requested_by: UserId,
    /// The work order created on approval.
    pub work_order_id: Option<WorkOrderId>,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// Attachments' metadata (carried to the work order on approval).
    pub attachments: Vec<Attachment>,
    /// When submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who approved or rejected it.
    pub reviewed_by: Option<UserId>,
    /// When.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

impl Request {
    /// The RBAC view: the requester owns it.
    pub fn resource(&self) -> Resource<'static> {
        Resource {
            site: Some(self.site_id),
            owner: Some(self.requested_by),
            assignees: &[],
            team: None,
        }
    }
}

/// Input to file a request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Site (may come from the asset or location).
    pub site_id: Option<SiteId>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Asset.
    pub asset_id: Option<AssetId>,
    /// Suggested priority (default medium).
    pub priority: Option<Priority>,
    /// Attachments' metadata.
    pub attachments: Vec<Attachment>,
    /// Submit right away instead of keeping a draft.
    pub submit: bool,
    /// The request's number, when the organization lets the caller choose it
    /// (`caller_request_numbers`): 3 to 20 of `A-Z`, `0-9` and `-`, unique in the organization.
    pub number: Option<String>,
}

/// Checks a caller-chosen request number: 3 to 20 of `A-Z`, `0-9` and `-`.
///
/// ```
/// use cmms_core::domain::request::check_request_number;
/// assert!(check_request_number("B2-0042").is_ok());
/// assert!(check_request_number("b2 42").is_err());
/// ```
pub fn check_request_number(number: &str) -> crate::error::Result<()> {
    let ok = (3..=20).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        return Ok(());
    }
    let shown: String = number.chars().take(40).collect();
    Err(crate::CmmsError::invalid(
        "number",
        format!("'{shown}' is not a request number: 3 to 20 of A-Z, 0-9 and -"),
    ))
}

/// Changes to a draft request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[allow(missing_docs)]
#[serde(deny_unknown_fields)]
pub struct RequestPatch {
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
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Priority"))]
    pub priority: Option<Priority>,
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Vec<Attachment>"))]
    pub attachments: Option<Vec<Attachment>>,
}

/// Options when approving a request: how the work order is set up.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Work type (default corrective).
    #[serde(rename = "type")]
    pub wo_type: Option<WorkOrderType>,
    /// Priority (default: the request's).
    pub priority: Option<Priority>,
    /// Assignees.
    pub assignees: Vec<UserId>,
    /// Team.
    pub team_id: Option<TeamId>,
    /// Due.
    pub due_at: Option<DateTime<Utc>>,
}

pub(crate) struct CheckedRequest {
    pub title: String,
    pub description: Option<String>,
}

pub(crate) fn check_new(input: &NewRequest) -> Result<CheckedRequest> {
    let mut p = Problems::new();
    let checked = CheckedRequest {
        title: validate::text(&mut p, "title", &input.title, 1, 200),
        description: validate::opt_text(&mut p, "description", input.description.as_deref(), 5000),
    };
    p.absorb(attachment::check_all(&input.attachments))?;
    if let Some(n) = &input.number {
        p.absorb(check_request_number(n))?;
    }
    p.finish()?;
    Ok(checked)
}

impl Request {
    /// This draft with `patch` applied, as the next version (only drafts can be edited).
    pub fn patched(&self, patch: RequestPatch, now: DateTime<Utc>) -> Result<Self> {
        if self.status != RS::Draft {
            return Err(CmmsError::invalid("status", "only draft requests can be edited"));
        }
        let mut p = Problems::new();
        let mut n = self.clone();
        if let Some(v) = patch.title {
            n.title = validate::text(&mut p, "title", &v, 1, 200);
        }
        if let Some(v) = patch.description {
            n.description = validate::opt_text(&mut p, "description", v.as_deref(), 5000);
        }
        if let Some(v) = patch.priority {
            n.priority = v;
        }
        if let Some(v) = patch.attachments {
            p.absorb(attachment::check_all(&v))?;
            n.attachments = v;
        }
        p.finish()?;
        n.updated_at = now;
        n.version += 1;
        Ok(n)
    }

    /// Decides a status change (the caller has authorized the edge's permission).
    pub fn transitioned(
        &self,
        to: RequestStatus,
        reason: Option<&str>,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let edge = request_edge(self.status, to)?;
        let mut p = Problems::new();
        let reason = validate::opt_text(&mut p, "reason", reason, 1000);
        let min = crate::domain::status::MIN_REASON;
        if edge.needs_reason && reason.as_ref().is_none_or(|r| r.chars().count() < min) {
            p.add("reason", format!("is required, at least {min} characters"));
        }
        p.finish()?;
        let mut n = self.clone();
        match to {
            RS::Submitted => n.submitted_at = Some(now),
            RS::Approved | RS::Rejected => {
                n.reviewed_by = actor;
                n.reviewed_at = Some(now);
                n.rejection_reason = if to == RS::Rejected { reason } else { None };
            }
            _ => {}
        }
        n.status = to;
        n.updated_at = now;
        n.version += 1;
        Ok(n)
    }
}
