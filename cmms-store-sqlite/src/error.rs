//! The one place where rusqlite errors become backend-neutral `StoreError`s.

use cmms_core::StoreError;
use rusqlite::ErrorCode;
use rusqlite::ffi;
use std::path::Path;

/// The CHECK constraint that keeps stock from going below zero, and what its violation says.
const STOCK_CHECK: &str = "stock_quantities";
const STOCK_MESSAGE: &str = "stock would go below zero or reserve more than is on hand";

/// Maps a rusqlite error: unique / primary-key violations are `Conflict` (naming the constraint's
/// columns, never the values), foreign-key violations `InvalidReference`, SQLITE_BUSY and
/// SQLITE_LOCKED `Busy`, and anything else `Backend`.
pub(crate) fn map_rusqlite(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(err, msg) = &e {
        match err.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => return StoreError::Busy,
            ErrorCode::ConstraintViolation => match err.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    return StoreError::conflict(unique_message(msg.as_deref()));
                }
                // Stock that would go below zero (DESIGN §3.6), the database's own wall. Any
                // other CHECK failing means core and the schema disagree: a backend error.
                ffi::SQLITE_CONSTRAINT_CHECK
                    if msg.as_deref().is_some_and(|m| m.contains(STOCK_CHECK)) =>
                {
                    return StoreError::conflict(STOCK_MESSAGE);
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
                    return StoreError::InvalidReference(
                        "a referenced row does not exist in this organization".into(),
                    );
                }
                _ => {}
            },
            _ => {}
        }
    }
    StoreError::Backend(Box::new(e))
}

/// "UNIQUE constraint failed: users.org_id, users.email" -> "unique constraint on
/// users(org_id, email) violated". SQLite's message names only schema objects, no values.
fn unique_message(msg: Option<&str>) -> String {
    let cols = msg.and_then(|m| m.split_once("failed: ")).map(|(_, cols)| cols.trim());
    let Some(cols) = cols else {
        return "a unique constraint was violated".into();
    };
    let mut table = "";
    let mut names = Vec::new();
    for col in cols.split(',') {
        let col = col.trim();
        match col.split_once('.') {
            Some((t, c)) => {
                table = t;
                names.push(c);
            }
            None => names.push(col),
        }
    }
    format!(
        "unique constraint on {table}({}) violated: the value is already taken",
        names.join(", ")
    )
}

/// A database that could not be opened or set up: names the file and, when the driver's text
/// does not say why, the likely reason (a missing directory). A locked database stays `Busy`.
pub(crate) fn open_failed(path: Option<&Path>, e: rusqlite::Error) -> StoreError {
    let e = match map_rusqlite(e) {
        StoreError::Backend(e) => e,
        other => return other,
    };
    let Some(path) = path else {
        return StoreError::failed(format!("cannot open an in-memory SQLite database: {e}"), e);
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let hint = if !dir.is_dir() {
        format!(" (the directory {} does not exist)", dir.display())
    } else if path.is_dir() {
        " (that is a directory)".to_string()
    } else {
        String::new()
    };
    // rusqlite appends the path to some messages; ours names it already.
    let text = e.to_string();
    let suffix = format!(": {}", path.display());
    let said = text.strip_suffix(&suffix).unwrap_or(&text);
    StoreError::failed(format!("cannot open SQLite database {}: {said}{hint}", path.display()), e)
}

/// Maps a JSON (de)serialization problem of a stored document.
pub(crate) fn map_json(e: serde_json::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// The error every call returns once the store's threads are gone.
pub(crate) fn closed() -> StoreError {
    StoreError::backend("store is closed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_message_names_columns_only() {
        assert_eq!(
            unique_message(Some("UNIQUE constraint failed: users.org_id, users.email")),
            "unique constraint on users(org_id, email) violated: the value is already taken"
        );
        assert_eq!(unique_message(None), "a unique constraint was violated");
    }
}
