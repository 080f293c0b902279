//! Reading records back: a [`RowSource`] yields one row's columns in order (a store's driver
//! row read by position, or neutral [`Value`]s), and the [`Reader`] a record's `read` uses on
//! top of it checks each value's type and NULL-ness and names the column when one is wrong.
//! Stores decode straight from their driver rows, with no neutral value in between.

use super::{ColumnType, Record, Table, Value};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::borrow::Cow;
use std::str::FromStr;
use uuid::Uuid;

type R<T> = Result<T, StoreError>;

/// Why a source could not give the value asked for: what it found instead.
pub type Found = Cow<'static, str>;

/// One row's columns, in order. Each call takes the next column as the type asked for: `None`
/// for NULL, `Err(what was found)` when the stored value is not of that type.
pub trait RowSource {
    /// A UUID.
    fn next_uuid(&mut self) -> Result<Option<Uuid>, Found>;
    /// Text.
    fn next_text(&mut self) -> Result<Option<String>, Found>;
    /// An integer.
    fn next_int(&mut self) -> Result<Option<i64>, Found>;
    /// A float.
    fn next_float(&mut self) -> Result<Option<f64>, Found>;
    /// A boolean.
    fn next_bool(&mut self) -> Result<Option<bool>, Found>;
    /// A timestamp.
    fn next_ts(&mut self) -> Result<Option<DateTime<Utc>>, Found>;
    /// A JSON document's text.
    fn next_json(&mut self) -> Result<Option<String>, Found>;
    /// An exact decimal.
    fn next_decimal(&mut self) -> Result<Option<Decimal>, Found>;
    /// A list of UUIDs.
    fn next_uuids(&mut self) -> Result<Option<Vec<Uuid>>, Found>;
    /// Passes over a column.
    fn skip(&mut self) -> Result<(), Found>;
}

/// Reads one row by position, in column order; see [`Record::read`]. Every read checks the
/// value's type, so a store or description that disagrees is an error naming the column, never
/// a shifted field.
pub struct Reader<'r, S: RowSource + ?Sized> {
    table: &'static Table,
    src: &'r mut S,
    at: usize,
}

impl<'r, S: RowSource + ?Sized> Reader<'r, S> {
    /// A reader over one row of `table`.
    #[inline]
    pub fn new(table: &'static Table, src: &'r mut S) -> Self {
        Self { table, src, at: 0 }
    }

    fn error(&self, at: usize, expected: &str, found: &str) -> StoreError {
        let column = self.table.columns.get(at).map_or("?", |c| c.name);
        let e = format!("{}.{column}: expected {expected}, found {found}", self.table.name);
        tracing::error!(error = %e, "stored value does not convert");
        StoreError::backend(e)
    }

    /// Takes the next column with `get`, as `ty`.
    #[inline]
    fn opt<T>(
        &mut self,
        ty: ColumnType,
        get: impl FnOnce(&mut S) -> Result<Option<T>, Found>,
    ) -> R<Option<T>> {
        let at = self.at;
        if at >= self.table.columns.len() {
            return Err(self.error(at, "a value", "the end of the row"));
        }
        self.at += 1;
        get(self.src).map_err(|found| self.error(at, ty.as_str(), &found))
    }

    #[inline]
    fn req<T>(
        &mut self,
        ty: ColumnType,
        get: impl FnOnce(&mut S) -> Result<Option<T>, Found>,
    ) -> R<T> {
        let at = self.at;
        self.opt(ty, get)?.ok_or_else(|| self.error(at, ty.as_str(), "NULL"))
    }

    /// Skips a column the record does not read back (a derived sort key).
    #[inline]
    pub fn skip(&mut self) -> R<()> {
        self.opt(ColumnType::Int, |s| s.skip().map(|()| Some(()))).map(|_| ())
    }

    /// An id.
    #[inline]
    pub fn uuid<T: From<Uuid>>(&mut self) -> R<T> {
        self.req(ColumnType::Uuid, S::next_uuid).map(T::from)
    }

