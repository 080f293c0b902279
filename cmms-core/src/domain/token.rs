//! Authentication tokens (refresh, password reset, email verification): random secrets given
//! to the client once, stored only as SHA-256 hashes. The text form names the organization and
//! token id (`<org>.<id>.<secret>`), so a lookup is one tenant-scoped read by primary key.

use crate::error::{CmmsError, Result};
use crate::ids::{OrgId, TokenId, UserId};
use crate::macros::string_enum;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

string_enum! {
    /// What a token is for.
    TokenPurpose, field = "purpose" {
        /// Gets a new access token; rotates on every use.
        Refresh => "refresh",
        /// Sets a new password once.
        PasswordReset => "password_reset",
        /// Confirms an email address (and may set the first password).
        EmailVerification => "email_verification",
    }
}

/// One stored token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthToken {
    /// Id.
    pub id: TokenId,
    /// Organization.
    pub org_id: OrgId,
    /// User.
    pub user_id: UserId,
    /// Purpose.
    pub purpose: TokenPurpose,
    /// Refresh tokens: the family (the first token's id); rotation keeps it, reuse of a rotated
    /// token revokes the whole family.
    pub family_id: TokenId,
    /// SHA-256 of the secret, hex.
    pub token_hash: String,
    /// Issued.
    pub issued_at: DateTime<Utc>,
    /// Expires.
    pub expires_at: DateTime<Utc>,
    /// When it was used (rotated or redeemed); a token is used once.
    pub used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
}

/// A freshly issued token: the record to store and the text to hand out (once).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// To store.
    pub record: AuthToken,
    /// To give to the client; never stored.
    pub text: String,
}

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)
        .map_err(|e| CmmsError::store(format!("no randomness available: {e}")))?;
    Ok(buf)
}

/// A random secret, URL-safe.
pub(crate) fn random_secret() -> Result<String> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// SHA-256 of a secret, hex.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two hashes in time independent of where they differ.
pub(crate) fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl AuthToken {
    /// Issues a token; `family` continues a refresh family (a new family starts otherwise).
    pub fn issue(
        org_id: OrgId,
        user_id: UserId,
        purpose: TokenPurpose,
        family: Option<TokenId>,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<IssuedToken> {
        let id = TokenId::new();
        let secret = random_secret()?;
        let text = format!("{}.{}.{}", org_id.uuid().simple(), id.uuid().simple(), secret);
        let record = AuthToken {
            id,
            org_id,
            user_id,
            purpose,
            family_id: family.unwrap_or(id),
            token_hash: hash_secret(&secret),
            issued_at: now,
            expires_at: now + TimeDelta::seconds(ttl_secs),
            used_at: None,
            revoked_at: None,
            version: 1,
        };
        Ok(IssuedToken { record, text })
    }

    /// Whether `secret` is this token's secret and the token is for `purpose` (whatever its
    /// state).
    pub fn is_secret_for(&self, secret: &str, purpose: TokenPurpose) -> bool {
        same_hash(&self.token_hash, &hash_secret(secret)) && self.purpose == purpose
    }

    /// Whether the secret matches, the purpose fits, and the token is neither used, revoked
    /// nor expired.
    pub fn accepts(&self, secret: &str, purpose: TokenPurpose, now: DateTime<Utc>) -> bool {
        self.is_secret_for(secret, purpose)
            && self.revoked_at.is_none()
            && self.used_at.is_none()
            && now < self.expires_at
    }

    /// The token marked used, as the next version.
    pub fn used(&self, now: DateTime<Utc>) -> Self {
        Self { used_at: Some(now), version: self.version + 1, ..self.clone() }
    }
}

/// Splits a token's text into organization, id and secret. Anything malformed is
/// `Unauthenticated` — the caller learns nothing more.
pub fn parse_token(text: &str) -> Result<(OrgId, TokenId, &str)> {
    let mut parts = text.trim().splitn(3, '.');
    let (Some(org), Some(id), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CmmsError::Unauthenticated);
    };
    let org = uuid::Uuid::try_parse(org).map_err(|_| CmmsError::Unauthenticated)?;
    let id = uuid::Uuid::try_parse(id).map_err(|_| CmmsError::Unauthenticated)?;
    if secret.is_empty() || secret.len() > 128 {
        return Err(CmmsError::Unauthenticated);
    }
    Ok((OrgId::from_uuid(org), TokenId::from_uuid(id), secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_check_everything() {
        let now = Utc::now();
        let issued =
            AuthToken::issue(OrgId::new(), UserId::new(), TokenPurpose::Refresh, None, now, 60)
                .unwrap();
        let (org, id, secret) = parse_token(&issued.text).unwrap();
        assert_eq!((org, id), (issued.record.org_id, issued.record.id));
        assert!(issued.record.accepts(secret, TokenPurpose::Refresh, now));
        assert!(!issued.record.accepts(secret, TokenPurpose::PasswordReset, now));
        assert!(!issued.record.accepts("wrong", TokenPurpose::Refresh, now));
        assert!(!issued.record.accepts(
            secret,
            TokenPurpose::Refresh,
            now + TimeDelta::seconds(61)
        ));
        assert!(!issued.record.used(now).accepts(secret, TokenPurpose::Refresh, now));
        assert!(!issued.text.contains(&issued.record.token_hash));
        for bad in ["", "a.b", "x.y.z", ".....", "00000000000000000000000000000000.zz.s"] {
            assert!(parse_token(bad).is_err(), "{bad}");
        }
    }
}
