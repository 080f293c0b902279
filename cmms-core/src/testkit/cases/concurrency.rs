//! Conformance: optimistic concurrency and race-free numbering.

use crate::CmmsError;
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::work_order::{NewWorkOrder, WorkOrderPatch};
use crate::testkit::TestDb;
use crate::testkit::fixtures::Fx;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Two updates from the same version: one wins, the other gets `Conflict` with the current
/// version, and the winner's change is kept.
pub async fn concurrency_same_version(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let wo = fx.wo("Shared job", vec![]).await;
    let first = WorkOrderPatch { title: Some("First edit".into()), ..WorkOrderPatch::default() };
    let second = WorkOrderPatch {
        description: Some(Some("Second edit".into())),
        ..WorkOrderPatch::default()
    };
    let won = c.update_work_order(&fx.manager.actor, wo.id, first, Some(wo.version)).await.unwrap();
    assert_eq!(won.version, wo.version + 1);
    let lost = c.update_work_order(&fx.admin.actor, wo.id, second, Some(wo.version)).await;
    match lost {
        Err(CmmsError::Conflict { current_version, .. }) => {
            assert_eq!(current_version, Some(won.version))
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    let stored = c.get_work_order(&fx.owner.actor, wo.id).await.unwrap();
    assert_eq!((stored.title.as_str(), stored.description.as_deref()), ("First edit", None));

    // Racing tasks, both from the version they read: exactly one wins per version.
    let wo = fx.wo("Race", vec![]).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (c, a, v) = (fx.cmms.clone(), fx.manager.actor.clone(), wo.version);
        tasks.push(tokio::spawn(async move {
            let patch =
                WorkOrderPatch { title: Some(format!("Edit {i}")), ..WorkOrderPatch::default() };
            c.update_work_order(&a, wo.id, patch, Some(v)).await
        }));
    }
    let mut wins = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(w) => wins.push(w),
            Err(CmmsError::Conflict { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins.len(), 1, "exactly one concurrent update wins");
    let stored = c.get_work_order(&fx.owner.actor, wo.id).await.unwrap();
    assert_eq!(stored.title, wins[0].title);
    assert_eq!(stored.version, wo.version + 1);

    // Concurrent transitions without a client version are still checked against the loaded one.
    let wo = fx.wo_in(S::Assigned).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (c, a) = (fx.cmms.clone(), fx.manager.actor.clone());
        tasks.push(tokio::spawn(async move {
            c.transition_work_order(&a, wo.id, S::InProgress, TransitionInput::default()).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(CmmsError::Conflict { .. } | CmmsError::InvalidTransition { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1, "one transition, not several");
    let tl = c.timeline(&fx.owner.actor, wo.id).await.unwrap();
    assert_eq!(tl.iter().filter(|e| e.to_status == S::InProgress).count(), 1);
}

/// 50 concurrent creations in one org get 50 distinct, consecutive numbers.
pub async fn concurrency_fifty_numbers(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (c, a, site) = (fx.cmms.clone(), fx.manager.actor.clone(), fx.site.id);
        tasks.push(tokio::spawn(async move {
            let input = NewWorkOrder {
                title: format!("Parallel {i}"),
                site_id: Some(site),
                ..NewWorkOrder::default()
            };
            c.create_work_order(&a, input).await
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap().unwrap().number);
    }
    let unique: BTreeSet<&String> = numbers.iter().collect();
    assert_eq!(unique.len(), 50, "numbers are distinct");
    let mut seqs: Vec<i64> =
        numbers.iter().map(|n| n.rsplit('-').next().unwrap().parse().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=50).collect::<Vec<i64>>(), "numbers are consecutive from 1");
    assert!(
        numbers.iter().all(|n| n.starts_with("WO-2026-") && n.len() == "WO-2026-00001".len()),
        "{numbers:?}"
    );
    // The stored rows carry the numbers the callers got.
    let page = fx
        .cmms
        .list_work_orders(
            &fx.owner.actor,
            crate::store::WorkOrderFilter { limit: Some(100), ..Default::default() },
        )
        .await
        .unwrap();
    let stored: BTreeSet<String> = page.items.into_iter().map(|w| w.number).collect();
    assert_eq!(stored, numbers.into_iter().collect());
}
