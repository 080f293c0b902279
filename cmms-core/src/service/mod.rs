//! Use cases on the `Cmms` facade: load -> authorize -> decide -> commit -> publish.
//! One file per area; this one holds the facade and the helpers every use case shares.

mod activity;
mod asset;
mod audit;
mod events;
mod org;
mod request;
mod site;
mod user;
mod work_order;

pub use events::{EventPage, EventSubscription};
pub use org::Bootstrapped;
pub use request::AutoCloseReport;
pub use work_order::{Assignment, sort_key as work_order_sort_key};

use crate::actor::Actor;
use crate::clock::{Clock, SystemClock};
use crate::domain::EntityRef;
use crate::domain::audit::AuditDraft;
use crate::domain::event::{EventAudience, EventDraft, EventKind};
use crate::error::{CmmsError, Result};
use crate::ids::UserId;
use crate::rbac::{self, Permission, Resource};
use crate::store::{Changeset, Receipt, Store, Write};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// The entry point: a store plus a clock, and every use case as a method taking `&Actor` first.
///
/// ```
/// # async fn demo(store: std::sync::Arc<dyn cmms_core::Store>) -> cmms_core::Result<()> {
/// use cmms_core::{Cmms, domain::org::NewOrg};
/// let cmms = Cmms::new(store);
/// let boot = cmms
///     .bootstrap_org(NewOrg {
///         name: "Acme Plant".into(),
///         owner_name: "Olivia Owner".into(),
///         owner_email: "olivia@acme.test".into(),
///         ..NewOrg::default()
///     })
///     .await?;
/// let owner = cmms.actor(boot.org.id, boot.owner.id).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cmms {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Cmms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cmms").finish_non_exhaustive()
    }
}

impl Cmms {
    /// Wraps a store, using the system clock.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            clock: Arc::new(SystemClock),
        }
    }

    /// Wraps a store with a custom clock (tests, simulations).
    pub fn with_clock(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current time of this facade's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn commit(&self, actor: &Actor, changes: Changeset) -> Result<Receipt> {
        Ok(self.store.commit(actor.org(), changes).await?)
    }

    /// Commits org-level record changes, each with its audit entry and an event anyone with
    /// `org.read` may see.
    async fn commit_changes(
        &self,
        actor: &Actor,
        at: DateTime<Utc>,
        changes: Vec<OrgChange>,
    ) -> Result<()> {
        let st = Stamp::new(actor, at);
        let mut cs = Changeset::new();
        for c in changes {
            let payload = c
                .after
                .clone()
                .or_else(|| c.before.clone())
                .unwrap_or(Value::Null);
            cs.push(c.write);
            cs.push(st.audit(c.action, c.entity, c.before, c.after));
            cs.push(st.event(c.kind, c.entity, EventAudience::default(), payload));
        }
        self.commit(actor, cs).await.map(drop)
    }
}

/// One org-level record change: the write, and what its audit entry and event say.
pub(crate) struct OrgChange {
    write: Write,
    action: &'static str,
    kind: EventKind,
    entity: EntityRef,
    before: Option<Value>,
    after: Option<Value>,
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
        Self {
            write,
            action,
            kind,
            entity,
            before,
            after,
        }
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
    actor_id: Option<UserId>,
    request_id: Option<String>,
    at: DateTime<Utc>,
}

pub(crate) fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Stamp {
    pub(crate) fn new(actor: &Actor, at: DateTime<Utc>) -> Self {
        Self {
            actor_id: actor.user_id(),
            request_id: actor.request_id().map(str::to_string),
            at,
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
            audience,
            payload,
            at: self.at,
        })
    }
}

/// Fails with `Forbidden` unless the actor holds `permission` somewhere (for lists and creates
/// before any row is known).
pub(crate) fn require_held(actor: &Actor, permission: Permission) -> Result<()> {
    if rbac::holds(actor, permission) {
        Ok(())
    } else {
        Err(CmmsError::Forbidden {
            permission: permission.as_str().into(),
        })
    }
}

/// Reads of a row the actor may not see answer `NotFound`, exactly like another tenant's id, so
/// ids never reveal what exists.
pub(crate) fn require_readable(
    actor: &Actor,
    permission: Permission,
    resource: &Resource<'_>,
    entity: &str,
    id: impl std::fmt::Display,
) -> Result<()> {
    if rbac::can(actor, permission, resource) {
        Ok(())
    } else {
        Err(CmmsError::not_found(entity, id))
    }
}

/// Checks an optimistic-concurrency version the caller passed.
pub(crate) fn check_version(entity: &str, current: i64, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(v) if v != current => Err(CmmsError::Conflict {
            message: format!("{entity} changed since it was read (version {v}, now {current})"),
            current_version: Some(current),
        }),
        _ => Ok(()),
    }
}
