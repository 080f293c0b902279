//! Role-based access control: permissions with conditions, the built-in role table, and the
//! pure, synchronous `authorize` check. Roles are data (`BUILTIN_ROLES`), never scattered `if`s.

mod grant;
mod permission;
mod roles;
mod visibility;

pub use grant::{check_can_grant, check_can_manage_user};
pub use permission::{Condition, Permission, PermissionSet};
pub use roles::{BUILTIN_ROLES, BuiltinRole, BuiltinRoleRow, RoleDef, RoleRef};
pub use visibility::{ScopeCondition, Visibility, VisibilityClause, visibility};

use crate::actor::{Actor, ActorGrant};
use crate::error::{CmmsError, Result};
use crate::ids::{SiteId, TeamId, UserId};

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
    pub const ORG: Resource<'static> =
        Resource { site: None, owner: None, assignees: &[], team: None };

    /// A resource at a site, without owner or assignees.
    pub fn at_site(site: SiteId) -> Self {
        Resource { site: Some(site), ..Resource::ORG }
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
        Err(CmmsError::Forbidden { permission: permission.as_str().to_string() })
    }
}

/// `authorize` as a boolean.
pub fn can(actor: &Actor, permission: Permission, resource: &Resource<'_>) -> bool {
    actor.is_system()
        || actor.grants().iter().any(|g| grant_applies(actor, g, permission, resource))
}

/// Whether the actor holds `permission` anywhere, under any condition (to fail fast with
/// `Forbidden` before listing).
pub fn holds(actor: &Actor, permission: Permission) -> bool {
    actor.is_system() || actor.grants().iter().any(|g| g.role.permissions.get(permission).is_some())
}
