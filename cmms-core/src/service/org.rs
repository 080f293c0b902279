//! Organization use cases: bootstrap, settings, failure codes, and building an `Actor`.

use super::{Cmms, OrgChange, check_version, json, require_held};
use crate::actor::{Actor, ActorGrant};
use crate::domain::event::EventKind;
use crate::domain::failure_code::{FailureCode, FailureCodeKind};
use crate::domain::org::{
    MAX_SLUG, NewOrg, Org, OrgPatch, slugify, validate_org_name, validate_slug,
};
use crate::domain::team::Team;
use crate::domain::user::{RoleGrant, User};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{GrantId, OrgId, RoleId, TeamId, UserId};
use crate::rbac::{self, BuiltinRole, Permission, Resource, RoleDef, RoleRef};
use crate::store::Write;
use std::collections::HashMap;

/// A user's actor from their grants (a custom role that no longer exists grants nothing) and
/// teams: the one place both ways of loading actors meet.
fn assemble(
    org: OrgId,
    user: UserId,
    grants: &[RoleGrant],
    roles: &HashMap<RoleId, RoleDef>,
    teams: Vec<TeamId>,
) -> Actor {
    let grants = grants
        .iter()
        .filter_map(|g| {
            let role = match g.role {
                RoleRef::Builtin(b) => RoleDef::builtin(b),
                RoleRef::Custom(id) => roles.get(&id)?.clone(),
            };
            Some(ActorGrant { role, sites: g.sites.clone() })
        })
        .collect();
    Actor::new(org, user, grants, teams)
}

/// What `bootstrap_org` created.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Bootstrapped {
    /// The new organization.
    pub org: Org,
    /// Its first user, holding the owner role at org scope.
    pub owner: User,
}

impl Cmms {
    /// The actor for a user: loads the user, their role grants (resolving custom roles) and
    /// teams. Unknown or inactive users are `Unauthenticated`.
    pub async fn actor(&self, org: OrgId, user: UserId) -> Result<Actor> {
        let s = &self.store;
        let u =
            s.get_user(org, user).await?.filter(|u| u.active).ok_or(CmmsError::Unauthenticated)?;
        let grants = s.grants_of_user(org, u.id).await?;
        let mut roles = HashMap::new();
        for g in &grants {
            if let RoleRef::Custom(id) = g.role {
                if let Some(r) = s.get_role(org, id).await? {
                    roles.insert(id, r.def());
                }
            }
        }
        let teams = s.teams_of_user(org, u.id).await?;
        Ok(assemble(org, u.id, &grants, &roles, teams))
    }

