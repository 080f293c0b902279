//! Sites (plant, warehouse, building, property): scopes inside an organization, each with its
//! own time zone and short code.

use crate::domain::org::parse_time_zone;
use crate::error::{Problems, Result};
use crate::ids::{OrgId, SiteId};
use crate::macros::string_enum;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// What a site is.
    SiteKind, field = "kind" {
        /// A production plant.
        Plant => "plant",
        /// A warehouse or store.
        Warehouse => "warehouse",
        /// A building.
        Building => "building",
        /// A managed property.
        Property => "property",
        /// Anything else.
        Other => "other",
    }
}

/// A site: a scope inside an organization with its own time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Site {
    /// Id.
    pub id: SiteId,
    /// Organization.
    pub org_id: OrgId,
    /// Name (1–200).
    pub name: String,
    /// Short code, unique per organization (`PLANT1`): letters, digits, `-` and `_`.
    pub code: String,
    /// Kind.
    pub kind: SiteKind,
    /// IANA time zone.
    pub time_zone: String,
    /// Postal address.
    pub address: Option<String>,
    /// Inactive sites keep their history but take no new work.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create a site.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    /// Name.
    pub name: String,
    /// Short code.
    pub code: String,
    /// Kind (default plant).
    pub kind: SiteKind,
    /// Time zone (default UTC).
    pub time_zone: String,
    /// Address.
    pub address: Option<String>,
}

impl Default for NewSite {
    fn default() -> Self {
        Self {
            name: String::new(),
            code: String::new(),
            kind: SiteKind::Plant,
            time_zone: "UTC".into(),
            address: None,
        }
    }
}

/// Changes to a site; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    /// New name.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    /// New code.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub code: Option<String>,
    /// New kind.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "SiteKind"))]
    pub kind: Option<SiteKind>,
    /// New time zone.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub time_zone: Option<String>,
    /// New address (`Some(None)` clears it).
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub address: Option<Option<String>>,
    /// Activate or deactivate.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "bool"))]
    pub active: Option<bool>,
}

/// Normalises and checks a short code (upper-case letters, digits, `-`, `_`; 1–16).
pub(crate) fn short_code(p: &mut Problems, field: &str, code: &str) -> String {
    let c = code.trim().to_uppercase();
    let ok = (1..=16).contains(&c.chars().count())
        && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
    if !ok {
        p.add(field, "must be 1 to 16 letters, digits, '-' or '_'");
    }
    c
}

impl Site {
    /// A new site from checked input.
    pub fn create(org_id: OrgId, input: NewSite, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let name = validate::text(&mut p, "name", &input.name, 1, 200);
        let code = short_code(&mut p, "code", &input.code);
        p.absorb(parse_time_zone(&input.time_zone, "time_zone").map(drop))?;
        let address = validate::opt_text(&mut p, "address", input.address.as_deref(), 500);
        p.finish()?;
        Ok(Self {
            id: SiteId::new(),
            org_id,
            name,
            code,
            kind: input.kind,
            time_zone: input.time_zone,
            address,
            active: true,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// This site with `patch` applied, as the next version.
    pub fn patched(&self, patch: SitePatch, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let mut next = self.clone();
        if let Some(name) = patch.name {
            next.name = validate::text(&mut p, "name", &name, 1, 200);
        }
        if let Some(code) = patch.code {
            next.code = short_code(&mut p, "code", &code);
        }
        if let Some(kind) = patch.kind {
            next.kind = kind;
        }
        if let Some(tz) = patch.time_zone {
            p.absorb(parse_time_zone(&tz, "time_zone").map(drop))?;
            next.time_zone = tz;
        }
        if let Some(address) = patch.address {
            next.address = validate::opt_text(&mut p, "address", address.as_deref(), 500);
        }
        if let Some(active) = patch.active {
            next.active = active;
        }
        p.finish()?;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }
}
