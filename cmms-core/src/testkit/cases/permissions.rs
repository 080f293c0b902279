//! Conformance: the permission matrix — built-in roles × use cases × own / assigned / other
//! work, the grant-below rule, and what requesters and contractors see.

use crate::domain::labor::NewLabor;
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::work_order::{NewWorkOrder, WorkOrder, WorkOrderPatch};
use crate::rbac::{self, BuiltinRole, Condition, Permission, Resource};
use crate::service::Assignment;
use crate::store::WorkOrderFilter;
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, Person};
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
    // "Assigned" through a team the person is in: roles that may not carry out work (a
    // viewer, a requester) cannot be assignees themselves, and the condition reads both.
    let team = match rel {
        Rel::Assigned => {
            let input = crate::domain::team::NewTeam {
                name: format!("Team of {}", who.user.name),
                site_id: None,
                members: vec![who.user.id],
            };
            Some(fx.cmms.create_team(&fx.owner.actor, input).await.expect("setup team").id)
        }
        _ => None,
    };
    let (requested_by, assignees) = match rel {
        Rel::Own => (Some(who.user.id), vec![other]),
        Rel::Assigned => (None, vec![other]),
        Rel::Other => (None, vec![other]),
    };
    fx.cmms
        .create_work_order(
            &fx.manager.actor,
            NewWorkOrder {
                title: format!("{rel:?} work"),
                site_id: Some(fx.site.id),
                assignees,
                team_id: team,
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
                    WorkOrderFilter { limit: Some(500), ..WorkOrderFilter::default() },
                )
                .await?;
            if page.items.iter().any(|w| w.id == wo.id) {
                Ok(())
            } else {
                Err(CmmsError::not_found("work_order", wo.id))
            }
        }
        Probe::Update => {
            let patch =
                WorkOrderPatch { title: Some("Renamed".into()), ..WorkOrderPatch::default() };
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
            let to = Assignment { assignees: vec![fx.tech.user.id], ..Assignment::default() };
            c.assign_work_order(a, wo.id, to).await.map(drop)
        }
        Probe::Labor => c
            .log_labor(a, wo.id, NewLabor { minutes: Some(30), ..NewLabor::default() })
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
            for (i, rel) in [Rel::Own, Rel::Assigned, Rel::Other].into_iter().enumerate() {
                let wo = setup(&fx, who, rel).await;
                // Built after the setup, so the actor knows the team it was just put in.
                let actor = fx.cmms.actor(fx.org.id, who.user.id).await.expect("actor");
                let readable = expected(*role, Probe::Read)[i];
                let before = fx.snapshot().await;
                let r = run(&fx, &actor, probe, &wo).await;
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
    let (org, me, someone, team) =
        (crate::OrgId::new(), UserId::new(), UserId::new(), TeamId::new());
    let site = SiteId::new();
    let mine = [me];
    let theirs = [someone];
    let own = Resource { site: Some(site), owner: Some(me), assignees: &theirs, team: None };
    let assigned =
        Resource { site: Some(site), owner: Some(someone), assignees: &mine, team: None };
    let via_team =
        Resource { site: Some(site), owner: Some(someone), assignees: &theirs, team: Some(team) };
    let other = Resource { site: Some(site), owner: Some(someone), assignees: &theirs, team: None };
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
            for (rel, res) in
                [("own", &own), ("assigned", &assigned), ("team", &via_team), ("other", &other)]
            {
                assert_eq!(rbac::can(&actor, *p, res), expect(rel), "{role} {p} on {rel}");
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
        Permission::PmRead,
        Permission::InventoryRead,
        Permission::PurchaseRead,
    ];
    for p in Permission::ALL.iter().filter(|p| !reads.contains(p)) {
        assert!(!rbac::holds(&viewer, *p), "viewer must not hold {p}");
    }
    let levels: Vec<u8> = BuiltinRole::ALL.iter().map(|r| r.level()).collect();
    assert!(
        levels.windows(2).all(|w| w[0] >= w[1]),
        "roles are listed from most to least powerful"
    );
    assert_eq!(BuiltinRole::Technician.level(), BuiltinRole::Storekeeper.level());
}
