//! Conformance: rules that guard against subtler mistakes — who sees which org-level events,
//! custom roles that would hand out more than their granter holds, work recorded against a
//! stale work order, asset trees across sites, and the store's version assertions.

use crate::domain::asset::{AssetPatch, NewAsset};
use crate::domain::audit::AuditDraft;
use crate::domain::checklist::{ChecklistResult, NewChecklistItem};
use crate::domain::request::NewRequest;
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::user::{NewRole, RolePatch};
use crate::domain::work_order::NewWorkOrder;
use crate::domain::{EntityKind, EntityRef};
use crate::rbac::{BuiltinRole, Condition, Permission, RoleRef};
use crate::store::{Changeset, Write};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field, assert_forbidden};
use crate::{CmmsError, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Customers and contractors never see staff records through events: user, grant and role
/// events need `user.read`; staff see them.
pub async fn events_of_people_stay_with_staff(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    // A team is a list of people: its events are staff's too.
    let team = crate::domain::team::NewTeam {
        name: "Night shift".into(),
        site_id: None,
        members: vec![fx.tech.user.id],
    };
    fx.cmms.create_team(&fx.admin.actor, team).await.unwrap();
    let people = |kind: &str| {
        kind.starts_with("user.")
            || kind.starts_with("grant.")
            || kind.starts_with("role.")
            || kind.starts_with("team.")
    };
    for outsider in [&fx.requester, &fx.contractor] {
        let seen =
            fx.cmms.events_since(&outsider.actor, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
        assert!(!seen.events.is_empty(), "org and site events are still visible");
        assert!(
            !seen.events.iter().any(|e| people(e.draft.kind.as_str())),
            "{} saw people events",
            outsider.user.name
        );
    }
    let staff =
        fx.cmms.events_since(&fx.viewer.actor, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    assert!(staff.events.iter().any(|e| people(e.draft.kind.as_str())));
}

/// A custom role can be granted only by someone holding all its permissions; editing a role
/// follows the same rules.
pub async fn custom_roles_never_exceed_their_granter(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let perms = BTreeMap::from([
        (Permission::AuditRead, Condition::Any),
        (Permission::OrgManage, Condition::Any),
    ]);
    let role = c
        .create_role(
            &fx.admin.actor,
            NewRole { name: "Controller".into(), description: None, level: 60, permissions: perms },
        )
        .await
        .unwrap();
    let before = fx.snapshot().await;
    let r =
        c.grant_role(&fx.manager.actor, fx.viewer.user.id, RoleRef::Custom(role.id), None).await;
    assert_forbidden(r, "manager granting a role with org.manage");
    let r =
        c.grant_role(&fx.manager.actor, fx.manager.user.id, RoleRef::Custom(role.id), None).await;
    assert_forbidden(r, "manager granting it to themselves");
    fx.assert_unchanged(before, "refused grants").await;
    c.grant_role(&fx.admin.actor, fx.viewer.user.id, RoleRef::Custom(role.id), None).await.unwrap();
    // Editing: the result must still be definable, and its name free.
    let renamed = c
        .update_role(
            &fx.admin.actor,
            role.id,
            RolePatch { name: Some("Controllers".into()), ..Default::default() },
            Some(role.version),
        )
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.version), ("Controllers", role.version + 1));
    let too_high = RolePatch { level: Some(BuiltinRole::ADMIN_LEVEL), ..Default::default() };
    assert_field(c.update_role(&fx.admin.actor, role.id, too_high, None).await, "level");
    assert_forbidden(
        c.update_role(&fx.manager.actor, role.id, RolePatch::default(), None).await,
        "manager editing roles",
    );
    let viewer = c.actor(fx.org.id, fx.viewer.user.id).await.unwrap();
    assert!(
        c.audit_entries(&viewer, 0, Some(10)).await.is_ok(),
        "the edited role still grants its permissions"
    );
}

/// Checklist results and labor move the work order's version, so a completion decided on a
/// stale checklist cannot commit; finished work takes no more checklist results.
pub async fn work_records_move_the_work_order_version(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let t = &fx.tech.actor;
    let wo = c
        .create_work_order(
            &fx.manager.actor,
            NewWorkOrder {
                title: "Inspect boiler".into(),
                site_id: Some(fx.site.id),
                assignees: vec![fx.tech.user.id],
                checklist: vec![NewChecklistItem::new("Check pressure", true)],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let started = fx.go(t, wo.id, S::InProgress, None).await;
    let item = c.list_checklist(t, wo.id).await.unwrap().remove(0);
    c.record_checklist_result(t, wo.id, item.id, Some(ChecklistResult::Done), None).await.unwrap();
    let now = c.get_work_order(t, wo.id).await.unwrap();
    assert_eq!(now.version, started.version + 1, "a checklist result moves the version");
    let stale = TransitionInput { expected_version: Some(started.version), ..Default::default() };
    let r = c.transition_work_order(t, wo.id, S::Completed, stale).await;
    assert!(matches!(r, Err(CmmsError::Conflict { .. })), "{r:?}");
    fx.go(t, wo.id, S::Completed, None).await;
    let r = c.record_checklist_result(t, wo.id, item.id, None, None).await;
    assert_field(r, "status");
    let logged = c
        .log_labor(
            t,
            wo.id,
            crate::domain::labor::NewLabor { minutes: Some(20), ..Default::default() },
        )
        .await;
    assert!(logged.is_ok(), "late labor on completed work is allowed: {logged:?}");
}

/// A child asset sits at its parent's site.
pub async fn assets_stay_at_their_parents_site(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let o = &fx.owner.actor;
    let mk = |name: &str, site| NewAsset {
        name: name.into(),
        code: name.into(),
        site_id: Some(site),
        ..Default::default()
    };
    let north = c.create_asset(o, mk("N-LINE", fx.site.id)).await.unwrap();
    let south = c.create_asset(o, mk("S-LINE", fx.site2.id)).await.unwrap();
    let child = NewAsset { parent_id: Some(north.id), ..mk("S-PUMP", fx.site2.id) };
    assert_field(c.create_asset(o, child).await, "parent_id");
    let moved = AssetPatch { parent_id: Some(Some(north.id)), ..Default::default() };
    assert_field(c.update_asset(o, south.id, moved, None).await, "parent_id");
    let inherits = c
        .create_asset(
            o,
            NewAsset {
                parent_id: Some(north.id),
                ..NewAsset { name: "N-PUMP".into(), code: "N-PUMP".into(), ..Default::default() }
            },
        )
        .await
        .unwrap();
    assert_eq!(inherits.site_id, fx.site.id);
}

/// Staff who file requests can also submit and withdraw their own drafts.
pub async fn staff_finish_their_own_requests(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    for who in [&fx.tech, &fx.storekeeper] {
        let draft = fx
            .cmms
            .create_request(
                &who.actor,
                NewRequest {
                    title: "Broken chair".into(),
                    site_id: Some(fx.site.id),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        fx.cmms.submit_request(&who.actor, draft.id).await.unwrap();
        fx.cmms.cancel_request(&who.actor, draft.id).await.unwrap();
    }
    assert_forbidden(
        fx.cmms
            .create_request(
                &fx.viewer.actor,
                NewRequest {
                    title: "x".into(),
                    site_id: Some(fx.site.id),
                    submit: true,
                    ..Default::default()
                },
            )
            .await,
        "viewer",
    );
}

/// `Write::AssertVersion` refuses the whole commit when the row moved on or is gone.
pub async fn store_asserts_versions(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db.clone()).await;
    let store = db.store();
    let wo = fx.wo("Guarded", vec![]).await;
    let audit = |at| {
        Write::AppendAudit(AuditDraft {
            at,
            actor_id: None,
            action: "test.guarded".into(),
            entity: EntityRef::new(EntityKind::WorkOrder, wo.id),
            before: None,
            after: None,
            request_id: None,
        })
    };
    let guarded = |version: i64, id: uuid::Uuid| {
        let mut cs = Changeset::new();
        cs.push(Write::AssertVersion { entity: EntityKind::WorkOrder, id, version });
        cs.push(audit(fx.cmms.now()));
        cs
    };
    let before = fx.snapshot().await;
    match store.commit(fx.org.id, guarded(wo.version + 1, wo.id.uuid())).await {
        Err(StoreError::Conflict { current_version, .. }) => {
            assert_eq!(current_version, Some(wo.version))
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    let gone = store.commit(fx.org.id, guarded(1, uuid::Uuid::now_v7())).await;
    assert!(matches!(gone, Err(StoreError::NotFound { .. })), "{gone:?}");
    let foreign = Fx::with_clock(db.clone(), fx.clock.clone()).await;
    let theirs = foreign.wo("Theirs", vec![]).await;
    let cross = store.commit(fx.org.id, guarded(theirs.version, theirs.id.uuid())).await;
    assert!(
        matches!(cross, Err(StoreError::NotFound { .. })),
        "another tenant's row is not found: {cross:?}"
    );
    fx.assert_unchanged(before, "refused guarded commits").await;
    store.commit(fx.org.id, guarded(wo.version, wo.id.uuid())).await.unwrap();
    assert_eq!(fx.snapshot().await.0, before.0 + 1);
}
