//! Descriptions of the attachment records: the metadata rows, the stored contents they share
//! and each organization's usage (`domain::files`).

use super::ColumnType::{Int, Text, Timestamp, Uuid as Id};
use super::{Key, Reader, Record, RowSource, Table, Values, asc, col, null};
use crate::domain::files::{AttachedFile, FileContent, FileUsage};
use crate::error::StoreError;
use crate::ids::OrgId;

type R<T> = Result<T, StoreError>;

/// Sizes are `u64` in the domain and `bigint` in the stores; no file comes near `i64::MAX`.
fn size(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

/// `attachments`.
pub static ATTACHMENTS: Table = Table {
    name: "attachments",
    entity: "attachment",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("entity_type", Text),
        col("entity_id", Id),
        col("name", Text),
        col("content_type", Text),
        col("size_bytes", Int),
        col("sha256", Text),
        col("content_id", Id),
        col("content_key", Text),
        null("uploaded_by", Id),
        col("created_at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("entity_id"),
    order: &[asc("created_at"), asc("id")],
};

impl Record for AttachedFile {
    const TABLE: &'static Table = &ATTACHMENTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(self.entity_type.as_str()).uuid(self.entity_id);
        v.text(&self.name).text(&self.content_type).int(size(self.size_bytes));
        v.text(&self.sha256).uuid(self.content_id).text(&self.content_key);
        v.opt_uuid(self.uploaded_by).ts(self.created_at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            entity_type: r.parse()?,
            entity_id: r.uuid()?,
            name: r.text()?,
            content_type: r.text()?,
            size_bytes: r.small()?,
            sha256: r.text()?,
            content_id: r.uuid()?,
            content_key: r.text()?,
            uploaded_by: r.opt_uuid()?,
            created_at: r.ts()?,
        })
    }
}

/// `attachment_contents`.
pub static ATTACHMENT_CONTENTS: Table = Table {
    name: "attachment_contents",
    entity: "file_content",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("content_key", Text),
        col("size_bytes", Int),
        col("sha256", Text),
        col("refs", Int),
        col("created_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("created_at"), asc("id")],
};

impl Record for FileContent {
    const TABLE: &'static Table = &ATTACHMENT_CONTENTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.content_key).int(size(self.size_bytes));
        v.text(&self.sha256).int(self.refs).ts(self.created_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            content_key: r.text()?,
            size_bytes: r.small()?,
            sha256: r.text()?,
            refs: r.int()?,
            created_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `attachment_usage`: one row per organization, its id is the organization's.
pub static ATTACHMENT_USAGE: Table = Table {
    name: "attachment_usage",
    entity: "attachment_usage",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("bytes", Int),
        col("files", Int),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("id")],
};

impl Record for FileUsage {
    const TABLE: &'static Table = &ATTACHMENT_USAGE;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.org_id).int(size(self.bytes)).int(self.files);
        v.int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        let org_id = r.uuid()?;
        r.skip()?;
        Ok(Self { org_id, bytes: r.small()?, files: r.int()?, version: r.int()? })
    }
}
