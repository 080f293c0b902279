//! Typed identifiers: one newtype per entity so an `AssetId` can never be passed as a `SiteId`.
//!
//! Ids are UUID v7: time-ordered, so a B-tree index on them stays append-mostly and sorting by
//! id approximates creation order.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident => $entity:literal,)*) => {$(
        #[$doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The entity name used in errors and audit entries.
            pub const ENTITY: &'static str = $entity;

            /// A fresh, time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (for example one read from a database).
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The underlying UUID.
            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "format": "uuid" })
            }
        }

        impl FromStr for $name {
            type Err = crate::CmmsError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| {
                    crate::CmmsError::invalid(
                        concat!($entity, "_id"),
                        format!(
                            "'{}' is not a valid {} id (expected a UUID)",
                            s.chars().take(40).collect::<String>(),
                            $entity
                        ),
                    )
                })
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    )*};
}

typed_id! {
    /// An organization: the tenant.
    OrgId => "org",
    /// A site (plant, warehouse, building, property) inside an organization.
    SiteId => "site",
    /// A location inside a site (a tree).
    LocationId => "location",
    /// A team of users.
    TeamId => "team",
    /// A user.
    UserId => "user",
    /// A custom role defined by an organization.
    RoleId => "role",
    /// A role grant (a role given to a user at org scope or for listed sites).
    GrantId => "grant",
    /// An asset (equipment, building system, vehicle, ...).
    AssetId => "asset",
    /// A work order.
    WorkOrderId => "work_order",
    /// A customer request (intake) that may become a work order.
    RequestId => "request",
    /// A comment on a work order.
    CommentId => "comment",
    /// A checklist item on a work order.
    ChecklistItemId => "checklist_item",
    /// A labor entry on a work order.
    LaborId => "labor",
    /// A timeline entry (status change) of a work order.
    TimelineId => "timeline",
    /// An org-defined failure code (problem, cause or remedy).
    FailureCodeId => "failure_code",
    /// An authentication token (refresh, password reset, email verification).
    TokenId => "token",
    /// An API key for integrations.
    ApiKeyId => "api_key",
    /// A meter on an asset.
    MeterId => "meter",
    /// One meter reading.
    ReadingId => "reading",
    /// A preventive-maintenance plan.
    PmPlanId => "pm_plan",
    /// One due slot of a plan on an asset (generated or skipped).
    PmSlotId => "pm_slot",
    /// A part in the catalogue.
    PartId => "part",
    /// A stock location (storeroom or bin).
    StockLocationId => "stock_location",
    /// The stock of one part at one location.
    StockId => "stock",
    /// One movement of the stock ledger.
    StockMovementId => "stock_movement",
    /// A part line of a work order (planned, reserved, issued, returned).
    WorkOrderPartId => "work_order_part",
    /// An other cost (not labor, not parts) booked on a work order.
    WorkOrderCostId => "work_order_cost",
    /// A vendor.
    VendorId => "vendor",
    /// A part a vendor supplies, with its number and price.
    VendorPartId => "vendor_part",
    /// A purchase order.
    PurchaseOrderId => "purchase_order",
    /// A line of a purchase order.
    PurchaseOrderLineId => "purchase_order_line",
    /// An in-app notification.
    NotificationId => "notification",
    /// A user watching a work order.
    WatchId => "watch",
    /// A mail in the outbox.
    MailId => "mail",
    /// A file attached to an entity (one metadata row).
    AttachmentId => "attachment",
    /// The stored content of one upload, shared by the rows that carry it over.
    FileContentId => "file_content",
    /// A webhook subscription.
    WebhookId => "webhook",
    /// One attempt to deliver a webhook.
    WebhookDeliveryId => "webhook_delivery",
}
