//! Permissions, their conditions, and the fixed-size set a role holds.

use crate::macros::string_enum;

string_enum! {
    /// One thing a role may do. The wire name is `area.action`.
    Permission, field = "permission" {
        /// Read the organization and its settings.
        OrgRead => "org.read",
        /// Change organization settings and failure codes.
        OrgManage => "org.manage",
        /// Read sites, locations and teams.
        SiteRead => "site.read",
        /// Create and change sites, locations and teams.
        SiteManage => "site.manage",
        /// Read users and their grants.
        UserRead => "user.read",
        /// Create, deactivate users and grant roles (only roles below one's own).
        UserManage => "user.manage",
        /// Define custom roles.
        RoleManage => "role.manage",
        /// Read assets.
        AssetRead => "asset.read",
        /// Create, change and move assets.
        AssetWrite => "asset.write",
        /// Create and change meters on assets (reading them needs `asset.read`).
        MeterManage => "meter.manage",
        /// Record meter readings.
        MeterRecord => "meter.record",
        /// Read PM plans, their history, what is due and compliance.
        PmRead => "pm.read",
        /// Create and change PM plans, and generate their work.
        PmManage => "pm.manage",
        /// Read work orders.
        WorkOrderRead => "work_order.read",
        /// Create work orders.
        WorkOrderCreate => "work_order.create",
        /// Edit work order fields.
        WorkOrderUpdate => "work_order.update",
        /// Delete work orders that have not started.
        WorkOrderDelete => "work_order.delete",
        /// Assign anyone to work orders.
        WorkOrderAssign => "work_order.assign",
        /// Take an unassigned work order oneself.
        WorkOrderSelfAssign => "work_order.self_assign",
        /// Approve a requested work order (requested -> open).
        WorkOrderApprove => "work_order.approve",
        /// Start, hold, resume and complete work.
        WorkOrderExecute => "work_order.execute",
        /// Verify completed work.
        WorkOrderVerify => "work_order.verify",
        /// Close verified work.
        WorkOrderClose => "work_order.close",
        /// Cancel work before it is completed.
        WorkOrderCancel => "work_order.cancel",
        /// Reopen completed work.
        WorkOrderReopen => "work_order.reopen",
        /// Comment on work orders.
        WorkOrderComment => "work_order.comment",
        /// See and write internal comments (never shown to requesters).
        WorkOrderInternal => "work_order.internal",
        /// Record and edit checklist results and labor.
        WorkOrderLogWork => "work_order.log_work",
        /// Read requests.
        RequestRead => "request.read",
        /// Create requests.
        RequestCreate => "request.create",
        /// Edit, submit and cancel requests.
        RequestUpdate => "request.update",
        /// Approve or reject submitted requests.
        RequestReview => "request.review",
        /// Confirm or reject the completion of the work a request led to.
        RequestConfirm => "request.confirm",
        /// Read the audit trail and verify its chain.
        AuditRead => "audit.read",
        /// Read parts, stock locations, stock, the stock ledger and vendors.
        InventoryRead => "inventory.read",
        /// Create and change parts, stock locations, stock levels and vendors.
        InventoryManage => "inventory.manage",
        /// Receive, adjust, count and transfer stock outside purchase orders.
        StockMove => "stock.move",
        /// Plan, reserve, issue and return parts on work orders.
        WorkOrderParts => "work_order.parts",
        /// Read purchase orders.
        PurchaseRead => "purchase.read",
        /// Write, submit, place, cancel and close purchase orders.
        PurchaseCreate => "purchase.create",
        /// Approve or reject purchase orders (up to the role's amount limit).
        PurchaseApprove => "purchase.approve",
        /// Receive purchase orders into stock.
        PurchaseReceive => "purchase.receive",
        /// Create, change, replay and test webhook subscriptions and read their delivery log.
        WebhookManage => "webhook.manage",
    }
}

impl Permission {
    /// Number of permissions (size of a `PermissionSet`).
    pub const COUNT: usize = Self::ALL.len();
}

string_enum! {
    /// Which resources a permission applies to.
    Condition, field = "condition" {
        /// Every resource in the grant's scope.
        Any => "any",
        /// Resources the actor requested or owns.
        Own => "own",
        /// Resources assigned to the actor or to one of the actor's teams.
        Assigned => "assigned",
    }
}

/// The permissions of a role: for each permission, the condition under which it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSet([Option<Condition>; Permission::COUNT]);

impl PermissionSet {
    /// A set built from `(permission, condition)` pairs; a later pair for the same permission
    /// replaces an earlier one.
    pub fn from_pairs(pairs: &[(Permission, Condition)]) -> Self {
        let mut set = [None; Permission::COUNT];
        for (p, c) in pairs {
            set[*p as usize] = Some(*c);
        }
        Self(set)
    }

    /// Every permission with condition `Any`.
    pub fn all() -> Self {
        Self([Some(Condition::Any); Permission::COUNT])
    }

    /// The condition of `permission`, if the set holds it.
    pub fn get(&self, permission: Permission) -> Option<Condition> {
        self.0[permission as usize]
    }

    /// The held permissions as pairs, in declaration order.
    pub fn pairs(&self) -> Vec<(Permission, Condition)> {
        Permission::ALL.iter().filter_map(|p| self.get(*p).map(|c| (*p, c))).collect()
    }

    /// The permissions of several sets together, each with the broadest condition found
    /// (`Any` wins; otherwise the first condition seen).
    pub fn union<'a>(sets: impl IntoIterator<Item = &'a PermissionSet>) -> Self {
        let mut out = [None; Permission::COUNT];
        for set in sets {
            for (slot, cond) in out.iter_mut().zip(set.0.iter()) {
                *slot = match (*slot, *cond) {
                    (_, Some(Condition::Any)) => Some(Condition::Any),
                    (None, c) => c,
                    (kept, _) => kept,
                };
            }
        }
        Self(out)
    }

    /// Whether every permission of `other` is held here with a condition at least as broad.
    pub fn covers(&self, other: &PermissionSet) -> bool {
        Permission::ALL.iter().all(|p| match (self.get(*p), other.get(*p)) {
            (_, None) => true,
            (Some(Condition::Any), Some(_)) => true,
            (Some(mine), Some(theirs)) => mine == theirs,
            (None, Some(_)) => false,
        })
    }
}
