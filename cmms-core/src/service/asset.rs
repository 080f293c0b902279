//! Asset use cases: create, change, move in the hierarchy (no cycles), read and list.

use super::{
    Cmms, Stamp, check_text_filter, check_version, json, page_cursor, require_held,
    require_readable,
};
use crate::actor::Actor;
use crate::domain::asset::{Asset, AssetPatch, NewAsset};
use crate::domain::check_no_cycle;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{AssetId, SiteId};
use crate::rbac::{self, Permission, Resource, ScopeCondition};
use crate::store::KeyType;
use crate::store::{
    AssetFilter, AssetQuery, Changeset, Count, KeyValue, Page, SortKey, Write, check_limit,
    decode_cursor, encode_cursor,
};

const ASSET_SORT: &str = "name";

/// A child asset sits at its parent's site, so site scopes and sub-tree filters agree.
fn check_same_site(parent: &Asset, site: SiteId) -> Result<()> {
    if parent.site_id == site {
        Ok(())
    } else {
        Err(CmmsError::invalid("parent_id", "the parent asset is at another site"))
    }
}

fn audience(site: SiteId) -> EventAudience {
    EventAudience {
        permission: Some(Permission::AssetRead),
        site_id: Some(site),
        ..EventAudience::default()
    }
}

impl Cmms {
    /// Creates an asset. The site may come from the location or the parent asset.
    pub async fn create_asset(&self, actor: &Actor, input: NewAsset) -> Result<Asset> {
        require_held(actor, Permission::AssetWrite)?;
        let parent = match input.parent_id {
            Some(id) => Some(self.get_asset(actor, id).await?),
            None => None,
        };
        let location = match input.location_id {
            Some(id) => Some(
                self.store
                    .get_location(actor.org(), id)
                    .await?
                    .ok_or_else(|| CmmsError::not_found("location", id))?,
            ),
            None => None,
        };
        let site = input
            .site_id
            .or(location.as_ref().map(|l| l.site_id))
            .or(parent.as_ref().map(|p| p.site_id))
            .ok_or_else(|| {
                CmmsError::invalid("site_id", "is required (or give a location or parent asset)")
            })?;
        self.get_site(actor, site).await?;
        if let Some(p) = &parent {
            check_same_site(p, site)?;
        }
        if location.as_ref().is_some_and(|l| l.site_id != site) {
            return Err(CmmsError::invalid("location_id", "the location belongs to another site"));
        }
        rbac::authorize(actor, Permission::AssetWrite, &Resource::at_site(site))?;
        let asset = Asset::create(actor.org(), site, input, self.now())?;
        self.ensure_asset_code_free(actor, &asset).await?;
        let st = Stamp::new(actor, asset.created_at);
        let entity = EntityRef::new(EntityKind::Asset, asset.id);
        let mut cs = Changeset::new();
        cs.push(Write::insert(asset.clone()));
        cs.push(st.audit("asset.create", entity, None, Some(json(&asset))));
        cs.push(st.event(EventKind::AssetCreated, entity, audience(site), json(&asset)));
        self.commit(actor, cs).await?;
        Ok(asset)
    }

    async fn ensure_asset_code_free(&self, actor: &Actor, asset: &Asset) -> Result<()> {
        match self.store.find_asset_by_code(actor.org(), &asset.code).await? {
            Some(other) if other.id != asset.id => {
                Err(CmmsError::taken("code", format!("asset code {} is already used", asset.code)))
            }
            _ => Ok(()),
        }
    }

    /// One asset.
    pub async fn get_asset(&self, actor: &Actor, id: AssetId) -> Result<Asset> {
        let asset = self
            .store
            .get_asset(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("asset", id))?;
        require_readable(
            actor,
            Permission::AssetRead,
            &Resource::at_site(asset.site_id),
            "asset",
            id,
        )?;
        Ok(asset)
    }

