//! # cmms-store-sqlite
//!
//! The embedded SQLite backend of cmms (DESIGN §4): a [`SqliteStore`] implements
//! [`cmms_core::Store`] on one database file in WAL mode, with ONE writer thread (write
//! transactions are `BEGIN IMMEDIATE`) and a small pool of reader threads, so blocking SQLite
//! work never runs on the async executor. Commits that wait for the writer at the same time
//! share one transaction (group commit), each still all-or-nothing; see
//! [`SqliteStore::writer_stats`].
//!
//! Database URLs are read by [`target_from_url`] (SQLAlchemy's convention: `sqlite:///rel.db`,
//! `sqlite:////abs.db`, `sqlite://` in memory), the one parser the server and the Python
//! bindings share.
//!
//! Subscribers get this store's commits as they happen. Commits made through another
//! connection — another process on the same file — reach them within about [`WATCH_INTERVAL`]
//! (0.2 s): while anyone subscribes, the writer looks at `PRAGMA data_version` that often and,
//! when another connection committed, sends each organization an empty batch, on which
//! `Cmms::subscribe` reads the outbox back. With no subscriber this costs nothing measurable.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cmms_core::StoreError> {
//! use cmms_store_sqlite::SqliteStore;
//! let store = SqliteStore::open("cmms.db").await?;
//! store.migrate().await?; // the library never migrates on its own
//! let cmms = cmms_core::Cmms::new(std::sync::Arc::new(store));
//! # let _ = cmms; Ok(()) }
//! ```

#![warn(missing_docs)]

mod apply;
mod auth;
mod commit;
mod conn;
mod error;
mod group;
mod list;
pub mod migrate;
mod reads;
mod record;
mod rows;
mod search;
mod sql;
mod stock;
mod store_impl;
mod url;
mod watch;

use cmms_core::StoreError;
use cmms_core::domain::event::CommittedBatch;
use conn::{Target, Threads};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

pub use migrate::{LATEST as LATEST_SCHEMA_VERSION, MIGRATIONS, Migration};
pub use url::{SqliteTarget, URL_FORMS, UrlError, target_from_url};
pub use watch::CHECK_EVERY as WATCH_INTERVAL;

/// Capacity of the committed-batch broadcast channel; slower subscribers see `Lagged` and
/// resume from `events_since`.
const BROADCAST_CAPACITY: usize = 1024;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Reader threads, each with its own connection (default 4; 0 sends reads to the writer).
    pub readers: usize,
    /// How long a connection waits for a lock before reporting `StoreError::Busy` (default 5 s).
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { readers: 4, busy_timeout: Duration::from_secs(5) }
    }
}

/// Counts from [`SqliteStore::writer_stats`]: changesets committed or refused, and the SQLite
/// transactions the writer ran for them (a refused group re-runs its members and counts those).
pub use cmms_core::store::group::GroupStats as WriterStats;

/// A cmms store on SQLite. Cheap to share behind an `Arc`; dropping it ends its threads.
pub struct SqliteStore {
    threads: Threads,
    /// The schema version last seen (at open and after migrating).
    version: Arc<AtomicU32>,
    events: broadcast::Sender<Arc<CommittedBatch>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("schema_version", &self.version.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` with default options.
    /// `":memory:"` (or `"sqlite::memory:"`) opens a private in-memory database on one shared
    /// connection (see [`SqliteStore::open_in_memory`]).
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions::default()).await
    }

    /// Opens the database file at `path` with `options`. Fails with `StoreError::Migration` when
    /// the database was written by a newer library.
    pub async fn open_with(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let target = if path == Path::new(":memory:") || path == Path::new("sqlite::memory:") {
            Target::Memory
        } else {
            Target::File(path.to_path_buf())
        };
        Self::start(target, options).await
    }

    /// Opens the database a URL names (see [`target_from_url`]) with `options`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cmms_store_sqlite::{SqliteOptions, SqliteStore, target_from_url};
    /// let target = target_from_url("sqlite://")?;
    /// let store = SqliteStore::open_target(target, SqliteOptions::default()).await?;
    /// # let _ = store; Ok(()) }
    /// ```
    pub async fn open_target(
        target: SqliteTarget,
        options: SqliteOptions,
    ) -> Result<Self, StoreError> {
        match target {
            SqliteTarget::File(path) => Self::start(Target::File(path), options).await,
            SqliteTarget::Memory => Self::start(Target::Memory, options).await,
        }
    }

    /// A private in-memory database on ONE shared connection: reads go to the writer thread, so
    /// a write is visible to the next read. Gone when the store is dropped.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        Self::start(Target::Memory, SqliteOptions::default()).await
    }

