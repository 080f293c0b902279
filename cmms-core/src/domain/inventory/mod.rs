//! Inventory and purchasing (DESIGN §3.6): the parts catalogue and stock locations, stock per
//! (part, location) as the running result of a ledger of movements, parts on work orders,
//! vendors and purchase orders, and what a work order cost. Quantities and money are exact
//! ([`amount`]); every decision here is pure.

pub mod amount;
pub mod cost;
pub mod part;
pub mod purchase;
pub mod stock;
#[cfg(test)]
mod tests;
pub mod vendor;
pub mod wo_parts;

pub use amount::{Money, Quantity};
pub use cost::{CostSummary, NewWorkOrderCost, WorkOrderCost};
pub use part::{
    NewPart, NewStockLocation, Part, PartPatch, StockLevels, StockLocation, StockLocationKind,
    StockLocationPatch,
};
pub use purchase::{
    NewPoLine, NewPurchaseOrder, PO_EDGES, PoEdge, PoStatus, PoTransitionInput, PurchaseOrder,
    PurchaseOrderLine, Receipt, ReceiptLine,
};
pub use stock::{MovementKind, Stock, StockDelta, StockMovement, StockStatus};
pub use vendor::{NewVendor, NewVendorPart, Vendor, VendorPart};
pub use wo_parts::{PartAction, PartsRequest, PlannedPart, WorkOrderPart};
