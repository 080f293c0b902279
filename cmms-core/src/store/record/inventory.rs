//! Descriptions of the inventory and purchasing records. Quantities are stored as integer
//! thousandths (`Int`), so both stores add and compare them exactly; money is `Decimal`.

use super::ColumnType::{Bool, Decimal as Dec, Int, Json, Text, Timestamp, Uuid as Id};
use super::{JoinTable, Key, Reader, Record, RowSource, Table, Values, asc, col, joined, null};
use crate::domain::inventory::{
    Money, Part, PurchaseOrder, PurchaseOrderLine, Quantity, Stock, StockLevels, StockLocation,
    StockMovement, Vendor, VendorPart, WorkOrderCost, WorkOrderPart,
};
use crate::error::StoreError;
use crate::ids::OrgId;

type R<T> = Result<T, StoreError>;

fn q<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Quantity> {
    Ok(Quantity::from_thousandths(r.int()?))
}

fn opt_q<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Option<Quantity>> {
    Ok(r.opt_int()?.map(Quantity::from_thousandths))
}

fn money<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Money> {
    Ok(Money::new(r.decimal()?))
}

fn opt_money<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Option<Money>> {
    Ok(r.opt_decimal()?.map(Money::new))
}

fn levels<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<StockLevels> {
    Ok(StockLevels {
        min: opt_q(r)?,
        max: opt_q(r)?,
        reorder_point: opt_q(r)?,
        reorder_quantity: opt_q(r)?,
    })
}

fn write_levels(v: &mut Values<'_>, l: &StockLevels) {
    let t = |x: Option<Quantity>| x.map(Quantity::thousandths);
    v.opt_int(t(l.min)).opt_int(t(l.max)).opt_int(t(l.reorder_point));
    v.opt_int(t(l.reorder_quantity));
}

/// `part_assets`: the assets a part fits.
pub static PART_ASSETS: JoinTable =
    JoinTable { table: "part_assets", parent: "part_id", item: "asset_id", copied: None };

/// `parts`.
pub static PARTS: Table = Table {
    name: "parts",
    entity: "part",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("part_number", Text),
        col("name", Text),
        null("description", Text),
        col("unit", Text),
        null("category", Text),
        null("manufacturer", Text),
        null("manufacturer_part_number", Text),
        null("barcode", Text),
        null("unit_cost", Dec),
        null("min_qty", Int),
        null("max_qty", Int),
        null("reorder_point", Int),
        null("reorder_qty", Int),
        null("lead_time_days", Int),
        col("active", Bool),
        joined("asset_ids", &PART_ASSETS),
        col("custom_fields", Json),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("id")],
};

