//! Organizations (the tenant) and their settings.

use crate::domain::numbering::NumberFormat;
use crate::error::{Problems, Result};
use crate::ids::OrgId;
use crate::validate;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// An organization: the tenant. Every other row belongs to exactly one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Org {
    /// Id.
    pub id: OrgId,
    /// Display name (1–200 characters).
    pub name: String,
    /// Settings.
    pub settings: OrgSettings,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version, starting at 1.
    pub version: i64,
}

/// Per-organization settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct OrgSettings {
    /// Format of work order numbers (see `NumberFormat`).
    pub work_order_number_format: String,
    /// Format of request numbers.
    pub request_number_format: String,
    /// Days after which a completion the requester has not confirmed closes by itself.
    pub auto_close_days: u32,
    /// Whether completing corrective or emergency work requires failure codes.
    pub require_failure_codes: bool,
    /// The organization's time zone (IANA name), used for numbers' years.
    pub time_zone: String,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            work_order_number_format: "WO-{YYYY}-{SEQ:5}".into(),
            request_number_format: "REQ-{YYYY}-{SEQ:5}".into(),
            auto_close_days: 3,
            require_failure_codes: false,
            time_zone: "UTC".into(),
        }
    }
}

impl OrgSettings {
    /// Checks every setting, reporting each bad one.
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::new();
        p.absorb(
            NumberFormat::parse(&self.work_order_number_format, "work_order_number_format")
                .map(drop),
        )?;
        p.absorb(
            NumberFormat::parse(&self.request_number_format, "request_number_format").map(drop),
        )?;
        if !(1..=365).contains(&self.auto_close_days) {
            p.add("auto_close_days", "must be between 1 and 365");
        }
        p.absorb(parse_time_zone(&self.time_zone, "time_zone").map(drop))?;
        p.finish()
    }

    /// The time zone (UTC when the stored name is unknown).
    pub fn tz(&self) -> Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }
}

/// Parses an IANA time zone name; errors name `field`.
pub fn parse_time_zone(name: &str, field: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        crate::CmmsError::invalid(field, "must be an IANA time zone name such as Europe/Berlin")
    })
}

/// Input for `Cmms::bootstrap_org`: the organization and its first owner.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct NewOrg {
    /// Organization name.
    pub name: String,
    /// Owner's name.
    pub owner_name: String,
    /// Owner's email.
    pub owner_email: String,
    /// Settings; defaults when omitted.
    #[serde(default)]
    pub settings: OrgSettings,
}

pub(crate) fn validate_org_name(p: &mut Problems, name: &str) -> String {
    validate::text(p, "name", name, 1, 200)
}
