//! Rust `tracing` events as records of Python's `logging`, on the logger `cmms` (levels mapped:
//! ERROR 40, WARN 30, INFO 20, DEBUG 10, TRACE 5), so `logging.basicConfig(...)` or pytest's
//! `caplog` shows what the stores report. Events of the cmms crates are forwarded at every
//! level, other crates' (sqlx's) from WARN up.
//!
//! A small layer of our own rather than `pyo3-log`: that crate bridges the `log` crate (tracing
//! would need its `log` feature across the workspace), names loggers after Rust modules, and
//! caches levels until told to reset, which `logger.setLevel(...)` never does.
//!
//! Cheap when the logger is not enabled: the logger's effective level is cached without the GIL
//! and refreshed on every call into the module (at most every 100 ms) and, for events, at least
//! every second; only an event the cached level lets through attaches to the interpreter, and
//! `isEnabledFor` has the last word. Nothing waits for, or panics on, an interpreter that is
//! shutting down: such events are dropped.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use std::fmt::Write as _;
use std::sync::Once;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};

/// The `cmms` logger.
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// The logger's effective level at the last refresh (`logging.WARNING` until the first).
static LEVEL: AtomicU8 = AtomicU8::new(30);
/// When the level was last refreshed, in milliseconds since `epoch()`.
static REFRESHED_MS: AtomicU64 = AtomicU64::new(0);

/// A call into the module refreshes the cached level when it is older than this.
const CALL_REFRESH: Duration = Duration::from_millis(100);
/// An event refreshes it (attaching to the interpreter) when it is older than this.
const EVENT_REFRESH: Duration = Duration::from_secs(1);

fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn since_refresh() -> Duration {
    let now = u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(now.saturating_sub(REFRESHED_MS.load(Ordering::Relaxed)))
}

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("logging")?.call_method1("getLogger", ("cmms",))?.unbind())
        })
        .map(|l| l.bind(py))
}

/// Reads the logger's effective level into the cache.
fn refresh(py: Python<'_>) -> PyResult<()> {
    let level: i64 = logger(py)?.call_method0("getEffectiveLevel")?.extract()?;
    LEVEL.store(u8::try_from(level.clamp(0, 255)).unwrap_or(u8::MAX), Ordering::Relaxed);
    let now = u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX);
    REFRESHED_MS.store(now, Ordering::Relaxed);
    Ok(())
}

/// Refreshes the cached level now (opening a database: a test or script that just set the
/// level sees the events of the open and of migrating).
pub(crate) fn refresh_now(py: Python<'_>) {
    let _ = refresh(py);
}

/// Refreshes the cached level if it is older than 100 ms (called on the way into the module,
/// where the GIL is held anyway, so a `setLevel` takes effect for the calls that follow).
pub(crate) fn refresh_if_stale(py: Python<'_>) {
    if since_refresh() >= CALL_REFRESH {
        // A broken logging setup must not break the call; events then go by the old level.
        let _ = refresh(py);
    }
}

/// Installs the bridge as the process's tracing subscriber, once. An application that set its
/// own subscriber first keeps it.
pub(crate) fn install(py: Python<'_>) {
    static INSTALL: Once = Once::new();
    refresh_now(py);
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(PythonLogging);
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// The Python level of a tracing level.
fn python_level(level: Level) -> u8 {
    match level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// The layer.
struct PythonLogging;

impl<S: Subscriber> Layer<S> for PythonLogging {
    /// Static, so tracing caches it per call site: spans and other crates' chatter cost nothing.
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        metadata.is_event()
            && (metadata.target().starts_with("cmms") || *metadata.level() <= Level::WARN)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let level = python_level(*event.metadata().level());
        let stale = since_refresh() >= EVENT_REFRESH;
        if level < LEVEL.load(Ordering::Relaxed) && !stale {
            return;
        }
        let mut text = Text::default();
        event.record(&mut text);
        // `None`: the interpreter is not there (shutting down); the event is dropped.
        let _ = Python::try_attach(|py| -> PyResult<()> {
            if stale {
                refresh(py)?;
            }
            let logger = logger(py)?;
            if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                return Ok(());
            }
            let extra = PyDict::new(py);
            extra.set_item("rust_target", event.metadata().target())?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("extra", extra)?;
            logger.call_method("log", (level, "%s", text.finish()), Some(&kwargs))?;
            Ok(())
        });
    }
}

/// An event as one line: its message, then `field=value` for the other fields.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(self) -> String {
        if self.fields.is_empty() {
            self.message
        } else {
            format!("{}{}", self.message, self.fields)
        }
    }
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}
