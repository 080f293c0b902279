//! A populated organization for the conformance cases: one user per built-in role, two sites,
//! and helpers to drive work orders through the status machine.

use super::TestDb;
use crate::domain::credential::AuthSettings;
use crate::domain::org::{NewOrg, Org};
use crate::domain::site::{NewSite, Site};
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::user::{NewUser, User};
use crate::domain::work_order::{NewWorkOrder, WorkOrder};
use crate::rbac::{BuiltinRole, RoleRef};
use crate::service::Assignment;
use crate::{Actor, Cmms, CmmsError, ManualClock, WorkOrderId};
use chrono::{TimeZone, Utc};
use std::sync::Arc;

/// One user with the actor for them.
#[derive(Clone)]
pub struct Person {
    pub user: User,
    pub actor: Actor,
}

/// An organization with people and places.
pub struct Fx {
    pub db: Arc<dyn TestDb>,
    pub cmms: Cmms,
    pub clock: Arc<ManualClock>,
    pub org: Org,
    pub owner: Person,
    pub admin: Person,
    pub manager: Person,
    pub tech: Person,
    pub tech2: Person,
    pub storekeeper: Person,
    pub contractor: Person,
    pub requester: Person,
    pub requester2: Person,
    pub viewer: Person,
    pub site: Site,
    pub site2: Site,
}

/// Start of the test clock.
pub fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).single().unwrap_or_default()
}

impl Fx {
    /// A fresh organization in `db` (a second call on the same db makes a second tenant).
    pub async fn new(db: Arc<dyn TestDb>) -> Fx {
        let clock = Arc::new(ManualClock::new(t0()));
        Self::with_clock(db, clock).await
    }

    pub async fn with_clock(db: Arc<dyn TestDb>, clock: Arc<ManualClock>) -> Fx {
        let cmms = Cmms::with_clock(db.store(), clock.clone())
            .with_auth_settings(AuthSettings::for_tests());
        let tag = crate::ids::OrgId::new().to_string()[24..].to_string();
        let boot = cmms
            .bootstrap_org(NewOrg {
                name: format!("Org {tag}"),
                owner_name: "Olivia Owner".into(),
                owner_email: format!("owner-{tag}@example.test"),
                ..NewOrg::default()
            })
            .await
            .expect("bootstrap");
        let owner_actor = cmms.actor(boot.org.id, boot.owner.id).await.expect("owner actor");
        let owner = Person { user: boot.owner, actor: owner_actor };
        let site = cmms
            .create_site(
                &owner.actor,
                NewSite { name: "North Plant".into(), code: "NP".into(), ..NewSite::default() },
            )
            .await
            .expect("site");
        let site2 = cmms
            .create_site(
                &owner.actor,
                NewSite { name: "South Warehouse".into(), code: "SW".into(), ..NewSite::default() },
            )
            .await
            .expect("site2");
        let mut fx_people = Vec::new();
        for (name, role) in [
            ("admin", BuiltinRole::Admin),
            ("manager", BuiltinRole::Manager),
            ("tech", BuiltinRole::Technician),
            ("tech2", BuiltinRole::Technician),
            ("storekeeper", BuiltinRole::Storekeeper),
            ("contractor", BuiltinRole::Contractor),
            ("requester", BuiltinRole::Requester),
            ("requester2", BuiltinRole::Requester),
            ("viewer", BuiltinRole::Viewer),
        ] {
            let p = person(&cmms, &owner.actor, name, &tag, RoleRef::Builtin(role), None).await;
            fx_people.push(p);
        }
        let mut it = fx_people.into_iter();
        let mut next = || it.next().expect("person");
        Fx {
            db,
            cmms,
            clock,
            org: boot.org,
            owner,
            admin: next(),
            manager: next(),
            tech: next(),
            tech2: next(),
            storekeeper: next(),
            contractor: next(),
            requester: next(),
            requester2: next(),
            viewer: next(),
            site,
            site2,
        }
    }

    /// The person holding a built-in role (the first one, for roles with two).
    pub fn by_role(&self, role: BuiltinRole) -> &Person {
        match role {
            BuiltinRole::Owner => &self.owner,
            BuiltinRole::Admin => &self.admin,
            BuiltinRole::Manager => &self.manager,
            BuiltinRole::Technician => &self.tech,
            BuiltinRole::Storekeeper => &self.storekeeper,
            BuiltinRole::Contractor => &self.contractor,
            BuiltinRole::Requester => &self.requester,
            BuiltinRole::Viewer => &self.viewer,
        }
    }

    /// Moves the clock forward by one second (so timelines have distinct times).
    pub fn tick(&self) {
        self.clock.advance(chrono::TimeDelta::seconds(1));
    }

    /// A work order created by the manager at the first site.
    pub async fn wo(&self, title: &str, assignees: Vec<crate::UserId>) -> WorkOrder {
        self.cmms
            .create_work_order(
                &self.manager.actor,
                NewWorkOrder {
                    title: title.into(),
                    site_id: Some(self.site.id),
                    assignees,
                    ..NewWorkOrder::default()
                },
            )
            .await
            .expect("create work order")
    }

