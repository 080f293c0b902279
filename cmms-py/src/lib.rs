//! `cmms._cmms`: the native half of the `cmms` Python package. It opens stores, resolves actors
//! and runs use cases on one process-wide tokio runtime with the GIL released. The Python half
//! (`python/cmms/`) gives it its pythonic shape: keyword arguments, typed result classes and
//! exceptions. Arguments and results cross the boundary as JSON text in core's serde format.

mod dispatch;
mod dispatch_inventory;
mod dispatch_notify;
mod dispatch_pm;
mod dispatch_webhooks;
mod errors;
mod files;
mod logging;
mod mail;
mod runtime;
mod webhooks;

use cmms_core::{Actor, Cmms, CmmsError, OrgId, UserId};
use cmms_store_postgres::PgStore;
use cmms_store_sqlite::{SqliteOptions, SqliteStore, target_from_url};
use errors::to_py;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The concrete store behind a `Native`, for the operations outside the facade (migrations).
enum Backend {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PgStore>),
}

struct Open {
    cmms: Cmms,
    backend: Backend,
    /// Delivers the mail outbox (`smtp_url=`), if configured.
    mail: Option<Arc<dyn cmms_core::service::mail::MailTransport>>,
    /// Attachment content (`files_url`), if the database was opened with one.
    files: Option<cmms_files::FileStore>,
    /// The webhook HTTP client.
    webhooks: Arc<dyn cmms_core::domain::webhook::WebhookSender>,
}

/// An open database.
#[pyclass(module = "cmms._cmms", frozen)]
struct Native {
    inner: Mutex<Option<Arc<Open>>>,
    /// The process that opened it: a forked child must not use its parent's connections
    /// (SQLite threads that do not exist here, Postgres sockets shared with the parent).
    pid: u32,
    /// Flips to `true` on close, ending live subscriptions.
    closed: tokio::sync::watch::Sender<bool>,
}

