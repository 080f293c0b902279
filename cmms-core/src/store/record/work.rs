//! Descriptions of the maintenance records: assets, work orders and what hangs off them
//! (timeline, comments, checklist items, labor), and requests.

use super::ColumnType::{Bool, Float, Int, Json, Text, Timestamp, Uuid as Id};
use super::{
    JoinTable, Key, Reader, Record, RowSource, Table, Values, asc, col, derived, joined, null,
};
use crate::domain::asset::Asset;
use crate::domain::checklist::ChecklistItem;
use crate::domain::comment::Comment;
use crate::domain::labor::LaborEntry;
use crate::domain::request::Request;
use crate::domain::timeline::TimelineEntry;
use crate::domain::work_order::{FailureReport, WorkOrder};
use crate::error::StoreError;
use crate::ids::OrgId;
use crate::search;

type R<T> = Result<T, StoreError>;

/// `assets`.
pub static ASSETS: Table = Table {
    name: "assets",
    entity: "asset",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("site_id", Id),
        null("location_id", Id),
        null("parent_id", Id),
        col("name", Text),
        col("code", Text),
        null("category", Text),
        null("manufacturer", Text),
        null("model", Text),
        null("serial_number", Text),
        col("criticality", Int),
        col("state", Text),
        col("specifications", Json),
        col("custom_fields", Json),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("name"), asc("id")],
};

impl Record for Asset {
    const TABLE: &'static Table = &ASSETS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.site_id);
        v.opt_uuid(self.location_id).opt_uuid(self.parent_id).text(&self.name).text(&self.code);
        v.opt_text(self.category.as_deref()).opt_text(self.manufacturer.as_deref());
        v.opt_text(self.model.as_deref()).opt_text(self.serial_number.as_deref());
        v.int(self.criticality).text(self.state.as_str());
        v.json(&self.specifications)?.json(&self.custom_fields)?;
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            site_id: r.uuid()?,
            location_id: r.opt_uuid()?,
            parent_id: r.opt_uuid()?,
            name: r.text()?,
            code: r.text()?,
            category: r.opt_text()?,
            manufacturer: r.opt_text()?,
            model: r.opt_text()?,
            serial_number: r.opt_text()?,
            criticality: r.small()?,
            state: r.parse()?,
            specifications: r.json()?,
            custom_fields: r.json()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `work_order_assignees`: a work order's assignees in order.
pub static WORK_ORDER_ASSIGNEES: JoinTable = JoinTable {
    table: "work_order_assignees",
    parent: "work_order_id",
    item: "user_id",
    copied: Some("created_at"),
};

/// `work_orders`, with their assignees in `work_order_assignees`.
pub static WORK_ORDERS: Table = Table {
    name: "work_orders",
    entity: "work_order",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("number", Text),
        col("title", Text),
        null("description", Text),
        col("wo_type", Text),
        col("priority", Text),
        // Priority::rank(), kept for sorting and indexing; derived, so never read back.
        col("priority_rank", Int),
        null("category", Text),
        col("status", Text),
        col("site_id", Id),
        null("location_id", Id),
        null("asset_id", Id),
        joined("assignees", &WORK_ORDER_ASSIGNEES),
        null("team_id", Id),
        null("requested_by", Id),
        null("created_by", Id),
        null("request_id", Id),
        null("pm_plan_id", Id),
        null("pm_slot_id", Id),
        null("due_at", Timestamp),
        null("estimated_hours", Float),
        null("actual_start", Timestamp),
        null("actual_end", Timestamp),
        null("verified_by", Id),
        null("verified_at", Timestamp),
        null("closed_at", Timestamp),
        null("completion_notes", Text),
        null("failure_problem", Text),
        null("failure_cause", Text),
        null("failure_remedy", Text),
        col("attachments", Json),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
        // search::document(number, title, description), indexed for text search; derived, so
        // never read back.
        derived("search_doc", Text),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("created_at"), asc("id")],
};

