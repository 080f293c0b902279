//! User, role-grant and custom-role use cases, including the grant-below rule.

use super::{Cmms, OrgChange, check_text_filter, check_version, json, page_cursor, require_held};
use crate::actor::Actor;
use crate::domain::event::EventKind;
use crate::domain::user::{CustomRole, NewRole, NewUser, RoleGrant, RolePatch, User, UserPatch};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{GrantId, RoleId, SiteId, UserId};
use crate::rbac::{self, BuiltinRole, Permission, PermissionSet, Resource, RoleDef, RoleRef};
use crate::store::KeyType;
use crate::store::{
    Count, KeyValue, Page, SortKey, UserFilter, UserQuery, Write, check_limit, decode_cursor,
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
        require_held(actor, Permission::UserManage)?;
        let now = self.now();
        let user = User::create(actor.org(), &input.name, &input.email, now)?;
        let role = match input.role {
            Some(r) => Some(self.role_def(actor, r).await?),
            None => None,
        };
        match &role {
            Some(def) => {
                self.check_sites_exist(actor, input.sites.as_deref()).await?;
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
            Write::insert(user.clone()),
            "user.create",
            EventKind::UserCreated,
            EntityRef::new(EntityKind::User, user.id),
            &user,
        )];
        if let Some(g) = &grant {
            let entity = EntityRef::new(EntityKind::Grant, g.id);
            changes.push(OrgChange::created(
                Write::insert(g.clone()),
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
        match self.store.find_user_by_email(actor.org(), &user.email).await? {
            Some(other) if other.id != user.id => {
                Err(CmmsError::taken("email", "is already used by another user"))
            }
            _ => Ok(()),
        }
    }

    pub(crate) async fn check_sites_exist(
        &self,
        actor: &Actor,
        sites: Option<&[SiteId]>,
    ) -> Result<()> {
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

    pub(crate) async fn role_def(&self, actor: &Actor, role: RoleRef) -> Result<RoleDef> {
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
    pub(crate) async fn user_level(&self, actor: &Actor, user: UserId) -> Result<u8> {
        let mut top = 0;
        for g in self.store.grants_of_user(actor.org(), user).await? {
            top = top.max(self.role_def(actor, g.role).await.map(|d| d.level).unwrap_or(0));
        }
        Ok(top)
    }

    /// Changes a user. Users may rename themselves; anything else needs `user.manage` at org
    /// scope and a level above the target's (owners may manage owners).
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
            return Err(CmmsError::invalid("active", "you cannot deactivate yourself"));
        }
        // Users may rename themselves; a changed email or active flag is account management
        // (an email may be a login name), done only from above.
        let name_only = patch.email.is_none() && patch.active.is_none();
        if !(actor.user_id() == Some(id) && name_only) {
            rbac::check_can_manage_user(actor, self.user_level(actor, id).await?)?;
        }
        let after = before.patched(patch, self.now())?;
        self.ensure_email_free(actor, &after).await?;
        let change = OrgChange::new(
            Write::update(after.clone()),
            "user.update",
            EventKind::UserUpdated,
            EntityRef::new(EntityKind::User, id),
            Some(json(&before)),
            Some(json(&after)),
        );
        self.commit_changes(actor, after.updated_at, vec![change]).await?;
        Ok(after)
    }

    /// One user (anyone may read themselves).
    pub async fn get_user(&self, actor: &Actor, id: UserId) -> Result<User> {
        if actor.user_id() != Some(id) {
            require_held(actor, Permission::UserRead)?;
        }
        self.store.get_user(actor.org(), id).await?.ok_or_else(|| CmmsError::not_found("user", id))
    }

    /// A page of users, by email.
    pub async fn list_users(&self, actor: &Actor, filter: UserFilter) -> Result<Page<User>> {
        require_held(actor, Permission::UserRead)?;
        let limit = check_limit(filter.limit)?;
        check_text_filter(filter.text.as_deref())?;
        let after = filter
            .cursor
            .as_deref()
            .map(|c| decode_cursor(USER_SORT, c, KeyType::Text))
            .transpose()?;
        let counted = filter.count;
        let query = UserQuery { filter, after, fetch: limit + 1 };
        let mut items = self.store.list_users(actor.org(), &query).await?;
        let next_cursor = page_cursor(&mut items, limit, |u| SortKey {
            value: Some(KeyValue::Text(u.email.clone())),
            id: u.id.uuid(),
        })
        .map(|k| encode_cursor(USER_SORT, &k));
        let total = match counted {
            Some(Count::Exact) => Some(self.store.count_users(actor.org(), &query).await?),
            None => None,
        };
        Ok(Page { items, next_cursor, total })
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
        require_held(actor, Permission::UserManage)?;
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
            Write::insert(grant.clone()),
            "grant.add",
            EventKind::GrantAdded,
            EntityRef::new(EntityKind::Grant, grant.id),
            None,
            Some(json(&grant)),
        );
        self.commit_changes(actor, grant.granted_at, vec![change]).await?;
        Ok(grant)
    }

    /// Revokes a grant (same rule as granting it). Nobody revokes their own owner grant, so an
    /// owner cannot lock themselves out.
    pub async fn revoke_grant(&self, actor: &Actor, id: GrantId) -> Result<()> {
        require_held(actor, Permission::UserManage)?;
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
            return Err(CmmsError::invalid("grant", "owners cannot revoke their own owner role"));
        }
        let change = OrgChange::new(
            Write::delete::<crate::domain::user::RoleGrant>(id),
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
        self.check_role_definable(actor, &role).await?;
        let change = OrgChange::created(
            Write::insert(role.clone()),
            "role.create",
            EventKind::RoleCreated,
            EntityRef::new(EntityKind::Role, role.id),
            &role,
        );
        self.commit_changes(actor, role.created_at, vec![change]).await?;
        Ok(role)
    }

    /// Changes a custom role; the same rules as defining it apply to the result, and the
    /// actor must be able to grant the role as it was (nobody edits a role above them).
    pub async fn update_role(
        &self,
        actor: &Actor,
        id: RoleId,
        patch: RolePatch,
        expected_version: Option<i64>,
    ) -> Result<CustomRole> {
        rbac::authorize(actor, Permission::RoleManage, &Resource::ORG)?;
        let before = self
            .store
            .get_role(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("role", id))?;
        check_version("role", before.version, expected_version)?;
        rbac::check_can_grant(actor, &before.def(), None)?;
        let after = before.patched(patch, self.now())?;
        self.check_role_definable(actor, &after).await?;
        let change = OrgChange::new(
            Write::update(after.clone()),
            "role.update",
            EventKind::RoleUpdated,
            EntityRef::new(EntityKind::Role, id),
            Some(json(&before)),
            Some(json(&after)),
        );
        self.commit_changes(actor, after.updated_at, vec![change]).await?;
        Ok(after)
    }

    /// A role the actor may define: only permissions they hold org-wide, a level they could
    /// grant, and a name no other role has.
    async fn check_role_definable(&self, actor: &Actor, role: &CustomRole) -> Result<()> {
        let org_wide = actor.grants().iter().filter(|g| g.sites.is_none());
        let mine = PermissionSet::union(org_wide.map(|g| &g.role.permissions));
        if !actor.is_system() && !mine.covers(&role.def().permissions) {
            return Err(CmmsError::invalid(
                "permissions",
                "may only hold permissions you hold yourself",
            ));
        }
        rbac::check_can_grant(actor, &role.def(), None)?;
        let roles = self.store.list_roles(actor.org()).await?;
        if roles.iter().any(|r| r.name == role.name && r.id != role.id) {
            return Err(CmmsError::invalid("name", "a role with this name exists"));
        }
        Ok(())
    }

    /// The organization's custom roles.
    pub async fn list_roles(&self, actor: &Actor) -> Result<Vec<CustomRole>> {
        require_held(actor, Permission::UserRead)?;
        Ok(self.store.list_roles(actor.org()).await?)
    }
}
