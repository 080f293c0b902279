//! Conformance: meters and preventive maintenance — readings in any order, plans, idempotent
//! generation (also under concurrency), completion as the plan's service, what is due and
//! compliance.

use crate::CmmsError;
use crate::domain::asset::{AssetPatch, AssetState, NewAsset};
use crate::domain::checklist::NewChecklistItem;
use crate::domain::meter::{MeterKind, NewMeter, NewReading};
use crate::domain::pm::{NewPmPlan, PmPlanPatch, Schedule};
use crate::domain::status::WorkOrderStatus as S;
use crate::domain::work_order::WorkOrderType;
use crate::ids::AssetId;
use crate::service::{DueQuery, GenerateRequest, MeterFilter, PlanFilter, ReadingFilter};
use crate::store::WorkOrderFilter;
use crate::testkit::TestDb;
use crate::testkit::fixtures::{
    Fx, assert_field, assert_forbidden, assert_not_found, assert_taken, t0,
};
use chrono::TimeDelta;
use std::sync::Arc;

async fn asset(fx: &Fx, code: &str, category: &str) -> AssetId {
    let input = NewAsset {
        name: format!("Pump {code}"),
        code: code.into(),
        site_id: Some(fx.site.id),
        category: Some(category.into()),
        ..NewAsset::default()
    };
    fx.cmms.create_asset(&fx.manager.actor, input).await.expect("asset").id
}

/// An accumulating "Run hours" meter on `asset`, the meter the meter plans here name.
fn run_hours(asset: AssetId) -> NewMeter {
    NewMeter {
        asset_id: asset,
        name: "Run hours".into(),
        unit: "h".into(),
        kind: MeterKind::Accumulating,
    }
}

fn schedule(triggers: serde_json::Value, extra: serde_json::Value) -> Schedule {
    let mut doc = serde_json::json!({ "triggers": triggers });
    if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    serde_json::from_value(doc).expect("schedule")
}

fn daily() -> serde_json::Value {
    serde_json::json!([{ "kind": "calendar", "every": 1, "unit": "days", "time_of_day": "09:00:00" }])
}

fn plan(fx: &Fx, assets: Vec<AssetId>, schedule: Schedule) -> NewPmPlan {
    NewPmPlan {
        site_id: fx.site.id,
        title: "Grease bearings".into(),
        description: None,
        wo_type: None,
        priority: None,
        estimated_hours: Some(0.5),
        checklist: vec![
            NewChecklistItem::new("Grease", false),
            NewChecklistItem::new("Wipe", false),
        ],
        parts: Vec::new(),
        assignees: vec![fx.tech.user.id],
        team_id: None,
        asset_ids: assets,
        category: None,
        schedule,
        active: None,
    }
}

fn today() -> serde_json::Value {
    serde_json::json!({ "starts_on": t0().date_naive().to_string() })
}

