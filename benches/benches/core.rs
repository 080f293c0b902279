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

criterion_group!(benches, authorize_each_role, transition_decision, validation, audit_hash);
criterion_main!(benches);
