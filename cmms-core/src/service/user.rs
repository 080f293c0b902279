//! User, role-grant and custom-role use cases, including the grant-below rule.

use super::{Cmms, OrgChange, check_version, json, require_held};
use crate::actor::Actor;
use crate::domain::event::EventKind;
use crate::domain::user::{CustomRole, NewRole, NewUser, RoleGrant, User, UserPatch};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{GrantId, SiteId, UserId};
use crate::rbac::{
    self, BuiltinRole, Condition, Permission, PermissionSet, Resource, RoleDef, RoleRef,
};
use crate::store::{
    KeyValue, Page, SortKey, UserFilter, UserQuery, Write, check_limit, decode_cursor,
    encode_cursor,
};

const USER_SORT: &str = "email";

impl Cmms {
    /// Creates a user, optionally granting a first role (subject to the grant-below rule).
    pub async fn create_user(
        &self,
        actor: &Actor,
        input: NewUser,
    ) -> Result<(User, Option<RoleGrant>)> {
        let now = self.now();
        let user = User::create(actor.org(), &input.name, &input.email, now)?;
        let role = match input.role {
            Some(r) => Some(self.role_def(actor, r).await?),
            None => None,
        };
        match &role {
            Some(def) => {
                self.check_sites_exist(actor, input.sites.as_deref())
                    .await?;
                rbac::check_can_grant(actor, def, input.sites.as_deref())?;
            }
            None => rbac::authorize(actor, Permission::UserManage, &Resource::ORG)?,
        }
        self.ensure_email_free(actor, &user).await?;
        let grant = role.map(|def| RoleGrant {
            id: GrantId::new(),
            org_id: actor.org(),
            user_id: user.id,
            role: def.role,
            sites: input.sites,
            granted_by: actor.user_id(),
            granted_at: now,
        });
        let mut changes = vec![OrgChange::created(
            Write::InsertUser(user.clone()),
            "user.create",
            EventKind::UserCreated,
            EntityRef::new(EntityKind::User, user.id),
            &user,
        )];
        if let Some(g) = &grant {
            let entity = EntityRef::new(EntityKind::Grant, g.id);
            changes.push(OrgChange::created(
                Write::InsertGrant(g.clone()),
                "grant.add",
                EventKind::GrantAdded,
                entity,
                g,
            ));
        }
        self.commit_changes(actor, now, changes).await?;
        Ok((user, grant))
    }

    async fn ensure_email_free(&self, actor: &Actor, user: &User) -> Result<()> {
        match self
            .store
            .find_user_by_email(actor.org(), &user.email)
            .await?
        {
            Some(other) if other.id != user.id => Err(CmmsError::invalid(
                "email",
                "is already used by another user",
            )),
            _ => Ok(()),
        }
    }

    async fn check_sites_exist(&self, actor: &Actor, sites: Option<&[SiteId]>) -> Result<()> {
        for site in sites.unwrap_or(&[]) {
            if self.store.get_site(actor.org(), *site).await?.is_none() {
                return Err(CmmsError::not_found("site", site));
            }
        }
        if sites.is_some_and(<[SiteId]>::is_empty) {
            return Err(CmmsError::invalid(
                "sites",
                "give at least one site, or none for org scope",
            ));
        }
        Ok(())
    }

    async fn role_def(&self, actor: &Actor, role: RoleRef) -> Result<RoleDef> {
        match role {
            RoleRef::Builtin(b) => Ok(RoleDef::builtin(b)),
            RoleRef::Custom(id) => self
                .store
                .get_role(actor.org(), id)
                .await?
                .map(|r| r.def())
                .ok_or_else(|| CmmsError::not_found("role", id)),
        }
    }

    /// The highest level among the target user's grants.
    async fn user_level(&self, actor: &Actor, user: UserId) -> Result<u8> {
        let mut top = 0;
        for g in self.store.grants_of_user(actor.org(), user).await? {
            top = top.max(
                self.role_def(actor, g.role)
                    .await
                    .map(|d| d.level)
                    .unwrap_or(0),
            );
        }
        Ok(top)
    }