/// Refuses a handle inherited through `fork`.
fn check_process(pid: u32) -> PyResult<()> {
    if pid == std::process::id() {
        Ok(())
    } else {
        Err(PyRuntimeError::new_err(
            "this database was opened in another process (before a fork); open it again here",
        ))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn store_err(e: cmms_core::StoreError) -> PyErr {
    to_py(CmmsError::from(e))
}

impl Native {
    fn open_db(&self) -> PyResult<Arc<Open>> {
        check_process(self.pid)?;
        lock(&self.inner).clone().ok_or_else(|| PyRuntimeError::new_err("the database is closed"))
    }
}

#[pymethods]
impl Native {
    /// Opens `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://` (memory) or
    /// `postgres://...` (`cmms_store_sqlite::target_from_url` reads SQLite URLs).
    #[staticmethod]
    #[pyo3(signature = (
        url, smtp_url=None, mail_from=None, public_url=None, files_url=None,
        webhooks_allow_private=false, webhooks_timeout=10.0
    ))]
    #[allow(clippy::too_many_arguments)]
    fn open(
        py: Python<'_>,
        url: String,
        smtp_url: Option<String>,
        mail_from: Option<String>,
        public_url: Option<String>,
        files_url: Option<String>,
        webhooks_allow_private: bool,
        webhooks_timeout: f64,
    ) -> PyResult<Native> {
        logging::refresh_now(py);
        let hooks = webhooks::sender(webhooks_allow_private, webhooks_timeout)?;
        let transport = mail::transport(smtp_url.as_deref(), mail_from.as_deref())?;
        let files = match files_url {
            Some(u) => Some(cmms_files::FileStore::from_url(&u).map_err(to_py)?),
            None => None,
        };
        let open = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = runtime::run(py, move || async move {
                PgStore::connect_default(&url).await.map_err(store_err)
            })?;
            let store = Arc::new(store);
            Open {
                cmms: Cmms::new(store.clone()),
                backend: Backend::Postgres(store),
                mail: None,
                files,
                webhooks: hooks,
            }
        } else {
            let target = target_from_url(&url).map_err(|e| {
                PyValueError::new_err(format!(
                    "unsupported database url '{}': {e}, or postgres://user@host/db",
                    cmms_store_postgres::redacted_url(&url)
                ))
            })?;
            let store = runtime::run(py, move || async move {
                SqliteStore::open_target(target, SqliteOptions::default()).await.map_err(store_err)
            })?;
            let store = Arc::new(store);
            Open {
                cmms: Cmms::new(store.clone()),
                backend: Backend::Sqlite(store),
                mail: None,
                files,
                webhooks: hooks,
            }
        };
        let open = Open { cmms: mail::configure(open.cmms, public_url), mail: transport, ..open };
        let (closed, _) = tokio::sync::watch::channel(false);
        Ok(Native { inner: Mutex::new(Some(Arc::new(open))), pid: std::process::id(), closed })
    }

    /// Delivers the mail that is due at `now` (RFC 3339, or the clock's time); JSON report.
    #[pyo3(signature = (now=None))]
    fn deliver_mail(&self, py: Python<'_>, now: Option<String>) -> PyResult<String> {
        let db = self.open_db()?;
        runtime::run(
            py,
            move || async move { mail::deliver(&db.cmms, db.mail.as_ref(), now).await },
        )
    }

    /// Delivers the events waiting for webhook subscriptions at `now` (RFC 3339, or the
    /// clock's time); JSON report.
    #[pyo3(signature = (now=None))]
    fn deliver_webhooks(&self, py: Python<'_>, now: Option<String>) -> PyResult<String> {
        let db = self.open_db()?;
        runtime::run(py, move || async move {
            webhooks::deliver(&db.cmms, db.webhooks.as_ref(), now).await
        })
    }

    /// Sends a `webhook.test` message to a subscription now; the log row as JSON.
    fn test_webhook(&self, py: Python<'_>, actor: &NativeActor, id: String) -> PyResult<String> {
        let db = self.open_db()?;
        let actor = actor.actor.clone();
        runtime::run(py, move || async move {
            webhooks::test(&db.cmms, &actor, db.webhooks.as_ref(), &id).await
        })
    }

    /// Queues a password-reset mail; whether an active user has this email.
    fn request_password_reset(
        &self,
        py: Python<'_>,
        org_id: String,
        email: String,
    ) -> PyResult<bool> {
        let db = self.open_db()?;
        runtime::run(py, move || async move {
            mail::request_password_reset(&db.cmms, &org_id, &email).await
        })
    }

    /// The mail outbox of the actor's organization (JSON, no bodies).
    #[pyo3(signature = (actor, status=None, limit=100))]
    fn mail_outbox(
        &self,
        py: Python<'_>,
        actor: &NativeActor,
        status: Option<String>,
        limit: u32,
    ) -> PyResult<String> {
        let db = self.open_db()?;
        let actor = actor.actor.clone();
        runtime::run(py, move || async move {
            mail::outbox(&db.cmms, &actor, status.as_deref(), limit).await
        })
    }

    /// Applies pending migrations; returns the schema version.
    fn migrate(&self, py: Python<'_>) -> PyResult<u32> {
        let db = self.open_db()?;
        runtime::run(py, move || async move {
            match &db.backend {
                Backend::Sqlite(s) => s.migrate().await.map_err(store_err),
                Backend::Postgres(s) => s.migrate().await.map_err(store_err),
            }
        })
    }

    /// The database's schema version.
    fn schema_version(&self, py: Python<'_>) -> PyResult<u32> {
        let db = self.open_db()?;
        runtime::run(py, move || async move {
            db.cmms.store().schema_version().await.map_err(store_err)
        })
    }

    /// Closes the database (further calls raise); idempotent. A Postgres pool's connections
    /// are closed right away rather than when the last reference goes.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        check_process(self.pid)?;
        let taken = lock(&self.inner).take();
        self.closed.send_replace(true);
        if let Some(Backend::Postgres(store)) = taken.as_ref().map(|db| &db.backend) {
            let store = store.clone();
            runtime::run(py, move || async move {
                store.close().await;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        lock(&self.inner).is_none()
    }

    /// The actor for a user of an organization.
    fn actor(&self, py: Python<'_>, org_id: &str, user_id: &str) -> PyResult<NativeActor> {
        let org: OrgId = org_id.parse().map_err(to_py)?;
        let user: UserId = user_id.parse().map_err(to_py)?;
        let db = self.open_db()?;
        let actor =
            runtime::run(py, move || async move { db.cmms.actor(org, user).await.map_err(to_py) })?;
        Ok(NativeActor { actor })
    }

    /// The system actor of an organization: every permission, no user (jobs, imports, tools).
    fn system_actor(&self, org_id: &str) -> PyResult<NativeActor> {
        let org: OrgId = org_id.parse().map_err(to_py)?;
        self.open_db()?;
        Ok(NativeActor { actor: Actor::system(org) })
    }

    /// Runs use case `method` with JSON `args`, as `actor` (or without one where allowed);
    /// returns the JSON result.
    #[pyo3(signature = (method, actor, args))]
    fn call(
        &self,
        py: Python<'_>,
        method: String,
        actor: Option<&NativeActor>,
        args: String,
    ) -> PyResult<String> {
        let db = self.open_db()?;
        let actor = actor.map(|a| a.actor.clone());
        runtime::run(py, move || async move {
            match &actor {
                Some(a) => dispatch::call(&db.cmms, a, &method, &args).await,
                None => dispatch::call_without_actor(&db.cmms, &method, &args).await,
            }
        })
    }

    /// Attaches a file (exactly one of `path`, `data`, `reader`) to an entity; returns the
    /// attachment as JSON.
    #[pyo3(signature = (actor, entity_type, entity_id, name, content_type=None, path=None, data=None, reader=None))]
    #[allow(clippy::too_many_arguments)]
    fn attach(
        &self,
        py: Python<'_>,
        actor: &NativeActor,
        entity_type: String,
        entity_id: String,
        name: String,
        content_type: Option<String>,
        path: Option<String>,
        data: Option<Vec<u8>>,
        reader: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        let db = self.open_db()?;
        let actor = actor.actor.clone();
        let source = match (path, data, reader) {
            (Some(p), None, None) => files::Source::Path(p),
            (None, Some(d), None) => files::Source::Data(d),
            (None, None, Some(r)) => files::Source::Reader(r),
            _ => return Err(PyValueError::new_err("give exactly one of path, data, reader")),
        };
        let entity = (entity_type, entity_id);
        runtime::run(py, move || async move {
            files::upload(&db.cmms, db.files.as_ref(), &actor, entity, name, content_type, source)
                .await
        })
    }

    /// The files on an entity, as JSON.
    fn attachments(
        &self,
        py: Python<'_>,
        actor: &NativeActor,
        entity_type: String,
        entity_id: String,
    ) -> PyResult<String> {
        let db = self.open_db()?;
        let actor = actor.actor.clone();
        runtime::run(py, move || async move {
            files::list(&db.cmms, &actor, (entity_type, entity_id)).await
        })
    }

    /// One attachment, as JSON.
    fn attachment(&self, py: Python<'_>, actor: &NativeActor, id: String) -> PyResult<String> {
        let db = self.open_db()?;
        let actor = actor.actor.clone();
        runtime::run(py, move || async move { files::get(&db.cmms, &actor, id).await })
    }

    /// An attachment's bytes (checked against its SHA-256), or `None` once written to `path`.
    #[pyo3(signature = (actor, id, path=None))]
    fn download(
        &self,
        py: Python<'_>,
        actor: &NativeActor,
        id: String,
        path: Option<String>,
    ) -> PyResult<Option<Py<pyo3::types::PyBytes>>> {
        let db = self.open_db()?;
        let actor = actor.actor.clone();
        let got = runtime::run(py, move || async move {
            files::download(&db.cmms, db.files.as_ref(), &actor, id, path).await
        })?;
        Ok(files::bytes_to_py(py, got))
    }

    /// Removes an attachment (and its content once nothing references it); returns it as JSON.
    fn detach(&self, py: Python<'_>, actor: &NativeActor, id: String) -> PyResult<String> {
        let db = self.open_db()?;
        let actor = actor.actor.clone();
        runtime::run(py, move || async move {
            files::delete(&db.cmms, db.files.as_ref(), &actor, id).await
        })
    }

    /// A live event subscription for `actor`, starting after sequence number `after`.
    fn subscribe(&self, actor: &NativeActor, after: i64) -> PyResult<NativeSubscription> {
        let db = self.open_db()?;
        let sub = db.cmms.subscribe(&actor.actor, after).map_err(to_py)?;
        Ok(NativeSubscription {
            sub: Arc::new(tokio::sync::Mutex::new(sub)),
            closed: self.closed.subscribe(),
            pid: self.pid,
        })
    }
}

/// A resolved caller: a user with their grants and teams.
#[pyclass(module = "cmms._cmms", frozen)]
struct NativeActor {
    actor: Actor,
}

#[pymethods]
impl NativeActor {
    /// The organization id.
    #[getter]
    fn org_id(&self) -> String {
        self.actor.org().to_string()
    }

    /// The user id (`None` for the system).
    #[getter]
    fn user_id(&self) -> Option<String> {
        self.actor.user_id().map(|u| u.to_string())
    }
}

/// A live event subscription.
#[pyclass(module = "cmms._cmms", frozen)]
struct NativeSubscription {
    sub: Arc<tokio::sync::Mutex<cmms_core::service::EventSubscription>>,
    closed: tokio::sync::watch::Receiver<bool>,
    pid: u32,
}

#[pymethods]
impl NativeSubscription {
    /// The next event as JSON, or `None` when `timeout` seconds pass without one.
    #[pyo3(signature = (timeout=None))]
    fn next(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<String>> {
        check_process(self.pid)?;
        let wait = match timeout {
            // A timeout too long for a Duration waits as long as `None` does.
            Some(t) if t.is_finite() && t >= 0.0 => Duration::try_from_secs_f64(t).ok(),
            Some(_) => {
                return Err(PyValueError::new_err(
                    "timeout must be a non-negative number of seconds",
                ));
            }
            None => None,
        };
        let (sub, mut closed) = (self.sub.clone(), self.closed.clone());
        runtime::run(py, move || async move {
            let ended = || PyRuntimeError::new_err("the database was closed");
            if *closed.borrow() {
                return Err(ended());
            }
            let mut sub = sub.lock().await;
            let next = tokio::select! {
                biased;
                ev = sub.next() => ev,
                _ = closed.changed() => return Err(ended()),
                () = async {
                    match wait {
                        Some(w) => tokio::time::sleep(w).await,
                        None => std::future::pending().await,
                    }
                } => return Ok(None),
            };
            let ev = next.map_err(to_py)?;
            serde_json::to_string(&ev).map(Some).map_err(errors::encode_failed)
        })
    }

    /// The last sequence number scanned.
    #[getter]
    fn last_seq(&self) -> PyResult<i64> {
        self.sub
            .try_lock()
            .map(|s| s.last_seq())
            .map_err(|_| PyRuntimeError::new_err("the subscription is busy in another thread"))
    }
}

/// The PM schedule engine on plain data (no database, no clock): `op` is `next_due` or
/// `forecast`; arguments and result are JSON.
#[pyfunction]
fn pm_engine(op: &str, args: &str) -> PyResult<String> {
    dispatch_pm::engine(op, args)
}

/// The native module.
#[pymodule]
fn _cmms(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install(m.py());
    m.add_function(wrap_pyfunction!(pm_engine, m)?)?;
    m.add_class::<Native>()?;
    m.add_class::<NativeActor>()?;
    m.add_class::<NativeSubscription>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Core's one page bound, so the Python defaults cannot drift from it.
    m.add("DEFAULT_LIMIT", cmms_core::store::DEFAULT_LIMIT)?;
    m.add("MAX_LIMIT", cmms_core::store::MAX_LIMIT)?;
    Ok(())
}
