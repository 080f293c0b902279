//! The one place where sqlx errors become backend-neutral `StoreError`s (`map_sqlx`).

use cmms_core::StoreError;

/// CHECK constraints that guard quantities (stock never below zero, ...): their violation is a
/// `Conflict` the caller can act on, with this message. Every other CHECK violation means core
/// and the schema disagree, which is a `Backend` error. Empty until inventory arrives.
const QUANTITY_CHECKS: &[(&str, &str)] = &[];

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

/// Maps an sqlx error (see `classify`); a pool that found no free connection in time is `Busy`.
pub(crate) fn map_sqlx(e: sqlx::Error) -> StoreError {
    let kind = match &e {
        sqlx::Error::PoolTimedOut => Kind::Busy,
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => Kind::Busy,
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
}
