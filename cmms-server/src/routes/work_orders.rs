//! Work orders: create, read, edit, delete, status changes, assignment, comments, checklist,
//! labor and timeline.

use super::Op;
use super::orgs::{Versioned, precondition};
use crate::extract::{Caller, IfMatch, JsonBody, ListQuery};
use crate::problem::ApiResult;
use crate::reply::{Ids, created, no_content, versioned};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{delete, get, patch, post, put};
use cmms_core::domain::checklist::{ChecklistItem, ChecklistResult, NewChecklistItem};
use cmms_core::domain::comment::Comment;
use cmms_core::domain::labor::{LaborEntry, NewLabor};
use cmms_core::domain::status::{TransitionInput, WorkOrderStatus};
use cmms_core::domain::timeline::TimelineEntry;
use cmms_core::domain::work_order::{FailureReport, NewWorkOrder, WorkOrder, WorkOrderPatch};
use cmms_core::service::Assignment;
use cmms_core::store::{Page, WorkOrderFilter};
use cmms_core::{ChecklistItemId, WorkOrderId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TransitionBody {
    /// The status to move to.
    to: WorkOrderStatus,
    /// Why (required to put on hold, cancel and reopen).
    #[serde(default)]
    reason: Option<String>,
    /// Notes on completion.
    #[serde(default)]
    completion_notes: Option<String>,
    /// Failure codes, on completion of corrective work.
    #[serde(default)]
    failure: Option<FailureReport>,
    /// The version the move was decided on (or send `If-Match`).
    #[serde(default)]
    expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    body: String,
    /// Staff-only comment (never shown to requesters).
    #[serde(default)]
    internal: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ChecklistResultBody {
    /// The result; `null` clears it.
    #[serde(default)]
    result: Option<ChecklistResult>,
    #[serde(default)]
    notes: Option<String>,
}

/// Time spent in one status.
#[derive(Debug, Serialize, JsonSchema)]
struct StatusTime {
    status: WorkOrderStatus,
    seconds: f64,
}

/// The status history.
#[derive(Debug, Serialize, JsonSchema)]
struct Timeline {
    entries: Vec<TimelineEntry>,
    time_in_status: Vec<StatusTime>,
}

async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<WorkOrderFilter>,
) -> ApiResult<Json<Page<WorkOrder>>> {
    Ok(Json(s.cmms().list_work_orders(&a, q).await?))
}

async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewWorkOrder>,
) -> ApiResult<Response> {
    let wo = s.cmms().create_work_order(&a, b).await?;
    Ok(created(Some(wo.version), &wo))
}

