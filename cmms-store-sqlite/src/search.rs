//! Text search of work orders and requests over the FTS5 indexes of migration 0008: the
//! two-phase list plan (a budgeted walk of the list's own order, then the index), counts, and
//! the backfill of search documents when the migration runs. The semantics are
//! `cmms_core::search`'s; this module only chooses how to find the rows.

use crate::error::map_rusqlite;
use crate::reads::R;
use crate::rows::uuid_value;
use crate::sql::Sql;
use cmms_core::search;
use cmms_core::store::record::{REQUESTS, Record, Table, WORK_ORDERS};
use cmms_core::{OrgId, StoreError};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

/// Rows of the list's own order the first phase reads before it falls back to the index. A
/// common word fills a page well within it; a rare word or one matching nothing costs this
/// walk plus an index lookup.
const WALK_BUDGET: i64 = 2000;

/// One searchable table and its FTS5 index (migration 0008).
pub(crate) struct Index {
    /// The records.
    table: &'static Table,
    /// The FTS5 table over `search_doc`.
    fts: &'static str,
    /// The table giving each record its FTS rowid.
    keys: &'static str,
    /// The keys table's record id column.
    id: &'static str,
}

/// Work orders' index.
pub(crate) const WORK_ORDERS_INDEX: Index = Index {
    table: &WORK_ORDERS,
    fts: "work_order_fts",
    keys: "work_order_search_keys",
    id: "work_order_id",
};

/// Requests' index.
pub(crate) const REQUESTS_INDEX: Index =
    Index { table: &REQUESTS, fts: "request_fts", keys: "request_search_keys", id: "request_id" };

impl Index {
    /// `WITH m AS (<ids of org's records matching the query>) `, binding the query and `org`.
    fn matching(&self, words: &[String], org: OrgId) -> Sql {
        let fts = search::fts5_query(words).unwrap_or_default();
        // CROSS JOIN keeps the index as SQLite's outer loop (it knows no FTS selectivity).
        let mut q = Sql::text(format!(
            "WITH m AS (SELECT k.{id} AS id FROM {fts} f CROSS JOIN {keys} k \
             ON k.fts_rowid = f.rowid WHERE f.{fts} MATCH ",
            id = self.id,
            fts = self.fts,
            keys = self.keys
        ));
        q.arg(fts).push(" AND k.org_id = ").arg(uuid_value(org)).push(") ");
        q
    }

    /// ` FROM <ids> CROSS JOIN <table> t ON t.id = <ids>.id`: the ids (a CTE) as the outer loop.
    fn join_ids(&self, q: &mut Sql, ids: &str) {
        q.push(&format!(" FROM {ids} CROSS JOIN {} t ON t.id = {ids}.id", self.table.name));
    }

    /// The columns part of the table's generic SELECT (without its FROM).
    fn columns(&self) -> String {
        let select = &crate::record::sql(self.table).select;
        let from = format!(" FROM {} t", self.table.name);
        select.strip_suffix(&from).unwrap_or(select).to_owned()
    }
}

/// A searched list page. `filters` appends the list's WHERE clause (beginning ` WHERE
/// t.org_id = ?`) and keyset condition, returning `None` when nothing can match; `order`
/// appends its ORDER BY.
///
/// Phase 1 walks at most [`WALK_BUDGET`] rows of the list in its own order, reading only ids
/// and search documents, and keeps those [`search::has_all`] accepts: if that fills the page or
/// the walk ran out of rows, the page is exact. Otherwise phase 2 starts from the index's
/// matches. Both run in one read transaction, so they see the same snapshot.
pub(crate) fn list<T: Record>(
    c: &Connection,
    org: OrgId,
    index: &Index,
    text: &str,
    fetch: u32,
    filters: impl Fn(&mut Sql) -> R<Option<()>>,
    order: impl Fn(&mut Sql),
) -> R<Vec<T>> {
    let words = search::query(text);
    if words.is_empty() || fetch == 0 {
        return Ok(Vec::new());
    }
    let tx = c.unchecked_transaction().map_err(map_rusqlite)?;
    let mut walk = Sql::text(format!("SELECT t.id, t.search_doc FROM {} t", index.table.name));
    if filters(&mut walk)?.is_none() {
        return Ok(Vec::new());
    }
    order(&mut walk);
    walk.push(" LIMIT ").arg(WALK_BUDGET);
    let (walked, hits) = walk.walk(&tx, &words, fetch)?;
    let (mut q, ids) = if hits.len() >= fetch as usize || walked < WALK_BUDGET {
        if hits.is_empty() {
            return Ok(Vec::new());
        }
        // The page's ids as the outer loop: with `t.id IN (...)` SQLite would rather walk the
        // list's order index through the whole organization to skip a sort.
        let mut q = Sql::text("WITH m(id) AS (VALUES ".to_owned());
        for (i, id) in hits.into_iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" }).arg(id).push(")");
        }
        q.push(") ");
        (q, "m")
    } else {
        // The page's ids first, sorting only ids and keys: the full columns (the assignee list
        // is a subquery per row) are read for the page alone, not for every match.
        let mut q = index.matching(&words, org);
        q.push(", p AS (SELECT t.id");
        index.join_ids(&mut q, "m");
        if filters(&mut q)?.is_none() {
            return Ok(Vec::new());
        }
        order(&mut q);
        q.push(" LIMIT ").arg(i64::from(fetch)).push(") ");
        (q, "p")
    };
    q.push(&index.columns());
    index.join_ids(&mut q, ids);
    q.push(" WHERE t.org_id = ").arg(uuid_value(org));
    order(&mut q);
    let rows = q.run(&tx)?;
    tx.finish().map_err(map_rusqlite)?;
    Ok(rows)
}

