//! The work-order status machine as ONE table of edges (DESIGN §3.4). Each edge names the
//! permission that may take it and what it requires; `decide_transition` applies the table and
//! the side effects. No other code decides whether a status change is allowed.

use crate::domain::checklist::ChecklistItem;
use crate::domain::timeline::TimelineEntry;
use crate::domain::work_order::{FailureReport, WorkOrder, WorkOrderType};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{TimelineId, UserId};
use crate::macros::string_enum;
use crate::rbac::Permission;
use crate::validate;
use chrono::{DateTime, Utc};

string_enum! {
    /// Where a work order is in its life.
    WorkOrderStatus, field = "status" {
        /// Asked for, awaiting approval.
        Requested => "requested",
        /// Approved, nobody assigned yet.
        Open => "open",
        /// Assigned, not started.
        Assigned => "assigned",
        /// Being worked on.
        InProgress => "in_progress",
        /// Paused (waiting for parts, access, ...).
        OnHold => "on_hold",
        /// Work done, awaiting verification.
        Completed => "completed",
        /// Completion verified.
        Verified => "verified",
        /// Closed (terminal).
        Closed => "closed",
        /// Cancelled (terminal).
        Cancelled => "cancelled",
    }
}

impl WorkOrderStatus {
    /// Whether no edge leaves this status.
    pub fn is_terminal(self) -> bool {
        !EDGES.iter().any(|e| e.from == self)
    }
}

/// Something an edge requires before it may be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// A reason of at least `MIN_REASON` characters.
    Reason,
    /// Every mandatory checklist item has a result.
    MandatoryChecklistDone,
    /// Failure codes (problem, cause, remedy) on corrective and emergency work, when the org
    /// requires them.
    FailureCodesIfRequired,
    /// At least one assignee or a team.
    Assignee,
    /// No assignee and no team.
    NoAssignee,
}

/// One allowed status change.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    /// From.
    pub from: WorkOrderStatus,
    /// To.
    pub to: WorkOrderStatus,
    /// The permission (with the condition of the actor's role) that may take it.
    pub permission: Permission,
    /// What must hold first.
    pub requires: &'static [Requirement],
}

use Permission as P;
use Requirement as R;
use WorkOrderStatus as S;

const fn e(from: S, to: S, permission: P, requires: &'static [R]) -> Edge {
    Edge { from, to, permission, requires }
}

/// The status machine. Two additions to DESIGN §3.4 keep "open" meaning "nobody on it" and
/// "assigned" meaning "somebody on it": `Assigned -> Open` (everyone unassigned) and
/// `Requested -> Assigned` (approving work that already has people).
pub const EDGES: &[Edge] = &[
    e(S::Requested, S::Open, P::WorkOrderApprove, &[R::NoAssignee]),
    e(S::Requested, S::Assigned, P::WorkOrderApprove, &[R::Assignee]),
    e(S::Open, S::Assigned, P::WorkOrderAssign, &[R::Assignee]),
    e(S::Assigned, S::Open, P::WorkOrderAssign, &[R::NoAssignee]),
    e(S::Assigned, S::InProgress, P::WorkOrderExecute, &[]),
    e(S::InProgress, S::OnHold, P::WorkOrderExecute, &[R::Reason]),
    e(S::OnHold, S::InProgress, P::WorkOrderExecute, &[]),
    e(
        S::InProgress,
        S::Completed,
        P::WorkOrderExecute,
        &[R::MandatoryChecklistDone, R::FailureCodesIfRequired],
    ),
    e(S::Completed, S::Verified, P::WorkOrderVerify, &[]),
    e(S::Verified, S::Closed, P::WorkOrderClose, &[]),
    e(S::Completed, S::InProgress, P::WorkOrderReopen, &[R::Reason]),
    e(S::Requested, S::Cancelled, P::WorkOrderCancel, &[R::Reason]),
    e(S::Open, S::Cancelled, P::WorkOrderCancel, &[R::Reason]),
    e(S::Assigned, S::Cancelled, P::WorkOrderCancel, &[R::Reason]),
    e(S::InProgress, S::Cancelled, P::WorkOrderCancel, &[R::Reason]),
    e(S::OnHold, S::Cancelled, P::WorkOrderCancel, &[R::Reason]),
];

