//! The neutral types on sqlx, once: how each binds (NULLs typed by their column) and how each
//! is read back by position (uuid, text, bigint/integer, double precision, boolean,
//! timestamptz, jsonb, numeric, uuid[]), PostgreSQL's [`Dialect`], and the generic insert,
//! versioned update, delete and select of every described record.

use crate::error::map_sqlx;
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::ids::OrgId;
use cmms_core::store::record::{
    Column, ColumnType, DecodeRow, Dialect, Found, JoinTable, Key, Reader, Record, RowSource,
    Select, SqlCache, StoredRecord, Table, TableSql, Value,
};
use rust_decimal::Decimal;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{Column as _, PgConnection, Postgres, Row, TypeInfo};
use std::any::Any;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::LazyLock;
use uuid::Uuid;

/// PostgreSQL's SQL for the generic statements.
struct Pg;

impl Dialect for Pg {
    fn param(&self, n: usize, ty: ColumnType, out: &mut String) {
        // JSON and decimals travel as text and are cast in the statement: jsonb parses the
        // document, and numeric keeps a decimal's scale even for zero ("0.000"), which sqlx's
        // binary NUMERIC conversion drops.
        let cast = match ty {
            ColumnType::Json => "::jsonb",
            ColumnType::Decimal => "::numeric",
            _ => "",
        };
        let _ = write!(out, "${n}{cast}");
    }
    fn column(&self, c: &Column, out: &mut String) {
        // Read back as text too: numeric's text keeps the scale, and a document's text is what
        // the record parses (a jsonb value would be parsed twice).
        let cast = match c.ty {
            ColumnType::Decimal | ColumnType::Json => "::text",
            _ => "",
        };
        let _ = write!(out, "t.{}{cast}", c.name);
    }
    fn join_list(&self, j: &JoinTable, id: &str, out: &mut String) {
        let _ = write!(
            out,
            "(SELECT array_agg(j.{item} ORDER BY j.position) FROM {table} j \
             WHERE j.org_id = t.org_id AND j.{parent} = t.{id})",
            item = j.item,
            table = j.table,
            parent = j.parent,
        );
    }
    fn join_insert(&self, parent: &Table, j: &JoinTable) -> String {
        // The whole list in one statement ($3 = the ids as uuid[]): round trips are the cost.
        let Copied { column, value, join } = Copied::of(parent, j, "$1", "$2");
        format!(
            "INSERT INTO {} (org_id, {}, {}, position{column}) \
             SELECT $1, $2, u.id, u.n - 1{value} FROM UNNEST($3::uuid[]) WITH ORDINALITY AS u(id, n){join}",
            j.table, j.parent, j.item,
        )
    }
    fn any_of(&self, column: &str, n: usize, out: &mut String) {
        let _ = write!(out, "{column} = ANY(${n})");
    }
    fn lock(&self) -> &'static str {
        " FOR UPDATE"
    }
}

/// The SQL pieces of a join list's copy of a parent column ([`JoinTable::copied`]), all empty
/// when it copies none: `column` for the insert's column list, `value` for its SELECT, and
/// `join` to the parent row `r` whose org and id are the SQL expressions given.
pub(crate) struct Copied {
    pub column: String,
    pub value: String,
    pub join: String,
}

impl Copied {
    pub(crate) fn of(parent: &Table, j: &JoinTable, org: &str, id: &str) -> Self {
        match j.copied {
            Some(c) => Self {
                column: format!(", {c}"),
                value: format!(", r.{c}"),
                join: format!(
                    " JOIN {} r ON r.org_id = {org} AND r.{} = {id}",
                    parent.name,
                    parent.id_column()
                ),
            },
            None => Self { column: String::new(), value: String::new(), join: String::new() },
        }
    }
}

static SQL: LazyLock<SqlCache> = LazyLock::new(|| SqlCache::new(&Pg));

/// The generic statements of `table`.
pub(crate) fn sql(table: &'static Table) -> &'static TableSql {
    SQL.get(table)
}

pub(crate) type Q<'q> = Query<'q, Postgres, PgArguments>;

/// Binds a neutral value; a NULL takes the type of the column it goes to.
pub(crate) fn bind<'q>(q: Q<'q>, v: &Value<'_>, ty: ColumnType) -> Q<'q> {
    match v {
        Value::Null => match ty {
            ColumnType::Uuid => q.bind(None::<Uuid>),
            ColumnType::Text | ColumnType::Json | ColumnType::Decimal => q.bind(None::<&str>),
            ColumnType::Int => q.bind(None::<i64>),
            ColumnType::Float => q.bind(None::<f64>),
            ColumnType::Bool => q.bind(None::<bool>),
            ColumnType::Timestamp => q.bind(None::<DateTime<Utc>>),
            ColumnType::UuidList => q.bind(None::<Vec<Uuid>>),
        },
        Value::Uuid(u) => q.bind(*u),
        Value::Text(s) | Value::Json(s) => q.bind(s.as_ref()),
        Value::Int(i) => q.bind(*i),
        Value::Float(f) => q.bind(*f),
        Value::Bool(b) => q.bind(*b),
        Value::Timestamp(t) => q.bind(*t),
        Value::Decimal(d) => q.bind(d.to_string()),
        Value::UuidList(ids) => q.bind(ids.as_slice()),
    }
}

/// Binds every value, each with its column's type.
fn bind_all<'q, 'v>(
    mut q: Q<'q>,
    values: impl IntoIterator<Item = (&'v Value<'v>, ColumnType)>,
) -> Q<'q> {
    for (v, ty) in values {
        q = bind(q, v, ty);
    }
    q
}

