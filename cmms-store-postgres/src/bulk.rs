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
use cmms_core::store::record::{ColumnType, Key, StoredRecord, Table, Value};
use sqlx::{AssertSqlSafe, PgConnection};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use uuid::Uuid;

/// Statements per table name, built on first use.
type Cache<T> = LazyLock<Mutex<HashMap<&'static str, T>>>;

/// The bulk insert of each table, built once.
static INSERTS: Cache<Arc<str>> = LazyLock::new(|| Mutex::new(HashMap::new()));
/// The bulk versioned update of each table, built once.
static UPDATES: Cache<Option<Arc<str>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn insert_sql(table: &'static Table) -> Arc<str> {
    let mut cache = INSERTS.lock().unwrap_or_else(PoisonError::into_inner);
    cache.entry(table.name).or_insert_with(|| build_insert(table)).clone()
}

fn update_sql(table: &'static Table) -> Option<Arc<str>> {
    let mut cache = UPDATES.lock().unwrap_or_else(PoisonError::into_inner);
    cache.entry(table.name).or_insert_with(|| build_update(table)).clone()
}

/// How a column travels in `UNNEST`: its array type and the cast back to the column's type.
fn array_of(ty: ColumnType) -> (&'static str, &'static str) {
    match ty {
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
    }
}

/// `$1::uuid[], $2::text[], …` and `c1, c2, …`: the UNNEST of every stored column.
fn unnest(table: &Table) -> String {
    let (mut params, mut aliases) = (String::new(), String::new());
    for (i, c) in table.columns.iter().filter(|c| c.join.is_none()).enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(params, "{sep}${}::{}", i + 1, array_of(c.ty).0);
        let _ = write!(aliases, "{sep}c{}", i + 1);
    }
    format!("UNNEST({params}) AS u({aliases})")
}

fn build_insert(table: &Table) -> Arc<str> {
    let (mut names, mut exprs) = (String::new(), String::new());
    for (i, c) in table.columns.iter().filter(|c| c.join.is_none()).enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(names, "{sep}{}", c.name);
        let _ = write!(exprs, "{sep}u.c{}{}", i + 1, array_of(c.ty).1);
    }
    format!("INSERT INTO {} ({names}) SELECT {exprs} FROM {}", table.name, unnest(table)).into()
}

/// The versioned update of many rows, answering the ids it hit; `None` for a table without
/// versions or without an `org_id` key (those keep the row statement).
fn build_update(table: &Table) -> Option<Arc<str>> {
    let Key::Org(id) = table.key else { return None };
    if !table.versioned {
        return None;
    }
    let (mut set, mut org_at, mut id_at, mut version_at) = (String::new(), 0, 0, 0);
    for (i, c) in table.columns.iter().filter(|c| c.join.is_none()).enumerate() {
        let n = i + 1;
        match c.name {
            "org_id" => org_at = n,
            name if name == id => id_at = n,
            name => {
                if name == "version" {
                    version_at = n;
                }
                let sep = if set.is_empty() { "" } else { ", " };
                let _ = write!(set, "{sep}{name} = u.c{n}{}", array_of(c.ty).1);
            }
        }
    }
    if org_at == 0 || id_at == 0 || version_at == 0 {
        return None;
    }
    Some(
        format!(
            "UPDATE {} t SET {set} FROM {} WHERE t.org_id = u.c{org_at} AND t.{id} = u.c{id_at} \
             AND t.version = u.c{version_at} - 1 RETURNING t.{id}",
            table.name,
            unnest(table)
        )
        .into(),
    )
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
    bind_rows(sqlx::query(AssertSqlSafe(sql)), table, &rows)?
        .execute(&mut *c)
        .await
        .map_err(map_sqlx)?;
    write_joins(c, first.org(), table, &rows, false).await
}

