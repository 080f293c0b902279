//! Webhook subscriptions over HTTP (admins: `webhook.manage`): create (the secret shown once),
//! list, read, change, delete, the delivery log, replay from a sequence number, and a test
//! message sent at once through the server's HTTP sender.

use super::Op;
use crate::extract::{Caller, JsonBody, ListQuery};
use crate::problem::ApiResult;
use crate::reply::{Ids, created, no_content};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{delete, get, patch, post};
use cmms_core::domain::webhook::{NewWebhook, Webhook, WebhookDelivery, WebhookPatch};
use cmms_core::ids::WebhookId;
use cmms_core::service::DeliveryFilter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A new subscription and its signing secret, shown this once.
#[derive(Debug, Serialize, JsonSchema)]
struct CreatedWebhook {
    webhook: Webhook,
    /// `whsec_...`: verify each request's `webhook-signature` with it (Standard Webhooks).
    secret: String,
}

/// Where a replay starts.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    /// The first event to send again (its sequence number, as in `data.seq`).
    from_seq: i64,
}

async fn list(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(s.cmms().list_webhooks(&a).await?))
}

async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewWebhook>,
) -> ApiResult<Response> {
    let (webhook, secret) = s.cmms().create_webhook(&a, b).await?;
    Ok(created(None, &CreatedWebhook { webhook, secret }))
}

async fn read(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WebhookId>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(s.cmms().get_webhook(&a, id).await?))
}

async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WebhookId>,
    JsonBody(b): JsonBody<WebhookPatch>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(s.cmms().update_webhook(&a, id, b).await?))
}

async fn remove(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WebhookId>,
) -> ApiResult<Response> {
    s.cmms().delete_webhook(&a, id).await?;
    Ok(no_content())
}

async fn deliveries(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WebhookId>,
    ListQuery(q): ListQuery<DeliveryFilter>,
) -> ApiResult<Json<Vec<WebhookDelivery>>> {
    Ok(Json(s.cmms().webhook_deliveries(&a, id, &q).await?))
}

async fn replay(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WebhookId>,
    JsonBody(b): JsonBody<ReplayBody>,
) -> ApiResult<Json<Webhook>> {
    let hook = s.cmms().replay_webhook(&a, id, b.from_seq).await?;
    crate::webhooks::deliver_soon(&s, a.org());
    Ok(Json(hook))
}

async fn test(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WebhookId>,
) -> ApiResult<Json<WebhookDelivery>> {
    let sender = s.webhook_sender();
    Ok(Json(s.cmms().test_webhook(&a, id, sender.as_ref()).await?))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get("/webhooks", "listWebhooks", "Webhook subscriptions (without secrets)", get(list))
            .returns::<Vec<Webhook>>(200),
        Op::post(
            "/webhooks",
            "createWebhook",
            "Subscribe a URL to events (the secret is shown once)",
            post(create),
        )
        .body::<NewWebhook>()
        .returns::<CreatedWebhook>(201),
        Op::get("/webhooks/{id}", "getWebhook", "One subscription", get(read))
            .returns::<Webhook>(200),
        Op::patch(
            "/webhooks/{id}",
            "updateWebhook",
            "Change a subscription (active: true turns a disabled one back on)",
            patch(update),
        )
        .body::<WebhookPatch>()
        .returns::<Webhook>(200),
        Op::delete(
            "/webhooks/{id}",
            "deleteWebhook",
            "Delete a subscription and its log",
            delete(remove),
        ),
        Op::get(
            "/webhooks/{id}/deliveries",
            "listWebhookDeliveries",
            "The delivery log, newest first",
            get(deliveries),
        )
        .query::<DeliveryFilter>()
        .returns::<Vec<WebhookDelivery>>(200),
        Op::post(
            "/webhooks/{id}/replay",
            "replayWebhook",
            "Send events again from a sequence number on",
            post(replay),
        )
        .body::<ReplayBody>()
        .returns::<Webhook>(200),
        Op::post(
            "/webhooks/{id}/test",
            "testWebhook",
            "Send a webhook.test message now",
            post(test),
        )
        .returns::<WebhookDelivery>(200),
    ]
}
