//! Conformance: work-order list filters, sorts and cursor pagination through the facade.

use crate::domain::asset::NewAsset;
use crate::domain::status::WorkOrderStatus as S;
use crate::domain::work_order::{NewWorkOrder, Priority, WorkOrder};
use crate::store::{Direction, WorkOrderFilter, WorkOrderSort, WorkOrderSortField};
use crate::testkit::TestDb;
use crate::testkit::fixtures::Fx;
use chrono::TimeDelta;
use std::sync::Arc;

async fn walk(fx: &Fx, filter: WorkOrderFilter) -> Vec<WorkOrder> {
    let mut out = Vec::new();
    let mut f = filter;
    loop {
        let page = fx.cmms.list_work_orders(&fx.owner.actor, f.clone()).await.unwrap();
        assert!(page.items.len() <= f.limit.unwrap_or(50) as usize);
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => f.cursor = Some(c),
            None => return out,
        }
    }
}

/// Every sort, walked page by page, yields each row once in the documented order; filters
/// select exactly the matching rows.
pub async fn list_filters_sorts_and_pages(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let line = c
        .create_asset(
            &fx.owner.actor,
            NewAsset {
                name: "Line".into(),
                code: "LN".into(),
                site_id: Some(fx.site.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let pump = c
        .create_asset(
            &fx.owner.actor,
            NewAsset {
                name: "Pump".into(),
                code: "LN-P".into(),
                parent_id: Some(line.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut all = Vec::new();
    for i in 0..23 {
        fx.tick();
        let priority = Priority::ALL[i % 4];
        let due = (i % 3 != 0).then(|| fx.cmms.now() + TimeDelta::hours((i as i64 * 7) % 5));
        let asset = match i % 5 {
            0 => Some(line.id),
            1 => Some(pump.id),
            _ => None,
        };
        let site = if i % 6 == 5 { fx.site2.id } else { fx.site.id };
        let assignees = if i % 2 == 0 { vec![fx.tech.user.id] } else { vec![] };
        let wo = c
            .create_work_order(
                &fx.manager.actor,
                NewWorkOrder {
                    title: format!("Job {i:02} {}", if i % 4 == 0 { "valve" } else { "belt" }),
                    site_id: Some(if asset.is_some() { fx.site.id } else { site }),
                    asset_id: asset,
                    priority: Some(priority),
                    due_at: due,
                    assignees,
                    ..NewWorkOrder::default()
                },
            )
            .await
            .unwrap();
        all.push(wo);
    }
    // Touch a few so `updated` differs from `created`.
    for wo in all.iter().step_by(4) {
        fx.tick();
        fx.go(&fx.manager.actor, wo.id, S::InProgress, None).await;
    }
    let fresh: Vec<WorkOrder> = {
        let mut v = Vec::new();
        for wo in &all {
            v.push(c.get_work_order(&fx.owner.actor, wo.id).await.unwrap());
        }
        v
    };
    for field in WorkOrderSortField::ALL {
        for direction in Direction::ALL {
            let sort = WorkOrderSort { field: *field, direction: *direction };
            let got =
                walk(&fx, WorkOrderFilter { sort, limit: Some(4), ..Default::default() }).await;
            let mut want = fresh.clone();
            want.sort_by(|a, b| {
                let key = |w: &WorkOrder| crate::service::work_order_sort_key(sort, w);
                let (ka, kb) = (key(a), key(b));
                let ord = match (&ka.value, &kb.value) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => return std::cmp::Ordering::Greater,
                    (Some(_), None) => return std::cmp::Ordering::Less,
                    (Some(x), Some(y)) => cmp_key(x, y),
                };
                let ord = ord.then(ka.id.cmp(&kb.id));
                if *direction == Direction::Desc { ord.reverse() } else { ord }
            });
            let ids = |v: &[WorkOrder]| v.iter().map(|w| w.number.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&got), ids(&want), "sort {field} {direction}");
        }
    }
    // "My work" (stores may serve it from the assignee side): the exact rows in creation
    // order both ways, page by page, and it follows reassignment.
    let mine = |fresh: &[WorkOrder], direction: Direction| {
        let mut want: Vec<&WorkOrder> =
            fresh.iter().filter(|w| w.assignees.contains(&fx.tech.user.id)).collect();
        want.sort_by_key(|w| (w.created_at, w.id));
        if direction == Direction::Desc {
            want.reverse();
        }
        want.iter().map(|w| w.number.clone()).collect::<Vec<_>>()
    };
    let walk_mine = |direction: Direction| {
        let fx = &fx;
        async move {
            let sort = WorkOrderSort { field: WorkOrderSortField::Created, direction };
            let f = WorkOrderFilter {
                assignee: Some(fx.tech.user.id),
                sort,
                limit: Some(3),
                ..Default::default()
            };
            walk(fx, f).await.into_iter().map(|w| w.number).collect::<Vec<_>>()
        }
    };
    for direction in Direction::ALL {
        assert_eq!(walk_mine(*direction).await, mine(&fresh, *direction), "my work {direction}");
    }
    let (gone, added) = (&fresh[2], &fresh[3]);
    fx.tick();
    fx.assign(gone.id, vec![fx.manager.user.id]).await;
    fx.assign(added.id, vec![fx.manager.user.id, fx.tech.user.id]).await;
    let fresh: Vec<WorkOrder> = {
        let mut v = Vec::new();
        for wo in &all {
            v.push(c.get_work_order(&fx.owner.actor, wo.id).await.unwrap());
        }
        v
    };
    for direction in Direction::ALL {
        let got = walk_mine(*direction).await;
        assert!(got.contains(&added.number) && !got.contains(&gone.number));
        assert_eq!(got, mine(&fresh, *direction), "my work after reassignment {direction}");
    }
    // Filters.
    let count = |f: WorkOrderFilter| {
        let fx = &fx;
        async move { walk(fx, WorkOrderFilter { limit: Some(7), ..f }).await.len() }
    };
    let expect = |p: &dyn Fn(&WorkOrder) -> bool| fresh.iter().filter(|w| p(w)).count();
    assert_eq!(
        count(WorkOrderFilter { status: vec![S::InProgress], ..Default::default() }).await,
        expect(&|w| w.status == S::InProgress)
    );
    assert_eq!(
        count(WorkOrderFilter {
            priority: vec![Priority::Urgent, Priority::Low],
            ..Default::default()
        })
        .await,
        expect(&|w| matches!(w.priority, Priority::Urgent | Priority::Low))
    );
    assert_eq!(
        count(WorkOrderFilter { assignee: Some(fx.tech.user.id), ..Default::default() }).await,
        expect(&|w| w.assignees.contains(&fx.tech.user.id))
    );
    assert_eq!(
        count(WorkOrderFilter { site: Some(fx.site2.id), ..Default::default() }).await,
        expect(&|w| w.site_id == fx.site2.id)
    );
    assert_eq!(
        count(WorkOrderFilter { asset: Some(line.id), ..Default::default() }).await,
        expect(&|w| w.asset_id == Some(line.id))
    );
    assert_eq!(
        count(WorkOrderFilter {
            asset: Some(line.id),
            include_sub_assets: true,
            ..Default::default()
        })
        .await,
        expect(&|w| w.asset_id == Some(line.id) || w.asset_id == Some(pump.id))
    );
    assert_eq!(
        count(WorkOrderFilter { text: Some("VALVE".into()), ..Default::default() }).await,
        expect(&|w| crate::search::matches(
            &crate::search::document(&w.number, &w.title, w.description.as_deref()),
            "VALVE"
        ))
    );
    assert_eq!(
        count(WorkOrderFilter { text: Some(all[3].number.clone()), ..Default::default() }).await,
        1
    );
    let mid = fresh[10].created_at;
    assert_eq!(
        count(WorkOrderFilter { created_from: Some(mid), ..Default::default() }).await,
        expect(&|w| w.created_at >= mid)
    );
    assert_eq!(
        count(WorkOrderFilter { created_to: Some(mid), ..Default::default() }).await,
        expect(&|w| w.created_at < mid)
    );
    let due_to = fx.cmms.now() + TimeDelta::hours(2);
    assert_eq!(
        count(WorkOrderFilter { due_to: Some(due_to), ..Default::default() }).await,
        expect(&|w| w.due_at.is_some_and(|d| d < due_to))
    );
    assert_eq!(
        count(WorkOrderFilter {
            status: vec![S::InProgress],
            assignee: Some(fx.tech.user.id),
            priority: vec![Priority::Low],
            ..Default::default()
        })
        .await,
        expect(&|w| w.status == S::InProgress
            && w.assignees.contains(&fx.tech.user.id)
            && w.priority == Priority::Low)
    );
    // A cursor only fits the sort it came from.
    let page = c
        .list_work_orders(&fx.owner.actor, WorkOrderFilter { limit: Some(2), ..Default::default() })
        .await
        .unwrap();
    let other_sort = WorkOrderFilter {
        cursor: page.next_cursor,
        sort: "due".parse().unwrap(),
        ..Default::default()
    };
    assert!(c.list_work_orders(&fx.owner.actor, other_sort).await.is_err());
}

fn cmp_key(a: &crate::store::KeyValue, b: &crate::store::KeyValue) -> std::cmp::Ordering {
    use crate::store::KeyValue::{Int, Text};
    match (a, b) {
        (Int(x), Int(y)) => x.cmp(y),
        (Text(x), Text(y)) => x.cmp(y),
        (Int(_), Text(_)) => std::cmp::Ordering::Less,
        (Text(_), Int(_)) => std::cmp::Ordering::Greater,
    }
}
