//! The neutral types on rusqlite, once: how each binds and how each is read back by position
//! (UUIDs as 16-byte BLOBs, timestamps as INTEGER microseconds, booleans as 0/1, JSON and
//! decimals as TEXT, UUID lists as one BLOB of 16-byte ids), SQLite's [`Dialect`], and the
//! generic insert, versioned update, delete and select of every described record.

use crate::error::map_rusqlite;
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::ids::OrgId;
use cmms_core::store::record::{
    ColumnType, DecodeRow, Dialect, Found, JoinTable, Reader, Record, RowSource, Select, SqlCache,
    StoredRecord, Table, TableSql, Value,
};
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};
use rust_decimal::Decimal;
use std::any::Any;
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
    fn join_insert(&self, parent: &Table, j: &JoinTable) -> String {
        // One row per item (?3 = item, ?4 = position): SQLite statements are cheap in-process.
        match j.copied {
            None => format!(
                "INSERT INTO {} (org_id, {}, {}, position) VALUES (?1, ?2, ?3, ?4)",
                j.table, j.parent, j.item
            ),
            // The copy is read from the parent row, written just before.
            Some(c) => format!(
                "INSERT INTO {} (org_id, {}, {}, position, {c}) SELECT ?1, ?2, ?3, ?4, r.{c} \
                 FROM {} r WHERE r.org_id = ?1 AND r.{} = ?2",
                j.table,
                j.parent,
                j.item,
                parent.name,
                parent.id_column()
            ),
        }
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

/// One row of a rusqlite statement as a [`RowSource`], read by position.
pub(crate) struct SqliteSource<'r, 's> {
    row: &'r Row<'s>,
    at: usize,
}

impl<'r, 's> SqliteSource<'r, 's> {
    #[inline]
    pub(crate) fn new(row: &'r Row<'s>) -> Self {
        Self { row, at: 0 }
    }

    /// The next column, converted by `f` unless it is NULL.
    #[inline]
    fn next<T>(&mut self, f: impl FnOnce(ValueRef<'_>) -> Option<T>) -> Result<Option<T>, Found> {
        let at = self.at;
        self.at += 1;
        match self.row.get_ref(at) {
            Ok(ValueRef::Null) => Ok(None),
            Ok(v) => {
                let ty = v.data_type();
                f(v).map(Some).ok_or_else(|| Found::Owned(ty.to_string()))
            }
            Err(e) => Err(Found::Owned(e.to_string())),
        }
    }
}

fn utf8(b: &[u8]) -> Option<String> {
    std::str::from_utf8(b).ok().map(str::to_owned)
}

impl RowSource for SqliteSource<'_, '_> {
    #[inline]
    fn next_uuid(&mut self) -> Result<Option<Uuid>, Found> {
        self.next(|v| match v {
            ValueRef::Blob(b) => Uuid::from_slice(b).ok(),
            _ => None,
        })
    }
    #[inline]
    fn next_text(&mut self) -> Result<Option<String>, Found> {
        self.next(|v| match v {
            ValueRef::Text(b) => utf8(b),
            _ => None,
        })
    }
    #[inline]
    fn next_int(&mut self) -> Result<Option<i64>, Found> {
        self.next(|v| match v {
            ValueRef::Integer(n) => Some(n),
            _ => None,
        })
    }
    #[inline]
    fn next_float(&mut self) -> Result<Option<f64>, Found> {
        self.next(|v| match v {
            ValueRef::Real(f) => Some(f),
            ValueRef::Integer(n) => Some(n as f64),
            _ => None,
        })
    }
    #[inline]
    fn next_bool(&mut self) -> Result<Option<bool>, Found> {
        self.next(|v| match v {
            ValueRef::Integer(n) => Some(n != 0),
            _ => None,
        })
    }
    #[inline]
    fn next_ts(&mut self) -> Result<Option<DateTime<Utc>>, Found> {
        self.next(|v| match v {
            ValueRef::Integer(n) => DateTime::from_timestamp_micros(n),
            _ => None,
        })
    }
    #[inline]
    fn next_json(&mut self) -> Result<Option<String>, Found> {
        self.next_text()
    }
    #[inline]
    fn next_decimal(&mut self) -> Result<Option<Decimal>, Found> {
        self.next(|v| match v {
            ValueRef::Text(b) => std::str::from_utf8(b).ok()?.parse().ok(),
            _ => None,
        })
    }
    #[inline]
    fn next_uuids(&mut self) -> Result<Option<Vec<Uuid>>, Found> {
        // One BLOB of 16-byte ids (a stored list, or a join list put together by `unhex`).
        self.next(|v| match v {
            ValueRef::Blob(b) if b.len() % 16 == 0 => {
                Some(b.chunks_exact(16).map(|c| Uuid::from_slice(c).unwrap_or_default()).collect())
            }
            _ => None,
        })
    }
    #[inline]
    fn skip(&mut self) -> Result<(), Found> {
        self.at += 1;
        Ok(())
    }
}

/// Runs a statement that selects `T`'s columns in order and reads each row as a `T`.
pub(crate) fn query_records<T: Record>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = c.prepare_cached(sql).map_err(map_rusqlite)?;
    let mut rows = stmt.query(params).map_err(map_rusqlite)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_rusqlite)? {
        out.push(T::read(&mut Reader::new(T::TABLE, &mut SqliteSource::new(row)))?);
    }
    Ok(out)
}

/// The generic read: `select` in `org`, each row handed to `decode`.
pub(crate) fn select(
    c: &Connection,
    org: OrgId,
    select: Select,
    decode: DecodeRow,
    mut out: Box<dyn Any + Send>,
) -> Result<Box<dyn Any + Send>, StoreError> {
    select.check()?;
    // (For a read by id the text is the cached statement's, not a copy.)
    let text = sql(select.table).select(&select, &Sqlite);
    let params = select.params(org);
    let mut stmt = c.prepare_cached(&text).map_err(map_rusqlite)?;
    let mut rows = stmt.query(params_from_iter(params.iter().map(Bind))).map_err(map_rusqlite)?;
    while let Some(row) = rows.next().map_err(map_rusqlite)? {
        decode(&mut SqliteSource::new(row), &mut *out)?;
    }
    Ok(out)
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
