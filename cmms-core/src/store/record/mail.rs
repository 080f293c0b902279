//! Description of the mail outbox.

use super::ColumnType::{Int, Text, Timestamp, Uuid as Id};
use super::{Key, Reader, Record, RowSource, Table, Values, asc, col, null};
use crate::domain::mail::OutboxMail;
use crate::error::StoreError;
use crate::ids::OrgId;

type R<T> = Result<T, StoreError>;

/// `mail_outbox`, in the order deliverers take it (most overdue first).
pub static MAIL_OUTBOX: Table = Table {
    name: "mail_outbox",
    entity: "mail",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("recipient", Text),
        col("subject", Text),
        col("body_text", Text),
        col("body_html", Text),
        col("kind", Text),
        col("status", Text),
        col("attempts", Int),
        col("next_attempt_at", Timestamp),
        null("last_error", Text),
        null("lease_id", Id),
        null("expires_at", Timestamp),
        col("created_at", Timestamp),
        null("sent_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    // Claims are versioned updates: of two deliverers that read one row, one claim commits.
    versioned: true,
    parent: None,
    order: &[asc("next_attempt_at"), asc("id")],
};

impl Record for OutboxMail {
    const TABLE: &'static Table = &MAIL_OUTBOX;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.to).text(&self.subject);
        v.text(&self.text).text(&self.html).text(&self.kind).text(self.status.as_str());
        v.int(self.attempts).ts(self.next_attempt_at).opt_text(self.last_error.as_deref());
        v.opt_uuid(self.lease_id).opt_ts(self.expires_at).ts(self.created_at);
        v.opt_ts(self.sent_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            to: r.text()?,
            subject: r.text()?,
            text: r.text()?,
            html: r.text()?,
            kind: r.text()?,
            status: r.parse()?,
            attempts: r.int()?,
            next_attempt_at: r.ts()?,
            last_error: r.opt_text()?,
            lease_id: r.opt_uuid()?,
            expires_at: r.opt_ts()?,
            created_at: r.ts()?,
            sent_at: r.opt_ts()?,
            version: r.int()?,
        })
    }
}
