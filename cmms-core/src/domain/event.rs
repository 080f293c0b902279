//! Domain events: appended to the outbox in the same commit as the change, numbered per org, so
//! a subscriber that resumes from a sequence number misses nothing.

use crate::domain::EntityRef;
use crate::ids::{OrgId, SiteId, TeamId, UserId};
use crate::macros::string_enum;
use crate::rbac::{Permission, Resource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

string_enum! {
    /// What happened.
    EventKind, field = "kind" {
        /// Organization created.
        OrgCreated => "org.created",
        /// Organization settings changed.
        OrgUpdated => "org.updated",
        /// Site created.
        SiteCreated => "site.created",
        /// Site changed.
        SiteUpdated => "site.updated",
        /// Location created.
        LocationCreated => "location.created",
        /// Location changed.
        LocationUpdated => "location.updated",
        /// Team created.
        TeamCreated => "team.created",
        /// Team changed.
        TeamUpdated => "team.updated",
        /// User created.
        UserCreated => "user.created",
        /// User changed.
        UserUpdated => "user.updated",
        /// Custom role created.
        RoleCreated => "role.created",
        /// Custom role changed.
        RoleUpdated => "role.updated",
        /// Role granted.
        GrantAdded => "grant.added",
        /// Role grant revoked.
        GrantRemoved => "grant.removed",
        /// Failure code created.
        FailureCodeCreated => "failure_code.created",
        /// Asset created.
        AssetCreated => "asset.created",
        /// Asset changed.
        AssetUpdated => "asset.updated",
        /// Work order created.
        WorkOrderCreated => "work_order.created",
        /// Work order fields changed.
        WorkOrderUpdated => "work_order.updated",
        /// Work order assignees changed.
        WorkOrderAssigned => "work_order.assigned",
        /// Work order status changed.
        WorkOrderStatusChanged => "work_order.status_changed",
        /// Work order deleted.
        WorkOrderDeleted => "work_order.deleted",
        /// Comment added.
        WorkOrderCommented => "work_order.commented",
        /// Checklist result recorded.
        WorkOrderChecklistUpdated => "work_order.checklist_updated",
        /// Labor logged.
        WorkOrderLaborLogged => "work_order.labor_logged",
        /// Request created.
        RequestCreated => "request.created",
        /// Request changed.
        RequestUpdated => "request.updated",
        /// Request submitted.
        RequestSubmitted => "request.submitted",
        /// Request approved (a work order was created).
        RequestApproved => "request.approved",
        /// Request rejected.
        RequestRejected => "request.rejected",
        /// Request cancelled.
        RequestCancelled => "request.cancelled",
        /// Requester confirmed the completion.
        RequestCompletionConfirmed => "request.completion_confirmed",
        /// Requester rejected the completion.
        RequestCompletionRejected => "request.completion_rejected",
        /// Meter created.
        MeterCreated => "meter.created",
        /// Meter changed.
        MeterUpdated => "meter.updated",
        /// Readings recorded on a meter (one event per meter and batch).
        MeterReadingRecorded => "meter.reading_recorded",
        /// PM plan created.
        PmPlanCreated => "pm.plan_created",
        /// PM plan changed.
        PmPlanUpdated => "pm.plan_updated",
        /// PM plan deleted (with its due slots and generation state).
        PmPlanDeleted => "pm.plan_deleted",
        /// A plan's work order was generated for a due slot.
        PmGenerated => "pm.generated",
        /// A due slot was skipped: the previous work order was still open.
        PmSkipped => "pm.skipped",
        /// A generated work order passed its due date and grace window unfinished.
        PmOverdue => "pm.overdue",
        /// Part created.
        PartCreated => "part.created",
        /// Part changed.
        PartUpdated => "part.updated",
        /// Stock location created.
        StockLocationCreated => "stock_location.created",
        /// Stock location changed.
        StockLocationUpdated => "stock_location.updated",
        /// Stock moved (received, adjusted, counted, transferred, reserved, issued, returned).
        StockMoved => "stock.moved",
        /// Available stock fell to its reorder point (once per crossing from above).
        LowStock => "inventory.low_stock",
        /// A work order's parts changed (planned, reserved, issued, returned, released).
        WorkOrderPartsChanged => "work_order.parts_changed",
        /// Vendor created or changed.
        VendorChanged => "vendor.changed",
        /// Purchase order created or its lines changed.
        PurchaseOrderChanged => "purchase_order.changed",
        /// Purchase order moved along its status machine.
        PurchaseOrderStatusChanged => "purchase_order.status_changed",
        /// Goods received against a purchase order.
        PurchaseOrderReceived => "purchase_order.received",
        /// A notification was created for its recipient (only they see this event).
        NotificationCreated => "notification.created",
        /// A file was attached (or carried over from a request to its work order).
        AttachmentAdded => "attachment.added",
        /// An attached file was removed.
        AttachmentRemoved => "attachment.removed",
        /// Webhook subscription created.
        WebhookCreated => "webhook.created",
        /// Webhook subscription changed (or replayed).
        WebhookUpdated => "webhook.updated",
        /// Webhook subscription deleted.
        WebhookDeleted => "webhook.deleted",
        /// Webhook subscription turned off after too many failed deliveries in a row.
        WebhookDisabled => "webhook.disabled",
    }
}

/// Who may see an event: the permission and the resource it is checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct EventAudience {
    /// Permission a reader needs (`None`: org-level event, needs `org.read`).
    pub permission: Option<Permission>,
    /// Site of the entity.
    pub site_id: Option<SiteId>,
    /// Owner (requester) of the entity.
    pub owner: Option<UserId>,
    /// Assignees of the entity.
    pub assignees: Vec<UserId>,
    /// Team of the entity.
    pub team_id: Option<TeamId>,
    /// A webhook subscription that must not receive this event: the change was made by the
    /// integration behind it (`X-Cmms-Suppress-Webhooks`), which does not want its own writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppress_webhook: Option<uuid::Uuid>,
}

impl EventAudience {
    /// The RBAC resource for this audience.
    pub fn resource(&self) -> Resource<'_> {
        Resource {
            site: self.site_id,
            owner: self.owner,
            assignees: &self.assignees,
            team: self.team_id,
        }
    }

    /// The permission a reader needs.
    pub fn required(&self) -> Permission {
        self.permission.unwrap_or(Permission::OrgRead)
    }
}

/// An event before the store numbers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct EventDraft {
    /// What happened.
    pub kind: EventKind,
    /// To what.
    pub entity: EntityRef,
    /// Who did it (`None` = the system).
    pub actor_id: Option<UserId>,
    /// Who may see it.
    pub audience: EventAudience,
    /// Details (usually the changed record).
    pub payload: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// A committed event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Event {
    /// Organization.
    pub org_id: OrgId,
    /// Per-org sequence number, from 1, without gaps.
    pub seq: i64,
    /// The content.
    #[serde(flatten)]
    pub draft: EventDraft,
}

/// The events of one commit, as broadcast to in-process subscribers. A batch WITHOUT events is
/// a hint: the organization's outbox may have grown through commits this store did not make
/// (another process on the same SQLite file); subscribers read it back with `events_since`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CommittedBatch {
    /// Organization.
    pub org_id: OrgId,
    /// Events in sequence order.
    pub events: Vec<Event>,
}
