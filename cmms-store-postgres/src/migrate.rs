//! Embedded schema migrations (`migrations/NNNN_name.{up,down}.sql`, the same numbers and names
//! as SQLite's), applied with sqlx's migrator on a connection of the connecting (owner) user.
//! The library never migrates on its own; `PgStore::migrate` does.

use crate::error::{connect_failed, map_sqlx};
use cmms_core::StoreError;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// Every migration, oldest first, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The schema version this library needs: the highest embedded migration.
pub const LATEST: u32 = 14;

/// The highest successfully applied migration (0 when there is none, or no bookkeeping table).
pub(crate) async fn applied_version(c: &mut PgConnection) -> Result<u32, StoreError> {
    let v: Result<i64, sqlx::Error> =
        sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(c)
            .await;
    let v = match v {
        Ok(v) => v,
        // undefined_table: never migrated.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => 0,
        Err(e) => return Err(map_sqlx(e)),
    };
    u32::try_from(v).map_err(|_| StoreError::Migration(format!("invalid schema version {v}")))
}

/// Opens a connection as the connecting user (the tables' owner), without `SET ROLE`.
pub(crate) async fn owner_connection(owner: &PgConnectOptions) -> Result<PgConnection, StoreError> {
    PgConnection::connect_with(owner).await.map_err(|e| connect_failed(owner, e))
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
pub(crate) async fn up(owner: &PgConnectOptions) -> Result<u32, StoreError> {
    let mut c = owner_connection(owner).await?;
    check_not_newer(applied_version(&mut c).await?)?;
    MIGRATOR.run(&mut c).await.map_err(failed)?;
    // Search documents are folded in Rust (cmms_core::search), so 0008's data comes after it.
    crate::search::backfill(&mut c).await?;
    let v = applied_version(&mut c).await?;
    close(c).await;
    tracing::info!(version = v, "database migrated");
    Ok(v)
}

/// Reverts migrations, newest first, down to `target`; returns the new version.
pub(crate) async fn down_to(owner: &PgConnectOptions, target: u32) -> Result<u32, StoreError> {
    let mut c = owner_connection(owner).await?;
    check_not_newer(applied_version(&mut c).await?)?;
    MIGRATOR.undo(&mut c, i64::from(target)).await.map_err(failed)?;
    let v = applied_version(&mut c).await?;
    close(c).await;
    tracing::info!(version = v, "database migrated down");
    Ok(v)
}

/// The current version, read on a fresh owner connection.
pub(crate) async fn current(owner: &PgConnectOptions) -> Result<u32, StoreError> {
    let mut c = owner_connection(owner).await?;
    let v = applied_version(&mut c).await;
    close(c).await;
    v
}

async fn close(c: PgConnection) {
    if let Err(e) = c.close().await {
        tracing::debug!(error = %e, "closing the migration connection failed");
    }
}

fn failed(e: MigrateError) -> StoreError {
    let (e, step) = match e {
        MigrateError::Execute(e) => (e, String::new()),
        MigrateError::ExecuteMigration(e, version) => (e, format!(" {version:04}")),
        other => return StoreError::Migration(other.to_string()),
    };
    match map_sqlx(e) {
        StoreError::Busy => StoreError::Busy,
        other => StoreError::Migration(format!("migration{step} failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_is_the_newest_embedded_migration() {
        let newest = MIGRATOR.iter().map(|m| m.version).max();
        assert_eq!(newest, Some(i64::from(LATEST)));
        let names: Vec<String> = MIGRATOR
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| format!("{:04}_{}", m.version, m.description))
            .collect();
        // The same numbers and names as the SQLite store's migrations.
        let sqlite: Vec<String> = cmms_store_sqlite::MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}", m.version, m.name))
            .collect();
        assert_eq!(names, sqlite);
    }
}
