//! Conformance: the audit hash chain and the event outbox.

use crate::domain::event::EventKind;
use crate::domain::status::WorkOrderStatus as S;
use crate::domain::work_order::WorkOrderPatch;
use crate::store::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field};
use std::sync::Arc;
use std::time::Duration;

/// After a mixed workload the chain verifies; an entry altered in the database is detected at
/// its sequence number.
pub async fn audit_chain_verifies_and_detects_tampering(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db.clone()).await;
    let c = &fx.cmms;
    let wo = fx.wo_in(S::Closed).await;
    c.add_comment(&fx.manager.actor, wo.id, "Done well", false).await.unwrap();
    let other = fx.wo("Edited", vec![]).await;
    c.update_work_order(
        &fx.manager.actor,
        other.id,
        WorkOrderPatch { title: Some("Edited twice".into()), ..Default::default() },
        None,
    )
    .await
    .unwrap();
    let entries = c.audit_entries(&fx.owner.actor, 0, Some(MAX_LIMIT)).await.unwrap();
    assert!(entries.len() > 15, "the workload wrote audit entries ({})", entries.len());
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=entries.len() as i64).collect::<Vec<_>>()
    );
    let update = entries.iter().find(|e| e.draft.action == "work_order.update").unwrap();
    assert_eq!(update.draft.actor_id, Some(fx.manager.user.id));
    assert_eq!(update.draft.before.as_ref().unwrap()["title"], "Edited");
    assert_eq!(update.draft.after.as_ref().unwrap()["title"], "Edited twice");
    assert_eq!(c.verify_audit_chain(&fx.owner.actor).await.unwrap(), None);

    db.tamper_audit_entry(fx.org.id, 7).await;
    let broken =
        c.verify_audit_chain(&fx.owner.actor).await.unwrap().expect("tampering is detected");
    assert_eq!(broken.seq, 7, "{broken:?}");
    // Only this org's chain is affected.
    let other_org = Fx::with_clock(db, fx.clock.clone()).await;
    other_org.wo("Other org work", vec![]).await;
    assert_eq!(other_org.cmms.verify_audit_chain(&other_org.owner.actor).await.unwrap(), None);
}

/// Events are numbered per org without gaps; reading after N returns exactly the events after
/// N in order; a live subscription resumes from N and then receives new events as they commit.
pub async fn events_resume_from_sequence(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let a = &fx.owner.actor;
    for i in 0..5 {
        fx.wo(&format!("Event source {i}"), vec![]).await;
    }
    let all = c.events_since(a, 0, Some(MAX_LIMIT)).await.unwrap();
    let seqs: Vec<i64> = all.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "per-org sequence without gaps");
    assert_eq!(all.last_seq, *seqs.last().unwrap());
    let n = seqs[seqs.len() / 2];
    let rest = c.events_since(a, n, Some(MAX_LIMIT)).await.unwrap();
    assert_eq!(rest.events, all.events[n as usize..].to_vec());
    let page = c.events_since(a, n, Some(2)).await.unwrap();
    assert_eq!(page.events, all.events[n as usize..n as usize + 2].to_vec());
    // The outbox and the audit trail page like every list: one default and one bound.
    let default = c.events_since(a, 0, None).await.unwrap();
    assert_eq!(default.events.len(), all.events.len().min(DEFAULT_LIMIT as usize));
    assert_field(c.events_since(a, 0, Some(MAX_LIMIT + 1)).await, "limit");
    assert_field(c.events_since(a, 0, Some(0)).await, "limit");
    let trail = c.audit_entries(a, 0, None).await.unwrap();
    assert!(!trail.is_empty() && trail.len() <= DEFAULT_LIMIT as usize);
    assert_field(c.audit_entries(a, 0, Some(MAX_LIMIT + 1)).await, "limit");

    let mut sub = c.subscribe(a, n).unwrap();
    for expected in &all.events[n as usize..] {
        let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("catch-up in time")
            .unwrap();
        assert_eq!(&got, expected);
    }
    let live = fx.wo("Live one", vec![]).await;
    let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("live event in time")
        .unwrap();
    assert_eq!(
        (got.draft.kind, got.draft.entity.id),
        (EventKind::WorkOrderCreated, live.id.uuid())
    );
    assert_eq!(got.seq, all.last_seq + 1);
    assert_eq!(sub.last_seq(), got.seq);

    // Events the actor may not read are skipped: a requester does not see others' work.
    let mut req_sub = c.subscribe(&fx.requester.actor, all.last_seq).unwrap();
    fx.wo("Not for requesters", vec![]).await;
    let own = c
        .create_work_order(
            &fx.manager.actor,
            crate::domain::work_order::NewWorkOrder {
                title: "For the requester".into(),
                site_id: Some(fx.site.id),
                requested_by: Some(fx.requester.user.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), req_sub.next())
        .await
        .expect("own event")
        .unwrap();
    assert_eq!(got.draft.entity.id, own.id.uuid());
}
