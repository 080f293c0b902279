//! The SQL builder for list queries: fixed fragments and bound values pushed together (sqlx's
//! `QueryBuilder`), keyset conditions, LIKE escaping and visibility clauses. Only fixed
//! fragments become SQL text; every input value is a bound parameter.

use crate::error::map_sqlx;
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::rbac::{ScopeCondition, Visibility};
use cmms_core::store::record::{Record, Table};
use cmms_core::store::{Direction, KeyValue, SortKey};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// Result of a read.
pub(crate) type R<T> = Result<T, StoreError>;

/// A list query under construction, and whether it is planned for its own values each time
/// (unnamed statement) instead of prepared once.
pub(crate) struct Sql(QueryBuilder<Postgres>, bool);

/// ASCII upper- and lower-case letters, for `translate`: SQLite's LIKE folds ASCII case only,
/// and so does this store's text search, whatever the database's locale.
const UPPER: &str = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ'";
const LOWER: &str = "'abcdefghijklmnopqrstuvwxyz'";

impl Sql {
    /// `SELECT <table's columns> FROM <table> t`, the start of a list of described records.
    pub(crate) fn select(table: &'static Table) -> Self {
        Self(QueryBuilder::new(crate::record::sql(table).select.as_str()), false)
    }

    /// A statement starting with the fixed SQL `text`.
    pub(crate) fn raw(text: &'static str) -> Self {
        Self(QueryBuilder::new(text), false)
    }

    /// Runs a statement answering one row of a count and a list of ids (a search's walk).
    pub(crate) async fn count_and_ids(&mut self, c: &mut PgConnection) -> R<(i64, Vec<Uuid>)> {
        self.0.build_query_as().fetch_one(c).await.map_err(map_sqlx)
    }

    /// `SELECT count(*) FROM <table> t`, the start of a list's count.
    pub(crate) fn count(table: &'static Table) -> Self {
        let mut q = QueryBuilder::new("SELECT count(*) FROM ");
        q.push(table.name).push(" t");
        Self(q, false)
    }

    /// Plans this statement for its own values on every run: a text search, whose best plan
    /// depends on how common its words are (a prepared statement's generic plan would not
    /// know).
    pub(crate) fn plan_per_call(&mut self) -> &mut Self {
        self.1 = true;
        self
    }

    /// Runs a count.
    pub(crate) async fn count_rows(&mut self, c: &mut PgConnection) -> R<u64> {
        let persistent = !self.1;
        let n: i64 = self
            .0
            .build_query_scalar()
            .persistent(persistent)
            .fetch_one(c)
            .await
            .map_err(map_sqlx)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// ` AND <col> = …` for a filter on any of `values` (nothing when there are none). One
    /// value is bound as an equality: an index on `(…, col, created_at)` then yields a page in
    /// order, where `= ANY(…)` makes the planner walk the newest rows and filter instead.
    pub(crate) fn one_of<'a>(
        &mut self,
        col: &'static str,
        values: impl IntoIterator<Item = &'a str>,
    ) -> &mut Self {
        match texts(values).as_slice() {
            [] => self,
            [one] => self.push(" AND ").push(col).push(" = ").arg(one.clone()),
            many => self.push(" AND ").push(col).push(" = ANY(").arg(many.to_vec()).push(")"),
        }
    }

    /// Appends a fixed SQL fragment.
    pub(crate) fn push(&mut self, fragment: &'static str) -> &mut Self {
        self.0.push(fragment);
        self
    }

    /// Appends a placeholder and binds `v` to it.
    pub(crate) fn arg<T>(&mut self, v: T) -> &mut Self
    where
        T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send + 'static,
    {
        self.0.push_bind(v);
        self
    }

    /// `AND (col1 LIKE %text% OR col2 LIKE ...)` with ASCII case folded on both sides and LIKE's
    /// wildcards in `text` escaped.
    pub(crate) fn text_search(&mut self, cols: &[&'static str], text: &str) -> &mut Self {
        let pattern = format!("%{}%", escape_like(&text.to_ascii_lowercase()));
        self.push(" AND (");
        for (i, col) in cols.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push("translate(").push(col).push(", ");
            self.push(UPPER).push(", ").push(LOWER).push(") LIKE ");
            self.arg(pattern.clone()).push(" ESCAPE '\\'");
        }
        self.push(")")
    }

    /// Keyset condition for a non-null key: strictly after (value, id) in `dir` order.
    pub(crate) fn after<T>(
        &mut self,
        col: &'static str,
        id_col: &'static str,
        dir: Direction,
        v: T,
        id: Uuid,
    ) -> &mut Self
    where
        T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send + Clone + 'static,
    {
        let op = op(dir);
        self.push(" AND (").push(col).push(op).arg(v.clone());
        self.push(" OR (").push(col).push(" = ").arg(v).push(" AND ");
        self.push(id_col).push(op).arg(id).push("))")
    }

    /// Runs the list on `c` and reads its rows as records of its table.
    pub(crate) async fn run<T: Record>(&mut self, c: &mut PgConnection) -> R<Vec<T>> {
        let persistent = !self.1;
        let rows = self.0.build().persistent(persistent).fetch_all(c).await.map_err(map_sqlx)?;
        crate::record::read_records(&rows)
    }
}

pub(crate) fn op(dir: Direction) -> &'static str {
    match dir {
        Direction::Asc => " > ",
        Direction::Desc => " < ",
    }
}

pub(crate) fn word(dir: Direction) -> &'static str {
    match dir {
        Direction::Asc => " ASC",
        Direction::Desc => " DESC",
    }
}

/// Escapes `\`, `%` and `_` for `LIKE ... ESCAPE '\'`.
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Typed ids as a uuid[] bind value.
pub(crate) fn ids<T: Into<Uuid> + Copy>(ids: &[T]) -> Vec<Uuid> {
    ids.iter().map(|i| (*i).into()).collect()
}

/// Wire names as a text[] bind value.
pub(crate) fn texts<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    values.into_iter().map(str::to_owned).collect()
}

pub(crate) fn bad_cursor() -> StoreError {
    StoreError::backend("the cursor's key does not fit this list's sort")
}

pub(crate) fn int_key(key: &SortKey) -> R<Option<i64>> {
    match &key.value {
        Some(KeyValue::Int(v)) => Ok(Some(*v)),
        None => Ok(None),
        Some(KeyValue::Text(_)) => Err(bad_cursor()),
    }
}

/// A cursor's integer key as the timestamp it encodes (microseconds since the epoch).
pub(crate) fn time_key(v: i64) -> R<DateTime<Utc>> {
    DateTime::from_timestamp_micros(v).ok_or_else(bad_cursor)
}

pub(crate) fn text_key(key: &SortKey) -> R<String> {
    match &key.value {
        Some(KeyValue::Text(v)) => Ok(v.clone()),
        _ => Err(bad_cursor()),
    }
}

/// ` AND (clause OR clause ...)` for a visibility; `site_col` and `cond` render one clause.
pub(crate) fn visibility(
    q: &mut Sql,
    vis: &Visibility,
    site_col: &'static str,
    cond: impl Fn(&mut Sql, &ScopeCondition),
) {
    if vis.is_all() {
        return;
    }
    q.push(" AND (");
    for (i, clause) in vis.clauses.iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        q.push("(");
        match &clause.sites {
            Some(sites) if sites.is_empty() => {
                q.push("FALSE AND ");
            }
            Some(sites) => {
                q.push(site_col).push(" = ANY(").arg(ids(sites)).push(") AND ");
            }
            None => {}
        }
        cond(q, &clause.condition);
        q.push(")");
    }
    q.push(")");
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
