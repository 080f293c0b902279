//! Who must hear about what: the pure rules that turn one committed event into notifications.
//!
//! [`recipients`] reads a table of [`RULES`] (event kind, condition, who, notification kind),
//! picks the people each rule names from a [`Directory`] loaded by the caller, drops the one
//! who acted, and keeps only those who may read the event — the same check the event stream
//! applies ([`crate::rbac::can`] on the event's audience), so a requester never hears of an
//! internal comment nor of another requester's request. [`deliver::changeset`] then builds the
//! consumer's one commit from what this decided and each user's channel preferences.
//!
//! ```
//! use cmms_core::notify::{RULES, Who};
//! use cmms_core::domain::event::EventKind;
//! assert!(RULES.iter().any(|r| r.event == EventKind::WorkOrderAssigned && r.who == Who::Assignees));
//! // The consumer's own events name nobody, so it never feeds itself.
//! assert!(RULES.iter().all(|r| r.event != EventKind::NotificationCreated));
//! ```

pub mod deliver;
mod text;

pub use text::message;

use crate::actor::Actor;
use crate::domain::event::{Event, EventKind};
use crate::domain::notification::{NotificationKind, Watch};
use crate::domain::team::Team;
use crate::domain::user::RoleGrant;
use crate::domain::work_order::WorkOrder;
use crate::ids::{SiteId, TeamId, UserId};
use crate::rbac::{self, BuiltinRole, RoleRef};
use std::collections::HashMap;
use uuid::Uuid;

/// Who a rule names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The work order's assignees (as of the event).
    Assignees,
    /// Whoever filed the request: the request's owner, or for a work order the requester of
    /// the request it came from (work without a request has no requester to tell).
    Requester,
    /// Users watching the work order.
    Watchers,
    /// Managers of the work's team (those managers who are members of it), else every manager
    /// covering its site.
    TeamManagers,
    /// Holders of a built-in role covering the event's site (storekeepers, planners).
    Role(BuiltinRole),
}

/// When a rule applies, beyond the event kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Always.
    Always,
    /// A status change to this status (`payload.to`).
    StatusTo(&'static str),
    /// A status change to any other status.
    StatusNotTo(&'static str),
}

/// One rule: on `event` (when `when` holds) tell `who` with a notification of `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The event kind.
    pub event: EventKind,
    /// The extra condition.
    pub when: When,
    /// Who hears.
    pub who: Who,
    /// What they are told.
    pub kind: NotificationKind,
}

const fn rule(event: EventKind, when: When, who: Who, kind: NotificationKind) -> Rule {
    Rule { event, when, who, kind }
}

use EventKind as E;
use NotificationKind as N;

/// Every rule, in priority order: a user named by several rules for one event gets one
/// notification, of the first rule's kind.
pub const RULES: &[Rule] = &[
    rule(E::WorkOrderAssigned, When::Always, Who::Assignees, N::Assigned),
    rule(
        E::WorkOrderStatusChanged,
        When::StatusTo("completed"),
        Who::Requester,
        N::AwaitingConfirmation,
    ),
    rule(
        E::WorkOrderStatusChanged,
        When::StatusNotTo("completed"),
        Who::Requester,
        N::RequestStatus,
    ),
    rule(E::WorkOrderStatusChanged, When::Always, Who::Watchers, N::WatchedStatus),
    rule(E::WorkOrderCommented, When::Always, Who::Watchers, N::WatchedComment),
    rule(E::RequestApproved, When::Always, Who::Requester, N::RequestStatus),
    rule(E::RequestRejected, When::Always, Who::Requester, N::RequestStatus),
    rule(E::RequestCancelled, When::Always, Who::Requester, N::RequestStatus),
    rule(E::RequestCompletionRejected, When::Always, Who::TeamManagers, N::CompletionRejected),
    rule(E::LowStock, When::Always, Who::Role(BuiltinRole::Storekeeper), N::LowStock),
    rule(E::PmGenerated, When::Always, Who::Role(BuiltinRole::Manager), N::PmDue),
    rule(E::PmOverdue, When::Always, Who::Role(BuiltinRole::Manager), N::PmOverdue),
];

/// What the rules look people up in, loaded by the caller for a batch of events.
#[derive(Debug, Default)]
pub struct Directory {
    /// Every role grant of the organization.
    pub grants: Vec<RoleGrant>,
    /// Every team.
    pub teams: Vec<Team>,
    /// Watchers of the work orders the events name.
    pub watchers: Vec<Watch>,
    /// The work orders the events name, as they are now.
    pub work_orders: HashMap<Uuid, WorkOrder>,
    /// The actors of the candidates (inactive users have none and hear nothing).
    pub actors: HashMap<UserId, Actor>,
}

/// One person to tell, and what about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    /// The user.
    pub user_id: UserId,
    /// The notification kind.
    pub kind: NotificationKind,
}

/// Everyone the rules name for `event`, before the visibility check (the caller loads their
/// actors into the directory, then calls [`recipients`]).
pub fn candidates(event: &Event, dir: &Directory) -> Vec<Recipient> {
    let mut out: Vec<Recipient> = Vec::new();
    for r in RULES.iter().filter(|r| r.event == event.draft.kind && applies(r.when, event)) {
        for user in named(r.who, event, dir) {
            if Some(user) != event.draft.actor_id && !out.iter().any(|o| o.user_id == user) {
                out.push(Recipient { user_id: user, kind: r.kind });
            }
        }
    }
    out
}

