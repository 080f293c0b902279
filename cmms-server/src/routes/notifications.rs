//! In-app notifications of the caller: list, read state, unread count, channel preferences
//! (the caller's and the organization's defaults), and watching work orders.

use super::Op;
use crate::extract::{Caller, JsonBody, ListQuery};
use crate::problem::ApiResult;
use crate::reply::{Ids, no_content};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post, put};
use cmms_core::domain::notification::{
    Channels, Notification, NotificationKind, Preference, Watch,
};
use cmms_core::service::{NotificationFilter, UnreadCount};
use cmms_core::store::Page;
use cmms_core::{NotificationId, WorkOrderId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Channel choices for the kinds named (other kinds keep theirs).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PreferencesBody {
    /// Per notification kind, the channels to use.
    channels: BTreeMap<NotificationKind, Channels>,
}

/// How many notifications were marked read.
#[derive(Debug, Serialize, JsonSchema)]
struct Marked {
    /// The count.
    marked: u64,
}

/// Whether the caller watches the work order.
#[derive(Debug, Serialize, JsonSchema)]
struct Watching {
    /// Watching or not.
    watching: bool,
}

async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<NotificationFilter>,
) -> ApiResult<Json<Page<Notification>>> {
    Ok(Json(s.cmms().list_notifications(&a, q).await?))
}

async fn read(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<NotificationId>,
) -> ApiResult<Json<Notification>> {
    Ok(Json(s.cmms().mark_notification_read(&a, id).await?))
}

async fn read_all(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Marked>> {
    Ok(Json(Marked { marked: s.cmms().mark_all_notifications_read(&a).await? }))
}

async fn unread_count(
    State(s): State<AppState>,
    Caller(a): Caller,
) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(s.cmms().unread_notification_count(&a).await?))
}

async fn my_preferences(
    State(s): State<AppState>,
    Caller(a): Caller,
) -> ApiResult<Json<Vec<Preference>>> {
    Ok(Json(s.cmms().notification_preferences(&a).await?))
}

async fn set_my_preferences(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<PreferencesBody>,
) -> ApiResult<Json<Vec<Preference>>> {
    Ok(Json(s.cmms().set_notification_preferences(&a, b.channels).await?))
}

async fn org_defaults(
    State(s): State<AppState>,
    Caller(a): Caller,
) -> ApiResult<Json<Vec<Preference>>> {
    Ok(Json(s.cmms().org_notification_defaults(&a).await?))
}

async fn set_org_defaults(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<PreferencesBody>,
) -> ApiResult<Json<Vec<Preference>>> {
    Ok(Json(s.cmms().set_org_notification_defaults(&a, b.channels).await?))
}

async fn watching(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Json<Watching>> {
    Ok(Json(Watching { watching: s.cmms().is_watching(&a, id).await? }))
}

async fn watch(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Json<Watch>> {
    Ok(Json(s.cmms().watch_work_order(&a, id).await?))
}

async fn unwatch(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Response> {
    s.cmms().unwatch_work_order(&a, id).await?;
    Ok(no_content())
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get("/notifications", "listNotifications", "My notifications, newest first", get(list))
            .query::<NotificationFilter>()
            .returns::<Page<Notification>>(200),
        Op::post("/notifications/{id}/read", "readNotification", "Mark one read", post(read))
            .returns::<Notification>(200),
        Op::post(
            "/notifications/read-all",
            "readAllNotifications",
            "Mark all read",
            post(read_all),
        )
        .returns::<Marked>(200),
        Op::get(
            "/notifications/unread-count",
            "unreadNotificationCount",
            "How many are unread",
            get(unread_count),
        )
        .returns::<UnreadCount>(200),
        Op::get(
            "/me/notification-preferences",
            "myNotificationPreferences",
            "My channels per notification kind",
            get(my_preferences),
        )
        .returns::<Vec<Preference>>(200),
        Op::patch(
            "/me/notification-preferences",
            "setMyNotificationPreferences",
            "Set my channels for the kinds named",
            axum::routing::patch(set_my_preferences),
        )
        .body::<PreferencesBody>()
        .returns::<Vec<Preference>>(200),
        Op::get(
            "/orgs/current/notification-defaults",
            "orgNotificationDefaults",
            "The organization's default channels",
            get(org_defaults),
        )
        .returns::<Vec<Preference>>(200),
        Op::patch(
            "/orgs/current/notification-defaults",
            "setOrgNotificationDefaults",
            "Set the organization's default channels for the kinds named",
            axum::routing::patch(set_org_defaults),
        )
        .body::<PreferencesBody>()
        .returns::<Vec<Preference>>(200),
        Op::get("/work-orders/{id}/watch", "isWatching", "Whether I watch it", get(watching))
            .returns::<Watching>(200),
        Op::put("/work-orders/{id}/watch", "watchWorkOrder", "Watch a work order", put(watch))
            .returns::<Watch>(200),
        Op::delete(
            "/work-orders/{id}/watch",
            "unwatchWorkOrder",
            "Stop watching a work order",
            axum::routing::delete(unwatch),
        ),
    ]
}
