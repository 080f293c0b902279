//! What a use case leaves behind besides its records: audit entries and events, stamped with
//! who acted and when, and the org-level record changes that carry both.

use crate::actor::Actor;
use crate::domain::audit::AuditDraft;
use crate::domain::event::{EventAudience, EventDraft, EventKind};
use crate::domain::{EntityKind, EntityRef};
use crate::ids::UserId;
use crate::rbac::Permission;
use crate::store::Write;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// One org-level record change: the write, and what its audit entry and event say.
pub(crate) struct OrgChange {
    pub(super) write: Write,
    pub(super) action: &'static str,
    pub(super) kind: EventKind,
    pub(super) entity: EntityRef,
    pub(super) before: Option<Value>,
    pub(super) after: Option<Value>,
    pub(super) audience: EventAudience,
    pub(super) guards: Vec<Write>,
}

/// Who may see the event of an org-level record: the permission that reads that kind of
/// record (people, roles and teams — lists of people — are not for customers' eyes).
fn audience_for(kind: EntityKind) -> EventAudience {
    let permission = match kind {
        EntityKind::User | EntityKind::Grant | EntityKind::Role | EntityKind::Team => {
            Permission::UserRead
        }
        EntityKind::Site | EntityKind::Location => Permission::SiteRead,
        _ => Permission::OrgRead,
    };
    EventAudience { permission: Some(permission), ..EventAudience::default() }
}

impl OrgChange {
    pub(crate) fn new(
        write: Write,
        action: &'static str,
        kind: EventKind,
        entity: EntityRef,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Self {
        let audience = audience_for(entity.kind);
        Self { write, action, kind, entity, before, after, audience, guards: Vec::new() }
    }

    /// Commits only if these `AssertVersion` guards hold.
    pub(crate) fn guarded(mut self, guards: Vec<Write>) -> Self {
        self.guards = guards;
        self
    }

    /// Scopes the event to a site (sites, locations, site teams).
    pub(crate) fn at_site(mut self, site: Option<crate::ids::SiteId>) -> Self {
        self.audience.site_id = site;
        self
    }

    pub(crate) fn created<T: Serialize>(
        write: Write,
        action: &'static str,
        kind: EventKind,
        entity: EntityRef,
        after: &T,
    ) -> Self {
        Self::new(write, action, kind, entity, None, Some(json(after)))
    }
}

/// Who and when, for the audit entries and events of one use case. Cloneable so numbered
/// builders (closures run inside the store's transaction) can carry it.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    pub(crate) actor_id: Option<UserId>,
    request_id: Option<String>,
    pub(crate) at: DateTime<Utc>,
    suppress_webhook: Option<uuid::Uuid>,
}

pub(crate) fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Stamp {
    /// A stamp naming `user` as the one who acted, for use cases that run as the system on a
    /// user's behalf (login, token redemption).
    pub(crate) fn for_user(actor: &Actor, user: Option<UserId>, at: DateTime<Utc>) -> Self {
        Self { actor_id: user, ..Self::new(actor, at) }
    }

    pub(crate) fn new(actor: &Actor, at: DateTime<Utc>) -> Self {
        Self {
            actor_id: actor.user_id(),
            request_id: actor.request_id().map(str::to_string),
            at,
            suppress_webhook: actor.suppressed_webhook().map(|w| w.0),
        }
    }

    pub(crate) fn audit(
        &self,
        action: &str,
        entity: EntityRef,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Write {
        Write::AppendAudit(AuditDraft {
            at: self.at,
            actor_id: self.actor_id,
            action: action.to_string(),
            entity,
            before,
            after,
            request_id: self.request_id.clone(),
        })
    }

    pub(crate) fn event(
        &self,
        kind: EventKind,
        entity: EntityRef,
        audience: EventAudience,
        payload: Value,
    ) -> Write {
        Write::AppendEvent(EventDraft {
            kind,
            entity,
            actor_id: self.actor_id,
            audience: EventAudience { suppress_webhook: self.suppress_webhook, ..audience },
            payload,
            at: self.at,
        })
    }
}
