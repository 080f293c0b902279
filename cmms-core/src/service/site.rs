//! Site, location and team use cases.

use super::{Cmms, OrgChange, check_version, json, require_held, require_readable};
use crate::actor::Actor;
use crate::domain::check_no_cycle;
use crate::domain::event::EventKind;
use crate::domain::location::{Location, LocationPatch, NewLocation};
use crate::domain::site::{NewSite, Site, SitePatch};
use crate::domain::team::{NewTeam, Team, TeamPatch};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{LocationId, SiteId, TeamId};
use crate::rbac::{self, Permission, Resource, ScopeCondition};
use crate::store::Write;

impl Cmms {
    /// Creates a site (org-wide `site.manage`).
    pub async fn create_site(&self, actor: &Actor, input: NewSite) -> Result<Site> {
        rbac::authorize(actor, Permission::SiteManage, &Resource::ORG)?;
        let site = Site::create(actor.org(), input, self.now())?;
        self.ensure_site_code_free(actor, &site).await?;
        let change = OrgChange::new(
            Write::insert(site.clone()),
            "site.create",
            EventKind::SiteCreated,
            EntityRef::new(EntityKind::Site, site.id),
            None,
            Some(json(&site)),
        )
        .at_site(Some(site.id));
        self.commit_changes(actor, site.created_at, vec![change]).await?;
        Ok(site)
    }

    async fn ensure_site_code_free(&self, actor: &Actor, site: &Site) -> Result<()> {
        let sites = self.store.list_sites(actor.org()).await?;
        if sites.iter().any(|s| s.code == site.code && s.id != site.id) {
            return Err(CmmsError::taken(
                "code",
                format!("site code {} is already used", site.code),
            ));
        }
        Ok(())
    }

    /// Changes a site.
    pub async fn update_site(
        &self,
        actor: &Actor,
        id: SiteId,
        patch: SitePatch,
        expected_version: Option<i64>,
    ) -> Result<Site> {
        let before = self.get_site(actor, id).await?;
        rbac::authorize(actor, Permission::SiteManage, &Resource::at_site(id))?;
        check_version("site", before.version, expected_version)?;
        let after = before.patched(patch, self.now())?;
        self.ensure_site_code_free(actor, &after).await?;
        let change = OrgChange::new(
            Write::update(after.clone()),
            "site.update",
            EventKind::SiteUpdated,
            EntityRef::new(EntityKind::Site, id),
            Some(json(&before)),
            Some(json(&after)),
        )
        .at_site(Some(id));
        self.commit_changes(actor, after.updated_at, vec![change]).await?;
        Ok(after)
    }

    /// One site.
    pub async fn get_site(&self, actor: &Actor, id: SiteId) -> Result<Site> {
        let site = self
            .store
            .get_site(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("site", id))?;
        require_readable(actor, Permission::SiteRead, &Resource::at_site(id), "site", id)?;
        Ok(site)
    }

    /// The sites the actor may see, by code.
    pub async fn list_sites(&self, actor: &Actor) -> Result<Vec<Site>> {
        require_held(actor, Permission::SiteRead)?;
        let vis = rbac::visibility(actor, Permission::SiteRead);
        let mut sites = self.store.list_sites(actor.org()).await?;
        if !vis.is_all() {
            sites.retain(|s| {
                vis.clauses.iter().any(|c| {
                    c.condition == ScopeCondition::Any
                        && c.sites.as_ref().is_none_or(|ids| ids.contains(&s.id))
                })
            });
        }
        Ok(sites)
    }

    /// Creates a location in a site, optionally under a parent location of the same site.
    pub async fn create_location(&self, actor: &Actor, input: NewLocation) -> Result<Location> {
        let site = self.get_site(actor, input.site_id).await?;
        rbac::authorize(actor, Permission::SiteManage, &Resource::at_site(site.id))?;
        if let Some(parent) = input.parent_id {
            self.check_location_in_site(actor, parent, site.id, "parent_id").await?;
        }
        let loc = Location::create(actor.org(), input, self.now())?;
        let change = OrgChange::new(
            Write::insert(loc.clone()),
            "location.create",
            EventKind::LocationCreated,
            EntityRef::new(EntityKind::Location, loc.id),
            None,
            Some(json(&loc)),
        )
        .at_site(Some(loc.site_id));
        self.commit_changes(actor, loc.created_at, vec![change]).await?;
        Ok(loc)
    }

    /// Loads a location and checks it belongs to `site`; errors name `field`.
    pub(crate) async fn check_location_in_site(
        &self,
        actor: &Actor,
        id: LocationId,
        site: SiteId,
        field: &str,
    ) -> Result<Location> {
        let loc = self
            .store
            .get_location(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("location", id))?;
        if loc.site_id != site {
            return Err(CmmsError::invalid(field, "the location belongs to another site"));
        }
        Ok(loc)
    }

