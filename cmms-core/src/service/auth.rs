//! Authentication use cases: login with lockout, refresh-token rotation with reuse detection,
//! logout, password reset and email verification with single-use hashed tokens, and password
//! changes. Access tokens (JWTs) are the embedding server's business; this is everything that
//! must behave the same whichever door is used.

use super::{Cmms, Stamp};
use crate::actor::Actor;
use crate::domain::credential::Credential;
use crate::domain::mail::{self, MailDraft, TokenTemplate};
use crate::domain::token::{AuthToken, TokenPurpose, parse_token};
use crate::domain::user::User;
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{OrgId, UserId};
use crate::rbac;
use crate::store::{Changeset, Write};
use chrono::{DateTime, TimeDelta, Utc};

/// A single-use token to deliver by mail, and the address it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMail {
    /// The user's email address.
    pub to: String,
    /// The token (shown to nobody else; stored only as a hash).
    pub token: String,
}

/// A logged-in user: who they are, the actor to call use cases with, and a refresh token.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user.
    pub user: User,
    /// The actor for the user's calls.
    pub actor: Actor,
    /// The refresh token (give it to the client; it is stored only hashed).
    pub refresh_token: String,
    /// When the refresh token expires.
    pub refresh_expires_at: DateTime<Utc>,
}

fn bad_token() -> CmmsError {
    CmmsError::invalid("token", "is invalid, used or expired")
}

