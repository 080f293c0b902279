//! Conformance: the permission matrix — built-in roles × use cases × own / assigned / other
//! work, the grant-below rule, and what requesters and contractors see.

use crate::domain::labor::NewLabor;
use crate::domain::request::NewRequest;
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::work_order::{NewWorkOrder, WorkOrder, WorkOrderPatch};
use crate::rbac::{self, BuiltinRole, Condition, Permission, Resource, RoleRef};
use crate::service::Assignment;
use crate::store::{RequestFilter, WorkOrderFilter};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, Person, assert_forbidden, assert_not_found, person};
use crate::{Actor, CmmsError, SiteId, TeamId, UserId};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Probe {
    Read,
    List,
    Update,
    Comment,
    Internal,
    Start,
    Delete,
    Assign,
    Labor,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rel {
    Own,
    Assigned,
    Other,
}

const ALL: [bool; 3] = [true, true, true];
const NONE: [bool; 3] = [false, false, false];
const ASSIGNED: [bool; 3] = [false, true, false];
const OWN: [bool; 3] = [true, false, false];

/// Expected outcome per role and probe, for [own, assigned, other] work. Written out by hand
/// from the product rules, not derived from the role table, so the two check each other.
fn expected(role: BuiltinRole, probe: Probe) -> [bool; 3] {
    use BuiltinRole as R;
    use Probe as P;
    match (role, probe) {
        (R::Owner | R::Admin | R::Manager, _) => ALL,
        (R::Technician, P::Read | P::List | P::Comment | P::Internal) => ALL,
        (R::Technician, P::Update | P::Start | P::Labor) => ASSIGNED,
        (R::Technician, P::Delete | P::Assign) => NONE,
        (R::Storekeeper, P::Read | P::List | P::Comment | P::Internal) => ALL,
        (R::Storekeeper, _) => NONE,
        (R::Contractor, P::Read | P::List | P::Comment | P::Start | P::Labor) => ASSIGNED,
        (R::Contractor, _) => NONE,
        (R::Requester, P::Read | P::List | P::Comment) => OWN,
        (R::Requester, _) => NONE,
        (R::Viewer, P::Read | P::List) => ALL,
        (R::Viewer, _) => NONE,
    }
}

async fn setup(fx: &Fx, who: &Person, rel: Rel) -> WorkOrder {
    let other = fx.tech2.user.id;
    let (requested_by, assignees) = match rel {
        Rel::Own => (Some(who.user.id), vec![other]),
        Rel::Assigned => (None, vec![who.user.id]),
        Rel::Other => (None, vec![other]),
    };
    fx.cmms
        .create_work_order(
            &fx.manager.actor,
            NewWorkOrder {
                title: format!("{rel:?} work"),
                site_id: Some(fx.site.id),
                assignees,
                requested_by,
                ..NewWorkOrder::default()
            },
        )
        .await
        .expect("setup work order")
}

async fn run(fx: &Fx, a: &Actor, probe: Probe, wo: &WorkOrder) -> Result<(), CmmsError> {
    let c = &fx.cmms;
    match probe {
        Probe::Read => c.get_work_order(a, wo.id).await.map(drop),
        Probe::List => {
            let page = c
                .list_work_orders(
                    a,
                    WorkOrderFilter {
                        limit: Some(500),
                        ..WorkOrderFilter::default()
                    },
                )
                .await?;
            if page.items.iter().any(|w| w.id == wo.id) {
                Ok(())
            } else {
                Err(CmmsError::not_found("work_order", wo.id))
            }
        }
        Probe::Update => {
            let patch = WorkOrderPatch {
                title: Some("Renamed".into()),
                ..WorkOrderPatch::default()
            };
            c.update_work_order(a, wo.id, patch, None).await.map(drop)
        }
        Probe::Comment => c.add_comment(a, wo.id, "On my way", false).await.map(drop),
        Probe::Internal => c.add_comment(a, wo.id, "Staff only", true).await.map(drop),
        Probe::Start => c
            .transition_work_order(a, wo.id, S::InProgress, TransitionInput::default())
            .await
            .map(drop),
        Probe::Delete => c.delete_work_order(a, wo.id, None).await,
        Probe::Assign => {
            let to = Assignment {
                assignees: vec![fx.tech.user.id],
                ..Assignment::default()
            };
            c.assign_work_order(a, wo.id, to).await.map(drop)
        }
        Probe::Labor => c
            .log_labor(
                a,
                wo.id,
                NewLabor {
                    minutes: Some(30),
                    ..NewLabor::default()
                },
            )
            .await
            .map(drop),
    }
}

/// Every built-in role × work-order use case × own / assigned / other work behaves as the
/// product rules say; a refused write on readable work is `Forbidden`, on unreadable work
/// `NotFound`, and nothing is written either way.
pub async fn permission_matrix(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let probes = [
        Probe::Read,
        Probe::List,
        Probe::Update,
        Probe::Comment,
        Probe::Internal,
        Probe::Start,
        Probe::Delete,
        Probe::Assign,
        Probe::Labor,
    ];
    for role in BuiltinRole::ALL {
        let who = fx.by_role(*role);
        for probe in probes {
            for (i, rel) in [Rel::Own, Rel::Assigned, Rel::Other]
                .into_iter()
                .enumerate()
            {
                let wo = setup(&fx, who, rel).await;
                let readable = expected(*role, Probe::Read)[i];
                let before = fx.snapshot().await;
                let r = run(&fx, &who.actor, probe, &wo).await;
                let want = expected(*role, probe)[i];
                let what = format!("{role} {probe:?} on {rel:?} work");
                match (want, &r) {
                    (true, Ok(())) => {}
                    (true, Err(e)) => panic!("{what}: expected success, got {e:?}"),
                    (false, Ok(())) => panic!("{what}: expected refusal, got success"),
                    (false, Err(CmmsError::NotFound { .. }))
                        if !readable || probe == Probe::List => {}
                    (false, Err(CmmsError::Forbidden { .. })) if readable => {}
                    (false, Err(e)) => panic!("{what}: wrong refusal {e:?} (readable: {readable})"),
                }
                if !want {
                    fx.assert_unchanged(before, &what).await;
                }
            }
        }
    }
}

/// `authorize` for every role × permission × own / assigned (directly or via team) / other
/// resource follows the role's condition; viewers hold no write permission at all.
pub async fn permission_conditions_pure(_db: Arc<dyn TestDb>) {
    let (org, me, someone, team) = (
        crate::OrgId::new(),
        UserId::new(),
        UserId::new(),
        TeamId::new(),
    );
    let site = SiteId::new();
    let mine = [me];
    let theirs = [someone];
    let own = Resource {
        site: Some(site),
        owner: Some(me),
        assignees: &theirs,
        team: None,
    };
    let assigned = Resource {
        site: Some(site),
        owner: Some(someone),
        assignees: &mine,
        team: None,
    };
    let via_team = Resource {
        site: Some(site),
        owner: Some(someone),
        assignees: &theirs,
        team: Some(team),
    };
    let other = Resource {
        site: Some(site),
        owner: Some(someone),
        assignees: &theirs,
        team: None,
    };
    for role in BuiltinRole::ALL {
        let base = Actor::with_builtin(org, me, *role);
        let actor = Actor::new(org, me, base.grants().to_vec(), vec![team]);
        for p in Permission::ALL {
            let cond = role.permissions().get(*p);
            let expect = |rel: &str| match (cond, rel) {
                (None, _) => false,
                (Some(Condition::Any), _) => true,
                (Some(Condition::Own), r) => r == "own",
                (Some(Condition::Assigned), r) => r == "assigned" || r == "team",
            };
            for (rel, res) in [
                ("own", &own),
                ("assigned", &assigned),
                ("team", &via_team),
                ("other", &other),
            ] {
                assert_eq!(
                    rbac::can(&actor, *p, res),
                    expect(rel),
                    "{role} {p} on {rel}"
                );
            }
        }
    }
    let viewer = Actor::with_builtin(org, me, BuiltinRole::Viewer);
    let reads = [
        Permission::OrgRead,
        Permission::SiteRead,
        Permission::UserRead,
        Permission::AssetRead,
        Permission::WorkOrderRead,
        Permission::WorkOrderInternal,
        Permission::RequestRead,
    ];
    for p in Permission::ALL.iter().filter(|p| !reads.contains(p)) {
        assert!(!rbac::holds(&viewer, *p), "viewer must not hold {p}");
    }
    let levels: Vec<u8> = BuiltinRole::ALL.iter().map(|r| r.level()).collect();
    assert!(
        levels.windows(2).all(|w| w[0] >= w[1]),
        "roles are listed from most to least powerful"
    );
    assert_eq!(
        BuiltinRole::Technician.level(),
        BuiltinRole::Storekeeper.level()
    );
}

/// A user grants only roles strictly below their own; only an owner grants owner or admin;
/// site-scoped managers grant only within their sites.
pub async fn permission_grant_below(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let target = fx.viewer.user.id;
    let cases: [(&Person, BuiltinRole, bool); 11] = [
        (&fx.owner, BuiltinRole::Owner, true),
        (&fx.owner, BuiltinRole::Admin, true),
        (&fx.admin, BuiltinRole::Admin, false),
        (&fx.admin, BuiltinRole::Owner, false),
        (&fx.admin, BuiltinRole::Manager, true),
        (&fx.manager, BuiltinRole::Manager, false),
        (&fx.manager, BuiltinRole::Technician, true),
        (&fx.manager, BuiltinRole::Storekeeper, true),
        (&fx.tech, BuiltinRole::Viewer, false),
        (&fx.requester, BuiltinRole::Viewer, false),
        (&fx.viewer, BuiltinRole::Viewer, false),
    ];
    for (who, role, ok) in cases {
        let before = fx.snapshot().await;
        let r = c
            .grant_role(
                &who.actor,
                target,
                RoleRef::Builtin(role),
                Some(vec![fx.site2.id]),
            )
            .await;
        match (ok, &r) {
            (true, Ok(g)) => c.revoke_grant(&who.actor, g.id).await.unwrap(),
            (false, Err(CmmsError::Forbidden { .. })) => {
                fx.assert_unchanged(before, "refused grant").await
            }
            _ => panic!(
                "{} granting {role}: expected ok={ok}, got {r:?}",
                who.user.name
            ),
        }
    }
    // A manager for site 1 only cannot grant at org scope or for site 2.
    let tag = "scoped";
    let site_mgr = person(
        c,
        &fx.owner.actor,
        "site-manager",
        tag,
        RoleRef::Builtin(BuiltinRole::Manager),
        Some(vec![fx.site.id]),
    )
    .await;
    assert_forbidden(
        c.grant_role(
            &site_mgr.actor,
            target,
            RoleRef::Builtin(BuiltinRole::Technician),
            None,
        )
        .await,
        "org-scope grant",
    );
    assert_forbidden(
        c.grant_role(
            &site_mgr.actor,
            target,
            RoleRef::Builtin(BuiltinRole::Technician),
            Some(vec![fx.site2.id]),
        )
        .await,
        "other site",
    );
    c.grant_role(
        &site_mgr.actor,
        target,
        RoleRef::Builtin(BuiltinRole::Technician),
        Some(vec![fx.site.id]),
    )
    .await
    .unwrap();
    // ... and sees work only at its site.
    let wo2 = c
        .create_work_order(
            &fx.manager.actor,
            NewWorkOrder {
                title: "Elsewhere".into(),
                site_id: Some(fx.site2.id),
                ..NewWorkOrder::default()
            },
        )
        .await
        .unwrap();
    assert_not_found(
        c.get_work_order(&site_mgr.actor, wo2.id).await,
        "other site's work",
    );
    let page = c
        .list_work_orders(&site_mgr.actor, WorkOrderFilter::default())
        .await
        .unwrap();
    assert!(page.items.iter().all(|w| w.site_id == fx.site.id));
    // Owners cannot drop their own owner role (the org always keeps an owner).
    let grants = c
        .list_grants(&fx.owner.actor, fx.owner.user.id)
        .await
        .unwrap();
    let r = c.revoke_grant(&fx.owner.actor, grants[0].id).await;
    assert!(matches!(r, Err(CmmsError::Validation(_))), "{r:?}");
}

/// Requesters create requests and read only their own; contractors see only assigned work.
pub async fn permission_requester_and_contractor_scope(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let mine = c
        .create_request(
            &fx.requester.actor,
            NewRequest {
                title: "Leaking tap".into(),
                site_id: Some(fx.site.id),
                submit: true,
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    let theirs = c
        .create_request(
            &fx.requester2.actor,
            NewRequest {
                title: "Broken light".into(),
                site_id: Some(fx.site.id),
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        c.get_request(&fx.requester.actor, mine.id)
            .await
            .unwrap()
            .id,
        mine.id
    );
    assert_not_found(
        c.get_request(&fx.requester.actor, theirs.id).await,
        "someone else's request",
    );
    let listed = c
        .list_requests(&fx.requester.actor, RequestFilter::default())
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![mine.id]
    );
    let all = c
        .list_requests(&fx.manager.actor, RequestFilter::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);
    assert_forbidden(
        c.create_work_order(
            &fx.requester.actor,
            NewWorkOrder {
                title: "Direct".into(),
                site_id: Some(fx.site.id),
                ..NewWorkOrder::default()
            },
        )
        .await,
        "requester creating work orders",
    );
    assert_forbidden(
        c.create_request(
            &fx.contractor.actor,
            NewRequest {
                title: "x".into(),
                site_id: Some(fx.site.id),
                ..NewRequest::default()
            },
        )
        .await,
        "contractor request",
    );

    let assigned = fx.wo("Contract job", vec![fx.contractor.user.id]).await;
    fx.wo("Not theirs", vec![fx.tech.user.id]).await;
    let page = c
        .list_work_orders(&fx.contractor.actor, WorkOrderFilter::default())
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        vec![assigned.id]
    );
    let viewer_cannot = c
        .create_request(
            &fx.viewer.actor,
            NewRequest {
                title: "x".into(),
                site_id: Some(fx.site.id),
                ..NewRequest::default()
            },
        )
        .await;
    assert_forbidden(viewer_cannot, "viewer request");
}
