//! The call table of inventory and purchasing (`parts.*`, `stock_locations.*`, `stock.*`,
//! `vendors.*`, `purchase_orders.*`, and the parts and costs of work orders and assets). Like
//! `dispatch`, it only decodes arguments, calls core and encodes results. Quantities and money
//! travel as decimal strings both ways.

use crate::dispatch::{OnRecord, on_record, parse};
use crate::dispatch_pm::{Id, out};
use cmms_core::domain::inventory::{
    NewPart, NewPurchaseOrder, NewStockLocation, NewVendor, NewVendorPart, NewWorkOrderCost,
    PartPatch, PartsRequest, PoStatus, PoTransitionInput, Receipt, ReceiptLine, StockLevels,
    StockLocationPatch,
};
use cmms_core::service::{
    LowStockQuery, MovementFilter, PartFilter, PurchaseOrderFilter, StockFilter, StockInput,
    StockLocationFilter, TransferInput,
};
use cmms_core::{
    Actor, AssetId, Cmms, PartId, PurchaseOrderId, StockLocationId, VendorId, WorkOrderId,
};
use pyo3::PyResult;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartNumber {
    part_number: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Levels {
    part_id: PartId,
    location_id: StockLocationId,
    #[serde(default)]
    levels: Option<StockLevels>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockAt {
    part_id: PartId,
    location_id: StockLocationId,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Paging {
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Transition {
    to: PoStatus,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptLines {
    lines: Vec<ReceiptLine>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Suggest {
    location: Option<StockLocationId>,
    create: bool,
}

/// Inventory and purchasing calls made as `a`.
pub(crate) async fn call_inventory(
    c: &Cmms,
    a: &Actor,
    method: &str,
    args: &str,
) -> PyResult<String> {
    match method {
        "parts.create" => out(c.create_part(a, parse::<NewPart>(args)?).await),
        "parts.get" => out(c.get_part(a, parse::<Id<PartId>>(args)?.id).await),
        "parts.find" => out(c.find_part(a, &parse::<PartNumber>(args)?.part_number).await),
        "parts.update" => {
            let x: OnRecord<PartId, PartPatch> = on_record(args)?;
            out(c.update_part(a, x.id, x.rest, x.expected_version).await)
        }
        "parts.list" => out(c.list_parts(a, parse::<PartFilter>(args)?).await),
        "stock_locations.create" => {
            out(c.create_stock_location(a, parse::<NewStockLocation>(args)?).await)
        }
        "stock_locations.get" => {
            out(c.get_stock_location(a, parse::<Id<StockLocationId>>(args)?.id).await)
        }
        "stock_locations.update" => {
            let x: OnRecord<StockLocationId, StockLocationPatch> = on_record(args)?;
            out(c.update_stock_location(a, x.id, x.rest, x.expected_version).await)
        }
        "stock_locations.list" => {
            out(c.list_stock_locations(a, parse::<StockLocationFilter>(args)?).await)
        }
        "stock.set_levels" => {
            let x: Levels = parse(args)?;
            out(c.set_stock_levels(a, x.part_id, x.location_id, x.levels).await)
        }
        "stock.receive" => out(c.receive_stock(a, parse::<StockInput>(args)?).await),
        "stock.adjust" => out(c.adjust_stock(a, parse::<StockInput>(args)?).await),
        "stock.count" => out(c.count_stock(a, parse::<StockInput>(args)?).await),
        "stock.transfer" => out(c.transfer_stock(a, parse::<TransferInput>(args)?).await),
        "stock.get" => {
            let x: StockAt = parse(args)?;
            out(c.get_stock(a, x.part_id, x.location_id).await)
        }
        "stock.list" => out(c.list_stock(a, parse::<StockFilter>(args)?).await),
        "stock.movements" => out(c.list_stock_movements(a, parse::<MovementFilter>(args)?).await),
        "stock.low" => out(c.low_stock(a, parse::<LowStockQuery>(args)?).await),
        "work_orders.parts" => out(c.work_order_parts(a, parse::<Id<WorkOrderId>>(args)?.id).await),
        "work_orders.change_parts" => {
            let x: OnRecord<WorkOrderId, PartsRequest> = on_record(args)?;
            out(c.change_work_order_parts(a, x.id, x.rest).await)
        }
        "work_orders.add_cost" => {
            let x: OnRecord<WorkOrderId, NewWorkOrderCost> = on_record(args)?;
            out(c.add_work_order_cost(a, x.id, x.rest).await)
        }
        "work_orders.costs" => out(c.work_order_costs(a, parse::<Id<WorkOrderId>>(args)?.id).await),
        "work_orders.cost" => out(c.work_order_cost(a, parse::<Id<WorkOrderId>>(args)?.id).await),
        "assets.cost" => out(c.asset_cost(a, parse::<Id<AssetId>>(args)?.id).await),
        "vendors.create" => out(c.create_vendor(a, parse::<NewVendor>(args)?).await),
        "vendors.update" => {
            let x: OnRecord<VendorId, NewVendor> = on_record(args)?;
            out(c.update_vendor(a, x.id, x.rest, x.expected_version).await)
        }
        "vendors.get" => out(c.get_vendor(a, parse::<Id<VendorId>>(args)?.id).await),
        "vendors.list" => {
            let x: Paging = parse(args)?;
            out(c.list_vendors(a, x.limit, x.cursor.as_deref()).await)
        }
        "vendors.set_part" => {
            let x: OnRecord<VendorId, NewVendorPart> = on_record(args)?;
            out(c.set_vendor_part(a, x.id, x.rest).await)
        }
        "vendors.parts" => out(c.vendor_parts(a, parse::<Id<VendorId>>(args)?.id).await),
        "purchase_orders.create" => {
            out(c.create_purchase_order(a, parse::<NewPurchaseOrder>(args)?).await)
        }
        "purchase_orders.get" => {
            out(c.get_purchase_order(a, parse::<Id<PurchaseOrderId>>(args)?.id).await)
        }
        "purchase_orders.list" => {
            out(c.list_purchase_orders(a, parse::<PurchaseOrderFilter>(args)?).await)
        }
        "purchase_orders.update" => {
            let x: OnRecord<PurchaseOrderId, NewPurchaseOrder> = on_record(args)?;
            out(c.update_purchase_order(a, x.id, x.rest, x.expected_version).await)
        }
        "purchase_orders.transition" => {
            let x: OnRecord<PurchaseOrderId, Transition> = on_record(args)?;
            let input =
                PoTransitionInput { reason: x.rest.reason, expected_version: x.expected_version };
            out(c.transition_purchase_order(a, x.id, x.rest.to, input).await)
        }
        "purchase_orders.receive" => {
            let x: OnRecord<PurchaseOrderId, ReceiptLines> = on_record(args)?;
            let receipt = Receipt { lines: x.rest.lines, expected_version: x.expected_version };
            out(c.receive_purchase_order(a, x.id, receipt).await)
        }
        "purchase_orders.suggest" => {
            let x: Suggest = parse(args)?;
            out(c.suggest_purchase_orders(a, x.location, x.create).await)
        }
        _ => crate::dispatch_notify::call_notify(c, a, method, args).await,
    }
}
