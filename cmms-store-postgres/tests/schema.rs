//! The migrated PostgreSQL schema has exactly the columns the record descriptions in cmms-core
//! name (read from `information_schema`), both stores have the same migrations, and a record
//! type this store has no code for round-trips every neutral type through the generic
//! statements, under row-level security.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cmms_core::store::record::{ActualColumn, ColumnType, schema_differences};
use cmms_core::testkit::probe::{PROBE_POSTGRES_DDL, probe_round_trips};
use cmms_store_postgres::migrate::MIGRATOR;
use cmms_store_postgres::testing::{TestServer, owner_connection};
use sqlx::{PgConnection, Row};

mod common;

/// How this store declares each neutral type (`information_schema` names; arrays by element).
fn compatible(ty: ColumnType, declared: &str) -> bool {
    use ColumnType::*;
    matches!(
        (ty, declared),
        (Uuid, "uuid")
            | (Text, "text")
            | (Int, "bigint" | "integer" | "smallint")
            | (Float, "double precision")
            | (Bool, "boolean")
            | (Timestamp, "timestamp with time zone")
            | (Json, "jsonb")
            | (Decimal, "numeric")
            | (UuidList, "uuid[]")
    )
}

async fn schema(c: &mut PgConnection) -> Vec<ActualColumn> {
    // The search side tables (migration 0008) are this store's own, like its bookkeeping.
    let rows = sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.udt_name::text, \
                c.is_nullable::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
           AND c.table_name NOT IN ('_sqlx_migrations', 'work_order_search', 'request_search') \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(c)
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            let data_type: String = r.get(2);
            let udt: String = r.get(3);
            let declared = match data_type.as_str() {
                "ARRAY" => format!("{}[]", udt.trim_start_matches('_')),
                _ => data_type,
            };
            ActualColumn {
                table: r.get(0),
                name: r.get(1),
                declared,
                nullable: r.get::<String, _>(4) == "YES",
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_migrated_schema_is_what_the_records_describe() {
    let url = TestServer::fresh_database().await;
    let mut c = owner_connection(&url).await;
    let differences = schema_differences(&schema(&mut c).await, compatible);
    assert!(
        differences.is_empty(),
        "the PostgreSQL schema and the record descriptions disagree:\n{}",
        differences.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_out_of_step_is_named() {
    let url = TestServer::fresh_database().await;
    let mut c = owner_connection(&url).await;
    sqlx::raw_sql(
        "ALTER TABLE assets ADD COLUMN colour text; ALTER TABLE sites DROP COLUMN address",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let differences = schema_differences(&schema(&mut c).await, compatible);
    assert_eq!(
        differences,
        [
            "column sites.address is described but missing from the schema",
            "column assets.colour is in the migrated schema but not in the description",
        ]
    );
}

#[test]
fn both_stores_have_the_same_migrations() {
    let pg: Vec<(i64, String)> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| (m.version, m.description.to_string()))
        .collect();
    let sqlite: Vec<(i64, String)> = cmms_store_sqlite::MIGRATIONS
        .iter()
        .map(|m| (i64::from(m.version), m.name.to_string()))
        .collect();
    assert_eq!(pg, sqlite, "migration numbers and names must be the same in both stores");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_without_store_code_round_trips_every_type() {
    let url = TestServer::fresh_database().await;
    let mut c = owner_connection(&url).await;
    sqlx::raw_sql(PROBE_POSTGRES_DDL).execute(&mut c).await.unwrap();
    let store = common::store(&url, 2).await;
    probe_round_trips(&*store).await;
}
