//! Many rows in one statement: the inserts of a commit group go to each table as ONE
//! `INSERT … SELECT … FROM UNNEST($1::uuid[], $2::text[], …)` (one array parameter per column),
//! and the group's counters are drawn in one upsert. Round trips are what a commit costs on
//! PostgreSQL (sqlx does not pipeline), so a group of 16 creates costs the same handful of
//! statements as one. The statements are built from the record descriptions, never from input.

use crate::error::map_sqlx;
use crate::record::{self, Q};
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::ids::OrgId;
use cmms_core::store::record::{ColumnType, StoredRecord, Table, Value};
use sqlx::{AssertSqlSafe, PgConnection};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use uuid::Uuid;

/// The bulk insert of each table, built once.
static INSERTS: LazyLock<Mutex<HashMap<&'static str, Arc<str>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn insert_sql(table: &'static Table) -> Arc<str> {
    let mut cache = INSERTS.lock().unwrap_or_else(PoisonError::into_inner);
    cache.entry(table.name).or_insert_with(|| build_insert(table)).clone()
}

fn build_insert(table: &Table) -> Arc<str> {
    let (mut names, mut exprs, mut params, mut aliases) =
        (String::new(), String::new(), String::new(), String::new());
    for (i, c) in table.columns.iter().filter(|c| c.join.is_none()).enumerate() {
        let (array, cast) = match c.ty {
            ColumnType::Uuid => ("uuid[]", ""),
            ColumnType::Text => ("text[]", ""),
            ColumnType::Int => ("int8[]", ""),
            ColumnType::Float => ("float8[]", ""),
            ColumnType::Bool => ("bool[]", ""),
            ColumnType::Timestamp => ("timestamptz[]", ""),
            // As in the row statements: text, cast in the statement (numeric keeps the scale).
            ColumnType::Json => ("text[]", "::jsonb"),
            ColumnType::Decimal => ("text[]", "::numeric"),
            // UNNEST flattens a uuid[][], so a stored list travels as its array literal.
            ColumnType::UuidList => ("text[]", "::uuid[]"),
        };
        let sep = if i == 0 { "" } else { ", " };
        let n = i + 1;
        let _ = write!(names, "{sep}{}", c.name);
        let _ = write!(exprs, "{sep}u.c{n}{cast}");
        let _ = write!(params, "{sep}${n}::{array}");
        let _ = write!(aliases, "{sep}c{n}");
    }
    format!(
        "INSERT INTO {} ({names}) SELECT {exprs} FROM UNNEST({params}) AS u({aliases})",
        table.name
    )
    .into()
}

fn wrong(table: &Table, column: &str) -> StoreError {
    StoreError::backend(format!("{}.{column}: a value does not fit its column", table.name))
}

/// Collects column `at` of every row as one array parameter.
fn bind_column<'q>(
    q: Q<'q>,
    table: &Table,
    name: &str,
    ty: ColumnType,
    rows: &[Vec<Value<'_>>],
    at: usize,
) -> Result<Q<'q>, StoreError> {
    macro_rules! column {
        ($t:ty, $pat:pat => $out:expr) => {{
            let mut out: Vec<Option<$t>> = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(match row.get(at) {
                    Some(Value::Null) => None,
                    Some($pat) => Some($out),
                    _ => return Err(wrong(table, name)),
                });
            }
            q.bind(out)
        }};
    }
    Ok(match ty {
        ColumnType::Uuid => column!(Uuid, Value::Uuid(u) => *u),
        ColumnType::Text | ColumnType::Json => {
            column!(String, Value::Text(s) | Value::Json(s) => s.to_string())
        }
        ColumnType::Int => column!(i64, Value::Int(i) => *i),
        ColumnType::Float => column!(f64, Value::Float(f) => *f),
        ColumnType::Bool => column!(bool, Value::Bool(b) => *b),
        ColumnType::Timestamp => column!(DateTime<Utc>, Value::Timestamp(t) => *t),
        ColumnType::Decimal => column!(String, Value::Decimal(d) => d.to_string()),
        ColumnType::UuidList => column!(String, Value::UuidList(ids) => array_literal(ids)),
    })
}

/// `{id,id,…}`: only hex digits, hyphens, commas and braces, whatever the ids.
fn array_literal(ids: &[Uuid]) -> String {
    let mut out = String::with_capacity(2 + ids.len() * 37);
    out.push('{');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}", id.hyphenated());
    }
    out.push('}');
    out
}

/// Inserts `records` (all of one table) and their join lists: one statement for the rows.
pub(crate) async fn insert_many(
    c: &mut PgConnection,
    records: &[&dyn StoredRecord],
) -> Result<(), StoreError> {
    let Some(first) = records.first() else { return Ok(()) };
    let table = first.table();
    if records.len() == 1 {
        return record::insert(c, *first).await;
    }
    let sql = insert_sql(table);
    let rows = records.iter().map(|r| r.values()).collect::<Result<Vec<_>, _>>()?;
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (at, col) in table.columns.iter().enumerate().filter(|(_, c)| c.join.is_none()) {
        q = bind_column(q, table, col.name, col.ty, &rows, at)?;
    }
    q.execute(&mut *c).await.map_err(map_sqlx)?;
    if table.joins().next().is_some() {
        for (r, values) in records.iter().zip(&rows) {
            record::write_joins(c, *r, values, false).await?;
        }
    }
    Ok(())
}

/// Draws `counts[k]` values from each counter `keys[k]` of `org` in one statement; returns the
/// LAST value drawn per key (so the draws are `last - count + 1 ..= last`). Rows are locked in
/// key order, so two transactions drawing the same keys never wait on each other in opposite
/// orders.
pub(crate) async fn draw(
    c: &mut PgConnection,
    org: OrgId,
    keys: &[String],
    counts: &[i64],
) -> Result<HashMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "INSERT INTO org_counters (org_id, key, value) \
         SELECT $1, u.k, u.n FROM UNNEST($2::text[], $3::int8[]) AS u(k, n) ORDER BY u.k \
         ON CONFLICT (org_id, key) DO UPDATE SET value = org_counters.value + EXCLUDED.value \
         RETURNING key, value",
    )
    .bind(org.0)
    .bind(keys)
    .bind(counts)
    .fetch_all(&mut *c)
    .await
    .map_err(map_sqlx)?;
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmms_core::store::record::TABLES;

    #[test]
    fn work_orders_insert_in_one_statement_with_one_array_per_stored_column() {
        let wo = TABLES.iter().find(|t| t.name == "work_orders").copied();
        let sql = wo.map(|t| build_insert(t).to_string()).unwrap_or_default();
        assert!(sql.starts_with("INSERT INTO work_orders (org_id, id, "), "{sql}");
        let stored = wo.map_or(0, |t| t.columns.iter().filter(|c| c.join.is_none()).count());
        assert_eq!(sql.matches("[]").count(), stored, "{sql}");
        assert!(
            sql.contains(&format!("${stored}::")) && !sql.contains(&format!("${}", stored + 1))
        );
    }
}
