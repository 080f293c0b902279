//! The built-in roles as ONE table (data, not branching), and role definitions as the checks
//! see them.

use super::permission::{Condition, Permission, PermissionSet};
use crate::macros::string_enum;
use serde::{Deserialize, Serialize};

string_enum! {
    /// The built-in roles, from most to least powerful.
    BuiltinRole, field = "role" {
        /// Full control, including granting admin and owner.
        Owner => "owner",
        /// Full control except granting admin or owner.
        Admin => "admin",
        /// Supervisor: runs the work of the organization.
        Manager => "manager",
        /// Does the work assigned to them.
        Technician => "technician",
        /// Runs the stores (inventory).
        Storekeeper => "storekeeper",
        /// External worker: sees only work assigned to them.
        Contractor => "contractor",
        /// Customer: files requests and follows them.
        Requester => "requester",
        /// Reads, changes nothing.
        Viewer => "viewer",
    }
}

use Condition::{Any, Assigned, Own};
use Permission as P;

const STAFF_READ: &[(Permission, Condition)] = &[
    (P::OrgRead, Any),
    (P::SiteRead, Any),
    (P::UserRead, Any),
    (P::AssetRead, Any),
    (P::PmRead, Any),
];

const INVENTORY_ALL: &[(Permission, Condition)] = &[
    (P::InventoryRead, Any),
    (P::InventoryManage, Any),
    (P::StockMove, Any),
    (P::WorkOrderParts, Any),
    (P::PurchaseRead, Any),
    (P::PurchaseCreate, Any),
    (P::PurchaseApprove, Any),
    (P::PurchaseReceive, Any),
];

/// One row of the built-in role table.
#[derive(Debug)]
pub struct BuiltinRoleRow {
    /// The role.
    pub role: BuiltinRole,
    /// Level for the grant-below rule.
    pub level: u8,
    /// Holds every permission with condition `Any` (owner, admin).
    pub everything: bool,
    /// The permissions, as groups of pairs.
    pub permissions: &'static [&'static [(Permission, Condition)]],
}

const fn row(
    role: BuiltinRole,
    level: u8,
    permissions: &'static [&'static [(Permission, Condition)]],
) -> BuiltinRoleRow {
    BuiltinRoleRow { role, level, everything: false, permissions }
}

