//! The grant-below rule: who may grant, revoke or manage whose roles.

use super::{BuiltinRole, Condition, Permission, PermissionSet, RoleDef, RoleRef};
use crate::actor::{Actor, ActorGrant};
use crate::error::{CmmsError, Result};
use crate::ids::SiteId;

fn forbidden() -> CmmsError {
    CmmsError::Forbidden { permission: Permission::UserManage.as_str().into() }
}

/// The actor's grants that hold `user.manage` (condition any) over all of `sites` (org scope
/// when `None`).
fn managing<'a>(actor: &'a Actor, sites: Option<&[SiteId]>) -> Vec<&'a ActorGrant> {
    actor
        .grants()
        .iter()
        .filter(|g| match (&g.sites, sites) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(mine), Some(wanted)) => wanted.iter().all(|s| mine.contains(s)),
        })
        .filter(|g| g.role.permissions.get(Permission::UserManage) == Some(Condition::Any))
        .collect()
}

fn level_above(grants: &[&ActorGrant], level: u8, owner_level: bool) -> bool {
    let owner_here = grants.iter().any(|g| g.role.role == RoleRef::Builtin(BuiltinRole::Owner));
    let top = grants.iter().map(|g| g.role.level).max().unwrap_or(0);
    !grants.is_empty() && (top > level || (owner_here && owner_level))
}

/// The grant-below rule: `actor` may grant `role` for `sites` (org scope when `None`) only with
/// `user.manage` covering that scope, a level strictly above the role's (only an owner grants
/// owner), and holding — in that scope — every permission the role carries, so a custom role
/// can never hand out more than its granter has.
pub fn check_can_grant(actor: &Actor, role: &RoleDef, sites: Option<&[SiteId]>) -> Result<()> {
    if actor.is_system() {
        return Ok(());
    }
    let grants = managing(actor, sites);
    let is_owner = role.role == RoleRef::Builtin(BuiltinRole::Owner);
    let held = PermissionSet::union(grants.iter().map(|g| &g.role.permissions));
    if level_above(&grants, role.level, is_owner) && held.covers(&role.permissions) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// The same rule for managing (deactivating, editing) a user whose highest role level is
/// `target_level`: only from above at org scope; owners may manage owners.
pub fn check_can_manage_user(actor: &Actor, target_level: u8) -> Result<()> {
    if actor.is_system() {
        return Ok(());
    }
    let grants = managing(actor, None);
    if level_above(&grants, target_level, target_level >= BuiltinRole::Owner.level()) {
        Ok(())
    } else {
        Err(forbidden())
    }
}
