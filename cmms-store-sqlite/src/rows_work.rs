//! Row mapping of work orders and what hangs off them, and of requests.

use crate::rows::{enum_col, flag, hex_ids, id, json, opt_enum, opt_id, opt_ts, ts};
use cmms_core::domain::checklist::ChecklistItem;
use cmms_core::domain::comment::Comment;
use cmms_core::domain::labor::LaborEntry;
use cmms_core::domain::request::Request;
use cmms_core::domain::timeline::TimelineEntry;
use cmms_core::domain::work_order::{FailureReport, WorkOrder};
use rusqlite::Row;

/// A work order; the query selects `assignee_hex` (see `reads::WO_SELECT`).
pub(crate) fn work_order(row: &Row<'_>) -> rusqlite::Result<WorkOrder> {
    Ok(WorkOrder {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        number: row.get("number")?,
        title: row.get("title")?,
        description: row.get("description")?,
        wo_type: enum_col(row, "wo_type")?,
        priority: enum_col(row, "priority")?,
        category: row.get("category")?,
        status: enum_col(row, "status")?,
        site_id: id(row, "site_id")?,
        location_id: opt_id(row, "location_id")?,
        asset_id: opt_id(row, "asset_id")?,
        assignees: hex_ids(row, "assignee_hex")?,
        team_id: opt_id(row, "team_id")?,
        requested_by: opt_id(row, "requested_by")?,
        created_by: opt_id(row, "created_by")?,
        request_id: opt_id(row, "request_id")?,
        due_at: opt_ts(row, "due_at")?,
        estimated_hours: row.get("estimated_hours")?,
        actual_start: opt_ts(row, "actual_start")?,
        actual_end: opt_ts(row, "actual_end")?,
        verified_by: opt_id(row, "verified_by")?,
        verified_at: opt_ts(row, "verified_at")?,
        closed_at: opt_ts(row, "closed_at")?,
        completion_notes: row.get("completion_notes")?,
        failure: FailureReport {
            problem: row.get("failure_problem")?,
            cause: row.get("failure_cause")?,
            remedy: row.get("failure_remedy")?,
        },
        attachments: json(row, "attachments")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
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
