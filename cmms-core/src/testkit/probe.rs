//! A record type no store has code for: one column of every neutral type (nullable and not) and
//! a join-table list, with edge values for each. Each store's tests create its table with their
//! own DDL ([`PROBE_SQLITE_DDL`], [`PROBE_POSTGRES_DDL`]) and run [`probe_round_trips`], which
//! proves that a described record needs nothing else in a store: insert, get, list with
//! filters, versioned update (and its conflict), join-list replacement, delete of children and
//! delete go through the generic paths, and every value comes back exactly.

use crate::StoreError;
use crate::ids::OrgId;
use crate::store::record::ColumnType::{
    Bool, Decimal as Dec, Float, Int, Json, Text, Timestamp, Uuid as Id, UuidList,
};
use crate::store::record::{
    JoinTable, Key, Reader, Record, RecordReadsExt, RowSource, Select, Table, Value, Values, asc,
    col, joined, null,
};
use crate::store::{Changeset, Store, Write};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;
use uuid::Uuid;

/// `probe_items`: a probe's items in order.
pub static PROBE_ITEMS: JoinTable =
    JoinTable { table: "probe_items", parent: "probe_id", item: "item_id", copied: None };

/// `probes`.
pub static PROBES: Table = Table {
    name: "probes",
    entity: "probe",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        null("parent_id", Id),
        col("label", Text),
        null("note", Text),
        col("big", Int),
        null("maybe_int", Int),
        null("ratio", Float),
        col("flag", Bool),
        col("at", Timestamp),
        null("maybe_at", Timestamp),
        col("doc", Json),
        null("maybe_doc", Json),
        col("amount", Dec),
        null("maybe_amount", Dec),
        col("ids", UuidList),
        joined("items", &PROBE_ITEMS),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("parent_id"),
    order: &[asc("big"), asc("id")],
};

/// The table for SQLite (`STRICT`, like every table of the store).
pub const PROBE_SQLITE_DDL: &str = "
CREATE TABLE probes (
    org_id BLOB NOT NULL, id BLOB NOT NULL, parent_id BLOB, label TEXT NOT NULL, note TEXT,
    big INTEGER NOT NULL, maybe_int INTEGER, ratio REAL, flag INTEGER NOT NULL,
    at INTEGER NOT NULL, maybe_at INTEGER, doc TEXT NOT NULL, maybe_doc TEXT,
    amount TEXT NOT NULL, maybe_amount TEXT, ids BLOB NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (org_id, id)
) STRICT;
CREATE TABLE probe_items (
    org_id BLOB NOT NULL, probe_id BLOB NOT NULL, item_id BLOB NOT NULL,
    position INTEGER NOT NULL, PRIMARY KEY (org_id, probe_id, position)
) STRICT;";

/// The tables for PostgreSQL, with the row-level security every tenant table has.
pub const PROBE_POSTGRES_DDL: &str = "
CREATE TABLE probes (
    org_id uuid NOT NULL, id uuid NOT NULL, parent_id uuid, label text NOT NULL, note text,
    big bigint NOT NULL, maybe_int bigint, ratio double precision, flag boolean NOT NULL,
    at timestamptz NOT NULL, maybe_at timestamptz, doc jsonb NOT NULL, maybe_doc jsonb,
    amount numeric NOT NULL, maybe_amount numeric, ids uuid[] NOT NULL, version bigint NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE TABLE probe_items (
    org_id uuid NOT NULL, probe_id uuid NOT NULL, item_id uuid NOT NULL,
    position bigint NOT NULL, PRIMARY KEY (org_id, probe_id, position)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON probes, probe_items TO cmms_app;
ALTER TABLE probes ENABLE ROW LEVEL SECURITY;
ALTER TABLE probes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON probes
    USING (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid);
ALTER TABLE probe_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON probe_items
    USING (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid);";

/// One probe row.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub org_id: OrgId,
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub label: String,
    pub note: Option<String>,
    pub big: i64,
    pub maybe_int: Option<i64>,
    pub ratio: Option<f64>,
    pub flag: bool,
    pub at: DateTime<Utc>,
    pub maybe_at: Option<DateTime<Utc>>,
    pub doc: serde_json::Value,
    pub maybe_doc: Option<serde_json::Value>,
    pub amount: Decimal,
    pub maybe_amount: Option<Decimal>,
    pub ids: Vec<Uuid>,
    pub items: Vec<Uuid>,
    pub version: i64,
}

impl Record for Probe {
    const TABLE: &'static Table = &PROBES;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> Result<(), StoreError> {
        v.uuid(self.org_id).uuid(self.id).opt_uuid(self.parent_id).text(&self.label);
        v.opt_text(self.note.as_deref()).int(self.big).opt_int(self.maybe_int);
        v.opt_float(self.ratio).bool(self.flag).ts(self.at).opt_ts(self.maybe_at);
        v.json(&self.doc)?.opt_json(self.maybe_doc.as_ref())?;
        v.decimal(self.amount).opt_decimal(self.maybe_amount).uuids(&self.ids);
        v.uuids(&self.items).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> Result<Self, StoreError> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            parent_id: r.opt_uuid()?,
            label: r.text()?,
            note: r.opt_text()?,
            big: r.int()?,
            maybe_int: r.opt_int()?,
            ratio: r.opt_float()?,
            flag: r.bool()?,
            at: r.ts()?,
            maybe_at: r.opt_ts()?,
            doc: r.json()?,
            maybe_doc: r.opt_json()?,
            amount: r.decimal()?,
            maybe_amount: r.opt_decimal()?,
            ids: r.uuids()?,
            items: r.uuids()?,
            version: r.int()?,
        })
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, micros: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap() + chrono::TimeDelta::microseconds(micros)
}