/// Minimum length of a reason, in characters.
pub const MIN_REASON: usize = 3;

/// The edge from `from` to `to`, if the machine has one.
pub fn edge(from: WorkOrderStatus, to: WorkOrderStatus) -> Option<&'static Edge> {
    EDGES.iter().find(|e| e.from == from && e.to == to)
}

/// The edge, or `InvalidTransition`.
pub fn require_edge(from: WorkOrderStatus, to: WorkOrderStatus) -> Result<&'static Edge> {
    edge(from, to).ok_or_else(|| CmmsError::InvalidTransition {
        from: from.as_str().into(),
        to: to.as_str().into(),
    })
}

/// What a transition comes with, beyond the target status.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// Reason (required for hold, cancel and reopen).
    pub reason: Option<String>,
    /// Notes recorded on completion.
    pub completion_notes: Option<String>,
    /// Failure codes recorded on completion.
    pub failure: Option<FailureReport>,
    /// The version the caller read; `None` checks against the version loaded by the use case.
    pub expected_version: Option<i64>,
}

impl TransitionInput {
    /// Input with only a reason.
    pub fn reason(reason: impl Into<String>) -> Self {
        Self { reason: Some(reason.into()), ..Self::default() }
    }
}

/// Facts the decision needs that are not on the work order itself.
#[derive(Debug, Clone, Copy)]
pub struct TransitionFacts<'a> {
    /// The work order's checklist.
    pub checklist: &'a [ChecklistItem],
    /// Whether the org requires failure codes on corrective completion.
    pub failure_codes_required: bool,
}

/// The outcome of a transition: the next version of the work order and its timeline entry.
#[derive(Debug, Clone)]
pub struct Transitioned {
    /// The work order after the change.
    pub work_order: WorkOrder,
    /// The timeline entry recording it.
    pub entry: TimelineEntry,
}

/// Decides a status change: checks the edge exists and its requirements hold, and applies the
/// side effects. Authorization (the edge's permission) is the caller's step before this.
pub fn decide_transition(
    wo: &WorkOrder,
    to: WorkOrderStatus,
    input: TransitionInput,
    facts: TransitionFacts<'_>,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Transitioned> {
    let edge = require_edge(wo.status, to)?;
    let mut p = Problems::new();
    let reason = validate::opt_text(&mut p, "reason", input.reason.as_deref(), 1000);
    let mut next = wo.clone();
    for req in edge.requires {
        check(*req, &mut p, &next, &reason, &input, facts);
    }
    if to == S::Completed {
        next.completion_notes =
            validate::opt_text(&mut p, "completion_notes", input.completion_notes.as_deref(), 5000);
        if let Some(f) = input.failure.clone() {
            next.failure = f;
        }
    }
    p.finish()?;
    apply_side_effects(&mut next, to, actor, now);
    next.status = to;
    next.updated_at = now;
    next.version += 1;
    let entry = TimelineEntry {
        id: TimelineId::new(),
        org_id: wo.org_id,
        work_order_id: wo.id,
        from_status: Some(wo.status),
        to_status: to,
        actor_id: actor,
        reason,
        at: now,
    };
    Ok(Transitioned { work_order: next, entry })
}