    /// Changes a user. Users may rename themselves; anything else needs `user.manage` and a
    /// level above the target's (owners excepted).
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: UserId,
        patch: UserPatch,
        expected_version: Option<i64>,
    ) -> Result<User> {
        let before = self.get_user(actor, id).await?;
        check_version("user", before.version, expected_version)?;
        if actor.user_id() == Some(id) && patch.active == Some(false) {
            return Err(CmmsError::invalid(
                "active",
                "you cannot deactivate yourself",
            ));
        }
        let self_edit = actor.user_id() == Some(id) && patch.active.is_none();
        if !self_edit {
            let level = self.user_level(actor, id).await?;
            let probe = RoleDef {
                role: RoleRef::Builtin(BuiltinRole::Viewer),
                level,
                permissions: PermissionSet::from_pairs(&[]),
            };
            rbac::check_can_grant(actor, &probe, None)?;
        }
        let after = before.patched(patch, self.now())?;
        self.ensure_email_free(actor, &after).await?;
        let change = OrgChange::new(
            Write::UpdateUser(after.clone()),
            "user.update",
            EventKind::UserUpdated,
            EntityRef::new(EntityKind::User, id),
            Some(json(&before)),
            Some(json(&after)),
        );
        self.commit_changes(actor, after.updated_at, vec![change])
            .await?;
        Ok(after)
    }

    /// One user (anyone may read themselves).
    pub async fn get_user(&self, actor: &Actor, id: UserId) -> Result<User> {
        if actor.user_id() != Some(id) {
            require_held(actor, Permission::UserRead)?;
        }
        self.store
            .get_user(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("user", id))
    }

    /// A page of users, by email.
    pub async fn list_users(&self, actor: &Actor, filter: UserFilter) -> Result<Page<User>> {
        require_held(actor, Permission::UserRead)?;
        let limit = check_limit(filter.limit)?;
        let after = filter
            .cursor
            .as_deref()
            .map(|c| decode_cursor(USER_SORT, c, true))
            .transpose()?;
        let query = UserQuery {
            filter,
            after,
            fetch: limit + 1,
        };
        let mut items = self.store.list_users(actor.org(), &query).await?;
        let next_cursor = page_cursor(&mut items, limit, |u| SortKey {
            value: Some(KeyValue::Text(u.email.clone())),
            id: u.id.uuid(),
        })
        .map(|k| encode_cursor(USER_SORT, &k));
        Ok(Page { items, next_cursor })
    }

    /// Grants a role to a user at org scope (`sites == None`) or for listed sites. Only roles
    /// strictly below the granter's own; only an owner grants owner.
    pub async fn grant_role(
        &self,
        actor: &Actor,
        user: UserId,
        role: RoleRef,
        sites: Option<Vec<SiteId>>,
    ) -> Result<RoleGrant> {
        let target = self
            .store
            .get_user(actor.org(), user)
            .await?
            .ok_or_else(|| CmmsError::not_found("user", user))?;
        let def = self.role_def(actor, role).await?;
        self.check_sites_exist(actor, sites.as_deref()).await?;
        rbac::check_can_grant(actor, &def, sites.as_deref())?;
        let existing = self.store.grants_of_user(actor.org(), target.id).await?;
        if existing.iter().any(|g| g.role == role && g.sites == sites) {
            return Err(CmmsError::invalid(
                "role",
                "the user already holds this role in this scope",
            ));
        }
        let grant = RoleGrant {
            id: GrantId::new(),
            org_id: actor.org(),
            user_id: target.id,
            role,
            sites,
            granted_by: actor.user_id(),
            granted_at: self.now(),
        };
        let change = OrgChange::new(
            Write::InsertGrant(grant.clone()),
            "grant.add",
            EventKind::GrantAdded,
            EntityRef::new(EntityKind::Grant, grant.id),
            None,
            Some(json(&grant)),
        );
        self.commit_changes(actor, grant.granted_at, vec![change])
            .await?;
        Ok(grant)
    }

    /// Revokes a grant (same rule as granting it). Nobody revokes their own owner grant, so an
    /// organization always keeps an owner.
    pub async fn revoke_grant(&self, actor: &Actor, id: GrantId) -> Result<()> {
        let grant = self
            .store
            .get_grant(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("grant", id))?;
        let def = self.role_def(actor, grant.role).await?;
        rbac::check_can_grant(actor, &def, grant.sites.as_deref())?;
        if grant.role == RoleRef::Builtin(BuiltinRole::Owner)
            && actor.user_id() == Some(grant.user_id)
        {
            return Err(CmmsError::invalid(
                "grant",
                "owners cannot revoke their own owner role",
            ));
        }
        let change = OrgChange::new(
            Write::DeleteGrant(id),
            "grant.remove",
            EventKind::GrantRemoved,
            EntityRef::new(EntityKind::Grant, id),
            Some(json(&grant)),
            None,
        );
        self.commit_changes(actor, self.now(), vec![change]).await?;
        Ok(())
    }

    /// A user's grants.
    pub async fn list_grants(&self, actor: &Actor, user: UserId) -> Result<Vec<RoleGrant>> {
        self.get_user(actor, user).await?;
        Ok(self.store.grants_of_user(actor.org(), user).await?)
    }

    /// Defines a custom role: below the creator's level, holding only permissions the creator
    /// holds org-wide.
    pub async fn create_role(&self, actor: &Actor, input: NewRole) -> Result<CustomRole> {
        rbac::authorize(actor, Permission::RoleManage, &Resource::ORG)?;
        let role = CustomRole::create(actor.org(), input, self.now())?;
        rbac::check_can_grant(actor, &role.def(), None)?;
        let mine: Vec<(Permission, Condition)> = actor
            .grants()
            .iter()
            .filter(|g| g.sites.is_none())
            .flat_map(|g| g.role.permissions.pairs())
            .collect();
        if !actor.is_system()
            && !PermissionSet::from_pairs(&broadest(mine)).covers(&role.def().permissions)
        {
            return Err(CmmsError::invalid(
                "permissions",
                "may only hold permissions you hold yourself",
            ));
        }
        if self
            .store
            .list_roles(actor.org())
            .await?
            .iter()
            .any(|r| r.name == role.name)
        {
            return Err(CmmsError::invalid("name", "a role with this name exists"));
        }
        let change = OrgChange::new(
            Write::InsertRole(role.clone()),
            "role.create",
            EventKind::RoleCreated,
            EntityRef::new(EntityKind::Role, role.id),
            None,
            Some(json(&role)),
        );
        self.commit_changes(actor, role.created_at, vec![change])
            .await?;
        Ok(role)
    }

    /// The organization's custom roles.
    pub async fn list_roles(&self, actor: &Actor) -> Result<Vec<CustomRole>> {
        require_held(actor, Permission::UserRead)?;
        Ok(self.store.list_roles(actor.org()).await?)
    }
}

/// Keeps the broadest condition per permission (`Any` beats `Own`/`Assigned`).
fn broadest(pairs: Vec<(Permission, Condition)>) -> Vec<(Permission, Condition)> {
    let mut out: Vec<(Permission, Condition)> = Vec::new();
    for (p, c) in pairs {
        match out.iter_mut().find(|(q, _)| *q == p) {
            Some(entry) if c == Condition::Any => entry.1 = c,
            Some(_) => {}
            None => out.push((p, c)),
        }
    }
    out
}

/// Trims a fetched page (`limit + 1` rows) to `limit` and returns the key of the last row kept
/// when there is a next page.
pub(crate) fn page_cursor<T>(
    items: &mut Vec<T>,
    limit: u32,
    key: impl Fn(&T) -> SortKey,
) -> Option<SortKey> {
    if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(key)
    } else {
        None
    }
}
