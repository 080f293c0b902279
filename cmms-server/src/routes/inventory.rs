//! Parts, stock locations, stock and its ledger, the low-stock list, parts and costs on work
//! orders, and what an asset's work cost (issue 14). Handlers only translate: every rule is
//! core's.

use super::Op;
use super::orgs::{Versioned, precondition};
use crate::extract::{Caller, IfMatch, JsonBody, ListQuery};
use crate::problem::ApiResult;
use crate::reply::{Ids, created, versioned};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, patch, post, put};
use cmms_core::domain::inventory::{
    CostSummary, NewPart, NewStockLocation, NewWorkOrderCost, Part, PartPatch, PartsRequest, Stock,
    StockLevels, StockLocation, StockLocationPatch, StockMovement, WorkOrderCost, WorkOrderPart,
};
use cmms_core::ids::{PartId, StockLocationId};
use cmms_core::service::{
    LowStockItem, LowStockQuery, MovementFilter, PartFilter, StockFilter, StockInput,
    StockLocationFilter, TransferInput,
};
use cmms_core::store::Page;
use cmms_core::{AssetId, WorkOrderId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

async fn list_parts(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<PartFilter>,
) -> ApiResult<Json<Page<Part>>> {
    Ok(Json(s.cmms().list_parts(&a, q).await?))
}

async fn create_part(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewPart>,
) -> ApiResult<Response> {
    let part = s.cmms().create_part(&a, b).await?;
    Ok(created(Some(part.version), &part))
}

async fn get_part(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PartId>,
) -> ApiResult<Response> {
    let part = s.cmms().get_part(&a, id).await?;
    Ok(versioned(part.version, &part))
}

async fn update_part(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PartId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<PartPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let part = precondition(s.cmms().update_part(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(part.version, &part))
}

async fn list_locations(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<StockLocationFilter>,
) -> ApiResult<Json<Page<StockLocation>>> {
    Ok(Json(s.cmms().list_stock_locations(&a, q).await?))
}

async fn create_location(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewStockLocation>,
) -> ApiResult<Response> {
    let loc = s.cmms().create_stock_location(&a, b).await?;
    Ok(created(Some(loc.version), &loc))
}

async fn get_location(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<StockLocationId>,
) -> ApiResult<Response> {
    let loc = s.cmms().get_stock_location(&a, id).await?;
    Ok(versioned(loc.version, &loc))
}

async fn update_location(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<StockLocationId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<StockLocationPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let loc = precondition(s.cmms().update_stock_location(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(loc.version, &loc))
}

async fn list_stock(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<StockFilter>,
) -> ApiResult<Json<Page<Stock>>> {
    Ok(Json(s.cmms().list_stock(&a, q).await?))
}

async fn movements(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<MovementFilter>,
) -> ApiResult<Json<Page<StockMovement>>> {
    Ok(Json(s.cmms().list_stock_movements(&a, q).await?))
}

async fn receive(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<StockInput>,
) -> ApiResult<Response> {
    let m = s.cmms().receive_stock(&a, b).await?;
    Ok(created(None, &m))
}

async fn adjust(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<StockInput>,
) -> ApiResult<Response> {
    let m = s.cmms().adjust_stock(&a, b).await?;
    Ok(created(None, &m))
}

async fn count(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<StockInput>,
) -> ApiResult<Response> {
    let m = s.cmms().count_stock(&a, b).await?;
    Ok(created(None, &m))
}

/// The two movements of a transfer.
#[derive(Debug, Serialize, JsonSchema)]
struct Transfer {
    /// Out of the source location.
    out: StockMovement,
    /// Into the destination.
    #[serde(rename = "in")]
    into: StockMovement,
}

async fn transfer(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<TransferInput>,
) -> ApiResult<Response> {
    let (out, into) = s.cmms().transfer_stock(&a, b).await?;
    Ok(created(None, &Transfer { out, into }))
}

/// Stock levels of a part at one location.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LevelsBody {
    /// The part.
    part_id: PartId,
    /// The location.
    location_id: StockLocationId,
    /// The levels here; `null` to follow the part's defaults again.
    levels: Option<StockLevels>,
}

async fn set_levels(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<LevelsBody>,
) -> ApiResult<Response> {
    let stock = s.cmms().set_stock_levels(&a, b.part_id, b.location_id, b.levels).await?;
    Ok(versioned(stock.version, &stock))
}

async fn low_stock(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<LowStockQuery>,
) -> ApiResult<Json<Page<LowStockItem>>> {
    Ok(Json(s.cmms().low_stock(&a, q).await?))
}

async fn wo_parts(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Json<Vec<WorkOrderPart>>> {
    Ok(Json(s.cmms().work_order_parts(&a, id).await?))
}

async fn change_wo_parts(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
    JsonBody(b): JsonBody<PartsRequest>,
) -> ApiResult<Response> {
    let line = s.cmms().change_work_order_parts(&a, id, b).await?;
    Ok(versioned(line.version, &line))
}

async fn wo_cost(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Json<CostSummary>> {
    Ok(Json(s.cmms().work_order_cost(&a, id).await?))
}

async fn wo_costs(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
) -> ApiResult<Json<Vec<WorkOrderCost>>> {
    Ok(Json(s.cmms().work_order_costs(&a, id).await?))
}

async fn add_wo_cost(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<WorkOrderId>,
    JsonBody(b): JsonBody<NewWorkOrderCost>,
) -> ApiResult<Response> {
    let cost = s.cmms().add_work_order_cost(&a, id, b).await?;
    Ok(created(None, &cost))
}

async fn asset_cost(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<AssetId>,
) -> ApiResult<Json<CostSummary>> {
    Ok(Json(s.cmms().asset_cost(&a, id).await?))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get("/parts", "listParts", "A page of parts", get(list_parts))
            .query::<PartFilter>()
            .returns::<Page<Part>>(200),
        Op::post("/parts", "createPart", "Add a part to the catalogue", post(create_part))
            .body::<NewPart>()
            .returns::<Part>(201),
        Op::get("/parts/{id}", "getPart", "One part", get(get_part)).returns::<Part>(200),
        Op::patch("/parts/{id}", "updatePart", "Change a part", patch(update_part))
            .body::<Versioned<PartPatch>>()
            .returns::<Part>(200),
        Op::get(
            "/stock-locations",
            "listStockLocations",
            "Storerooms and bins",
            get(list_locations),
        )
        .query::<StockLocationFilter>()
        .returns::<Page<StockLocation>>(200),
        Op::post(
            "/stock-locations",
            "createStockLocation",
            "Add a storeroom or a bin",
            post(create_location),
        )
        .body::<NewStockLocation>()
        .returns::<StockLocation>(201),
        Op::get(
            "/stock-locations/{id}",
            "getStockLocation",
            "One stock location",
            get(get_location),
        )
        .returns::<StockLocation>(200),
        Op::patch(
            "/stock-locations/{id}",
            "updateStockLocation",
            "Rename, recode or (de)activate a stock location",
            patch(update_location),
        )
        .body::<Versioned<StockLocationPatch>>()
        .returns::<StockLocation>(200),
        Op::get("/stock", "listStock", "Stock per part and location", get(list_stock))
            .query::<StockFilter>()
            .returns::<Page<Stock>>(200),
        Op::get("/stock/movements", "listStockMovements", "The stock ledger", get(movements))
            .query::<MovementFilter>()
            .returns::<Page<StockMovement>>(200),
        Op::post("/stock/receive", "receiveStock", "Receive stock", post(receive))
            .body::<StockInput>()
            .returns::<StockMovement>(201),
        Op::post("/stock/adjust", "adjustStock", "Correct stock with a reason", post(adjust))
            .body::<StockInput>()
            .returns::<StockMovement>(201),
        Op::post("/stock/count", "countStock", "Record a cycle count", post(count))
            .body::<StockInput>()
            .returns::<StockMovement>(201),
        Op::post(
            "/stock/transfer",
            "transferStock",
            "Move stock between locations",
            post(transfer),
        )
        .body::<TransferInput>()
        .returns::<Transfer>(201),
        Op::put(
            "/stock/levels",
            "setStockLevels",
            "Set a location's stock levels",
            put(set_levels),
        )
        .body::<LevelsBody>()
        .returns::<Stock>(200),
        Op::get(
            "/inventory/low-stock",
            "lowStock",
            "Stock at or below its reorder point",
            get(low_stock),
        )
        .query::<LowStockQuery>()
        .returns::<Page<LowStockItem>>(200),
        Op::get(
            "/work-orders/{id}/parts",
            "listWorkOrderParts",
            "A work order's parts",
            get(wo_parts),
        )
        .returns::<Vec<WorkOrderPart>>(200),
        Op::post(
            "/work-orders/{id}/parts",
            "changeWorkOrderParts",
            "Plan, reserve, issue, return or release a part",
            post(change_wo_parts),
        )
        .body::<PartsRequest>()
        .returns::<WorkOrderPart>(200),
        Op::get("/work-orders/{id}/cost", "workOrderCost", "What a work order cost", get(wo_cost))
            .returns::<CostSummary>(200),
        Op::get(
            "/work-orders/{id}/costs",
            "listWorkOrderCosts",
            "Other costs booked",
            get(wo_costs),
        )
        .returns::<Vec<WorkOrderCost>>(200),
        Op::post(
            "/work-orders/{id}/costs",
            "addWorkOrderCost",
            "Book an other cost",
            post(add_wo_cost),
        )
        .body::<NewWorkOrderCost>()
        .returns::<WorkOrderCost>(201),
        Op::get(
            "/assets/{id}/cost",
            "assetCost",
            "What the work on an asset cost",
            get(asset_cost),
        )
        .returns::<CostSummary>(200),
    ]
}