/// Probes holding the edge values of every type, all in `org`.
pub fn probes(org: OrgId) -> Vec<Probe> {
    let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
    let base = Probe {
        org_id: org,
        id: Uuid::nil(),
        parent_id: None,
        label: String::new(),
        note: None,
        big: 0,
        maybe_int: None,
        ratio: None,
        flag: false,
        at: ts(2026, 1, 1, 0, 0, 0, 0),
        maybe_at: None,
        doc: json!({}),
        maybe_doc: None,
        amount: dec("0"),
        maybe_amount: None,
        ids: Vec::new(),
        items: Vec::new(),
        version: 1,
    };
    vec![
        Probe { id: Uuid::now_v7(), big: i64::MIN, ..base.clone() },
        Probe {
            id: Uuid::now_v7(),
            parent_id: Some(ids[0]),
            label: "Größe — 尺寸 — 📏 'quoted' \"double\" ; -- \\ % _".into(),
            note: Some("x".repeat(10_000)),
            big: i64::MAX,
            maybe_int: Some(i64::MIN),
            ratio: Some(5e-324),
            flag: true,
            at: ts(1, 1, 1, 0, 0, 0, 1),
            maybe_at: Some(ts(9999, 12, 31, 23, 59, 59, 999_999)),
            doc: json!({"nested": {"list": [1, 2.5, -3e-7, null, true, "ü"], "empty": {}},
                        "big": 9_007_199_254_740_993_i64, "": ""}),
            maybe_doc: Some(json!([])),
            amount: dec("1.50"),
            maybe_amount: Some(dec("-79228162514264337593543950.335")),
            ids: ids.clone(),
            items: vec![ids[3], ids[1], ids[4]],
            ..base.clone()
        },
        Probe {
            id: Uuid::now_v7(),
            parent_id: Some(ids[0]),
            label: "before the epoch".into(),
            big: -1,
            maybe_int: Some(0),
            ratio: Some(-1.0e300),
            at: ts(1969, 12, 31, 23, 59, 59, 999_999),
            doc: json!("a string"),
            maybe_doc: Some(json!({"a": {"b": {"c": [[[]]]}}})),
            amount: dec("0.000"),
            maybe_amount: Some(dec("100")),
            ids: vec![ids[2]],
            items: vec![ids[2]],
            ..base.clone()
        },
    ]
}

/// Decimals keep their scale (`1.50` stays `1.50`, not `1.5`).
fn same(a: &[Probe], b: &[Probe]) {
    assert_eq!(a, b);
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.amount.to_string(), y.amount.to_string());
        assert_eq!(x.maybe_amount.map(|d| d.to_string()), y.maybe_amount.map(|d| d.to_string()));
    }
}