    /// An optional id.
    #[inline]
    pub fn opt_uuid<T: From<Uuid>>(&mut self) -> R<Option<T>> {
        Ok(self.opt(ColumnType::Uuid, S::next_uuid)?.map(T::from))
    }

    /// Text.
    #[inline]
    pub fn text(&mut self) -> R<String> {
        self.req(ColumnType::Text, S::next_text)
    }

    /// Optional text.
    #[inline]
    pub fn opt_text(&mut self) -> R<Option<String>> {
        self.opt(ColumnType::Text, S::next_text)
    }

    /// Text holding a wire name (`FromStr`).
    #[inline]
    pub fn parse<T: FromStr>(&mut self) -> R<T>
    where
        T::Err: std::fmt::Display,
    {
        let at = self.at;
        let s = self.text()?;
        s.parse().map_err(|e: T::Err| self.error(at, "a known name", &e.to_string()))
    }

    /// Optional text holding a wire name.
    #[inline]
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
    #[inline]
    pub fn int(&mut self) -> R<i64> {
        self.req(ColumnType::Int, S::next_int)
    }

    /// An optional integer.
    #[inline]
    pub fn opt_int(&mut self) -> R<Option<i64>> {
        self.opt(ColumnType::Int, S::next_int)
    }

    /// An integer that must fit a smaller type (a level, a position).
    #[inline]
    pub fn small<T: TryFrom<i64>>(&mut self) -> R<T> {
        let at = self.at;
        let v = self.int()?;
        T::try_from(v).map_err(|_| self.error(at, "a small integer", &v.to_string()))
    }

    /// A float.
    #[inline]
    pub fn float(&mut self) -> R<f64> {
        self.req(ColumnType::Float, S::next_float)
    }

    /// An optional float.
    #[inline]
    pub fn opt_float(&mut self) -> R<Option<f64>> {
        self.opt(ColumnType::Float, S::next_float)
    }

    /// A boolean.
    #[inline]
    pub fn bool(&mut self) -> R<bool> {
        self.req(ColumnType::Bool, S::next_bool)
    }

    /// A timestamp.
    #[inline]
    pub fn ts(&mut self) -> R<DateTime<Utc>> {
        self.req(ColumnType::Timestamp, S::next_ts)
    }

    /// An optional timestamp.
    #[inline]
    pub fn opt_ts(&mut self) -> R<Option<DateTime<Utc>>> {
        self.opt(ColumnType::Timestamp, S::next_ts)
    }

    /// A JSON document, deserialized.
    #[inline]
    pub fn json<T: DeserializeOwned>(&mut self) -> R<T> {
        let at = self.at;
        let text = self.req(ColumnType::Json, S::next_json)?;
        self.parse_json(at, &text)
    }

    /// An optional JSON document, deserialized.
    #[inline]
    pub fn opt_json<T: DeserializeOwned>(&mut self) -> R<Option<T>> {
        let at = self.at;
        match self.opt(ColumnType::Json, S::next_json)? {
            None => Ok(None),
            Some(text) => self.parse_json(at, &text).map(Some),
        }
    }

    #[inline]
    fn parse_json<T: DeserializeOwned>(&self, at: usize, text: &str) -> R<T> {
        serde_json::from_str(text).map_err(|e| self.error(at, "a JSON document", &e.to_string()))
    }

    /// An exact decimal.
    #[inline]
    pub fn decimal(&mut self) -> R<Decimal> {
        self.req(ColumnType::Decimal, S::next_decimal)
    }

    /// An optional exact decimal.
    #[inline]
    pub fn opt_decimal(&mut self) -> R<Option<Decimal>> {
        self.opt(ColumnType::Decimal, S::next_decimal)
    }

