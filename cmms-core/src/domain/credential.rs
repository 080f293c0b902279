//! Login credentials: argon2id password hashes, the password policy, and the lockout rule
//! (after N failures within a window the account answers "too many attempts" for a while).

use crate::error::{CmmsError, Problems, Result};
use crate::ids::{OrgId, UserId};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// The login secret and lockout state of one user. The hash never leaves the store and core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Organization.
    pub org_id: OrgId,
    /// User.
    pub user_id: UserId,
    /// argon2id PHC string; `None` until a password is set.
    pub password_hash: Option<String>,
    /// When the email address was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Failed logins in the current window.
    pub failed_logins: i32,
    /// Start of the current failure window.
    pub first_failed_at: Option<DateTime<Utc>>,
    /// Logins are refused until then.
    pub locked_until: Option<DateTime<Utc>>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Authentication settings, the same for every organization of a `Cmms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct AuthSettings {
    /// Shortest accepted password, in characters.
    pub min_password_length: usize,
    /// Longest accepted password, in characters.
    pub max_password_length: usize,
    /// argon2id memory cost in KiB (OWASP: 19456).
    pub argon2_memory_kib: u32,
    /// argon2id iterations (OWASP: 2).
    pub argon2_iterations: u32,
    /// argon2id lanes.
    pub argon2_parallelism: u32,
    /// Failed logins within `lockout_window_secs` that lock the account.
    pub lockout_threshold: i32,
    /// Failure window and lock duration, in seconds.
    pub lockout_window_secs: i64,
    /// Lifetime of refresh tokens, in seconds.
    pub refresh_ttl_secs: i64,
    /// Lifetime of password-reset tokens, in seconds.
    pub reset_ttl_secs: i64,
    /// Lifetime of email-verification (invitation) tokens, in seconds.
    pub verification_ttl_secs: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            min_password_length: 10,
            max_password_length: 256,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            lockout_threshold: 5,
            lockout_window_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            reset_ttl_secs: 3600,
            verification_ttl_secs: 7 * 24 * 3600,
        }
    }
}

impl AuthSettings {
    /// Cheap hashing parameters for tests (never for production data).
    pub fn for_tests() -> Self {
        Self { argon2_memory_kib: 256, argon2_iterations: 1, ..Self::default() }
    }

    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = Params::new(
            self.argon2_memory_kib,
            self.argon2_iterations,
            self.argon2_parallelism,
            None,
        )
        .map_err(|e| CmmsError::store(format!("invalid argon2 settings: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Checks a new password against the policy.
    pub fn check_password(&self, field: &str, password: &str) -> Result<()> {
        let mut p = Problems::new();
        let len = password.chars().count();
        if len < self.min_password_length {
            p.add(field, format!("must be at least {} characters", self.min_password_length));
        } else if len > self.max_password_length {
            p.add(field, format!("must be at most {} characters", self.max_password_length));
        }
        p.finish()
    }

    /// The argon2id PHC hash of `password` with a fresh random salt (slow on purpose: run it
    /// off the async executor).
    pub fn hash_password(&self, password: &str) -> Result<String> {
        let salt = SaltString::encode_b64(&crate::domain::token::random_bytes::<16>()?)
            .map_err(|e| CmmsError::store(format!("salt: {e}")))?;
        self.argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CmmsError::store(format!("password hashing failed: {e}")))
    }

    /// Whether `password` matches the PHC `hash` (false for a malformed hash).
    pub fn verify_password(&self, password: &str, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else { return false };
        // The parameters come from the stored hash, so changing the settings keeps old hashes valid.
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    }
}

impl Credential {
    /// A credential without a password yet.
    pub fn new(org_id: OrgId, user_id: UserId, now: DateTime<Utc>) -> Self {
        Self {
            org_id,
            user_id,
            password_hash: None,
            email_verified_at: None,
            failed_logins: 0,
            first_failed_at: None,
            locked_until: None,
            updated_at: now,
            version: 1,
        }
    }

    /// Seconds until logins are accepted again, when locked.
    pub fn locked_for(&self, now: DateTime<Utc>) -> Option<u64> {
        let until = self.locked_until.filter(|u| *u > now)?;
        Some(u64::try_from((until - now).num_seconds()).unwrap_or(0).max(1))
    }

    /// The next version after a failed login: counted within the window; at the threshold the
    /// account locks for one window.
    pub fn after_failure(&self, settings: &AuthSettings, now: DateTime<Utc>) -> Self {
        let window = TimeDelta::seconds(settings.lockout_window_secs);
        let in_window = self.first_failed_at.is_some_and(|f| now - f < window);
        let (count, first) =
            if in_window { (self.failed_logins + 1, self.first_failed_at) } else { (1, Some(now)) };
        let locked_until = if count >= settings.lockout_threshold {
            Some(now + window)
        } else {
            self.locked_until
        };
        Self {
            failed_logins: count,
            first_failed_at: first,
            locked_until,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The next version after a successful login or a password change: counters cleared.
    pub fn cleared(&self, now: DateTime<Utc>) -> Self {
        Self {
            failed_logins: 0,
            first_failed_at: None,
            locked_until: None,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// What the audit trail may show about this credential (never the hash).
    pub fn audit_view(&self) -> serde_json::Value {
        serde_json::json!({
            "user_id": self.user_id,
            "has_password": self.password_hash.is_some(),
            "email_verified_at": self.email_verified_at,
            "failed_logins": self.failed_logins,
            "locked_until": self.locked_until,
        })
    }
}