impl Record for Part {
    const TABLE: &'static Table = &PARTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.part_number).text(&self.name);
        v.opt_text(self.description.as_deref()).text(&self.unit);
        v.opt_text(self.category.as_deref()).opt_text(self.manufacturer.as_deref());
        v.opt_text(self.manufacturer_part_number.as_deref()).opt_text(self.barcode.as_deref());
        v.opt_decimal(self.unit_cost.map(Money::to_decimal));
        write_levels(v, &self.levels);
        v.opt_int(self.lead_time_days.map(i64::from)).bool(self.active).uuids(&self.asset_ids);
        v.json(&self.custom_fields)?;
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            part_number: r.text()?,
            name: r.text()?,
            description: r.opt_text()?,
            unit: r.text()?,
            category: r.opt_text()?,
            manufacturer: r.opt_text()?,
            manufacturer_part_number: r.opt_text()?,
            barcode: r.opt_text()?,
            unit_cost: opt_money(r)?,
            levels: levels(r)?,
            lead_time_days: r.opt_int()?.map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
            active: r.bool()?,
            asset_ids: r.uuids()?,
            custom_fields: r.json()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `stock_locations`.
pub static STOCK_LOCATIONS: Table = Table {
    name: "stock_locations",
    entity: "stock_location",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("site_id", Id),
        null("parent_id", Id),
        col("kind", Text),
        col("code", Text),
        col("name", Text),
        col("active", Bool),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("site_id"),
    order: &[asc("id")],
};

impl Record for StockLocation {
    const TABLE: &'static Table = &STOCK_LOCATIONS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.site_id).opt_uuid(self.parent_id);
        v.text(self.kind.as_str()).text(&self.code).text(&self.name).bool(self.active);
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            site_id: r.uuid()?,
            parent_id: r.opt_uuid()?,
            kind: r.parse()?,
            code: r.text()?,
            name: r.text()?,
            active: r.bool()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `stock`: one row per (part, location). Inserted and moved by `Write::StockDelta`; its
/// levels are changed by versioned updates.
pub static STOCK: Table = Table {
    name: "stock",
    entity: "stock",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("part_id", Id),
        col("location_id", Id),
        col("on_hand", Int),
        col("reserved", Int),
        col("avg_cost", Dec),
        null("min_qty", Int),
        null("max_qty", Int),
        null("reorder_point", Int),
        null("reorder_qty", Int),
        col("own_levels", Bool),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("part_id"),
    order: &[asc("id")],
};

impl Record for Stock {
    const TABLE: &'static Table = &STOCK;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.part_id).uuid(self.location_id);
        v.int(self.on_hand.thousandths()).int(self.reserved.thousandths());
        v.decimal(self.avg_cost.to_decimal());
        write_levels(v, &self.levels);
        v.bool(self.own_levels).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            part_id: r.uuid()?,
            location_id: r.uuid()?,
            on_hand: q(r)?,
            reserved: q(r)?,
            avg_cost: money(r)?,
            levels: levels(r)?,
            own_levels: r.bool()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `stock_movements`: the ledger, append-only, by id (time-ordered: movements are made at
/// the time they are recorded).
pub static STOCK_MOVEMENTS: Table = Table {
    name: "stock_movements",
    entity: "stock_movement",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("part_id", Id),
        col("location_id", Id),
        col("kind", Text),
        col("quantity", Int),
        col("on_hand_delta", Int),
        col("reserved_delta", Int),
        null("unit_cost", Dec),
        null("work_order_id", Id),
        null("purchase_order_id", Id),
        null("transfer_id", Id),
        null("reason", Text),
        null("actor_id", Id),
        col("at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("part_id"),
    order: &[asc("id")],
};

impl Record for StockMovement {
    const TABLE: &'static Table = &STOCK_MOVEMENTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.part_id).uuid(self.location_id);
        v.text(self.kind.as_str()).int(self.quantity.thousandths());
        v.int(self.on_hand_delta.thousandths()).int(self.reserved_delta.thousandths());
        v.opt_decimal(self.unit_cost.map(Money::to_decimal));
        v.opt_uuid(self.work_order_id).opt_uuid(self.purchase_order_id).opt_uuid(self.transfer_id);
        v.opt_text(self.reason.as_deref()).opt_uuid(self.actor_id).ts(self.at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            part_id: r.uuid()?,
            location_id: r.uuid()?,
            kind: r.parse()?,
            quantity: q(r)?,
            on_hand_delta: q(r)?,
            reserved_delta: q(r)?,
            unit_cost: opt_money(r)?,
            work_order_id: r.opt_uuid()?,
            purchase_order_id: r.opt_uuid()?,
            transfer_id: r.opt_uuid()?,
            reason: r.opt_text()?,
            actor_id: r.opt_uuid()?,
            at: r.ts()?,
        })
    }
}

/// `work_order_parts`.
pub static WORK_ORDER_PARTS: Table = Table {
    name: "work_order_parts",
    entity: "work_order_part",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("work_order_id", Id),
        col("part_id", Id),
        col("location_id", Id),
        col("planned", Int),
        col("reserved", Int),
        col("issued", Int),
        col("returned", Int),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("work_order_id"),
    order: &[asc("created_at"), asc("id")],
};

impl Record for WorkOrderPart {
    const TABLE: &'static Table = &WORK_ORDER_PARTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.work_order_id).uuid(self.part_id);
        v.uuid(self.location_id).int(self.planned.thousandths()).int(self.reserved.thousandths());
        v.int(self.issued.thousandths()).int(self.returned.thousandths());
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            work_order_id: r.uuid()?,
            part_id: r.uuid()?,
            location_id: r.uuid()?,
            planned: q(r)?,
            reserved: q(r)?,
            issued: q(r)?,
            returned: q(r)?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `work_order_costs`: other costs on work orders.
pub static WORK_ORDER_COSTS: Table = Table {
    name: "work_order_costs",
    entity: "work_order_cost",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("work_order_id", Id),
        col("description", Text),
        col("amount", Dec),
        null("created_by", Id),
        col("created_at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("work_order_id"),
    order: &[asc("created_at"), asc("id")],
};

impl Record for WorkOrderCost {
    const TABLE: &'static Table = &WORK_ORDER_COSTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.work_order_id).text(&self.description);
        v.decimal(self.amount.to_decimal()).opt_uuid(self.created_by).ts(self.created_at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            work_order_id: r.uuid()?,
            description: r.text()?,
            amount: money(r)?,
            created_by: r.opt_uuid()?,
            created_at: r.ts()?,
        })
    }
}

/// `vendors`.
pub static VENDORS: Table = Table {
    name: "vendors",
    entity: "vendor",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("name", Text),
        null("contact", Text),
        null("email", Text),
        null("phone", Text),
        null("address", Text),
        null("currency", Text),
        null("lead_time_days", Int),
        col("active", Bool),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("id")],
};

impl Record for Vendor {
    const TABLE: &'static Table = &VENDORS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.name).opt_text(self.contact.as_deref());
        v.opt_text(self.email.as_deref()).opt_text(self.phone.as_deref());
        v.opt_text(self.address.as_deref()).opt_text(self.currency.as_deref());
        v.opt_int(self.lead_time_days.map(i64::from)).bool(self.active);
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            name: r.text()?,
            contact: r.opt_text()?,
            email: r.opt_text()?,
            phone: r.opt_text()?,
            address: r.opt_text()?,
            currency: r.opt_text()?,
            lead_time_days: r.opt_int()?.map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
            active: r.bool()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `vendor_parts`: what a vendor supplies, one row per (vendor, part).
pub static VENDOR_PARTS: Table = Table {
    name: "vendor_parts",
    entity: "vendor_part",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("vendor_id", Id),
        col("part_id", Id),
        null("vendor_part_number", Text),
        null("price", Dec),
        col("preferred", Bool),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("vendor_id"),
    order: &[asc("id")],
};

impl Record for VendorPart {
    const TABLE: &'static Table = &VENDOR_PARTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.vendor_id).uuid(self.part_id);
        v.opt_text(self.vendor_part_number.as_deref());
        v.opt_decimal(self.price.map(Money::to_decimal)).bool(self.preferred);
        v.ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            vendor_id: r.uuid()?,
            part_id: r.uuid()?,
            vendor_part_number: r.opt_text()?,
            price: opt_money(r)?,
            preferred: r.bool()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `purchase_orders`.
pub static PURCHASE_ORDERS: Table = Table {
    name: "purchase_orders",
    entity: "purchase_order",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("number", Text),
        col("vendor_id", Id),
        col("site_id", Id),
        col("status", Text),
        col("currency", Text),
        null("notes", Text),
        col("total", Dec),
        null("approved_by", Id),
        null("approved_at", Timestamp),
        null("reason", Text),
        null("created_by", Id),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("vendor_id"),
    order: &[asc("id")],
};

impl Record for PurchaseOrder {
    const TABLE: &'static Table = &PURCHASE_ORDERS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.number).uuid(self.vendor_id);
        v.uuid(self.site_id).text(self.status.as_str()).text(&self.currency);
        v.opt_text(self.notes.as_deref()).decimal(self.total.to_decimal());
        v.opt_uuid(self.approved_by).opt_ts(self.approved_at).opt_text(self.reason.as_deref());
        v.opt_uuid(self.created_by).ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            number: r.text()?,
            vendor_id: r.uuid()?,
            site_id: r.uuid()?,
            status: r.parse()?,
            currency: r.text()?,
            notes: r.opt_text()?,
            total: money(r)?,
            approved_by: r.opt_uuid()?,
            approved_at: r.opt_ts()?,
            reason: r.opt_text()?,
            created_by: r.opt_uuid()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `purchase_order_lines`.
pub static PURCHASE_ORDER_LINES: Table = Table {
    name: "purchase_order_lines",
    entity: "purchase_order_line",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("purchase_order_id", Id),
        col("position", Int),
        col("part_id", Id),
        col("location_id", Id),
        col("quantity", Int),
        col("received", Int),
        col("unit_price", Dec),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("purchase_order_id"),
    order: &[asc("purchase_order_id"), asc("position")],
};

impl Record for PurchaseOrderLine {
    const TABLE: &'static Table = &PURCHASE_ORDER_LINES;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.purchase_order_id).int(self.position);
        v.uuid(self.part_id).uuid(self.location_id).int(self.quantity.thousandths());
        v.int(self.received.thousandths()).decimal(self.unit_price.to_decimal());
        v.ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            purchase_order_id: r.uuid()?,
            position: r.int()?,
            part_id: r.uuid()?,
            location_id: r.uuid()?,
            quantity: q(r)?,
            received: q(r)?,
            unit_price: money(r)?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// The condition of the low-stock list, the same text as the `stock_low` partial index's
/// predicate in both stores' 0007 migration so the index serves it: available stock at or
/// below the reorder point, or the minimum when there is no reorder point.
pub const LOW_STOCK: &str = "t.on_hand - t.reserved <= COALESCE(t.reorder_point, t.min_qty)";