/// One PostgreSQL row as a [`RowSource`], read by position. (JSON and decimal columns are
/// selected as text, see the dialect.)
pub(crate) struct PgSource<'r> {
    row: &'r PgRow,
    at: usize,
}

impl<'r> PgSource<'r> {
    pub(crate) fn new(row: &'r PgRow) -> Self {
        Self { row, at: 0 }
    }

    fn next<T>(&mut self) -> Result<Option<T>, Found>
    where
        T: for<'a> sqlx::Decode<'a, Postgres> + sqlx::Type<Postgres>,
    {
        let at = self.at;
        self.at += 1;
        self.row.try_get::<Option<T>, _>(at).map_err(|e| Found::Owned(e.to_string()))
    }
}

impl RowSource for PgSource<'_> {
    fn next_uuid(&mut self) -> Result<Option<Uuid>, Found> {
        self.next()
    }
    fn next_text(&mut self) -> Result<Option<String>, Found> {
        self.next()
    }
    fn next_int(&mut self) -> Result<Option<i64>, Found> {
        // A few columns are `integer` (their values are small); read each width as declared.
        match self.row.try_column(self.at).map(|c| c.type_info().name()) {
            Ok("INT4") => Ok(self.next::<i32>()?.map(i64::from)),
            Ok("INT2") => Ok(self.next::<i16>()?.map(i64::from)),
            _ => self.next(),
        }
    }
    fn next_float(&mut self) -> Result<Option<f64>, Found> {
        self.next()
    }
    fn next_bool(&mut self) -> Result<Option<bool>, Found> {
        self.next()
    }
    fn next_ts(&mut self) -> Result<Option<DateTime<Utc>>, Found> {
        self.next()
    }
    fn next_json(&mut self) -> Result<Option<String>, Found> {
        self.next()
    }
    fn next_decimal(&mut self) -> Result<Option<Decimal>, Found> {
        match self.next::<String>()? {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| Found::Owned(format!("'{text}'"))),
        }
    }
    fn next_uuids(&mut self) -> Result<Option<Vec<Uuid>>, Found> {
        self.next()
    }
    fn skip(&mut self) -> Result<(), Found> {
        self.at += 1;
        Ok(())
    }
}

/// Every row as a record of `T`.
pub(crate) fn read_records<T: Record>(rows: &[PgRow]) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|row| T::read(&mut Reader::new(T::TABLE, &mut PgSource::new(row)))).collect()
}

/// The generic read: `select` in `org`, each row handed to `decode`.
pub(crate) async fn select(
    c: &mut PgConnection,
    org: OrgId,
    select: Select,
    decode: DecodeRow,
    mut out: Box<dyn Any + Send>,
) -> Result<Box<dyn Any + Send>, StoreError> {
    select.check()?;
    let text = sql(select.table).select(&select, &Pg);
    let params = select.params(org);
    let q = match text {
        Cow::Borrowed(t) => sqlx::query(t),
        Cow::Owned(t) => sqlx::query(sqlx::AssertSqlSafe(t)),
    };
    let q = bind_all(q, params.iter().map(|v| (v, v.ty().unwrap_or(ColumnType::Text))));
    for row in q.fetch_all(c).await.map_err(map_sqlx)? {
        decode(&mut PgSource::new(&row), &mut *out)?;
    }
    Ok(out)
}

fn stored<'v>(
    table: &Table,
    values: &'v [Value<'v>],
) -> impl Iterator<Item = (&'v Value<'v>, ColumnType)> {
    table.columns.iter().zip(values).filter(|(c, _)| c.join.is_none()).map(|(c, v)| (v, c.ty))
}

