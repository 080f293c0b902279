//! The one reader of SQLite database URLs, shared by the server and the Python bindings: the
//! SQLAlchemy convention (what Python users know), plus the forms sqlx and older deployments use.

use std::path::PathBuf;

/// Where a SQLite database lives, as a URL names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteTarget {
    /// A database file (relative paths are relative to the current directory).
    File(PathBuf),
    /// A private in-memory database.
    Memory,
}

/// A URL that does not name a SQLite database. Its message never repeats the URL (it may be
/// some other database's URL, with a password): callers add a redacted copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(String);

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UrlError {}

/// The forms accepted, for error and help texts.
pub const URL_FORMS: &str = "sqlite:///relative.db, sqlite:////absolute/path.db or sqlite:// \
                             (in memory)";

/// Reads a SQLite URL the way SQLAlchemy does: three slashes then a relative path, four for an
/// absolute one, nothing (or `:memory:`) for an in-memory database. Also accepted, as the same
/// relative file: `sqlite://plant.db` (sqlx's reading, and older deployments') and
/// `sqlite:plant.db`; and `sqlite::memory:`. Query parameters are refused rather than read as
/// part of the file name.
///
/// ```
/// use cmms_store_sqlite::{SqliteTarget, target_from_url};
/// use std::path::PathBuf;
/// let file = |p: &str| Ok(SqliteTarget::File(PathBuf::from(p)));
/// assert_eq!(target_from_url("sqlite:///plant.db"), file("plant.db"));
/// assert_eq!(target_from_url("sqlite:///data/plant.db"), file("data/plant.db"));
/// assert_eq!(target_from_url("sqlite:////srv/cmms/plant.db"), file("/srv/cmms/plant.db"));
/// assert_eq!(target_from_url("sqlite://plant.db"), file("plant.db"));
/// assert_eq!(target_from_url("sqlite://./cmms.db"), file("./cmms.db"));
/// assert_eq!(target_from_url("sqlite:plant.db"), file("plant.db"));
/// for memory in ["sqlite://", "sqlite:///:memory:", "sqlite::memory:", "sqlite://:memory:"] {
///     assert_eq!(target_from_url(memory), Ok(SqliteTarget::Memory), "{memory}");
/// }
/// assert!(target_from_url("postgres://db/cmms").is_err());
/// assert!(target_from_url("sqlite:///").is_err());
/// assert!(target_from_url("sqlite:///plant.db?mode=ro").is_err());
/// ```
pub fn target_from_url(url: &str) -> Result<SqliteTarget, UrlError> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Err(UrlError(format!("not a SQLite URL: use {URL_FORMS}")));
    };
    let path = match rest.strip_prefix("//") {
        // sqlite:// (SQLAlchemy's in-memory database)
        Some("") => return Ok(SqliteTarget::Memory),
        // sqlite:///relative.db and sqlite:////absolute.db: what follows the third slash.
        Some(after) => after.strip_prefix('/').unwrap_or(after),
        // sqlite:plant.db, sqlite::memory:
        None => rest,
    };
    if path.contains('?') {
        return Err(UrlError(
            "a SQLite URL takes no query parameters (a '?' in a file name is not supported)".into(),
        ));
    }
    match path {
        "" => Err(UrlError(format!("the URL names no file: use {URL_FORMS}"))),
        ":memory:" => Ok(SqliteTarget::Memory),
        _ => Ok(SqliteTarget::File(PathBuf::from(path))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_and_relative_paths_follow_sqlalchemy() {
        let file = |p: &str| Ok(SqliteTarget::File(PathBuf::from(p)));
        assert_eq!(target_from_url("sqlite:////tmp/x/plant.db"), file("/tmp/x/plant.db"));
        assert_eq!(target_from_url("sqlite:///tmp/x/plant.db"), file("tmp/x/plant.db"));
        assert_eq!(target_from_url("sqlite:/tmp/plant.db"), file("/tmp/plant.db"));
        assert_eq!(target_from_url("sqlite:///my plant.db"), file("my plant.db"));
        assert_eq!(target_from_url("sqlite:///../up.db"), file("../up.db"));
    }

    #[test]
    fn errors_do_not_repeat_the_url() {
        let e = target_from_url("postgres://app:s3cret@db/cmms").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("sqlite:///relative.db"), "{e}");
        assert!(target_from_url("sqlite:").is_err());
        assert!(target_from_url("").is_err());
    }
}
