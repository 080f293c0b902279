//! Locations: the tree inside a site (building > floor > room) where assets and work sit.

use crate::error::{Problems, Result};
use crate::ids::{LocationId, OrgId, SiteId};
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A location: a node in a site's location tree (building > floor > room).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Location {
    /// Id.
    pub id: LocationId,
    /// Organization.
    pub org_id: OrgId,
    /// Site.
    pub site_id: SiteId,
    /// Parent location in the same site.
    pub parent_id: Option<LocationId>,
    /// Name.
    pub name: String,
    /// Optional code.
    pub code: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create a location.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    /// Site.
    pub site_id: SiteId,
    /// Parent location (same site).
    #[serde(default)]
    pub parent_id: Option<LocationId>,
    /// Name.
    pub name: String,
    /// Code.
    #[serde(default)]
    pub code: Option<String>,
}

/// Changes to a location.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct LocationPatch {
    /// New name.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    /// New code (`Some(None)` clears).
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub code: Option<Option<String>>,
    /// New parent (`Some(None)` makes it a root).
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<LocationId>"))]
    pub parent_id: Option<Option<LocationId>>,
}

impl Location {
    /// A new location from checked input (the parent's site is checked by the use case).
    pub fn create(org_id: OrgId, input: NewLocation, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let name = validate::text(&mut p, "name", &input.name, 1, 200);
        let code = validate::opt_text(&mut p, "code", input.code.as_deref(), 40);
        p.finish()?;
        Ok(Self {
            id: LocationId::new(),
            org_id,
            site_id: input.site_id,
            parent_id: input.parent_id,
            name,
            code,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// This location with `patch` applied, as the next version.
    pub fn patched(&self, patch: LocationPatch, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let mut next = self.clone();
        if let Some(name) = patch.name {
            next.name = validate::text(&mut p, "name", &name, 1, 200);
        }
        if let Some(code) = patch.code {
            next.code = validate::opt_text(&mut p, "code", code.as_deref(), 40);
        }
        if let Some(parent) = patch.parent_id {
            next.parent_id = parent;
        }
        p.finish()?;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }
}
