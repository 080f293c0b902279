//! Descriptions of the webhook records: subscriptions, their delivery cursors (with the claim)
//! and the delivery log (migration 0013_webhooks).

use super::ColumnType::{Bool, Int, Json, Text, Timestamp, Uuid as Id};
use super::{Key, Reader, Record, RowSource, Table, Values, asc, col, null};
use crate::domain::webhook::{Webhook, WebhookCursor, WebhookDelivery};
use crate::error::StoreError;
use crate::ids::OrgId;

type R<T> = Result<T, StoreError>;

/// `webhooks`: one row per subscription, written by admins (and by a deliverer turning it
/// off), always with its version.
pub static WEBHOOKS: Table = Table {
    name: "webhooks",
    entity: "webhook",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("url", Text),
        col("event_types", Json),
        col("description", Text),
        col("secret", Text),
        col("active", Bool),
        null("disabled_at", Timestamp),
        null("created_by", Id),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("id")],
};

impl Record for Webhook {
    const TABLE: &'static Table = &WEBHOOKS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.url).json(&self.event_types)?;
        v.text(&self.description).text(&self.secret).bool(self.active);
        v.opt_ts(self.disabled_at).opt_uuid(self.created_by).ts(self.created_at);
        v.ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            url: r.text()?,
            event_types: r.json()?,
            description: r.text()?,
            secret: r.text()?,
            active: r.bool()?,
            disabled_at: r.opt_ts()?,
            created_by: r.opt_uuid()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
            delivery: None,
        })
    }
}

/// `webhook_cursors`: a subscription's delivery state (id = the subscription's id), written by
/// deliverers with its version — apart from the subscription, so the two never conflict.
pub static WEBHOOK_CURSORS: Table = Table {
    name: "webhook_cursors",
    entity: "webhook_cursor",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("last_seq", Int),
        col("failure_streak", Int),
        col("next_attempt_at", Timestamp),
        null("lease_id", Id),
        null("last_error", Text),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("id")],
};

impl Record for WebhookCursor {
    const TABLE: &'static Table = &WEBHOOK_CURSORS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.webhook_id).int(self.last_seq).int(self.failure_streak);
        v.ts(self.next_attempt_at).opt_uuid(self.lease_id).opt_text(self.last_error.as_deref());
        v.ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            webhook_id: r.uuid()?,
            last_seq: r.int()?,
            failure_streak: r.int()?,
            next_attempt_at: r.ts()?,
            lease_id: r.opt_uuid()?,
            last_error: r.opt_text()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `webhook_deliveries`: the delivery log, one row per attempt, listed newest first per
/// subscription by reversing the id order (ids are time-ordered).
pub static WEBHOOK_DELIVERIES: Table = Table {
    name: "webhook_deliveries",
    entity: "webhook_delivery",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("webhook_id", Id),
        col("event_seq", Int),
        col("event_type", Text),
        col("message_id", Text),
        col("attempt", Int),
        col("ok", Bool),
        null("status_code", Int),
        col("latency_ms", Int),
        col("response_excerpt", Text),
        null("error", Text),
        col("at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("webhook_id"),
    order: &[asc("id")],
};

impl Record for WebhookDelivery {
    const TABLE: &'static Table = &WEBHOOK_DELIVERIES;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.webhook_id).int(self.event_seq);
        v.text(&self.event_type).text(&self.message_id).int(self.attempt).bool(self.ok);
        v.opt_int(self.status_code).int(self.latency_ms).text(&self.response_excerpt);
        v.opt_text(self.error.as_deref()).ts(self.at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            webhook_id: r.uuid()?,
            event_seq: r.int()?,
            event_type: r.text()?,
            message_id: r.text()?,
            attempt: r.int()?,
            ok: r.bool()?,
            status_code: r.opt_int()?,
            latency_ms: r.int()?,
            response_excerpt: r.text()?,
            error: r.opt_text()?,
            at: r.ts()?,
        })
    }
}
