//! Neutral values: what a record becomes for a store ([`Values`]), what a store hands back
//! ([`Rows`]), and the positional [`Reader`] a record is rebuilt with.

use super::{ColumnType, Record, Table};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::str::FromStr;
use uuid::Uuid;

/// One column's value, independent of any database. Text borrows from the record on the way
/// in, so writing a record copies no strings.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value<'a> {
    /// SQL NULL.
    #[default]
    Null,
    /// A UUID.
    Uuid(Uuid),
    /// Text.
    Text(Cow<'a, str>),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A timestamp (stores keep microseconds).
    Timestamp(DateTime<Utc>),
    /// A JSON document, as its text.
    Json(Cow<'a, str>),
    /// An exact decimal.
    Decimal(Decimal),
    /// A list of UUIDs.
    UuidList(Vec<Uuid>),
}

impl Value<'_> {
    /// The neutral type of this value (`None` for NULL).
    pub fn ty(&self) -> Option<ColumnType> {
        Some(match self {
            Self::Null => return None,
            Self::Uuid(_) => ColumnType::Uuid,
            Self::Text(_) => ColumnType::Text,
            Self::Int(_) => ColumnType::Int,
            Self::Float(_) => ColumnType::Float,
            Self::Bool(_) => ColumnType::Bool,
            Self::Timestamp(_) => ColumnType::Timestamp,
            Self::Json(_) => ColumnType::Json,
            Self::Decimal(_) => ColumnType::Decimal,
            Self::UuidList(_) => ColumnType::UuidList,
        })
    }

    /// The same value owning its text.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Self::Null => Value::Null,
            Self::Uuid(v) => Value::Uuid(v),
            Self::Text(v) => Value::Text(Cow::Owned(v.into_owned())),
            Self::Int(v) => Value::Int(v),
            Self::Float(v) => Value::Float(v),
            Self::Bool(v) => Value::Bool(v),
            Self::Timestamp(v) => Value::Timestamp(v),
            Self::Json(v) => Value::Json(Cow::Owned(v.into_owned())),
            Self::Decimal(v) => Value::Decimal(v),
            Self::UuidList(v) => Value::UuidList(v),
        }
    }

    fn describe(&self) -> &'static str {
        self.ty().map_or("NULL", ColumnType::as_str)
    }
}

impl From<Uuid> for Value<'_> {
    fn from(v: Uuid) -> Self {
        Self::Uuid(v)
    }
}

impl From<String> for Value<'_> {
    fn from(v: String) -> Self {
        Self::Text(Cow::Owned(v))
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

/// Whether `value` may be stored in a column of `ty` (NULL only when `nullable`).
pub(crate) fn fits(value: &Value<'_>, ty: ColumnType, nullable: bool) -> bool {
    match value.ty() {
        None => nullable,
        Some(t) => t == ty,
    }
}

/// A record's values under construction, in column order. See [`Record::write`].
#[derive(Debug)]
pub struct Values<'a> {
    table: &'static Table,
    values: Vec<Value<'a>>,
}

impl<'a> Values<'a> {
    /// An empty list for `table`.
    pub fn new(table: &'static Table) -> Self {
        Self { table, values: Vec::with_capacity(table.columns.len()) }
    }

    fn push(&mut self, v: Value<'a>) -> &mut Self {
        self.values.push(v);
        self
    }

    /// An id.
    pub fn uuid(&mut self, id: impl Into<Uuid>) -> &mut Self {
        self.push(Value::Uuid(id.into()))
    }

    /// An optional id.
    pub fn opt_uuid<T: Into<Uuid>>(&mut self, id: Option<T>) -> &mut Self {
        self.push(id.map_or(Value::Null, |i| Value::Uuid(i.into())))
    }

    /// Text (or an enum's wire name).
    pub fn text(&mut self, s: &'a str) -> &mut Self {
        self.push(Value::Text(Cow::Borrowed(s)))
    }

    /// Optional text.
    pub fn opt_text(&mut self, s: Option<&'a str>) -> &mut Self {
        self.push(s.map_or(Value::Null, |s| Value::Text(Cow::Borrowed(s))))
    }

