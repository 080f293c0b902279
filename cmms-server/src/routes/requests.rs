//! Requests: the customer intake, its review, and the requester's confirmation of the work.

use super::Op;
use super::orgs::{Versioned, precondition};
use crate::extract::{Caller, IfMatch, JsonBody, ListQuery};
use crate::problem::ApiResult;
use crate::reply::{Ids, created, versioned};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use cmms_core::RequestId;
use cmms_core::domain::request::{ApproveRequest, NewRequest, Request, RequestPatch};
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::store::{Page, RequestFilter};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    /// Why (at least 3 characters).
    reason: String,
}

/// An approved request and the work order it created.
#[derive(Debug, Serialize, JsonSchema)]
struct Approved {
    request: Request,
    work_order: WorkOrder,
}

async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<RequestFilter>,
) -> ApiResult<Json<Page<Request>>> {
    Ok(Json(s.cmms().list_requests(&a, q).await?))
}

async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewRequest>,
) -> ApiResult<Response> {
    let r = s.cmms().create_request(&a, b).await?;
    Ok(created(Some(r.version), &r))
}

async fn get_one(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RequestId>,
) -> ApiResult<Response> {
    let r = s.cmms().get_request(&a, id).await?;
    Ok(versioned(r.version, &r))
}

async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RequestId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<RequestPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let r = precondition(s.cmms().update_request(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(r.version, &r))
}

async fn submit(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RequestId>,
) -> ApiResult<Response> {
    let r = s.cmms().submit_request(&a, id).await?;
    Ok(versioned(r.version, &r))
}

async fn cancel(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RequestId>,
) -> ApiResult<Response> {
    let r = s.cmms().cancel_request(&a, id).await?;
    Ok(versioned(r.version, &r))
}

async fn approve(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RequestId>,
    JsonBody(b): JsonBody<ApproveRequest>,
) -> ApiResult<Response> {
    let (request, work_order) = s.cmms().approve_request(&a, id, b).await?;
    Ok(versioned(request.version, &Approved { request, work_order }))
}

async fn reject(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RequestId>,
    JsonBody(b): JsonBody<ReasonBody>,
) -> ApiResult<Response> {
    let r = s.cmms().reject_request(&a, id, &b.reason).await?;
    Ok(versioned(r.version, &r))
}

async fn confirm(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RequestId>,
) -> ApiResult<Response> {
    // The answer is the work order, not the request: no ETag, which would name the wrong record.
    let wo = s.cmms().confirm_completion(&a, id).await?;
    Ok(Json(wo).into_response())
}

async fn reject_completion(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RequestId>,
    JsonBody(b): JsonBody<ReasonBody>,
) -> ApiResult<Response> {
    let wo = s.cmms().reject_completion(&a, id, &b.reason).await?;
    Ok(Json(wo).into_response())
}

async fn work_order(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RequestId>,
) -> ApiResult<Json<Option<WorkOrder>>> {
    Ok(Json(s.cmms().request_work_order(&a, id).await?))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get(
            "/requests",
            "listRequests",
            "A page of the requests the caller may see",
            get(list),
        )
        .query::<RequestFilter>()
        .returns::<Page<Request>>(200),
        Op::post(
            "/requests",
            "createRequest",
            "File a request (a draft, or submitted at once)",
            post(create),
        )
        .body::<NewRequest>()
        .returns::<Request>(201),
        Op::get("/requests/{id}", "getRequest", "One request", get(get_one))
            .returns::<Request>(200),
        Op::patch("/requests/{id}", "updateRequest", "Edit a draft request", patch(update))
            .body::<Versioned<RequestPatch>>()
            .returns::<Request>(200),
        Op::post("/requests/{id}/submit", "submitRequest", "Submit a draft", post(submit))
            .returns::<Request>(200),
        Op::post("/requests/{id}/cancel", "cancelRequest", "Withdraw a request", post(cancel))
            .returns::<Request>(200),
        Op::post(
            "/requests/{id}/approve",
            "approveRequest",
            "Approve: creates the work order",
            post(approve),
        )
        .body::<ApproveRequest>()
        .returns::<Approved>(200),
        Op::post("/requests/{id}/reject", "rejectRequest", "Reject with a reason", post(reject))
            .body::<ReasonBody>()
            .returns::<Request>(200),
        Op::post(
            "/requests/{id}/confirm",
            "confirmCompletion",
            "The requester confirms the finished work",
            post(confirm),
        )
        .returns::<WorkOrder>(200),
        Op::post(
            "/requests/{id}/reject-completion",
            "rejectCompletion",
            "The requester rejects the finished work",
            post(reject_completion),
        )
        .body::<ReasonBody>()
        .returns::<WorkOrder>(200),
        Op::get(
            "/requests/{id}/work-order",
            "requestWorkOrder",
            "The work order the request led to",
            get(work_order),
        )
        .returns::<Option<WorkOrder>>(200),
    ]
}
