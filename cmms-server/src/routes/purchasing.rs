//! Vendors with the parts they supply, and purchase orders: drafts, status changes (approval
//! within the role's limit), receipts, and orders suggested from low stock (issue 14).

use super::Op;
use super::orgs::{Versioned, precondition};
use crate::extract::{Caller, IfMatch, JsonBody, ListQuery};
use crate::problem::ApiResult;
use crate::reply::{Ids, created, versioned};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post, put};
use cmms_core::domain::inventory::{
    NewPurchaseOrder, NewVendor, NewVendorPart, PoStatus, PoTransitionInput, Receipt,
    StockMovement, Vendor, VendorPart,
};
use cmms_core::ids::{PurchaseOrderId, StockLocationId, VendorId};
use cmms_core::service::{
    MovementFilter, PurchaseOrderDetail, PurchaseOrderFilter, SuggestedOrder,
};
use cmms_core::store::Page;
use schemars::JsonSchema;
use serde::Deserialize;

/// A page of vendors.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct VendorQuery {
    /// Page size (default 50, at most 500).
    limit: Option<u32>,
    /// Cursor from the previous page.
    cursor: Option<String>,
}

async fn list_vendors(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<VendorQuery>,
) -> ApiResult<Json<Page<Vendor>>> {
    Ok(Json(s.cmms().list_vendors(&a, q.limit, q.cursor.as_deref()).await?))
}

async fn create_vendor(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewVendor>,
) -> ApiResult<Response> {
    let v = s.cmms().create_vendor(&a, b).await?;
    Ok(created(Some(v.version), &v))
}

async fn get_vendor(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<VendorId>,
) -> ApiResult<Response> {
    let v = s.cmms().get_vendor(&a, id).await?;
    Ok(versioned(v.version, &v))
}

async fn replace_vendor(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<VendorId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<NewVendor>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let v = precondition(s.cmms().update_vendor(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(v.version, &v))
}

async fn vendor_parts(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<VendorId>,
) -> ApiResult<Json<Vec<VendorPart>>> {
    Ok(Json(s.cmms().vendor_parts(&a, id).await?))
}

async fn set_vendor_part(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<VendorId>,
    JsonBody(b): JsonBody<NewVendorPart>,
) -> ApiResult<Response> {
    let vp = s.cmms().set_vendor_part(&a, id, b).await?;
    Ok(versioned(vp.version, &vp))
}

async fn list_orders(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<PurchaseOrderFilter>,
) -> ApiResult<Json<Page<cmms_core::domain::inventory::PurchaseOrder>>> {
    Ok(Json(s.cmms().list_purchase_orders(&a, q).await?))
}

async fn create_order(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewPurchaseOrder>,
) -> ApiResult<Response> {
    let po = s.cmms().create_purchase_order(&a, b).await?;
    Ok(created(Some(po.order.version), &po))
}

async fn get_order(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PurchaseOrderId>,
) -> ApiResult<Response> {
    let po = s.cmms().get_purchase_order(&a, id).await?;
    Ok(versioned(po.order.version, &po))
}

async fn replace_order(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PurchaseOrderId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<NewPurchaseOrder>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let po = precondition(s.cmms().update_purchase_order(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(po.order.version, &po))
}

/// A status change of a purchase order.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PoTransitionBody {
    /// The status to move to (`submitted`, `approved`, `rejected`, `ordered`, `closed`,
    /// `cancelled`, `draft`); receiving is `POST .../receipts`.
    to: PoStatus,
    /// Why (to reject, cancel or short-close).
    #[serde(default)]
    reason: Option<String>,
    /// The version read (or send `If-Match`).
    #[serde(default)]
    expected_version: Option<i64>,
}

async fn transition(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PurchaseOrderId>,
    m: IfMatch,
    JsonBody(b): JsonBody<PoTransitionBody>,
) -> ApiResult<Response> {
    let input =
        PoTransitionInput { reason: b.reason, expected_version: m.0.or(b.expected_version) };
    let po = precondition(s.cmms().transition_purchase_order(&a, id, b.to, input).await, m)?;
    Ok(versioned(po.order.version, &po))
}

async fn receive(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PurchaseOrderId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Receipt>,
) -> ApiResult<Response> {
    let receipt = Receipt { expected_version: m.0.or(b.expected_version), ..b };
    let po = precondition(s.cmms().receive_purchase_order(&a, id, receipt).await, m)?;
    Ok(versioned(po.order.version, &po))
}

/// The receipts of an order: its receive movements, a page at a time.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct ReceiptQuery {
    /// Page size (default 50, at most 500).
    limit: Option<u32>,
    /// Cursor from the previous page.
    cursor: Option<String>,
}

