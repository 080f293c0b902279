//! The SQL of the generic reads and writes, built once per described table and shared by both
//! stores: plain SQL that SQLite and PostgreSQL both accept, with the few differences (how a
//! parameter is written, jsonb casts, how a join-table list is aggregated and inserted, row
//! locks, id lists) supplied by each store's [`Dialect`]. Only names from the descriptions ever
//! become SQL text; every value is a bound parameter.
//!
//! Parameter conventions, which the stores bind by:
//! - by id, version, delete: `P1` = org, `P2` = id (orgs: `P1` = id), `P3` = version;
//! - insert and update: one parameter per stored column, numbered by column position among the
//!   stored columns (`P1` is the first stored column);
//! - delete children: `P1` = org, `P2` = parent id;
//! - join lists: what [`Dialect::join_insert`] says; their delete takes `P1` = org, `P2` = parent;
//! - [`Select`]: the values of [`Select::params`], in order.

use super::{Column, ColumnType, Filter, JoinTable, Key, Select, Table, Value};
use crate::error::StoreError;
use crate::ids::OrgId;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{PoisonError, RwLock};

/// What differs between the stores' SQL.
pub trait Dialect: Send + Sync + 'static {
    /// Writes the `n`-th (1-based) parameter of a value of type `ty` (with any cast it needs).
    fn param(&self, n: usize, ty: ColumnType, out: &mut String);
    /// Writes how a SELECT reads stored column `c` of the row alias `t` (by default `t.<name>`).
    fn column(&self, c: &Column, out: &mut String) {
        let _ = write!(out, "t.{}", c.name);
    }
    /// Writes an expression, over the row alias `t` whose id column is `id`, that yields the
    /// join table's items of that row, in position order, as one [`ColumnType::UuidList`]
    /// value (NULL or empty when there are none).
    fn join_list(&self, j: &JoinTable, id: &str, out: &mut String);
    /// The statement that inserts a join list of a row of `parent` (which is written first,
    /// so the statement may read [`JoinTable::copied`] from it).
    fn join_insert(&self, parent: &Table, j: &JoinTable) -> String;
    /// Writes a condition that `column` is one of the ids bound as a
    /// [`Value::UuidList`] at parameter `n`.
    fn any_of(&self, column: &str, n: usize, out: &mut String);
    /// What follows a SELECT to lock the rows it reads until the transaction ends ("" when the
    /// store's transactions are serial anyway).
    fn lock(&self) -> &'static str;
}

/// The statements of one table's join list.
#[derive(Debug)]
pub struct JoinSql {
    /// The join table.
    pub join: &'static JoinTable,
    /// Deletes a record's list: `P1` = org, `P2` = parent.
    pub delete: String,
    /// Inserts it (see [`Dialect::join_insert`]).
    pub insert: String,
    /// Deletes the lists of every child of a parent (for `DeleteChildren`).
    pub delete_of_children: Option<String>,
}

/// The generic statements of one table.
#[derive(Debug)]
pub struct TableSql {
    /// The table.
    pub table: &'static str,
    /// `SELECT <every column, in order> FROM <table> t`.
    pub select: String,
    /// `select` of the row with `P1` = org, `P2` = id.
    pub by_id: String,
    /// Inserts every stored column.
    pub insert: String,
    /// The versioned update (versioned tables; see [`TableSql::update`]).
    update: Option<String>,
    /// The row's version (`P1` = org, `P2` = id).
    pub version: String,
    /// The row's version, locked.
    pub version_locked: String,
    /// Deletes a row by key.
    pub delete: String,
    /// Deletes a row by key if `P3` is still its version.
    pub delete_versioned: String,
    /// Deletes a parent's rows (tables with a parent column; see
    /// [`TableSql::delete_children`]).
    delete_children: Option<String>,
    /// The join lists.
    pub joins: Vec<JoinSql>,
    /// Where the key columns are among the stored columns (org, id) for binding updates.
    pub stored_key: (Option<usize>, usize),
}

/// `WHERE`-clause of the key, over an optional alias.
fn key(table: &Table, alias: &str, d: &dyn Dialect, out: &mut String) {
    match table.key {
        Key::Org(id) => {
            let _ = write!(out, "{alias}org_id = ");
            d.param(1, ColumnType::Uuid, out);
            let _ = write!(out, " AND {alias}{id} = ");
            d.param(2, ColumnType::Uuid, out);
        }
        Key::Tenant => {
            let _ = write!(out, "{alias}id = ");
            d.param(1, ColumnType::Uuid, out);
        }
    }
}