/// How many records a searched list shows over all its pages; `filters` as for [`list`].
pub(crate) fn count(
    c: &Connection,
    org: OrgId,
    index: &Index,
    text: &str,
    filters: impl Fn(&mut Sql) -> R<Option<()>>,
) -> R<u64> {
    let words = search::query(text);
    if words.is_empty() {
        return Ok(0);
    }
    let mut q = index.matching(&words, org);
    q.push("SELECT count(*)");
    index.join_ids(&mut q, "m");
    match filters(&mut q)? {
        None => Ok(0),
        Some(()) => q.count_rows(c),
    }
}

/// Fills `search_doc` of every work order and request from `cmms_core::search::document`
/// (migration 0008 runs it in its transaction; the update trigger fills the index).
pub(crate) fn backfill(c: &Connection) -> Result<(), StoreError> {
    for table in [&WORK_ORDERS, &REQUESTS] {
        backfill_table(c, table).map_err(map_rusqlite)?;
    }
    Ok(())
}

fn backfill_table(c: &Connection, table: &Table) -> rusqlite::Result<()> {
    let name = table.name;
    let mut read = c.prepare(&format!(
        "SELECT rowid, number, title, description FROM {name} WHERE rowid > ?1 \
         ORDER BY rowid LIMIT 1000"
    ))?;
    let mut write = c.prepare(&format!("UPDATE {name} SET search_doc = ?2 WHERE rowid = ?1"))?;
    let (mut after, mut done) = (0_i64, 0_u64);
    loop {
        let batch = read
            .query_map([after], |r| {
                let (number, title): (String, String) = (r.get(1)?, r.get(2)?);
                let description: Option<String> = r.get(3)?;
                Ok((r.get::<_, i64>(0)?, search::document(&number, &title, description.as_deref())))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let Some(&(last, _)) = batch.last() else { break };
        for (rowid, doc) in &batch {
            write.execute(rusqlite::params![rowid, doc])?;
        }
        after = last;
        done += batch.len() as u64;
        tracing::info!(table = name, rows = done, "search documents filled");
    }
    Ok(())
}

impl Sql {
    /// Runs phase 1 of [`list`]: how many rows it read, and the ids of the first `fetch` whose
    /// documents hold every word.
    fn walk(&self, c: &Connection, words: &[String], fetch: u32) -> R<(i64, Vec<Value>)> {
        let mut stmt = c.prepare_cached(self.sql()).map_err(map_rusqlite)?;
        let mut rows = stmt.query(params_from_iter(self.params())).map_err(map_rusqlite)?;
        let (mut walked, mut hits) = (0_i64, Vec::new());
        while let Some(row) = rows.next().map_err(map_rusqlite)? {
            walked += 1;
            let doc = row.get_ref(1).map_err(map_rusqlite)?.as_str().unwrap_or_default();
            if search::has_all(doc, words) {
                hits.push(row.get::<_, Value>(0).map_err(map_rusqlite)?);
                if hits.len() >= fetch as usize {
                    break;
                }
            }
        }
        Ok((walked, hits))
    }
}
