//! `Actor`: who is calling — a user of one organization with their role grants and teams, or
//! the system itself (background jobs). Built by the caller, usually with `Cmms::actor`.

use crate::error::{CmmsError, Result};
use crate::ids::{ApiKeyId, OrgId, SiteId, TeamId, UserId, WebhookId};
use crate::rbac::{BuiltinRole, RoleDef};

/// One role the actor holds, at org scope (`sites == None`) or for listed sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorGrant {
    /// The role with its resolved permissions.
    pub role: RoleDef,
    /// `None` for the whole organization, else the sites the grant covers.
    pub sites: Option<Vec<SiteId>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    User(UserId),
    System,
}

/// The caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    org: OrgId,
    who: Who,
    grants: Vec<ActorGrant>,
    teams: Vec<TeamId>,
    request_id: Option<String>,
    api_key: Option<ApiKeyId>,
    suppress_webhook: Option<WebhookId>,
}

impl Actor {
    /// A user with resolved grants and team memberships.
    pub fn new(org: OrgId, user: UserId, grants: Vec<ActorGrant>, teams: Vec<TeamId>) -> Self {
        Self {
            org,
            who: Who::User(user),
            grants,
            teams,
            request_id: None,
            api_key: None,
            suppress_webhook: None,
        }
    }

    /// A user holding one built-in role at org scope (handy in tests and examples).
    ///
    /// ```
    /// use cmms_core::{Actor, OrgId, UserId, rbac::BuiltinRole};
    /// let a = Actor::with_builtin(OrgId::new(), UserId::new(), BuiltinRole::Viewer);
    /// assert!(!a.is_system());
    /// ```
    pub fn with_builtin(org: OrgId, user: UserId, role: BuiltinRole) -> Self {
        let grant = ActorGrant { role: RoleDef::builtin(role), sites: None };
        Self::new(org, user, vec![grant], Vec::new())
    }

    /// The system: background jobs such as auto-closing confirmations. Every check passes;
    /// audit entries record no user.
    pub fn system(org: OrgId) -> Self {
        Self {
            who: Who::System,
            ..Self::new(org, UserId(uuid::Uuid::nil()), Vec::new(), Vec::new())
        }
    }

    /// Attaches a request id (for example the HTTP `X-Request-Id`) recorded in audit entries.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Marks the actor as acting through API key `key` (set by `Cmms::authenticate_api_key`).
    pub(crate) fn via_api_key(mut self, key: ApiKeyId) -> Self {
        self.api_key = Some(key);
        self
    }

    /// The API key the actor acts through, if any.
    pub fn api_key(&self) -> Option<ApiKeyId> {
        self.api_key
    }

    /// Keeps the events of this actor's changes from webhook subscription `webhook` (echo
    /// suppression: an integration does not receive its own writes). Only a change made with
    /// an API key may ask for it; anyone else gets a validation error.
    ///
    /// ```
    /// use cmms_core::{Actor, OrgId, UserId, ids::WebhookId, rbac::BuiltinRole};
    /// let a = Actor::with_builtin(OrgId::new(), UserId::new(), BuiltinRole::Admin);
    /// assert!(a.suppressing_webhook(WebhookId::new()).is_err()); // not an API key
    /// ```
    pub fn suppressing_webhook(mut self, webhook: WebhookId) -> Result<Self> {
        if self.api_key.is_none() {
            return Err(CmmsError::invalid(
                "X-Cmms-Suppress-Webhooks",
                "only a change made with an API key may suppress webhooks",
            ));
        }
        self.suppress_webhook = Some(webhook);
        Ok(self)
    }

    /// The webhook subscription that must not receive this actor's events.
    pub fn suppressed_webhook(&self) -> Option<WebhookId> {
        self.suppress_webhook
    }

    /// The actor's organization: every read and write of a use case is scoped to it.
    pub fn org(&self) -> OrgId {
        self.org
    }

    /// The user, or `None` for the system.
    pub fn user_id(&self) -> Option<UserId> {
        match self.who {
            Who::User(u) => Some(u),
            Who::System => None,
        }
    }

    /// Whether this is the system actor.
    pub fn is_system(&self) -> bool {
        self.who == Who::System
    }

    /// The role grants.
    pub fn grants(&self) -> &[ActorGrant] {
        &self.grants
    }

    /// The teams the user belongs to.
    pub fn teams(&self) -> &[TeamId] {
        &self.teams
    }

    /// The request id, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}
