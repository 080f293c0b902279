//! Conformance: the grant-below rule, site-scoped grants, and what requesters and contractors
//! may see.

use crate::CmmsError;
use crate::domain::request::NewRequest;
use crate::domain::work_order::NewWorkOrder;
use crate::rbac::{BuiltinRole, RoleRef};
use crate::store::{RequestFilter, WorkOrderFilter};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, Person, assert_forbidden, assert_not_found, person};
use std::sync::Arc;

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
        let r =
            c.grant_role(&who.actor, target, RoleRef::Builtin(role), Some(vec![fx.site2.id])).await;
        match (ok, &r) {
            (true, Ok(g)) => c.revoke_grant(&who.actor, g.id).await.unwrap(),
            (false, Err(CmmsError::Forbidden { .. })) => {
                fx.assert_unchanged(before, "refused grant").await
            }
            _ => panic!("{} granting {role}: expected ok={ok}, got {r:?}", who.user.name),
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
        c.grant_role(&site_mgr.actor, target, RoleRef::Builtin(BuiltinRole::Technician), None)
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
    assert_not_found(c.get_work_order(&site_mgr.actor, wo2.id).await, "other site's work");
    let page = c.list_work_orders(&site_mgr.actor, WorkOrderFilter::default()).await.unwrap();
    assert!(page.items.iter().all(|w| w.site_id == fx.site.id));
    // Owners cannot drop their own owner role (the org always keeps an owner).
    let grants = c.list_grants(&fx.owner.actor, fx.owner.user.id).await.unwrap();
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
    assert_eq!(c.get_request(&fx.requester.actor, mine.id).await.unwrap().id, mine.id);
    assert_not_found(c.get_request(&fx.requester.actor, theirs.id).await, "someone else's request");
    let listed = c.list_requests(&fx.requester.actor, RequestFilter::default()).await.unwrap();
    assert_eq!(listed.items.iter().map(|r| r.id).collect::<Vec<_>>(), vec![mine.id]);
    let all = c.list_requests(&fx.manager.actor, RequestFilter::default()).await.unwrap();
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
            NewRequest { title: "x".into(), site_id: Some(fx.site.id), ..NewRequest::default() },
        )
        .await,
        "contractor request",
    );

    let assigned = fx.wo("Contract job", vec![fx.contractor.user.id]).await;
    fx.wo("Not theirs", vec![fx.tech.user.id]).await;
    let page = c.list_work_orders(&fx.contractor.actor, WorkOrderFilter::default()).await.unwrap();
    assert_eq!(page.items.iter().map(|w| w.id).collect::<Vec<_>>(), vec![assigned.id]);
    let viewer_cannot = c
        .create_request(
            &fx.viewer.actor,
            NewRequest { title: "x".into(), site_id: Some(fx.site.id), ..NewRequest::default() },
        )
        .await;
    assert_forbidden(viewer_cannot, "viewer request");
}