    /// The actors of the active users among `users`, built from the organization's `grants` and
    /// `teams` already read: one read of the users (and one of the custom roles when a grant
    /// names one) for any number of people, where [`Cmms::actor`] reads three per person.
    pub(crate) async fn actors_among(
        &self,
        org: OrgId,
        users: &[UserId],
        grants: &[RoleGrant],
        teams: &[Team],
    ) -> Result<HashMap<UserId, Actor>> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let s = &self.store;
        let roles: HashMap<RoleId, RoleDef> =
            if grants.iter().any(|g| matches!(g.role, RoleRef::Custom(_))) {
                s.list_roles(org).await?.iter().map(|r| (r.id, r.def())).collect()
            } else {
                HashMap::new()
            };
        let mut out = HashMap::new();
        for u in s.users_by_ids(org, users).await?.into_iter().filter(|u| u.active) {
            let mine: Vec<RoleGrant> =
                grants.iter().filter(|g| g.user_id == u.id).cloned().collect();
            let mut in_teams: Vec<TeamId> =
                teams.iter().filter(|t| t.members.contains(&u.id)).map(|t| t.id).collect();
            in_teams.sort_unstable();
            out.insert(u.id, assemble(org, u.id, &mine, &roles, in_teams));
        }
        Ok(out)
    }

    /// Creates an organization with its first owner (for an empty database, or a new tenant).
    /// The caller decides who may do this; no actor is needed.
    pub async fn bootstrap_org(&self, input: NewOrg) -> Result<Bootstrapped> {
        let now = self.now();
        let mut p = Problems::new();
        let name = validate_org_name(&mut p, &input.name);
        let slug = match &input.slug {
            Some(s) => {
                validate_slug(&mut p, s);
                s.clone()
            }
            None => self.free_slug(&slugify(&name)).await?,
        };
        p.absorb(input.settings.validate())?;
        let org_id = OrgId::new();
        let owner = User::create(org_id, &input.owner_name, &input.owner_email, now)
            .map_err(|e| prefix_fields(e, "owner_"));
        let owner = match owner {
            Ok(u) => Some(u),
            Err(e) => p.absorb(Err(e)).map(|()| None)?,
        };
        p.finish()?;
        let owner = owner.ok_or_else(|| CmmsError::invalid("owner_email", "is required"))?;
        if input.slug.is_some() && self.store.find_org_by_slug(&slug).await?.is_some() {
            return Err(CmmsError::taken("slug", format!("slug {slug} is already used")));
        }
        let org = Org {
            id: org_id,
            name,
            slug,
            settings: input.settings,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let grant = RoleGrant {
            id: GrantId::new(),
            org_id: org.id,
            user_id: owner.id,
            role: RoleRef::Builtin(BuiltinRole::Owner),
            sites: None,
            granted_by: None,
            granted_at: now,
        };
        let system = Actor::system(org.id);
        let changes = vec![
            OrgChange::created(
                Write::insert(org.clone()),
                "org.create",
                EventKind::OrgCreated,
                EntityRef::new(EntityKind::Org, org.id),
                &org,
            ),
            OrgChange::created(
                Write::insert(owner.clone()),
                "user.create",
                EventKind::UserCreated,
                EntityRef::new(EntityKind::User, owner.id),
                &owner,
            ),
            OrgChange::created(
                Write::insert(grant.clone()),
                "grant.add",
                EventKind::GrantAdded,
                EntityRef::new(EntityKind::Grant, grant.id),
                &grant,
            ),
        ];
        self.commit_changes(&system, now, changes).await?;
        Ok(Bootstrapped { org, owner })
    }

    /// `base`, or `base-2`, `base-3`, ... — the first slug no organization has yet.
    async fn free_slug(&self, base: &str) -> Result<String> {
        for n in 1..=1000 {
            let candidate = match n {
                1 => base.to_string(),
                n => {
                    let tail = format!("-{n}");
                    let keep = base.len().min(MAX_SLUG - tail.len());
                    format!("{}{tail}", base[..keep].trim_end_matches('-'))
                }
            };
            if self.store.find_org_by_slug(&candidate).await?.is_none() {
                return Ok(candidate);
            }
        }
        Err(CmmsError::taken("slug", format!("no free slug for {base}; choose one")))
    }

    /// The organization a login names: its id, or its slug. `None` when there is none (the
    /// caller answers as for wrong credentials, so logins reveal nothing more).
    pub async fn find_org(&self, id_or_slug: &str) -> Result<Option<OrgId>> {
        let text = id_or_slug.trim();
        if let Ok(id) = text.parse::<OrgId>() {
            return Ok(self.store.get_org(id).await?.map(|o| o.id));
        }
        let mut p = Problems::new();
        validate_slug(&mut p, text);
        if p.finish().is_err() {
            return Ok(None);
        }
        Ok(self.store.find_org_by_slug(text).await?)
    }

    /// Every organization in the database, by name. For embedding code that opened the
    /// database itself (a script finding its organization again); servers answer only for the
    /// caller's own organization and never call this on a caller's behalf.
    pub async fn list_orgs(&self) -> Result<Vec<Org>> {
        let mut orgs = Vec::new();
        for id in self.store.list_org_ids().await? {
            orgs.push(self.load_org(id).await?);
        }
        orgs.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(orgs)
    }

    /// The organization with this slug or id, for embedding code (see [`Cmms::list_orgs`]).
    pub async fn find_org_record(&self, id_or_slug: &str) -> Result<Option<Org>> {
        match self.find_org(id_or_slug).await? {
            Some(id) => Ok(Some(self.load_org(id).await?)),
            None => Ok(None),
        }
    }

    /// The actor's organization.
    pub async fn get_org(&self, actor: &Actor) -> Result<Org> {
        rbac::authorize(actor, Permission::OrgRead, &Resource::ORG)?;
        self.load_org(actor.org()).await
    }

    pub(crate) async fn load_org(&self, org: OrgId) -> Result<Org> {
        self.store.get_org(org).await?.ok_or_else(|| CmmsError::not_found("org", org))
    }

    /// Changes the organization's name, slug or settings: the fields the patch names, the rest
    /// kept. A slug another organization has is a conflict.
    pub async fn update_org(
        &self,
        actor: &Actor,
        patch: OrgPatch,
        expected_version: Option<i64>,
    ) -> Result<Org> {
        rbac::authorize(actor, Permission::OrgManage, &Resource::ORG)?;
        let before = self.load_org(actor.org()).await?;
        check_version("org", before.version, expected_version)?;
        let mut p = Problems::new();
        let name = match &patch.name {
            Some(n) => validate_org_name(&mut p, n),
            None => before.name.clone(),
        };
        let slug = patch.slug.clone().unwrap_or_else(|| before.slug.clone());
        validate_slug(&mut p, &slug);
        let settings = before.settings.patched(patch);
        p.absorb(settings.validate())?;
        p.finish()?;
        if slug != before.slug && self.store.find_org_by_slug(&slug).await?.is_some() {
            return Err(CmmsError::taken("slug", format!("slug {slug} is already used")));
        }
        let now = self.now();
        let after = Org {
            name,
            slug,
            settings,
            updated_at: now,
            version: before.version + 1,
            ..before.clone()
        };
        let change = OrgChange::new(
            Write::update(after.clone()),
            "org.update",
            EventKind::OrgUpdated,
            EntityRef::new(EntityKind::Org, after.id),
            Some(json(&before)),
            Some(json(&after)),
        );
        self.commit_changes(actor, now, vec![change]).await?;
        Ok(after)
    }

    /// Defines a failure code (problem, cause or remedy) for completion reports.
    pub async fn create_failure_code(
        &self,
        actor: &Actor,
        kind: FailureCodeKind,
        code: &str,
        description: &str,
    ) -> Result<FailureCode> {
        rbac::authorize(actor, Permission::OrgManage, &Resource::ORG)?;
        let fc = FailureCode::create(actor.org(), kind, code, description, self.now())?;
        let existing = self.store.list_failure_codes(actor.org()).await?;
        if existing.iter().any(|c| c.kind == fc.kind && c.code == fc.code) {
            return Err(CmmsError::taken(
                "code",
                format!("{} code {} already exists", kind, fc.code),
            ));
        }
        let change = OrgChange::new(
            Write::insert(fc.clone()),
            "failure_code.create",
            EventKind::FailureCodeCreated,
            EntityRef::new(EntityKind::FailureCode, fc.id),
            None,
            Some(json(&fc)),
        );
        self.commit_changes(actor, fc.created_at, vec![change]).await?;
        Ok(fc)
    }

    /// The organization's failure codes.
    pub async fn list_failure_codes(&self, actor: &Actor) -> Result<Vec<FailureCode>> {
        require_held(actor, Permission::OrgRead)?;
        Ok(self.store.list_failure_codes(actor.org()).await?)
    }
}

fn prefix_fields(e: CmmsError, prefix: &str) -> CmmsError {
    match e {
        CmmsError::Validation(fields) => CmmsError::Validation(
            fields
                .into_iter()
                .map(|mut f| {
                    f.field = format!("{prefix}{}", f.field);
                    f
                })
                .collect(),
        ),
        other => other,
    }
}
