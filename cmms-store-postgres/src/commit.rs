//! One group of changesets of one org in one transaction (DESIGN §3.1; the group is formed by
//! `committer`): the tenant setting, the group's counters, each member's writes and the
//! numbered writes built from them, in queue order; then the audit chain and event outbox of
//! the whole group (`chain`), whose per-org heads are locked last and held only through COMMIT.

use crate::apply::{Drafts, apply};
use crate::error::map_sqlx;
use crate::{bulk, chain};
use cmms_core::store::record::StoredRecord;
use cmms_core::store::{Changeset, Numbered, Receipt, Write};
use cmms_core::{OrgId, StoreError};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use uuid::Uuid;

/// The message that opens every store transaction: `BEGIN`, then the role and the tenant, both
/// transaction-local, as ONE simple-query message (one round trip instead of two; only a
/// message without parameters may hold two statements). The org is formatted from its typed
/// UUID, never from caller text. `current_setting` without `missing_ok` fails when the session
/// lost `cmms.app_role` (a pooler's `RESET ALL`): the transaction then fails instead of running
/// as the login user. Outside a transaction `cmms.org_id` is empty, which the policies read as
/// "no org": a connection between two calls sees nothing.
fn begin_sql(org: OrgId, read_only: bool) -> String {
    format!(
        "{}; SELECT set_config('role', current_setting('cmms.app_role'), true), \
         set_config('cmms.org_id', '{}', true)",
        if read_only { "BEGIN READ ONLY" } else { "BEGIN" },
        org.0.hyphenated()
    )
}

/// Starts a transaction for `org`, reads included (see [`begin_sql`]).
pub(crate) async fn begin(
    pool: &PgPool,
    org: OrgId,
    read_only: bool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
    let sql = begin_sql(org, read_only);
    match pool.begin_with(AssertSqlSafe(sql.clone())).await {
        Ok(tx) => Ok(tx),
        // Idle connections are not pinged on checkout (a round trip on every call): one that
        // died while idle fails here, before anything ran, so trying once more is safe.
        Err(e) if connection_lost(&e) => {
            tracing::debug!(error = %e, "a pooled connection was gone; retrying on another");
            pool.begin_with(AssertSqlSafe(sql)).await.map_err(map_sqlx)
        }
        Err(e) => Err(map_sqlx(e)),
    }
}

/// The connection broke (or the server ended the session: SQLSTATE class 57P).
fn connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| c.starts_with("57P")),
        _ => false,
    }
}

/// Why a group did not commit; the transaction is gone in every case.
pub(crate) enum Failure {
    /// The transaction could not start: every member gets the error.
    Begin(StoreError),
    /// Member `.0` failed (or panicked) while applying.
    Member(usize, StoreError),
    /// The group as a whole failed after every member applied (deferred foreign keys, the
    /// chain, COMMIT): only running the members alone tells whose fault it was.
    Commit(StoreError),
}

/// Applies `members` for `org` in ONE transaction, in order; a receipt per member, or nothing
/// of any of them (dropping the transaction rolls it back). The group's counters are drawn in
/// one statement, and consecutive inserts and updates (of all members) go to each table in one
/// statement each (`bulk`); any other write runs on its own, after those before it.
pub(crate) async fn commit_group(
    pool: &PgPool,
    org: OrgId,
    members: Vec<Changeset>,
) -> Result<Vec<Receipt>, Failure> {
    let mut tx = begin(pool, org, false).await.map_err(Failure::Begin)?;
    let parts: Vec<_> = members.into_iter().map(Changeset::into_parts).collect();
    let numbers = draw_group(&mut tx, org, &parts).await.map_err(Failure::Commit)?;
    let mut drafts = Drafts::default();
    let mut batch = Batch::default();
    // Per member: its numbers and where its drafts end.
    let mut ends = Vec::with_capacity(parts.len());
    for (i, ((writes, numbered), numbers)) in parts.into_iter().zip(numbers).enumerate() {
        let built = match numbered {
            // A panic in core's closure fails this member only.
            Some(n) => catch_unwind(AssertUnwindSafe(|| (n.build)(&numbers))).map_err(|_| {
                tracing::error!("a changeset's numbered writes panicked; its caller gets an error");
                Failure::Member(
                    i,
                    StoreError::backend("the changeset panicked while being applied"),
                )
            })?,
            None => Vec::new(),
        };
        for w in writes.into_iter().chain(built) {
            match w {
                Write::Insert(r) if r.org() == org => batch.add(&mut tx, i, r, false).await?,
                Write::Update(r) if r.org() == org => batch.add(&mut tx, i, r, true).await?,
                w @ (Write::AppendAudit(_) | Write::AppendEvent(_)) => drafts.push(w),
                w => {
                    batch.flush(&mut tx).await?;
                    apply(&mut tx, org, w, &mut drafts).await.map_err(|e| Failure::Member(i, e))?;
                }
            }
        }
        ends.push((numbers, drafts.audit.len(), drafts.events.len()));
    }
    batch.flush(&mut tx).await?;
    // Check the deferred foreign keys now, before the per-org heads are locked, so that work
    // is not done while other transactions of the org wait on the heads (DESIGN §3.1).
    sqlx::query("SET CONSTRAINTS ALL IMMEDIATE")
        .execute(&mut *tx)
        .await
        .map_err(|e| Failure::Commit(map_sqlx(e)))?;
    let audit_count = drafts.audit.len() as i64;
    let (audit_last, events) =
        chain::append(&mut tx, org, drafts.audit, drafts.events).await.map_err(Failure::Commit)?;
    let mut events = events.into_iter();
    tx.commit().await.map_err(|e| Failure::Commit(map_sqlx(e)))?;
    let audit_first = audit_last - audit_count; // the head before the group
    let (mut audit_end, mut event_end) = (0, 0);
    Ok(ends
        .into_iter()
        .map(|(numbers, audit_to, events_to)| {
            let audit_seq = if audit_to > audit_end { audit_first + audit_to as i64 } else { 0 };
            let mine = events.by_ref().take(events_to - event_end).collect();
            (audit_end, event_end) = (audit_to, events_to);
            Receipt { numbers, audit_seq, events: mine }
        })
        .collect())
}