fn check(
    req: Requirement,
    p: &mut Problems,
    wo: &WorkOrder,
    reason: &Option<String>,
    input: &TransitionInput,
    facts: TransitionFacts<'_>,
) {
    match req {
        R::Reason => match reason {
            Some(r) if r.chars().count() >= MIN_REASON => {}
            _ => p.add("reason", format!("is required, at least {MIN_REASON} characters")),
        },
        R::MandatoryChecklistDone => {
            let open: Vec<&str> = facts
                .checklist
                .iter()
                .filter(|i| i.mandatory && i.result.is_none())
                .map(|i| i.label.as_str())
                .collect();
            if !open.is_empty() {
                p.add("checklist", format!("mandatory items not done: {}", open.join(", ")));
            }
        }
        R::FailureCodesIfRequired => {
            let corrective =
                matches!(wo.wo_type, WorkOrderType::Corrective | WorkOrderType::Emergency);
            let f = input.failure.as_ref().unwrap_or(&wo.failure);
            if facts.failure_codes_required && corrective {
                for (field, v) in [
                    ("failure.problem", &f.problem),
                    ("failure.cause", &f.cause),
                    ("failure.remedy", &f.remedy),
                ] {
                    if v.is_none() {
                        p.add(field, "is required to complete corrective work");
                    }
                }
            }
        }
        R::Assignee => {
            if wo.assignees.is_empty() && wo.team_id.is_none() {
                p.add("assignees", "at least one assignee or a team is required");
            }
        }
        R::NoAssignee => {
            if !wo.assignees.is_empty() || wo.team_id.is_some() {
                p.add("assignees", "work with people on it is assigned, not open");
            }
        }
    }
}

fn apply_side_effects(
    wo: &mut WorkOrder,
    to: WorkOrderStatus,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) {
    match to {
        S::InProgress => {
            wo.actual_start = wo.actual_start.or(Some(now));
            if wo.status == S::Completed {
                // Reopened: the completion no longer stands.
                wo.actual_end = None;
                wo.completion_notes = None;
                wo.failure = FailureReport::default();
            }
        }
        S::Completed => wo.actual_end = Some(now),
        S::Verified => {
            wo.verified_by = actor;
            wo.verified_at = Some(now);
        }
        S::Closed => wo.closed_at = Some(now),
        _ => {}
    }
}

/// The status a new work order starts in: `requested` when its creator may not approve work,
/// else `assigned` when someone is assigned, else `open`.
pub fn initial_status(can_approve: bool, has_assignee: bool) -> WorkOrderStatus {
    match (can_approve, has_assignee) {
        (false, _) => S::Requested,
        (true, true) => S::Assigned,
        (true, false) => S::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_a_sound_machine() {
        for s in WorkOrderStatus::ALL {
            let terminal = matches!(s, S::Closed | S::Cancelled);
            assert_eq!(s.is_terminal(), terminal, "{s}");
        }
        for s in [S::Requested, S::Open, S::Assigned, S::InProgress, S::OnHold] {
            assert!(
                edge(s, S::Cancelled).is_some_and(|e| e.requires.contains(&Requirement::Reason)),
                "{s}"
            );
        }
        for s in [S::Completed, S::Verified] {
            assert!(edge(s, S::Cancelled).is_none(), "no cancel after completion: {s}");
        }
        let pairs: std::collections::HashSet<_> = EDGES.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(pairs.len(), EDGES.len(), "no duplicate edges");
    }

    /// docs/concepts.md shows this table; every edge there is an edge here and back.
    #[test]
    fn the_guide_shows_the_table() {
        let guide = include_str!("../../../../docs/concepts.md");
        let table = guide.split("| from | to | permission | requires |\n").nth(1).unwrap_or("");
        let mut shown = Vec::new();
        for row in table.lines().skip(1).take_while(|l| l.starts_with('|')) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            for from in cells[1].split(", ") {
                shown.push(format!("{from} -> {} by {}", cells[2], cells[3].trim_matches('`')));
            }
        }
        let mut table: Vec<String> =
            EDGES.iter().map(|e| format!("{} -> {} by {}", e.from, e.to, e.permission)).collect();
        shown.sort();
        table.sort();
        assert_eq!(shown, table, "docs/concepts.md's status machine and EDGES differ");
    }
}