/// Who must hear about `event`: the [`candidates`] who may read it (an active user whose actor
/// the directory holds and who passes the event's audience check).
pub fn recipients(event: &Event, dir: &Directory) -> Vec<Recipient> {
    let audience = &event.draft.audience;
    candidates(event, dir)
        .into_iter()
        .filter(|r| {
            dir.actors.get(&r.user_id).is_some_and(|a| {
                !a.is_system() && rbac::can(a, audience.required(), &audience.resource())
            })
        })
        .collect()
}

fn applies(when: When, event: &Event) -> bool {
    let to = event.draft.payload.get("to").and_then(|v| v.as_str());
    match when {
        When::Always => true,
        When::StatusTo(s) => to == Some(s),
        When::StatusNotTo(s) => to.is_some_and(|t| t != s),
    }
}

fn named(who: Who, event: &Event, dir: &Directory) -> Vec<UserId> {
    let audience = &event.draft.audience;
    let entity = event.draft.entity.id;
    match who {
        Who::Assignees => audience.assignees.clone(),
        Who::Requester => match dir.work_orders.get(&entity) {
            Some(wo) => wo.request_id.and(wo.requested_by).into_iter().collect(),
            None if event.draft.entity.kind == crate::domain::EntityKind::Request => {
                audience.owner.into_iter().collect()
            }
            None => Vec::new(),
        },
        Who::Watchers => {
            dir.watchers.iter().filter(|w| w.work_order_id.0 == entity).map(|w| w.user_id).collect()
        }
        Who::TeamManagers => {
            let p = &event.draft.payload;
            let id = |k: &str| p.get(k).and_then(|v| v.as_str()).and_then(|s| s.parse().ok());
            let site = id("site_id").map(SiteId).or(audience.site_id);
            let team = id("team_id").map(TeamId);
            let managers = holders(dir, BuiltinRole::Manager, site);
            let members = team.and_then(|t| dir.teams.iter().find(|x| x.id == t));
            let in_team: Vec<UserId> = match members {
                Some(t) => managers.iter().copied().filter(|m| t.members.contains(m)).collect(),
                None => Vec::new(),
            };
            if in_team.is_empty() { managers } else { in_team }
        }
        Who::Role(role) => holders(dir, role, audience.site_id),
    }
}

/// Users holding built-in `role` at org scope or for `site`.
fn holders(dir: &Directory, role: BuiltinRole, site: Option<SiteId>) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::new();
    for g in &dir.grants {
        let covers = match (&g.sites, site) {
            (None, _) => true,
            (Some(sites), Some(s)) => sites.contains(&s),
            (Some(_), None) => false,
        };
        if g.role == RoleRef::Builtin(role) && covers && !out.contains(&g.user_id) {
            out.push(g.user_id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::EntityRef;
    use crate::domain::event::{EventAudience, EventDraft};
    use crate::ids::{GrantId, OrgId, StockId};
    use crate::rbac::Permission;

    fn grant(org: OrgId, user: UserId, role: BuiltinRole, sites: Option<Vec<SiteId>>) -> RoleGrant {
        RoleGrant {
            id: GrantId::new(),
            org_id: org,
            user_id: user,
            role: RoleRef::Builtin(role),
            sites,
            granted_by: None,
            granted_at: chrono::Utc::now(),
        }
    }

    fn event(org: OrgId, kind: EventKind, permission: Permission, site: SiteId) -> Event {
        Event {
            org_id: org,
            seq: 7,
            draft: EventDraft {
                kind,
                entity: EntityRef::new(EntityKind::Stock, StockId::new()),
                actor_id: None,
                audience: EventAudience {
                    permission: Some(permission),
                    site_id: Some(site),
                    ..EventAudience::default()
                },
                payload: serde_json::json!({ "part_number": "BRG-6204", "name": "Bearing" }),
                at: chrono::Utc::now(),
            },
        }
    }

    use crate::domain::EntityKind;

    #[test]
    fn storekeepers_hear_of_low_stock_and_planners_of_overdue_pm_at_their_sites() {
        let org = OrgId::new();
        let (site, other) = (SiteId::new(), SiteId::new());
        let (keeper, far_keeper, manager, tech) =
            (UserId::new(), UserId::new(), UserId::new(), UserId::new());
        let mut dir = Directory {
            grants: vec![
                grant(org, keeper, BuiltinRole::Storekeeper, None),
                grant(org, far_keeper, BuiltinRole::Storekeeper, Some(vec![other])),
                grant(org, manager, BuiltinRole::Manager, Some(vec![site])),
                grant(org, tech, BuiltinRole::Technician, None),
            ],
            ..Directory::default()
        };
        let low = event(org, EventKind::LowStock, Permission::InventoryRead, site);
        let named: Vec<UserId> = candidates(&low, &dir).iter().map(|r| r.user_id).collect();
        assert_eq!(named, vec![keeper]);
        // Without an actor (inactive) nobody hears; with one they do.
        assert!(recipients(&low, &dir).is_empty());
        dir.actors.insert(keeper, Actor::with_builtin(org, keeper, BuiltinRole::Storekeeper));
        assert_eq!(
            recipients(&low, &dir),
            vec![Recipient { user_id: keeper, kind: NotificationKind::LowStock }]
        );
        let (title, _, link) = message(&low, NotificationKind::LowStock);
        assert_eq!(title, "Low stock: BRG-6204 Bearing");
        assert_eq!(link.kind, EntityKind::Stock, "no part id in the payload: the event's entity");

        let overdue = event(org, EventKind::PmOverdue, Permission::PmRead, site);
        let named: Vec<UserId> = candidates(&overdue, &dir).iter().map(|r| r.user_id).collect();
        assert_eq!(named, vec![manager]);
        // An actor that may not read the event is dropped.
        dir.actors.insert(manager, Actor::with_builtin(org, manager, BuiltinRole::Requester));
        assert!(recipients(&overdue, &dir).is_empty());
    }
}
