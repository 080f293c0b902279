//! The migrated SQLite schema has exactly the columns the record descriptions in cmms-core
//! name (a column added to a migration and not to the description, or the other way round,
//! fails with a message naming it), and a record type this store has no code for round-trips
//! every neutral type through the generic statements.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cmms_core::store::record::{ActualColumn, ColumnType, schema_differences};
use cmms_core::testkit::probe::{PROBE_SQLITE_DDL, probe_round_trips};
use rusqlite::Connection;

mod common;

/// How this store declares each neutral type.
fn compatible(ty: ColumnType, declared: &str) -> bool {
    use ColumnType::*;
    matches!(
        (ty, declared),
        (Uuid | UuidList, "BLOB")
            | (Text | Json | Decimal, "TEXT")
            | (Int | Bool | Timestamp, "INTEGER")
            | (Float, "REAL")
    )
}

fn schema(c: &Connection) -> Vec<ActualColumn> {
    // The full-text indexes (and FTS5's shadow tables) and their keys are this store's own
    // (migration 0008), like its bookkeeping.
    let tables: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '%\\_fts%' ESCAPE '\\' \
             AND name NOT LIKE '%\\_search\\_keys' ESCAPE '\\'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let mut stmt =
            c.prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?1)").unwrap();
        let cols = stmt
            .query_map([&table], |r| {
                Ok(ActualColumn {
                    table: table.clone(),
                    name: r.get(0)?,
                    declared: r.get(1)?,
                    nullable: r.get::<_, i64>(2)? == 0,
                })
            })
            .unwrap();
        out.extend(cols.map(Result::unwrap));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_migrated_schema_is_what_the_records_describe() {
    let db = common::db().await;
    let c = Connection::open(&db.path).unwrap();
    let differences = schema_differences(&schema(&c), compatible);
    assert!(
        differences.is_empty(),
        "the SQLite schema and the record descriptions disagree:\n{}",
        differences.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_out_of_step_is_named() {
    let db = common::db().await;
    let c = Connection::open(&db.path).unwrap();
    c.execute_batch(
        "ALTER TABLE assets ADD COLUMN colour TEXT; ALTER TABLE sites DROP COLUMN address;",
    )
    .unwrap();
    let differences = schema_differences(&schema(&c), compatible);
    assert_eq!(
        differences,
        [
            "column sites.address is described but missing from the schema",
            "column assets.colour is in the migrated schema but not in the description",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_without_store_code_round_trips_every_type() {
    let db = common::db().await;
    Connection::open(&db.path).unwrap().execute_batch(PROBE_SQLITE_DDL).unwrap();
    probe_round_trips(&*db.store).await;
}
