//! API keys for integrations: a role (and optional sites) the key acts with, on behalf of the
//! user who created it; the secret is shown once and stored hashed.

use crate::domain::token::{hash_secret, random_secret, same_hash};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{ApiKeyId, OrgId, SiteId, UserId};
use crate::rbac::RoleRef;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Prefix of every key's text, so keys are recognisable (and scannable in leaked code).
pub const KEY_PREFIX: &str = "cmms_";

/// An API key (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiKey {
    /// Id.
    pub id: ApiKeyId,
    /// Organization.
    pub org_id: OrgId,
    /// What it is for.
    pub name: String,
    /// The role it acts with.
    pub role: RoleRef,
    /// Sites of that role (`None`: org scope).
    pub sites: Option<Vec<SiteId>>,
    /// SHA-256 of the secret, hex.
    #[serde(skip_serializing)]
    pub key_hash: String,
    /// Who created it (the key acts on their behalf and stops working when they are inactive).
    pub created_by: UserId,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
}

/// Input to create an API key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What it is for.
    pub name: String,
    /// The role it acts with (only roles the creator may grant).
    pub role: RoleRef,
    /// Sites for that role (`None`: org scope).
    #[serde(default)]
    pub sites: Option<Vec<SiteId>>,
}

impl ApiKey {
    /// A new key and its text (shown once): `cmms_<org>_<id>_<secret>`.
    pub fn create(
        org_id: OrgId,
        input: NewApiKey,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> Result<(Self, String)> {
        let mut p = Problems::new();
        let name = validate::text(&mut p, "name", &input.name, 1, 100);
        p.finish()?;
        let id = ApiKeyId::new();
        let secret = random_secret()?;
        let text =
            format!("{KEY_PREFIX}{}_{}_{}", org_id.uuid().simple(), id.uuid().simple(), secret);
        let key = Self {
            id,
            org_id,
            name,
            role: input.role,
            sites: input.sites,
            key_hash: hash_secret(&secret),
            created_by,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
            version: 1,
        };
        Ok((key, text))
    }

    /// Whether `secret` opens this (unrevoked) key.
    pub fn accepts(&self, secret: &str) -> bool {
        self.revoked_at.is_none() && same_hash(&self.key_hash, &hash_secret(secret))
    }
}

/// Splits a key's text into organization, id and secret; anything malformed is
/// `Unauthenticated`.
pub fn parse_key(text: &str) -> Result<(OrgId, ApiKeyId, &str)> {
    let rest = text.trim().strip_prefix(KEY_PREFIX).ok_or(CmmsError::Unauthenticated)?;
    let mut parts = rest.splitn(3, '_');
    let (Some(org), Some(id), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CmmsError::Unauthenticated);
    };
    let org = uuid::Uuid::try_parse(org).map_err(|_| CmmsError::Unauthenticated)?;
    let id = uuid::Uuid::try_parse(id).map_err(|_| CmmsError::Unauthenticated)?;
    if secret.is_empty() || secret.len() > 128 {
        return Err(CmmsError::Unauthenticated);
    }
    Ok((OrgId::from_uuid(org), ApiKeyId::from_uuid(id), secret))
}
