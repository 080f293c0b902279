//! The timeline of a work order: one entry per status change, from which time-in-status is
//! computed.

use crate::domain::status::WorkOrderStatus;
use crate::ids::{OrgId, TimelineId, UserId, WorkOrderId};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// One status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TimelineEntry {
    /// Id.
    pub id: TimelineId,
    /// Organization.
    pub org_id: OrgId,
    /// Work order.
    pub work_order_id: WorkOrderId,
    /// Previous status (`None` on creation).
    pub from_status: Option<WorkOrderStatus>,
    /// New status.
    pub to_status: WorkOrderStatus,
    /// Who made the change (`None` = the system).
    pub actor_id: Option<UserId>,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Total time spent in each status, from a timeline in time order, up to `now` for the
/// current status. Statuses never entered are absent.
///
/// ```
/// use cmms_core::domain::timeline::{time_in_status, TimelineEntry};
/// use cmms_core::domain::status::WorkOrderStatus as S;
/// use cmms_core::{OrgId, TimelineId, WorkOrderId};
/// use chrono::{TimeDelta, TimeZone, Utc};
/// let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
/// let (org, wo) = (OrgId::new(), WorkOrderId::new());
/// let entry = |from, to, mins| TimelineEntry { id: TimelineId::new(), org_id: org,
///     work_order_id: wo, from_status: from, to_status: to, actor_id: None, reason: None,
///     at: t0 + TimeDelta::minutes(mins) };
/// let tl = [entry(None, S::Open, 0), entry(Some(S::Open), S::InProgress, 30)];
/// let spent = time_in_status(&tl, t0 + TimeDelta::minutes(90));
/// assert_eq!(spent, vec![(S::Open, TimeDelta::minutes(30)), (S::InProgress, TimeDelta::minutes(60))]);
/// ```
pub fn time_in_status(
    timeline: &[TimelineEntry],
    now: DateTime<Utc>,
) -> Vec<(WorkOrderStatus, TimeDelta)> {
    let mut totals: Vec<(WorkOrderStatus, TimeDelta)> = Vec::new();
    for (i, entry) in timeline.iter().enumerate() {
        let end = timeline.get(i + 1).map_or(now, |next| next.at);
        let spent = (end - entry.at).max(TimeDelta::zero());
        match totals.iter_mut().find(|(s, _)| *s == entry.to_status) {
            Some((_, total)) => *total = total.checked_add(&spent).unwrap_or(TimeDelta::MAX),
            None => totals.push((entry.to_status, spent)),
        }
    }
    totals
}
