//! Visibility scopes: which rows a list may contain for an actor, as clauses a store turns into
//! a WHERE clause.

use super::{Condition, Permission};
use crate::actor::Actor;
use crate::ids::{SiteId, TeamId, UserId};
use serde::{Deserialize, Serialize};

/// Which condition a visibility clause applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum ScopeCondition {
    /// Every row in the clause's sites.
    Any,
    /// Rows owned (requested) by this user.
    Own(UserId),
    /// Rows assigned to this user or to one of these teams.
    Assigned {
        /// The user.
        user: UserId,
        /// The user's teams.
        teams: Vec<TeamId>,
    },
}

/// One way a row may be visible: in these sites (or all, when `None`) under a condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct VisibilityClause {
    /// Sites the clause covers; `None` covers every site.
    pub sites: Option<Vec<SiteId>>,
    /// The row condition.
    pub condition: ScopeCondition,
}

/// The rows a list may contain: a row is visible when any clause matches. Stores turn this
/// into a WHERE clause so lists never hold rows the actor may not read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Visibility {
    /// Alternative clauses (OR). Empty means nothing is visible.
    pub clauses: Vec<VisibilityClause>,
}

impl Visibility {
    /// Everything in the organization.
    pub fn all() -> Self {
        Self { clauses: vec![VisibilityClause { sites: None, condition: ScopeCondition::Any }] }
    }

    /// Whether every row of the organization is visible (no filter needed).
    pub fn is_all(&self) -> bool {
        self.clauses.iter().any(|c| c.sites.is_none() && c.condition == ScopeCondition::Any)
    }

    /// Whether no row is visible.
    pub fn is_none(&self) -> bool {
        self.clauses.is_empty()
    }
}

/// The visibility scope of `actor` for rows guarded by `permission`.
pub fn visibility(actor: &Actor, permission: Permission) -> Visibility {
    if actor.is_system() {
        return Visibility::all();
    }
    let Some(user) = actor.user_id() else {
        return Visibility::default();
    };
    let mut clauses: Vec<VisibilityClause> = Vec::new();
    for g in actor.grants() {
        let condition = match g.role.permissions.get(permission) {
            None => continue,
            Some(Condition::Any) => ScopeCondition::Any,
            Some(Condition::Own) => ScopeCondition::Own(user),
            Some(Condition::Assigned) => {
                ScopeCondition::Assigned { user, teams: actor.teams().to_vec() }
            }
        };
        let clause = VisibilityClause { sites: g.sites.clone(), condition };
        if !clauses.contains(&clause) {
            clauses.push(clause);
        }
    }
    let vis = Visibility { clauses };
    if vis.is_all() { Visibility::all() } else { vis }
}
