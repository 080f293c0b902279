//! Vendors and the parts they supply, with their part numbers and prices.

use super::amount::Money;
use crate::error::{Problems, Result};
use crate::ids::{OrgId, PartId, VendorId, VendorPartId};
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Vendor {
    /// Id.
    pub id: VendorId,
    /// Organization.
    pub org_id: OrgId,
    /// Name.
    pub name: String,
    /// Contact person.
    pub contact: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Currency it invoices in (ISO 4217), default the organization's.
    pub currency: Option<String>,
    /// Usual lead time in days.
    pub lead_time_days: Option<u32>,
    /// Whether orders may still be placed.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create a vendor, and (with every field optional) to change one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct NewVendor {
    /// Name (1–200 characters).
    pub name: String,
    /// Contact person.
    pub contact: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Currency (three upper-case letters).
    pub currency: Option<String>,
    /// Lead time in days.
    pub lead_time_days: Option<u32>,
    /// Active (default true).
    pub active: Option<bool>,
}

fn currency(p: &mut Problems, field: &str, c: Option<&str>) -> Option<String> {
    let c = c?.trim();
    if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
        p.add(field, "must be a three-letter ISO 4217 code such as EUR or USD");
    }
    Some(c.to_string())
}

impl Vendor {
    /// A vendor from `input`; with `previous`, the next version of that vendor (every field of
    /// `input` replaces the old one: vendors are changed as a whole).
    pub fn build(
        org_id: OrgId,
        previous: Option<&Vendor>,
        input: NewVendor,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut p = Problems::new();
        let v = Self {
            id: previous.map_or_else(VendorId::new, |v| v.id),
            org_id,
            name: validate::text(&mut p, "name", &input.name, 1, 200),
            contact: validate::opt_text(&mut p, "contact", input.contact.as_deref(), 200),
            email: validate::opt_text(&mut p, "email", input.email.as_deref(), 254),
            phone: validate::opt_text(&mut p, "phone", input.phone.as_deref(), 50),
            address: validate::opt_text(&mut p, "address", input.address.as_deref(), 1_000),
            currency: currency(&mut p, "currency", input.currency.as_deref()),
            lead_time_days: input.lead_time_days,
            active: input.active.unwrap_or(true),
            created_at: previous.map_or(now, |v| v.created_at),
            updated_at: now,
            version: previous.map_or(1, |v| v.version + 1),
        };
        p.finish()?;
        Ok(v)
    }
}

/// A part a vendor supplies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct VendorPart {
    /// Id.
    pub id: VendorPartId,
    /// Organization.
    pub org_id: OrgId,
    /// The vendor.
    pub vendor_id: VendorId,
    /// The part.
    pub part_id: PartId,
    /// The vendor's number for it.
    pub vendor_part_number: Option<String>,
    /// The vendor's unit price.
    pub price: Option<Money>,
    /// Whether this vendor is the part's preferred one (suggested orders go to it).
    pub preferred: bool,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to say a vendor supplies a part (again: replaces what was said before).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVendorPart {
    /// The part.
    pub part_id: PartId,
    /// The vendor's number for it.
    #[serde(default)]
    pub vendor_part_number: Option<String>,
    /// Unit price.
    #[serde(default)]
    pub price: Option<Money>,
    /// Preferred vendor of the part.
    #[serde(default)]
    pub preferred: bool,
}
