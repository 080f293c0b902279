//! Row mapping of work orders and what hangs off them, and of requests.

use crate::rows::{enum_col, flag, hex_ids, id, json, opt_enum, opt_id, opt_ts, ts};
use cmms_core::domain::checklist::ChecklistItem;
use cmms_core::domain::comment::Comment;
use cmms_core::domain::labor::LaborEntry;
use cmms_core::domain::request::Request;
use cmms_core::domain::timeline::TimelineEntry;
use cmms_core::domain::work_order::{FailureReport, WorkOrder};
use rusqlite::Row;

/// The columns of `reads::WO_SELECT`, in order: the table's (`w.*`), then `assignee_hex`.
/// Work orders are the hot record (every get and list), so their mapper reads by position:
/// looking a name up costs a scan of the statement's columns per value, which profiling
/// showed as about a third of a list's CPU (benches/BENCHMARKS.md). A test checks this list
/// against the statement, so a schema change cannot shift the positions silently.
pub(crate) const WORK_ORDER_COLUMNS: &[&str] = &[
    "org_id",
    "id",
    "number",
    "title",
    "description",
    "wo_type",
    "priority",
    "priority_rank",
    "category",
    "status",
    "site_id",
    "location_id",
    "asset_id",
    "team_id",
    "requested_by",
    "created_by",
    "request_id",
    "due_at",
    "estimated_hours",
    "actual_start",
    "actual_end",
    "verified_by",
    "verified_at",
    "closed_at",
    "completion_notes",
    "failure_problem",
    "failure_cause",
    "failure_remedy",
    "attachments",
    "created_at",
    "updated_at",
    "version",
    "assignee_hex",
];

/// The position of a work-order column, computed at compile time.
macro_rules! at {
    ($name:literal) => {{
        const AT: usize = crate::rows::position(WORK_ORDER_COLUMNS, $name);
        AT
    }};
}

/// A work order; the query selects `assignee_hex` (see `reads::WO_SELECT`).
pub(crate) fn work_order(row: &Row<'_>) -> rusqlite::Result<WorkOrder> {
    Ok(WorkOrder {
        id: id(row, at!("id"))?,
        org_id: id(row, at!("org_id"))?,
        number: row.get(at!("number"))?,
        title: row.get(at!("title"))?,
        description: row.get(at!("description"))?,
        wo_type: enum_col(row, at!("wo_type"))?,
        priority: enum_col(row, at!("priority"))?,
        category: row.get(at!("category"))?,
        status: enum_col(row, at!("status"))?,
        site_id: id(row, at!("site_id"))?,
        location_id: opt_id(row, at!("location_id"))?,
        asset_id: opt_id(row, at!("asset_id"))?,
        assignees: hex_ids(row, at!("assignee_hex"))?,
        team_id: opt_id(row, at!("team_id"))?,
        requested_by: opt_id(row, at!("requested_by"))?,
        created_by: opt_id(row, at!("created_by"))?,
        request_id: opt_id(row, at!("request_id"))?,
        due_at: opt_ts(row, at!("due_at"))?,
        estimated_hours: row.get(at!("estimated_hours"))?,
        actual_start: opt_ts(row, at!("actual_start"))?,
        actual_end: opt_ts(row, at!("actual_end"))?,
        verified_by: opt_id(row, at!("verified_by"))?,
        verified_at: opt_ts(row, at!("verified_at"))?,
        closed_at: opt_ts(row, at!("closed_at"))?,
        completion_notes: row.get(at!("completion_notes"))?,
        failure: FailureReport {
            problem: row.get(at!("failure_problem"))?,
            cause: row.get(at!("failure_cause"))?,
            remedy: row.get(at!("failure_remedy"))?,
        },
        attachments: json(row, at!("attachments"))?,
        created_at: ts(row, at!("created_at"))?,
        updated_at: ts(row, at!("updated_at"))?,
        version: row.get(at!("version"))?,
    })
}

/// A timeline entry.
pub(crate) fn timeline(row: &Row<'_>) -> rusqlite::Result<TimelineEntry> {
    Ok(TimelineEntry {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        work_order_id: id(row, "work_order_id")?,
        from_status: opt_enum(row, "from_status")?,
        to_status: enum_col(row, "to_status")?,
        actor_id: opt_id(row, "actor_id")?,
        reason: row.get("reason")?,
        at: ts(row, "at")?,
    })
}

/// A comment.
pub(crate) fn comment(row: &Row<'_>) -> rusqlite::Result<Comment> {
    Ok(Comment {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        work_order_id: id(row, "work_order_id")?,
        author_id: opt_id(row, "author_id")?,
        body: row.get("body")?,
        internal: flag(row, "internal")?,
        created_at: ts(row, "created_at")?,
    })
}

/// A checklist item.
pub(crate) fn checklist_item(row: &Row<'_>) -> rusqlite::Result<ChecklistItem> {
    Ok(ChecklistItem {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        work_order_id: id(row, "work_order_id")?,
        position: row.get("position")?,
        label: row.get("label")?,
        mandatory: flag(row, "mandatory")?,
        result: opt_enum(row, "result")?,
        notes: row.get("notes")?,
        completed_by: opt_id(row, "completed_by")?,
        completed_at: opt_ts(row, "completed_at")?,
        version: row.get("version")?,
    })
}

/// A labor entry.
pub(crate) fn labor(row: &Row<'_>) -> rusqlite::Result<LaborEntry> {
    Ok(LaborEntry {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        work_order_id: id(row, "work_order_id")?,
        user_id: id(row, "user_id")?,
        started_at: ts(row, "started_at")?,
        ended_at: opt_ts(row, "ended_at")?,
        minutes: row.get("minutes")?,
        category: enum_col(row, "category")?,
        notes: row.get("notes")?,
        created_by: opt_id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
    })
}

/// A request.
pub(crate) fn request(row: &Row<'_>) -> rusqlite::Result<Request> {
    Ok(Request {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        number: row.get("number")?,
        title: row.get("title")?,
        description: row.get("description")?,
        site_id: id(row, "site_id")?,
        location_id: opt_id(row, "location_id")?,
        asset_id: opt_id(row, "asset_id")?,
        priority: enum_col(row, "priority")?,
        status: enum_col(row, "status")?,
        requested_by: id(row, "requested_by")?,
        work_order_id: opt_id(row, "work_order_id")?,
        rejection_reason: row.get("rejection_reason")?,
        attachments: json(row, "attachments")?,
        submitted_at: opt_ts(row, "submitted_at")?,
        reviewed_by: opt_id(row, "reviewed_by")?,
        reviewed_at: opt_ts(row, "reviewed_at")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
    })
}

#[cfg(test)]
mod tests {
    use super::WORK_ORDER_COLUMNS;
    use crate::rows::position;

    #[test]
    fn work_order_columns_match_the_statement() {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        crate::migrate::up(&mut c).unwrap();
        let stmt = c.prepare(crate::reads::WO_SELECT).unwrap();
        assert_eq!(stmt.column_names(), WORK_ORDER_COLUMNS);
    }

    #[test]
    fn positions_are_found_and_missing_names_are_out_of_range() {
        assert_eq!(position(WORK_ORDER_COLUMNS, "org_id"), 0);
        assert_eq!(position(WORK_ORDER_COLUMNS, "assignee_hex"), 32);
        assert_eq!(position(WORK_ORDER_COLUMNS, "no_such_column"), usize::MAX);
    }
}
