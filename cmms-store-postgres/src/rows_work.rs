//! Row mapping of work orders and what hangs off them, and of requests.

use crate::rows::{RowResult, enum_col, get, id, ids, json, opt_enum, opt_id, opt_ts, small, ts};
use cmms_core::domain::checklist::ChecklistItem;
use cmms_core::domain::comment::Comment;
use cmms_core::domain::labor::LaborEntry;
use cmms_core::domain::request::Request;
use cmms_core::domain::timeline::TimelineEntry;
use cmms_core::domain::work_order::{FailureReport, WorkOrder};
use sqlx::postgres::PgRow;

/// A work order; the query selects `assignee_ids` (see `reads::WO_SELECT`).
pub(crate) fn work_order(row: &PgRow) -> RowResult<WorkOrder> {
    Ok(WorkOrder {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        number: get(row, "number")?,
        title: get(row, "title")?,
        description: get(row, "description")?,
        wo_type: enum_col(row, "wo_type")?,
        priority: enum_col(row, "priority")?,
        category: get(row, "category")?,
        status: enum_col(row, "status")?,
        site_id: id(row, "site_id")?,
        location_id: opt_id(row, "location_id")?,
        asset_id: opt_id(row, "asset_id")?,
        assignees: ids(row, "assignee_ids")?,
        team_id: opt_id(row, "team_id")?,
        requested_by: opt_id(row, "requested_by")?,
        created_by: opt_id(row, "created_by")?,
        request_id: opt_id(row, "request_id")?,
        due_at: opt_ts(row, "due_at")?,
        estimated_hours: get(row, "estimated_hours")?,
        actual_start: opt_ts(row, "actual_start")?,
        actual_end: opt_ts(row, "actual_end")?,
        verified_by: opt_id(row, "verified_by")?,
        verified_at: opt_ts(row, "verified_at")?,
        closed_at: opt_ts(row, "closed_at")?,
        completion_notes: get(row, "completion_notes")?,
        failure: FailureReport {
            problem: get(row, "failure_problem")?,
            cause: get(row, "failure_cause")?,
            remedy: get(row, "failure_remedy")?,
        },
        attachments: json(row, "attachments")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
}

/// A timeline entry.
pub(crate) fn timeline(row: &PgRow) -> RowResult<TimelineEntry> {
    Ok(TimelineEntry {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        work_order_id: id(row, "work_order_id")?,
        from_status: opt_enum(row, "from_status")?,
        to_status: enum_col(row, "to_status")?,
        actor_id: opt_id(row, "actor_id")?,
        reason: get(row, "reason")?,
        at: ts(row, "at")?,
    })
}

/// A comment.
pub(crate) fn comment(row: &PgRow) -> RowResult<Comment> {
    Ok(Comment {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        work_order_id: id(row, "work_order_id")?,
        author_id: opt_id(row, "author_id")?,
        body: get(row, "body")?,
        internal: get(row, "internal")?,
        created_at: ts(row, "created_at")?,
    })
}

/// A checklist item.
pub(crate) fn checklist_item(row: &PgRow) -> RowResult<ChecklistItem> {
    Ok(ChecklistItem {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        work_order_id: id(row, "work_order_id")?,
        position: small(row, "position")?,
        label: get(row, "label")?,
        mandatory: get(row, "mandatory")?,
        result: opt_enum(row, "result")?,
        notes: get(row, "notes")?,
        completed_by: opt_id(row, "completed_by")?,
        completed_at: opt_ts(row, "completed_at")?,
        version: get(row, "version")?,
    })
}

/// A labor entry.
pub(crate) fn labor(row: &PgRow) -> RowResult<LaborEntry> {
    Ok(LaborEntry {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        work_order_id: id(row, "work_order_id")?,
        user_id: id(row, "user_id")?,
        started_at: ts(row, "started_at")?,
        ended_at: opt_ts(row, "ended_at")?,
        minutes: get(row, "minutes")?,
        category: enum_col(row, "category")?,
        notes: get(row, "notes")?,
        created_by: opt_id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
    })
}

/// A request.
pub(crate) fn request(row: &PgRow) -> RowResult<Request> {
    Ok(Request {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        number: get(row, "number")?,
        title: get(row, "title")?,
        description: get(row, "description")?,
        site_id: id(row, "site_id")?,
        location_id: opt_id(row, "location_id")?,
        asset_id: opt_id(row, "asset_id")?,
        priority: enum_col(row, "priority")?,
        status: enum_col(row, "status")?,
        requested_by: id(row, "requested_by")?,
        work_order_id: opt_id(row, "work_order_id")?,
        rejection_reason: get(row, "rejection_reason")?,
        attachments: json(row, "attachments")?,
        submitted_at: opt_ts(row, "submitted_at")?,
        reviewed_by: opt_id(row, "reviewed_by")?,
        reviewed_at: opt_ts(row, "reviewed_at")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
}
