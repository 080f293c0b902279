//! API key use cases: create (shown once), list, revoke, and authenticate a key into an actor.

use super::{Cmms, Stamp, json, require_held};
use crate::actor::{Actor, ActorGrant};
use crate::domain::api_key::{ApiKey, NewApiKey, parse_key};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::ApiKeyId;
use crate::rbac::{self, Permission};
use crate::store::{Changeset, Write};
use chrono::TimeDelta;

/// `last_used_at` is written at most this often per key, so busy integrations do not turn
/// every request into a write.
const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::seconds(60);

impl Cmms {
    /// Creates an API key acting with `role` (only roles the actor may grant) on the actor's
    /// behalf. Returns the key and its text, which is shown this once and stored only hashed.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        input: NewApiKey,
    ) -> Result<(ApiKey, String)> {
        require_held(actor, Permission::UserManage)?;
        let me = actor
            .user_id()
            .ok_or_else(|| CmmsError::invalid("actor", "API keys are created by users"))?;
        let def = self.role_def(actor, input.role).await?;
        self.check_sites_exist(actor, input.sites.as_deref()).await?;
        rbac::check_can_grant(actor, &def, input.sites.as_deref())?;
        let (key, text) = ApiKey::create(actor.org(), input, me, self.now())?;
        let st = Stamp::new(actor, key.created_at);
        let mut cs = Changeset::new();
        cs.push(Write::insert(key.clone()));
        cs.push(st.audit(
            "api_key.create",
            EntityRef::new(EntityKind::ApiKey, key.id),
            None,
            Some(json(&key)),
        ));
        self.commit(actor, cs).await?;
        Ok((key, text))
    }

    /// The organization's API keys (without secrets), newest first.
    pub async fn list_api_keys(&self, actor: &Actor) -> Result<Vec<ApiKey>> {
        require_held(actor, Permission::UserManage)?;
        Ok(self.store.list_api_keys(actor.org()).await?)
    }

    /// Revokes a key: its creator, or anyone who could grant its role.
    pub async fn revoke_api_key(&self, actor: &Actor, id: ApiKeyId) -> Result<ApiKey> {
        require_held(actor, Permission::UserManage)?;
        let key = self
            .store
            .get_api_key(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("api_key", id))?;
        if actor.user_id() != Some(key.created_by) {
            let def = self.role_def(actor, key.role).await?;
            rbac::check_can_grant(actor, &def, key.sites.as_deref())?;
        }
        if key.revoked_at.is_some() {
            return Ok(key);
        }
        let now = self.now();
        let after = ApiKey { revoked_at: Some(now), version: key.version + 1, ..key.clone() };
        let st = Stamp::new(actor, now);
        let mut cs = Changeset::new();
        cs.push(Write::update(after.clone()));
        cs.push(st.audit(
            "api_key.revoke",
            EntityRef::new(EntityKind::ApiKey, id),
            Some(json(&key)),
            Some(json(&after)),
        ));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// The actor for an API key's text: the key's role (and sites) on behalf of its creator,
    /// who must still be active. Anything wrong is `Unauthenticated`.
    pub async fn authenticate_api_key(&self, text: &str) -> Result<Actor> {
        let (org, id, secret) = parse_key(text)?;
        let key = self.store.get_api_key(org, id).await?.ok_or(CmmsError::Unauthenticated)?;
        if !key.accepts(secret) {
            return Err(CmmsError::Unauthenticated);
        }
        let creator = self.actor(org, key.created_by).await?;
        let role =
            self.role_def(&creator, key.role).await.map_err(|_| CmmsError::Unauthenticated)?;
        let grant = ActorGrant { role, sites: key.sites.clone() };
        let actor = Actor::new(org, key.created_by, vec![grant], Vec::new())
            .with_request_id(format!("api_key:{}", key.id))
            .via_api_key(key.id);
        let now = self.now();
        if key.last_used_at.is_none_or(|t| now - t >= LAST_USED_RESOLUTION) {
            let mut cs = Changeset::new();
            cs.push(Write::update(ApiKey {
                last_used_at: Some(now),
                version: key.version + 1,
                ..key
            }));
            // Recording the use is best effort: a concurrent request may have done it already.
            if let Err(e) = self.commit(&Actor::system(org), cs).await {
                tracing::debug!(error = %e, "api key last-used time not recorded");
            }
        }
        Ok(actor)
    }
}