    /// Changes a location (rename, or move under another location of the same site).
    pub async fn update_location(
        &self,
        actor: &Actor,
        id: LocationId,
        patch: LocationPatch,
        expected_version: Option<i64>,
    ) -> Result<Location> {
        let before = self.get_location(actor, id).await?;
        rbac::authorize(actor, Permission::SiteManage, &Resource::at_site(before.site_id))?;
        check_version("location", before.version, expected_version)?;
        let mut guards = Vec::new();
        if let Some(Some(parent)) = patch.parent_id {
            self.check_location_in_site(actor, parent, before.site_id, "parent_id").await?;
            let path = self.store.location_path(actor.org(), parent).await?;
            check_no_cycle("parent_id", id, parent, &path)?;
            let ids: Vec<uuid::Uuid> = path.iter().map(|l| l.uuid()).collect();
            guards = self.path_guards(actor, EntityKind::Location, &ids).await?;
        }
        let after = before.patched(patch, self.now())?;
        let change = OrgChange::new(
            Write::update(after.clone()),
            "location.update",
            EventKind::LocationUpdated,
            EntityRef::new(EntityKind::Location, id),
            Some(json(&before)),
            Some(json(&after)),
        )
        .at_site(Some(after.site_id))
        .guarded(guards);
        self.commit_changes(actor, after.updated_at, vec![change]).await?;
        Ok(after)
    }

    /// One location.
    pub async fn get_location(&self, actor: &Actor, id: LocationId) -> Result<Location> {
        let loc = self
            .store
            .get_location(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("location", id))?;
        require_readable(
            actor,
            Permission::SiteRead,
            &Resource::at_site(loc.site_id),
            "location",
            id,
        )?;
        Ok(loc)
    }

    /// Locations of one site (or of every site the actor may see).
    pub async fn list_locations(
        &self,
        actor: &Actor,
        site: Option<SiteId>,
    ) -> Result<Vec<Location>> {
        require_held(actor, Permission::SiteRead)?;
        if let Some(site) = site {
            self.get_site(actor, site).await?;
        }
        let mut locs = self.store.list_locations(actor.org(), site).await?;
        locs.retain(|l| rbac::can(actor, Permission::SiteRead, &Resource::at_site(l.site_id)));
        Ok(locs)
    }

    fn team_resource(team_site: Option<SiteId>) -> Resource<'static> {
        team_site.map_or(Resource::ORG, Resource::at_site)
    }

    /// Creates a team.
    pub async fn create_team(&self, actor: &Actor, input: NewTeam) -> Result<Team> {
        rbac::authorize(actor, Permission::SiteManage, &Self::team_resource(input.site_id))?;
        if let Some(site) = input.site_id {
            self.get_site(actor, site).await?;
        }
        let team = Team::create(actor.org(), input, self.now())?;
        self.ensure_users(actor, &team.members, None).await?;
        let change = OrgChange::new(
            Write::insert(team.clone()),
            "team.create",
            EventKind::TeamCreated,
            EntityRef::new(EntityKind::Team, team.id),
            None,
            Some(json(&team)),
        )
        .at_site(team.site_id);
        self.commit_changes(actor, team.created_at, vec![change]).await?;
        Ok(team)
    }

    /// Changes a team (name, home site, members).
    pub async fn update_team(
        &self,
        actor: &Actor,
        id: TeamId,
        patch: TeamPatch,
        expected_version: Option<i64>,
    ) -> Result<Team> {
        let before = self.get_team(actor, id).await?;
        rbac::authorize(actor, Permission::SiteManage, &Self::team_resource(before.site_id))?;
        check_version("team", before.version, expected_version)?;
        let after = before.patched(patch, self.now())?;
        rbac::authorize(actor, Permission::SiteManage, &Self::team_resource(after.site_id))?;
        if let Some(site) = after.site_id {
            self.get_site(actor, site).await?;
        }
        self.ensure_users(actor, &after.members, None).await?;
        let change = OrgChange::new(
            Write::update(after.clone()),
            "team.update",
            EventKind::TeamUpdated,
            EntityRef::new(EntityKind::Team, id),
            Some(json(&before)),
            Some(json(&after)),
        )
        .at_site(after.site_id);
        self.commit_changes(actor, after.updated_at, vec![change]).await?;
        Ok(after)
    }

    /// One team.
    pub async fn get_team(&self, actor: &Actor, id: TeamId) -> Result<Team> {
        let team = self
            .store
            .get_team(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("team", id))?;
        require_readable(
            actor,
            Permission::SiteRead,
            &Self::team_resource(team.site_id),
            "team",
            id,
        )?;
        Ok(team)
    }

    /// The teams the actor may see (org-wide teams need an org-wide grant).
    pub async fn list_teams(&self, actor: &Actor) -> Result<Vec<Team>> {
        require_held(actor, Permission::SiteRead)?;
        let mut teams = self.store.list_teams(actor.org()).await?;
        teams.retain(|t| rbac::can(actor, Permission::SiteRead, &Self::team_resource(t.site_id)));
        Ok(teams)
    }
}