/// Inserts and updates waiting to be written, per table in the order tables first appear,
/// each with the member it came from. No row is in it twice, so the order of its statements
/// does not matter (the deferred foreign keys make the order of tables free too).
#[derive(Default)]
struct Batch {
    tables: Vec<(&'static str, Rows, Rows)>,
    touched: HashSet<(&'static str, Uuid)>,
}

/// Records of one table, each with the index of the member it came from.
type Rows = Vec<(usize, Arc<dyn StoredRecord>)>;

impl Batch {
    /// Adds an insert (`update` false) or update of `member`, writing the batch first when it
    /// already holds that row.
    async fn add(
        &mut self,
        c: &mut PgConnection,
        member: usize,
        r: Arc<dyn StoredRecord>,
        update: bool,
    ) -> Result<(), Failure> {
        let table = r.table().name;
        let id = r.values().ok().and_then(|v| r.table().id_of(&v)).unwrap_or_default();
        if !self.touched.insert((table, id)) {
            self.flush(c).await?;
            self.touched.insert((table, id));
        }
        let at = match self.tables.iter().position(|(t, _, _)| *t == table) {
            Some(at) => at,
            None => {
                self.tables.push((table, Vec::new(), Vec::new()));
                self.tables.len() - 1
            }
        };
        if let Some((_, inserts, updates)) = self.tables.get_mut(at) {
            if update { updates } else { inserts }.push((member, r));
        }
        Ok(())
    }

    /// Writes what it holds. A failure is the member's when the statement held only that
    /// member's rows (or the row at fault is known); otherwise only running the members alone
    /// can tell whose row it was.
    async fn flush(&mut self, c: &mut PgConnection) -> Result<(), Failure> {
        self.touched.clear();
        for (_, inserts, updates) in std::mem::take(&mut self.tables) {
            let records: Vec<&dyn StoredRecord> = inserts.iter().map(|(_, r)| &**r).collect();
            if let Err(e) = bulk::insert_many(c, &records).await {
                return Err(blame(&inserts, None, e));
            }
            let records: Vec<&dyn StoredRecord> = updates.iter().map(|(_, r)| &**r).collect();
            if let Err((at, e)) = bulk::update_many(c, &records).await {
                return Err(blame(&updates, at, e));
            }
        }
        Ok(())
    }
}

fn blame(rows: &Rows, at: Option<usize>, e: StoreError) -> Failure {
    if let Some((member, _)) = at.and_then(|at| rows.get(at)) {
        return Failure::Member(*member, e);
    }
    let first = rows.first().map_or(0, |(m, _)| *m);
    if rows.iter().all(|(m, _)| *m == first) {
        Failure::Member(first, e)
    } else {
        Failure::Commit(e)
    }
}

/// Draws the counters every member asks for in one statement; each member's values in the
/// order it asked, members in queue order (so numbers follow the queue, without gaps).
async fn draw_group(
    c: &mut PgConnection,
    org: OrgId,
    parts: &[(Vec<Write>, Option<Numbered>)],
) -> Result<Vec<Vec<i64>>, StoreError> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for key in parts.iter().flat_map(|(_, n)| n.iter().flat_map(|n| n.counters.iter())) {
        *counts.entry(key.as_str()).or_default() += 1;
    }
    if counts.is_empty() {
        return Ok(parts.iter().map(|_| Vec::new()).collect());
    }
    let keys: Vec<String> = counts.keys().map(|k| (*k).to_owned()).collect();
    let n: Vec<i64> = counts.values().copied().collect();
    let last = bulk::draw(c, org, &keys, &n).await?;
    // The next value to hand out per key.
    let mut next = HashMap::new();
    for (key, count) in &counts {
        let last = last
            .get(*key)
            .ok_or_else(|| StoreError::backend(format!("counter {key} was not drawn")))?;
        next.insert(*key, last - count + 1);
    }
    let mut take = |key: &str| {
        next.get_mut(key).map_or(0, |v| {
            *v += 1;
            *v - 1
        })
    };
    Ok(parts
        .iter()
        .map(|(_, numbered)| {
            numbered.iter().flat_map(|n| n.counters.iter()).map(|k| take(k)).collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_begin_message_is_begin_then_role_and_tenant_and_nothing_else() {
        let org = OrgId::new();
        let tenant = format!(
            "; SELECT set_config('role', current_setting('cmms.app_role'), true), \
             set_config('cmms.org_id', '{}', true)",
            org.0.hyphenated()
        );
        assert_eq!(begin_sql(org, true), format!("BEGIN READ ONLY{tenant}"));
        assert_eq!(begin_sql(org, false), format!("BEGIN{tenant}"));
        // The only spliced value is a canonical UUID: hex digits and hyphens.
        let spliced = org.0.hyphenated().to_string();
        assert_eq!(spliced.len(), 36);
        assert!(spliced.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    }
}
