//! The SQL builder for list queries: text and positional arguments built together, keyset
//! conditions, LIKE escaping (the substring search of assets and users) and visibility
//! clauses. Only fixed fragments become SQL text; every input value is a bound parameter.

use crate::reads::R;
use crate::rows::uuid_value;
use cmms_core::StoreError;
use cmms_core::rbac::{ScopeCondition, Visibility};
use cmms_core::store::record::{Record, Table};
use cmms_core::store::{Direction, KeyValue, SortKey};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
/// SQL text plus its positional arguments, built together so they cannot drift apart.
pub(crate) struct Sql {
    text: String,
    args: Vec<Value>,
}

impl Sql {
    /// `SELECT <table's columns> FROM <table> t`, the start of a list of described records.
    pub(crate) fn select(table: &'static Table) -> Self {
        Self { text: crate::record::sql(table).select.clone(), args: Vec::new() }
    }

    /// A statement starting with `text` (fixed SQL, never input).
    pub(crate) fn text(text: String) -> Self {
        Self { text, args: Vec::new() }
    }

    /// The SQL text so far.
    pub(crate) fn sql(&self) -> &str {
        &self.text
    }

    /// The bound values so far, in order.
    pub(crate) fn params(&self) -> &[Value] {
        &self.args
    }

    /// Appends a fixed SQL fragment.
    pub(crate) fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// Appends `?` and binds `v` to it.
    pub(crate) fn arg(&mut self, v: impl Into<Value>) -> &mut Self {
        self.text.push('?');
        self.args.push(v.into());
        self
    }

    /// Appends `(?, ?, ...)` binding each value.
    pub(crate) fn list(&mut self, values: impl IntoIterator<Item = Value>) -> &mut Self {
        self.text.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.arg(v);
        }
        self.text.push(')');
        self
    }

    /// `AND (col1 LIKE %text% OR col2 LIKE ...)`, with LIKE's wildcards in `text` escaped.
    pub(crate) fn text_search(&mut self, cols: &[&str], text: &str) -> &mut Self {
        let escaped = escape_like(text);
        self.push(" AND (");
        for (i, col) in cols.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push(col).push(" LIKE '%' || ").arg(escaped.clone()).push(" || '%' ESCAPE '\\'");
        }
        self.push(")")
    }

    /// Keyset condition for a non-null key: strictly after (value, id) in `dir` order.
    pub(crate) fn after(
        &mut self,
        col: &str,
        id_col: &str,
        dir: Direction,
        v: Value,
        id: uuid::Uuid,
    ) -> &mut Self {
        let op = op(dir);
        self.push(" AND (").push(col).push(op).arg(v.clone());
        self.push(" OR (").push(col).push(" = ").arg(v).push(" AND ").push(id_col).push(op);
        self.arg(uuid_value(id)).push("))")
    }

    /// `SELECT count(*) FROM <table> t`, the start of a list's count.
    pub(crate) fn count(table: &'static Table) -> Self {
        Self { text: format!("SELECT count(*) FROM {} t", table.name), args: Vec::new() }
    }

    /// Runs a count.
    pub(crate) fn count_rows(&self, c: &Connection) -> R<u64> {
        let n: i64 = c
            .prepare_cached(&self.text)
            .and_then(|mut s| s.query_row(params_from_iter(self.args.iter()), |r| r.get(0)))
            .map_err(crate::error::map_rusqlite)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Runs the list and reads its rows as records of its table.
    pub(crate) fn run<T: Record>(&self, c: &Connection) -> R<Vec<T>> {
        crate::record::query_records(c, &self.text, params_from_iter(self.args.iter()))
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

pub(crate) fn ids<T: Into<uuid::Uuid> + Copy>(ids: &[T]) -> Vec<Value> {
    ids.iter().map(|i| uuid_value(*i)).collect()
}

pub(crate) fn texts(values: impl IntoIterator<Item = &'static str>) -> Vec<Value> {
    values.into_iter().map(|s| Value::Text(s.to_owned())).collect()
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
    site_col: &str,
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
                q.push("0 AND ");
            }
            Some(sites) => {
                q.push(site_col).push(" IN ").list(ids(sites)).push(" AND ");
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