/// Readings arrive out of order and in batches; lower readings need a reset; repeats are
/// skipped; who may record and read is the role table's.
pub async fn meters_take_readings_in_any_order(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let pump = asset(&fx, "M-1", "pump").await;
    let new = run_hours(pump);
    assert_forbidden(
        c.create_meter(&fx.tech.actor, new.clone()).await,
        "technicians do not manage meters",
    );
    let meter = c.create_meter(&fx.manager.actor, new.clone()).await.unwrap();
    assert_taken(c.create_meter(&fx.manager.actor, new).await, "name");
    let at = |h: i64| Some(t0() - TimeDelta::hours(h));
    let r = |v: f64, h: i64, reset: bool| NewReading {
        meter_id: meter.id,
        value: v,
        taken_at: at(h),
        source: None,
        reset,
    };
    let done = c
        .record_readings(
            &fx.tech.actor,
            vec![r(120.0, 1, false), r(100.0, 10, false), r(110.0, 5, false)],
        )
        .await
        .unwrap();
    assert_eq!(done.recorded.iter().map(|x| x.value).collect::<Vec<_>>(), [100.0, 110.0, 120.0]);
    assert_eq!(done.meters[0].last_value, Some(120.0));
    let again = c.record_readings(&fx.tech.actor, vec![r(120.0, 1, false)]).await.unwrap();
    assert_eq!((again.recorded.len(), again.repeats), (0, 1));
    assert_field(
        c.record_readings(&fx.tech.actor, vec![r(50.0, 0, false)]).await,
        "readings[0].value",
    );
    let reset = c.record_readings(&fx.tech.actor, vec![r(5.0, 0, true)]).await.unwrap();
    assert_eq!(reset.recorded[0].total, 125.0, "usage counts across the reset");
    assert_forbidden(
        c.record_readings(&fx.viewer.actor, vec![r(9.0, -1, false)]).await,
        "viewers read only",
    );
    let page = c
        .list_readings(
            &fx.viewer.actor,
            meter.id,
            ReadingFilter { newest_first: true, limit: Some(2), ..ReadingFilter::default() },
        )
        .await
        .unwrap();
    assert_eq!(page.items.iter().map(|x| x.value).collect::<Vec<_>>(), [5.0, 120.0]);
    let rest = c
        .list_readings(
            &fx.viewer.actor,
            meter.id,
            ReadingFilter {
                newest_first: true,
                cursor: page.next_cursor,
                ..ReadingFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.items.iter().map(|x| x.value).collect::<Vec<_>>(), [110.0, 100.0]);
    let listed = c
        .list_meters(&fx.viewer.actor, MeterFilter { asset: Some(pump), ..MeterFilter::default() })
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
}

/// Generation makes one work order per due slot and asset, copying the template; running it
/// again makes nothing; a slot that comes due while the work is open is skipped, not doubled.
pub async fn pm_generation_is_idempotent_and_skips_while_open(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let (a, b) = (asset(&fx, "G-1", "pump").await, asset(&fx, "G-2", "pump").await);
    let p = c
        .create_pm_plan(&fx.manager.actor, plan(&fx, vec![a, b], schedule(daily(), today())))
        .await
        .unwrap();
    assert_eq!(p.schedule.time_zone, fx.site.time_zone, "a plan runs in its site's zone");
    let m = &fx.manager.actor;
    fx.clock.advance(TimeDelta::hours(2)); // 10:00, after the 09:00 slot
    let first = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert_eq!(first.created.len(), 2, "{first:?}");
    let wo = c.get_work_order(m, first.created[0].work_order_id).await.unwrap();
    assert_eq!(
        (wo.wo_type, wo.status, wo.pm_plan_id),
        (WorkOrderType::Preventive, S::Assigned, Some(p.id))
    );
    assert_eq!(wo.due_at, Some(first.created[0].due_at));
    assert_eq!(c.store().checklist(fx.org.id, wo.id).await.unwrap().len(), 2);
    let again = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert!(again.created.is_empty() && again.skipped.is_empty(), "{again:?}");
    fx.clock.advance(TimeDelta::days(1));
    let next = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert_eq!((next.created.len(), next.skipped.len()), (0, 2), "work still open: skipped");
    // Finish asset a's work: the next day makes new work for a, and skips b again.
    let a_wo = first.created.iter().find(|g| g.asset_id == a).unwrap().work_order_id;
    fx.go(&fx.tech.actor, a_wo, S::InProgress, None).await;
    fx.go(&fx.tech.actor, a_wo, S::Completed, None).await;
    fx.clock.advance(TimeDelta::days(1));
    let third = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert_eq!(third.created.iter().map(|g| g.asset_id).collect::<Vec<_>>(), [a]);
    assert_eq!(third.skipped.iter().map(|s| s.asset_id).collect::<Vec<_>>(), [b]);
    let history = c.pm_history(m, p.id, Default::default()).await.unwrap();
    assert_eq!(history.items.len(), 6);
    assert_field(c.delete_work_order(m, third.created[0].work_order_id, None).await, "pm_plan_id");
}

/// Completing a PM work order is the plan's service: a floating plan counts from it.
pub async fn pm_completion_advances_floating_plans(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let m = &fx.manager.actor;
    let a = asset(&fx, "F-1", "fan").await;
    let monthly = serde_json::json!([{ "kind": "calendar", "every": 1, "unit": "months", "mode": "floating", "time_of_day": "09:00:00" }]);
    let p = c.create_pm_plan(m, plan(&fx, vec![a], schedule(monthly, today()))).await.unwrap();
    fx.clock.advance(TimeDelta::hours(2));
    let g = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    let wo = g.created[0].work_order_id;
    fx.clock.advance(TimeDelta::days(9)); // done 9 days late
    fx.go(&fx.tech.actor, wo, S::InProgress, None).await;
    let done = fx.go(&fx.tech.actor, wo, S::Completed, None).await;
    let due = c
        .pm_due(m, DueQuery { through: Some(t0() + TimeDelta::days(60)), ..DueQuery::default() })
        .await
        .unwrap();
    let item = due.iter().find(|d| d.plan_id == p.id).expect("the plan is listed");
    let expected =
        done.actual_end.unwrap().date_naive().checked_add_months(chrono::Months::new(1)).unwrap();
    assert_eq!(item.due_at.date_naive(), expected, "a month after the completion");
    assert!(item.open_work_order_id.is_none());
    // Cancelling is not a service: the plan's next due stays where it was.
    fx.clock.advance(TimeDelta::days(40));
    let g = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    let cancelled = g.created[0].work_order_id;
    fx.go(m, cancelled, S::Cancelled, Some("no access")).await;
    let report = c.pm_compliance(m, t0(), c.now() + TimeDelta::days(1), None).await.unwrap();
    assert_eq!(
        (report.due, report.on_time),
        (1, 0),
        "one done late, the cancelled one not counted"
    );
    assert_eq!(report.compliance, Some(0.0));
}

/// A meter plan is due when the meter reaches the next multiple of its interval.
pub async fn pm_meter_plans_follow_usage(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let m = &fx.manager.actor;
    let a = asset(&fx, "H-1", "compressor").await;
    let meter = c.create_meter(m, run_hours(a)).await.unwrap();
    let every =
        serde_json::json!([{ "kind": "meter_interval", "meter": "Run hours", "every": 250.0 }]);
    let p = c.create_pm_plan(m, plan(&fx, vec![a], schedule(every, today()))).await.unwrap();
    let read = |v: f64, h: i64| NewReading {
        meter_id: meter.id,
        value: v,
        taken_at: Some(t0() + TimeDelta::hours(h)),
        source: None,
        reset: false,
    };
    fx.clock.advance(TimeDelta::hours(3));
    c.record_readings(&fx.tech.actor, vec![read(0.0, 1), read(100.0, 2)]).await.unwrap();
    assert!(c.generate_due_pm(m, GenerateRequest::default()).await.unwrap().created.is_empty());
    let due = c
        .pm_due(
            m,
            DueQuery {
                through: Some(t0() + TimeDelta::days(365)),
                plan: Some(p.id),
                ..DueQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(due[0].estimated, "projected from usage: {due:?}");
    c.record_readings(&fx.tech.actor, vec![read(260.0, 3)]).await.unwrap();
    let g = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert_eq!(g.created.len(), 1);
    assert_eq!(g.created[0].due_at, t0() + TimeDelta::hours(3), "due when the reading reached 250");
    assert!(!g.created[0].estimated);
}

/// Three generators at once create each work order exactly once.
pub async fn pm_concurrent_generation_creates_each_once(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let m = &fx.manager.actor;
    let mut assets = Vec::new();
    for i in 0..6 {
        assets.push(asset(&fx, &format!("C-{i}"), "valve").await);
    }
    let mut p = plan(&fx, Vec::new(), schedule(daily(), today()));
    p.category = Some("valve".into());
    c.create_pm_plan(m, p).await.unwrap();
    fx.clock.advance(TimeDelta::hours(2));
    let run = || c.generate_due_pm(m, GenerateRequest::default());
    let (x, y, z) = tokio::join!(run(), run(), run());
    let created = [x, y, z].into_iter().map(|r| r.unwrap().created.len()).sum::<usize>();
    assert_eq!(created, assets.len());
    let wos = c
        .list_work_orders(m, WorkOrderFilter { limit: Some(100), ..WorkOrderFilter::default() })
        .await
        .unwrap();
    assert_eq!(wos.items.iter().filter(|w| w.pm_plan_id.is_some()).count(), assets.len());
}

/// Inactive plans, retired assets and months out of season generate nothing; plans validate.
pub async fn pm_plans_validate_and_respect_state(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let m = &fx.manager.actor;
    let (a, b) = (asset(&fx, "R-1", "pump").await, asset(&fx, "R-2", "pump").await);
    let mut both = plan(&fx, vec![a], schedule(daily(), today()));
    both.category = Some("pump".into());
    assert_field(c.create_pm_plan(m, both).await, "category");
    let bad =
        schedule(serde_json::json!([{ "kind": "calendar", "every": 0, "unit": "days" }]), today());
    assert_field(c.create_pm_plan(m, plan(&fx, vec![a], bad)).await, "schedule.triggers[0].every");
    let mut viewer_assigned = plan(&fx, vec![a], schedule(daily(), today()));
    viewer_assigned.assignees = vec![fx.viewer.user.id];
    assert_field(c.create_pm_plan(m, viewer_assigned).await, "assignees");
    assert_forbidden(
        c.create_pm_plan(&fx.tech.actor, plan(&fx, vec![a], schedule(daily(), today()))).await,
        "technicians",
    );
    assert_forbidden(
        c.list_pm_plans(&fx.requester.actor, PlanFilter::default()).await,
        "requesters",
    );
    let p = c.create_pm_plan(m, plan(&fx, vec![a, b], schedule(daily(), today()))).await.unwrap();
    assert_eq!(c.list_pm_plans(&fx.viewer.actor, PlanFilter::default()).await.unwrap().len(), 1);
    c.update_asset(
        m,
        b,
        AssetPatch { state: Some(AssetState::Retired), ..AssetPatch::default() },
        None,
    )
    .await
    .unwrap();
    let off = c
        .update_pm_plan(
            m,
            p.id,
            PmPlanPatch { active: Some(false), ..PmPlanPatch::default() },
            None,
        )
        .await
        .unwrap();
    fx.clock.advance(TimeDelta::hours(2));
    assert!(c.generate_due_pm(m, GenerateRequest::default()).await.unwrap().created.is_empty());
    let season = serde_json::json!({ "starts_on": t0().date_naive().to_string(), "active_months": [6, 7, 8] });
    let patch = PmPlanPatch {
        active: Some(true),
        schedule: Some(schedule(daily(), season)),
        ..PmPlanPatch::default()
    };
    c.update_pm_plan(m, p.id, patch, Some(off.version)).await.unwrap();
    assert!(
        c.generate_due_pm(m, GenerateRequest::default()).await.unwrap().created.is_empty(),
        "March is out of season"
    );
    let june =
        GenerateRequest { through: Some(t0() + TimeDelta::days(92)), ..GenerateRequest::default() };
    let g = c.generate_due_pm(m, june).await.unwrap();
    assert_eq!(
        g.created.iter().map(|w| w.asset_id).collect::<Vec<_>>(),
        [a],
        "retired assets get nothing"
    );
    assert_eq!(g.created[0].due_at.date_naive().to_string(), "2026-06-01");
    match c.generate_due_pm(&fx.viewer.actor, GenerateRequest::default()).await {
        Err(CmmsError::Forbidden { .. }) => {}
        other => panic!("viewers cannot generate: {other:?}"),
    }
}

/// A gauge over its limit makes work; open work past its grace is marked overdue once; what is
/// due shows it overdue; with no plans compliance is 100 by the simple rule and unknown by SMRP.
pub async fn pm_thresholds_overdue_and_empty_compliance(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let m = &fx.manager.actor;
    let empty = c.pm_compliance(m, t0() - TimeDelta::days(30), t0(), None).await.unwrap();
    assert_eq!((empty.compliance, empty.simple_compliance, empty.plans), (None, 100.0, 0));
    let a = asset(&fx, "V-1", "motor").await;
    let gauge = NewMeter {
        asset_id: a,
        name: "Vibration".into(),
        unit: "mm/s".into(),
        kind: MeterKind::Gauge,
    };
    let gauge = c.create_meter(m, gauge).await.unwrap();
    let limit =
        serde_json::json!([{ "kind": "meter_threshold", "meter": "Vibration", "above": 7.1 }]);
    let mut p = plan(&fx, vec![a], schedule(limit, today()));
    p.wo_type = Some(WorkOrderType::Inspection);
    let p = c.create_pm_plan(m, p).await.unwrap();
    fx.clock.advance(TimeDelta::hours(2));
    let read = |v: f64| NewReading {
        meter_id: gauge.id,
        value: v,
        taken_at: None,
        source: None,
        reset: false,
    };
    c.record_readings(&fx.tech.actor, vec![read(4.0)]).await.unwrap();
    assert!(c.generate_due_pm(m, GenerateRequest::default()).await.unwrap().created.is_empty());
    fx.clock.advance(TimeDelta::minutes(10));
    c.record_readings(&fx.tech.actor, vec![read(9.5)]).await.unwrap();
    let g = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert_eq!(g.created.len(), 1, "the reading over the limit makes work");
    assert_eq!(
        c.get_work_order(m, g.created[0].work_order_id).await.unwrap().wo_type,
        WorkOrderType::Inspection
    );
    // Nobody does it: past its due date and grace (0 days for a meter-only plan) it is overdue.
    fx.clock.advance(TimeDelta::days(2));
    assert_eq!(c.generate_due_pm(m, GenerateRequest::default()).await.unwrap().overdue, 1);
    assert_eq!(c.generate_due_pm(m, GenerateRequest::default()).await.unwrap().overdue, 0, "once");
    let due = c.pm_due(m, DueQuery { plan: Some(p.id), ..DueQuery::default() }).await.unwrap();
    assert_eq!(due[0].standing, crate::domain::pm::compliance::Standing::Overdue);
    assert!(due[0].days_until_due <= -2, "{due:?}");
    let events = c.events_since(&fx.owner.actor, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    let overdue = events
        .events
        .iter()
        .filter(|e| e.draft.kind == crate::domain::event::EventKind::PmOverdue)
        .count();
    assert_eq!(overdue, 1);
    let report = c.pm_compliance(m, t0(), c.now(), None).await.unwrap();
    assert_eq!((report.overdue_plans, report.simple_compliance), (1, 0.0));
}

/// A floating meter plan restarts from the meter total recorded when its work was completed,
/// not from the multiple of its interval it was due at.
pub async fn pm_floating_meter_plans_restart_from_completion(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let m = &fx.manager.actor;
    let a = asset(&fx, "FM-1", "compressor").await;
    let meter = c.create_meter(m, run_hours(a)).await.unwrap();
    let every = serde_json::json!([{ "kind": "meter_interval", "meter": "Run hours", "every": 250.0, "mode": "floating" }]);
    let p = c.create_pm_plan(m, plan(&fx, vec![a], schedule(every, today()))).await.unwrap();
    let read = |v: f64| NewReading {
        meter_id: meter.id,
        value: v,
        taken_at: Some(c.now()),
        source: None,
        reset: false,
    };
    fx.clock.advance(TimeDelta::hours(1));
    c.record_readings(&fx.tech.actor, vec![read(0.0)]).await.unwrap();
    fx.clock.advance(TimeDelta::hours(1));
    c.record_readings(&fx.tech.actor, vec![read(260.0)]).await.unwrap();
    let g = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert_eq!(g.created.len(), 1, "250 hours reached: {g:?}");
    let wo = g.created[0].work_order_id;
    // The service happens later, at 300 hours: that total is where the plan restarts.
    fx.clock.advance(TimeDelta::hours(1));
    c.record_readings(&fx.tech.actor, vec![read(300.0)]).await.unwrap();
    fx.go(&fx.tech.actor, wo, S::InProgress, None).await;
    fx.go(&fx.tech.actor, wo, S::Completed, None).await;
    let history = c.pm_history(m, p.id, Default::default()).await.unwrap();
    assert_eq!(history.items[0].meter_values.get("Run hours"), Some(&300.0), "{history:?}");
    // 520 is past 500 (where a fixed plan would be due) but short of 300 + 250.
    fx.clock.advance(TimeDelta::hours(1));
    c.record_readings(&fx.tech.actor, vec![read(520.0)]).await.unwrap();
    let none = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert!(none.created.is_empty(), "due at 550, not 500: {none:?}");
    fx.clock.advance(TimeDelta::hours(1));
    c.record_readings(&fx.tech.actor, vec![read(560.0)]).await.unwrap();
    let next = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert_eq!(next.created.len(), 1, "550 reached: {next:?}");
    assert_eq!(next.created[0].due_at, c.now(), "due when the reading passed 550");
    assert!(!next.created[0].estimated);
}

/// A plan with open work cannot be deleted (a conflict naming the work); once its work is
/// done it goes with its slots and state, while the work orders it made stay as history.
pub async fn pm_plans_delete_only_without_open_work(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let m = &fx.manager.actor;
    let (a, b) = (asset(&fx, "D-1", "pump").await, asset(&fx, "D-2", "pump").await);
    let p = c.create_pm_plan(m, plan(&fx, vec![a, b], schedule(daily(), today()))).await.unwrap();
    fx.clock.advance(TimeDelta::hours(2));
    let g = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert_eq!(g.created.len(), 2);
    assert_forbidden(c.delete_pm_plan(&fx.tech.actor, p.id, None).await, "technicians");
    match c.delete_pm_plan(m, p.id, Some(p.version + 1)).await {
        Err(CmmsError::Conflict { current_version: Some(v), .. }) => assert_eq!(v, p.version),
        other => panic!("a stale version is a conflict: {other:?}"),
    }
    let open = c.delete_pm_plan(m, p.id, Some(p.version)).await;
    match &open {
        Err(CmmsError::Conflict { field: Some(f), message, .. }) => {
            assert_eq!(f, "work_orders");
            assert!(message.contains(&g.created[0].number), "names the open work: {message}");
        }
        other => panic!("open work blocks the delete: {other:?}"),
    }
    let (done, dropped) = (g.created[0].work_order_id, g.created[1].work_order_id);
    fx.go(&fx.tech.actor, done, S::InProgress, None).await;
    fx.go(&fx.tech.actor, done, S::Completed, None).await;
    fx.go(m, dropped, S::Cancelled, Some("asset out of service")).await;
    c.delete_pm_plan(m, p.id, Some(p.version)).await.unwrap();
    assert_not_found(c.get_pm_plan(m, p.id).await, "the plan is gone");
    assert_not_found(c.pm_history(m, p.id, Default::default()).await, "and its history");
    assert!(c.list_pm_plans(m, PlanFilter::default()).await.unwrap().is_empty());
    let kept = c.get_work_order(m, done).await.unwrap();
    assert_eq!((kept.status, kept.pm_plan_id), (S::Completed, Some(p.id)), "work stays");
    fx.clock.advance(TimeDelta::days(3));
    let after = c.generate_due_pm(m, GenerateRequest::default()).await.unwrap();
    assert!(after.created.is_empty() && after.skipped.is_empty(), "{after:?}");
    let due = c.pm_due(m, DueQuery::default()).await.unwrap();
    assert!(due.iter().all(|d| d.plan_id != p.id));
    let trail = c.audit_entries(&fx.owner.actor, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    let gone = trail.iter().find(|e| e.draft.action == "pm.plan_delete").expect("audited");
    assert_eq!(gone.draft.before.as_ref().unwrap()["title"], p.title);
    let events = c.events_since(&fx.viewer.actor, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    assert!(
        events
            .events
            .iter()
            .any(|e| e.draft.kind == crate::domain::event::EventKind::PmPlanDeleted)
    );
    assert_not_found(c.delete_pm_plan(m, p.id, None).await, "deleting twice");
}
