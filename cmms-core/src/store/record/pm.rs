//! Descriptions of the preventive-maintenance records: meters and their readings, PM plans,
//! their due slots and the per-(plan, asset) state generation keeps.

use super::ColumnType::{Bool, Float, Int, Json, Text, Timestamp, Uuid as Id, UuidList};
use super::{Key, Reader, Record, RowSource, Table, Values, asc, col, null};
use crate::domain::meter::{Meter, Reading};
use crate::domain::pm::{PmPlan, PmSlot, PmState};
use crate::error::StoreError;
use crate::ids::OrgId;

type R<T> = Result<T, StoreError>;

/// `meters`.
pub static METERS: Table = Table {
    name: "meters",
    entity: "meter",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("asset_id", Id),
        col("name", Text),
        col("unit", Text),
        col("kind", Text),
        null("last_value", Float),
        null("last_total", Float),
        null("last_reading_at", Timestamp),
        null("last_reset_at", Timestamp),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("asset_id"),
    // Listed by id (creation order), so pages can follow a plain id cursor.
    order: &[asc("id")],
};

impl Record for Meter {
    const TABLE: &'static Table = &METERS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.asset_id).text(&self.name).text(&self.unit);
        v.text(self.kind.as_str()).opt_float(self.last_value).opt_float(self.last_total);
        v.opt_ts(self.last_reading_at).opt_ts(self.last_reset_at);
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            asset_id: r.uuid()?,
            name: r.text()?,
            unit: r.text()?,
            kind: r.parse()?,
            last_value: r.opt_float()?,
            last_total: r.opt_float()?,
            last_reading_at: r.opt_ts()?,
            last_reset_at: r.opt_ts()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `meter_readings`: one row per reading, listed by time.
pub static METER_READINGS: Table = Table {
    name: "meter_readings",
    entity: "reading",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("meter_id", Id),
        col("value", Float),
        col("total", Float),
        col("reset", Bool),
        col("taken_at", Timestamp),
        col("source", Text),
        null("recorded_by", Id),
        col("created_at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("meter_id"),
    order: &[asc("taken_at"), asc("id")],
};

impl Record for Reading {
    const TABLE: &'static Table = &METER_READINGS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.meter_id).float(self.value).float(self.total);
        v.bool(self.reset).ts(self.taken_at).text(self.source.as_str()).opt_uuid(self.recorded_by);
        v.ts(self.created_at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            meter_id: r.uuid()?,
            value: r.float()?,
            total: r.float()?,
            reset: r.bool()?,
            taken_at: r.ts()?,
            source: r.parse()?,
            recorded_by: r.opt_uuid()?,
            created_at: r.ts()?,
        })
    }
}

/// `pm_plans`.
pub static PM_PLANS: Table = Table {
    name: "pm_plans",
    entity: "pm_plan",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("site_id", Id),
        col("title", Text),
        null("description", Text),
        col("wo_type", Text),
        col("priority", Text),
        null("estimated_hours", Float),
        col("checklist", Json),
        col("parts", Json),
        col("assignees", UuidList),
        null("team_id", Id),
        col("asset_ids", UuidList),
        null("category", Text),
        col("schedule", Json),
        col("active", Bool),
        null("created_by", Id),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("title"), asc("id")],
};

impl Record for PmPlan {
    const TABLE: &'static Table = &PM_PLANS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.site_id).text(&self.title);
        v.opt_text(self.description.as_deref()).text(self.wo_type.as_str());
        v.text(self.priority.as_str()).opt_float(self.estimated_hours).json(&self.checklist)?;
        v.json(&self.parts)?;
        v.uuids(&self.assignees).opt_uuid(self.team_id).uuids(&self.asset_ids);
        v.opt_text(self.category.as_deref()).json(&self.schedule)?.bool(self.active);
        v.opt_uuid(self.created_by).ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            site_id: r.uuid()?,
            title: r.text()?,
            description: r.opt_text()?,
            wo_type: r.parse()?,
            priority: r.parse()?,
            estimated_hours: r.opt_float()?,
            checklist: r.json()?,
            parts: r.json()?,
            assignees: r.uuids()?,
            team_id: r.opt_uuid()?,
            asset_ids: r.uuids()?,
            category: r.opt_text()?,
            schedule: r.json()?,
            active: r.bool()?,
            created_by: r.opt_uuid()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `pm_slots`: unique per (plan, asset, slot); at most one open per (plan, asset).
pub static PM_SLOTS: Table = Table {
    name: "pm_slots",
    entity: "pm_slot",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("plan_id", Id),
        col("asset_id", Id),
        col("slot", Text),
        col("due_at", Timestamp),
        col("grace_days", Int),
        col("status", Text),
        null("work_order_id", Id),
        null("completed_at", Timestamp),
        col("meter_values", Json),
        null("overdue_at", Timestamp),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("plan_id"),
    // By creation (ids are time-ordered): a plain id cursor pages a plan's history.
    order: &[asc("id")],
};

impl Record for PmSlot {
    const TABLE: &'static Table = &PM_SLOTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.plan_id).uuid(self.asset_id);
        v.text(&self.slot).ts(self.due_at).int(self.grace_days).text(self.status.as_str());
        v.opt_uuid(self.work_order_id).opt_ts(self.completed_at).json(&self.meter_values)?;
        v.opt_ts(self.overdue_at).ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            plan_id: r.uuid()?,
            asset_id: r.uuid()?,
            slot: r.text()?,
            due_at: r.ts()?,
            grace_days: r.small()?,
            status: r.parse()?,
            work_order_id: r.opt_uuid()?,
            completed_at: r.opt_ts()?,
            meter_values: r.json()?,
            overdue_at: r.opt_ts()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `pm_states`: one per (plan, asset), keyed by an id derived from the pair.
pub static PM_STATES: Table = Table {
    name: "pm_states",
    entity: "pm_state",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("plan_id", Id),
        col("asset_id", Id),
        null("last_due", Timestamp),
        col("count", Int),
        null("open_slot_id", Id),
        null("last_service_at", Timestamp),
        col("last_service_meters", Json),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("plan_id"),
    order: &[asc("asset_id"), asc("id")],
};

impl Record for PmState {
    const TABLE: &'static Table = &PM_STATES;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.plan_id).uuid(self.asset_id);
        v.opt_ts(self.last_due).int(self.count).opt_uuid(self.open_slot_id);
        v.opt_ts(self.last_service_at).json(&self.last_service_meters)?;
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            plan_id: r.uuid()?,
            asset_id: r.uuid()?,
            last_due: r.opt_ts()?,
            count: r.small()?,
            open_slot_id: r.opt_uuid()?,
            last_service_at: r.opt_ts()?,
            last_service_meters: r.json()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}