    /// A list of ids (NULL reads as empty).
    #[inline]
    pub fn uuids<T: From<Uuid>>(&mut self) -> R<Vec<T>> {
        let list = self.opt(ColumnType::UuidList, S::next_uuids)?;
        Ok(list.unwrap_or_default().into_iter().map(T::from).collect())
    }
}

/// Neutral values as a [`RowSource`]: one row's values, taken in order.
#[derive(Debug)]
pub struct ValuesSource<'r> {
    values: std::slice::IterMut<'r, Value<'static>>,
}

impl<'r> ValuesSource<'r> {
    /// A source over one row's values.
    pub fn new(values: &'r mut [Value<'static>]) -> Self {
        Self { values: values.iter_mut() }
    }

    fn next<T>(&mut self, f: impl FnOnce(Value<'static>) -> Option<T>) -> Result<Option<T>, Found> {
        let v =
            self.values.next().map(std::mem::take).ok_or(Cow::Borrowed("the end of the row"))?;
        if matches!(v, Value::Null) {
            return Ok(None);
        }
        let found = v.describe();
        f(v).map(Some).ok_or(Cow::Borrowed(found))
    }
}

impl RowSource for ValuesSource<'_> {
    fn next_uuid(&mut self) -> Result<Option<Uuid>, Found> {
        self.next(|v| if let Value::Uuid(u) = v { Some(u) } else { None })
    }
    fn next_text(&mut self) -> Result<Option<String>, Found> {
        self.next(|v| if let Value::Text(s) = v { Some(s.into_owned()) } else { None })
    }
    fn next_int(&mut self) -> Result<Option<i64>, Found> {
        self.next(|v| if let Value::Int(i) = v { Some(i) } else { None })
    }
    fn next_float(&mut self) -> Result<Option<f64>, Found> {
        self.next(|v| if let Value::Float(f) = v { Some(f) } else { None })
    }
    fn next_bool(&mut self) -> Result<Option<bool>, Found> {
        self.next(|v| if let Value::Bool(b) = v { Some(b) } else { None })
    }
    fn next_ts(&mut self) -> Result<Option<DateTime<Utc>>, Found> {
        self.next(|v| if let Value::Timestamp(t) = v { Some(t) } else { None })
    }
    fn next_json(&mut self) -> Result<Option<String>, Found> {
        self.next(|v| if let Value::Json(s) = v { Some(s.into_owned()) } else { None })
    }
    fn next_decimal(&mut self) -> Result<Option<Decimal>, Found> {
        self.next(|v| if let Value::Decimal(d) = v { Some(d) } else { None })
    }
    fn next_uuids(&mut self) -> Result<Option<Vec<Uuid>>, Found> {
        self.next(|v| if let Value::UuidList(l) = v { Some(l) } else { None })
    }
    fn skip(&mut self) -> Result<(), Found> {
        self.values.next().map(|_| ()).ok_or(Cow::Borrowed("the end of the row"))
    }
}

/// Rows of one described table as neutral values, row after row in column order.
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
        self.values
            .chunks_mut(width)
            .map(|row| T::read(&mut Reader::new(T::TABLE, &mut ValuesSource::new(row))))
            .collect()
    }
}

/// Decodes one row from a source and appends it to a `Vec` of records behind `out`; what a
/// store calls for every row of a [`Select`](super::Select) (see `RecordReads::select`).
pub type DecodeRow = fn(&mut dyn RowSource, &mut dyn Any) -> Result<(), StoreError>;

/// The [`DecodeRow`] of `T`: `out` must be a `Vec<T>`.
pub fn decode_into<T: Record>(
    src: &mut dyn RowSource,
    out: &mut dyn Any,
) -> Result<(), StoreError> {
    let out = out.downcast_mut::<Vec<T>>().ok_or_else(|| {
        StoreError::backend(format!("rows of {} decoded into another type", T::TABLE.name))
    })?;
    out.push(T::read(&mut Reader::new(T::TABLE, src))?);
    Ok(())
}