    /// An integer.
    pub fn int(&mut self, v: impl Into<i64>) -> &mut Self {
        self.push(Value::Int(v.into()))
    }

    /// An optional integer.
    pub fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        self.push(v.map_or(Value::Null, Value::Int))
    }

    /// A float.
    pub fn float(&mut self, v: f64) -> &mut Self {
        self.push(Value::Float(v))
    }

    /// An optional float.
    pub fn opt_float(&mut self, v: Option<f64>) -> &mut Self {
        self.push(v.map_or(Value::Null, Value::Float))
    }

    /// A boolean.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.push(Value::Bool(v))
    }

    /// A timestamp.
    pub fn ts(&mut self, t: DateTime<Utc>) -> &mut Self {
        self.push(Value::Timestamp(t))
    }

    /// An optional timestamp.
    pub fn opt_ts(&mut self, t: Option<DateTime<Utc>>) -> &mut Self {
        self.push(t.map_or(Value::Null, Value::Timestamp))
    }

    /// A JSON document.
    pub fn json<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<&mut Self, StoreError> {
        let text = serde_json::to_string(v).map_err(|e| self.json_error(&e))?;
        Ok(self.push(Value::Json(Cow::Owned(text))))
    }

    /// An optional JSON document.
    pub fn opt_json<T: Serialize>(&mut self, v: Option<&T>) -> Result<&mut Self, StoreError> {
        match v {
            Some(v) => self.json(v),
            None => Ok(self.push(Value::Null)),
        }
    }

    fn json_error(&self, e: &serde_json::Error) -> StoreError {
        let column = self.table.columns.get(self.values.len()).map_or("?", |c| c.name);
        StoreError::backend(format!("{}.{column} does not serialize: {e}", self.table.name))
    }

    /// An exact decimal.
    pub fn decimal(&mut self, v: Decimal) -> &mut Self {
        self.push(Value::Decimal(v))
    }

    /// An optional exact decimal.
    pub fn opt_decimal(&mut self, v: Option<Decimal>) -> &mut Self {
        self.push(v.map_or(Value::Null, Value::Decimal))
    }

    /// A list of ids, in order.
    pub fn uuids<T: Copy + Into<Uuid>>(&mut self, ids: &[T]) -> &mut Self {
        self.push(Value::UuidList(ids.iter().map(|i| (*i).into()).collect()))
    }

    /// The values, checked against the description: one per column, each of the column's type,
    /// NULL only where allowed.
    pub fn finish(self) -> Result<Vec<Value<'a>>, StoreError> {
        let t = self.table;
        if self.values.len() != t.columns.len() {
            return Err(StoreError::backend(format!(
                "{} has {} columns but the record gave {} values",
                t.name,
                t.columns.len(),
                self.values.len()
            )));
        }
        for (c, v) in t.columns.iter().zip(&self.values) {
            if !fits(v, c.ty, c.nullable) {
                return Err(StoreError::backend(format!(
                    "{}.{} is {}{} but the record gave {}",
                    t.name,
                    c.name,
                    c.ty,
                    if c.nullable { " or NULL" } else { "" },
                    v.describe()
                )));
            }
        }
        Ok(self.values)
    }
}

/// Reads one row's values by position, in column order; see [`Record::read`]. Every read
/// checks the value's type, so a store or description that disagrees is an error naming the
/// column, never a shifted field.
#[derive(Debug)]
pub struct Reader<'r> {
    table: &'static Table,
    values: &'r mut [Value<'static>],
    at: usize,
}

type R<T> = Result<T, StoreError>;

impl<'r> Reader<'r> {
    /// A reader over one row of `table`.
    pub fn new(table: &'static Table, values: &'r mut [Value<'static>]) -> Self {
        Self { table, values, at: 0 }
    }

    fn column(&self, at: usize) -> &'static str {
        self.table.columns.get(at).map_or("?", |c| c.name)
    }

