//! The neutral types on rusqlite, once: how each binds and how each is read back by position
//! (UUIDs as 16-byte BLOBs, timestamps as INTEGER microseconds, booleans as 0/1, JSON and
//! decimals as TEXT, UUID lists as one BLOB of 16-byte ids), SQLite's [`Dialect`], and the
//! generic insert, versioned update, delete and select of every described record.

use crate::error::map_rusqlite;
use chrono::DateTime;
use cmms_core::StoreError;
use cmms_core::ids::OrgId;
use cmms_core::store::record::{
    Column, ColumnType, Dialect, JoinTable, Record, Rows, Select, SqlCache, StoredRecord, Table,
    TableSql, Value, decode_row,
};
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::LazyLock;
use uuid::Uuid;

/// SQLite's SQL for the generic statements.
struct Sqlite;

impl Dialect for Sqlite {
    fn param(&self, n: usize, _: ColumnType, out: &mut String) {
        let _ = write!(out, "?{n}");
    }
    fn join_list(&self, j: &JoinTable, id: &str, out: &mut String) {
        // The ids as one BLOB in position order, like a stored UUID list.
        let _ = write!(
            out,
            "(SELECT unhex(group_concat(hex(j.{item}), '' ORDER BY j.position)) FROM {table} j \
             WHERE j.org_id = t.org_id AND j.{parent} = t.{id})",
            item = j.item,
            table = j.table,
            parent = j.parent,
        );
    }
    fn join_insert(&self, j: &JoinTable) -> String {
        // One row per item (?3 = item, ?4 = position): SQLite statements are cheap in-process.
        format!(
            "INSERT INTO {} (org_id, {}, {}, position) VALUES (?1, ?2, ?3, ?4)",
            j.table, j.parent, j.item
        )
    }
    fn any_of(&self, column: &str, n: usize, out: &mut String) {
        // The ids arrive as one BLOB of 16-byte ids; split it with a recursive CTE.
        let _ = write!(
            out,
            "{column} IN (WITH RECURSIVE ids(i) AS (SELECT 0 UNION ALL SELECT i + 16 FROM ids \
             WHERE i + 16 < length(?{n})) SELECT substr(?{n}, i + 1, 16) FROM ids)"
        );
    }
    fn lock(&self) -> &'static str {
        // One writer: nothing else can change a row before this transaction ends.
        ""
    }
}

static SQL: LazyLock<SqlCache> = LazyLock::new(|| SqlCache::new(&Sqlite));

/// The generic statements of `table`.
pub(crate) fn sql(table: &'static Table) -> &'static TableSql {
    SQL.get(table)
}

/// A neutral value as a rusqlite parameter; text, JSON and ids are borrowed, not copied.
pub(crate) struct Bind<'v>(pub &'v Value<'v>);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Uuid(u) => ToSqlOutput::Borrowed(ValueRef::Blob(u.as_bytes())),
            Value::Text(s) | Value::Json(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Value::Float(f) => ToSqlOutput::Owned(SqlValue::Real(*f)),
            Value::Bool(b) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*b))),
            Value::Timestamp(t) => ToSqlOutput::Owned(SqlValue::Integer(t.timestamp_micros())),
            Value::Decimal(d) => ToSqlOutput::Owned(SqlValue::Text(d.to_string())),
            Value::UuidList(ids) => ToSqlOutput::Owned(SqlValue::Blob(
                ids.iter().flat_map(|u| u.as_bytes().iter().copied()).collect(),
            )),
        })
    }
}

fn mismatch(table: &Table, col: &Column, found: &str) -> StoreError {
    let e = format!("{}.{}: expected {}, found {found}", table.name, col.name, col.ty);
    tracing::error!(error = %e, "stored value does not convert");
    StoreError::backend(e)
}

