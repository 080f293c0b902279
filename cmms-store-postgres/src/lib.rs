//! # cmms-store-postgres
//!
//! The PostgreSQL backend of cmms (DESIGN §4): a [`PgStore`] implements [`cmms_core::Store`]
//! with sqlx runtime queries (no compile-time database needed), embedded migrations, row-level
//! security on every tenant table, and LISTEN/NOTIFY so that every store on one database —
//! several server replicas — delivers every committed event to its subscribers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cmms_core::StoreError> {
//! use cmms_store_postgres::PgStore;
//! let store = PgStore::connect_default("postgres://cmms@localhost/cmms").await?;
//! store.migrate().await?; // the library never migrates on its own
//! let cmms = cmms_core::Cmms::new(std::sync::Arc::new(store));
//! # let _ = cmms; Ok(()) }
//! ```
//!
//! ## Roles and row-level security
//!
//! Connect as the user that owns (or will own) the tables. [`PgStore::migrate`] runs as that
//! user; it creates the role `cmms_app` (no login) if missing, grants it the table privileges
//! and lets the connecting user `SET ROLE` to it. Every pooled connection switches to that role
//! right after connecting, so the store's queries run as a role that owns nothing and is no
//! superuser: the `FORCE`d policies apply, and every transaction first sets `cmms.org_id`, so a
//! query that forgot its tenant filter still sees only that org's rows. The tenant is set in the
//! same message as `BEGIN` (one round trip) and is transaction-local: a connection between two
//! calls has no tenant and sees nothing.
//!
//! ## Commits
//!
//! Concurrent commits of one organization share a transaction (group commit, as on SQLite): a
//! task per org folds the commits waiting for it into one `BEGIN … COMMIT`, with each table's
//! inserts and versioned updates as one statement and the audit chain and outbox in two. A
//! changeset that fails (a stale version, a unique key, a panic in core's numbering) fails
//! alone; the others commit. [`PgStore::commit_stats`] shows how many transactions that took.

#![warn(missing_docs)]

mod apply;
mod auth;
mod bulk;
mod chain;
mod commit;
mod committer;
mod error;
mod events;
mod list;
pub mod migrate;
mod reads;
mod record;
mod rows;
mod search;
mod sql;
mod stock;
mod store_impl;
#[cfg(feature = "test-server")]
pub mod testing;

use cmms_core::StoreError;
use cmms_core::domain::event::CommittedBatch;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

pub use migrate::LATEST as LATEST_SCHEMA_VERSION;

/// A connection URL without its password (`postgres://user:***@host/db`), for logs and error
/// messages. URLs without credentials come back unchanged.
///
/// ```
/// assert_eq!(
///     cmms_store_postgres::redacted_url("postgres://app:s3cret@db:5432/cmms"),
///     "postgres://app:***@db:5432/cmms"
/// );
/// ```
pub fn redacted_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:***@{host}")
            }
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Capacity of the committed-batch broadcast channel; slower subscribers see `Lagged` and
/// resume from `events_since`.
const BROADCAST_CAPACITY: usize = 1024;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Most pooled connections (default 10). The event listener uses one more of its own.
    pub max_connections: u32,
    /// How long a call waits for a free connection before `StoreError::Busy` (default 5 s).
    pub acquire_timeout: Duration,
    /// Longest a statement may run before it is cancelled with `StoreError::Busy` (default
    /// 30 s; zero disables it; `None` keeps the server's setting).
    pub statement_timeout: Option<Duration>,
    /// The role queries run as (default `cmms_app`, created by the migrations).
    pub app_role: String,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_secs(30)),
            app_role: "cmms_app".into(),
        }
    }
}