impl TableSql {
    /// The versioned update.
    pub fn update(&self) -> Result<&str, StoreError> {
        self.update
            .as_deref()
            .ok_or_else(|| StoreError::backend(format!("{} rows carry no version", self.table)))
    }

    /// Deletes a parent's rows: `P1` = org, `P2` = parent.
    pub fn delete_children(&self) -> Result<&str, StoreError> {
        self.delete_children.as_deref().ok_or_else(|| {
            StoreError::backend(format!("{} rows have no parent column", self.table))
        })
    }

    /// Builds the statements of `table`.
    pub fn new(table: &'static Table, d: &dyn Dialect) -> Self {
        let name = table.name;
        let id = table.id_column();
        let stored: Vec<_> = table.stored().collect();

        let mut select = String::from("SELECT ");
        for (i, c) in table.columns.iter().enumerate() {
            if i > 0 {
                select.push_str(", ");
            }
            match c.join {
                Some(j) => d.join_list(j, id, &mut select),
                // Never read back: do not ship it.
                None if c.derived => select.push_str("NULL"),
                None => d.column(c, &mut select),
            }
        }
        let _ = write!(select, " FROM {name} t");
        let mut by_id = format!("{select} WHERE ");
        key(table, "t.", d, &mut by_id);

        let mut insert = format!("INSERT INTO {name} (");
        let mut values = String::new();
        for (i, c) in stored.iter().enumerate() {
            if i > 0 {
                insert.push_str(", ");
                values.push_str(", ");
            }
            insert.push_str(c.name);
            d.param(i + 1, c.ty, &mut values);
        }
        let _ = write!(insert, ") VALUES ({values})");

        let at = |n: &str| stored.iter().position(|c| c.name == n);
        let org_at = at("org_id").filter(|_| matches!(table.key, Key::Org(_)));
        let id_at = at(id).unwrap_or(0);
        let update = table.versioned.then(|| {
            let mut u = format!("UPDATE {name} SET ");
            let mut first = true;
            for (i, c) in stored.iter().enumerate() {
                if Some(i) == org_at || i == id_at {
                    continue;
                }
                if !first {
                    u.push_str(", ");
                }
                first = false;
                let _ = write!(u, "{} = ", c.name);
                d.param(i + 1, c.ty, &mut u);
            }
            u.push_str(" WHERE ");
            if let Some(o) = org_at {
                u.push_str("org_id = ");
                d.param(o + 1, ColumnType::Uuid, &mut u);
                u.push_str(" AND ");
            }
            let _ = write!(u, "{id} = ");
            d.param(id_at + 1, ColumnType::Uuid, &mut u);
            u.push_str(" AND version = ");
            d.param(at("version").unwrap_or(0) + 1, ColumnType::Int, &mut u);
            u.push_str(" - 1");
            u
        });

        let mut version = format!("SELECT version FROM {name} WHERE ");
        key(table, "", d, &mut version);
        let version_locked = format!("{version}{}", d.lock());
        let mut delete = format!("DELETE FROM {name} WHERE ");
        key(table, "", d, &mut delete);
        let mut delete_versioned = format!("{delete} AND version = ");
        d.param(3, ColumnType::Int, &mut delete_versioned);

        let children = |out: &mut String, parent: &str| {
            let _ = write!(out, "org_id = ");
            d.param(1, ColumnType::Uuid, out);
            let _ = write!(out, " AND {parent} = ");
            d.param(2, ColumnType::Uuid, out);
        };
        let delete_children = table.parent.map(|p| {
            let mut s = format!("DELETE FROM {name} WHERE ");
            children(&mut s, p);
            s
        });
        let joins = table
            .joins()
            .map(|(_, j)| {
                let mut delete = format!("DELETE FROM {} WHERE ", j.table);
                children(&mut delete, j.parent);
                let delete_of_children = table.parent.map(|p| {
                    let mut s = format!("DELETE FROM {} WHERE org_id = ", j.table);
                    d.param(1, ColumnType::Uuid, &mut s);
                    let _ = write!(s, " AND {} IN (SELECT {id} FROM {name} WHERE ", j.parent);
                    children(&mut s, p);
                    s.push(')');
                    s
                });
                JoinSql { join: j, delete, insert: d.join_insert(table, j), delete_of_children }
            })
            .collect();
        Self {
            table: table.name,
            select,
            by_id,
            insert,
            update,
            version,
            version_locked,
            delete,
            delete_versioned,
            delete_children,
            joins,
            stored_key: (org_at, id_at),
        }
    }

