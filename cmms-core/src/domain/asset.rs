//! Assets: equipment and systems, arranged in a parent/child hierarchy, sitting at a site and
//! location, with EN 13306 operating states.

use crate::error::{Problems, Result};
use crate::ids::{AssetId, LocationId, OrgId, SiteId};
use crate::macros::string_enum;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

string_enum! {
    /// Operating state, in EN 13306 vocabulary.
    AssetState, field = "state" {
        /// Performing its function.
        Operating => "operating",
        /// Able to operate, not required now.
        Idle => "idle",
        /// Kept ready to take over.
        Standby => "standby",
        /// Operating with reduced performance.
        Degraded => "degraded",
        /// Unable to perform its function (failed or under maintenance).
        Down => "down",
        /// Permanently out of service.
        Retired => "retired",
    }
}

/// An asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Asset {
    /// Id.
    pub id: AssetId,
    /// Organization.
    pub org_id: OrgId,
    /// Site.
    pub site_id: SiteId,
    /// Location inside the site.
    pub location_id: Option<LocationId>,
    /// Parent asset (the hierarchy has no cycles).
    pub parent_id: Option<AssetId>,
    /// Name.
    pub name: String,
    /// Code, unique per organization (tag number).
    pub code: String,
    /// Category (pump, HVAC, vehicle, ...).
    pub category: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Criticality, 1 (low) to 5 (critical).
    pub criticality: u8,
    /// Operating state.
    pub state: AssetState,
    /// Technical specifications (JSON object).
    pub specifications: Value,
    /// Custom fields (JSON object).
    pub custom_fields: Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create an asset.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    /// Site (required unless a location or parent gives it).
    pub site_id: Option<SiteId>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Parent asset.
    pub parent_id: Option<AssetId>,
    /// Name.
    pub name: String,
    /// Code.
    pub code: String,
    /// Category.
    pub category: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Criticality (default 3).
    pub criticality: Option<u8>,
    /// State (default operating).
    pub state: Option<AssetState>,
    /// Specifications.
    pub specifications: Value,
    /// Custom fields.
    pub custom_fields: Value,
}

/// Changes to an asset; nullable fields take `Some(None)` to clear.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[allow(missing_docs)]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub code: Option<String>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<LocationId>"))]
    pub location_id: Option<Option<LocationId>>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<AssetId>"))]
    pub parent_id: Option<Option<AssetId>>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub category: Option<Option<String>>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub manufacturer: Option<Option<String>>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub model: Option<Option<String>>,
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub serial_number: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "u8"))]
    pub criticality: Option<u8>,
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "AssetState"))]
    pub state: Option<AssetState>,
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Value"))]
    pub specifications: Option<Value>,
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Value"))]
    pub custom_fields: Option<Value>,
}

fn code(p: &mut Problems, value: &str) -> String {
    let c = validate::text(p, "code", value, 1, 64);
    if c.chars().any(char::is_control) {
        p.add("code", "must not contain control characters");
    }
    c
}

fn criticality(p: &mut Problems, value: u8) -> u8 {
    if !(1..=5).contains(&value) {
        p.add("criticality", "must be between 1 and 5");
    }
    value
}

impl Asset {
    /// A new asset from checked input; `site_id` must already be resolved.
    pub fn create(
        org_id: OrgId,
        site_id: SiteId,
        input: NewAsset,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut p = Problems::new();
        let asset = Self {
            id: AssetId::new(),
            org_id,
            site_id,
            location_id: input.location_id,
            parent_id: input.parent_id,
            name: validate::text(&mut p, "name", &input.name, 1, 200),
            code: code(&mut p, &input.code),
            category: validate::opt_text(&mut p, "category", input.category.as_deref(), 100),
            manufacturer: validate::opt_text(
                &mut p,
                "manufacturer",
                input.manufacturer.as_deref(),
                200,
            ),
            model: validate::opt_text(&mut p, "model", input.model.as_deref(), 200),
            serial_number: validate::opt_text(
                &mut p,
                "serial_number",
                input.serial_number.as_deref(),
                200,
            ),
            criticality: criticality(&mut p, input.criticality.unwrap_or(3)),
            state: input.state.unwrap_or(AssetState::Operating),
            specifications: validate::json_object(&mut p, "specifications", input.specifications),
            custom_fields: validate::json_object(&mut p, "custom_fields", input.custom_fields),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        p.finish()?;
        Ok(asset)
    }

    /// This asset with `patch` applied, as the next version.
    pub fn patched(&self, patch: AssetPatch, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let mut n = self.clone();
        if let Some(v) = patch.name {
            n.name = validate::text(&mut p, "name", &v, 1, 200);
        }
        if let Some(v) = patch.code {
            n.code = code(&mut p, &v);
        }
        if let Some(v) = patch.location_id {
            n.location_id = v;
        }
        if let Some(v) = patch.parent_id {
            n.parent_id = v;
        }
        if let Some(v) = patch.category {
            n.category = validate::opt_text(&mut p, "category", v.as_deref(), 100);
        }
        if let Some(v) = patch.manufacturer {
            n.manufacturer = validate::opt_text(&mut p, "manufacturer", v.as_deref(), 200);
        }
        if let Some(v) = patch.model {
            n.model = validate::opt_text(&mut p, "model", v.as_deref(), 200);
        }
        if let Some(v) = patch.serial_number {
            n.serial_number = validate::opt_text(&mut p, "serial_number", v.as_deref(), 200);
        }
        if let Some(v) = patch.criticality {
            n.criticality = criticality(&mut p, v);
        }
        if let Some(v) = patch.state {
            n.state = v;
        }
        if let Some(v) = patch.specifications {
            n.specifications = validate::json_object(&mut p, "specifications", v);
        }
        if let Some(v) = patch.custom_fields {
            n.custom_fields = validate::json_object(&mut p, "custom_fields", v);
        }
        p.finish()?;
        n.updated_at = now;
        n.version += 1;
        Ok(n)
    }
}