/// Everything a simple record does, through `store`, on a `probes` table its tests created.
pub async fn probe_round_trips(store: &dyn Store) {
    let org = OrgId::new();
    let mut all = probes(org);
    let mut cs = Changeset::new();
    for p in &all {
        cs.push(Write::insert(p.clone()));
    }
    store.commit(org, cs).await.unwrap();

    // Get by id, list in the table's order, and the filters.
    for p in &all {
        let got: Option<Probe> = store.get(org, p.id).await.unwrap();
        same(&[got.unwrap()], std::slice::from_ref(p));
    }
    let listed: Vec<Probe> = store.list(org, Select::new(&PROBES)).await.unwrap();
    all.sort_by_key(|p| (p.big, p.id));
    same(&listed, &all);
    let parent = all[1].parent_id.unwrap();
    let children: Vec<Probe> =
        store.list(org, Select::new(&PROBES).eq("parent_id", parent)).await.unwrap();
    assert_eq!(children.len(), 2);
    let roots = Select::new(&PROBES).eq("parent_id", Value::Null);
    let orphans: Vec<Probe> = store.list(org, roots).await.unwrap();
    assert_eq!(orphans.iter().map(|p| p.id).collect::<Vec<_>>(), vec![all[0].id]);
    let some: Vec<Probe> = store
        .list(org, Select::new(&PROBES).any_of("id", vec![all[2].id, Uuid::now_v7(), all[0].id]))
        .await
        .unwrap();
    same(&some, &[all[0].clone(), all[2].clone()]);
    let none: Vec<Probe> =
        store.list(org, Select::new(&PROBES).any_of("id", vec![])).await.unwrap();
    assert!(none.is_empty());
    let by_text: Option<Probe> =
        store.find(org, Select::new(&PROBES).eq("label", all[1].label.clone())).await.unwrap();
    same(&[by_text.unwrap()], &all[1..2]);
    let limited: Vec<Probe> = store.list(org, Select::new(&PROBES).limit(2)).await.unwrap();
    same(&limited, &all[..2]);
    // Another organization sees none of it.
    let foreign: Vec<Probe> = store.list(OrgId::new(), Select::new(&PROBES)).await.unwrap();
    assert!(foreign.is_empty());

    // A versioned update replaces every column and the list; a stale one conflicts.
    let mut next = all[1].clone();
    next.version = 2;
    next.note = None;
    next.items = vec![next.ids[0]];
    next.amount = dec("2.500");
    store.commit(org, one(Write::update(next.clone()))).await.unwrap();
    let got: Probe = store.get(org, next.id).await.unwrap().unwrap();
    same(&[got], std::slice::from_ref(&next));
    match store.commit(org, one(Write::update(next.clone()))).await.unwrap_err() {
        StoreError::Conflict { current_version, .. } => assert_eq!(current_version, Some(2)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut ghost = next.clone();
    ghost.id = Uuid::now_v7();
    assert!(matches!(
        store.commit(org, one(Write::update(ghost))).await,
        Err(StoreError::NotFound { entity: "probe", .. })
    ));

    // A record of another org is refused whole.
    let mut stray = all[0].clone();
    stray.org_id = OrgId::new();
    assert!(store.commit(org, one(Write::insert(stray))).await.is_err());

    // Deletes: children of a parent (with their lists), a stale versioned delete, a delete.
    store.commit(org, one(Write::delete_children::<Probe>(parent))).await.unwrap();
    let left: Vec<Probe> = store.list(org, Select::new(&PROBES)).await.unwrap();
    assert_eq!(left.iter().map(|p| p.id).collect::<Vec<_>>(), vec![all[0].id]);
    let stale = Write::delete_versioned::<Probe>(all[0].id, 7);
    assert!(matches!(store.commit(org, one(stale)).await, Err(StoreError::Conflict { .. })));
    store.commit(org, one(Write::delete_versioned::<Probe>(all[0].id, 1))).await.unwrap();
    assert!(store.list::<Probe>(org, Select::new(&PROBES)).await.unwrap().is_empty());
    let gone = Write::delete::<Probe>(all[0].id);
    assert!(matches!(store.commit(org, one(gone)).await, Err(StoreError::NotFound { .. })));
}

fn one(w: Write) -> Changeset {
    let mut cs = Changeset::new();
    cs.push(w);
    cs
}
