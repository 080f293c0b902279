//! Credentials, authentication tokens and API keys: row mapping, reads, and the one write that
//! is not a plain insert or versioned update (revoking a user's tokens).

use crate::error::map_rusqlite;
use crate::reads::{R, all, one};
use crate::rows::{enum_col, id, micros, opt_enum, opt_json, opt_ts, ts};
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::domain::api_key::ApiKey;
use cmms_core::domain::credential::Credential;
use cmms_core::domain::token::{AuthToken, TokenPurpose};
use cmms_core::ids::{ApiKeyId, OrgId, TokenId, UserId};
use cmms_core::rbac::RoleRef;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params, params_from_iter};

fn credential(row: &Row<'_>) -> rusqlite::Result<Credential> {
    Ok(Credential {
        org_id: id(row, "org_id")?,
        user_id: id(row, "user_id")?,
        password_hash: row.get("password_hash")?,
        email_verified_at: opt_ts(row, "email_verified_at")?,
        failed_logins: row.get("failed_logins")?,
        first_failed_at: opt_ts(row, "first_failed_at")?,
        locked_until: opt_ts(row, "locked_until")?,
        updated_at: ts(row, "updated_at")?,
        version: row.get("version")?,
    })
}

fn token(row: &Row<'_>) -> rusqlite::Result<AuthToken> {
    Ok(AuthToken {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        user_id: id(row, "user_id")?,
        purpose: enum_col(row, "purpose")?,
        family_id: id(row, "family_id")?,
        token_hash: row.get("token_hash")?,
        issued_at: ts(row, "issued_at")?,
        expires_at: ts(row, "expires_at")?,
        used_at: opt_ts(row, "used_at")?,
        revoked_at: opt_ts(row, "revoked_at")?,
        version: row.get("version")?,
    })
}

fn api_key(row: &Row<'_>) -> rusqlite::Result<ApiKey> {
    let role = match opt_enum(row, "role_builtin")? {
        Some(builtin) => RoleRef::Builtin(builtin),
        None => RoleRef::Custom(id(row, "role_id")?),
    };
    Ok(ApiKey {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: row.get("name")?,
        role,
        sites: opt_json(row, "sites")?,
        key_hash: row.get("key_hash")?,
        created_by: id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        last_used_at: opt_ts(row, "last_used_at")?,
        revoked_at: opt_ts(row, "revoked_at")?,
        version: row.get("version")?,
    })
}

pub(crate) fn get_credential(c: &Connection, org: OrgId, user: UserId) -> R<Option<Credential>> {
    let sql = "SELECT * FROM credentials WHERE org_id = ?1 AND user_id = ?2";
    one(c, sql, params![org.0, user.0], credential)
}

pub(crate) fn get_auth_token(c: &Connection, org: OrgId, tid: TokenId) -> R<Option<AuthToken>> {
    one(c, "SELECT * FROM auth_tokens WHERE org_id = ?1 AND id = ?2", params![org.0, tid.0], token)
}

pub(crate) fn get_api_key(c: &Connection, org: OrgId, kid: ApiKeyId) -> R<Option<ApiKey>> {
    one(c, "SELECT * FROM api_keys WHERE org_id = ?1 AND id = ?2", params![org.0, kid.0], api_key)
}

pub(crate) fn list_api_keys(c: &Connection, org: OrgId) -> R<Vec<ApiKey>> {
    let sql = "SELECT * FROM api_keys WHERE org_id = ?1 ORDER BY created_at DESC, id DESC";
    all(c, sql, params![org.0], api_key)
}

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
