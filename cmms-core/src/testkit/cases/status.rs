//! Conformance: the status table — every edge works, every other pair is refused and writes
//! nothing, requirements and side effects hold.

use crate::CmmsError;
use crate::domain::checklist::{ChecklistResult, NewChecklistItem};
use crate::domain::failure_code::FailureCodeKind;
use crate::domain::org::OrgPatch;
use crate::domain::status::{EDGES, Requirement, TransitionInput, WorkOrderStatus as S, edge};
use crate::domain::work_order::{FailureReport, NewWorkOrder};
use crate::service::Assignment;
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field};
use std::sync::Arc;

/// Every edge of the table succeeds for a role allowed to take it, with a timeline entry.
pub async fn status_every_edge_succeeds(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    for e in EDGES {
        let mut wo = fx.wo_in(e.from).await;
        let after = if e.requires.contains(&Requirement::NoAssignee) && e.from == S::Assigned {
            // Taking `assigned -> open` means unassigning everyone.
            fx.assign(wo.id, vec![]).await
        } else if e.requires.contains(&Requirement::Assignee) && e.from == S::Open {
            // ... and `open -> assigned` means assigning someone.
            fx.assign(wo.id, vec![fx.tech.user.id]).await
        } else {
            if e.requires.contains(&Requirement::Assignee) {
                // Approving staffed work: people first (the status stays), then the edge.
                wo = fx.assign(wo.id, vec![fx.tech.user.id]).await;
                assert_eq!(wo.status, e.from);
            }
            let reason = e.requires.contains(&Requirement::Reason).then_some("because of reasons");
            fx.go(&fx.manager.actor, wo.id, e.to, reason).await
        };
        assert_eq!(after.status, e.to, "edge {} -> {}", e.from, e.to);
        assert_eq!(after.version, wo.version + 1);
        let tl = fx.cmms.timeline(&fx.manager.actor, wo.id).await.unwrap();
        let last = tl.last().unwrap();
        assert_eq!((last.from_status, last.to_status), (Some(e.from), e.to));
        assert_eq!(last.actor_id, Some(fx.manager.user.id));
        let stored = fx.cmms.get_work_order(&fx.manager.actor, wo.id).await.unwrap();
        assert_eq!(stored, after, "the stored work order equals the returned one");
    }
}

/// Every (from, to) pair that is not an edge fails with `InvalidTransition` and writes nothing.
pub async fn status_other_pairs_refused(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    for from in S::ALL {
        let wo = fx.wo_in(*from).await;
        for to in S::ALL {
            if edge(*from, *to).is_some() {
                continue;
            }
            let before = fx.snapshot().await;
            let r = fx
                .cmms
                .transition_work_order(
                    &fx.owner.actor,
                    wo.id,
                    *to,
                    TransitionInput::reason("a good reason"),
                )
                .await;
            assert!(
                matches!(&r, Err(CmmsError::InvalidTransition { from: f, to: t }) if f == from.as_str() && t == to.as_str()),
                "{from} -> {to}: expected InvalidTransition, got {r:?}"
            );
            fx.assert_unchanged(before, &format!("{from} -> {to}")).await;
        }
        let stored = fx.cmms.get_work_order(&fx.owner.actor, wo.id).await.unwrap();
        assert_eq!(stored, wo);
    }
    assert!(S::Closed.is_terminal() && S::Cancelled.is_terminal());
}

/// Reasons, mandatory checklist items and failure codes are required where the table says.
pub async fn status_requirements_enforced(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let m = &fx.manager.actor;
    let c = &fx.cmms;
    // Hold and cancel need a reason of 3+ characters.
    let wo = fx.wo_in(S::InProgress).await;
    let before = fx.snapshot().await;
    assert_field(
        c.transition_work_order(m, wo.id, S::OnHold, TransitionInput::default()).await,
        "reason",
    );
    assert_field(
        c.transition_work_order(m, wo.id, S::Cancelled, TransitionInput::reason("no")).await,
        "reason",
    );
    fx.assert_unchanged(before, "reasonless hold/cancel").await;

    // Mandatory checklist items must be done before completion; optional ones need not be.
    let wo = c
        .create_work_order(
            m,
            NewWorkOrder {
                title: "Lubricate conveyor".into(),
                site_id: Some(fx.site.id),
                assignees: vec![fx.tech.user.id],
                checklist: vec![
                    NewChecklistItem::new("Lock out", true),
                    NewChecklistItem::new("Wipe down", false),
                ],
                ..NewWorkOrder::default()
            },
        )
        .await
        .unwrap();
    fx.go(&fx.tech.actor, wo.id, S::InProgress, None).await;
    let before = fx.snapshot().await;
    assert_field(
        c.transition_work_order(&fx.tech.actor, wo.id, S::Completed, TransitionInput::default())
            .await,
        "checklist",
    );
    fx.assert_unchanged(before, "completion with open mandatory item").await;
    let items = c.list_checklist(&fx.tech.actor, wo.id).await.unwrap();
    assert_eq!(items.iter().map(|i| i.position).collect::<Vec<_>>(), vec![0, 1]);
    assert_field(
        c.record_checklist_result(
            &fx.tech.actor,
            wo.id,
            items[0].id,
            Some(ChecklistResult::Skipped),
            None,
        )
        .await,
        "result",
    );
    c.record_checklist_result(
        &fx.tech.actor,
        wo.id,
        items[0].id,
        Some(ChecklistResult::Done),
        Some("tagged"),
    )
    .await
    .unwrap();
    let done = fx.go(&fx.tech.actor, wo.id, S::Completed, None).await;
    assert!(done.actual_end.is_some());

    // Failure codes on corrective completion when the org requires them, and only known codes.
    let org = c.get_org(&fx.owner.actor).await.unwrap();
    let settings = OrgPatch { require_failure_codes: Some(true), ..Default::default() };
    c.update_org(&fx.owner.actor, settings, Some(org.version)).await.unwrap();
    for (kind, code) in [
        (FailureCodeKind::Problem, "LEAK"),
        (FailureCodeKind::Cause, "WEAR"),
        (FailureCodeKind::Remedy, "REPLACE"),
    ] {
        c.create_failure_code(&fx.owner.actor, kind, code, "test code").await.unwrap();
    }
    let wo = fx.wo_in(S::InProgress).await;
    let before = fx.snapshot().await;
    assert_field(
        c.transition_work_order(m, wo.id, S::Completed, TransitionInput::default()).await,
        "failure.problem",
    );
    let unknown = FailureReport {
        problem: Some("NOPE".into()),
        cause: Some("WEAR".into()),
        remedy: Some("REPLACE".into()),
    };
    assert_field(
        c.transition_work_order(
            m,
            wo.id,
            S::Completed,
            TransitionInput { failure: Some(unknown), ..TransitionInput::default() },
        )
        .await,
        "failure.problem",
    );
    fx.assert_unchanged(before, "completion without failure codes").await;
    let good = FailureReport {
        problem: Some("LEAK".into()),
        cause: Some("WEAR".into()),
        remedy: Some("REPLACE".into()),
    };
    let input = TransitionInput {
        failure: Some(good.clone()),
        completion_notes: Some("Seal replaced".into()),
        ..TransitionInput::default()
    };
    let done = c.transition_work_order(m, wo.id, S::Completed, input).await.unwrap();
    assert_eq!(done.failure, good);
    assert_eq!(done.completion_notes.as_deref(), Some("Seal replaced"));
}

