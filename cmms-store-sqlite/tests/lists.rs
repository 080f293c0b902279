//! List queries against a real database: every work-order filter, visibility clauses and keyset
//! pagination in every sort (NULL due dates included), checked against the same rows filtered
//! and sorted in the test; plus request, asset and user lists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cmms_core::domain::location::Location;
use cmms_core::domain::status::WorkOrderStatus;
use cmms_core::domain::team::Team;
use cmms_core::domain::work_order::{Priority, WorkOrder, WorkOrderType};
use cmms_core::ids::*;
use cmms_core::rbac::{ScopeCondition, Visibility, VisibilityClause};
use cmms_core::store::*;
use common::*;
use std::cmp::Ordering;

struct World {
    db: Db,
    org: OrgId,
    sites: [SiteId; 2],
    users: [UserId; 3],
    team: TeamId,
    assets: [AssetId; 4],
    location: LocationId,
    wos: Vec<WorkOrder>,
}

async fn world() -> World {
    let db = db().await;
    let s = seed(&*db.store, "Acme").await;
    let org = s.org;
    let site2 = site_rec(org, "PLANT2");
    put(&db.store, org, Write::insert(site2.clone())).await;
    let u2 = user_rec(org, "two@acme.example");
    let u3 = user_rec(org, "three@acme.example");
    put(&db.store, org, Write::insert(u2.clone())).await;
    put(&db.store, org, Write::insert(u3.clone())).await;
    let team = Team {
        id: TeamId::new(),
        org_id: org,
        name: "Night shift".into(),
        site_id: None,
        members: vec![u2.id],
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    };
    put(&db.store, org, Write::insert(team.clone())).await;
    let location = Location {
        id: LocationId::new(),
        org_id: org,
        site_id: s.site.id,
        parent_id: None,
        name: "Hall".into(),
        code: None,
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    };
    put(&db.store, org, Write::insert(location.clone())).await;
    // A > B > C, and D on its own.
    let a = asset_rec(org, s.site.id, "A", None);
    let b = asset_rec(org, s.site.id, "B", Some(a.id));
    let c = asset_rec(org, s.site.id, "C", Some(b.id));
    let d = asset_rec(org, s.site.id, "D", None);
    for asset in [&a, &b, &c, &d] {
        put(&db.store, org, Write::insert(asset.clone())).await;
    }
    let sites = [s.site.id, site2.id];
    let users = [s.user.id, u2.id, u3.id];
    let asset_ids = [a.id, b.id, c.id, d.id];
    let mut wos = Vec::new();
    for i in 0..41_i64 {
        let n = i as usize;
        let mut wo = wo_rec(org, sites[n % 2], &format!("WO-{i:05}"));
        wo.title = match i {
            5 => "50% off_sale pump".into(),
            6 => "50 percent offXsale".into(),
            _ => format!("Pump {i}"),
        };
        wo.description = (i % 3 == 0).then(|| format!("Grüße aus Halle {i} ✓"));
        wo.created_at = at((i / 3) * 1000); // groups of three share a creation time
        wo.updated_at = at(((i * 7) % 11) * 1000);
        wo.due_at = (i % 4 != 0).then(|| at(((i * 5) % 6) * 1000));
        wo.priority = Priority::ALL[n % 4];
        wo.status = WorkOrderStatus::ALL[n % 9];
        wo.wo_type = WorkOrderType::ALL[n % 5];
        wo.asset_id = [None, Some(a.id), Some(b.id), Some(c.id), Some(d.id)][n % 5];
        wo.location_id = (i % 6 == 0).then_some(location.id);
        wo.assignees = match i % 3 {
            0 => vec![users[0]],
            1 => vec![users[1], users[0]],
            _ => Vec::new(),
        };
        wo.team_id = (i % 7 == 0).then_some(team.id);
        wo.requested_by = Some(if i % 2 == 0 { users[0] } else { users[2] });
        put(&db.store, org, Write::insert(wo.clone())).await;
        wos.push(wo);
    }
    World { db, org, sites, users, team: team.id, assets: asset_ids, location: location.id, wos }
}

fn key(wo: &WorkOrder, field: WorkOrderSortField) -> Option<i64> {
    match field {
        WorkOrderSortField::Created => Some(wo.created_at.timestamp_micros()),
        WorkOrderSortField::Updated => Some(wo.updated_at.timestamp_micros()),
        WorkOrderSortField::Due => wo.due_at.map(|d| d.timestamp_micros()),
        WorkOrderSortField::Priority => Some(wo.priority.rank()),
    }
}

/// Every page, following the keyset of each page's last row.
async fn walk(w: &World, filter: &WorkOrderFilter, vis: &Visibility, fetch: u32) -> Vec<WorkOrder> {
    let mut all: Vec<WorkOrder> = Vec::new();
    let mut after = None;
    for _ in 0..200 {
        let q = WorkOrderQuery { filter: filter.clone(), visibility: vis.clone(), after, fetch };
        let page = w.db.store.list_work_orders(w.org, &q).await.unwrap();
        assert!(page.len() <= fetch as usize);
        let Some(last) = page.last() else { return all };
        after =
            Some(SortKey { value: key(last, filter.sort.field).map(KeyValue::Int), id: last.id.0 });
        all.extend(page);
    }
    panic!("pagination does not end");
}