    /// The statement of `q`, whose parameters are [`Select::params`].
    pub fn select(&'static self, q: &Select, d: &dyn Dialect) -> Cow<'static, str> {
        let t = q.table;
        if q.is_by_id() {
            return Cow::Borrowed(&self.by_id);
        }
        let mut s = format!("{} WHERE ", self.select);
        let mut n = 1;
        match t.key {
            Key::Org(_) => s.push_str("t.org_id = "),
            Key::Tenant => s.push_str("t.id = "),
        }
        d.param(n, ColumnType::Uuid, &mut s);
        for f in &q.filters {
            s.push_str(" AND ");
            match f {
                Filter::Eq(col, Value::Null) => {
                    let _ = write!(s, "t.{col} IS NULL");
                }
                Filter::Eq(col, v) => {
                    n += 1;
                    let _ = write!(s, "t.{col} = ");
                    d.param(n, v.ty().unwrap_or(ColumnType::Text), &mut s);
                }
                Filter::AnyOf(col, _) => {
                    n += 1;
                    d.any_of(&format!("t.{col}"), n, &mut s);
                }
                Filter::Cmp(col, op, v) => {
                    n += 1;
                    let _ = write!(s, "t.{col} {} ", op.sql());
                    d.param(n, v.ty().unwrap_or(ColumnType::Text), &mut s);
                }
                Filter::Condition(sql) => {
                    let _ = write!(s, "({sql})");
                }
            }
        }
        for (i, o) in t.order.iter().enumerate() {
            s.push_str(if i == 0 { " ORDER BY t." } else { ", t." });
            s.push_str(o.column);
            s.push_str(if o.descending != q.reversed { " DESC" } else { " ASC" });
        }
        if q.limit.is_some() {
            s.push_str(" LIMIT ");
            d.param(n + 1, ColumnType::Int, &mut s);
        }
        Cow::Owned(s)
    }
}

impl Select {
    /// Whether this is the plain read of one row by its key.
    pub fn is_by_id(&self) -> bool {
        match (self.table.key, self.filters.as_slice()) {
            (Key::Org(id), [Filter::Eq(col, Value::Uuid(_))]) => *col == id,
            (Key::Tenant, []) => self.limit.is_some(),
            _ => false,
        }
    }

    /// The values bound to [`TableSql::select`]'s parameters, in order.
    pub fn params(self, org: OrgId) -> Vec<Value<'static>> {
        let by_id = self.is_by_id();
        let mut out = Vec::with_capacity(self.filters.len() + 2);
        out.push(Value::Uuid(org.0));
        for f in self.filters {
            match f {
                Filter::Eq(_, Value::Null) | Filter::Condition(_) => {}
                Filter::Eq(_, v) | Filter::Cmp(_, _, v) => out.push(v),
                Filter::AnyOf(_, ids) => out.push(Value::UuidList(ids)),
            }
        }
        if let (Some(limit), false) = (self.limit, by_id) {
            out.push(Value::Int(i64::from(limit)));
        }
        out
    }
}

/// Each store's statements, built on first use of a table and kept for the process's life
/// (one entry per described table, so the cache is bounded by the code).
pub struct SqlCache {
    dialect: &'static dyn Dialect,
    tables: RwLock<HashMap<usize, &'static TableSql>>,
}

impl SqlCache {
    /// An empty cache for `dialect`.
    pub fn new(dialect: &'static dyn Dialect) -> Self {
        Self { dialect, tables: RwLock::new(HashMap::new()) }
    }