    /// A work order driven (by owner-level actors) into `status`, assigned to `tech`.
    pub async fn wo_in(&self, status: S) -> WorkOrder {
        let c = &self.cmms;
        let m = &self.manager.actor;
        if status == S::Requested {
            return c
                .create_work_order(
                    &self.tech.actor,
                    NewWorkOrder {
                        title: "Requested work".into(),
                        site_id: Some(self.site.id),
                        ..NewWorkOrder::default()
                    },
                )
                .await
                .expect("requested");
        }
        if status == S::Open {
            return self.wo("Open work", vec![]).await;
        }
        if status == S::Cancelled {
            let wo = self.wo("Cancelled work", vec![]).await;
            return self.go(m, wo.id, S::Cancelled, Some("no longer needed")).await;
        }
        let wo = self.wo("Work", vec![self.tech.user.id]).await;
        if status == S::Assigned {
            return wo;
        }
        let mut wo = self.go(m, wo.id, S::InProgress, None).await;
        let path: &[S] = match status {
            S::OnHold => &[S::OnHold],
            S::Completed => &[S::Completed],
            S::Verified => &[S::Completed, S::Verified],
            S::Closed => &[S::Completed, S::Verified, S::Closed],
            _ => &[],
        };
        for to in path {
            let reason = (*to == S::OnHold).then_some("waiting for parts");
            wo = self.go(m, wo.id, *to, reason).await;
        }
        assert_eq!(wo.status, status);
        wo
    }

    /// A transition that must succeed.
    pub async fn go(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        to: S,
        reason: Option<&str>,
    ) -> WorkOrder {
        self.tick();
        let input =
            TransitionInput { reason: reason.map(Into::into), ..TransitionInput::default() };
        self.cmms
            .transition_work_order(actor, id, to, input)
            .await
            .unwrap_or_else(|e| panic!("transition to {to}: {e}"))
    }

    /// Assigns (as the manager).
    pub async fn assign(&self, id: WorkOrderId, users: Vec<crate::UserId>) -> WorkOrder {
        self.cmms
            .assign_work_order(
                &self.manager.actor,
                id,
                Assignment { assignees: users, ..Assignment::default() },
            )
            .await
            .expect("assign")
    }

    /// The audit head and the last event sequence of this org: unchanged means nothing was
    /// committed.
    pub async fn snapshot(&self) -> (i64, i64) {
        let store = self.db.store();
        let (audit, _) = store.audit_head(self.org.id).await.expect("audit head");
        let events = store.events_since(self.org.id, 0, 100_000).await.expect("events");
        (audit, events.last().map_or(0, |e| e.seq))
    }

    /// Asserts nothing was committed since `before`.
    pub async fn assert_unchanged(&self, before: (i64, i64), what: &str) {
        assert_eq!(self.snapshot().await, before, "{what}: something was written");
    }
}

/// Creates a user with one grant.
pub async fn person(
    cmms: &Cmms,
    by: &Actor,
    name: &str,
    tag: &str,
    role: RoleRef,
    sites: Option<Vec<crate::SiteId>>,
) -> Person {
    let (user, _) = cmms
        .create_user(
            by,
            NewUser {
                name: format!("{name} {tag}"),
                email: format!("{name}-{tag}@example.test"),
                role: Some(role),
                sites,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e}"));
    let actor = cmms.actor(user.org_id, user.id).await.expect("actor");
    Person { user, actor }
}

/// Asserts a validation error naming `field`.
pub fn assert_field<T: std::fmt::Debug>(r: Result<T, CmmsError>, field: &str) {
    match r {
        Err(CmmsError::Validation(fields)) => assert!(
            fields.iter().any(|f| f.field == field),
            "expected a validation error on '{field}', got {fields:?}"
        ),
        other => panic!("expected a validation error on '{field}', got {other:?}"),
    }
}

/// Asserts a conflict on a taken value of `field` (a unique value someone else has).
pub fn assert_taken<T: std::fmt::Debug>(r: Result<T, CmmsError>, field: &str) {
    match r {
        Err(CmmsError::Conflict { field: Some(f), .. }) => assert_eq!(f, field),
        other => panic!("expected a conflict on '{field}', got {other:?}"),
    }
}

/// Asserts `NotFound`.
pub fn assert_not_found<T: std::fmt::Debug>(r: Result<T, CmmsError>, what: &str) {
    assert!(matches!(r, Err(CmmsError::NotFound { .. })), "{what}: expected NotFound, got {r:?}");
}

/// Asserts `Forbidden`.
pub fn assert_forbidden<T: std::fmt::Debug>(r: Result<T, CmmsError>, what: &str) {
    assert!(matches!(r, Err(CmmsError::Forbidden { .. })), "{what}: expected Forbidden, got {r:?}");
}