/// The rows matching `pred`, in the order the sort promises.
fn expected(w: &World, sort: WorkOrderSort, pred: impl Fn(&WorkOrder) -> bool) -> Vec<WorkOrderId> {
    let mut rows: Vec<&WorkOrder> = w.wos.iter().filter(|wo| pred(wo)).collect();
    let directed = |o: Ordering| match sort.direction {
        Direction::Asc => o,
        Direction::Desc => o.reverse(),
    };
    rows.sort_by(|a, b| {
        let by_key = match (key(a, sort.field), key(b, sort.field)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater, // NULLs last in both directions
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => directed(x.cmp(&y)),
        };
        by_key.then_with(|| directed(a.id.cmp(&b.id)))
    });
    rows.into_iter().map(|wo| wo.id).collect()
}

fn ids(rows: &[WorkOrder]) -> Vec<WorkOrderId> {
    rows.iter().map(|wo| wo.id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn keyset_pagination_walks_every_sort_in_both_directions() {
    let w = world().await;
    for field in WorkOrderSortField::ALL {
        for direction in Direction::ALL {
            let sort = WorkOrderSort { field: *field, direction: *direction };
            let filter = WorkOrderFilter { sort, ..Default::default() };
            for fetch in [1, 4, 7, 100] {
                let got = walk(&w, &filter, &Visibility::all(), fetch).await;
                assert_eq!(ids(&got), expected(&w, sort, |_| true), "{sort:?} fetch {fetch}");
            }
        }
    }
    // Rows come back whole, with assignees in order.
    let got = walk(&w, &WorkOrderFilter::default(), &Visibility::all(), 50).await;
    for wo in &got {
        assert_eq!(Some(wo), w.wos.iter().find(|x| x.id == wo.id));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_work_order_filter_matches_the_same_rows_as_the_test() {
    let w = world().await;
    let (u, team, assets, sites) = (w.users, w.team, w.assets, w.sites);
    let location = w.location;
    type Pred = Box<dyn Fn(&WorkOrder) -> bool>;
    let cases: Vec<(&str, WorkOrderFilter, Pred)> = vec![
        (
            "status",
            WorkOrderFilter {
                status: vec![WorkOrderStatus::Open, WorkOrderStatus::Completed],
                ..Default::default()
            },
            Box::new(|wo| matches!(wo.status, WorkOrderStatus::Open | WorkOrderStatus::Completed)),
        ),
        (
            "priority",
            WorkOrderFilter {
                priority: vec![Priority::High, Priority::Urgent],
                ..Default::default()
            },
            Box::new(|wo| wo.priority.rank() >= 3),
        ),
        (
            "type",
            WorkOrderFilter { wo_type: vec![WorkOrderType::Preventive], ..Default::default() },
            Box::new(|wo| wo.wo_type == WorkOrderType::Preventive),
        ),
        (
            "assignee",
            WorkOrderFilter { assignee: Some(u[0]), ..Default::default() },
            Box::new(move |wo| wo.assignees.contains(&u[0])),
        ),
        (
            "team",
            WorkOrderFilter { team: Some(team), ..Default::default() },
            Box::new(move |wo| wo.team_id == Some(team)),
        ),
        (
            "asset",
            WorkOrderFilter { asset: Some(assets[0]), ..Default::default() },
            Box::new(move |wo| wo.asset_id == Some(assets[0])),
        ),
        (
            "asset and sub-assets",
            WorkOrderFilter {
                asset: Some(assets[0]),
                include_sub_assets: true,
                ..Default::default()
            },
            Box::new(move |wo| wo.asset_id.is_some_and(|a| assets[..3].contains(&a))),
        ),
        (
            "sub-assets of a leaf",
            WorkOrderFilter {
                asset: Some(assets[2]),
                include_sub_assets: true,
                ..Default::default()
            },
            Box::new(move |wo| wo.asset_id == Some(assets[2])),
        ),
        (
            "site",
            WorkOrderFilter { site: Some(sites[1]), ..Default::default() },
            Box::new(move |wo| wo.site_id == sites[1]),
        ),
        (
            "location",
            WorkOrderFilter { location: Some(location), ..Default::default() },
            Box::new(move |wo| wo.location_id == Some(location)),
        ),
        (
            "requested_by",
            WorkOrderFilter { requested_by: Some(u[2]), ..Default::default() },
            Box::new(move |wo| wo.requested_by == Some(u[2])),
        ),
        (
            "due range",
            WorkOrderFilter {
                due_from: Some(at(1000)),
                due_to: Some(at(3000)),
                ..Default::default()
            },
            Box::new(|wo| wo.due_at.is_some_and(|d| d >= at(1000) && d < at(3000))),
        ),
        (
            "created range",
            WorkOrderFilter {
                created_from: Some(at(2000)),
                created_to: Some(at(5000)),
                ..Default::default()
            },
            Box::new(|wo| wo.created_at >= at(2000) && wo.created_at < at(5000)),
        ),
        (
            "% and _ separate words",
            WorkOrderFilter { text: Some("50% off_s".into()), ..Default::default() },
            Box::new(|wo| wo.title.starts_with("50% off_sale")),
        ),
        (
            "text is case-insensitive, by word prefix",
            WorkOrderFilter { text: Some("PUM".into()), ..Default::default() },
            Box::new(|wo| wo.title.to_lowercase().contains("pump")),
        ),
        (
            "text in the description",
            WorkOrderFilter { text: Some("Grüße".into()), ..Default::default() },
            Box::new(|wo| wo.description.is_some()),
        ),
        (
            "text in the number",
            WorkOrderFilter { text: Some("WO-00012".into()), ..Default::default() },
            Box::new(|wo| wo.number == "WO-00012"),
        ),
        (
            "filters combine with AND",
            WorkOrderFilter {
                site: Some(sites[0]),
                assignee: Some(u[1]),
                priority: vec![Priority::Low, Priority::High],
                ..Default::default()
            },
            Box::new(move |wo| {
                wo.site_id == sites[0]
                    && wo.assignees.contains(&u[1])
                    && matches!(wo.priority, Priority::Low | Priority::High)
            }),
        ),
    ];
    for (name, filter, pred) in cases {
        let got = walk(&w, &filter, &Visibility::all(), 5).await;
        let want = expected(&w, filter.sort, pred);
        assert!(!want.is_empty(), "{name}: the fixture has matching rows");
        assert_eq!(ids(&got), want, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn visibility_clauses_limit_the_rows() {
    let w = world().await;
    let (u, team, sites) = (w.users, w.team, w.sites);
    let clause = |sites: Option<Vec<SiteId>>, condition| VisibilityClause { sites, condition };
    type Pred = Box<dyn Fn(&WorkOrder) -> bool>;
    let cases: Vec<(&str, Visibility, Pred)> = vec![
        ("all", Visibility::all(), Box::new(|_| true)),
        (
            "own",
            Visibility { clauses: vec![clause(None, ScopeCondition::Own(u[2]))] },
            Box::new(move |wo| wo.requested_by == Some(u[2])),
        ),
        (
            "assigned to me or my team",
            Visibility {
                clauses: vec![clause(
                    None,
                    ScopeCondition::Assigned { user: u[1], teams: vec![team] },
                )],
            },
            Box::new(move |wo| wo.assignees.contains(&u[1]) || wo.team_id == Some(team)),
        ),
        (
            "assigned, no teams",
            Visibility {
                clauses: vec![clause(None, ScopeCondition::Assigned { user: u[1], teams: vec![] })],
            },
            Box::new(move |wo| wo.assignees.contains(&u[1])),
        ),
        (
            "any at one site",
            Visibility { clauses: vec![clause(Some(vec![sites[0]]), ScopeCondition::Any)] },
            Box::new(move |wo| wo.site_id == sites[0]),
        ),
        (
            "own at site 2 OR assigned anywhere",
            Visibility {
                clauses: vec![
                    clause(Some(vec![sites[1]]), ScopeCondition::Own(u[0])),
                    clause(None, ScopeCondition::Assigned { user: u[1], teams: vec![] }),
                ],
            },
            Box::new(move |wo| {
                (wo.site_id == sites[1] && wo.requested_by == Some(u[0]))
                    || wo.assignees.contains(&u[1])
            }),
        ),
        (
            "a clause with an empty site list matches nothing",
            Visibility {
                clauses: vec![
                    clause(Some(vec![]), ScopeCondition::Any),
                    clause(None, ScopeCondition::Own(u[2])),
                ],
            },
            Box::new(move |wo| wo.requested_by == Some(u[2])),
        ),
    ];
    for (name, vis, pred) in cases {
        for sort in ["created", "due", "-due", "priority:asc"] {
            let filter = WorkOrderFilter { sort: sort.parse().unwrap(), ..Default::default() };
            let got = walk(&w, &filter, &vis, 3).await;
            assert_eq!(ids(&got), expected(&w, filter.sort, &pred), "{name}, {sort}");
        }
    }
    let none = WorkOrderQuery {
        filter: WorkOrderFilter::default(),
        visibility: Visibility::default(),
        after: None,
        fetch: 50,
    };
    assert!(w.db.store.list_work_orders(w.org, &none).await.unwrap().is_empty());
    // Another org sees none of these rows.
    let other = seed(&*w.db.store, "Other").await;
    let all = WorkOrderQuery { visibility: Visibility::all(), ..none };
    assert!(w.db.store.list_work_orders(other.org, &all).await.unwrap().is_empty());
}
