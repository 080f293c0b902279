//! Conformance: the request flow end to end — intake, approval into a work order, the
//! requester following and confirming or rejecting the completion, auto-close after N days,
//! and internal comments hidden from requesters.

use crate::CmmsError;
use crate::domain::attachment::Attachment;
use crate::domain::org::OrgPatch;
use crate::domain::request::{ApproveRequest, NewRequest, RequestPatch, RequestStatus as R};
use crate::domain::status::WorkOrderStatus as S;
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field, assert_forbidden, assert_not_found};
use chrono::TimeDelta;
use std::sync::Arc;

/// From a requester's draft to a closed work order, with every side path.
pub async fn request_flow_end_to_end(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let (rq, m, tech) = (&fx.requester.actor, &fx.manager.actor, &fx.tech.actor);
    let photo = Attachment {
        name: "leak.jpg".into(),
        content_type: "image/jpeg".into(),
        size_bytes: 48_213,
        storage_key: "uploads/leak.jpg".into(),
    };
    let draft = c
        .create_request(
            rq,
            NewRequest {
                title: "Water on the floor".into(),
                description: Some("Near the boiler, since this morning.".into()),
                site_id: Some(fx.site.id),
                attachments: vec![photo.clone()],
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((draft.status, draft.number.as_str()), (R::Draft, "REQ-2026-00001"));
    let draft = c
        .update_request(
            rq,
            draft.id,
            RequestPatch { title: Some("Water leak near boiler".into()), ..Default::default() },
            Some(draft.version),
        )
        .await
        .unwrap();
    let r = c.approve_request(m, draft.id, ApproveRequest::default()).await;
    assert!(
        matches!(r, Err(CmmsError::InvalidTransition { .. })),
        "drafts cannot be approved: {r:?}"
    );
    let submitted = c.submit_request(rq, draft.id).await.unwrap();
    assert!(submitted.submitted_at.is_some());
    assert_forbidden(
        c.approve_request(rq, draft.id, ApproveRequest::default()).await,
        "requester approving",
    );
    let (approved, wo) = c
        .approve_request(
            m,
            draft.id,
            ApproveRequest { assignees: vec![fx.tech.user.id], ..ApproveRequest::default() },
        )
        .await
        .unwrap();
    assert_eq!((approved.status, approved.work_order_id), (R::Approved, Some(wo.id)));
    assert_eq!(approved.reviewed_by, Some(fx.manager.user.id));
    assert_eq!(
        (wo.status, wo.request_id, wo.requested_by),
        (S::Assigned, Some(draft.id), Some(fx.requester.user.id))
    );
    assert_eq!(wo.title, "Water leak near boiler");
    assert_eq!(wo.description.as_deref(), Some("Near the boiler, since this morning."));
    assert_eq!(wo.attachments, vec![photo]);
    // The requester follows the work order.
    let followed = c.request_work_order(rq, draft.id).await.unwrap().unwrap();
    assert_eq!(followed.id, wo.id);
    // Comments: the internal one is hidden from the requester.
    c.add_comment(tech, wo.id, "Supplier quote is 400 EUR", true).await.unwrap();
    c.add_comment(tech, wo.id, "We will come tomorrow", false).await.unwrap();
    c.add_comment(rq, wo.id, "Thanks!", false).await.unwrap();
    assert_forbidden(c.add_comment(rq, wo.id, "psst", true).await, "requester internal comment");
    let seen: Vec<String> =
        c.list_comments(rq, wo.id).await.unwrap().into_iter().map(|x| x.body).collect();
    assert_eq!(seen, vec!["We will come tomorrow", "Thanks!"]);
    assert_eq!(c.list_comments(tech, wo.id).await.unwrap().len(), 3);
    let events = c.events_since(rq, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    assert!(
        !events.events.iter().any(|e| e.draft.payload.to_string().contains("Supplier quote")),
        "internal comment events hidden too"
    );
    // Work, completion, rejection by the requester, completion again, confirmation.
    fx.go(tech, wo.id, S::InProgress, None).await;
    assert!(
        matches!(
            c.confirm_completion(rq, draft.id).await,
            Err(CmmsError::InvalidTransition { .. })
        ),
        "not completed yet"
    );
    fx.go(tech, wo.id, S::Completed, None).await;
    assert_field(c.reject_completion(rq, draft.id, "no").await, "reason");
    assert_not_found(
        c.reject_completion(&fx.requester2.actor, draft.id, "not mine").await,
        "another requester",
    );
    let reopened = c.reject_completion(rq, draft.id, "Still dripping").await.unwrap();
    assert_eq!((reopened.status, reopened.actual_end), (S::InProgress, None));
    let tl = c.timeline(m, wo.id).await.unwrap();
    assert_eq!(tl.last().unwrap().reason.as_deref(), Some("Still dripping"));
    fx.go(tech, wo.id, S::Completed, None).await;
    let closed = c.confirm_completion(rq, draft.id).await.unwrap();
    assert_eq!((closed.status, closed.verified_by), (S::Closed, Some(fx.requester.user.id)));
    let tl = c.timeline(m, wo.id).await.unwrap();
    let tail: Vec<S> = tl.iter().rev().take(2).map(|e| e.to_status).collect();
    assert_eq!(tail, vec![S::Closed, S::Verified]);

    // Reject and cancel paths.
    let second = c
        .create_request(
            rq,
            NewRequest {
                title: "Paint the fence".into(),
                site_id: Some(fx.site.id),
                submit: true,
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    let rejected = c.reject_request(m, second.id, "Not maintenance work").await.unwrap();
    assert_eq!(
        (rejected.status, rejected.rejection_reason.as_deref()),
        (R::Rejected, Some("Not maintenance work"))
    );
    let third = c
        .create_request(
            rq,
            NewRequest { title: "Oops".into(), site_id: Some(fx.site.id), ..NewRequest::default() },
        )
        .await
        .unwrap();
    assert_eq!(c.cancel_request(rq, third.id).await.unwrap().status, R::Cancelled);
    assert!(matches!(
        c.submit_request(rq, third.id).await,
        Err(CmmsError::InvalidTransition { .. })
    ));
}

/// Completions the requester leaves unconfirmed close after the org's N days, as the system.
pub async fn request_auto_close_after_n_days(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    c.update_org(
        &fx.owner.actor,
        OrgPatch { auto_close_days: Some(5), ..OrgPatch::default() },
        None,
    )
    .await
    .unwrap();
    let req = c
        .create_request(
            &fx.requester.actor,
            NewRequest {
                title: "Door sticks".into(),
                site_id: Some(fx.site.id),
                submit: true,
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    let (_, wo) = c
        .approve_request(
            &fx.manager.actor,
            req.id,
            ApproveRequest { assignees: vec![fx.tech.user.id], ..Default::default() },
        )
        .await
        .unwrap();
    fx.go(&fx.tech.actor, wo.id, S::InProgress, None).await;
    let done = fx.go(&fx.tech.actor, wo.id, S::Completed, None).await;
    let completed_at = done.actual_end.unwrap();
    // Work not from a request is never auto-closed.
    let plain = fx.wo_in(S::Completed).await;

    let early = c
        .auto_close_confirmations(completed_at + TimeDelta::days(5) - TimeDelta::seconds(1))
        .await
        .unwrap();
    assert!(early.closed.is_empty(), "{early:?}");
    assert_eq!(c.get_work_order(&fx.owner.actor, wo.id).await.unwrap().status, S::Completed);
    let report = c.auto_close_confirmations(completed_at + TimeDelta::days(5)).await.unwrap();
    assert_eq!(report.closed, vec![wo.id]);
    let closed = c.get_work_order(&fx.owner.actor, wo.id).await.unwrap();
    assert_eq!((closed.status, closed.verified_by), (S::Closed, None));
    let tl = c.timeline(&fx.owner.actor, wo.id).await.unwrap();
    let last = tl.last().unwrap();
    assert_eq!((last.to_status, last.actor_id), (S::Closed, None));
    assert!(last.reason.as_deref().unwrap_or_default().contains("5 days"), "{last:?}");
    assert_eq!(c.get_work_order(&fx.owner.actor, plain.id).await.unwrap().status, S::Completed);
    // Running again changes nothing.
    let before = fx.snapshot().await;
    assert!(
        c.auto_close_confirmations(completed_at + TimeDelta::days(30))
            .await
            .unwrap()
            .closed
            .is_empty()
    );
    fx.assert_unchanged(before, "second auto-close run").await;
    assert_eq!(c.verify_audit_chain(&fx.owner.actor).await.unwrap(), None);
}
