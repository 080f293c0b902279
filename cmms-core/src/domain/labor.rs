//! Labor entries: time a person spent on a work order.

use crate::clock::truncate_micros;
use crate::error::{Problems, Result};
use crate::ids::{LaborId, OrgId, UserId, WorkOrderId};
use crate::macros::string_enum;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Kind of labor time.
    LaborCategory, field = "category" {
        /// Regular hours.
        Regular => "regular",
        /// Overtime.
        Overtime => "overtime",
        /// Travel to the job.
        Travel => "travel",
        /// Waiting or standby.
        Standby => "standby",
    }
}

/// One labor entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct LaborEntry {
    /// Id.
    pub id: LaborId,
    /// Organization.
    pub org_id: OrgId,
    /// Work order.
    pub work_order_id: WorkOrderId,
    /// Who worked.
    pub user_id: UserId,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End, when given.
    pub ended_at: Option<DateTime<Utc>>,
    /// Minutes worked.
    pub minutes: i64,
    /// Category.
    pub category: LaborCategory,
    /// Notes.
    pub notes: Option<String>,
    /// Who recorded it.
    pub created_by: Option<UserId>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// Input for a labor entry: `ended_at` or `minutes` (minutes win when both are given and must
/// then agree within a minute).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewLabor {
    /// Who worked (default: the actor).
    pub user_id: Option<UserId>,
    /// Start.
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    pub ended_at: Option<DateTime<Utc>>,
    /// Minutes.
    pub minutes: Option<i64>,
    /// Category (default regular).
    pub category: Option<LaborCategory>,
    /// Notes.
    pub notes: Option<String>,
}

/// Longest single entry: one week.
pub const MAX_MINUTES: i64 = 7 * 24 * 60;

impl LaborEntry {
    /// A new entry from checked input.
    pub fn create(
        org_id: OrgId,
        work_order_id: WorkOrderId,
        user_id: UserId,
        input: NewLabor,
        created_by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut p = Problems::new();
        let notes = validate::opt_text(&mut p, "notes", input.notes.as_deref(), 2000);
        let started_at = input.started_at.map_or(now, truncate_micros);
        let ended_at = input.ended_at.map(truncate_micros);
        let from_end = ended_at.map(|end| (end - started_at).num_minutes());
        if ended_at.is_some_and(|end| end <= started_at) {
            p.add("ended_at", "must be after started_at");
        }
        if let (Some(m), Some(e)) = (input.minutes, from_end) {
            if m.abs_diff(e) > 1 {
                p.add("minutes", "does not match started_at..ended_at");
            }
        }
        let minutes = input.minutes.or(from_end).unwrap_or(0);
        if input.minutes.is_none() && from_end.is_none() {
            p.add("minutes", "give minutes or ended_at");
        } else if !(1..=MAX_MINUTES).contains(&minutes) {
            p.add("minutes", format!("must be between 1 and {MAX_MINUTES}"));
        }
        p.finish()?;
        Ok(Self {
            id: LaborId::new(),
            org_id,
            work_order_id,
            user_id,
            started_at,
            ended_at,
            minutes,
            category: input.category.unwrap_or(LaborCategory::Regular),
            notes,
            created_by,
            created_at: now,
        })
    }
}
