//! Assets, their children and their maintenance history.

use super::Op;
use super::orgs::{Versioned, precondition};
use crate::extract::{Caller, IfMatch, JsonBody, ListQuery};
use crate::problem::ApiResult;
use crate::reply::{Ids, created, versioned};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, patch, post};
use cmms_core::AssetId;
use cmms_core::domain::asset::{Asset, AssetPatch, NewAsset};
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::store::{AssetFilter, Page};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    cursor: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<AssetFilter>,
) -> ApiResult<Json<Page<Asset>>> {
    Ok(Json(s.cmms().list_assets(&a, q).await?))
}

async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewAsset>,
) -> ApiResult<Response> {
    let asset = s.cmms().create_asset(&a, b).await?;
    Ok(created(Some(asset.version), &asset))
}

async fn get_one(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<AssetId>,
) -> ApiResult<Response> {
    let asset = s.cmms().get_asset(&a, id).await?;
    Ok(versioned(asset.version, &asset))
}

async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<AssetId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<AssetPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let asset = precondition(s.cmms().update_asset(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(asset.version, &asset))
}

async fn children(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<AssetId>,
    ListQuery(q): ListQuery<PageQuery>,
) -> ApiResult<Json<Page<Asset>>> {
    Ok(Json(s.cmms().asset_children(&a, id, q.limit, q.cursor).await?))
}

/// The asset's maintenance history: work orders on it and on its sub-assets, newest first.
async fn history(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<AssetId>,
    ListQuery(q): ListQuery<PageQuery>,
) -> ApiResult<Json<Page<WorkOrder>>> {
    Ok(Json(s.cmms().asset_history(&a, id, q.limit, q.cursor).await?))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get("/assets", "listAssets", "A page of assets, by name", get(list))
            .query::<AssetFilter>()
            .returns::<Page<Asset>>(200),
        Op::post("/assets", "createAsset", "Create an asset", post(create))
            .body::<NewAsset>()
            .returns::<Asset>(201),
        Op::get("/assets/{id}", "getAsset", "One asset", get(get_one)).returns::<Asset>(200),
        Op::patch("/assets/{id}", "updateAsset", "Change or move an asset", patch(update))
            .body::<Versioned<AssetPatch>>()
            .returns::<Asset>(200),
        Op::get(
            "/assets/{id}/children",
            "assetChildren",
            "The asset's direct children",
            get(children),
        )
        .query::<PageQuery>()
        .returns::<Page<Asset>>(200),
        Op::get(
            "/assets/{id}/history",
            "assetHistory",
            "Work orders on the asset and its sub-assets",
            get(history),
        )
        .query::<PageQuery>()
        .returns::<Page<WorkOrder>>(200),
    ]
}
