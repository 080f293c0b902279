//! The parts catalogue and the places stock is kept: parts (unique part number per org, unit of
//! measure, default cost, default stock levels, the assets they fit) and stock locations
//! (storerooms inside sites, bins inside storerooms).

use super::amount::{Money, Quantity};
use crate::error::{Problems, Result};
use crate::ids::{AssetId, OrgId, PartId, SiteId, StockLocationId};
use crate::macros::string_enum;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Stock levels that steer reordering. Each is optional; a stock location's own levels replace
/// the part's defaults as a whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct StockLevels {
    /// Keep at least this much (at or below it the stock is `low`).
    pub min: Option<Quantity>,
    /// Keep at most this much (above it the stock is `over`).
    pub max: Option<Quantity>,
    /// Reorder when available stock falls to this (one `inventory.low_stock` event).
    pub reorder_point: Option<Quantity>,
    /// How much to order then.
    pub reorder_quantity: Option<Quantity>,
}

impl StockLevels {
    /// Records a problem for a negative level or a max below the min.
    pub fn check(&self, p: &mut Problems, field: &str) {
        for (name, v) in [
            ("min", self.min),
            ("max", self.max),
            ("reorder_point", self.reorder_point),
            ("reorder_quantity", self.reorder_quantity),
        ] {
            if v.is_some_and(Quantity::is_negative) {
                p.add(format!("{field}.{name}"), "must not be negative");
            }
        }
        if let (Some(min), Some(max)) = (self.min, self.max) {
            if max.is_positive() && max < min {
                p.add(format!("{field}.max"), "must not be below min");
            }
        }
    }

    /// The point at which stock counts as low: the reorder point, else the minimum.
    pub fn low_point(&self) -> Option<Quantity> {
        self.reorder_point.or(self.min)
    }
}

/// A part in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Part {
    /// Id.
    pub id: PartId,
    /// Organization.
    pub org_id: OrgId,
    /// Part number, unique in the organization.
    pub part_number: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Unit of measure (`each`, `m`, `l`, `kg`, ...).
    pub unit: String,
    /// Category.
    pub category: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// The manufacturer's part number.
    pub manufacturer_part_number: Option<String>,
    /// Barcode.
    pub barcode: Option<String>,
    /// Default unit cost (the org's currency), used when a receipt names none.
    pub unit_cost: Option<Money>,
    /// Default stock levels for every location (a location may set its own).
    pub levels: StockLevels,
    /// Lead time in days.
    pub lead_time_days: Option<u32>,
    /// Whether it may still be received, reserved and issued.
    pub active: bool,
    /// The assets it fits (a bill of materials: "spares for this pump").
    pub asset_ids: Vec<AssetId>,
    /// Custom fields.
    pub custom_fields: Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create a part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct NewPart {
    /// Part number (1–60 characters), unique in the organization.
    pub part_number: String,
    /// Name (1–200 characters).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Unit of measure (default `each`).
    pub unit: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// The manufacturer's part number.
    pub manufacturer_part_number: Option<String>,
    /// Barcode.
    pub barcode: Option<String>,
    /// Default unit cost.
    pub unit_cost: Option<Money>,
    /// Default stock levels.
    pub levels: StockLevels,
    /// Lead time in days.
    pub lead_time_days: Option<u32>,
    /// The assets it fits.
    pub asset_ids: Vec<AssetId>,
    /// Custom fields (a JSON object).
    pub custom_fields: Value,
}

/// Changes to a part (JSON merge patch: a field left out keeps its value, `null` clears an
/// optional one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PartPatch {
    /// New part number.
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub part_number: Option<String>,
    /// New name.
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    /// New description.
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub description: Option<Option<String>>,
    /// New unit of measure.
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub unit: Option<String>,
    /// New category.
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub category: Option<Option<String>>,
    /// New manufacturer.
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub manufacturer: Option<Option<String>>,
    /// New manufacturer part number.
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub manufacturer_part_number: Option<Option<String>>,
    /// New barcode.
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub barcode: Option<Option<String>>,
    /// New default unit cost.
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<Money>"))]
    pub unit_cost: Option<Option<Money>>,
    /// New default stock levels (replace the old ones as a whole).
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "StockLevels"))]
    pub levels: Option<StockLevels>,
    /// New lead time.
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<u32>"))]
    pub lead_time_days: Option<Option<u32>>,
    /// Active or not.
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "bool"))]
    pub active: Option<bool>,
    /// New list of assets it fits.
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Vec<AssetId>"))]
    pub asset_ids: Option<Vec<AssetId>>,
    /// New custom fields (replace the old ones).
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Value"))]
    pub custom_fields: Option<Value>,
}

fn opt(p: &mut Problems, field: &str, v: Option<&str>, max: usize) -> Option<String> {
    validate::opt_text(p, field, v, max)
}

fn check_cost(p: &mut Problems, cost: Option<Money>) {
    if cost.is_some_and(Money::is_negative) {
        p.add("unit_cost", "must not be negative");
    }
}