/// A statement with the key of one row bound (`P1` = org, `P2` = id).
fn keyed(sql: &'static str, table: &Table, org: OrgId, id: Uuid) -> Q<'static> {
    let q = sqlx::query(sql);
    match table.key {
        Key::Tenant => q.bind(id),
        Key::Org(_) => q.bind(org.0).bind(id),
    }
}

/// Replaces a record's join-table lists (`replace`: delete the old ones first).
async fn write_joins(
    c: &mut PgConnection,
    r: &dyn StoredRecord,
    values: &[Value<'_>],
    replace: bool,
) -> Result<(), StoreError> {
    let table = r.table();
    let s = sql(table);
    let Some(Value::Uuid(id)) = table.position(table.id_column()).and_then(|p| values.get(p))
    else {
        return Err(StoreError::backend(format!("{} has no id value", table.name)));
    };
    for (j, (col, _)) in s.joins.iter().zip(table.joins()) {
        let org = r.org().0;
        if replace {
            sqlx::query(j.delete.as_str())
                .bind(org)
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(map_sqlx)?;
        }
        match table.position(col.name).and_then(|p| values.get(p)) {
            Some(Value::UuidList(items)) if !items.is_empty() => {
                sqlx::query(j.insert.as_str())
                    .bind(org)
                    .bind(id)
                    .bind(items.as_slice())
                    .execute(&mut *c)
                    .await
                    .map_err(map_sqlx)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Inserts a record and its lists.
pub(crate) async fn insert(c: &mut PgConnection, r: &dyn StoredRecord) -> Result<(), StoreError> {
    let values = r.values()?;
    let table = r.table();
    let q = bind_all(sqlx::query(sql(table).insert.as_str()), stored(table, &values));
    q.execute(&mut *c).await.map_err(map_sqlx)?;
    write_joins(c, r, &values, false).await
}

/// The versioned update of a record (which carries its next version) and its lists.
pub(crate) async fn update(c: &mut PgConnection, r: &dyn StoredRecord) -> Result<(), StoreError> {
    let values = r.values()?;
    let table = r.table();
    let q = bind_all(sqlx::query(sql(table).update()?), stored(table, &values));
    if q.execute(&mut *c).await.map_err(map_sqlx)?.rows_affected() != 1 {
        let id = table.id_of(&values).unwrap_or_default();
        let current = current_version(c, table, r.org(), id, false).await?;
        return Err(table.version_miss(id, current, table.version_of(&values).unwrap_or(0) - 1));
    }
    write_joins(c, r, &values, true).await
}

pub(crate) async fn current_version(
    c: &mut PgConnection,
    table: &'static Table,
    org: OrgId,
    id: Uuid,
    lock: bool,
) -> Result<Option<i64>, StoreError> {
    let s = sql(table);
    let text = if lock { &s.version_locked } else { &s.version };
    let row = keyed(text.as_str(), table, org, id).fetch_optional(c).await.map_err(map_sqlx)?;
    row.map(|r| r.try_get::<i64, _>(0)).transpose().map_err(map_sqlx)
}

/// `Write::AssertVersion`: the row must still have `version`. `FOR UPDATE` holds it until the
/// commit ends, so a concurrent change of the row waits (or deadlocks and is retried as Busy)
/// instead of slipping past the decision this commit was made on.
pub(crate) async fn assert_version(
    c: &mut PgConnection,
    table: &'static Table,
    org: OrgId,
    id: Uuid,
    version: i64,
) -> Result<(), StoreError> {
    match current_version(c, table, org, id, true).await? {
        Some(v) if v == version => Ok(()),
        current => Err(table.version_miss(id, current, version)),
    }
}

/// `Write::Delete`: one row and its lists. A versioned delete waits for a concurrent update
/// of the row and then finds the new version, so it cannot remove what it did not read.
pub(crate) async fn delete(
    c: &mut PgConnection,
    table: &'static Table,
    org: OrgId,
    id: Uuid,
    version: Option<i64>,
) -> Result<(), StoreError> {
    let s = sql(table);
    let q = match version {
        Some(v) => keyed(s.delete_versioned.as_str(), table, org, id).bind(v),
        None => keyed(s.delete.as_str(), table, org, id),
    };
    if q.execute(&mut *c).await.map_err(map_sqlx)?.rows_affected() == 0 {
        return Err(match version {
            Some(v) => table.version_miss(id, current_version(c, table, org, id, false).await?, v),
            None => table.not_found(id),
        });
    }
    for j in &s.joins {
        sqlx::query(j.delete.as_str())
            .bind(org.0)
            .bind(id)
            .execute(&mut *c)
            .await
            .map_err(map_sqlx)?;
    }
    Ok(())
}

/// `Write::DeleteChildren`: every row of `table` under `parent`, and their lists.
pub(crate) async fn delete_children(
    c: &mut PgConnection,
    table: &'static Table,
    org: OrgId,
    parent: Uuid,
) -> Result<(), StoreError> {
    let s = sql(table);
    let delete = s.delete_children()?;
    for j in &s.joins {
        if let Some(d) = &j.delete_of_children {
            sqlx::query(d.as_str())
                .bind(org.0)
                .bind(parent)
                .execute(&mut *c)
                .await
                .map_err(map_sqlx)?;
        }
    }
    sqlx::query(delete).bind(org.0).bind(parent).execute(&mut *c).await.map_err(map_sqlx)?;
    Ok(())
}
