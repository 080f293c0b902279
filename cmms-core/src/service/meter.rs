//! Meter use cases: create and change meters on assets, record readings (one or a batch, in one
//! commit), and read them back by time.

use super::{Cmms, Stamp, check_version, json, page_cursor, require_held};
use crate::actor::Actor;
use crate::domain::asset::Asset;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::meter::{
    MAX_BATCH, Meter, MeterPatch, NewMeter, NewReading, Reading, place_readings,
};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{AssetId, MeterId};
use crate::rbac::{self, Permission, Resource};
use crate::store::record::{Cmp, Record, RecordReadsExt, Select};
use crate::store::{Changeset, KeyType, KeyValue, Page, SortKey, Write, check_limit};
use crate::store::{decode_cursor, encode_cursor};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which meters to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct MeterFilter {
    /// Only this asset's meters.
    pub asset: Option<AssetId>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Which readings of a meter to list: oldest first, from `from` (inclusive) to `to` (exclusive).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ReadingFilter {
    /// Taken at or after.
    pub from: Option<DateTime<Utc>>,
    /// Taken before.
    pub to: Option<DateTime<Utc>>,
    /// Newest first instead.
    pub newest_first: bool,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// What a batch of readings did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct RecordedReadings {
    /// The readings recorded, by time.
    pub recorded: Vec<Reading>,
    /// Repeats of readings already recorded (same meter, instant and value), left out.
    pub repeats: usize,
    /// The meters as they are now.
    pub meters: Vec<Meter>,
}

fn audience(asset: &Asset) -> EventAudience {
    EventAudience {
        permission: Some(Permission::AssetRead),
        site_id: Some(asset.site_id),
        ..EventAudience::default()
    }
}

fn entity(id: MeterId) -> EntityRef {
    EntityRef::new(EntityKind::Meter, id)
}

impl Cmms {
    /// Adds a meter to an asset (`meter.manage` at the asset's site); its name is unique on the
    /// asset.
    pub async fn create_meter(&self, actor: &Actor, input: NewMeter) -> Result<Meter> {
        require_held(actor, Permission::MeterManage)?;
        let asset = self.get_asset(actor, input.asset_id).await?;
        rbac::authorize(actor, Permission::MeterManage, &Resource::at_site(asset.site_id))?;
        let meter = Meter::create(actor.org(), input, self.now())?;
        self.ensure_meter_name_free(actor, &meter).await?;
        let st = Stamp::new(actor, meter.created_at);
        let mut cs = Changeset::new();
        cs.push(Write::insert(meter.clone()));
        cs.push(st.audit("meter.create", entity(meter.id), None, Some(json(&meter))));
        cs.push(st.event(
            EventKind::MeterCreated,
            entity(meter.id),
            audience(&asset),
            json(&meter),
        ));
        self.commit(actor, cs).await?;
        Ok(meter)
    }

    async fn ensure_meter_name_free(&self, actor: &Actor, meter: &Meter) -> Result<()> {
        let q = Select::new(Meter::TABLE)
            .eq("asset_id", meter.asset_id.uuid())
            .eq("name", meter.name.clone());
        match self.store.find::<Meter>(actor.org(), q).await? {
            Some(other) if other.id != meter.id => Err(CmmsError::taken(
                "name",
                format!("the asset already has a meter named {}", meter.name),
            )),
            _ => Ok(()),
        }
    }

    /// One meter (seen by whoever may read its asset).
    pub async fn get_meter(&self, actor: &Actor, id: MeterId) -> Result<Meter> {
        Ok(self.meter_and_asset(actor, id).await?.0)
    }

    async fn meter_and_asset(&self, actor: &Actor, id: MeterId) -> Result<(Meter, Asset)> {
        let meter = self
            .store
            .get::<Meter>(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("meter", id))?;
        // A meter the actor may not see is as unknown as its asset.
        let asset = self
            .get_asset(actor, meter.asset_id)
            .await
            .map_err(|_| CmmsError::not_found("meter", id))?;
        Ok((meter, asset))
    }

    /// Renames a meter or changes its unit.
    pub async fn update_meter(
        &self,
        actor: &Actor,
        id: MeterId,
        patch: MeterPatch,
        expected_version: Option<i64>,
    ) -> Result<Meter> {
        let (before, asset) = self.meter_and_asset(actor, id).await?;
        check_version("meter", before.version, expected_version)?;
        rbac::authorize(actor, Permission::MeterManage, &Resource::at_site(asset.site_id))?;
        let after = before.patched(patch, self.now())?;
        self.ensure_meter_name_free(actor, &after).await?;
        let st = Stamp::new(actor, after.updated_at);
        let mut cs = Changeset::new();
        cs.push(Write::update(after.clone()));
        cs.push(st.audit("meter.update", entity(id), Some(json(&before)), Some(json(&after))));
        cs.push(st.event(EventKind::MeterUpdated, entity(id), audience(&asset), json(&after)));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// A page of meters (of one asset, or every meter on assets the actor may read), by id.
    pub async fn list_meters(&self, actor: &Actor, filter: MeterFilter) -> Result<Page<Meter>> {
        require_held(actor, Permission::AssetRead)?;
        let limit = check_limit(filter.limit)?;
        if let Some(asset) = filter.asset {
            self.get_asset(actor, asset).await?;
        }
        let mut q = Select::new(Meter::TABLE);
        if let Some(asset) = filter.asset {
            q = q.eq("asset_id", asset.uuid());
        }
        if let Some(c) = &filter.cursor {
            q = q.cmp("id", Cmp::Gt, decode_cursor("id", c, KeyType::Int)?.id);
        }
        // Visibility is by the asset's site; read a little more than a page and filter.
        let mut items = Vec::new();
        let mut after = q.clone();
        loop {
            let batch =
                self.store.list::<Meter>(actor.org(), after.clone().limit(limit + 1)).await?;
            let full = batch.len() > limit as usize;
            let last = batch.last().map(|m| m.id);
            items.extend(self.visible_meters(actor, batch).await?);
            match (full, last) {
                (true, Some(last)) if items.len() <= limit as usize => {
                    after = q.clone().cmp("id", Cmp::Gt, last.uuid());
                }
                _ => break,
            }
        }
        let next = page_cursor(&mut items, limit, |m: &Meter| SortKey {
            value: Some(KeyValue::Int(0)),
            id: m.id.uuid(),
        });
        Ok(Page { items, next_cursor: next.map(|k| encode_cursor("id", &k)), total: None })
    }

    async fn visible_meters(&self, actor: &Actor, meters: Vec<Meter>) -> Result<Vec<Meter>> {
        let ids: Vec<uuid::Uuid> = meters.iter().map(|m| m.asset_id.uuid()).collect();
        let assets = self
            .store
            .list::<Asset>(actor.org(), Select::new(Asset::TABLE).any_of("id", ids))
            .await?;
        let sites: BTreeMap<AssetId, _> = assets.iter().map(|a| (a.id, a.site_id)).collect();
        Ok(meters
            .into_iter()
            .filter(|m| {
                sites.get(&m.asset_id).is_some_and(|site| {
                    rbac::can(actor, Permission::AssetRead, &Resource::at_site(*site))
                })
            })
            .collect())
    }

    /// Records readings — one or a batch of up to 5,000, on any meters the actor may record on
    /// — in one commit: all or nothing. Readings may come in any order and are placed by time;
    /// repeats of recorded readings are skipped. See `domain::meter` for what is refused.
    ///
    /// Two batches on the same meter at the same moment conflict (the meter's version); the
    /// second gets `conflict` and may simply be sent again.
    pub async fn record_readings(
        &self,
        actor: &Actor,
        readings: Vec<NewReading>,
    ) -> Result<RecordedReadings> {
        require_held(actor, Permission::MeterRecord)?;
        if readings.is_empty() {
            return Err(CmmsError::invalid("readings", "give at least one reading"));
        }
        if readings.len() > MAX_BATCH {
            return Err(CmmsError::invalid("readings", format!("at most {MAX_BATCH} per call")));
        }
        let now = self.now();
        let mut by_meter: BTreeMap<MeterId, Vec<(usize, NewReading)>> = BTreeMap::new();
        for (i, r) in readings.into_iter().enumerate() {
            by_meter.entry(r.meter_id).or_default().push((i, r));
        }
        let st = Stamp::new(actor, now);
        let mut cs = Changeset::new();
        let mut out = RecordedReadings { recorded: Vec::new(), repeats: 0, meters: Vec::new() };
        for (meter_id, batch) in by_meter {
            let (meter, asset) = self.meter_and_asset(actor, meter_id).await.map_err(|e| {
                let i = batch.first().map_or(0, |(i, _)| *i);
                match e {
                    CmmsError::NotFound { .. } => {
                        CmmsError::invalid(format!("readings[{i}].meter_id"), "no such meter")
                    }
                    other => other,
                }
            })?;
            rbac::authorize(actor, Permission::MeterRecord, &Resource::at_site(asset.site_id))?;
            let stored = self.readings_around(actor, &meter, &batch, now).await?;
            let (added, after) = place_readings(&meter, &stored, &batch, actor.user_id(), now)?;
            out.repeats += batch.len() - added.len();
            if added.is_empty() {
                out.meters.push(meter);
                continue;
            }
            let first = added.iter().map(|r| r.taken_at).min();
            let last = added.iter().map(|r| r.taken_at).max();
            let summary = serde_json::json!({
                "meter_id": meter.id, "asset_id": meter.asset_id, "count": added.len(),
                "from": first, "to": last, "last_value": after.last_value,
                "last_total": after.last_total, "last_reading_at": after.last_reading_at,
            });
            for r in &added {
                cs.push(Write::insert(r.clone()));
            }
            cs.push(Write::update(after.clone()));
            cs.push(st.audit("meter.readings", entity(meter.id), None, Some(summary.clone())));
            cs.push(st.event(
                EventKind::MeterReadingRecorded,
                entity(meter.id),
                audience(&asset),
                summary,
            ));
            out.recorded.extend(added);
            out.meters.push(after);
        }
        if !out.recorded.is_empty() {
            self.commit(actor, cs).await?;
        }
        out.recorded.sort_by_key(|r| (r.taken_at, r.meter_id));
        Ok(out)
    }

    /// The stored readings `place_readings` needs: from the latest at or before the batch's
    /// earliest reading to the first after its latest.
    async fn readings_around(
        &self,
        actor: &Actor,
        meter: &Meter,
        batch: &[(usize, NewReading)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Reading>> {
        let times = batch.iter().map(|(_, r)| r.taken_at.unwrap_or(now));
        let (Some(first), Some(last)) = (times.clone().min(), times.max()) else {
            return Ok(Vec::new());
        };
        let of = || Select::new(Reading::TABLE).eq("meter_id", meter.id.uuid());
        let org = actor.org();
        let before = of().cmp("taken_at", Cmp::Le, first).reversed().limit(1);
        let mut out = self.store.list::<Reading>(org, before).await?;
        let between = of().cmp("taken_at", Cmp::Gt, first).cmp("taken_at", Cmp::Le, last);
        out.extend(self.store.list::<Reading>(org, between).await?);
        let after = of().cmp("taken_at", Cmp::Gt, last).limit(1);
        out.extend(self.store.list::<Reading>(org, after).await?);
        Ok(out)
    }

    /// A page of a meter's readings by time.
    pub async fn list_readings(
        &self,
        actor: &Actor,
        meter: MeterId,
        filter: ReadingFilter,
    ) -> Result<Page<Reading>> {
        let meter = self.get_meter(actor, meter).await?;
        let limit = check_limit(filter.limit)?;
        let mut q = Select::new(Reading::TABLE).eq("meter_id", meter.id.uuid());
        if let Some(from) = filter.from {
            q = q.cmp("taken_at", Cmp::Ge, from);
        }
        if let Some(to) = filter.to {
            q = q.cmp("taken_at", Cmp::Lt, to);
        }
        if let Some(c) = &filter.cursor {
            let key = decode_cursor("taken_at", c, KeyType::Int)?;
            let Some(KeyValue::Int(micros)) = key.value else {
                return Err(CmmsError::invalid("cursor", "is not a cursor from this list"));
            };
            let at = DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| CmmsError::invalid("cursor", "is not a cursor from this list"))?;
            let op = if filter.newest_first { Cmp::Lt } else { Cmp::Gt };
            q = q.cmp("taken_at", op, at);
        }
        if filter.newest_first {
            q = q.reversed();
        }
        let mut items = self.store.list::<Reading>(actor.org(), q.limit(limit + 1)).await?;
        let next = page_cursor(&mut items, limit, |r: &Reading| SortKey {
            value: Some(KeyValue::Int(r.taken_at.timestamp_micros())),
            id: r.id.uuid(),
        });
        Ok(Page { items, next_cursor: next.map(|k| encode_cursor("taken_at", &k)), total: None })
    }
}
