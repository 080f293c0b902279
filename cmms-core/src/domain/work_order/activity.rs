//! What may still happen to a work order in each status besides status changes (editing,
//! staffing, checklist, labor, deletion): one table, like the status edges.

use super::status::WorkOrderStatus;
use crate::error::{CmmsError, Result};

use WorkOrderStatus as S;

/// Things done to a work order besides changing its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Edit its fields.
    Edit,
    /// Change its assignees or team.
    Staff,
    /// Add checklist items or record their results.
    Checklist,
    /// Log labor (late entries after completion are normal).
    Labor,
    /// Delete it (only before work starts, or once cancelled).
    Delete,
}

impl Activity {
    fn verb(self) -> &'static str {
        match self {
            Activity::Edit => "edited",
            Activity::Staff => "reassigned",
            Activity::Checklist => "given checklist results",
            Activity::Labor => "given labor",
            Activity::Delete => "deleted",
        }
    }
}

use Activity as A;

/// What may still happen to a work order in each status.
pub const ACTIVITIES: &[(WorkOrderStatus, &[Activity])] = &[
    (S::Requested, &[A::Edit, A::Staff, A::Delete]),
    (S::Open, &[A::Edit, A::Staff, A::Checklist, A::Labor, A::Delete]),
    (S::Assigned, &[A::Edit, A::Staff, A::Checklist, A::Labor, A::Delete]),
    (S::InProgress, &[A::Edit, A::Staff, A::Checklist, A::Labor]),
    (S::OnHold, &[A::Edit, A::Staff, A::Checklist, A::Labor]),
    (S::Completed, &[A::Labor]),
    (S::Verified, &[]),
    (S::Closed, &[]),
    (S::Cancelled, &[A::Delete]),
];

/// `Ok` when `activity` is allowed in `status`, else a validation error on `status`.
pub fn require_activity(status: WorkOrderStatus, activity: Activity) -> Result<()> {
    let allowed = ACTIVITIES.iter().any(|(s, acts)| *s == status && acts.contains(&activity));
    if allowed {
        Ok(())
    } else {
        Err(CmmsError::invalid(
            "status",
            format!("a {status} work order cannot be {}", activity.verb()),
        ))
    }
}
