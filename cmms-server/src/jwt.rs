//! Access tokens: short-lived HS256 JWTs naming the user and organization. Only this one
//! algorithm is produced and accepted, so there is no algorithm confusion to get wrong.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use cmms_core::{OrgId, UserId};
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};

type HmacSha256 = hmac::Hmac<sha2_hmac::Sha256>;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: UserId,
    /// The organization.
    pub org: OrgId,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// This token's own id: two logins in the same second get different tokens (and so
    /// separate rate budgets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<uuid::Uuid>,
}

/// Longest access token lifetime accepted (one day): access tokens cannot be revoked, so they
/// must be short; refresh tokens carry long sessions.
pub const MAX_TTL_SECS: i64 = 86_400;

/// The signing key.
#[derive(Clone)]
pub struct JwtKeys {
    secret: Vec<u8>,
    ttl_secs: i64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys").field("ttl_secs", &self.ttl_secs).finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Keys from a secret (at least 32 bytes) and a token lifetime.
    pub fn new(secret: &[u8], ttl_secs: i64) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("the JWT secret must be at least 32 characters".into());
        }
        if !(1..=MAX_TTL_SECS).contains(&ttl_secs) {
            return Err(format!(
                "the access token lifetime must be 1 to {MAX_TTL_SECS} seconds, not {ttl_secs}"
            ));
        }
        Ok(Self { secret: secret.to_vec(), ttl_secs })
    }

    /// Keys with a random secret (tokens do not survive a restart).
    pub fn random(ttl_secs: i64) -> Result<Self, String> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| format!("no randomness: {e}"))?;
        Self::new(&secret, ttl_secs)
    }

    /// Lifetime of tokens, in seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this never fails; the fallback keeps it total.
        HmacSha256::new_from_slice(&self.secret)
            .unwrap_or_else(|_| HmacSha256::new(&Default::default()))
    }

    /// A signed token for `user` of `org`, issued `now`.
    pub fn issue(&self, user: UserId, org: OrgId, now: DateTime<Utc>) -> String {
        let claims = Claims {
            sub: user,
            org,
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_secs,
            jti: Some(uuid::Uuid::now_v7()),
        };
        let payload = serde_json::to_vec(&claims).unwrap_or_default();
        let signing_input = format!("{}.{}", B64.encode(HEADER), B64.encode(payload));
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = B64.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// The claims of a genuine, unexpired token.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<Claims> {
        let (signing_input, signature) = token.rsplit_once('.')?;
        let (header, payload) = signing_input.split_once('.')?;
        if B64.decode(header).ok()? != HEADER.as_bytes() {
            return None;
        }
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        mac.verify_slice(&B64.decode(signature).ok()?).ok()?;
        let claims: Claims = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
        (claims.exp > now.timestamp()).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_until_they_expire_and_not_when_touched() {
        let keys = JwtKeys::new(&[7u8; 32], 60).unwrap();
        let now = Utc::now();
        let (user, org) = (UserId::new(), OrgId::new());
        let token = keys.issue(user, org, now);
        let claims = keys.verify(&token, now).unwrap();
        assert_eq!((claims.sub, claims.org), (user, org));
        assert!(keys.verify(&token, now + chrono::TimeDelta::seconds(61)).is_none());
        let other = JwtKeys::new(&[8u8; 32], 60).unwrap();
        assert!(other.verify(&token, now).is_none());
        // Flip one bit of the decoded signature: always a different signature.
        let (input, sig) = token.rsplit_once('.').unwrap();
        let mut raw = B64.decode(sig).unwrap();
        raw[0] ^= 1;
        let forged = format!("{input}.{}", B64.encode(raw));
        assert!(keys.verify(&forged, now).is_none());
        assert!(JwtKeys::new(&[7u8; 32], 0).is_err());
        assert!(JwtKeys::new(&[7u8; 32], i64::MAX).is_err());
        let none_alg =
            format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), token.split('.').nth(1).unwrap());
        assert!(keys.verify(&none_alg, now).is_none());
        assert!(JwtKeys::new(b"short", 60).is_err());
    }
}
