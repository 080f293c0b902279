//! Conformance: users, custom roles, teams, sites and locations.

use crate::CmmsError;
use crate::domain::location::{LocationPatch, NewLocation};
use crate::domain::site::NewSite;
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::team::NewTeam;
use crate::domain::user::{NewRole, NewUser, UserPatch};
use crate::domain::work_order::NewWorkOrder;
use crate::rbac::{Condition, Permission, RoleRef};
use crate::store::{UserFilter, WorkOrderFilter};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field, assert_forbidden, assert_taken, person};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Emails are unique per org; deactivated users cannot act; managers cannot touch admins;
/// custom roles work like built-ins; team assignment counts as "assigned".
pub async fn org_users_roles_and_teams(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let dup = NewUser {
        name: "Copy".into(),
        email: fx.tech.user.email.to_uppercase(),
        ..NewUser::default()
    };
    assert_taken(c.create_user(&fx.owner.actor, dup).await, "email");
    assert_field(
        c.create_user(
            &fx.owner.actor,
            NewUser { name: "X".into(), email: "not-an-email".into(), ..NewUser::default() },
        )
        .await,
        "email",
    );
    // Managers manage technicians, not admins; nobody deactivates themselves.
    assert_forbidden(
        c.update_user(
            &fx.manager.actor,
            fx.admin.user.id,
            UserPatch { active: Some(false), ..Default::default() },
            None,
        )
        .await,
        "manager vs admin",
    );
    assert_field(
        c.update_user(
            &fx.owner.actor,
            fx.owner.user.id,
            UserPatch { active: Some(false), ..Default::default() },
            None,
        )
        .await,
        "active",
    );
    let renamed = c
        .update_user(
            &fx.tech.actor,
            fx.tech.user.id,
            UserPatch { name: Some("Tess Tech".into()), ..Default::default() },
            None,
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Tess Tech");
    let off = c
        .update_user(
            &fx.manager.actor,
            fx.tech2.user.id,
            UserPatch { active: Some(false), ..Default::default() },
            None,
        )
        .await
        .unwrap();
    assert!(!off.active);
    assert!(matches!(c.actor(fx.org.id, fx.tech2.user.id).await, Err(CmmsError::Unauthenticated)));
    let inactive = NewWorkOrder {
        title: "x".into(),
        site_id: Some(fx.site.id),
        assignees: vec![fx.tech2.user.id],
        ..Default::default()
    };
    assert_field(c.create_work_order(&fx.manager.actor, inactive).await, "assignees");
    let page = c
        .list_users(&fx.manager.actor, UserFilter { active: Some(false), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(page.items.iter().map(|u| u.id).collect::<Vec<_>>(), vec![fx.tech2.user.id]);
    let mut emails = Vec::new();
    let mut filter = UserFilter { limit: Some(3), ..Default::default() };
    loop {
        let page = c.list_users(&fx.viewer.actor, filter.clone()).await.unwrap();
        emails.extend(page.items.into_iter().map(|u| u.email));
        match page.next_cursor {
            Some(cur) => filter.cursor = Some(cur),
            None => break,
        }
    }
    let mut sorted = emails.clone();
    sorted.sort();
    assert_eq!((emails.len(), &emails), (10, &sorted), "all users, by email, each once");

    // A custom role: plans work but cannot execute it.
    let perms = BTreeMap::from([
        (Permission::WorkOrderRead, Condition::Any),
        (Permission::WorkOrderCreate, Condition::Any),
        (Permission::WorkOrderApprove, Condition::Any),
        (Permission::SiteRead, Condition::Any),
    ]);
    let planner_role = NewRole {
        name: "Planner".into(),
        description: None,
        level: 60,
        permissions: perms.clone(),
    };
    assert_forbidden(
        c.create_role(&fx.manager.actor, planner_role.clone()).await,
        "manager defining roles",
    );
    assert_field(
        c.create_role(&fx.admin.actor, NewRole { name: "owner".into(), ..planner_role.clone() })
            .await,
        "name",
    );
    assert_field(
        c.create_role(&fx.admin.actor, NewRole { level: 95, ..planner_role.clone() }).await,
        "level",
    );
    let role = c.create_role(&fx.admin.actor, planner_role).await.unwrap();
    assert_eq!(c.list_roles(&fx.viewer.actor).await.unwrap(), vec![role.clone()]);
    let planner =
        person(c, &fx.manager.actor, "planner", "custom", RoleRef::Custom(role.id), None).await;
    let wo = c
        .create_work_order(
            &planner.actor,
            NewWorkOrder {
                title: "Planned".into(),
                site_id: Some(fx.site.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(wo.status, S::Open, "the planner may approve, so the work starts open");
    assert_forbidden(
        c.transition_work_order(
            &planner.actor,
            wo.id,
            S::Cancelled,
            TransitionInput::reason("not needed"),
        )
        .await,
        "planner cancelling",
    );
    // Manager (70) may grant the planner role (60) but not a role at its own level.
    let peer = c
        .create_role(
            &fx.admin.actor,
            NewRole { name: "Lead".into(), description: None, level: 70, permissions: perms },
        )
        .await
        .unwrap();
    assert_forbidden(
        c.grant_role(&fx.manager.actor, fx.viewer.user.id, RoleRef::Custom(peer.id), None).await,
        "grant at own level",
    );

    // Team assignment: a contractor in the team sees and executes the team's work.
    let team = c
        .create_team(
            &fx.owner.actor,
            NewTeam {
                name: "Electricians".into(),
                site_id: Some(fx.site.id),
                members: vec![fx.contractor.user.id],
            },
        )
        .await
        .unwrap();
    let contractor = c.actor(fx.org.id, fx.contractor.user.id).await.unwrap();
    assert_eq!(contractor.teams(), &[team.id]);
    let wo = c
        .create_work_order(
            &fx.manager.actor,
            NewWorkOrder {
                title: "Team job".into(),
                site_id: Some(fx.site.id),
                team_id: Some(team.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(wo.status, S::Assigned);
    let seen = c
        .list_work_orders(
            &contractor,
            WorkOrderFilter { team: Some(team.id), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(seen.items.iter().map(|w| w.id).collect::<Vec<_>>(), vec![wo.id]);
    fx.go(&contractor, wo.id, S::InProgress, None).await;
    assert_eq!(c.list_teams(&fx.viewer.actor).await.unwrap(), vec![team]);
}

/// Site codes are unique per org; locations form a tree inside one site, without cycles.
pub async fn org_sites_and_locations(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let o = &fx.owner.actor;
    assert_taken(
        c.create_site(o, NewSite { name: "Copy".into(), code: "np".into(), ..Default::default() })
            .await,
        "code",
    );
    assert_field(
        c.create_site(
            o,
            NewSite {
                name: "Bad tz".into(),
                code: "TZ".into(),
                time_zone: "Mars/Olympus".into(),
                ..Default::default()
            },
        )
        .await,
        "time_zone",
    );
    assert_forbidden(
        c.create_site(
            &fx.manager.actor,
            NewSite { name: "M".into(), code: "M".into(), ..Default::default() },
        )
        .await,
        "manager creating sites",
    );
    let loc = |site, parent, name: &str| NewLocation {
        site_id: site,
        parent_id: parent,
        name: name.into(),
        code: None,
    };
    let building = c.create_location(o, loc(fx.site.id, None, "Building A")).await.unwrap();
    let floor = c.create_location(o, loc(fx.site.id, Some(building.id), "Floor 1")).await.unwrap();
    let room = c.create_location(o, loc(fx.site.id, Some(floor.id), "Room 101")).await.unwrap();
    assert_field(
        c.create_location(o, loc(fx.site2.id, Some(floor.id), "Elsewhere")).await,
        "parent_id",
    );
    let before = fx.snapshot().await;
    let up = LocationPatch { parent_id: Some(Some(room.id)), ..Default::default() };
    assert_field(c.update_location(o, building.id, up, None).await, "parent_id");
    fx.assert_unchanged(before, "location cycle").await;
    let moved = c
        .update_location(
            o,
            room.id,
            LocationPatch { parent_id: Some(Some(building.id)), ..Default::default() },
            Some(room.version),
        )
        .await
        .unwrap();
    assert_eq!(moved.parent_id, Some(building.id));
    let listed = c.list_locations(&fx.viewer.actor, Some(fx.site.id)).await.unwrap();
    assert_eq!(listed.len(), 3);
    // A work order at a location gets its site from it.
    let wo = c
        .create_work_order(
            &fx.manager.actor,
            NewWorkOrder {
                title: "Fix light".into(),
                location_id: Some(room.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(wo.site_id, fx.site.id);
    let wrong = NewWorkOrder {
        title: "x".into(),
        site_id: Some(fx.site2.id),
        location_id: Some(room.id),
        ..Default::default()
    };
    assert_field(c.create_work_order(&fx.manager.actor, wrong).await, "location_id");
}