    /// Changes an asset; moving it under a new parent is refused when that would create a cycle.
    pub async fn update_asset(
        &self,
        actor: &Actor,
        id: AssetId,
        patch: AssetPatch,
        expected_version: Option<i64>,
    ) -> Result<Asset> {
        let before = self.get_asset(actor, id).await?;
        rbac::authorize(actor, Permission::AssetWrite, &Resource::at_site(before.site_id))?;
        check_version("asset", before.version, expected_version)?;
        let mut guards = Vec::new();
        if let Some(Some(parent)) = patch.parent_id {
            let parent_asset = self.get_asset(actor, parent).await?;
            check_same_site(&parent_asset, before.site_id)?;
            let path = self.store.asset_path(actor.org(), parent).await?;
            check_no_cycle("parent_id", id, parent, &path)?;
            let ids: Vec<uuid::Uuid> = path.iter().map(|a| a.uuid()).collect();
            guards = self.path_guards(actor, EntityKind::Asset, &ids).await?;
        }
        if let Some(Some(loc)) = patch.location_id {
            self.check_location_in_site(actor, loc, before.site_id, "location_id").await?;
        }
        let after = before.patched(patch, self.now())?;
        self.ensure_asset_code_free(actor, &after).await?;
        let st = Stamp::new(actor, after.updated_at);
        let entity = EntityRef::new(EntityKind::Asset, id);
        let mut cs = Changeset::new();
        cs.extend(guards);
        cs.push(Write::update(after.clone()));
        cs.push(st.audit("asset.update", entity, Some(json(&before)), Some(json(&after))));
        cs.push(st.event(EventKind::AssetUpdated, entity, audience(after.site_id), json(&after)));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// A page of assets the actor may see, by name.
    pub async fn list_assets(&self, actor: &Actor, filter: AssetFilter) -> Result<Page<Asset>> {
        require_held(actor, Permission::AssetRead)?;
        let limit = check_limit(filter.limit)?;
        check_text_filter(filter.text.as_deref())?;
        let after = filter
            .cursor
            .as_deref()
            .map(|c| decode_cursor(ASSET_SORT, c, KeyType::Text))
            .transpose()?;
        let vis = rbac::visibility(actor, Permission::AssetRead);
        let sites = if vis.is_all() {
            None
        } else {
            Some(
                vis.clauses
                    .iter()
                    .filter(|c| c.condition == ScopeCondition::Any)
                    .flat_map(|c| c.sites.clone().unwrap_or_default())
                    .collect(),
            )
        };
        let counted = filter.count;
        let query = AssetQuery { filter, sites, after, fetch: limit + 1 };
        let mut items = self.store.list_assets(actor.org(), &query).await?;
        let next_cursor = page_cursor(&mut items, limit, |a| SortKey {
            value: Some(KeyValue::Text(a.name.clone())),
            id: a.id.uuid(),
        })
        .map(|k| encode_cursor(ASSET_SORT, &k));
        let total = match counted {
            Some(Count::Exact) => Some(self.store.count_assets(actor.org(), &query).await?),
            None => None,
        };
        Ok(Page { items, next_cursor, total })
    }

    /// The asset's maintenance history: work orders on it and on its sub-assets, newest
    /// first, in pages (the same visibility as the work-order list).
    pub async fn asset_history(
        &self,
        actor: &Actor,
        id: AssetId,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<crate::domain::work_order::WorkOrder>> {
        self.get_asset(actor, id).await?;
        let filter = crate::store::WorkOrderFilter {
            asset: Some(id),
            include_sub_assets: true,
            limit,
            cursor,
            ..Default::default()
        };
        self.list_work_orders(actor, filter).await
    }

    /// The direct children of an asset.
    pub async fn asset_children(
        &self,
        actor: &Actor,
        id: AssetId,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<Asset>> {
        self.get_asset(actor, id).await?;
        self.list_assets(
            actor,
            AssetFilter { parent: Some(id), limit, cursor, ..AssetFilter::default() },
        )
        .await
    }
}