async fn receipts(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PurchaseOrderId>,
    ListQuery(q): ListQuery<ReceiptQuery>,
) -> ApiResult<Json<Page<StockMovement>>> {
    // The order must be readable by the caller, like the order itself.
    s.cmms().get_purchase_order(&a, id).await?;
    let filter = MovementFilter {
        purchase_order: Some(id),
        limit: q.limit,
        cursor: q.cursor,
        ..MovementFilter::default()
    };
    Ok(Json(s.cmms().list_stock_movements(&a, filter).await?))
}

/// What to suggest orders for.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct SuggestBody {
    /// Only low stock at this location.
    location: Option<StockLocationId>,
    /// Also write a draft for every suggestion that has a preferred vendor.
    create: bool,
}

async fn suggest(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<SuggestBody>,
) -> ApiResult<Json<Vec<SuggestedOrder>>> {
    Ok(Json(s.cmms().suggest_purchase_orders(&a, b.location, b.create).await?))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get("/vendors", "listVendors", "A page of vendors", get(list_vendors))
            .query::<VendorQuery>()
            .returns::<Page<Vendor>>(200),
        Op::post("/vendors", "createVendor", "Add a vendor", post(create_vendor))
            .body::<NewVendor>()
            .returns::<Vendor>(201),
        Op::get("/vendors/{id}", "getVendor", "One vendor", get(get_vendor)).returns::<Vendor>(200),
        Op::put(
            "/vendors/{id}",
            "replaceVendor",
            "Replace a vendor's details",
            put(replace_vendor),
        )
        .body::<Versioned<NewVendor>>()
        .returns::<Vendor>(200),
        Op::get(
            "/vendors/{id}/parts",
            "listVendorParts",
            "What a vendor supplies",
            get(vendor_parts),
        )
        .returns::<Vec<VendorPart>>(200),
        Op::put(
            "/vendors/{id}/parts",
            "setVendorPart",
            "Say a vendor supplies a part, at a price",
            put(set_vendor_part),
        )
        .body::<NewVendorPart>()
        .returns::<VendorPart>(200),
        Op::get(
            "/purchase-orders",
            "listPurchaseOrders",
            "A page of purchase orders",
            get(list_orders),
        )
        .query::<PurchaseOrderFilter>()
        .returns::<Page<cmms_core::domain::inventory::PurchaseOrder>>(200),
        Op::post(
            "/purchase-orders",
            "createPurchaseOrder",
            "Write a draft order",
            post(create_order),
        )
        .body::<NewPurchaseOrder>()
        .returns::<PurchaseOrderDetail>(201),
        Op::get(
            "/purchase-orders/{id}",
            "getPurchaseOrder",
            "An order with its lines",
            get(get_order),
        )
        .returns::<PurchaseOrderDetail>(200),
        Op::put(
            "/purchase-orders/{id}",
            "replacePurchaseOrder",
            "Replace a draft's vendor, notes and lines",
            put(replace_order),
        )
        .body::<Versioned<NewPurchaseOrder>>()
        .returns::<PurchaseOrderDetail>(200),
        Op::post(
            "/purchase-orders/{id}/transitions",
            "transitionPurchaseOrder",
            "Move an order along its status machine",
            post(transition),
        )
        .body::<PoTransitionBody>()
        .returns::<PurchaseOrderDetail>(200),
        Op::post(
            "/purchase-orders/{id}/receipts",
            "receivePurchaseOrder",
            "Receive goods (partial receipts allowed)",
            post(receive),
        )
        .body::<Receipt>()
        .returns::<PurchaseOrderDetail>(200),
        Op::get(
            "/purchase-orders/{id}/receipts",
            "listPurchaseOrderReceipts",
            "The order's receive movements",
            get(receipts),
        )
        .query::<ReceiptQuery>()
        .returns::<Page<StockMovement>>(200),
        Op::post(
            "/purchase-orders/suggest",
            "suggestPurchaseOrders",
            "Orders for low stock, by preferred vendor",
            post(suggest),
        )
        .body::<SuggestBody>()
        .returns::<Vec<SuggestedOrder>>(200),
    ]
}
