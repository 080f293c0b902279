//! Role-based access control: permissions, conditions, the built-in role table and the pure,
//! synchronous `authorize` check. Roles are data (`BUILTIN_ROLES`), never scattered `if`s.

use crate::actor::{Actor, ActorGrant};
use crate::error::{CmmsError, Result};
use crate::ids::{SiteId, TeamId, UserId};
use crate::macros::string_enum;
use serde::{Deserialize, Serialize};

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
        Permission::ALL
            .iter()
            .filter_map(|p| self.get(*p).map(|c| (*p, c)))
            .collect()
    }

    /// Whether every permission of `other` is held here with a condition at least as broad.
    pub fn covers(&self, other: &PermissionSet) -> bool {
        Permission::ALL
            .iter()
            .all(|p| match (self.get(*p), other.get(*p)) {
                (_, None) => true,
                (Some(Condition::Any), Some(_)) => true,
                (Some(mine), Some(theirs)) => mine == theirs,
                (None, Some(_)) => false,
            })
    }
}

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
    BuiltinRoleRow {
        role,
        level,
        everything: false,
        permissions,
    }
}

/// The built-in role table: level (for the grant-below rule) and permissions.
pub const BUILTIN_ROLES: &[BuiltinRoleRow] = &[
    BuiltinRoleRow {
        role: BuiltinRole::Owner,
        level: 100,
        everything: true,
        permissions: &[],
    },
    BuiltinRoleRow {
        role: BuiltinRole::Admin,
        level: 90,
        everything: true,
        permissions: &[],
    },
    row(
        BuiltinRole::Manager,
        70,
        &[
            STAFF_READ,
            &[
                (P::UserManage, Any),
                (P::AssetWrite, Any),
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
        ],
    ),
    row(
        BuiltinRole::Technician,
        50,
        &[
            STAFF_READ,
            &[
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
            ],
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
        Self {
            role: RoleRef::Builtin(role),
            level: role.level(),
            permissions: role.permissions(),
        }
    }
}

/// A reference to a role: built-in by name, or an org's custom role by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleRef {
    /// A built-in role.
    Builtin(BuiltinRole),
    /// A custom role of the organization.
    Custom(crate::ids::RoleId),
}

/// What a permission is checked against: where the resource is and who it belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resource<'a> {
    /// The site the resource belongs to; `None` for org-level resources.
    pub site: Option<SiteId>,
    /// The user who requested or owns it.
    pub owner: Option<UserId>,
    /// Users assigned to it.
    pub assignees: &'a [UserId],
    /// The team assigned to it.
    pub team: Option<TeamId>,
}

impl Resource<'static> {
    /// An org-level resource (settings, sites, users).
    pub const ORG: Resource<'static> = Resource {
        site: None,
        owner: None,
        assignees: &[],
        team: None,
    };

    /// A resource at a site, without owner or assignees.
    pub fn at_site(site: SiteId) -> Self {
        Resource {
            site: Some(site),
            ..Resource::ORG
        }
    }
}

fn grant_applies(actor: &Actor, grant: &ActorGrant, p: Permission, r: &Resource<'_>) -> bool {
    let in_scope = match &grant.sites {
        None => true,
        Some(sites) => r.site.is_some_and(|s| sites.contains(&s)),
    };
    if !in_scope {
        return false;
    }
    match grant.role.permissions.get(p) {
        None => false,
        Some(Condition::Any) => true,
        Some(Condition::Own) => actor.user_id().is_some() && r.owner == actor.user_id(),
        Some(Condition::Assigned) => {
            actor.user_id().is_some_and(|u| r.assignees.contains(&u))
                || r.team.is_some_and(|t| actor.teams().contains(&t))
        }
    }
}

/// Whether `actor` may do `permission` on `resource`. Pure, synchronous, no I/O.
///
/// ```
/// use cmms_core::rbac::{authorize, BuiltinRole, Permission, Resource};
/// use cmms_core::{Actor, OrgId, SiteId, UserId};
/// let site = SiteId::new();
/// let tech = Actor::with_builtin(OrgId::new(), UserId::new(), BuiltinRole::Technician);
/// assert!(authorize(&tech, Permission::WorkOrderRead, &Resource::at_site(site)).is_ok());
/// assert!(authorize(&tech, Permission::WorkOrderDelete, &Resource::at_site(site)).is_err());
/// ```
pub fn authorize(actor: &Actor, permission: Permission, resource: &Resource<'_>) -> Result<()> {
    if can(actor, permission, resource) {
        Ok(())
    } else {
        Err(CmmsError::Forbidden {
            permission: permission.as_str().to_string(),
        })
    }
}

/// `authorize` as a boolean.
pub fn can(actor: &Actor, permission: Permission, resource: &Resource<'_>) -> bool {
    actor.is_system()
        || actor
            .grants()
            .iter()
            .any(|g| grant_applies(actor, g, permission, resource))
}

