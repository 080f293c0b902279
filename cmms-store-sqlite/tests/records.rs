//! Every record type round-trips exactly (microsecond timestamps, JSON, Unicode, every enum
//! value the schema's CHECKs must accept), and the remaining reads: paths, teams, grants,
//! roles, children of work orders, awaiting confirmation, request / asset / user lists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cmms_core::domain::asset::AssetState;
use cmms_core::domain::attachment::Attachment;
use cmms_core::domain::checklist::{ChecklistItem, ChecklistResult};
use cmms_core::domain::comment::Comment;
use cmms_core::domain::failure_code::{FailureCode, FailureCodeKind};
use cmms_core::domain::labor::{LaborCategory, LaborEntry};
use cmms_core::domain::location::Location;
use cmms_core::domain::request::{Request, RequestStatus};
use cmms_core::domain::site::SiteKind;
use cmms_core::domain::status::WorkOrderStatus;
use cmms_core::domain::team::Team;
use cmms_core::domain::timeline::TimelineEntry;
use cmms_core::domain::user::{CustomRole, RoleGrant};
use cmms_core::domain::work_order::{FailureReport, Priority, WorkOrderType};
use cmms_core::ids::*;
use cmms_core::rbac::{
    BuiltinRole, Condition, Permission, RoleRef, ScopeCondition, Visibility, VisibilityClause,
};
use cmms_core::store::*;
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn records_round_trip_exactly() {
    let db = db().await;
    let s = seed(&*db.store, "Ünïcødé GmbH 🛠").await;
    let org = s.org;
    let precise = at(123_456_789_123); // microsecond precision
    let pre_epoch = chrono::DateTime::from_timestamp_micros(-1_234_567_890_123).unwrap();

    let mut site = site_rec(org, "S-2_X");
    site.name = "工場 Nord — Halle 3".into();
    site.address = Some("Straße 1\nZürich".into());
    site.kind = SiteKind::Property;
    site.active = false;
    site.created_at = pre_epoch;
    put(&db.store, org, Write::insert(site.clone())).await;
    assert_eq!(db.store.get_site(org, site.id).await.unwrap(), Some(site.clone()));

    let mut asset = asset_rec(org, s.site.id, "P-101 ✓", None);
    asset.serial_number = Some("SN/42".into());
    asset.criticality = 5;
    asset.specifications =
        json!({"flow": 12.5, "unit": "m³/h", "nested": {"list": [1, "zwei", null, true]}});
    asset.custom_fields = json!({"öl": "ja", "big": 9_007_199_254_740_993_i64, "tiny": 1e-300});
    asset.created_at = precise;
    put(&db.store, org, Write::insert(asset.clone())).await;
    assert_eq!(db.store.get_asset(org, asset.id).await.unwrap(), Some(asset.clone()));
    assert_eq!(db.store.find_asset_by_code(org, "P-101 ✓").await.unwrap(), Some(asset.clone()));

    let u2 = user_rec(org, "zoë@acme.example");
    put(&db.store, org, Write::insert(u2.clone())).await;
    let mut wo = wo_rec(org, s.site.id, "WO-2026-00001");
    wo.title = "Ersetzen: Dichtung 🔧 (ø 40 mm)".into();
    wo.description = Some("Line 1\nLine 2 — \"quoted\" 'single' \\ backslash".into());
    wo.category = Some("Mechanik".into());
    wo.assignees = vec![u2.id, s.user.id];
    wo.requested_by = Some(u2.id);
    wo.created_by = Some(s.user.id);
    wo.asset_id = Some(asset.id);
    wo.due_at = Some(precise);
    wo.estimated_hours = Some(1.1);
    wo.actual_start = Some(pre_epoch);
    wo.actual_end = Some(precise);
    wo.verified_by = Some(s.user.id);
    wo.verified_at = Some(precise);
    wo.closed_at = Some(precise);
    wo.completion_notes = Some("done ✓".into());
    wo.failure =
        FailureReport { problem: Some("LEAK".into()), cause: None, remedy: Some("SEAL".into()) };
    wo.attachments = vec![Attachment {
        name: "Foto Ä.jpg".into(),
        content_type: "image/jpeg".into(),
        size_bytes: u64::from(u32::MAX) + 7,
        storage_key: "s3://bucket/ä/1".into(),
    }];
    wo.created_at = precise;
    wo.updated_at = precise;
    put(&db.store, org, Write::insert(wo.clone())).await;
    assert_eq!(db.store.get_work_order(org, wo.id).await.unwrap(), Some(wo.clone()));

    // An update replaces the assignees, keeping their new order.
    let mut wo2 = wo.clone();
    wo2.assignees = vec![s.user.id];
    wo2.version = 2;
    put(&db.store, org, Write::update(wo2.clone())).await;
    wo2.assignees = vec![s.user.id, u2.id];
    wo2.version = 3;
    put(&db.store, org, Write::update(wo2.clone())).await;
    assert_eq!(db.store.get_work_order(org, wo.id).await.unwrap(), Some(wo2));

    let mut permissions = std::collections::BTreeMap::new();
    permissions.insert(Permission::WorkOrderRead, Condition::Assigned);
    permissions.insert(Permission::AssetRead, Condition::Any);
    let role = CustomRole {
        id: RoleId::new(),
        org_id: org,
        name: "Prüfer".into(),
        description: Some("liest".into()),
        level: 45,
        permissions,
        created_at: precise,
        updated_at: precise,
        version: 1,
    };
    put(&db.store, org, Write::insert(role.clone())).await;
    assert_eq!(db.store.get_role(org, role.id).await.unwrap(), Some(role.clone()));
    assert_eq!(db.store.list_roles(org).await.unwrap(), vec![role.clone()]);

    let custom = RoleGrant {
        id: GrantId::new(),
        org_id: org,
        user_id: u2.id,
        role: RoleRef::Custom(role.id),
        sites: Some(vec![s.site.id, site.id]),
        granted_by: Some(s.user.id),
        granted_at: at(5),
    };
    let builtin = RoleGrant {
        id: GrantId::new(),
        role: RoleRef::Builtin(BuiltinRole::Technician),
        sites: None,
        granted_by: None,
        granted_at: at(6),
        ..custom.clone()
    };
    put(&db.store, org, Write::insert(custom.clone())).await;
    put(&db.store, org, Write::insert(builtin.clone())).await;
    assert_eq!(
        db.store.grants_of_user(org, u2.id).await.unwrap(),
        vec![custom.clone(), builtin.clone()]
    );
    put(&db.store, org, Write::delete::<RoleGrant>(custom.id)).await;
    assert_eq!(db.store.get_grant(org, custom.id).await.unwrap(), None);
    assert_eq!(db.store.get_grant(org, builtin.id).await.unwrap(), Some(builtin));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_vocabulary_value_is_accepted_by_the_schema() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let org = s.org;
    for (i, kind) in SiteKind::ALL.iter().enumerate() {
        let mut site = site_rec(org, &format!("K{i}"));
        site.kind = *kind;
        put(&db.store, org, Write::insert(site.clone())).await;
        assert_eq!(db.store.get_site(org, site.id).await.unwrap().unwrap().kind, *kind);
    }
    for (i, state) in AssetState::ALL.iter().enumerate() {
        let mut asset = asset_rec(org, s.site.id, &format!("A{i}"), None);
        asset.state = *state;
        put(&db.store, org, Write::insert(asset.clone())).await;
        assert_eq!(db.store.get_asset(org, asset.id).await.unwrap().unwrap().state, *state);
    }
    let mut n = 0;
    for status in WorkOrderStatus::ALL {
        for priority in Priority::ALL {
            for wo_type in WorkOrderType::ALL {
                n += 1;
                let mut wo = wo_rec(org, s.site.id, &format!("WO-{n}"));
                (wo.status, wo.priority, wo.wo_type) = (*status, *priority, *wo_type);
                put(&db.store, org, Write::insert(wo.clone())).await;
                assert_eq!(db.store.get_work_order(org, wo.id).await.unwrap(), Some(wo));
            }
        }
    }
    let wo = wo_rec(org, s.site.id, "WO-X");
    put(&db.store, org, Write::insert(wo.clone())).await;
    for (i, kind) in FailureCodeKind::ALL.iter().enumerate() {
        let code = FailureCode::create(org, *kind, &format!("C{i}"), "desc", at(1)).unwrap();
        put(&db.store, org, Write::insert(code)).await;
    }
    let kinds: Vec<_> =
        db.store.list_failure_codes(org).await.unwrap().iter().map(|c| c.kind).collect();
    assert_eq!(kinds, FailureCodeKind::ALL.to_vec(), "by kind in declared order");
    for (i, category) in LaborCategory::ALL.iter().enumerate() {
        let mut l = labor(org, wo.id, s.user.id, i as i64);
        l.category = *category;
        put(&db.store, org, Write::insert(l)).await;
    }
    let cats: Vec<_> =
        db.store.labor(org, wo.id).await.unwrap().iter().map(|l| l.category).collect();
    assert_eq!(cats, LaborCategory::ALL.to_vec());
    for (i, result) in ChecklistResult::ALL.iter().enumerate() {
        let mut item = checklist_item(org, wo.id, i as i32);
        item.result = Some(*result);
        put(&db.store, org, Write::insert(item)).await;
    }
    let results: Vec<_> =
        db.store.checklist(org, wo.id).await.unwrap().iter().map(|c| c.result).collect();
    assert_eq!(results, ChecklistResult::ALL.iter().map(|r| Some(*r)).collect::<Vec<_>>());
    for (i, status) in RequestStatus::ALL.iter().enumerate() {
        let mut r = request(org, s.site.id, s.user.id, &format!("REQ-{i}"), at(i as i64));
        r.status = *status;
        put(&db.store, org, Write::insert(r.clone())).await;
        assert_eq!(db.store.get_request(org, r.id).await.unwrap(), Some(r));
    }
    for (i, role) in BuiltinRole::ALL.iter().enumerate() {
        let g = RoleGrant {
            id: GrantId::new(),
            org_id: org,
            user_id: s.user.id,
            role: RoleRef::Builtin(*role),
            sites: None,
            granted_by: None,
            granted_at: at(i as i64),
        };
        put(&db.store, org, Write::insert(g)).await;
    }
    assert_eq!(
        db.store.grants_of_user(org, s.user.id).await.unwrap().len(),
        BuiltinRole::ALL.len()
    );
}