impl Cmms {
    /// Runs password hashing or verification off the async executor (it is slow on purpose).
    async fn blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|e| CmmsError::store(format!("hashing task failed: {e}")))
    }

    async fn hash_password(&self, field: &str, password: &str) -> Result<String> {
        self.auth.check_password(field, password)?;
        let (settings, password) = (self.auth.clone(), password.to_string());
        self.blocking(move || settings.hash_password(&password)).await?
    }

    async fn password_matches(&self, password: &str, hash: Option<&str>) -> Result<bool> {
        let settings = self.auth.clone();
        let password = password.to_string();
        // Without a hash, verify against a dummy one anyway: the answer takes as long whether or
        // not the account exists, so timing does not reveal which emails are registered.
        let (hash, real) = match hash {
            Some(h) => (h.to_string(), true),
            None => (self.dummy_hash().await?, false),
        };
        let ok = self.blocking(move || settings.verify_password(&password, &hash)).await?;
        Ok(ok && real)
    }

    async fn dummy_hash(&self) -> Result<String> {
        if let Some(h) = self.dummy_hash.get() {
            return Ok(h.clone());
        }
        let settings = self.auth.clone();
        let hash =
            self.blocking(move || settings.hash_password("not a password of anybody")).await??;
        Ok(self.dummy_hash.get_or_init(|| hash).clone())
    }

    async fn credential(&self, org: OrgId, user: UserId) -> Result<Credential> {
        Ok(self
            .store
            .get_credential(org, user)
            .await?
            .unwrap_or_else(|| Credential::new(org, user, self.now())))
    }

    /// The write that stores `after`, derived from the `stored` credential (or a new one).
    fn credential_write(stored: Option<&Credential>, after: Credential) -> Write {
        match stored {
            Some(_) => Write::update(after),
            None => Write::insert(Credential { version: 1, ..after }),
        }
    }

    /// Logs a user of `org` in with email and password. Wrong email, wrong password, inactive
    /// user and unknown organization all answer `Unauthenticated` alike; after
    /// `lockout_threshold` failures within the window the account answers `RateLimited`.
    pub async fn login(&self, org: OrgId, email: &str, password: &str) -> Result<Session> {
        let now = self.now();
        let email = crate::domain::user::normalize_email(email);
        let user = self.store.find_user_by_email(org, &email).await?.filter(|u| u.active);
        let stored = match &user {
            Some(u) => self.store.get_credential(org, u.id).await?,
            None => None,
        };
        let (Some(user), Some(cred)) = (user, stored) else {
            self.password_matches(password, None).await?;
            return Err(CmmsError::Unauthenticated);
        };
        if let Some(retry_after_secs) = cred.locked_for(now) {
            return Err(CmmsError::RateLimited { retry_after_secs });
        }
        let system = Actor::system(org);
        let st = Stamp::for_user(&system, Some(user.id), now);
        let entity = EntityRef::new(EntityKind::Credential, user.id);
        if !self.password_matches(password, cred.password_hash.as_deref()).await? {
            let after = cred.after_failure(&self.auth, now);
            let mut cs = Changeset::new();
            cs.push(st.audit(
                "auth.login_failed",
                entity,
                Some(cred.audit_view()),
                Some(after.audit_view()),
            ));
            cs.push(Write::update(after));
            // A concurrent failure may win the version race; the answer is the same either way.
            let _ = self.commit(&system, cs).await;
            return Err(CmmsError::Unauthenticated);
        }
        let actor = self.actor(org, user.id).await?;
        let issued = AuthToken::issue(
            org,
            user.id,
            TokenPurpose::Refresh,
            None,
            now,
            self.auth.refresh_ttl_secs,
        )?;
        let mut cs = Changeset::new();
        if cred.failed_logins > 0 || cred.locked_until.is_some() {
            cs.push(Write::update(cred.cleared(now)));
        }
        cs.push(Write::insert(issued.record.clone()));
        cs.push(st.audit("auth.login", entity, None, None));
        self.commit(&system, cs).await?;
        Ok(Session {
            user,
            actor,
            refresh_token: issued.text,
            refresh_expires_at: issued.record.expires_at,
        })
    }

    /// Exchanges a refresh token for a new one (rotation). A token that was already rotated
    /// being presented again means it was stolen: the whole family is revoked and both holders
    /// must log in again.
    pub async fn refresh(&self, token: &str) -> Result<Session> {
        let now = self.now();
        let (org, id, secret) = parse_token(token)?;
        let tok = self.store.get_auth_token(org, id).await?.ok_or(CmmsError::Unauthenticated)?;
        let system = Actor::system(org);
        let st = Stamp::for_user(&system, Some(tok.user_id), now);
        let entity = EntityRef::new(EntityKind::Token, tok.family_id);
        if !tok.is_secret_for(secret, TokenPurpose::Refresh)
            || tok.revoked_at.is_some()
            || now >= tok.expires_at
        {
            return Err(CmmsError::Unauthenticated);
        }
        if tok.used_at.is_some() {
            // Already rotated: whoever holds it now copied it. End the family for everyone.
            let mut cs = Changeset::new();
            cs.push(Write::RevokeTokens {
                user: tok.user_id,
                family: Some(tok.family_id),
                purpose: None,
                at: now,
            });
            cs.push(st.audit("auth.refresh_reused", entity, None, None));
            self.commit(&system, cs).await?;
            return Err(CmmsError::Unauthenticated);
        }
        let actor = self.actor(org, tok.user_id).await?;
        let user =
            self.store.get_user(org, tok.user_id).await?.ok_or(CmmsError::Unauthenticated)?;
        let next = AuthToken::issue(
            org,
            user.id,
            TokenPurpose::Refresh,
            Some(tok.family_id),
            now,
            self.auth.refresh_ttl_secs,
        )?;
        let mut cs = Changeset::new();
        cs.push(Write::update(tok.used(now)));
        cs.push(Write::insert(next.record.clone()));
        cs.push(st.audit("auth.refresh", entity, None, None));
        // Losing a race with a concurrent use of the same token answers like an invalid token.
        self.commit(&system, cs).await.map_err(|e| match e {
            CmmsError::Conflict { .. } => CmmsError::Unauthenticated,
            other => other,
        })?;
        Ok(Session {
            user,
            actor,
            refresh_token: next.text,
            refresh_expires_at: next.record.expires_at,
        })
    }

    /// Ends the session of a refresh token (its whole family). Unknown or malformed tokens are
    /// accepted silently: logging out twice is not an error.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let Ok((org, id, secret)) = parse_token(token) else { return Ok(()) };
        let Some(tok) = self.store.get_auth_token(org, id).await? else { return Ok(()) };
        if !tok.is_secret_for(secret, TokenPurpose::Refresh) || tok.revoked_at.is_some() {
            return Ok(());
        }
        let now = self.now();
        let system = Actor::system(org);
        let st = Stamp::for_user(&system, Some(tok.user_id), now);
        let mut cs = Changeset::new();
        cs.push(Write::RevokeTokens {
            user: tok.user_id,
            family: Some(tok.family_id),
            purpose: None,
            at: now,
        });
        cs.push(st.audit(
            "auth.logout",
            EntityRef::new(EntityKind::Token, tok.family_id),
            None,
            None,
        ));
        self.commit(&system, cs).await?;
        Ok(())
    }

    /// Starts a password reset: returns the single-use token and the address to send it to,
    /// or `None` when no active user has this email. Callers must answer the same in both
    /// cases.
    pub async fn request_password_reset(
        &self,
        org: OrgId,
        email: &str,
    ) -> Result<Option<TokenMail>> {
        let email = crate::domain::user::normalize_email(email);
        let Some(user) = self.store.find_user_by_email(org, &email).await?.filter(|u| u.active)
        else {
            return Ok(None);
        };
        let ttl = self.auth.reset_ttl_secs;
        let mail = Some((user.email.as_str(), &mail::PASSWORD_RESET));
        let token = self.issue_token(org, user.id, TokenPurpose::PasswordReset, ttl, mail).await?;
        Ok(Some(TokenMail { to: user.email, token }))
    }

    async fn issue_token(
        &self,
        org: OrgId,
        user: UserId,
        purpose: TokenPurpose,
        ttl: i64,
        mail: Option<(&str, &TokenTemplate)>,
    ) -> Result<String> {
        let now = self.now();
        let issued = AuthToken::issue(org, user, purpose, None, now, ttl)?;
        let system = Actor::system(org);
        let st = Stamp::for_user(&system, Some(user), now);
        let mut cs = Changeset::new();
        cs.push(Write::insert(issued.record.clone()));
        let action = format!("auth.{}_issued", purpose.as_str());
        cs.push(st.audit(&action, EntityRef::new(EntityKind::Token, issued.record.id), None, None));
        // The mail goes in the token's commit: a token exists only with its mail queued.
        if let Some((to, template)) = mail.filter(|_| self.mail.queue_auth_mail) {
            let public_url = self.mail.public_url.as_deref();
            let expires = issued.record.expires_at;
            let draft = MailDraft::token(to, template, &issued.text, public_url, expires);
            cs.push(draft.queue(org, now));
        }
        self.commit(&system, cs).await?;
        Ok(issued.text)
    }

    /// Sets a new password with a reset token (single use, expiring); every session of the
    /// user ends and the lockout clears.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Result<()> {
        self.redeem(token, TokenPurpose::PasswordReset, Some(new_password)).await
    }

    /// Confirms a user's email with a verification (invitation) token, optionally setting the
    /// first password.
    pub async fn verify_email(&self, token: &str, password: Option<&str>) -> Result<()> {
        self.redeem(token, TokenPurpose::EmailVerification, password).await
    }

    async fn redeem(
        &self,
        token: &str,
        purpose: TokenPurpose,
        password: Option<&str>,
    ) -> Result<()> {
        let now = self.now();
        let (org, id, secret) = parse_token(token).map_err(|_| bad_token())?;
        let tok = self.store.get_auth_token(org, id).await?.ok_or_else(bad_token)?;
        if !tok.accepts(secret, purpose, now) {
            return Err(bad_token());
        }
        let hash = match password {
            Some(p) => Some(self.hash_password("password", p).await?),
            None => None,
        };
        let stored = self.store.get_credential(org, tok.user_id).await?;
        let before = stored.clone().unwrap_or_else(|| Credential::new(org, tok.user_id, now));
        let mut after = before.cleared(now);
        if hash.is_some() {
            after.password_hash = hash;
        }
        if purpose == TokenPurpose::EmailVerification {
            after.email_verified_at = Some(now);
        }
        let system = Actor::system(org);
        let st = Stamp::for_user(&system, Some(tok.user_id), now);
        let mut cs = Changeset::new();
        cs.push(Write::update(tok.used(now)));
        if password.is_some() {
            cs.push(Write::RevokeTokens {
                user: tok.user_id,
                family: None,
                purpose: Some(TokenPurpose::Refresh),
                at: now,
            });
        }
        let entity = EntityRef::new(EntityKind::Credential, tok.user_id);
        cs.push(st.audit(
            &format!("auth.{}_redeemed", purpose.as_str()),
            entity,
            Some(before.audit_view()),
            Some(after.audit_view()),
        ));
        cs.push(Self::credential_write(stored.as_ref(), after));
        self.commit(&system, cs).await.map_err(|e| match e {
            CmmsError::Conflict { .. } => bad_token(),
            other => other,
        })?;
        Ok(())
    }

    /// Issues an email-verification (invitation) token for a user: for themselves, or for a
    /// user the actor may manage. The caller delivers it to the returned address.
    pub async fn request_email_verification(
        &self,
        actor: &Actor,
        user: UserId,
    ) -> Result<TokenMail> {
        self.check_may_manage_credentials(actor, user).await?;
        let to = self
            .store
            .get_user(actor.org(), user)
            .await?
            .ok_or_else(|| CmmsError::not_found("user", user))?
            .email;
        let ttl = self.auth.verification_ttl_secs;
        let mail = Some((to.as_str(), &mail::INVITATION));
        let purpose = TokenPurpose::EmailVerification;
        let token = self.issue_token(actor.org(), user, purpose, ttl, mail).await?;
        Ok(TokenMail { to, token })
    }

    async fn check_may_manage_credentials(&self, actor: &Actor, user: UserId) -> Result<()> {
        self.store
            .get_user(actor.org(), user)
            .await?
            .ok_or_else(|| CmmsError::not_found("user", user))?;
        if actor.user_id() != Some(user) {
            rbac::check_can_manage_user(actor, self.user_level(actor, user).await?)?;
        }
        Ok(())
    }

    /// Changes the actor's own password (the current one must match); other sessions end.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new_password: &str,
    ) -> Result<()> {
        let me = actor.user_id().ok_or(CmmsError::Unauthenticated)?;
        let cred = self.credential(actor.org(), me).await?;
        if !self.password_matches(current, cred.password_hash.as_deref()).await? {
            return Err(CmmsError::invalid("current_password", "does not match"));
        }
        self.store_password(actor, me, new_password).await
    }

    /// Sets a user's password: the system (bootstrap, command-line tools) or someone who may
    /// manage the user. Every session of the user ends.
    pub async fn set_password(
        &self,
        actor: &Actor,
        user: UserId,
        new_password: &str,
    ) -> Result<()> {
        self.check_may_manage_credentials(actor, user).await?;
        self.store_password(actor, user, new_password).await
    }

    async fn store_password(&self, actor: &Actor, user: UserId, new_password: &str) -> Result<()> {
        let hash = self.hash_password("password", new_password).await?;
        let now = self.now();
        let stored = self.store.get_credential(actor.org(), user).await?;
        let before = stored.clone().unwrap_or_else(|| Credential::new(actor.org(), user, now));
        let after = Credential { password_hash: Some(hash), ..before.cleared(now) };
        let st = Stamp::new(actor, now);
        let mut cs = Changeset::new();
        cs.push(Write::RevokeTokens {
            user,
            family: None,
            purpose: Some(TokenPurpose::Refresh),
            at: now,
        });
        let entity = EntityRef::new(EntityKind::Credential, user);
        cs.push(st.audit(
            "auth.password_set",
            entity,
            Some(before.audit_view()),
            Some(after.audit_view()),
        ));
        cs.push(Self::credential_write(stored.as_ref(), after));
        self.commit(actor, cs).await?;
        Ok(())
    }

    /// How long refresh tokens live, for clients and cookies.
    pub fn refresh_ttl(&self) -> TimeDelta {
        TimeDelta::seconds(self.auth.refresh_ttl_secs)
    }
}
