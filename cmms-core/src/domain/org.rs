//! Organizations (the tenant) and their settings.

use crate::domain::inventory::Money;
use crate::domain::numbering::NumberFormat;
use crate::error::{Problems, Result};
use crate::ids::{OrgId, UserId};
use crate::validate;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An organization: the tenant. Every other row belongs to exactly one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Org {
    /// Id.
    pub id: OrgId,
    /// Display name (1–200 characters).
    pub name: String,
    /// Short unique name for logging in (`acme-plant`): see [`validate_slug`].
    pub slug: String,
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
    /// Whether whoever files a request may choose its number (`[A-Z0-9-]{3,20}`, unique in the
    /// organization) instead of drawing the next one.
    pub caller_request_numbers: bool,
    /// The currency of every price, cost and rate (ISO 4217).
    pub currency: String,
    /// Hourly labor rate for work-order cost, unless the worker has their own in `labor_rates`.
    pub labor_rate: Option<Money>,
    /// Hourly labor rate per user.
    pub labor_rates: BTreeMap<UserId, Money>,
    /// Format of purchase order numbers.
    pub purchase_order_number_format: String,
    /// Whether receiving more than a purchase order line ordered is allowed.
    pub allow_over_receipt: bool,
    /// The largest purchase order total each role may approve, by built-in role name or custom
    /// role id; a role that may approve and has no entry has no limit.
    pub purchase_approval_limits: BTreeMap<String, Money>,
    /// Whether webhook subscriptions may use plain `http://` URLs (for receivers on loopback
    /// or a private network in testing); otherwise `https://` only.
    pub webhooks_allow_http: bool,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            work_order_number_format: "WO-{YYYY}-{SEQ:5}".into(),
            request_number_format: "REQ-{YYYY}-{SEQ:5}".into(),
            auto_close_days: 3,
            require_failure_codes: false,
            time_zone: "UTC".into(),
            caller_request_numbers: false,
            currency: "USD".into(),
            labor_rate: None,
            labor_rates: BTreeMap::new(),
            purchase_order_number_format: "PO-{YYYY}-{SEQ:5}".into(),
            allow_over_receipt: false,
            purchase_approval_limits: BTreeMap::from([(
                "storekeeper".to_string(),
                Money::new(rust_decimal::Decimal::from(1_000)),
            )]),
            webhooks_allow_http: false,
        }
    }
}

/// A change of the organization's name, slug or settings (JSON merge patch: a field left out
/// keeps its value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct OrgPatch {
    /// Display name.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    /// Short unique name for logging in.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub slug: Option<String>,
    /// Format of work order numbers (see `NumberFormat`).
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub work_order_number_format: Option<String>,
    /// Format of request numbers.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub request_number_format: Option<String>,
    /// Days after which a completion the requester has not confirmed closes by itself.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "u32"))]
    pub auto_close_days: Option<u32>,
    /// Whether completing corrective or emergency work requires failure codes.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "bool"))]
    pub require_failure_codes: Option<bool>,
    /// The organization's time zone (IANA name), used for numbers' years.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub time_zone: Option<String>,
    /// Whether whoever files a request may choose its number.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "bool"))]
    pub caller_request_numbers: Option<bool>,
    /// Currency.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub currency: Option<String>,
    /// Hourly labor rate (`null` clears it).
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<Money>"))]
    pub labor_rate: Option<Option<Money>>,
    /// Hourly labor rates per user (replace the old ones).
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "BTreeMap<UserId, Money>"))]
    pub labor_rates: Option<BTreeMap<UserId, Money>>,
    /// Format of purchase order numbers.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub purchase_order_number_format: Option<String>,
    /// Whether over-receipt is allowed.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "bool"))]
    pub allow_over_receipt: Option<bool>,
    /// Approval limits per role (replace the old ones).
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "BTreeMap<String, Money>"))]
    pub purchase_approval_limits: Option<BTreeMap<String, Money>>,
    /// Whether webhook subscriptions may use `http://` URLs.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "bool"))]
    pub webhooks_allow_http: Option<bool>,
}

impl From<OrgSettings> for OrgPatch {
    /// Every setting, as a patch that sets them all.
    fn from(s: OrgSettings) -> Self {
        Self {
            name: None,
            slug: None,
            work_order_number_format: Some(s.work_order_number_format),
            request_number_format: Some(s.request_number_format),
            auto_close_days: Some(s.auto_close_days),
            require_failure_codes: Some(s.require_failure_codes),
            time_zone: Some(s.time_zone),
            caller_request_numbers: Some(s.caller_request_numbers),
            currency: Some(s.currency),
            labor_rate: Some(s.labor_rate),
            labor_rates: Some(s.labor_rates),
            purchase_order_number_format: Some(s.purchase_order_number_format),
            allow_over_receipt: Some(s.allow_over_receipt),
            purchase_approval_limits: Some(s.purchase_approval_limits),
            webhooks_allow_http: Some(s.webhooks_allow_http),
        }
    }
}

