//! Core rules without I/O: `authorize` for each built-in role, the status-transition decision,
//! work-order input validation and one audit-chain hash.
// Benchmarks: setup failures should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use cmms_benches::fixture::{Org, draft_work_order};
use cmms_core::domain::audit::{AuditDraft, GENESIS_HASH, chain_hash};
use cmms_core::domain::status::{
    TransitionFacts, TransitionInput, WorkOrderStatus, decide_transition,
};
use cmms_core::domain::work_order::NewWorkOrder;
use cmms_core::domain::{EntityKind, EntityRef};
use cmms_core::rbac::{BUILTIN_ROLES, Permission, Resource, authorize};
use cmms_core::{Actor, OrgId, SiteId, UserId};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn org() -> Org {
    let id = OrgId::new();
    let owner = UserId::new();
    let users = (0..55).map(|i| if i == 0 { owner } else { UserId::new() }).collect();
    let owner = Actor::with_builtin(id, owner, cmms_core::rbac::BuiltinRole::Owner);
    Org { id, owner, sites: (0..5).map(|_| SiteId::new()).collect(), users }
}

fn authorize_each_role(c: &mut Criterion) {
    let org = org();
    let wo = draft_work_order(&org, 1, Utc::now());
    let mut g = c.benchmark_group("authorize");
    for row in BUILTIN_ROLES {
        // The actor is assigned to the work order, so `Assigned` conditions are evaluated
        // and pass: the check walks the whole permission table.
        let user = wo.assignees[0];
        let actor = Actor::with_builtin(org.id, user, row.role);
        let resource = Resource {
            site: Some(wo.site_id),
            owner: wo.requested_by,
            assignees: &wo.assignees,
            team: wo.team_id,
        };
        g.bench_function(row.role.as_str(), |b| {
            b.iter(|| {
                black_box(authorize(black_box(&actor), Permission::WorkOrderExecute, &resource))
                    .is_ok()
            })
        });
    }
    g.finish();
}

fn transition_decision(c: &mut Criterion) {
    let org = org();
    let now = Utc::now();
    let mut wo = draft_work_order(&org, 1, now);
    wo.status = WorkOrderStatus::InProgress;
    let facts = TransitionFacts { checklist: &[], failure_codes_required: false };
    c.bench_function("decide_transition/in_progress->on_hold", |b| {
        b.iter(|| {
            decide_transition(
                black_box(&wo),
                WorkOrderStatus::OnHold,
                TransitionInput::reason("waiting for parts"),
                facts,
                org.owner.user_id(),
                now,
            )
            .unwrap()
        })
    });
}

fn validation(c: &mut Criterion) {
    let org = org();
    let input = NewWorkOrder {
        title: "Replace pump seal on line 3".into(),
        description: Some("Seal leaks at the drive end; replace and test under load.".into()),
        category: Some("mechanical".into()),
        site_id: Some(org.sites[0]),
        assignees: vec![org.users[1], org.users[2]],
        estimated_hours: Some(2.5),
        ..NewWorkOrder::default()
    };
    c.bench_function("NewWorkOrder::validate", |b| {
        b.iter(|| black_box(&input).validate().unwrap())
    });
}

fn audit_hash(c: &mut Criterion) {
    let org = org();
    let wo = draft_work_order(&org, 1, Utc::now());
    let draft = AuditDraft {
        at: Utc::now(),
        actor_id: org.owner.user_id(),
        action: "work_order.create".into(),
        entity: EntityRef::new(EntityKind::WorkOrder, wo.id),
        before: None,
        after: Some(serde_json::to_value(&wo).unwrap()),
        request_id: None,
    };
    c.bench_function("chain_hash/work_order.create", |b| {
        b.iter(|| chain_hash(org.id, black_box(42), black_box(&draft), GENESIS_HASH))
    });
}

/// `pm::next_due` for typical schedules: a daily calendar plan, a monthly plan on the 31st, a
/// 250-hour meter plan over a year of daily readings (projected), and both combined.
fn pm_next_due(c: &mut Criterion) {
    use cmms_core::domain::pm::{History, Schedule, Series, Service, next_due};
    let schedule = |triggers: serde_json::Value| -> Schedule {
        serde_json::from_value(serde_json::json!({
            "triggers": triggers, "starts_on": "2026-01-31", "time_zone": "Europe/Berlin"
        }))
        .unwrap()
    };
    let daily = serde_json::json!({ "kind": "calendar", "every": 1, "unit": "days" });
    let monthly = serde_json::json!({ "kind": "calendar", "every": 1, "unit": "months", "day_of_month": { "day": 31 } });
    let hours =
        serde_json::json!({ "kind": "meter_interval", "meter": "Run hours", "every": 250.0 });
    let start = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 1, 0, 0, 0).unwrap();
    let series = vec![Series {
        meter: "Run hours".into(),
        readings: (0..365).map(|d| (start + chrono::TimeDelta::days(d), 8.0 * d as f64)).collect(),
    }];
    // A year in: the last service a month ago.
    let history = History {
        last_due: Some(start + chrono::TimeDelta::days(330)),
        last_service: Some(Service {
            at: start + chrono::TimeDelta::days(334),
            meter_values: Default::default(),
        }),
        count: 12,
    };
    let mut g = c.benchmark_group("pm_next_due");
    for (name, triggers) in [
        ("daily", serde_json::json!([daily])),
        ("monthly_31st", serde_json::json!([monthly])),
        ("meter_250h", serde_json::json!([hours])),
        ("monthly_or_250h", serde_json::json!([monthly, hours])),
    ] {
        let s = schedule(triggers);
        g.bench_function(name, |b| {
            b.iter(|| next_due(black_box(&s), black_box(&history), &series))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    authorize_each_role,
    transition_decision,
    validation,
    audit_hash,
    pm_next_due
);
criterion_main!(benches);