fn labor(org: OrgId, wo: WorkOrderId, user: UserId, i: i64) -> LaborEntry {
    LaborEntry {
        id: LaborId::new(),
        org_id: org,
        work_order_id: wo,
        user_id: user,
        started_at: at(i * 1000),
        ended_at: Some(at(i * 1000 + 60_000_000)),
        minutes: 1,
        category: LaborCategory::Regular,
        notes: None,
        created_by: Some(user),
        created_at: at(i),
    }
}

fn checklist_item(org: OrgId, wo: WorkOrderId, position: i32) -> ChecklistItem {
    ChecklistItem {
        id: ChecklistItemId::new(),
        org_id: org,
        work_order_id: wo,
        position,
        label: format!("Step {position}"),
        mandatory: position % 2 == 0,
        result: None,
        notes: None,
        completed_by: None,
        completed_at: None,
        version: 1,
    }
}

fn request(
    org: OrgId,
    site: SiteId,
    by: UserId,
    number: &str,
    created: chrono::DateTime<chrono::Utc>,
) -> Request {
    Request {
        id: RequestId::new(),
        org_id: org,
        number: number.into(),
        title: format!("Request {number}"),
        description: None,
        site_id: site,
        location_id: None,
        asset_id: None,
        priority: Priority::High,
        status: RequestStatus::Submitted,
        requested_by: by,
        work_order_id: None,
        rejection_reason: None,
        attachments: Vec::new(),
        submitted_at: Some(created),
        reviewed_by: None,
        reviewed_at: None,
        created_at: created,
        updated_at: created,
        version: 1,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_teams_and_work_order_children() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let org = s.org;
    let loc = |parent: Option<LocationId>, name: &str| Location {
        id: LocationId::new(),
        org_id: org,
        site_id: s.site.id,
        parent_id: parent,
        name: name.into(),
        code: None,
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    };
    let building = loc(None, "Building");
    let floor = loc(Some(building.id), "Floor");
    let room = loc(Some(floor.id), "Room");
    for l in [&building, &floor, &room] {
        put(&db.store, org, Write::insert(l.clone())).await;
    }
    assert_eq!(
        db.store.location_path(org, room.id).await.unwrap(),
        vec![room.id, floor.id, building.id]
    );
    assert!(db.store.location_path(org, LocationId::new()).await.unwrap().is_empty());
    let names: Vec<_> = db
        .store
        .list_locations(org, Some(s.site.id))
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, vec!["Building", "Floor", "Room"]);

    let a = asset_rec(org, s.site.id, "A", None);
    let b = asset_rec(org, s.site.id, "B", Some(a.id));
    put(&db.store, org, Write::insert(a.clone())).await;
    put(&db.store, org, Write::insert(b.clone())).await;
    assert_eq!(db.store.asset_path(org, b.id).await.unwrap(), vec![b.id, a.id]);
    // A cycle written behind the store's back cannot make the walk loop forever.
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.execute(
        "UPDATE assets SET parent_id = ?1 WHERE org_id = ?2 AND id = ?3",
        rusqlite::params![b.id.0, org.0, a.id.0],
    )
    .unwrap();
    assert_eq!(db.store.asset_path(org, b.id).await.unwrap().len(), 1001);

    let u2 = user_rec(org, "two@acme.example");
    put(&db.store, org, Write::insert(u2.clone())).await;
    let mut team = Team {
        id: TeamId::new(),
        org_id: org,
        name: "Crew".into(),
        site_id: Some(s.site.id),
        members: vec![u2.id, s.user.id],
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    };
    put(&db.store, org, Write::insert(team.clone())).await;
    assert_eq!(db.store.get_team(org, team.id).await.unwrap(), Some(team.clone()));
    team.members = vec![s.user.id];
    team.version = 2;
    put(&db.store, org, Write::update(team.clone())).await;
    assert_eq!(db.store.list_teams(org).await.unwrap(), vec![team.clone()]);
    assert_eq!(db.store.teams_of_user(org, s.user.id).await.unwrap(), vec![team.id]);
    assert!(db.store.teams_of_user(org, u2.id).await.unwrap().is_empty());

    let mut wo = wo_rec(org, s.site.id, "WO-1");
    wo.request_id = None;
    put(&db.store, org, Write::insert(wo.clone())).await;
    for (i, (body, internal)) in
        [("public", false), ("staff only", true), ("later", false)].iter().enumerate()
    {
        let c = Comment::create(org, wo.id, Some(s.user.id), body, *internal, at(100 - i as i64))
            .unwrap();
        put(&db.store, org, Write::insert(c)).await;
    }
    let bodies = |cs: Vec<Comment>| cs.into_iter().map(|c| c.body).collect::<Vec<_>>();
    assert_eq!(
        bodies(db.store.comments(org, wo.id, true).await.unwrap()),
        vec!["later", "staff only", "public"]
    );
    assert_eq!(
        bodies(db.store.comments(org, wo.id, false).await.unwrap()),
        vec!["later", "public"]
    );
    for (i, to) in [WorkOrderStatus::Open, WorkOrderStatus::Assigned, WorkOrderStatus::InProgress]
        .iter()
        .enumerate()
    {
        let t = TimelineEntry {
            id: TimelineId::new(),
            org_id: org,
            work_order_id: wo.id,
            from_status: (i > 0).then_some(WorkOrderStatus::Open),
            to_status: *to,
            actor_id: Some(s.user.id),
            reason: None,
            at: at(7), // same instant: insertion order decides
        };
        put(&db.store, org, Write::insert(t)).await;
    }
    let tl: Vec<_> =
        db.store.timeline(org, wo.id).await.unwrap().into_iter().map(|t| t.to_status).collect();
    assert_eq!(
        tl,
        vec![WorkOrderStatus::Open, WorkOrderStatus::Assigned, WorkOrderStatus::InProgress]
    );
    let item = checklist_item(org, wo.id, 0);
    put(&db.store, org, Write::insert(item.clone())).await;
    let done =
        item.recorded(Some(ChecklistResult::Done), Some("ok"), Some(s.user.id), at(9)).unwrap();
    put(&db.store, org, Write::update(done.clone())).await;
    assert_eq!(db.store.checklist(org, wo.id).await.unwrap(), vec![done]);
}

