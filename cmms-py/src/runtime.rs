//! The one process-wide tokio runtime, and running a store call on it with the GIL released
//! while staying interruptible by Ctrl-C.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::runtime::Runtime;

/// The runtime and the process that built it: a forked child must not use its parent's
/// runtime (its worker threads did not survive the fork), so it builds its own.
static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// How often a waiting call looks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

pub(crate) fn runtime() -> PyResult<Arc<Runtime>> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((owner, rt)) = slot.as_ref() {
        if *owner == pid {
            return Ok(rt.clone());
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("cmms-runtime")
        .enable_all()
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the cmms runtime: {e}")))?;
    let rt = Arc::new(rt);
    if let Some((_, inherited)) = slot.replace((pid, rt.clone())) {
        // Dropping a runtime inherited through fork would wait for threads that do not exist
        // in this process; let it go without running its destructor.
        std::mem::forget(inherited);
    }
    Ok(rt)
}

/// Runs the future built by `make` on the runtime with the GIL released, checking for signals
/// every 50 ms so Ctrl-C raises `KeyboardInterrupt` (the call is abandoned; a commit that
/// already reached the database completes or rolls back on its own).
pub(crate) fn run<T, Fut, F>(py: Python<'_>, make: F) -> PyResult<T>
where
    T: Send,
    Fut: Future<Output = PyResult<T>>,
    F: FnOnce() -> Fut + Send,
{
    let rt = runtime()?;
    crate::logging::refresh_if_stale(py);
    py.detach(move || {
        rt.block_on(async move {
            let fut = make();
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    out = &mut fut => return out,
                    () = tokio::time::sleep(SIGNAL_POLL) => {
                        // While the interpreter shuts down it cannot be attached to: keep waiting
                        // quietly instead of failing (or aborting) a daemon thread.
                        if let Some(checked) = Python::try_attach(|py| py.check_signals()) {
                            checked?;
                        }
                    }
                }
            }
        })
    })
}