    async fn start(target: Target, options: SqliteOptions) -> Result<Self, StoreError> {
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        let threads =
            Threads::start(target, options.readers, options.busy_timeout, events.clone()).await?;
        let version = threads.write(|c| migrate::user_version(c)).await?;
        migrate::check_not_newer(version)?;
        Ok(Self { threads, version: Arc::new(AtomicU32::new(version)), events })
    }

    /// What the writer has done since the store opened: concurrent commits that find each
    /// other in the writer's queue share one transaction (group commit), so `transactions`
    /// grows slower than `commits` under load.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), cmms_core::StoreError> {
    /// let store = cmms_store_sqlite::SqliteStore::open_in_memory().await?;
    /// let stats = store.writer_stats();
    /// assert_eq!((stats.commits, stats.transactions), (0, 0));
    /// # Ok(()) }
    /// ```
    pub fn writer_stats(&self) -> WriterStats {
        let c = &self.threads.counters;
        WriterStats {
            commits: c.commits.load(Ordering::Relaxed),
            transactions: c.transactions.load(Ordering::Relaxed),
        }
    }

    /// Applies every pending migration (each in its own transaction); returns the new version.
    pub async fn migrate(&self) -> Result<u32, StoreError> {
        let result = self.threads.write(migrate::up).await;
        self.refresh_version().await?;
        result
    }

    /// Reverts migrations, newest first, down to schema version `target` (0 empties the
    /// database); returns the new version.
    pub async fn migrate_down_to(&self, target: u32) -> Result<u32, StoreError> {
        let result = self.threads.write(move |c| migrate::down_to(c, target)).await;
        self.refresh_version().await?;
        result
    }

    /// Writes a consistent copy of the database to `path` (SQLite's online backup, read from a
    /// snapshot, so writers are not blocked). The copy is a complete database file.
    pub async fn backup_to(&self, path: impl AsRef<Path>) -> Result<(), StoreError> {
        let path = path.as_ref().to_path_buf();
        self.read(move |c| {
            let mut dst = rusqlite::Connection::open(&path)
                .map_err(|e| error::open_failed(Some(&path), e))?;
            let backup = rusqlite::backup::Backup::new(c, &mut dst).map_err(error::map_rusqlite)?;
            backup
                .run_to_completion(256, Duration::from_millis(5), None)
                .map_err(error::map_rusqlite)
        })
        .await
    }

    async fn refresh_version(&self) -> Result<(), StoreError> {
        let v = self.threads.write(|c| migrate::user_version(c)).await?;
        self.version.store(v, Ordering::Release);
        Ok(())
    }

    /// `Ok` when the schema is the one this library needs; reads and commits refuse otherwise.
    fn ready(&self) -> Result<(), StoreError> {
        let v = self.version.load(Ordering::Acquire);
        if v == migrate::LATEST {
            return Ok(());
        }
        Err(StoreError::Migration(format!(
            "database is at schema version {v}, this library needs {}: call migrate()",
            migrate::LATEST
        )))
    }

    /// Runs a read on a reader thread once the schema is ready.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.ready()?;
        self.threads.read(f).await
    }
}