/// Every stored column of `rows` as one array parameter each, in description order.
fn bind_rows<'q>(
    mut q: Q<'q>,
    table: &Table,
    rows: &[Vec<Value<'_>>],
) -> Result<Q<'q>, StoreError> {
    for (at, col) in table.columns.iter().enumerate().filter(|(_, c)| c.join.is_none()) {
        q = bind_column(q, table, col.name, col.ty, rows, at)?;
    }
    Ok(q)
}

/// The versioned update of `records` (all of one table, each carrying its next version) and
/// their lists. On failure, the index of the record at fault when it is known (a version
/// miss), with the error.
pub(crate) async fn update_many(
    c: &mut PgConnection,
    records: &[&dyn StoredRecord],
) -> Result<(), (Option<usize>, StoreError)> {
    let Some(first) = records.first() else { return Ok(()) };
    let table = first.table();
    let sql = match update_sql(table) {
        Some(sql) if records.len() > 1 => sql,
        _ => {
            for (i, r) in records.iter().enumerate() {
                record::update(c, *r).await.map_err(|e| (Some(i), e))?;
            }
            return Ok(());
        }
    };
    let all = |e| (None, e);
    let rows = records.iter().map(|r| r.values()).collect::<Result<Vec<_>, _>>().map_err(all)?;
    let hit: Vec<Uuid> = bind_rows(sqlx::query(AssertSqlSafe(sql)), table, &rows)
        .map_err(all)?
        .fetch_all(&mut *c)
        .await
        .map_err(|e| (None, map_sqlx(e)))?
        .iter()
        .map(|row| sqlx::Row::try_get::<Uuid, _>(row, 0))
        .collect::<Result<_, _>>()
        .map_err(|e| (None, map_sqlx(e)))?;
    for (i, values) in rows.iter().enumerate() {
        let id = table.id_of(values).unwrap_or_default();
        if !hit.contains(&id) {
            let expected = table.version_of(values).unwrap_or(0) - 1;
            let current = record::current_version(c, table, first.org(), id, false)
                .await
                .map_err(|e| (Some(i), e))?;
            return Err((Some(i), table.version_miss(id, current, expected)));
        }
    }
    write_joins(c, first.org(), table, &rows, true).await.map_err(all)
}

/// The join-table lists of `rows` (of `table`, all of `org`): each list's rows in one
/// statement, after deleting the old ones when `replace`.
async fn write_joins(
    c: &mut PgConnection,
    org: OrgId,
    table: &Table,
    rows: &[Vec<Value<'_>>],
    replace: bool,
) -> Result<(), StoreError> {
    let id_at = table.position(table.id_column());
    for (col, j) in table.joins() {
        let at = table.position(col.name);
        let (mut parents, mut items, mut positions) = (Vec::new(), Vec::new(), Vec::new());
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(Value::Uuid(id)) = id_at.and_then(|p| row.get(p)) else {
                return Err(StoreError::backend(format!("{} has no id value", table.name)));
            };
            ids.push(*id);
            if let Some(Value::UuidList(list)) = at.and_then(|p| row.get(p)) {
                for (n, item) in list.iter().enumerate() {
                    parents.push(*id);
                    items.push(*item);
                    positions.push(n as i64);
                }
            }
        }
        if replace {
            let sql = format!(
                "DELETE FROM {} WHERE org_id = $1 AND {} = ANY($2::uuid[])",
                j.table, j.parent
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(org.0)
                .bind(&ids)
                .execute(&mut *c)
                .await
                .map_err(map_sqlx)?;
        }
        if !items.is_empty() {
            let record::Copied { column, value, join } = record::Copied::of(table, j, "$1", "u.p");
            let sql = format!(
                "INSERT INTO {} (org_id, {}, {}, position{column}) \
                 SELECT $1, u.p, u.i, u.n{value} FROM UNNEST($2::uuid[], $3::uuid[], $4::int8[]) AS u(p, i, n){join}",
                j.table, j.parent, j.item,
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(org.0)
                .bind(&parents)
                .bind(&items)
                .bind(&positions)
                .execute(&mut *c)
                .await
                .map_err(map_sqlx)?;
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