    /// The dialect.
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    /// The statements of `table`.
    pub fn get(&self, table: &'static Table) -> &'static TableSql {
        // A description is a static: its address identifies it.
        let key = std::ptr::from_ref(table) as usize;
        if let Some(sql) = self.tables.read().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return sql;
        }
        let mut tables = self.tables.write().unwrap_or_else(PoisonError::into_inner);
        tables.entry(key).or_insert_with(|| Box::leak(Box::new(TableSql::new(table, self.dialect))))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::record::{CREDENTIALS, Cmp, ORGS, TEAMS};

    /// `?n` parameters, `<list>` for join lists: enough to read the statements.
    struct Plain;
    impl Dialect for Plain {
        fn param(&self, n: usize, _: ColumnType, out: &mut String) {
            let _ = write!(out, "?{n}");
        }
        fn join_list(&self, j: &JoinTable, id: &str, out: &mut String) {
            let _ = write!(out, "<{} of t.{id}>", j.table);
        }
        fn join_insert(&self, _: &Table, j: &JoinTable) -> String {
            format!("<insert {}>", j.table)
        }
        fn any_of(&self, column: &str, n: usize, out: &mut String) {
            let _ = write!(out, "{column} IN ?{n}");
        }
        fn lock(&self) -> &'static str {
            " FOR UPDATE"
        }
    }

    #[test]
    fn statements_follow_the_description() {
        let t = TableSql::new(&TEAMS, &Plain);
        assert_eq!(
            t.select,
            "SELECT t.org_id, t.id, t.name, t.site_id, <team_members of t.id>, t.created_at, \
             t.updated_at, t.version FROM teams t"
        );
        assert_eq!(
            t.insert,
            "INSERT INTO teams (org_id, id, name, site_id, created_at, updated_at, version) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        );
        assert_eq!(
            t.update().ok(),
            Some(
                "UPDATE teams SET name = ?3, site_id = ?4, created_at = ?5, updated_at = ?6, \
                 version = ?7 WHERE org_id = ?1 AND id = ?2 AND version = ?7 - 1"
            )
        );
        assert_eq!(
            t.joins[0].delete,
            "DELETE FROM team_members WHERE org_id = ?1 AND team_id = ?2"
        );
        assert_eq!(
            t.version_locked,
            "SELECT version FROM teams WHERE org_id = ?1 AND id = ?2 FOR UPDATE"
        );

        let c = TableSql::new(&CREDENTIALS, &Plain);
        assert!(c.by_id.ends_with("FROM credentials t WHERE t.org_id = ?1 AND t.user_id = ?2"));
        assert!(
            c.update.unwrap().ends_with("WHERE org_id = ?1 AND user_id = ?2 AND version = ?9 - 1")
        );

        let o = TableSql::new(&ORGS, &Plain);
        assert_eq!(o.delete, "DELETE FROM orgs WHERE id = ?1");
        assert!(o.update().unwrap().ends_with("WHERE id = ?1 AND version = ?7 - 1"));
    }

    #[test]
    fn selects_bind_their_filters_in_order() {
        let t: &'static TableSql = Box::leak(Box::new(TableSql::new(&TEAMS, &Plain)));
        let q = Select::new(&TEAMS)
            .eq("site_id", Value::Null)
            .eq("name", "Night".to_string())
            .any_of("id", vec![uuid::Uuid::nil()])
            .limit(5);
        assert_eq!(
            t.select(&q, &Plain),
            format!(
                "{} WHERE t.org_id = ?1 AND t.site_id IS NULL AND t.name = ?2 AND t.id IN ?3 \
                 ORDER BY t.name ASC, t.id ASC LIMIT ?4",
                t.select
            )
        );
        let org = OrgId::new();
        assert_eq!(
            q.params(org),
            vec![
                Value::Uuid(org.0),
                Value::Text("Night".into()),
                Value::UuidList(vec![uuid::Uuid::nil()]),
                Value::Int(5)
            ]
        );
        let by_id = Select::by_id(&TEAMS, uuid::Uuid::nil());
        assert_eq!(t.select(&by_id, &Plain), t.by_id);
        assert_eq!(by_id.params(org), vec![Value::Uuid(org.0), Value::Uuid(uuid::Uuid::nil())]);
    }

    #[test]
    fn ranges_and_reverse_order() {
        let t: &'static TableSql = Box::leak(Box::new(TableSql::new(&TEAMS, &Plain)));
        let q = Select::new(&TEAMS).cmp("name", Cmp::Ge, "N".to_string()).reversed().limit(2);
        assert_eq!(
            t.select(&q, &Plain),
            format!(
                "{} WHERE t.org_id = ?1 AND t.name >= ?2 ORDER BY t.name DESC, t.id DESC LIMIT ?3",
                t.select
            )
        );
        assert!(q.check().is_ok());
        assert!(Select::new(&TEAMS).cmp("name", Cmp::Lt, Value::Null).check().is_err());
        assert!(Select::new(&TEAMS).cmp("name", Cmp::Lt, 3i64).check().is_err());
    }
}