/// Whether the actor holds `permission` anywhere, under any condition (to fail fast with
/// `Forbidden` before listing).
pub fn holds(actor: &Actor, permission: Permission) -> bool {
    actor.is_system()
        || actor
            .grants()
            .iter()
            .any(|g| g.role.permissions.get(permission).is_some())
}

/// Which condition a visibility clause applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeCondition {
    /// Every row in the clause's sites.
    Any,
    /// Rows owned (requested) by this user.
    Own(UserId),
    /// Rows assigned to this user or to one of these teams.
    Assigned {
        /// The user.
        user: UserId,
        /// The user's teams.
        teams: Vec<TeamId>,
    },
}

/// One way a row may be visible: in these sites (or all, when `None`) under a condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisibilityClause {
    /// Sites the clause covers; `None` covers every site.
    pub sites: Option<Vec<SiteId>>,
    /// The row condition.
    pub condition: ScopeCondition,
}

/// The rows a list may contain: a row is visible when any clause matches. Stores turn this
/// into a WHERE clause so lists never hold rows the actor may not read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Visibility {
    /// Alternative clauses (OR). Empty means nothing is visible.
    pub clauses: Vec<VisibilityClause>,
}

impl Visibility {
    /// Everything in the organization.
    pub fn all() -> Self {
        Self {
            clauses: vec![VisibilityClause {
                sites: None,
                condition: ScopeCondition::Any,
            }],
        }
    }

    /// Whether every row of the organization is visible (no filter needed).
    pub fn is_all(&self) -> bool {
        self.clauses
            .iter()
            .any(|c| c.sites.is_none() && c.condition == ScopeCondition::Any)
    }

    /// Whether no row is visible.
    pub fn is_none(&self) -> bool {
        self.clauses.is_empty()
    }
}

/// The visibility scope of `actor` for rows guarded by `permission`.
pub fn visibility(actor: &Actor, permission: Permission) -> Visibility {
    if actor.is_system() {
        return Visibility::all();
    }
    let Some(user) = actor.user_id() else {
        return Visibility::default();
    };
    let mut clauses: Vec<VisibilityClause> = Vec::new();
    for g in actor.grants() {
        let condition = match g.role.permissions.get(permission) {
            None => continue,
            Some(Condition::Any) => ScopeCondition::Any,
            Some(Condition::Own) => ScopeCondition::Own(user),
            Some(Condition::Assigned) => ScopeCondition::Assigned {
                user,
                teams: actor.teams().to_vec(),
            },
        };
        let clause = VisibilityClause {
            sites: g.sites.clone(),
            condition,
        };
        if !clauses.contains(&clause) {
            clauses.push(clause);
        }
    }
    let vis = Visibility { clauses };
    if vis.is_all() { Visibility::all() } else { vis }
}

/// The grant-below rule: `actor` may grant `role` for `sites` (org scope when `None`) only
/// with `user.manage` covering that scope and a level strictly above the role's; only an
/// owner (at org scope) grants owner.
pub fn check_can_grant(actor: &Actor, role: &RoleDef, sites: Option<&[SiteId]>) -> Result<()> {
    let is_owner = role.role == RoleRef::Builtin(BuiltinRole::Owner);
    check_level_above(actor, role.level, is_owner, sites)
}

/// The same rule for managing (deactivating, editing) a user whose highest role level is
/// `target_level`: only from above, owners excepted for owners.
pub fn check_can_manage_user(actor: &Actor, target_level: u8) -> Result<()> {
    check_level_above(
        actor,
        target_level,
        target_level >= BuiltinRole::Owner.level(),
        None,
    )
}

fn check_level_above(
    actor: &Actor,
    level: u8,
    owner_level: bool,
    sites: Option<&[SiteId]>,
) -> Result<()> {
    if actor.is_system() {
        return Ok(());
    }
    let covering = |g: &&ActorGrant| match (&g.sites, sites) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(mine), Some(wanted)) => wanted.iter().all(|s| mine.contains(s)),
    };
    let manages: Vec<&ActorGrant> = actor
        .grants()
        .iter()
        .filter(covering)
        .filter(|g| g.role.permissions.get(Permission::UserManage) == Some(Condition::Any))
        .collect();
    let owner_here = manages
        .iter()
        .any(|g| g.role.role == RoleRef::Builtin(BuiltinRole::Owner));
    let top = manages.iter().map(|g| g.role.level).max().unwrap_or(0);
    if !manages.is_empty() && (top > level || (owner_here && owner_level)) {
        Ok(())
    } else {
        Err(CmmsError::Forbidden {
            permission: Permission::UserManage.as_str().into(),
        })
    }
}