impl OrgSettings {
    /// These settings with the patch's fields applied.
    ///
    /// ```
    /// use cmms_core::domain::org::{OrgPatch, OrgSettings};
    /// let patch = OrgPatch { auto_close_days: Some(5), ..OrgPatch::default() };
    /// let after = OrgSettings::default().patched(patch);
    /// assert_eq!((after.auto_close_days, after.time_zone.as_str()), (5, "UTC"));
    /// ```
    pub fn patched(&self, p: OrgPatch) -> Self {
        let s = self.clone();
        Self {
            work_order_number_format: p
                .work_order_number_format
                .unwrap_or(s.work_order_number_format),
            request_number_format: p.request_number_format.unwrap_or(s.request_number_format),
            auto_close_days: p.auto_close_days.unwrap_or(s.auto_close_days),
            require_failure_codes: p.require_failure_codes.unwrap_or(s.require_failure_codes),
            time_zone: p.time_zone.unwrap_or(s.time_zone),
            caller_request_numbers: p.caller_request_numbers.unwrap_or(s.caller_request_numbers),
            currency: p.currency.unwrap_or(s.currency),
            labor_rate: p.labor_rate.unwrap_or(s.labor_rate),
            labor_rates: p.labor_rates.unwrap_or(s.labor_rates),
            purchase_order_number_format: p
                .purchase_order_number_format
                .unwrap_or(s.purchase_order_number_format),
            allow_over_receipt: p.allow_over_receipt.unwrap_or(s.allow_over_receipt),
            purchase_approval_limits: p
                .purchase_approval_limits
                .unwrap_or(s.purchase_approval_limits),
            webhooks_allow_http: p.webhooks_allow_http.unwrap_or(s.webhooks_allow_http),
        }
    }

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
        p.absorb(
            NumberFormat::parse(&self.purchase_order_number_format, "purchase_order_number_format")
                .map(drop),
        )?;
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            p.add("currency", "must be a three-letter ISO 4217 code such as EUR or USD");
        }
        let negative = |m: &Money| m.is_negative();
        if self.labor_rate.as_ref().is_some_and(negative) || self.labor_rates.values().any(negative)
        {
            p.add("labor_rate", "rates must not be negative");
        }
        if self.purchase_approval_limits.values().any(negative) {
            p.add("purchase_approval_limits", "limits must not be negative");
        }
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
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    /// Organization name.
    pub name: String,
    /// Short unique name for logging in; made from the name when omitted.
    #[serde(default)]
    pub slug: Option<String>,
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

/// The longest slug, in characters.
pub const MAX_SLUG: usize = 63;

/// A slug made from a name: ASCII letters and digits lower-cased, accented Latin letters
/// without their accents, every other run of characters one hyphen; `org` when nothing is left.
///
/// ```
/// use cmms_core::domain::org::slugify;
/// assert_eq!(slugify("Kühlwerk Nord — Halle 3"), "kuhlwerk-nord-halle-3");
/// assert_eq!(slugify("!!!"), "org");
/// ```
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        let folded = match ch {
            'a'..='z' | '0'..='9' => Some(ch),
            'A'..='Z' => Some(ch.to_ascii_lowercase()),
            'à'..='å' | 'À'..='Å' => Some('a'),
            'ç' | 'Ç' => Some('c'),
            'è'..='ë' | 'È'..='Ë' => Some('e'),
            'ì'..='ï' | 'Ì'..='Ï' => Some('i'),
            'ñ' | 'Ñ' => Some('n'),
            'ò'..='ö' | 'ø' | 'Ò'..='Ö' | 'Ø' => Some('o'),
            'ù'..='ü' | 'Ù'..='Ü' => Some('u'),
            'ý' | 'ÿ' | 'Ý' => Some('y'),
            'ß' => Some('s'),
            _ => None,
        };
        match folded {
            Some(c) => out.push(c),
            None if !out.is_empty() && !out.ends_with('-') => out.push('-'),
            None => {}
        }
        if out.len() >= MAX_SLUG {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.len() < 2 { "org".to_string() } else { out }
}

/// Checks a slug: 2 to 63 characters of `a-z`, `0-9` and `-`, starting and ending with a letter
/// or digit, and not shaped like an id (login takes either).
pub fn validate_slug(p: &mut Problems, slug: &str) {
    let ok_chars = slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ends_ok = !slug.starts_with('-') && !slug.ends_with('-');
    if !(2..=MAX_SLUG).contains(&slug.len()) || !ok_chars || !ends_ok {
        let shown: String = slug.chars().take(40).collect();
        p.add(
            "slug",
            format!(
                "'{shown}' is not a slug: 2 to {MAX_SLUG} characters of a-z, 0-9 and -, \
                 starting and ending with a letter or digit"
            ),
        );
    } else if uuid::Uuid::parse_str(slug).is_ok() {
        p.add("slug", "must not look like an organization id");
    }
}
