//! Neutral values: what a record becomes for a store ([`Values`]), and the values of filters.

use super::{ColumnType, Table};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::borrow::Cow;
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

    pub(crate) fn describe(&self) -> &'static str {
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

impl From<DateTime<Utc>> for Value<'_> {
    fn from(v: DateTime<Utc>) -> Self {
        Self::Timestamp(v)
    }
}

impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Self::Float(v)
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

/// A record's values under construction, in column order. See [`Record::write`](super::Record::write).
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

    /// Text computed for the row (a derived column such as a search document).
    pub fn owned_text(&mut self, s: String) -> &mut Self {
        self.push(Value::Text(Cow::Owned(s)))
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
