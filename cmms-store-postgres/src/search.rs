//! Text search of work orders and requests over the GIN-indexed side tables of migration 0007
//! (read through their tenant views), and the backfill of search documents after that
//! migration. The semantics are `cmms_core::search`'s; this module only finds the rows.

use crate::error::map_sqlx;
use crate::sql::Sql;
use cmms_core::search;
use cmms_core::{OrgId, StoreError};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// One searchable table and its index (migration 0007).
pub(crate) struct Index {
    /// The records.
    table: &'static str,
    /// The tenant view over the side table (`<entity>_search_v`).
    view: &'static str,
    /// The side table's record id column.
    id: &'static str,
}

/// Work orders' index.
pub(crate) const WORK_ORDERS_INDEX: Index =
    Index { table: "work_orders", view: "work_order_search_v", id: "work_order_id" };

/// Requests' index.
pub(crate) const REQUESTS_INDEX: Index =
    Index { table: "requests", view: "request_search_v", id: "request_id" };

/// The query words of `text` as a tsquery literal, `None` when it has none (nothing matches).
pub(crate) fn tsquery(text: &str) -> Option<String> {
    search::pg_tsquery(&search::query(text))
}

/// ` AND t.id IN (<the org's records whose index terms match tsquery>)`. The planner may walk
/// the list's order probing the side table's key (common words) or start from the GIN index
/// (rare words): both are index paths, because the view is no barrier and the side table has
/// no row-level security (see migration 0007).
pub(crate) fn condition(q: &mut Sql, index: &Index, org: OrgId, tsquery: String) {
    q.push(" AND t.id IN (SELECT s.").push(index.id).push(" FROM ").push(index.view);
    q.push(" s WHERE s.org_id = ").arg(org.0);
    q.push(" AND s.terms @@ ").arg(tsquery).push("::tsquery)");
}

/// Fills `search_doc` of the records migration 0007 left empty, organization by organization
/// (row-level security binds the owner too), then drops the partial index that marks them, so
/// later calls cost one catalog lookup and an interrupted backfill resumes. The update trigger
/// fills the side table.
pub(crate) async fn backfill(c: &mut PgConnection) -> Result<(), StoreError> {
    for index in [&WORK_ORDERS_INDEX, &REQUESTS_INDEX] {
        let pending = format!("{}_unsearched", index.table);
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
    let table = index.table;
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
