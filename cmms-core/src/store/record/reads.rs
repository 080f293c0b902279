//! Generic reads of described records: a [`Select`] (equality, id-list and comparison filters on
//! a table's columns, the table's own order or its reverse, an optional limit), the one [`RecordReads::select`] every store
//! implements, and typed helpers ([`RecordReadsExt`]: `get`, `find`, `list`) on top of it.

use super::{ColumnType, DecodeRow, Key, Record, Table, Value, decode_into};
use crate::error::StoreError;
use crate::ids::OrgId;
use async_trait::async_trait;
use std::any::Any;
use std::future::Future;
use uuid::Uuid;

/// One condition of a [`Select`].
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `column = value`, or `column IS NULL` for [`Value::Null`].
    Eq(&'static str, Value<'static>),
    /// `column` is one of these ids (none: no row matches).
    AnyOf(&'static str, Vec<Uuid>),
    /// `column <op> value` (a range over times or numbers; never NULL).
    Cmp(&'static str, Cmp, Value<'static>),
    /// A fixed condition between columns of the row, written once in core in SQL both stores
    /// read alike (columns as `t.<name>`, no parameters), for what equality and ranges cannot
    /// say — "available stock at or below its reorder point" — so it can match a partial
    /// index. Never built from input: it is a `&'static str`.
    Condition(&'static str),
}

/// A comparison of a [`Filter::Cmp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Cmp {
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }
}

/// Rows of one described table in one organization (the store always adds the tenant filter),
/// matching every filter, in the table's order.
///
/// ```
/// use cmms_core::domain::user::User;
/// use cmms_core::store::record::{Record, Select};
///
/// let q = Select::new(User::TABLE).eq("email", "ada@example.com".to_string()).limit(1);
/// assert!(q.check().is_ok());
/// assert!(Select::new(User::TABLE).eq("no_such_column", true).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// The table.
    pub table: &'static Table,
    /// Conditions, all of which must hold.
    pub filters: Vec<Filter>,
    /// At most this many rows.
    pub limit: Option<u32>,
    /// Rows in the reverse of the table's order (newest first, for a table ordered by time).
    pub reversed: bool,
}

impl Select {
    /// Every row of `table` (in the organization).
    pub fn new(table: &'static Table) -> Self {
        Self { table, filters: Vec::new(), limit: None, reversed: false }
    }

    /// The row with this id.
    pub fn by_id(table: &'static Table, id: Uuid) -> Self {
        match table.key {
            // The organization is the tenant filter itself.
            Key::Tenant => Self::new(table).limit(1),
            Key::Org(col) => Self::new(table).eq(col, id).limit(1),
        }
    }

    /// Adds `column = value` (`IS NULL` for NULL).
    pub fn eq(mut self, column: &'static str, value: impl Into<Value<'static>>) -> Self {
        self.filters.push(Filter::Eq(column, value.into()));
        self
    }

    /// Adds `column IN (ids)`.
    pub fn any_of(mut self, column: &'static str, ids: Vec<Uuid>) -> Self {
        self.filters.push(Filter::AnyOf(column, ids));
        self
    }

    /// Adds `column <op> value`.
    pub fn cmp(mut self, column: &'static str, op: Cmp, value: impl Into<Value<'static>>) -> Self {
        self.filters.push(Filter::Cmp(column, op, value.into()));
        self
    }

    /// Adds a fixed condition between the row's columns (see [`Filter::Condition`]).
    pub fn condition(mut self, sql: &'static str) -> Self {
        self.filters.push(Filter::Condition(sql));
        self
    }

    /// Rows in the reverse of the table's order.
    pub fn reversed(mut self) -> Self {
        self.reversed = true;
        self
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Checks that every filter names a stored column of the table with a value of its type.
    /// Stores call this before they build SQL.
    pub fn check(&self) -> Result<(), StoreError> {
        let t = self.table;
        for f in &self.filters {
            let (name, ok) = match f {
                Filter::Eq(name, v) => (
                    name,
                    t.column(name)
                        .is_some_and(|c| c.join.is_none() && super::value::fits(v, c.ty, true)),
                ),
                Filter::AnyOf(name, _) => (
                    name,
                    t.column(name).is_some_and(|c| c.join.is_none() && c.ty == ColumnType::Uuid),
                ),
                Filter::Cmp(name, _, v) => (
                    name,
                    !matches!(v, Value::Null)
                        && t.column(name).is_some_and(|c| {
                            c.join.is_none() && super::value::fits(v, c.ty, false)
                        }),
                ),
                Filter::Condition(_) => continue,
            };
            if !ok {
                return Err(StoreError::backend(format!(
                    "{}: no column '{name}' of the filter's type",
                    t.name
                )));
            }
        }
        Ok(())
    }
}

/// The one generic read every store implements.
#[async_trait]
pub trait RecordReads: Send + Sync {
    /// The rows `select` names in `org`, in the table's order: the store reads each row by
    /// position and hands it to `decode` (a [`decode_into`] of the record type), which appends
    /// the record to `out`; `out` comes back filled. The store never learns the record type,
    /// and no row passes through neutral values on its way into a record.
    async fn select(
        &self,
        org: OrgId,
        select: Select,
        decode: DecodeRow,
        out: Box<dyn Any + Send>,
    ) -> Result<Box<dyn Any + Send>, StoreError>;
}

/// Typed reads of described records, for every [`RecordReads`].
pub trait RecordReadsExt: RecordReads {
    /// Every record `select` finds, in the table's order.
    fn list<T: Record>(
        &self,
        org: OrgId,
        select: Select,
    ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send {
        async move {
            let out = self.select(org, select, decode_into::<T>, Box::new(Vec::<T>::new())).await?;
            out.downcast::<Vec<T>>().map(|rows| *rows).map_err(|_| {
                StoreError::backend(format!("a store returned other rows than {}", T::TABLE.name))
            })
        }
    }

    /// The record with this id.
    fn get<T: Record>(
        &self,
        org: OrgId,
        id: impl Into<Uuid>,
    ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send {
        let q = Select::by_id(T::TABLE, id.into());
        async move { Ok(self.list::<T>(org, q).await?.into_iter().next()) }
    }

    /// The first record `select` finds.
    fn find<T: Record>(
        &self,
        org: OrgId,
        select: Select,
    ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send {
        async move { Ok(self.list::<T>(org, select.limit(1)).await?.into_iter().next()) }
    }
}

impl<S: RecordReads + ?Sized> RecordReadsExt for S {}
