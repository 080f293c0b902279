//! The catalogue: parts (unique part number, default levels, the assets they fit), stock
//! locations (storerooms in sites, bins in storerooms), and the stock levels of one location.

use super::{audience, entity, with_retries};
use crate::actor::Actor;
use crate::domain::EntityKind;
use crate::domain::event::EventKind;
use crate::domain::inventory::{
    NewPart, NewStockLocation, Part, PartPatch, Stock, StockLevels, StockLocation,
    StockLocationPatch,
};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{AssetId, PartId, SiteId, StockLocationId};
use crate::rbac::{self, Permission, Resource};
use crate::service::{Cmms, Stamp, check_version, json, require_held};
use crate::store::record::{Record, RecordReadsExt, STOCK, Select};
use crate::store::{Changeset, Page, Write};
use serde::{Deserialize, Serialize};

/// Which parts to list (by id, i.e. creation order).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PartFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only active (true) or inactive (false) parts.
    pub active: Option<bool>,
    /// Only parts that fit this asset ("spares for this pump").
    pub asset: Option<AssetId>,
    /// Only the part with this barcode.
    pub barcode: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Which stock locations to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct StockLocationFilter {
    /// Only this site's.
    pub site: Option<SiteId>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

impl Cmms {
    /// Adds a part to the catalogue (`inventory.manage`); its part number is unique in the
    /// organization.
    ///
    /// ```
    /// # async fn demo(cmms: cmms_core::Cmms, actor: cmms_core::Actor) -> cmms_core::Result<()> {
    /// use cmms_core::domain::inventory::{NewPart, StockLevels};
    /// let part = cmms
    ///     .create_part(&actor, NewPart {
    ///         part_number: "BRG-6204".into(),
    ///         name: "Deep groove ball bearing 6204".into(),
    ///         levels: StockLevels { reorder_point: Some("4".parse().unwrap()), ..Default::default() },
    ///         ..NewPart::default()
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_part(&self, actor: &Actor, input: NewPart) -> Result<Part> {
        require_held(actor, Permission::InventoryManage)?;
        for a in &input.asset_ids {
            self.get_asset(actor, *a).await?;
        }
        let part = Part::create(actor.org(), input, self.now())?;
        self.ensure_part_number_free(actor, &part).await?;
        let st = Stamp::new(actor, part.created_at);
        let mut cs = Changeset::new();
        cs.push(Write::insert(part.clone()));
        cs.push(st.audit(
            "part.create",
            entity(EntityKind::Part, part.id),
            None,
            Some(json(&part)),
        ));
        cs.push(st.event(
            EventKind::PartCreated,
            entity(EntityKind::Part, part.id),
            audience(None),
            json(&part),
        ));
        self.commit_part(actor, cs).await?;
        Ok(part)
    }

    async fn commit_part(&self, actor: &Actor, cs: Changeset) -> Result<()> {
        match self.store.commit(actor.org(), cs).await {
            Err(crate::error::StoreError::Conflict { message, .. })
                if message.contains("part_number") =>
            {
                Err(CmmsError::taken("part_number", "another part has this part number"))
            }
            other => other.map(drop).map_err(Into::into),
        }
    }

    async fn ensure_part_number_free(&self, actor: &Actor, part: &Part) -> Result<()> {
        let q = Select::new(Part::TABLE).eq("part_number", part.part_number.clone());
        match self.store.find::<Part>(actor.org(), q).await? {
            Some(other) if other.id != part.id => Err(CmmsError::taken(
                "part_number",
                format!("part number {} is taken", part.part_number),
            )),
            _ => Ok(()),
        }
    }

    /// One part (`inventory.read`).
    pub async fn get_part(&self, actor: &Actor, id: PartId) -> Result<Part> {
        require_held(actor, Permission::InventoryRead)?;
        self.load_part(actor, id).await
    }

    /// The part with this part number, if any.
    pub async fn find_part(&self, actor: &Actor, part_number: &str) -> Result<Option<Part>> {
        require_held(actor, Permission::InventoryRead)?;
        let q = Select::new(Part::TABLE).eq("part_number", part_number.trim().to_string());
        Ok(self.store.find::<Part>(actor.org(), q).await?)
    }

    /// Changes a part. New default levels reach every location that follows them.
    pub async fn update_part(
        &self,
        actor: &Actor,
        id: PartId,
        patch: PartPatch,
        expected_version: Option<i64>,
    ) -> Result<Part> {
        require_held(actor, Permission::InventoryManage)?;
        with_retries!({
            let before = self.load_part(actor, id).await?;
            check_version("part", before.version, expected_version)?;
            let after = before.patched(patch.clone(), self.now())?;
            if after.asset_ids != before.asset_ids {
                for a in &after.asset_ids {
                    self.get_asset(actor, *a).await?;
                }
            }
            self.ensure_part_number_free(actor, &after).await?;
            let st = Stamp::new(actor, after.updated_at);
            let mut cs = Changeset::new();
            cs.push(Write::update(after.clone()));
            if after.levels != before.levels {
                // Locations without their own levels follow the part's.
                let q = Select::new(&STOCK).eq("part_id", id.uuid()).eq("own_levels", false);
                for s in self.store.list::<Stock>(actor.org(), q).await? {
                    let mut next = s.clone();
                    next.levels = after.levels;
                    next.updated_at = st.at;
                    next.version += 1;
                    cs.push(Write::update(next));
                }
            }
            let e = entity(EntityKind::Part, id);
            cs.push(st.audit("part.update", e, Some(json(&before)), Some(json(&after))));
            cs.push(st.event(EventKind::PartUpdated, e, audience(None), json(&after)));
            // The part or a stock row changed meanwhile: decide again on what is there now
            // (a stale `expected_version` is then refused by `check_version`).
            self.commit_stock(actor, cs).await?.map(|_| after)
        })
    }

    /// A page of parts, in creation order.
    pub async fn list_parts(&self, actor: &Actor, filter: PartFilter) -> Result<Page<Part>> {
        require_held(actor, Permission::InventoryRead)?;
        let mut q = Select::new(Part::TABLE);
        if let Some(c) = &filter.category {
            q = q.eq("category", c.clone());
        }
        if let Some(a) = filter.active {
            q = q.eq("active", a);
        }
        if let Some(b) = &filter.barcode {
            q = q.eq("barcode", b.clone());
        }
        let asset = filter.asset;
        self.page_by_id(
            actor,
            q,
            filter.limit,
            filter.cursor.as_deref(),
            |p: &Part| p.id.uuid(),
            |p| asset.is_none_or(|a| p.asset_ids.contains(&a)),
        )
        .await
    }

    /// Adds a storeroom to a site, or a bin to a storeroom (`inventory.manage` at the site).
    pub async fn create_stock_location(
        &self,
        actor: &Actor,
        input: NewStockLocation,
    ) -> Result<StockLocation> {
        require_held(actor, Permission::InventoryManage)?;
        let parent = match input.parent_id {
            Some(p) => Some(self.load_stock_location(actor, p).await?),
            None => None,
        };
        let site = input
            .site_id
            .or(parent.as_ref().map(|p| p.site_id))
            .ok_or_else(|| CmmsError::invalid("site_id", "is required for a storeroom"))?;
        self.get_site(actor, site).await?;
        rbac::authorize(actor, Permission::InventoryManage, &Resource::at_site(site))?;
        let loc = StockLocation::create(actor.org(), site, parent.as_ref(), input, self.now())?;
        self.ensure_location_code_free(actor, &loc).await?;
        let st = Stamp::new(actor, loc.created_at);
        let e = entity(EntityKind::StockLocation, loc.id);
        let mut cs = Changeset::new();
        cs.push(Write::insert(loc.clone()));
        cs.push(st.audit("stock_location.create", e, None, Some(json(&loc))));
        cs.push(st.event(EventKind::StockLocationCreated, e, audience(Some(site)), json(&loc)));
        self.commit(actor, cs).await?;
        Ok(loc)
    }

    async fn ensure_location_code_free(&self, actor: &Actor, loc: &StockLocation) -> Result<()> {
        let q = Select::new(StockLocation::TABLE)
            .eq("site_id", loc.site_id.uuid())
            .eq("code", loc.code.clone());
        match self.store.find::<StockLocation>(actor.org(), q).await? {
            Some(other) if other.id != loc.id => Err(CmmsError::taken(
                "code",
                format!("the site already has a stock location {}", loc.code),
            )),
            _ => Ok(()),
        }
    }

    /// One stock location (`inventory.read` at its site).
    pub async fn get_stock_location(
        &self,
        actor: &Actor,
        id: StockLocationId,
    ) -> Result<StockLocation> {
        let loc = self.load_stock_location(actor, id).await?;
        if !rbac::can(actor, Permission::InventoryRead, &Resource::at_site(loc.site_id)) {
            return Err(CmmsError::not_found("stock_location", id));
        }
        Ok(loc)
    }

    /// Renames a stock location, changes its code or (de)activates it.
    pub async fn update_stock_location(
        &self,
        actor: &Actor,
        id: StockLocationId,
        patch: StockLocationPatch,
        expected_version: Option<i64>,
    ) -> Result<StockLocation> {
        let before = self.get_stock_location(actor, id).await?;
        check_version("stock_location", before.version, expected_version)?;
        rbac::authorize(actor, Permission::InventoryManage, &Resource::at_site(before.site_id))?;
        let after = before.patched(patch, self.now())?;
        self.ensure_location_code_free(actor, &after).await?;
        let st = Stamp::new(actor, after.updated_at);
        let e = entity(EntityKind::StockLocation, id);
        let mut cs = Changeset::new();
        cs.push(Write::update(after.clone()));
        cs.push(st.audit("stock_location.update", e, Some(json(&before)), Some(json(&after))));
        cs.push(st.event(
            EventKind::StockLocationUpdated,
            e,
            audience(Some(after.site_id)),
            json(&after),
        ));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// A page of stock locations the actor may see, in creation order.
    pub async fn list_stock_locations(
        &self,
        actor: &Actor,
        filter: StockLocationFilter,
    ) -> Result<Page<StockLocation>> {
        require_held(actor, Permission::InventoryRead)?;
        let mut q = Select::new(StockLocation::TABLE);
        if let Some(site) = filter.site {
            q = q.eq("site_id", site.uuid());
        }
        let keep = |l: &StockLocation| {
            rbac::can(actor, Permission::InventoryRead, &Resource::at_site(l.site_id))
        };
        self.page_by_id(
            actor,
            q,
            filter.limit,
            filter.cursor.as_deref(),
            |l: &StockLocation| l.id.uuid(),
            keep,
        )
        .await
    }

    /// Sets the stock levels of a part at one location (`None`: follow the part's defaults
    /// again). Returns the stock row.
    pub async fn set_stock_levels(
        &self,
        actor: &Actor,
        part: PartId,
        location: StockLocationId,
        levels: Option<StockLevels>,
    ) -> Result<Stock> {
        let loc = self.get_stock_location(actor, location).await?;
        rbac::authorize(actor, Permission::InventoryManage, &Resource::at_site(loc.site_id))?;
        let mut p = Problems::new();
        if let Some(l) = &levels {
            l.check(&mut p, "levels");
        }
        p.finish()?;
        with_retries!({
            let part = self.load_part(actor, part).await?;
            let before = self.stock_row(actor, &part, location).await?;
            let st = Stamp::new(actor, self.now());
            let mut after = before.clone();
            after.levels = levels.unwrap_or(part.levels);
            after.own_levels = levels.is_some();
            after.updated_at = st.at;
            after.version += 1;
            let mut cs = Changeset::new();
            if before.version == 0 {
                // No stock yet: create the row empty, then set its levels.
                cs.push(Write::StockDelta(Box::new(crate::domain::inventory::StockDelta {
                    id: before.id,
                    part_id: part.id,
                    location_id: location,
                    on_hand: crate::domain::inventory::Quantity::ZERO,
                    reserved: crate::domain::inventory::Quantity::ZERO,
                    avg_cost: None,
                    levels: part.levels,
                    expect_version: Some(0),
                    alert: None,
                    at: st.at,
                })));
                after.version = 2;
            }
            cs.push(Write::update(after.clone()));
            let e = entity(EntityKind::Stock, after.id);
            cs.push(st.audit("stock.levels", e, Some(json(&before)), Some(json(&after))));
            self.commit_stock(actor, cs).await?.map(|_| after)
        })
    }
}