    fn error(&self, at: usize, expected: &str, found: &str) -> StoreError {
        let e =
            format!("{}.{}: expected {expected}, found {found}", self.table.name, self.column(at));
        tracing::error!(error = %e, "stored value does not convert");
        StoreError::backend(e)
    }

    fn take(&mut self) -> R<(usize, Value<'static>)> {
        let at = self.at;
        let v = self
            .values
            .get_mut(at)
            .map(std::mem::take)
            .ok_or_else(|| self.error(at, "a value", "the end of the row"))?;
        self.at += 1;
        Ok((at, v))
    }

    /// Skips a column the record does not read back (a derived sort key).
    pub fn skip(&mut self) -> R<()> {
        self.take().map(|_| ())
    }

    fn opt<T>(
        &mut self,
        ty: ColumnType,
        f: impl FnOnce(Value<'static>) -> Option<T>,
    ) -> R<Option<T>> {
        let (at, v) = self.take()?;
        if matches!(v, Value::Null) {
            return Ok(None);
        }
        let found = v.describe();
        f(v).map(Some).ok_or_else(|| self.error(at, ty.as_str(), found))
    }

    fn req<T>(&mut self, ty: ColumnType, f: impl FnOnce(Value<'static>) -> Option<T>) -> R<T> {
        let at = self.at;
        self.opt(ty, f)?.ok_or_else(|| self.error(at, ty.as_str(), "NULL"))
    }

    /// An id.
    pub fn uuid<T: From<Uuid>>(&mut self) -> R<T> {
        self.req(ColumnType::Uuid, uuid_of).map(T::from)
    }

    /// An optional id.
    pub fn opt_uuid<T: From<Uuid>>(&mut self) -> R<Option<T>> {
        Ok(self.opt(ColumnType::Uuid, uuid_of)?.map(T::from))
    }

    /// Text.
    pub fn text(&mut self) -> R<String> {
        self.req(ColumnType::Text, text_of)
    }

    /// Optional text.
    pub fn opt_text(&mut self) -> R<Option<String>> {
        self.opt(ColumnType::Text, text_of)
    }

    /// Text holding a wire name (`FromStr`).
    pub fn parse<T: FromStr>(&mut self) -> R<T>
    where
        T::Err: std::fmt::Display,
    {
        let at = self.at;
        let s = self.text()?;
        s.parse().map_err(|e: T::Err| self.error(at, "a known name", &e.to_string()))
    }

    /// Optional text holding a wire name.
    pub fn opt_parse<T: FromStr>(&mut self) -> R<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        let at = self.at;
        match self.opt_text()? {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|e: T::Err| self.error(at, "a known name", &e.to_string())),
        }
    }

    /// An integer.
    pub fn int(&mut self) -> R<i64> {
        self.req(ColumnType::Int, int_of)
    }

    /// An optional integer.
    pub fn opt_int(&mut self) -> R<Option<i64>> {
        self.opt(ColumnType::Int, int_of)
    }

    /// An integer that must fit a smaller type (a level, a position).
    pub fn small<T: TryFrom<i64>>(&mut self) -> R<T> {
        let at = self.at;
        let v = self.int()?;
        T::try_from(v).map_err(|_| self.error(at, "a small integer", &v.to_string()))
    }

    /// A float.
    pub fn float(&mut self) -> R<f64> {
        self.req(ColumnType::Float, float_of)
    }

    /// An optional float.
    pub fn opt_float(&mut self) -> R<Option<f64>> {
        self.opt(ColumnType::Float, float_of)
    }

    /// A boolean.
    pub fn bool(&mut self) -> R<bool> {
        self.req(ColumnType::Bool, |v| match v {
            Value::Bool(b) => Some(b),
            _ => None,
        })
    }

    /// A timestamp.
    pub fn ts(&mut self) -> R<DateTime<Utc>> {
        self.req(ColumnType::Timestamp, ts_of)
    }

    /// An optional timestamp.
    pub fn opt_ts(&mut self) -> R<Option<DateTime<Utc>>> {
        self.opt(ColumnType::Timestamp, ts_of)
    }

