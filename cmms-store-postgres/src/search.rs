//! Text search of work orders and requests over the GIN-indexed side tables of migration 0008
//! (read through their tenant views), and the backfill of search documents after that
//! migration. The semantics are `cmms_core::search`'s; this module only finds the rows.

use crate::error::map_sqlx;
use crate::sql::{R, Sql};
use cmms_core::search;
use cmms_core::store::record::{REQUESTS, Record, Table, WORK_ORDERS};
use cmms_core::{OrgId, StoreError};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// Rows of the list's own order the first phase reads before it turns to the index (as in the
/// SQLite store): a common word fills a page well within it.
const WALK_BUDGET: i64 = 2000;

/// One searchable table and its index (migration 0008).
pub(crate) struct Index {
    /// The records.
    table: &'static Table,
    /// The tenant view over the side table (`<entity>_search_v`).
    view: &'static str,
    /// The side table's record id column.
    id: &'static str,
    /// The start of the first phase's statement, up to its FROM.
    walk: &'static str,
}

/// The start of a walk: the list's ids and documents in its order, numbered.
macro_rules! walk {
    ($table:literal) => {
        concat!(
            "WITH w AS MATERIALIZED (SELECT s.id, s.search_doc, row_number() OVER () AS rn \
             FROM (SELECT t.id, t.search_doc FROM ",
            $table,
            " t"
        )
    };
}

/// Work orders' index.
pub(crate) const WORK_ORDERS_INDEX: Index = Index {
    table: &WORK_ORDERS,
    view: "work_order_search_v",
    id: "work_order_id",
    walk: walk!("work_orders"),
};

/// Requests' index.
pub(crate) const REQUESTS_INDEX: Index =
    Index { table: &REQUESTS, view: "request_search_v", id: "request_id", walk: walk!("requests") };

/// The query words of `text` as a tsquery literal, `None` when it has none (nothing matches).
pub(crate) fn tsquery(text: &str) -> Option<String> {
    search::pg_tsquery(&search::query(text))
}

/// ` AND t.id IN (<the org's records whose index terms match tsquery>)`, for counts (which read
/// every match anyway). The GIN index is usable because the view is no barrier and the side
/// table has no row-level security (see migration 0008).
pub(crate) fn condition(q: &mut Sql, index: &Index, org: OrgId, tsquery: String) {
    q.push(" AND t.id IN (SELECT s.").push(index.id).push(" FROM ").push(index.view);
    q.push(" s WHERE s.org_id = ").arg(org.0);
    q.push(" AND s.terms @@ ").arg(tsquery).push("::tsquery)");
}

/// A searched list page. `filters` appends the list's WHERE clause (beginning ` WHERE
/// t.org_id = `) and keyset condition, returning `None` when nothing can match; `order` appends
/// its ORDER BY.
///
/// The planner cannot be left to choose between walking the list's order and starting from
/// the GIN index: with LIMIT it prices a walk by its guess of how common the words are, and
/// for a prefix query that guess is a default, so it walked the whole organization for a rare
/// word (1.2 s at 1M work orders) or one matching nothing (2.4 s). So, as in the SQLite store:
/// phase 1 walks at most [`WALK_BUDGET`] rows of the list's order and keeps those whose
/// document holds every word (`strpos`, the same test as the index); if that fills the page or
/// the walk ran out of rows, it is exact, and the page is read by id. Otherwise phase 2 takes
/// the index's matches as an array (an init plan, so the rows are read by key) and sorts them.
pub(crate) async fn list<T: Record>(
    c: &mut PgConnection,
    org: OrgId,
    index: &Index,
    text: &str,
    fetch: u32,
    filters: impl Fn(&mut Sql) -> R<Option<()>>,
    order: impl Fn(&mut Sql),
) -> R<Vec<T>> {
    let words = search::query(text);
    let Some(tsquery) = search::pg_tsquery(&words) else { return Ok(Vec::new()) };
    let mut walk = Sql::raw(index.walk);
    if fetch == 0 || filters(&mut walk)?.is_none() {
        return Ok(Vec::new());
    }
    order(&mut walk);
    walk.push(" LIMIT ").arg(WALK_BUDGET);
    walk.push(") s) SELECT (SELECT count(*) FROM w), ARRAY(SELECT w.id FROM w WHERE ");
    for (i, w) in words.iter().enumerate() {
        walk.push(if i == 0 { "strpos(w.search_doc, " } else { " AND strpos(w.search_doc, " });
        // " w": the space marks the start of a word.
        walk.arg(format!(" {w}")).push(") > 0");
    }
    walk.push(" ORDER BY w.rn LIMIT ").arg(i64::from(fetch)).push(")");
    let (walked, hits) = walk.count_and_ids(c).await?;
    let mut q = Sql::select(index.table);
    if hits.len() >= fetch as usize || walked < WALK_BUDGET {
        if hits.is_empty() {
            return Ok(Vec::new());
        }
        q.push(" WHERE t.org_id = ").arg(org.0).push(" AND t.id = ANY(").arg(hits).push(")");
        order(&mut q);
    } else {
        if filters(&mut q)?.is_none() {
            return Ok(Vec::new());
        }
        q.push(" AND t.id = ANY(ARRAY(SELECT s.").push(index.id).push(" FROM ").push(index.view);
        q.push(" s WHERE s.org_id = ").arg(org.0);
        q.push(" AND s.terms @@ ").arg(tsquery).push("::tsquery))");
        order(&mut q);
        q.push(" LIMIT ").arg(i64::from(fetch));
        q.plan_per_call();
    }
    q.run(c).await
}

