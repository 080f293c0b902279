//! A record type the stores have no code for (docs/records.md): describe it once, create its
//! table, then write and read it through the generic statements of the SQLite store.
//!
//! `cargo run -p cmms-examples --example record_type -- /tmp/tags.db`

use chrono::{DateTime, Utc};
use cmms_core::store::record::ColumnType::{Int, Text, Timestamp, Uuid as Id};
use cmms_core::store::record::{
    Key, Reader, Record, RecordReadsExt, RowSource, Select, Table, Values, asc, col, null,
};
use cmms_core::store::{Changeset, Store, Write};
use cmms_core::{OrgId, StoreError};
use cmms_store_sqlite::SqliteStore;
use uuid::Uuid;

/// A coloured tag on an asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub org_id: OrgId,
    pub id: Uuid,
    pub asset_id: Uuid,
    pub name: String,
    pub colour: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

/// `tags`.
pub static TAGS: Table = Table {
    // The table, in both stores, and the entity named in NotFound / Conflict errors.
    name: "tags",
    entity: "tag",
    // Record order: the stores select the columns in this order and read them by position.
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("asset_id", Id),
        col("name", Text),
        null("colour", Text),
        col("created_at", Timestamp),
        col("version", Int),
    ],
    // Rows are (org_id, id); only the organizations themselves are `Key::Tenant`.
    key: Key::Org("id"),
    // Updates are optimistic: they write where the stored version is `next - 1`.
    versioned: true,
    // `Write::delete_children::<Tag>(asset)` deletes by this column.
    parent: Some("asset_id"),
    // The order of every list of this table.
    order: &[asc("name"), asc("id")],
};

impl Record for Tag {
    const TABLE: &'static Table = &TAGS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> Result<(), StoreError> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.asset_id).text(&self.name);
        v.opt_text(self.colour.as_deref()).ts(self.created_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> Result<Self, StoreError> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            asset_id: r.uuid()?,
            name: r.text()?,
            colour: r.opt_text()?,
            created_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// The migration an application (or cmms, in `migrations/`) would ship for the table.
const MIGRATION: &str = "CREATE TABLE tags (
    org_id BLOB NOT NULL, id BLOB NOT NULL, asset_id BLOB NOT NULL, name TEXT NOT NULL,
    colour TEXT, created_at INTEGER NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (org_id, id)
) STRICT";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "tags.db".into());
    let store = SqliteStore::open(&path).await?;
    store.migrate().await?;
    rusqlite::Connection::open(&path)?.execute_batch(MIGRATION)?;

    let (org, asset) = (OrgId::new(), Uuid::now_v7());
    let tag = |name: &str| Tag {
        org_id: org,
        id: Uuid::now_v7(),
        asset_id: asset,
        name: name.into(),
        colour: None,
        created_at: Utc::now(),
        version: 1,
    };
    let (meter, pump) = (tag("meter"), tag("pump"));
    let mut cs = Changeset::new();
    cs.push(Write::insert(meter.clone()));
    cs.push(Write::insert(pump.clone()));
    store.commit(org, cs).await?;

    let mut next = meter.clone();
    next.colour = Some("red".into());
    next.version = 2;
    let mut cs = Changeset::new();
    cs.push(Write::update(next)); // carries its NEXT version
    store.commit(org, cs).await?;

    let got: Option<Tag> = store.get(org, meter.id).await?;
    let of_asset: Vec<Tag> = store.list(org, Select::new(&TAGS).eq("asset_id", asset)).await?;
    let red: Vec<Tag> = store.list(org, Select::new(&TAGS).eq("colour", "red".to_string())).await?;
    println!("{:?} has {} tags; red: {}", got.map(|t| t.name), of_asset.len(), red.len());

    // A stale update is a conflict naming the current version.
    let mut cs = Changeset::new();
    cs.push(Write::update(Tag { version: 2, ..meter.clone() }));
    let stale = store.commit(org, cs).await.map(|_| ());
    println!("stale update: {}", stale.map_or_else(|e| e.to_string(), |()| "accepted".into()));

    let mut cs = Changeset::new();
    cs.push(Write::delete_children::<Tag>(asset));
    store.commit(org, cs).await?;
    let left: Vec<Tag> = store.list(org, Select::new(&TAGS)).await?;
    println!("after deleting the asset's tags: {}", left.len());
    Ok(())
}