impl Record for WorkOrder {
    const TABLE: &'static Table = &WORK_ORDERS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.number).text(&self.title);
        v.opt_text(self.description.as_deref()).text(self.wo_type.as_str());
        v.text(self.priority.as_str()).int(self.priority.rank());
        v.opt_text(self.category.as_deref()).text(self.status.as_str()).uuid(self.site_id);
        v.opt_uuid(self.location_id).opt_uuid(self.asset_id).uuids(&self.assignees);
        v.opt_uuid(self.team_id).opt_uuid(self.requested_by).opt_uuid(self.created_by);
        v.opt_uuid(self.request_id).opt_uuid(self.pm_plan_id).opt_uuid(self.pm_slot_id);
        v.opt_ts(self.due_at).opt_float(self.estimated_hours);
        v.opt_ts(self.actual_start).opt_ts(self.actual_end).opt_uuid(self.verified_by);
        v.opt_ts(self.verified_at).opt_ts(self.closed_at);
        v.opt_text(self.completion_notes.as_deref());
        v.opt_text(self.failure.problem.as_deref()).opt_text(self.failure.cause.as_deref());
        v.opt_text(self.failure.remedy.as_deref()).json(&self.attachments)?;
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        v.owned_text(search::document(&self.number, &self.title, self.description.as_deref()));
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        let (org_id, id, number, title) = (r.uuid()?, r.uuid()?, r.text()?, r.text()?);
        let (description, wo_type, priority) = (r.opt_text()?, r.parse()?, r.parse()?);
        r.skip()?; // priority_rank
        let record = Self {
            org_id,
            id,
            number,
            title,
            description,
            wo_type,
            priority,
            category: r.opt_text()?,
            status: r.parse()?,
            site_id: r.uuid()?,
            location_id: r.opt_uuid()?,
            asset_id: r.opt_uuid()?,
            assignees: r.uuids()?,
            team_id: r.opt_uuid()?,
            requested_by: r.opt_uuid()?,
            created_by: r.opt_uuid()?,
            request_id: r.opt_uuid()?,
            pm_plan_id: r.opt_uuid()?,
            pm_slot_id: r.opt_uuid()?,
            due_at: r.opt_ts()?,
            estimated_hours: r.opt_float()?,
            actual_start: r.opt_ts()?,
            actual_end: r.opt_ts()?,
            verified_by: r.opt_uuid()?,
            verified_at: r.opt_ts()?,
            closed_at: r.opt_ts()?,
            completion_notes: r.opt_text()?,
            failure: FailureReport {
                problem: r.opt_text()?,
                cause: r.opt_text()?,
                remedy: r.opt_text()?,
            },
            attachments: r.json()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        };
        r.skip()?; // search_doc
        Ok(record)
    }
}

/// `work_order_timeline`.
pub static TIMELINE: Table = Table {
    name: "work_order_timeline",
    entity: "timeline",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("work_order_id", Id),
        null("from_status", Text),
        col("to_status", Text),
        null("actor_id", Id),
        null("reason", Text),
        col("at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("work_order_id"),
    order: &[asc("at"), asc("id")],
};

impl Record for TimelineEntry {
    const TABLE: &'static Table = &TIMELINE;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.work_order_id);
        v.opt_text(self.from_status.map(|s| s.as_str())).text(self.to_status.as_str());
        v.opt_uuid(self.actor_id).opt_text(self.reason.as_deref()).ts(self.at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            work_order_id: r.uuid()?,
            from_status: r.opt_parse()?,
            to_status: r.parse()?,
            actor_id: r.opt_uuid()?,
            reason: r.opt_text()?,
            at: r.ts()?,
        })
    }
}

/// `work_order_comments`.
pub static COMMENTS: Table = Table {
    name: "work_order_comments",
    entity: "comment",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("work_order_id", Id),
        null("author_id", Id),
        col("body", Text),
        col("internal", Bool),
        col("created_at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("work_order_id"),
    order: &[asc("created_at"), asc("id")],
};

impl Record for Comment {
    const TABLE: &'static Table = &COMMENTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.work_order_id).opt_uuid(self.author_id);
        v.text(&self.body).bool(self.internal).ts(self.created_at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            work_order_id: r.uuid()?,
            author_id: r.opt_uuid()?,
            body: r.text()?,
            internal: r.bool()?,
            created_at: r.ts()?,
        })
    }
}

