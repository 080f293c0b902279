//! Checklist items on a work order: label, mandatory flag and a recorded result.

use crate::error::{CmmsError, Problems, Result};
use crate::ids::{ChecklistItemId, OrgId, UserId, WorkOrderId};
use crate::macros::string_enum;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// The outcome of one checklist item.
    ChecklistResult, field = "result" {
        /// Done, nothing to report.
        Done => "done",
        /// Not done (not allowed for mandatory items).
        Skipped => "skipped",
        /// Done, and a problem was found.
        Issue => "issue",
    }
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChecklistItem {
    /// Id.
    pub id: ChecklistItemId,
    /// Organization.
    pub org_id: OrgId,
    /// Work order.
    pub work_order_id: WorkOrderId,
    /// Order on the list, from 0.
    pub position: i32,
    /// What to do.
    pub label: String,
    /// Must have a result (done or issue) before the work can be completed.
    pub mandatory: bool,
    /// Recorded result.
    pub result: Option<ChecklistResult>,
    /// Notes with the result.
    pub notes: Option<String>,
    /// Who recorded the result.
    pub completed_by: Option<UserId>,
    /// When.
    pub completed_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
}

/// Input for one new checklist item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewChecklistItem {
    /// What to do.
    pub label: String,
    /// Whether it is mandatory.
    pub mandatory: bool,
}

impl NewChecklistItem {
    /// An item.
    pub fn new(label: impl Into<String>, mandatory: bool) -> Self {
        Self { label: label.into(), mandatory }
    }

    pub(crate) fn check(&self, prefix: &str) -> Result<()> {
        let mut p = Problems::new();
        let field = if prefix.is_empty() { "label".to_string() } else { format!("{prefix}.label") };
        validate::text(&mut p, &field, &self.label, 1, 500);
        p.finish()
    }

    pub(crate) fn into_item(
        self,
        org_id: OrgId,
        work_order_id: WorkOrderId,
        position: i32,
    ) -> ChecklistItem {
        ChecklistItem {
            id: ChecklistItemId::new(),
            org_id,
            work_order_id,
            position,
            label: self.label.trim().to_string(),
            mandatory: self.mandatory,
            result: None,
            notes: None,
            completed_by: None,
            completed_at: None,
            version: 1,
        }
    }
}

impl ChecklistItem {
    /// This item with a result recorded (or cleared with `None`), as the next version.
    pub fn recorded(
        &self,
        result: Option<ChecklistResult>,
        notes: Option<&str>,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        if self.mandatory && result == Some(ChecklistResult::Skipped) {
            return Err(CmmsError::invalid("result", "a mandatory item cannot be skipped"));
        }
        let mut p = Problems::new();
        let notes = validate::opt_text(&mut p, "notes", notes, 2000);
        p.finish()?;
        let mut next = self.clone();
        next.result = result;
        next.notes = notes;
        next.completed_by = result.and(actor);
        next.completed_at = result.map(|_| now);
        next.version += 1;
        Ok(next)
    }
}