impl Part {
    /// A new, active part.
    pub fn create(org_id: OrgId, input: NewPart, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let part = Self {
            id: PartId::new(),
            org_id,
            part_number: validate::text(&mut p, "part_number", &input.part_number, 1, 60),
            name: validate::text(&mut p, "name", &input.name, 1, 200),
            description: opt(&mut p, "description", input.description.as_deref(), 4_000),
            unit: validate::text(&mut p, "unit", input.unit.as_deref().unwrap_or("each"), 1, 20),
            category: opt(&mut p, "category", input.category.as_deref(), 100),
            manufacturer: opt(&mut p, "manufacturer", input.manufacturer.as_deref(), 200),
            manufacturer_part_number: opt(
                &mut p,
                "manufacturer_part_number",
                input.manufacturer_part_number.as_deref(),
                100,
            ),
            barcode: opt(&mut p, "barcode", input.barcode.as_deref(), 100),
            unit_cost: input.unit_cost,
            levels: input.levels,
            lead_time_days: input.lead_time_days,
            active: true,
            asset_ids: dedup(input.asset_ids),
            custom_fields: validate::json_object(&mut p, "custom_fields", input.custom_fields),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        check_cost(&mut p, part.unit_cost);
        part.levels.check(&mut p, "levels");
        p.finish()?;
        Ok(part)
    }

    /// This part with `patch` applied, as the next version.
    pub fn patched(&self, patch: PartPatch, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let mut n = self.clone();
        if let Some(v) = patch.part_number {
            n.part_number = validate::text(&mut p, "part_number", &v, 1, 60);
        }
        if let Some(v) = patch.name {
            n.name = validate::text(&mut p, "name", &v, 1, 200);
        }
        if let Some(v) = patch.description {
            n.description = opt(&mut p, "description", v.as_deref(), 4_000);
        }
        if let Some(v) = patch.unit {
            n.unit = validate::text(&mut p, "unit", &v, 1, 20);
        }
        if let Some(v) = patch.category {
            n.category = opt(&mut p, "category", v.as_deref(), 100);
        }
        if let Some(v) = patch.manufacturer {
            n.manufacturer = opt(&mut p, "manufacturer", v.as_deref(), 200);
        }
        if let Some(v) = patch.manufacturer_part_number {
            n.manufacturer_part_number = opt(&mut p, "manufacturer_part_number", v.as_deref(), 100);
        }
        if let Some(v) = patch.barcode {
            n.barcode = opt(&mut p, "barcode", v.as_deref(), 100);
        }
        if let Some(v) = patch.unit_cost {
            n.unit_cost = v;
        }
        if let Some(v) = patch.levels {
            n.levels = v;
        }
        if let Some(v) = patch.lead_time_days {
            n.lead_time_days = v;
        }
        if let Some(v) = patch.active {
            n.active = v;
        }
        if let Some(v) = patch.asset_ids {
            n.asset_ids = dedup(v);
        }
        if let Some(v) = patch.custom_fields {
            n.custom_fields = validate::json_object(&mut p, "custom_fields", v);
        }
        check_cost(&mut p, n.unit_cost);
        n.levels.check(&mut p, "levels");
        p.finish()?;
        n.updated_at = now;
        n.version += 1;
        Ok(n)
    }
}

fn dedup<T: PartialEq + Copy>(ids: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

string_enum! {
    /// What a stock location is.
    StockLocationKind, field = "kind" {
        /// A storeroom (a site's warehouse, a van, a cage).
        Storeroom => "storeroom",
        /// A bin, shelf or drawer inside a storeroom.
        Bin => "bin",
    }
}

/// A place stock is kept: a storeroom in a site, or a bin inside a storeroom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct StockLocation {
    /// Id.
    pub id: StockLocationId,
    /// Organization.
    pub org_id: OrgId,
    /// The site it is in.
    pub site_id: SiteId,
    /// The storeroom a bin is in (none for a storeroom).
    pub parent_id: Option<StockLocationId>,
    /// Storeroom or bin.
    pub kind: StockLocationKind,
    /// Short code, unique in the site (`MAIN`, `MAIN-A3`).
    pub code: String,
    /// Name.
    pub name: String,
    /// Whether stock may still be received into it.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create a stock location.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewStockLocation {
    /// The site (for a bin: its storeroom's site, which is the default).
    #[serde(default)]
    pub site_id: Option<SiteId>,
    /// The storeroom, for a bin.
    #[serde(default)]
    pub parent_id: Option<StockLocationId>,
    /// Short code, unique in the site.
    pub code: String,
    /// Name.
    pub name: String,
}

/// Changes to a stock location.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct StockLocationPatch {
    /// New code.
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub code: Option<String>,
    /// New name.
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    /// Active or not.
    #[serde(deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "bool"))]
    pub active: Option<bool>,
}

impl StockLocation {
    /// A new location in `site`; a bin when `parent` (its storeroom) is given. A bin's storeroom
    /// must be a storeroom of the same site (bins do not nest in bins).
    pub fn create(
        org_id: OrgId,
        site_id: SiteId,
        parent: Option<&StockLocation>,
        input: NewStockLocation,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut p = Problems::new();
        let code = validate::text(&mut p, "code", &input.code, 1, 40);
        let name = validate::text(&mut p, "name", &input.name, 1, 200);
        if let Some(parent) = parent {
            if parent.kind != StockLocationKind::Storeroom {
                p.add("parent_id", "bins go in storerooms, not in other bins");
            }
            if parent.site_id != site_id {
                p.add("parent_id", "the storeroom is in another site");
            }
        }
        p.finish()?;
        Ok(Self {
            id: StockLocationId::new(),
            org_id,
            site_id,
            parent_id: parent.map(|l| l.id),
            kind: if parent.is_some() {
                StockLocationKind::Bin
            } else {
                StockLocationKind::Storeroom
            },
            code,
            name,
            active: true,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// This location with `patch` applied, as the next version.
    pub fn patched(&self, patch: StockLocationPatch, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let mut n = self.clone();
        if let Some(v) = patch.code {
            n.code = validate::text(&mut p, "code", &v, 1, 40);
        }
        if let Some(v) = patch.name {
            n.name = validate::text(&mut p, "name", &v, 1, 200);
        }
        if let Some(v) = patch.active {
            n.active = v;
        }
        p.finish()?;
        n.updated_at = now;
        n.version += 1;
        Ok(n)
    }
}