async fn get_one(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Response> {
    let wo = s.cmms().get_work_order(&a, id).await?;
    Ok(versioned(wo.version, &wo))
}

async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<WorkOrderPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let wo = precondition(s.cmms().update_work_order(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(wo.version, &wo))
}

async fn remove(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
    m: IfMatch,
) -> ApiResult<Response> {
    precondition(s.cmms().delete_work_order(&a, id, m.0).await, m)?;
    Ok(no_content())
}

async fn transition(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
    m: IfMatch,
    JsonBody(b): JsonBody<TransitionBody>,
) -> ApiResult<Response> {
    let input = TransitionInput {
        reason: b.reason,
        completion_notes: b.completion_notes,
        failure: b.failure,
        expected_version: m.0.or(b.expected_version),
    };
    let wo = precondition(s.cmms().transition_work_order(&a, id, b.to, input).await, m)?;
    Ok(versioned(wo.version, &wo))
}

async fn assign(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Assignment>,
) -> ApiResult<Response> {
    let assignment = Assignment { expected_version: m.0.or(b.expected_version), ..b };
    let wo = precondition(s.cmms().assign_work_order(&a, id, assignment).await, m)?;
    Ok(versioned(wo.version, &wo))
}

async fn self_assign(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Response> {
    let wo = s.cmms().self_assign(&a, id).await?;
    Ok(versioned(wo.version, &wo))
}

async fn comments(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Json<Vec<Comment>>> {
    Ok(Json(s.cmms().list_comments(&a, id).await?))
}

async fn comment(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
    JsonBody(b): JsonBody<CommentBody>,
) -> ApiResult<Response> {
    let c = s.cmms().add_comment(&a, id, &b.body, b.internal).await?;
    Ok(created(None, &c))
}

async fn checklist(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Json<Vec<ChecklistItem>>> {
    Ok(Json(s.cmms().list_checklist(&a, id).await?))
}

async fn add_item(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
    JsonBody(b): JsonBody<NewChecklistItem>,
) -> ApiResult<Response> {
    let item = s.cmms().add_checklist_item(&a, id, b).await?;
    Ok(created(Some(item.version), &item))
}

async fn record(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids((id, item)): Ids<(WorkOrderId, ChecklistItemId)>,
    JsonBody(b): JsonBody<ChecklistResultBody>,
) -> ApiResult<Response> {
    let item = s.cmms().record_checklist_result(&a, id, item, b.result, b.notes.as_deref()).await?;
    Ok(versioned(item.version, &item))
}

async fn labor(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Json<Vec<LaborEntry>>> {
    Ok(Json(s.cmms().list_labor(&a, id).await?))
}

async fn log_labor(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
    JsonBody(b): JsonBody<NewLabor>,
) -> ApiResult<Response> {
    let entry = s.cmms().log_labor(&a, id, b).await?;
    Ok(created(None, &entry))
}

async fn timeline(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Json<Timeline>> {
    let entries = s.cmms().timeline(&a, id).await?;
    let spent = cmms_core::domain::timeline::time_in_status(&entries, s.cmms().now());
    let time_in_status = spent
        .into_iter()
        .map(|(status, d)| StatusTime {
            status,
            seconds: d.num_microseconds().map_or(f64::MAX, |m| m as f64 / 1e6),
        })
        .collect();
    Ok(Json(Timeline { entries, time_in_status }))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get(
            "/work-orders",
            "listWorkOrders",
            "A page of the work orders the caller may see",
            get(list),
        )
        .query::<WorkOrderFilter>()
        .returns::<Page<WorkOrder>>(200),
        Op::post(
            "/work-orders",
            "createWorkOrder",
            "Create a work order (numbered by the organization)",
            post(create),
        )
        .body::<NewWorkOrder>()
        .returns::<WorkOrder>(201),
        Op::get("/work-orders/{id}", "getWorkOrder", "One work order", get(get_one))
            .returns::<WorkOrder>(200),
        Op::patch(
            "/work-orders/{id}",
            "updateWorkOrder",
            "Edit a work order's fields",
            patch(update),
        )
        .body::<Versioned<WorkOrderPatch>>()
        .returns::<WorkOrder>(200),
        Op::delete(
            "/work-orders/{id}",
            "deleteWorkOrder",
            "Delete a work order that has not started",
            delete(remove),
        ),
        Op::post(
            "/work-orders/{id}/transitions",
            "transitionWorkOrder",
            "Move along the status machine",
            post(transition),
        )
        .body::<TransitionBody>()
        .returns::<WorkOrder>(200),
        Op::post(
            "/work-orders/{id}/assign",
            "assignWorkOrder",
            "Replace assignees and team",
            post(assign),
        )
        .body::<Assignment>()
        .returns::<WorkOrder>(200),
        Op::post(
            "/work-orders/{id}/self-assign",
            "selfAssignWorkOrder",
            "Take an open, unassigned work order",
            post(self_assign),
        )
        .returns::<WorkOrder>(200),
        Op::get(
            "/work-orders/{id}/comments",
            "listComments",
            "Comments the caller may see",
            get(comments),
        )
        .returns::<Vec<Comment>>(200),
        Op::post("/work-orders/{id}/comments", "addComment", "Add a comment", post(comment))
            .body::<CommentBody>()
            .returns::<Comment>(201),
        Op::get("/work-orders/{id}/checklist", "listChecklist", "The checklist", get(checklist))
            .returns::<Vec<ChecklistItem>>(200),
        Op::post(
            "/work-orders/{id}/checklist",
            "addChecklistItem",
            "Add a checklist item",
            post(add_item),
        )
        .body::<NewChecklistItem>()
        .returns::<ChecklistItem>(201),
        Op::put(
            "/work-orders/{id}/checklist/{item_id}",
            "recordChecklistResult",
            "Record (or clear) a checklist result",
            put(record),
        )
        .body::<ChecklistResultBody>()
        .returns::<ChecklistItem>(200),
        Op::get("/work-orders/{id}/labor", "listLabor", "Labor entries", get(labor))
            .returns::<Vec<LaborEntry>>(200),
        Op::post("/work-orders/{id}/labor", "logLabor", "Log labor", post(log_labor))
            .body::<NewLabor>()
            .returns::<LaborEntry>(201),
        Op::get(
            "/work-orders/{id}/timeline",
            "workOrderTimeline",
            "Status history and time in each status",
            get(timeline),
        )
        .returns::<Timeline>(200),
    ]
}