/// Fills `search_doc` of the records migration 0008 left empty, organization by organization
/// (row-level security binds the owner too), then drops the partial index that marks them, so
/// later calls cost one catalog lookup and an interrupted backfill resumes. The update trigger
/// fills the side table.
pub(crate) async fn backfill(c: &mut PgConnection) -> Result<(), StoreError> {
    for index in [&WORK_ORDERS_INDEX, &REQUESTS_INDEX] {
        let pending = format!("{}_unsearched", index.table.name);
        let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
            .bind(&pending)
            .fetch_one(&mut *c)
            .await
            .map_err(map_sqlx)?;
        if exists.is_none() {
            continue;
        }
        let orgs: Vec<Uuid> = sqlx::query_scalar("SELECT cmms_org_ids()")
            .fetch_all(&mut *c)
            .await
            .map_err(map_sqlx)?;
        for org in orgs {
            backfill_org(c, index, org).await?;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX IF EXISTS {pending}")))
            .execute(&mut *c)
            .await
            .map_err(map_sqlx)?;
    }
    Ok(())
}

/// One organization's pending records, 5,000 per statement, in one transaction.
async fn backfill_org(c: &mut PgConnection, index: &Index, org: Uuid) -> Result<(), StoreError> {
    let table = index.table.name;
    let read = format!(
        "SELECT id, number, title, description FROM {table} \
         WHERE org_id = $1 AND search_doc = '' AND id > $2 ORDER BY id LIMIT 5000"
    );
    let write = format!(
        "UPDATE {table} t SET search_doc = u.d FROM UNNEST($2::uuid[], $3::text[]) u(id, d) \
         WHERE t.org_id = $1 AND t.id = u.id"
    );
    let mut tx = c.begin().await.map_err(map_sqlx)?;
    sqlx::query("SELECT set_config('cmms.org_id', $1, true)")
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_sqlx)?;
    let (mut after, mut done) = (Uuid::nil(), 0_usize);
    loop {
        let rows: Vec<(Uuid, String, String, Option<String>)> =
            sqlx::query_as(sqlx::AssertSqlSafe(read.as_str()))
                .bind(org)
                .bind(after)
                .fetch_all(&mut *tx)
                .await
                .map_err(map_sqlx)?;
        let Some(last) = rows.last().map(|r| r.0) else { break };
        let (ids, docs): (Vec<Uuid>, Vec<String>) = rows
            .iter()
            .map(|(id, number, title, description)| {
                (*id, search::document(number, title, description.as_deref()))
            })
            .unzip();
        sqlx::query(sqlx::AssertSqlSafe(write.as_str()))
            .bind(org)
            .bind(ids)
            .bind(docs)
            .execute(&mut *tx)
            .await
            .map_err(map_sqlx)?;
        after = last;
        done += rows.len();
        tracing::info!(table, %org, rows = done, "search documents filled");
    }
    tx.commit().await.map_err(map_sqlx)
}