/// Side effects: actual_start set once, actual_end on completion and cleared on reopen,
/// verified_by/at, closed_at; time in status adds up.
pub async fn status_side_effects(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let m = &fx.manager.actor;
    let wo = fx.wo("Fix door", vec![fx.tech.user.id]).await;
    let started = fx.go(m, wo.id, S::InProgress, None).await;
    let first_start = started.actual_start.unwrap();
    fx.go(m, wo.id, S::OnHold, Some("waiting for parts")).await;
    let resumed = fx.go(m, wo.id, S::InProgress, None).await;
    assert_eq!(resumed.actual_start, Some(first_start), "actual_start is set once");
    let done = fx.go(m, wo.id, S::Completed, None).await;
    assert_eq!(done.actual_end, Some(fx.cmms.now()));
    let reopened = fx.go(m, wo.id, S::InProgress, Some("still squeaks")).await;
    assert_eq!(reopened.actual_end, None, "reopening clears the completion");
    fx.go(m, wo.id, S::Completed, None).await;
    let verified = fx.go(m, wo.id, S::Verified, None).await;
    assert_eq!(verified.verified_by, Some(fx.manager.user.id));
    assert_eq!(verified.verified_at, Some(fx.cmms.now()));
    let closed = fx.go(m, wo.id, S::Closed, None).await;
    assert_eq!(closed.closed_at, Some(fx.cmms.now()));
    let tl = fx.cmms.timeline(m, wo.id).await.unwrap();
    assert_eq!(tl.len(), 9, "creation plus eight changes");
    assert_eq!(tl[2].reason.as_deref(), Some("waiting for parts"));
    let spent = fx.cmms.time_in_status(m, wo.id).await.unwrap();
    let in_progress = spent.iter().find(|(s, _)| *s == S::InProgress).unwrap().1;
    assert_eq!(in_progress, chrono::TimeDelta::seconds(3), "three one-second stints in progress");
}

/// Self-assignment takes only unassigned open work; assignment moves open <-> assigned.
pub async fn status_assignment_rules(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let wo = fx.wo("Unassigned job", vec![]).await;
    assert_eq!(wo.status, S::Open);
    let mine = c.self_assign(&fx.tech.actor, wo.id).await.unwrap();
    assert_eq!((mine.status, mine.assignees.clone()), (S::Assigned, vec![fx.tech.user.id]));
    let before = fx.snapshot().await;
    let r = c.self_assign(&fx.tech2.actor, wo.id).await;
    assert!(matches!(r, Err(CmmsError::Conflict { .. })), "no silent take-over: {r:?}");
    fx.assert_unchanged(before, "take-over").await;
    let both = c
        .assign_work_order(
            &fx.manager.actor,
            wo.id,
            Assignment {
                assignees: vec![fx.tech.user.id, fx.tech2.user.id],
                ..Assignment::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(both.assignees, vec![fx.tech.user.id, fx.tech2.user.id]);
    assert_eq!(both.status, S::Assigned);
    let none = fx.assign(wo.id, vec![]).await;
    assert_eq!((none.status, none.assignees.len()), (S::Open, 0));
    // A technician's own work order awaits approval.
    let req = fx.wo_in(S::Requested).await;
    assert_eq!(req.requested_by, Some(fx.tech.user.id));
    let r = c.self_assign(&fx.tech.actor, req.id).await;
    assert!(matches!(r, Err(CmmsError::InvalidTransition { .. })), "{r:?}");
}