/// Reads column `i` of `row` as the neutral type of `col`.
fn read_value(
    table: &Table,
    row: &Row<'_>,
    i: usize,
    col: &Column,
) -> Result<Value<'static>, StoreError> {
    let v = row.get_ref(i).map_err(map_rusqlite)?;
    let bad = |what: &str| mismatch(table, col, what);
    let text =
        |b: &[u8]| std::str::from_utf8(b).map(str::to_owned).map_err(|_| bad("invalid UTF-8"));
    Ok(match (col.ty, v) {
        (_, ValueRef::Null) => Value::Null,
        (ColumnType::Uuid, ValueRef::Blob(b)) => {
            Value::Uuid(Uuid::from_slice(b).map_err(|_| bad("a BLOB that is no UUID"))?)
        }
        (ColumnType::Text, ValueRef::Text(b)) => Value::Text(Cow::Owned(text(b)?)),
        (ColumnType::Json, ValueRef::Text(b)) => Value::Json(Cow::Owned(text(b)?)),
        (ColumnType::Int, ValueRef::Integer(n)) => Value::Int(n),
        (ColumnType::Float, ValueRef::Real(f)) => Value::Float(f),
        (ColumnType::Float, ValueRef::Integer(n)) => Value::Float(n as f64),
        (ColumnType::Bool, ValueRef::Integer(n)) => Value::Bool(n != 0),
        (ColumnType::Timestamp, ValueRef::Integer(n)) => Value::Timestamp(
            DateTime::from_timestamp_micros(n).ok_or_else(|| bad("a timestamp out of range"))?,
        ),
        (ColumnType::Decimal, ValueRef::Text(b)) => {
            Value::Decimal(text(b)?.parse().map_err(|_| bad("text that is no decimal"))?)
        }
        (ColumnType::UuidList, ValueRef::Blob(b)) if b.len() % 16 == 0 => Value::UuidList(
            b.chunks_exact(16).map(|c| Uuid::from_slice(c).unwrap_or_default()).collect(),
        ),
        (_, other) => return Err(bad(other.data_type().to_string().as_str())),
    })
}

/// Appends one row's values, read by position in the description's column order.
pub(crate) fn read_row(
    table: &Table,
    row: &Row<'_>,
    out: &mut Vec<Value<'static>>,
) -> Result<(), StoreError> {
    for (i, col) in table.columns.iter().enumerate() {
        out.push(read_value(table, row, i, col)?);
    }
    Ok(())
}

/// Runs a statement that selects `table`'s columns in order and collects its rows.
pub(crate) fn query(
    c: &Connection,
    table: &'static Table,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Rows, StoreError> {
    let mut stmt = c.prepare_cached(sql).map_err(map_rusqlite)?;
    let mut rows = stmt.query(params).map_err(map_rusqlite)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_rusqlite)? {
        read_row(table, row, &mut out)?;
    }
    Rows::new(table, out)
}

/// Runs a statement that selects `T`'s columns in order and decodes each row as it comes.
pub(crate) fn query_records<T: Record>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = c.prepare_cached(sql).map_err(map_rusqlite)?;
    let mut rows = stmt.query(params).map_err(map_rusqlite)?;
    let (mut out, mut buf) = (Vec::new(), Vec::with_capacity(T::TABLE.columns.len()));
    while let Some(row) = rows.next().map_err(map_rusqlite)? {
        buf.clear();
        read_row(T::TABLE, row, &mut buf)?;
        out.push(decode_row(&mut buf)?);
    }
    Ok(out)
}

/// The generic read: `select` in `org`.
pub(crate) fn select(c: &Connection, org: OrgId, select: Select) -> Result<Rows, StoreError> {
    select.check()?;
    let table = select.table;
    let s = sql(table);
    let text = s.select(&select, &Sqlite);
    let params = select.params(org);
    // (The text is the cached statement's for reads by id.)
    query(c, table, &text, params_from_iter(params.iter().map(Bind)))
}

fn execute(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    c.prepare_cached(sql).and_then(|mut s| s.execute(params)).map_err(map_rusqlite)
}