    /// A JSON document, deserialized.
    pub fn json<T: DeserializeOwned>(&mut self) -> R<T> {
        let at = self.at;
        let text = self.req(ColumnType::Json, json_of)?;
        self.parse_json(at, &text)
    }

    /// An optional JSON document, deserialized.
    pub fn opt_json<T: DeserializeOwned>(&mut self) -> R<Option<T>> {
        let at = self.at;
        match self.opt(ColumnType::Json, json_of)? {
            None => Ok(None),
            Some(text) => self.parse_json(at, &text).map(Some),
        }
    }

    fn parse_json<T: DeserializeOwned>(&self, at: usize, text: &str) -> R<T> {
        serde_json::from_str(text).map_err(|e| self.error(at, "a JSON document", &e.to_string()))
    }

    /// An exact decimal.
    pub fn decimal(&mut self) -> R<Decimal> {
        self.req(ColumnType::Decimal, decimal_of)
    }

    /// An optional exact decimal.
    pub fn opt_decimal(&mut self) -> R<Option<Decimal>> {
        self.opt(ColumnType::Decimal, decimal_of)
    }

    /// A list of ids (NULL reads as empty).
    pub fn uuids<T: From<Uuid>>(&mut self) -> R<Vec<T>> {
        let list = self.opt(ColumnType::UuidList, |v| match v {
            Value::UuidList(l) => Some(l),
            _ => None,
        })?;
        Ok(list.unwrap_or_default().into_iter().map(T::from).collect())
    }
}

fn uuid_of(v: Value<'static>) -> Option<Uuid> {
    match v {
        Value::Uuid(u) => Some(u),
        _ => None,
    }
}

fn text_of(v: Value<'static>) -> Option<String> {
    match v {
        Value::Text(s) => Some(s.into_owned()),
        _ => None,
    }
}

fn int_of(v: Value<'static>) -> Option<i64> {
    match v {
        Value::Int(i) => Some(i),
        _ => None,
    }
}

fn float_of(v: Value<'static>) -> Option<f64> {
    match v {
        Value::Float(f) => Some(f),
        _ => None,
    }
}

fn ts_of(v: Value<'static>) -> Option<DateTime<Utc>> {
    match v {
        Value::Timestamp(t) => Some(t),
        _ => None,
    }
}

fn json_of(v: Value<'static>) -> Option<Cow<'static, str>> {
    match v {
        Value::Json(s) => Some(s),
        _ => None,
    }
}

fn decimal_of(v: Value<'static>) -> Option<Decimal> {
    match v {
        Value::Decimal(d) => Some(d),
        _ => None,
    }
}

/// Rows a store read from one described table: every row's values, row after row, in column
/// order (one allocation for the whole result).
#[derive(Debug)]
pub struct Rows {
    table: &'static Table,
    values: Vec<Value<'static>>,
}

impl Rows {
    /// Rows of `table` from their values; the count must be a whole number of rows.
    pub fn new(table: &'static Table, values: Vec<Value<'static>>) -> Result<Self, StoreError> {
        let width = table.columns.len();
        if width == 0 || values.len() % width != 0 {
            return Err(StoreError::backend(format!(
                "{} values are not whole rows of {} ({width} columns)",
                values.len(),
                table.name
            )));
        }
        Ok(Self { table, values })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.values.len() / self.table.columns.len().max(1)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The rows as records of `T`, whose description must be the rows' table.
    pub fn decode<T: Record>(mut self) -> Result<Vec<T>, StoreError> {
        if T::TABLE != self.table {
            return Err(StoreError::backend(format!(
                "rows of {} decoded as {}",
                self.table.name,
                T::TABLE.name
            )));
        }
        let width = self.table.columns.len();
        self.values.chunks_mut(width).map(decode_row).collect()
    }
}

/// One row's values (in column order) as a record of `T`. Stores that read many rows decode
/// each as it arrives, reusing one buffer.
pub fn decode_row<T: Record>(values: &mut [Value<'static>]) -> Result<T, StoreError> {
    T::read(&mut Reader::new(T::TABLE, values))
}
