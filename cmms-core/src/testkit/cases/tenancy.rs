//! Conformance: tenant isolation — another organization's ids are `NotFound` for every read,
//! write, transition, list filter and reference, and its data stays unchanged.

use crate::domain::asset::{AssetPatch, NewAsset};
use crate::domain::location::NewLocation;
use crate::domain::request::{ApproveRequest, NewRequest};
use crate::domain::site::SitePatch;
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::team::NewTeam;
use crate::domain::work_order::{NewWorkOrder, WorkOrderPatch};
use crate::rbac::{BuiltinRole, RoleRef};
use crate::service::Assignment;
use crate::store::{AssetFilter, RequestFilter, WorkOrderFilter};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_not_found};
use std::sync::Arc;

/// An owner of org A, the most powerful actor there, gets `NotFound` for everything of org B.
pub async fn tenant_isolation(db: Arc<dyn TestDb>) {
    let a = Fx::new(db.clone()).await;
    let b = Fx::with_clock(db, a.clock.clone()).await;
    let c = &a.cmms;
    let me = &a.owner.actor;
    // Org B's data.
    let b_asset = b
        .cmms
        .create_asset(
            &b.owner.actor,
            NewAsset {
                name: "B pump".into(),
                code: "P-1".into(),
                site_id: Some(b.site.id),
                ..NewAsset::default()
            },
        )
        .await
        .unwrap();
    let b_loc = b
        .cmms
        .create_location(
            &b.owner.actor,
            NewLocation { site_id: b.site.id, parent_id: None, name: "B hall".into(), code: None },
        )
        .await
        .unwrap();
    let b_team = b
        .cmms
        .create_team(&b.owner.actor, NewTeam { name: "B crew".into(), ..NewTeam::default() })
        .await
        .unwrap();
    let b_wo = b.wo("B work", vec![b.tech.user.id]).await;
    let b_req = b
        .cmms
        .create_request(
            &b.requester.actor,
            NewRequest {
                title: "B request".into(),
                site_id: Some(b.site.id),
                submit: true,
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    let b_before = b.snapshot().await;

    // Reads.
    assert_not_found(c.get_work_order(me, b_wo.id).await, "read B work order");
    assert_not_found(c.get_asset(me, b_asset.id).await, "read B asset");
    assert_not_found(c.get_site(me, b.site.id).await, "read B site");
    assert_not_found(c.get_location(me, b_loc.id).await, "read B location");
    assert_not_found(c.get_team(me, b_team.id).await, "read B team");
    assert_not_found(c.get_user(me, b.tech.user.id).await, "read B user");
    assert_not_found(c.get_request(me, b_req.id).await, "read B request");
    assert_not_found(c.timeline(me, b_wo.id).await, "read B timeline");
    assert_not_found(c.list_comments(me, b_wo.id).await, "read B comments");
    // Updates and transitions.
    assert_not_found(
        c.update_work_order(
            me,
            b_wo.id,
            WorkOrderPatch { title: Some("x".into()), ..WorkOrderPatch::default() },
            None,
        )
        .await,
        "update B work order",
    );
    assert_not_found(
        c.transition_work_order(me, b_wo.id, S::InProgress, TransitionInput::default()).await,
        "transition B work order",
    );
    assert_not_found(
        c.assign_work_order(
            me,
            b_wo.id,
            Assignment { assignees: vec![a.tech.user.id], ..Assignment::default() },
        )
        .await,
        "assign B work order",
    );
    assert_not_found(c.add_comment(me, b_wo.id, "hello", false).await, "comment on B work order");
    assert_not_found(c.delete_work_order(me, b_wo.id, None).await, "delete B work order");
    assert_not_found(
        c.update_asset(
            me,
            b_asset.id,
            AssetPatch { name: Some("x".into()), ..AssetPatch::default() },
            None,
        )
        .await,
        "update B asset",
    );
    assert_not_found(
        c.update_site(
            me,
            b.site.id,
            SitePatch { name: Some("x".into()), ..SitePatch::default() },
            None,
        )
        .await,
        "update B site",
    );
    assert_not_found(
        c.approve_request(me, b_req.id, ApproveRequest::default()).await,
        "approve B request",
    );
    assert_not_found(c.reject_request(me, b_req.id, "not ours").await, "reject B request");
    assert_not_found(
        c.grant_role(me, b.tech.user.id, RoleRef::Builtin(BuiltinRole::Viewer), None).await,
        "grant to B user",
    );
    // References to B's ids inside A's writes.
    let wo_at = |site, asset, location| NewWorkOrder {
        title: "A work".into(),
        site_id: site,
        asset_id: asset,
        location_id: location,
        ..NewWorkOrder::default()
    };
    assert_not_found(
        c.create_work_order(me, wo_at(Some(b.site.id), None, None)).await,
        "A work order at B site",
    );
    assert_not_found(
        c.create_work_order(me, wo_at(Some(a.site.id), Some(b_asset.id), None)).await,
        "A work order on B asset",
    );
    assert_not_found(
        c.create_work_order(me, wo_at(Some(a.site.id), None, Some(b_loc.id))).await,
        "A work order at B location",
    );
    let with_b_people = NewWorkOrder {
        title: "A work".into(),
        site_id: Some(a.site.id),
        assignees: vec![b.tech.user.id],
        ..NewWorkOrder::default()
    };
    assert_not_found(
        c.create_work_order(me, with_b_people).await,
        "A work order assigned to B user",
    );
    let with_b_team = NewWorkOrder {
        title: "A work".into(),
        site_id: Some(a.site.id),
        team_id: Some(b_team.id),
        ..NewWorkOrder::default()
    };
    assert_not_found(c.create_work_order(me, with_b_team).await, "A work order for B team");
    let a_wo = a.wo("A work", vec![]).await;
    assert_not_found(
        c.assign_work_order(
            me,
            a_wo.id,
            Assignment { assignees: vec![b.tech.user.id], ..Assignment::default() },
        )
        .await,
        "assign A work to B user",
    );
    assert_not_found(
        c.create_asset(
            me,
            NewAsset {
                name: "x".into(),
                code: "X".into(),
                parent_id: Some(b_asset.id),
                ..NewAsset::default()
            },
        )
        .await,
        "A asset under B asset",
    );
    assert_not_found(
        c.create_request(
            &a.requester.actor,
            NewRequest { title: "x".into(), site_id: Some(b.site.id), ..NewRequest::default() },
        )
        .await,
        "A request at B site",
    );
    // Lists: filters naming B's ids are NotFound; plain lists never contain B's rows.
    assert_not_found(
        c.list_work_orders(
            me,
            WorkOrderFilter { site: Some(b.site.id), ..WorkOrderFilter::default() },
        )
        .await,
        "filter by B site",
    );
    assert_not_found(
        c.list_work_orders(
            me,
            WorkOrderFilter { asset: Some(b_asset.id), ..WorkOrderFilter::default() },
        )
        .await,
        "filter by B asset",
    );
    assert_not_found(
        c.list_work_orders(
            me,
            WorkOrderFilter { assignee: Some(b.tech.user.id), ..WorkOrderFilter::default() },
        )
        .await,
        "filter by B user",
    );
    let wos = c
        .list_work_orders(me, WorkOrderFilter { limit: Some(500), ..WorkOrderFilter::default() })
        .await
        .unwrap();
    assert!(wos.items.iter().all(|w| w.org_id == a.org.id) && !wos.items.is_empty());
    let assets = c.list_assets(me, AssetFilter::default()).await.unwrap();
    assert!(assets.items.iter().all(|x| x.org_id == a.org.id));
    let reqs = c.list_requests(me, RequestFilter::default()).await.unwrap();
    assert!(reqs.items.iter().all(|r| r.org_id == a.org.id));
    assert!(c.list_sites(me).await.unwrap().iter().all(|s| s.org_id == a.org.id));
    let events = c.events_since(me, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    assert!(events.events.iter().all(|e| e.org_id == a.org.id));
    assert!(
        c.audit_entries(me, 0, Some(crate::store::MAX_LIMIT))
            .await
            .unwrap()
            .iter()
            .all(|e| e.org_id == a.org.id)
    );

    // B is untouched.
    b.assert_unchanged(b_before, "org B after org A's attempts").await;
    assert_eq!(b.cmms.get_work_order(&b.owner.actor, b_wo.id).await.unwrap(), b_wo);
    assert_eq!(b.cmms.verify_audit_chain(&b.owner.actor).await.unwrap(), None);
}
