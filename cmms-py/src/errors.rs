//! Turning Rust errors into Python exceptions: core errors become the `cmms.errors` hierarchy
//! (with `.code`, `.field`, `.errors`, `.current_version`), bad arguments `TypeError` or
//! `cmms.ValidationError` (which is also a `ValueError`). A storage error's driver error becomes
//! its `__cause__`, a `cmms.errors.DriverError` with the driver's text.

use cmms_core::CmmsError;
use cmms_core::error::FieldError;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The Python exception class for a core error code.
fn class_for(code: &str) -> &'static str {
    match code {
        "not_found" => "NotFoundError",
        "forbidden" | "unauthenticated" => "PermissionDeniedError",
        "validation_failed" => "ValidationError",
        "invalid_transition" => "InvalidTransitionError",
        "conflict" => "ConflictError",
        "insufficient_stock" => "InsufficientStockError",
        "busy" => "BusyError",
        "store_error" => "StorageError",
        _ => "CmmsError",
    }
}

/// A `cmms.errors.*` exception carrying the core error's code and details.
pub(crate) fn to_py(e: CmmsError) -> PyErr {
    Python::attach(|py| build(py, &e).unwrap_or_else(|err| err))
}

fn build(py: Python<'_>, e: &CmmsError) -> PyResult<PyErr> {
    let module = py.import("cmms.errors")?;
    let class = module.getattr(class_for(e.code()))?;
    // A conflict that names its field (a taken value, a plan's open work) lists it like a
    // validation error does, as the HTTP problem does.
    let conflict_field = match e {
        CmmsError::Conflict { field: Some(field), message, .. } => {
            vec![cmms_core::FieldError { field: field.clone(), message: message.clone() }]
        }
        _ => Vec::new(),
    };
    let errors: Vec<Bound<'_, PyDict>> = e
        .field_errors()
        .iter()
        .chain(&conflict_field)
        .map(|f| {
            let d = PyDict::new(py);
            d.set_item("field", &f.field)?;
            d.set_item("message", &f.message)?;
            Ok(d)
        })
        .collect::<PyResult<_>>()?;
    let current_version = match e {
        CmmsError::Conflict { current_version, .. } => *current_version,
        _ => None,
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", e.code())?;
    kwargs.set_item("errors", errors)?;
    kwargs.set_item("current_version", current_version)?;
    // The numbers of a refused stock change, as text (the Python class makes them Decimals).
    if let CmmsError::InsufficientStock { part, location, available, requested } = e {
        kwargs.set_item("part", part)?;
        kwargs.set_item("location", location)?;
        kwargs.set_item("available", available)?;
        kwargs.set_item("requested", requested)?;
    }
    let instance = class.call((e.to_string(),), Some(&kwargs))?;
    let err = PyErr::from_value(instance);
    // The driver's own text, as the exception's `__cause__`.
    if let CmmsError::Store(failure) = e {
        if let Some(said) = failure.driver_message() {
            let driver = module.getattr("DriverError")?.call1((said,))?;
            err.set_cause(py, Some(PyErr::from_value(driver)));
        }
    }
    Ok(err)
}

/// A problem with one argument of a call, found while decoding: a validation problem naming
/// the caller's argument, or (for a value of the wrong type, a programming error) the
/// `TypeError` to raise.
pub(crate) fn arg_problem(
    e: serde_path_to_error::Error<serde_json::Error>,
) -> Result<FieldError, PyErr> {
    let path = callers_path(&e.path().to_string());
    let inner = e.into_inner().to_string();
    // serde_json appends " at line L column C"; the position in our own JSON means nothing to
    // the caller.
    let mut message = inner.split(" at line ").next().unwrap_or(&inner).to_string();
    // Core's vocabularies report "validation failed: <field>: <problem>"; the path already
    // names the argument.
    if let Some(rest) = message.strip_prefix("validation failed: ") {
        message = rest.split_once(": ").map_or(rest, |(_, problem)| problem).to_string();
    }
    if message.starts_with("invalid type") || message.starts_with("missing field") {
        return Err(PyTypeError::new_err(format!("{path}: {message}")));
    }
    let field = if path == "." { "arguments".to_string() } else { path };
    Ok(FieldError { field, message })
}

/// The argument as the Python caller wrote it: without the wrappers the Python layer adds
/// (`patch.`, `filter.`) or the tag of a role reference (`role.builtin`).
fn callers_path(path: &str) -> String {
    let path = path.strip_prefix("patch.").or_else(|| path.strip_prefix("filter.")).unwrap_or(path);
    let path =
        path.strip_suffix(".builtin").or_else(|| path.strip_suffix(".custom")).unwrap_or(path);
    path.to_string()
}

/// A validation error listing every problem.
pub(crate) fn invalid(problems: Vec<FieldError>) -> PyErr {
    to_py(CmmsError::Validation(problems))
}

/// Encoding a result failed (should not happen: every result type serializes).
pub(crate) fn encode_failed(e: serde_json::Error) -> PyErr {
    PyRuntimeError::new_err(format!("cannot encode the result: {e}"))
}
