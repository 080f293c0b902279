//! `Actor`: who is calling — a user of one organization with their role grants and teams, or
//! the system itself (background jobs). Built by the caller, usually with `Cmms::actor`.

use crate::ids::{OrgId, SiteId, TeamId, UserId};
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
}

impl Actor {
    /// A user with resolved grants and team memberships.
    pub fn new(org: OrgId, user: UserId, grants: Vec<ActorGrant>, teams: Vec<TeamId>) -> Self {
        Self { org, who: Who::User(user), grants, teams, request_id: None }
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
        Self { org, who: Who::System, grants: Vec::new(), teams: Vec::new(), request_id: None }
    }

    /// Attaches a request id (for example the HTTP `X-Request-Id`) recorded in audit entries.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
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
