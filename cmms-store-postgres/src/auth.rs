//! The one auth write that is not a plain insert or versioned update: revoking a user's
//! tokens, a bulk update narrowed by family or purpose.

use crate::error::map_sqlx;
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::domain::token::TokenPurpose;
use cmms_core::ids::{OrgId, TokenId, UserId};
use sqlx::{PgConnection, Postgres, QueryBuilder};

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
