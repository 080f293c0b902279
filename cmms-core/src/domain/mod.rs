//! The maintenance domain: one module per aggregate, each holding its data types and the pure
//! rules that decide about them. Nothing here does I/O.

pub mod api_key;
pub mod asset;
pub mod attachment;
pub mod audit;
pub mod check;
pub mod checklist;
pub mod comment;
pub mod credential;
pub mod event;
pub mod failure_code;
pub mod files;
pub mod inventory;
pub mod labor;
pub mod location;
pub mod mail;
pub mod meter;
pub mod notification;
pub mod numbering;
pub mod org;
pub mod pm;
pub mod request;
pub mod retry;
pub mod site;
pub mod team;
pub mod timeline;
pub mod token;
pub mod user;
pub mod webhook;
pub mod work_order;

/// The work-order status machine (it lives in `work_order::status`).
pub use work_order::status;

use crate::macros::string_enum;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

string_enum! {
    /// The kinds of entity, as named in errors, audit entries and events.
    EntityKind, field = "entity" {
        /// Organization.
        Org => "org",
        /// Site.
        Site => "site",
        /// Location.
        Location => "location",
        /// Team.
        Team => "team",
        /// User.
        User => "user",
        /// Custom role.
        Role => "role",
        /// Role grant.
        Grant => "grant",
        /// Asset.
        Asset => "asset",
        /// Work order.
        WorkOrder => "work_order",
        /// Request.
        Request => "request",
        /// Comment.
        Comment => "comment",
        /// Checklist item.
        ChecklistItem => "checklist_item",
        /// Labor entry.
        Labor => "labor",
        /// Failure code.
        FailureCode => "failure_code",
        /// Login credential.
        Credential => "credential",
        /// Authentication token.
        Token => "token",
        /// API key.
        ApiKey => "api_key",
        /// Meter.
        Meter => "meter",
        /// PM plan.
        PmPlan => "pm_plan",
        /// A PM plan's due slot on an asset.
        PmSlot => "pm_slot",
        /// Part.
        Part => "part",
        /// Stock location.
        StockLocation => "stock_location",
        /// Stock of a part at a location.
        Stock => "stock",
        /// A work order's part line.
        WorkOrderPart => "work_order_part",
        /// An other cost on a work order.
        WorkOrderCost => "work_order_cost",
        /// Vendor.
        Vendor => "vendor",
        /// Purchase order.
        PurchaseOrder => "purchase_order",
        /// In-app notification.
        Notification => "notification",
        /// A file attached to a work order, request, asset, checklist item or part.
        Attachment => "attachment",
        /// Webhook subscription.
        Webhook => "webhook",
    }
}

/// A pointer to one entity: its kind and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct EntityRef {
    /// What it is.
    pub kind: EntityKind,
    /// Its id.
    pub id: Uuid,
}

impl EntityRef {
    /// A reference from a kind and any typed id.
    pub fn new(kind: EntityKind, id: impl Into<Uuid>) -> Self {
        Self { kind, id: id.into() }
    }
}

/// Rejects making `node` a child of a parent whose ancestor chain (`parent_path`, parent first,
/// root last) contains `node` — the move would create a cycle. Shared by locations and assets.
pub fn check_no_cycle<T: PartialEq + Copy>(
    field: &str,
    node: T,
    new_parent: T,
    parent_path: &[T],
) -> crate::Result<()> {
    if new_parent == node || parent_path.contains(&node) {
        return Err(crate::CmmsError::invalid(
            field,
            "would create a cycle: the new parent is the item itself or one of its descendants",
        ));
    }
    Ok(())
}

/// Serde helper for patch fields that cannot be empty (a title, a setting): absent is `None`
/// (unchanged), a value is `Some(v)`, and `null` is refused. In a JSON merge patch (RFC 7396)
/// `null` means "remove", which such a field cannot be, so silently keeping the old value would
/// hide the caller's mistake. Use with `#[serde(default, deserialize_with = "...")]` and
/// `skip_serializing_if = "Option::is_none"` (so the schema shows no `null` default).
///
/// ```
/// use cmms_core::domain::site::SitePatch;
/// let p: SitePatch = serde_json::from_str(r#"{"code": "NP"}"#).unwrap();
/// assert!(p.name.is_none()); // absent: unchanged
/// let err = serde_json::from_str::<SitePatch>(r#"{"name": null}"#).unwrap_err();
/// assert!(err.to_string().contains("cannot be null"));
/// ```
pub mod not_null {
    use serde::{Deserialize, Deserializer, de::Error};

    /// Deserializes a present, non-null field as `Some(..)`.
    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        match Option::<T>::deserialize(d)? {
            Some(v) => Ok(Some(v)),
            None => Err(D::Error::custom("cannot be null; leave the field out to keep its value")),
        }
    }
}

/// Serde helper for patch fields that distinguish "absent" (`None`), "set to null"
/// (`Some(None)`) and "set to a value" (`Some(Some(v))`). Use with `#[serde(default)]`.
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Deserializes a present field (null or a value) as `Some(..)`.
    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }

    /// Serializes the inner option (absent fields should be skipped with
    /// `skip_serializing_if = "Option::is_none"`).
    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }
}
