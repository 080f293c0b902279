//! Embedded schema migrations: an ordered list of `(version, name, up, down)` steps, each applied
//! in its own transaction together with `PRAGMA user_version`. The library never migrates on
//! its own; `SqliteStore::migrate` does.

use crate::error::map_rusqlite;
use cmms_core::StoreError;
use rusqlite::{Connection, TransactionBehavior};

/// One migration step. Numbers and names are shared with the Postgres store.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Schema version after `up` (the `NNNN` of the file name).
    pub version: u32,
    /// Name (the rest of the file name).
    pub name: &'static str,
    /// SQL taking the schema from `version - 1` to `version`.
    pub up: &'static str,
    /// SQL taking the schema from `version` back to `version - 1`.
    pub down: &'static str,
    /// Rust run after `up` in the same transaction (data the SQL cannot compute, such as
    /// search documents folded by `cmms_core::search`).
    pub after: Option<AfterStep>,
}

/// Rust code a migration runs after its SQL, in the same transaction.
pub type AfterStep = fn(&Connection) -> Result<(), StoreError>;

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        up: include_str!("../migrations/0001_init.sql"),
        down: include_str!("../migrations/0001_init.down.sql"),
        after: None,
    },
    Migration {
        version: 2,
        name: "auth",
        up: include_str!("../migrations/0002_auth.sql"),
        down: include_str!("../migrations/0002_auth.down.sql"),
        after: None,
    },
    Migration {
        version: 3,
        name: "indexes",
        up: include_str!("../migrations/0003_indexes.sql"),
        down: include_str!("../migrations/0003_indexes.down.sql"),
        after: None,
    },
    Migration {
        version: 4,
        name: "lists",
        up: include_str!("../migrations/0004_lists.sql"),
        down: include_str!("../migrations/0004_lists.down.sql"),
        after: None,
    },
    Migration {
        version: 5,
        name: "slug",
        up: include_str!("../migrations/0005_slug.sql"),
        down: include_str!("../migrations/0005_slug.down.sql"),
        after: None,
    },
    Migration {
        version: 6,
        name: "pm",
        up: include_str!("../migrations/0006_pm.sql"),
        down: include_str!("../migrations/0006_pm.down.sql"),
        after: None,
    },
    Migration {
        version: 7,
        name: "inventory",
        up: include_str!("../migrations/0007_inventory.sql"),
        down: include_str!("../migrations/0007_inventory.down.sql"),
        after: None,
    },
    Migration {
        version: 8,
        name: "search",
        up: include_str!("../migrations/0008_search.sql"),
        down: include_str!("../migrations/0008_search.down.sql"),
        after: Some(crate::search::backfill),
    },
    Migration {
        version: 9,
        name: "notifications",
        up: include_str!("../migrations/0009_notifications.sql"),
        down: include_str!("../migrations/0009_notifications.down.sql"),
        after: None,
    },
    Migration {
        version: 10,
        name: "mail",
        up: include_str!("../migrations/0010_mail.sql"),
        down: include_str!("../migrations/0010_mail.down.sql"),
        after: None,
    },
    Migration {
        version: 12,
        name: "attachments",
        up: include_str!("../migrations/0012_attachments.sql"),
        down: include_str!("../migrations/0012_attachments.down.sql"),
        after: None,
    },
    Migration {
        version: 13,
        name: "webhooks",
        up: include_str!("../migrations/0013_webhooks.sql"),
        down: include_str!("../migrations/0013_webhooks.down.sql"),
        after: None,
    },
    Migration {
        version: 14,
        name: "assignments",
        up: include_str!("../migrations/0014_assignments.sql"),
        down: include_str!("../migrations/0014_assignments.down.sql"),
        after: None,
    },
];

/// The schema version this library needs.
pub const LATEST: u32 = match MIGRATIONS.last() {
    Some(m) => m.version,
    None => 0,
};

/// `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    let v: i64 =
        conn.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(map_rusqlite)?;
    u32::try_from(v).map_err(|_| StoreError::Migration(format!("invalid schema version {v}")))
}

/// Refuses a database written by a newer library.
pub(crate) fn check_not_newer(version: u32) -> Result<(), StoreError> {
    if version > LATEST {
        return Err(StoreError::Migration(format!(
            "database is at schema version {version}, newer than the latest this library knows \
             ({LATEST}): upgrade the library"
        )));
    }
    Ok(())
}

/// Applies every pending migration; returns the new version.
pub(crate) fn up(conn: &mut Connection) -> Result<u32, StoreError> {
    let start = user_version(conn)?;
    check_not_newer(start)?;
    let mut current = start;
    for m in MIGRATIONS.iter().filter(|m| m.version > start) {
        apply(conn, m.up, m.after, m.version).map_err(|e| step_failed(m, "up", e))?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        current = m.version;
    }
    Ok(current)
}

/// Runs down migrations, newest first, until the schema is at `target`; returns the version.
pub(crate) fn down_to(conn: &mut Connection, target: u32) -> Result<u32, StoreError> {
    let start = user_version(conn)?;
    check_not_newer(start)?;
    let mut current = start;
    for m in MIGRATIONS.iter().rev().filter(|m| m.version <= start && m.version > target) {
        apply(conn, m.down, None, m.version - 1).map_err(|e| step_failed(m, "down", e))?;
        tracing::info!(version = m.version, name = m.name, "reverted migration");
        current = m.version - 1;
    }
    Ok(current)
}

fn apply(
    conn: &mut Connection,
    sql: &str,
    after: Option<AfterStep>,
    version: u32,
) -> Result<(), StoreError> {
    let tx =
        conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_rusqlite)?;
    tx.execute_batch(sql).map_err(map_rusqlite)?;
    if let Some(after) = after {
        after(&tx)?;
    }
    // user_version lives in the database header, so it commits (or not) with the step.
    tx.pragma_update(None, "user_version", version).map_err(map_rusqlite)?;
    tx.commit().map_err(map_rusqlite)
}

fn step_failed(m: &Migration, direction: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Busy => StoreError::Busy,
        other => StoreError::Migration(format!(
            "migration {:04}_{} ({direction}) failed: {other}",
            m.version, m.name
        )),
    }
}