/// The built-in role table: level (for the grant-below rule) and permissions.
pub const BUILTIN_ROLES: &[BuiltinRoleRow] = &[
    BuiltinRoleRow { role: BuiltinRole::Owner, level: 100, everything: true, permissions: &[] },
    BuiltinRoleRow { role: BuiltinRole::Admin, level: 90, everything: true, permissions: &[] },
    row(
        BuiltinRole::Manager,
        70,
        &[
            STAFF_READ,
            &[
                (P::UserManage, Any),
                (P::AssetWrite, Any),
                (P::MeterManage, Any),
                (P::MeterRecord, Any),
                (P::PmManage, Any),
                (P::WorkOrderRead, Any),
                (P::WorkOrderCreate, Any),
                (P::WorkOrderUpdate, Any),
                (P::WorkOrderDelete, Any),
                (P::WorkOrderAssign, Any),
                (P::WorkOrderSelfAssign, Any),
                (P::WorkOrderApprove, Any),
                (P::WorkOrderExecute, Any),
                (P::WorkOrderVerify, Any),
                (P::WorkOrderClose, Any),
                (P::WorkOrderCancel, Any),
                (P::WorkOrderReopen, Any),
                (P::WorkOrderComment, Any),
                (P::WorkOrderInternal, Any),
                (P::WorkOrderLogWork, Any),
                (P::RequestRead, Any),
                (P::RequestCreate, Any),
                (P::RequestUpdate, Any),
                (P::RequestReview, Any),
                (P::RequestConfirm, Any),
                (P::AuditRead, Any),
            ],
            INVENTORY_ALL,
        ],
    ),
    row(
        BuiltinRole::Technician,
        50,
        &[
            STAFF_READ,
            &[
                (P::MeterRecord, Any),
                (P::WorkOrderRead, Any),
                (P::WorkOrderCreate, Any),
                (P::WorkOrderUpdate, Assigned),
                (P::WorkOrderSelfAssign, Any),
                (P::WorkOrderExecute, Assigned),
                (P::WorkOrderComment, Any),
                (P::WorkOrderInternal, Any),
                (P::WorkOrderLogWork, Assigned),
                (P::RequestRead, Any),
                (P::RequestCreate, Any),
                (P::RequestUpdate, Own),
                (P::InventoryRead, Any),
                (P::WorkOrderParts, Assigned),
            ],
        ],
    ),
    row(
        BuiltinRole::Storekeeper,
        50,
        &[
            STAFF_READ,
            &[
                (P::WorkOrderRead, Any),
                (P::WorkOrderComment, Any),
                (P::WorkOrderInternal, Any),
                (P::RequestRead, Any),
                (P::RequestCreate, Any),
                (P::RequestUpdate, Own),
            ],
            // The stores: everything about stock and purchasing; approvals up to the
            // organization's limit for the role (OrgSettings::purchase_approval_limits).
            INVENTORY_ALL,
        ],
    ),
    row(
        BuiltinRole::Contractor,
        40,
        &[&[
            (P::OrgRead, Any),
            (P::SiteRead, Any),
            (P::AssetRead, Any),
            (P::WorkOrderRead, Assigned),
            (P::WorkOrderExecute, Assigned),
            (P::WorkOrderComment, Assigned),
            (P::WorkOrderLogWork, Assigned),
        ]],
    ),
    row(
        BuiltinRole::Requester,
        30,
        &[&[
            (P::OrgRead, Any),
            (P::SiteRead, Any),
            (P::AssetRead, Any),
            (P::WorkOrderRead, Own),
            (P::WorkOrderComment, Own),
            (P::RequestRead, Own),
            (P::RequestCreate, Any),
            (P::RequestUpdate, Own),
            (P::RequestConfirm, Own),
        ]],
    ),
    row(
        BuiltinRole::Viewer,
        10,
        &[
            STAFF_READ,
            &[
                (P::WorkOrderRead, Any),
                (P::WorkOrderInternal, Any),
                (P::RequestRead, Any),
                (P::InventoryRead, Any),
                (P::PurchaseRead, Any),
            ],
        ],
    ),
];

impl BuiltinRole {
    fn row(self) -> Option<&'static BuiltinRoleRow> {
        BUILTIN_ROLES.iter().find(|r| r.role == self)
    }

    /// The level used by the grant-below rule (owner 100 ... viewer 10).
    pub fn level(self) -> u8 {
        self.row().map_or(0, |r| r.level)
    }

    /// The permission set of this role.
    pub fn permissions(self) -> PermissionSet {
        match self.row() {
            Some(r) if r.everything => PermissionSet::all(),
            Some(r) => PermissionSet::from_pairs(&r.permissions.concat()),
            None => PermissionSet::from_pairs(&[]),
        }
    }

    /// The admin level: custom roles must stay below it, and only owners grant at or above it.
    pub const ADMIN_LEVEL: u8 = 90;
}

/// A role as the checks see it: built-in or custom, with its level and permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDef {
    /// Which role this is.
    pub role: RoleRef,
    /// Grant-below level.
    pub level: u8,
    /// What it may do.
    pub permissions: PermissionSet,
}

impl RoleDef {
    /// The definition of a built-in role.
    pub fn builtin(role: BuiltinRole) -> Self {
        Self { role: RoleRef::Builtin(role), level: role.level(), permissions: role.permissions() }
    }
}

/// A reference to a role: built-in by name, or an org's custom role by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoleRef {
    /// A built-in role.
    Builtin(BuiltinRole),
    /// A custom role of the organization.
    Custom(crate::ids::RoleId),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/concepts.md lists every built-in role with its level, in this order.
    #[test]
    fn the_guide_shows_every_role_and_level() {
        let guide = include_str!("../../../docs/concepts.md");
        let table = guide.split("| role | level | may |\n").nth(1).unwrap_or("");
        let shown: Vec<String> = table
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with('|'))
            .map(|row| row.split('|').map(str::trim).skip(1).take(2).collect::<Vec<_>>().join(" "))
            .collect();
        let roles: Vec<String> =
            BUILTIN_ROLES.iter().map(|r| format!("{} {}", r.role, r.level)).collect();
        assert_eq!(shown, roles, "docs/concepts.md's roles and BUILTIN_ROLES differ");
    }
}
