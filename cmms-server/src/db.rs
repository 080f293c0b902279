//! Opening the database named by a URL, and the operations outside the `Cmms` facade that the
//! server needs: migrations, readiness, backups.

use cmms_core::{Store, StoreError};
use cmms_store_postgres::PgStore;
use cmms_store_sqlite::{SqliteOptions, SqliteStore, target_from_url};
use std::path::Path;
use std::sync::Arc;

/// `postgres://user:***@host/db`: a URL without its password, for logs and messages.
pub use cmms_store_postgres::redacted_url as redacted;

/// The store behind the server, by kind.
#[derive(Clone)]
pub enum Database {
    /// An embedded SQLite file (or memory).
    Sqlite(Arc<SqliteStore>),
    /// A PostgreSQL database.
    Postgres(Arc<PgStore>, String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite(_) => "Database::Sqlite",
            Self::Postgres(..) => "Database::Postgres",
        })
    }
}

impl Database {
    /// Opens `postgres://...` or a SQLite URL (`sqlite:///relative.db`, `sqlite:////abs.db`,
    /// `sqlite://` in memory: see `cmms_store_sqlite::target_from_url`), without migrating.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = PgStore::connect_default(url).await?;
            return Ok(Self::Postgres(Arc::new(store), url.to_string()));
        }
        let target = target_from_url(url).map_err(|e| {
            // The caller knows the URL (and shows it redacted): not repeated here.
            StoreError::failed(format!("unsupported database url: {e}, or postgres://..."), e)
        })?;
        let store = SqliteStore::open_target(target, SqliteOptions::default()).await?;
        Ok(Self::Sqlite(Arc::new(store)))
    }

    /// The store, for the `Cmms` facade.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(s) => s.clone(),
            Self::Postgres(s, _) => s.clone(),
        }
    }

    /// Applies pending migrations; returns the schema version.
    pub async fn migrate(&self) -> Result<u32, StoreError> {
        match self {
            Self::Sqlite(s) => s.migrate().await,
            Self::Postgres(s, _) => s.migrate().await,
        }
    }

    /// The schema version this server needs.
    pub fn latest_version(&self) -> u32 {
        match self {
            Self::Sqlite(_) => cmms_store_sqlite::LATEST_SCHEMA_VERSION,
            Self::Postgres(..) => cmms_store_postgres::migrate::LATEST,
        }
    }

    /// Whether the database answers and its schema is current.
    pub async fn ready(&self) -> Result<u32, String> {
        let version = self.store().schema_version().await.map_err(|e| format!("database: {e}"))?;
        if version == self.latest_version() {
            Ok(version)
        } else {
            Err(format!("schema version {version}, this server needs {}", self.latest_version()))
        }
    }

    /// Backs up: an online copy of a SQLite database into `output`; for Postgres the pg_dump
    /// command to run (returned, not run: the dump belongs to the database's tools).
    pub async fn backup(&self, output: &Path) -> Result<String, StoreError> {
        match self {
            Self::Sqlite(s) => {
                s.backup_to(output).await?;
                Ok(format!("backed up to {}", output.display()))
            }
            Self::Postgres(_, url) => Ok(format!(
                "for PostgreSQL run: pg_dump --format=custom --file='{}' '{}'",
                output.display(),
                redacted(url)
            )),
        }
    }
}
