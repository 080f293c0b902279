//! PM compliance and the status of a plan on an asset (overdue, due soon, compliant), as pure
//! functions of dates.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// One PM work order as compliance sees it: when it was due, its grace window and when (if) it
/// was completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Outcome {
    /// The due instant of its slot.
    pub due_at: DateTime<Utc>,
    /// Days late that still count as on time.
    pub grace_days: u32,
    /// When it was completed (`None`: not yet, or cancelled).
    pub completed_at: Option<DateTime<Utc>>,
}

impl Outcome {
    /// Completed by its due instant plus the grace window.
    pub fn on_time(&self) -> bool {
        let limit = self.due_at + TimeDelta::days(i64::from(self.grace_days));
        self.completed_at.is_some_and(|c| c <= limit)
    }
}

/// PM compliance in percent, after SMRP Best Practice Metric 5.4.8 (PM & PdM compliance): PM work
/// orders due in `[from, to)` that were completed within their grace window, divided by the PM
/// work orders due in that period, × 100. The grace window is the plan's (by default the
/// "10 % rule": a tenth of the interval, at most 28 days, see `Schedule::grace`). `None` when
/// nothing was due in the period: there is nothing to comply with, and 100 % would hide that.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use cmms_core::domain::pm::compliance::{compliance, Outcome};
/// let day = |d| Utc.with_ymd_and_hms(2026, 3, d, 8, 0, 0).unwrap();
/// let outcomes = [
///     Outcome { due_at: day(1), grace_days: 3, completed_at: Some(day(4)) }, // on time
///     Outcome { due_at: day(2), grace_days: 3, completed_at: Some(day(9)) }, // late
///     Outcome { due_at: day(3), grace_days: 3, completed_at: None },         // not done
///     Outcome { due_at: day(5), grace_days: 0, completed_at: Some(day(5)) }, // on time
/// ];
/// assert_eq!(compliance(&outcomes, day(1), day(31)), Some(50.0));
/// assert_eq!(compliance(&[], day(1), day(31)), None);
/// ```
pub fn compliance(outcomes: &[Outcome], from: DateTime<Utc>, to: DateTime<Utc>) -> Option<f64> {
    let due: Vec<&Outcome> =
        outcomes.iter().filter(|o| o.due_at >= from && o.due_at < to).collect();
    if due.is_empty() {
        return None;
    }
    let on_time = due.iter().filter(|o| o.on_time()).count();
    Some(on_time as f64 * 100.0 / due.len() as f64)
}

/// The seed's simple rule: (plans − overdue plans) / plans × 100, and 100 when there are no
/// plans (nothing is overdue).
///
/// ```
/// use cmms_core::domain::pm::compliance::simple_compliance;
/// assert_eq!(simple_compliance(0, 0), 100.0);
/// assert_eq!(simple_compliance(8, 2), 75.0);
/// ```
pub fn simple_compliance(plans: usize, overdue: usize) -> f64 {
    if plans == 0 {
        return 100.0;
    }
    plans.saturating_sub(overdue) as f64 * 100.0 / plans as f64
}

/// Where a plan stands on an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Past its due instant and its grace window.
    Overdue,
    /// Due within the lead time (or past due, inside the grace window).
    DueSoon,
    /// Not due yet.
    Compliant,
}

/// The standing of a due at `now`, and whole days until it is due (negative when past).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use cmms_core::domain::pm::compliance::{standing, Standing};
/// let due = Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap();
/// let now = Utc.with_ymd_and_hms(2026, 3, 20, 8, 0, 0).unwrap();
/// assert_eq!(standing(due, now, 7, 3), (Standing::Overdue, -10));
/// assert_eq!(standing(due, due - chrono::TimeDelta::days(5), 7, 3), (Standing::DueSoon, 5));
/// ```
pub fn standing(
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    lead_days: u32,
    grace_days: u32,
) -> (Standing, i64) {
    let days =
        (due - now).num_days() - i64::from(now > due && (now - due).num_seconds() % 86_400 != 0);
    let state = if now > due + TimeDelta::days(i64::from(grace_days)) {
        Standing::Overdue
    } else if now >= due - TimeDelta::days(i64::from(lead_days.max(1))) {
        Standing::DueSoon
    } else {
        Standing::Compliant
    };
    (state, days)
}
