//! The one place where sqlx errors become backend-neutral `StoreError`s (`map_sqlx`).

use cmms_core::StoreError;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

/// CHECK constraints that guard quantities (stock never below zero, ...): their violation is a
/// `Conflict` the caller can act on, with this message. Every other CHECK violation means core
/// and the schema disagree, which is a `Backend` error.
const QUANTITY_CHECKS: &[(&str, &str)] =
    &[("stock_quantities", "stock would go below zero or reserve more than is on hand")];

/// What one SQLSTATE (and constraint) means for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Conflict(String),
    InvalidReference,
    Busy,
    Backend,
}

/// Classifies a database error by SQLSTATE: 23505 unique violation -> `Conflict` naming the
/// constraint (never the values), 23503 foreign-key violation -> `InvalidReference`, 40001
/// serialization failure / 40P01 deadlock / 55P03 lock not available / 57014 statement timeout
/// -> `Busy`, 23514 check violation -> `Conflict` for the quantity checks above, else `Backend`.
fn classify(code: &str, constraint: Option<&str>) -> Kind {
    match code {
        "23505" => Kind::Conflict(match constraint {
            Some(c) => format!("unique constraint {c} violated: the value is already taken"),
            None => "a unique constraint was violated".into(),
        }),
        "23503" => Kind::InvalidReference,
        // ... and the server refusing connections for now (too many connections, starting up or
        // shutting down) is worth retrying too.
        "40001" | "40P01" | "55P03" | "57014" | "53300" | "57P03" => Kind::Busy,
        "23514" => constraint
            .and_then(|c| QUANTITY_CHECKS.iter().find(|(name, _)| *name == c))
            .map_or(Kind::Backend, |(_, message)| Kind::Conflict((*message).to_string())),
        _ => Kind::Backend,
    }
}

/// Maps an sqlx error (see `classify`); a pool that found no free connection in time is `Busy`
/// (the pool keeps retrying a refused connection until then, so a server that is restarting
/// is `Busy` too).
pub(crate) fn map_sqlx(e: sqlx::Error) -> StoreError {
    let kind = match &e {
        sqlx::Error::PoolTimedOut => Kind::Busy,
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => classify(&code, db.constraint()),
            None => Kind::Backend,
        },
        _ => Kind::Backend,
    };
    match kind {
        Kind::Conflict(message) => StoreError::conflict(message),
        Kind::InvalidReference => StoreError::InvalidReference(
            "a referenced row does not exist in this organization".into(),
        ),
        Kind::Busy => StoreError::Busy,
        Kind::Backend => StoreError::Backend(Box::new(e)),
    }
}

/// A connection that could not be opened: names the server, database and user (never the
/// password) and says what the driver said. A refused port, an unknown host, a failed login, a
/// missing database or a TLS mismatch is not `Busy`: retrying does not fix it. A server that
/// refuses connections for now (too many, starting up) stays `Busy`.
pub(crate) fn connect_failed(options: &PgConnectOptions, e: sqlx::Error) -> StoreError {
    let e = match map_sqlx(e) {
        StoreError::Backend(e) => e,
        other => return other,
    };
    let server = match options.get_socket() {
        Some(dir) => format!("{} (socket)", dir.display()),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };
    let database = options.get_database().unwrap_or(options.get_username());
    let said = match e.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db)) => db.message().to_string(),
        Some(sqlx::Error::Io(io)) => io.to_string(),
        Some(sqlx::Error::Tls(tls)) => {
            format!("{tls} (sslmode={})", ssl_mode_name(options.get_ssl_mode()))
        }
        _ => cmms_core::error::error_chain(&*e),
    };
    StoreError::failed(
        format!(
            "cannot connect to PostgreSQL at {server}/{database} as user {}: {said}",
            options.get_username()
        ),
        e,
    )
}

/// `sslmode` as written in a URL.
fn ssl_mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// Maps a JSON (de)serialization problem of a stored document.
pub(crate) fn map_json(e: serde_json::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_store_errors() {
        assert_eq!(
            classify("23505", Some("users_email_unique")),
            Kind::Conflict(
                "unique constraint users_email_unique violated: the value is already taken".into()
            )
        );
        assert_eq!(
            classify("23505", None),
            Kind::Conflict("a unique constraint was violated".into())
        );
        assert_eq!(classify("23503", Some("work_orders_site_fk")), Kind::InvalidReference);
        for busy in ["40001", "40P01", "55P03", "57014"] {
            assert_eq!(classify(busy, None), Kind::Busy, "{busy}");
        }
        assert_eq!(classify("23514", Some("sites_name_check")), Kind::Backend);
        assert_eq!(classify("23514", None), Kind::Backend);
        assert_eq!(classify("42P01", None), Kind::Backend);
        assert_eq!(classify("42501", None), Kind::Backend);
    }

    #[test]
    fn pool_timeouts_are_busy() {
        assert!(matches!(map_sqlx(sqlx::Error::PoolTimedOut), StoreError::Busy));
        assert!(matches!(map_sqlx(sqlx::Error::PoolClosed), StoreError::Backend(_)));
    }

    #[test]
    fn a_refused_connection_is_not_busy_and_names_the_server_without_the_password() {
        use std::str::FromStr;
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(matches!(map_sqlx(sqlx::Error::Io(refused)), StoreError::Backend(_)));
        let options = PgConnectOptions::from_str("postgres://app:s3cret@db:5999/plant").unwrap();
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let e = connect_failed(&options, sqlx::Error::Io(refused));
        assert!(matches!(e, StoreError::Failed { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.starts_with("cannot connect to PostgreSQL at db:5999/plant as user app: "));
        assert!(!text.contains("s3cret"), "{text}");
        let busy = connect_failed(&options, sqlx::Error::PoolTimedOut);
        assert!(matches!(busy, StoreError::Busy));
    }
}
