//! Descriptions of the notification records: notifications, channel preferences, work-order
//! watchers and the notification consumer's cursor (migration 0009_notifications).

use super::ColumnType::{Int, Json, Text, Timestamp, Uuid as Id};
use super::{Key, Reader, Record, RowSource, Table, Values, asc, col, null};
use crate::domain::EntityRef;
use crate::domain::notification::{Notification, NotificationCursor, PreferenceRow, Watch};
use crate::error::StoreError;
use crate::ids::OrgId;

type R<T> = Result<T, StoreError>;

/// `notifications`: one per event and recipient (unique), listed newest first by reversing
/// the id order (ids are time-ordered).
pub static NOTIFICATIONS: Table = Table {
    name: "notifications",
    entity: "notification",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("user_id", Id),
        col("kind", Text),
        col("title", Text),
        col("body", Text),
        col("entity_kind", Text),
        col("entity_id", Id),
        col("event_seq", Int),
        col("created_at", Timestamp),
        null("read_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("user_id"),
    order: &[asc("id")],
};

impl Record for Notification {
    const TABLE: &'static Table = &NOTIFICATIONS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.user_id).text(self.kind.as_str());
        v.text(&self.title).text(&self.body).text(self.link.kind.as_str()).uuid(self.link.id);
        v.int(self.event_seq).ts(self.created_at).opt_ts(self.read_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            user_id: r.uuid()?,
            kind: r.parse()?,
            title: r.text()?,
            body: r.text()?,
            link: EntityRef { kind: r.parse()?, id: r.uuid()? },
            event_seq: r.int()?,
            created_at: r.ts()?,
            read_at: r.opt_ts()?,
            version: r.int()?,
        })
    }
}

/// `notification_preferences`: one row per user who chose, and one (id = the organization's
/// id) for the organization's defaults.
pub static NOTIFICATION_PREFERENCES: Table = Table {
    name: "notification_preferences",
    entity: "notification_preferences",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("channels", Json),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("id")],
};

impl Record for PreferenceRow {
    const TABLE: &'static Table = &NOTIFICATION_PREFERENCES;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).json(&self.channels)?;
        v.ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            channels: r.json()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `work_order_watchers`: unique per (work order, user).
pub static WORK_ORDER_WATCHERS: Table = Table {
    name: "work_order_watchers",
    entity: "watch",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("work_order_id", Id),
        col("user_id", Id),
        col("created_at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("work_order_id"),
    order: &[asc("id")],
};

impl Record for Watch {
    const TABLE: &'static Table = &WORK_ORDER_WATCHERS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.work_order_id).uuid(self.user_id);
        v.ts(self.created_at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            work_order_id: r.uuid()?,
            user_id: r.uuid()?,
            created_at: r.ts()?,
        })
    }
}

/// `notification_cursors`: one row per organization (id = the organization's id). Updated
/// with its version only, so two consumers can never both advance it from the same position.
pub static NOTIFICATION_CURSORS: Table = Table {
    name: "notification_cursors",
    entity: "notification_cursor",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("last_seq", Int),
        null("lease_holder", Text),
        null("lease_until", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("id")],
};

impl Record for NotificationCursor {
    const TABLE: &'static Table = &NOTIFICATION_CURSORS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.org_id).int(self.last_seq);
        v.opt_text(self.lease_holder.as_deref()).opt_ts(self.lease_until);
        v.ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        let org_id = r.uuid()?;
        let _id: uuid::Uuid = r.uuid()?;
        Ok(Self {
            org_id,
            last_seq: r.int()?,
            lease_holder: r.opt_text()?,
            lease_until: r.opt_ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}
