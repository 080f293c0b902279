//! The one auth write that is not a plain insert or versioned update: revoking a user's
//! tokens, a bulk update narrowed by family or purpose.

use crate::error::map_rusqlite;
use crate::rows::micros;
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::domain::token::TokenPurpose;
use cmms_core::ids::{OrgId, TokenId, UserId};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

/// `Write::RevokeTokens`: every not-yet-revoked token of the user, narrowed to a family or a
/// purpose when given.
pub(crate) fn revoke_tokens(
    tx: &Connection,
    org: OrgId,
    user: UserId,
    family: Option<TokenId>,
    purpose: Option<TokenPurpose>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut sql = String::from(
        "UPDATE auth_tokens SET revoked_at = ?1, version = version + 1 \
         WHERE org_id = ?2 AND user_id = ?3 AND revoked_at IS NULL",
    );
    let mut args: Vec<Value> =
        vec![Value::Integer(micros(at)), Value::from(org.0), Value::from(user.0)];
    if let Some(f) = family {
        sql.push_str(" AND family_id = ?4");
        args.push(Value::from(f.0));
    } else if let Some(p) = purpose {
        sql.push_str(" AND purpose = ?4");
        args.push(Value::Text(p.as_str().to_string()));
    }
    tx.prepare_cached(&sql)
        .and_then(|mut s| s.execute(params_from_iter(args)))
        .map_err(map_rusqlite)?;
    Ok(())
}