/// `checklist_items`.
pub static CHECKLIST_ITEMS: Table = Table {
    name: "checklist_items",
    entity: "checklist_item",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("work_order_id", Id),
        col("position", Int),
        col("label", Text),
        col("mandatory", Bool),
        null("result", Text),
        null("notes", Text),
        null("completed_by", Id),
        null("completed_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("work_order_id"),
    order: &[asc("position"), asc("id")],
};

impl Record for ChecklistItem {
    const TABLE: &'static Table = &CHECKLIST_ITEMS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.work_order_id).int(self.position);
        v.text(&self.label).bool(self.mandatory).opt_text(self.result.map(|s| s.as_str()));
        v.opt_text(self.notes.as_deref()).opt_uuid(self.completed_by);
        v.opt_ts(self.completed_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            work_order_id: r.uuid()?,
            position: r.small()?,
            label: r.text()?,
            mandatory: r.bool()?,
            result: r.opt_parse()?,
            notes: r.opt_text()?,
            completed_by: r.opt_uuid()?,
            completed_at: r.opt_ts()?,
            version: r.int()?,
        })
    }
}

/// `labor_entries`.
pub static LABOR_ENTRIES: Table = Table {
    name: "labor_entries",
    entity: "labor",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("work_order_id", Id),
        col("user_id", Id),
        col("started_at", Timestamp),
        null("ended_at", Timestamp),
        col("minutes", Int),
        col("category", Text),
        null("notes", Text),
        null("created_by", Id),
        col("created_at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("work_order_id"),
    order: &[asc("started_at"), asc("id")],
};

impl Record for LaborEntry {
    const TABLE: &'static Table = &LABOR_ENTRIES;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.work_order_id).uuid(self.user_id);
        v.ts(self.started_at).opt_ts(self.ended_at).int(self.minutes);
        v.text(self.category.as_str()).opt_text(self.notes.as_deref());
        v.opt_uuid(self.created_by).ts(self.created_at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            work_order_id: r.uuid()?,
            user_id: r.uuid()?,
            started_at: r.ts()?,
            ended_at: r.opt_ts()?,
            minutes: r.int()?,
            category: r.parse()?,
            notes: r.opt_text()?,
            created_by: r.opt_uuid()?,
            created_at: r.ts()?,
        })
    }
}

/// `requests`.
pub static REQUESTS: Table = Table {
    name: "requests",
    entity: "request",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("number", Text),
        col("title", Text),
        null("description", Text),
        col("site_id", Id),
        null("location_id", Id),
        null("asset_id", Id),
        col("priority", Text),
        col("status", Text),
        col("requested_by", Id),
        null("work_order_id", Id),
        null("rejection_reason", Text),
        col("attachments", Json),
        null("submitted_at", Timestamp),
        null("reviewed_by", Id),
        null("reviewed_at", Timestamp),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
        // search::document(number, title, description); derived, so never read back.
        derived("search_doc", Text),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("created_at"), asc("id")],
};

impl Record for Request {
    const TABLE: &'static Table = &REQUESTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.number).text(&self.title);
        v.opt_text(self.description.as_deref()).uuid(self.site_id).opt_uuid(self.location_id);
        v.opt_uuid(self.asset_id).text(self.priority.as_str()).text(self.status.as_str());
        v.uuid(self.requested_by).opt_uuid(self.work_order_id);
        v.opt_text(self.rejection_reason.as_deref()).json(&self.attachments)?;
        v.opt_ts(self.submitted_at).opt_uuid(self.reviewed_by).opt_ts(self.reviewed_at);
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        v.owned_text(search::document(&self.number, &self.title, self.description.as_deref()));
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        let record = Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            number: r.text()?,
            title: r.text()?,
            description: r.opt_text()?,
            site_id: r.uuid()?,
            location_id: r.opt_uuid()?,
            asset_id: r.opt_uuid()?,
            priority: r.parse()?,
            status: r.parse()?,
            requested_by: r.uuid()?,
            work_order_id: r.opt_uuid()?,
            rejection_reason: r.opt_text()?,
            attachments: r.json()?,
            submitted_at: r.opt_ts()?,
            reviewed_by: r.opt_uuid()?,
            reviewed_at: r.opt_ts()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        };
        r.skip()?; // search_doc
        Ok(record)
    }
}
