//! Credentials, authentication tokens and API keys: row mapping, reads, and the writes that are
//! not a plain insert or id-keyed versioned update.

use crate::cols::{Cols, Value};
use crate::error::map_sqlx;
use crate::reads::{all, by_id, one};
use crate::rows::{RowResult, enum_col, get, id, opt_enum, opt_json, opt_ts, ts};
use crate::sql::R;
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::domain::api_key::ApiKey;
use cmms_core::domain::credential::Credential;
use cmms_core::domain::token::{AuthToken, TokenPurpose};
use cmms_core::ids::{ApiKeyId, OrgId, TokenId, UserId};
use cmms_core::rbac::RoleRef;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder};

fn credential(row: &PgRow) -> RowResult<Credential> {
    Ok(Credential {
        org_id: id(row, "org_id")?,
        user_id: id(row, "user_id")?,
        password_hash: get(row, "password_hash")?,
        email_verified_at: opt_ts(row, "email_verified_at")?,
        failed_logins: get(row, "failed_logins")?,
        first_failed_at: opt_ts(row, "first_failed_at")?,
        locked_until: opt_ts(row, "locked_until")?,
        updated_at: ts(row, "updated_at")?,
        version: get(row, "version")?,
    })
}

fn token(row: &PgRow) -> RowResult<AuthToken> {
    Ok(AuthToken {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        user_id: id(row, "user_id")?,
        purpose: enum_col(row, "purpose")?,
        family_id: id(row, "family_id")?,
        token_hash: get(row, "token_hash")?,
        issued_at: ts(row, "issued_at")?,
        expires_at: ts(row, "expires_at")?,
        used_at: opt_ts(row, "used_at")?,
        revoked_at: opt_ts(row, "revoked_at")?,
        version: get(row, "version")?,
    })
}

fn api_key(row: &PgRow) -> RowResult<ApiKey> {
    let role = match opt_enum(row, "role_builtin")? {
        Some(builtin) => RoleRef::Builtin(builtin),
        None => RoleRef::Custom(id(row, "role_id")?),
    };
    Ok(ApiKey {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: get(row, "name")?,
        role,
        sites: opt_json(row, "sites")?,
        key_hash: get(row, "key_hash")?,
        created_by: id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        last_used_at: opt_ts(row, "last_used_at")?,
        revoked_at: opt_ts(row, "revoked_at")?,
        version: get(row, "version")?,
    })
}

pub(crate) async fn get_credential(
    c: &mut PgConnection,
    org: OrgId,
    user: UserId,
) -> R<Option<Credential>> {
    let q = by_id("SELECT * FROM credentials WHERE org_id = $1 AND user_id = $2", org, user.0);
    one(c, q, credential).await
}

pub(crate) async fn get_auth_token(
    c: &mut PgConnection,
    org: OrgId,
    tid: TokenId,
) -> R<Option<AuthToken>> {
    one(c, by_id("SELECT * FROM auth_tokens WHERE org_id = $1 AND id = $2", org, tid.0), token)
        .await
}

pub(crate) async fn get_api_key(
    c: &mut PgConnection,
    org: OrgId,
    kid: ApiKeyId,
) -> R<Option<ApiKey>> {
    one(c, by_id("SELECT * FROM api_keys WHERE org_id = $1 AND id = $2", org, kid.0), api_key).await
}

pub(crate) async fn list_api_keys(c: &mut PgConnection, org: OrgId) -> R<Vec<ApiKey>> {
    let sql = "SELECT * FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC, id DESC";
    all(c, sqlx::query(sql).bind(org.0), api_key).await
}

/// `Write::RevokeTokens`: every not-yet-revoked token of the user, narrowed to a family or a
/// purpose when given.
pub(crate) async fn revoke_tokens(
    c: &mut PgConnection,
    org: OrgId,
    user: UserId,
    family: Option<TokenId>,
    purpose: Option<TokenPurpose>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut q = QueryBuilder::<Postgres>::new("UPDATE auth_tokens SET revoked_at = ");
    q.push_bind(at).push(", version = version + 1 WHERE org_id = ").push_bind(org.0);
    q.push(" AND user_id = ").push_bind(user.0).push(" AND revoked_at IS NULL");
    if let Some(f) = family {
        q.push(" AND family_id = ").push_bind(f.0);
    } else if let Some(p) = purpose {
        q.push(" AND purpose = ").push_bind(p.as_str());
    }
    q.build().execute(c).await.map_err(map_sqlx)?;
    Ok(())
}

/// Versioned update of a credential (keyed by user, not by an id of its own); `None` when no
/// row matched, with the stored version if there is one.
pub(crate) async fn update_credential(
    c: &mut PgConnection,
    cols: Cols,
) -> Result<Option<Option<i64>>, StoreError> {
    let value = |name: &str| cols.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    let (
        Some(Value::Uuid(Some(org))),
        Some(Value::Uuid(Some(user))),
        Some(Value::Int(Some(version))),
    ) = (value("org_id"), value("user_id"), value("version"))
    else {
        return Err(StoreError::backend("credential without key or version"));
    };
    let mut q = QueryBuilder::<Postgres>::new("UPDATE credentials SET ");
    let mut first = true;
    for (name, v) in cols {
        if name == "org_id" || name == "user_id" {
            continue;
        }
        if !first {
            q.push(", ");
        }
        first = false;
        q.push(name).push(" = ");
        v.bind(&mut q);
    }
    q.push(" WHERE org_id = ").push_bind(org).push(" AND user_id = ").push_bind(user);
    q.push(" AND version = ").push_bind(version - 1);
    if q.build().execute(&mut *c).await.map_err(map_sqlx)?.rows_affected() == 1 {
        return Ok(None);
    }
    let current: Option<i64> =
        sqlx::query_scalar("SELECT version FROM credentials WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .fetch_optional(&mut *c)
            .await
            .map_err(map_sqlx)?;
    Ok(Some(current))
}