/// A cmms store on PostgreSQL. Cheap to share behind an `Arc`; dropping it stops its event
/// tasks and closes its connections.
pub struct PgStore {
    /// Connections running as the app role.
    pool: PgPool,
    /// How to connect as the connecting (owner) user: migrations and schema checks.
    owner: PgConnectOptions,
    /// The schema version last seen.
    version: Arc<AtomicU32>,
    /// The event listener's own pool (one connection).
    listener_pool: PgPool,
    /// Kept only to hand out receivers: the dispatcher task is the one that sends.
    events: broadcast::Sender<Arc<CommittedBatch>>,
    /// The per-org group committers; they hold the only sender of committed batches to the
    /// dispatcher (dropping the store stops the event tasks once no commit is in flight).
    committer: Arc<committer::Committer>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("schema_version", &self.version.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

fn invalid_url(url: &str, e: sqlx::Error) -> StoreError {
    let said = cmms_core::error::error_chain(&e);
    StoreError::failed(format!("invalid PostgreSQL URL {}: {said}", redacted_url(url)), e)
}

impl PgStore {
    /// Connects with default options (see [`PgOptions`]).
    pub async fn connect_default(url: &str) -> Result<Self, StoreError> {
        Self::connect(url, PgOptions::default()).await
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`): checks
    /// the schema version (a database written by a newer library is refused), opens the event
    /// listener and starts the event tasks. Pooled connections open on first use. Must be
    /// called inside a tokio runtime.
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let owner = PgConnectOptions::from_str(url).map_err(|e| invalid_url(url, e))?;
        let version = migrate::current(&owner).await?;
        migrate::check_not_newer(version)?;
        let role = options.app_role.clone();
        let timeout: Option<String> = options.statement_timeout.map(|t| match t.as_millis() {
            // PostgreSQL reads 0 as "no timeout"; a positive sub-millisecond one is 1 ms.
            0 if t.is_zero() => "0".to_string(),
            ms => ms.max(1).to_string(),
        });
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            // No ping on checkout: it was a round trip on every call. A connection that died
            // while idle fails its BEGIN, which `commit::begin` retries once on another; the
            // ping on release (sqlx's) still flushes queued rollbacks and drops dead ones.
            .test_before_acquire(false)
            // Belt and braces with `detached`: a connection that comes back still counting an
            // open transaction is closed, never handed to the next caller.
            .after_release(|conn, _meta| {
                let idle = !sqlx::Connection::is_in_transaction(conn);
                if !idle {
                    tracing::error!("a pooled connection came back inside a transaction; closed");
                }
                Box::pin(async move { Ok(idle) })
            })
            .after_connect(move |conn, _meta| {
                let (role, timeout) = (role.clone(), timeout.clone());
                Box::pin(async move {
                    // = SET ROLE <role>; the value is bound, never spliced into SQL. The role name
                    // is also kept in cmms.app_role: every transaction re-asserts the role from
                    // it (see commit::begin), so a pooler or RESET ROLE that drops session state
                    // makes transactions fail instead of silently running as the login user.
                    sqlx::query("SELECT set_config('cmms.app_role', $1, false), set_config('role', $1, false)")
                        .bind(role)
                        .execute(&mut *conn)
                        .await?;
                    if let Some(timeout) = timeout {
                        sqlx::query("SELECT set_config('statement_timeout', $1, false)")
                            .bind(timeout)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with({
                // Generic record statements, lists and the commit's statements exceed sqlx's
                // default of 100 prepared statements per connection; evicting them costs a
                // Parse round trip on their next use.
                let app = owner.clone().statement_cache_capacity(512);
                match owner.get_application_name() {
                    Some(_) => app,
                    None => app.application_name("cmms"),
                }
            });
        let listener_pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(owner.clone().application_name("cmms-listener"));
        let listener = events::connect_listener(&listener_pool).await?;
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        let local = events::start(pool.clone(), listener_pool.clone(), listener, events.clone());
        Ok(Self {
            committer: Arc::new(committer::Committer::new(pool.clone(), local)),
            pool,
            listener_pool,
            owner,
            version: Arc::new(AtomicU32::new(version)),
            events,
        })
    }

    /// How many changesets were committed (or refused) and in how many transactions: concurrent
    /// commits of one org share a transaction (group commit), so under load `transactions` is
    /// well below `commits`.
    ///
    /// ```no_run
    /// # async fn demo(store: cmms_store_postgres::PgStore) {
    /// let stats = store.commit_stats();
    /// println!("{} commits in {} transactions", stats.commits, stats.transactions);
    /// # }
    /// ```
    pub fn commit_stats(&self) -> cmms_core::store::group::GroupStats {
        self.committer.stats()
    }

    /// Pooled connections: `(open, idle)` (for metrics).
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Closes every connection (the pool's and the event listener's) and waits until they are
    /// closed. Calls made afterwards fail; subscribers stop receiving events.
    pub async fn close(&self) {
        self.pool.close().await;
        self.listener_pool.close().await;
    }

    /// Applies every pending migration as the connecting user; returns the new version.
    pub async fn migrate(&self) -> Result<u32, StoreError> {
        let result = migrate::up(&self.owner).await;
        self.refresh_version().await?;
        result
    }

    /// Reverts migrations, newest first, down to schema version `target` (0 empties the
    /// database); returns the new version.
    pub async fn migrate_down_to(&self, target: u32) -> Result<u32, StoreError> {
        let result = migrate::down_to(&self.owner, target).await;
        self.refresh_version().await?;
        result
    }

    async fn refresh_version(&self) -> Result<u32, StoreError> {
        let v = migrate::current(&self.owner).await?;
        self.version.store(v, Ordering::Release);
        Ok(v)
    }

    /// `Ok` when the schema is the one this library needs; reads and commits refuse otherwise.
    /// While it is not, every call re-reads the version (another replica may have migrated).
    async fn ready(&self) -> Result<(), StoreError> {
        if self.version.load(Ordering::Acquire) == migrate::LATEST {
            return Ok(());
        }
        let v = self.refresh_version().await?;
        migrate::check_not_newer(v)?;
        if v == migrate::LATEST {
            return Ok(());
        }
        Err(StoreError::Migration(format!(
            "database is at schema version {v}, this library needs {}: call migrate()",
            migrate::LATEST
        )))
    }
}

/// Runs `work` in a task of its own and waits for it. If the caller is dropped (a client that
/// disconnected, a timeout), the work still runs to its end — a transaction reaches COMMIT or
/// ROLLBACK — instead of stopping between two statements with its connection about to go back
/// to the pool inside a transaction.
pub(crate) async fn detached<T, F>(work: F) -> Result<T, StoreError>
where
    F: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    T: Send + 'static,
{
    tokio::spawn(work).await.map_err(|e| {
        tracing::error!(error = %e, "a store task failed");
        StoreError::backend("a store task failed")
    })?
}