#[tokio::test(flavor = "multi_thread")]
async fn awaiting_confirmation_finds_completed_requested_work() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let org = s.org;
    let r = request(org, s.site.id, s.user.id, "REQ-1", at(0));
    put(&db.store, org, Write::insert(r.clone())).await;
    let mut due = wo_rec(org, s.site.id, "WO-1");
    (due.status, due.request_id, due.actual_end) =
        (WorkOrderStatus::Completed, Some(r.id), Some(at(1000)));
    let mut recent = wo_rec(org, s.site.id, "WO-2");
    (recent.status, recent.request_id, recent.actual_end) =
        (WorkOrderStatus::Completed, Some(r.id), Some(at(5000)));
    let mut internal = wo_rec(org, s.site.id, "WO-3");
    (internal.status, internal.actual_end) = (WorkOrderStatus::Completed, Some(at(1000)));
    for wo in [&due, &recent, &internal] {
        put(&db.store, org, Write::insert(wo.clone())).await;
    }
    let found = db.store.awaiting_confirmation(org, at(1000)).await.unwrap();
    assert_eq!(found.into_iter().map(|w| w.id).collect::<Vec<_>>(), vec![due.id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn request_asset_and_user_lists_page_and_filter() {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let org = s.org;
    let other = user_rec(org, "other@acme.example");
    put(&db.store, org, Write::insert(other.clone())).await;
    let mut reqs = Vec::new();
    for i in 0..7_i64 {
        let by = if i % 2 == 0 { s.user.id } else { other.id };
        let r = request(org, s.site.id, by, &format!("REQ-{i}"), at(i / 2)); // ties on created_at
        put(&db.store, org, Write::insert(r.clone())).await;
        reqs.push(r);
    }
    let walk_requests = |vis: Visibility, filter: RequestFilter| {
        let store = db.store.clone();
        async move {
            let mut out: Vec<Request> = Vec::new();
            loop {
                let after = out.last().map(|r| SortKey {
                    value: Some(KeyValue::Int(r.created_at.timestamp_micros())),
                    id: r.id.0,
                });
                let q = RequestQuery {
                    filter: filter.clone(),
                    visibility: vis.clone(),
                    after,
                    fetch: 3,
                };
                let page = store.list_requests(org, &q).await.unwrap();
                if page.is_empty() {
                    return out;
                }
                out.extend(page);
            }
        }
    };
    let mut want = reqs.clone();
    want.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    assert_eq!(walk_requests(Visibility::all(), RequestFilter::default()).await, want);
    let own = Visibility {
        clauses: vec![VisibilityClause { sites: None, condition: ScopeCondition::Own(other.id) }],
    };
    let mine: Vec<_> = want.iter().filter(|r| r.requested_by == other.id).cloned().collect();
    assert_eq!(walk_requests(own, RequestFilter::default()).await, mine);
    let assigned = Visibility {
        clauses: vec![VisibilityClause {
            sites: None,
            condition: ScopeCondition::Assigned { user: other.id, teams: vec![] },
        }],
    };
    assert!(walk_requests(assigned, RequestFilter::default()).await.is_empty());
    let text = RequestFilter { text: Some("REQ-3".into()), ..Default::default() };
    assert_eq!(walk_requests(Visibility::all(), text).await.len(), 1);

    // Assets by name (duplicate names tie-break on id), with site visibility.
    let mut assets = Vec::new();
    for (i, name) in ["Pump", "Fan", "Pump", "Älteres", "belt"].iter().enumerate() {
        let mut a = asset_rec(org, s.site.id, &format!("C{i}"), None);
        a.name = (*name).into();
        a.serial_number = Some(format!("SER-{i}"));
        put(&db.store, org, Write::insert(a.clone())).await;
        assets.push(a);
    }
    let mut want = assets.clone();
    want.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()).then(a.id.cmp(&b.id)));
    let mut got = Vec::new();
    loop {
        let after = got.last().map(|a: &cmms_core::domain::asset::Asset| SortKey {
            value: Some(KeyValue::Text(a.name.clone())),
            id: a.id.0,
        });
        let q = AssetQuery {
            filter: AssetFilter::default(),
            sites: Some(vec![s.site.id]),
            after,
            fetch: 2,
        };
        let page = db.store.list_assets(org, &q).await.unwrap();
        if page.is_empty() {
            break;
        }
        got.extend(page);
    }
    assert_eq!(got, want);
    let none =
        AssetQuery { filter: AssetFilter::default(), sites: Some(vec![]), after: None, fetch: 10 };
    assert!(db.store.list_assets(org, &none).await.unwrap().is_empty());
    let serial = AssetQuery {
        filter: AssetFilter { text: Some("ser-3".into()), roots_only: true, ..Default::default() },
        sites: None,
        after: None,
        fetch: 10,
    };
    assert_eq!(db.store.list_assets(org, &serial).await.unwrap(), vec![assets[3].clone()]);

    // Users by email; inactive ones filtered out on request.
    let mut gone = user_rec(org, "aaa@acme.example");
    gone.active = false;
    put(&db.store, org, Write::insert(gone.clone())).await;
    let q = UserQuery { filter: UserFilter::default(), after: None, fetch: 2 };
    let first = db.store.list_users(org, &q).await.unwrap();
    assert_eq!(
        first.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(),
        vec!["aaa@acme.example", "other@acme.example"]
    );
    let last = first.last().unwrap();
    let q = UserQuery {
        after: Some(SortKey { value: Some(KeyValue::Text(last.email.clone())), id: last.id.0 }),
        ..q
    };
    assert_eq!(db.store.list_users(org, &q).await.unwrap(), vec![s.user.clone()]);
    let active = UserQuery {
        filter: UserFilter { active: Some(true), ..Default::default() },
        after: None,
        fetch: 10,
    };
    assert_eq!(db.store.list_users(org, &active).await.unwrap().len(), 2);
    let ids = [gone.id, other.id, UserId::new(), gone.id];
    let mut found: Vec<_> =
        db.store.users_by_ids(org, &ids).await.unwrap().into_iter().map(|u| u.id).collect();
    found.sort();
    let mut want = vec![gone.id, other.id];
    want.sort();
    assert_eq!(found, want);
    assert_eq!(db.store.find_user_by_email(org, "other@acme.example").await.unwrap(), Some(other));
}