fn stored<'v>(table: &Table, values: &'v [Value<'v>]) -> impl Iterator<Item = Bind<'v>> {
    table.columns.iter().zip(values).filter(|(c, _)| c.join.is_none()).map(|(_, v)| Bind(v))
}

/// Replaces a record's join-table lists (`replace`: delete the old ones first).
fn write_joins(
    tx: &Connection,
    r: &dyn StoredRecord,
    values: &[Value<'_>],
    replace: bool,
) -> Result<(), StoreError> {
    let table = r.table();
    let s = sql(table);
    let (org, id) = (Value::Uuid(r.org().0), Value::Uuid(table.id_of(values).unwrap_or_default()));
    for (j, col) in s.joins.iter().zip(table.joins()) {
        if replace {
            execute(tx, &j.delete, [Bind(&org), Bind(&id)])?;
        }
        let Some(Value::UuidList(items)) = table.position(col.0.name).and_then(|p| values.get(p))
        else {
            continue;
        };
        let mut stmt = tx.prepare_cached(&j.insert).map_err(map_rusqlite)?;
        for (pos, item) in items.iter().enumerate() {
            let (item, pos) = (Value::Uuid(*item), Value::Int(pos as i64));
            stmt.execute([Bind(&org), Bind(&id), Bind(&item), Bind(&pos)]).map_err(map_rusqlite)?;
        }
    }
    Ok(())
}

/// Inserts a record and its lists.
pub(crate) fn insert(tx: &Connection, r: &dyn StoredRecord) -> Result<(), StoreError> {
    let values = r.values()?;
    let table = r.table();
    execute(tx, &sql(table).insert, params_from_iter(stored(table, &values)))?;
    write_joins(tx, r, &values, false)
}

/// The versioned update of a record (which carries its next version) and its lists.
pub(crate) fn update(tx: &Connection, r: &dyn StoredRecord) -> Result<(), StoreError> {
    let values = r.values()?;
    let table = r.table();
    let update = sql(table).update()?;
    if execute(tx, update, params_from_iter(stored(table, &values)))? != 1 {
        let id = table.id_of(&values).unwrap_or_default();
        let current = current_version(tx, table, r.org(), id)?;
        return Err(table.version_miss(id, current, table.version_of(&values).unwrap_or(0) - 1));
    }
    write_joins(tx, r, &values, true)
}

fn key_params(table: &Table, org: OrgId, id: Uuid) -> Vec<Value<'static>> {
    match table.key {
        cmms_core::store::record::Key::Tenant => vec![Value::Uuid(id)],
        cmms_core::store::record::Key::Org(_) => vec![Value::Uuid(org.0), Value::Uuid(id)],
    }
}

fn current_version(
    tx: &Connection,
    table: &'static Table,
    org: OrgId,
    id: Uuid,
) -> Result<Option<i64>, StoreError> {
    let p = key_params(table, org, id);
    tx.prepare_cached(&sql(table).version)
        .and_then(|mut s| {
            s.query_row(params_from_iter(p.iter().map(Bind)), |r| r.get(0)).optional()
        })
        .map_err(map_rusqlite)
}

/// `Write::AssertVersion`. (SQLite has one writer, so the row cannot change again before this
/// transaction commits.)
pub(crate) fn assert_version(
    tx: &Connection,
    table: &'static Table,
    org: OrgId,
    id: Uuid,
    version: i64,
) -> Result<(), StoreError> {
    match current_version(tx, table, org, id)? {
        Some(v) if v == version => Ok(()),
        current => Err(table.version_miss(id, current, version)),
    }
}

/// `Write::Delete`: one row and its lists.
pub(crate) fn delete(
    tx: &Connection,
    table: &'static Table,
    org: OrgId,
    id: Uuid,
    version: Option<i64>,
) -> Result<(), StoreError> {
    let s = sql(table);
    let mut p = key_params(table, org, id);
    let n = match version {
        Some(v) => {
            p.push(Value::Int(v));
            execute(tx, &s.delete_versioned, params_from_iter(p.iter().map(Bind)))?
        }
        None => execute(tx, &s.delete, params_from_iter(p.iter().map(Bind)))?,
    };
    if n == 0 {
        return Err(match version {
            Some(v) => table.version_miss(id, current_version(tx, table, org, id)?, v),
            None => table.not_found(id),
        });
    }
    for j in &s.joins {
        execute(tx, &j.delete, params![org.0, id])?;
    }
    Ok(())
}

/// `Write::DeleteChildren`: every row of `table` under `parent`, and their lists.
pub(crate) fn delete_children(
    tx: &Connection,
    table: &'static Table,
    org: OrgId,
    parent: Uuid,
) -> Result<(), StoreError> {
    let s = sql(table);
    let delete = s.delete_children()?;
    for j in &s.joins {
        if let Some(d) = &j.delete_of_children {
            execute(tx, d, params![org.0, parent])?;
        }
    }
    execute(tx, delete, params![org.0, parent])?;
    Ok(())
}
