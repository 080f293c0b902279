//! Conformance: bad input gets a clear error naming the field, and nothing is written.

use crate::domain::asset::{AssetPatch, NewAsset};
use crate::domain::labor::NewLabor;
use crate::domain::request::NewRequest;
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::work_order::{NewWorkOrder, Priority, WorkOrderPatch};
use crate::store::WorkOrderFilter;
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field, assert_not_found, assert_taken};
use crate::{AssetId, UserId};
use std::sync::Arc;

/// Empty and over-long titles, unknown enum values, unknown and foreign ids, asset cycles,
/// short rejection reasons, bad cursors and limits: each a clear error, nothing written.
pub async fn bad_input_is_refused_cleanly(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db.clone()).await;
    let c = &fx.cmms;
    let m = &fx.manager.actor;
    let site = Some(fx.site.id);
    let before = fx.snapshot().await;

    let new = |title: &str| NewWorkOrder {
        title: title.into(),
        site_id: site,
        ..NewWorkOrder::default()
    };
    assert_field(c.create_work_order(m, new("")).await, "title");
    assert_field(c.create_work_order(m, new("   ")).await, "title");
    assert_field(c.create_work_order(m, new(&"x".repeat(10_000))).await, "title");
    assert_field(
        c.create_work_order(m, NewWorkOrder { description: Some("d".repeat(5001)), ..new("ok") })
            .await,
        "description",
    );
    assert_field(
        c.create_work_order(m, NewWorkOrder { estimated_hours: Some(f64::NAN), ..new("ok") }).await,
        "estimated_hours",
    );
    assert_field(
        c.create_work_order(m, NewWorkOrder { site_id: None, ..new("ok") }).await,
        "site_id",
    );
    // Several problems are reported together.
    let both = c
        .create_work_order(m, NewWorkOrder { description: Some("d".repeat(5001)), ..new("") })
        .await;
    assert_eq!(both.as_ref().err().map(|e| e.field_errors().len()), Some(2), "{both:?}");
    // Unknown vocabulary, from strings and from JSON.
    assert_field("done".parse::<S>(), "status");
    assert_field("urgentish".parse::<Priority>(), "priority");
    let json = serde_json::json!({ "title": "x", "priority": "urgentish" });
    let err = serde_json::from_value::<NewWorkOrder>(json).unwrap_err().to_string();
    assert!(err.contains("urgentish") && err.contains("low, medium, high, urgent"), "{err}");
    assert_field("-sideways".parse::<crate::store::WorkOrderSort>(), "sort");
    // Ids that do not exist, and ids of another tenant.
    assert_not_found(
        c.create_work_order(m, NewWorkOrder { asset_id: Some(AssetId::new()), ..new("ok") }).await,
        "unknown asset",
    );
    assert_not_found(
        c.create_work_order(m, NewWorkOrder { assignees: vec![UserId::new()], ..new("ok") }).await,
        "unknown assignee",
    );
    let other = Fx::with_clock(db, fx.clock.clone()).await;
    let before_other = other.snapshot().await;
    assert_not_found(
        c.create_work_order(
            m,
            NewWorkOrder { requested_by: Some(other.requester.user.id), ..new("ok") },
        )
        .await,
        "foreign requester",
    );
    assert_not_found(c.get_work_order(m, crate::WorkOrderId::new()).await, "unknown work order");
    // Paging.
    assert_field(
        c.list_work_orders(m, WorkOrderFilter { limit: Some(0), ..Default::default() }).await,
        "limit",
    );
    assert_field(
        c.list_work_orders(m, WorkOrderFilter { limit: Some(501), ..Default::default() }).await,
        "limit",
    );
    assert_field(
        c.list_work_orders(
            m,
            WorkOrderFilter { cursor: Some("not-a-cursor".into()), ..Default::default() },
        )
        .await,
        "cursor",
    );
    assert_field(
        c.list_work_orders(
            m,
            WorkOrderFilter { text: Some("q".repeat(201)), ..Default::default() },
        )
        .await,
        "text",
    );
    fx.assert_unchanged(before, "bad work-order input").await;

    // A cycle in the asset tree.
    let mk = |name: &str, code: &str, parent| NewAsset {
        name: name.into(),
        code: code.into(),
        site_id: site,
        parent_id: parent,
        ..NewAsset::default()
    };
    let line = c.create_asset(&fx.owner.actor, mk("Line 1", "L1", None)).await.unwrap();
    let pump = c.create_asset(&fx.owner.actor, mk("Pump", "L1-P", Some(line.id))).await.unwrap();
    let motor =
        c.create_asset(&fx.owner.actor, mk("Motor", "L1-P-M", Some(pump.id))).await.unwrap();
    let before = fx.snapshot().await;
    let move_under = |parent| AssetPatch { parent_id: Some(Some(parent)), ..AssetPatch::default() };
    assert_field(
        c.update_asset(&fx.owner.actor, line.id, move_under(motor.id), None).await,
        "parent_id",
    );
    assert_field(
        c.update_asset(&fx.owner.actor, line.id, move_under(line.id), None).await,
        "parent_id",
    );
    assert_field(
        c.create_asset(&fx.owner.actor, NewAsset { criticality: Some(9), ..mk("Fan", "F1", None) })
            .await,
        "criticality",
    );
    assert_field(
        c.create_asset(
            &fx.owner.actor,
            NewAsset { specifications: serde_json::json!([1, 2]), ..mk("Fan", "F1", None) },
        )
        .await,
        "specifications",
    );
    assert_taken(c.create_asset(&fx.owner.actor, mk("Dup", "L1", None)).await, "code");
    let nul = serde_json::json!({ "note": "a\u{0}b" });
    assert_field(
        c.create_asset(&fx.owner.actor, NewAsset { specifications: nul, ..mk("Fan", "F1", None) })
            .await,
        "specifications",
    );
    let mut deep = serde_json::json!(1);
    for _ in 0..40 {
        deep = serde_json::json!({ "d": deep });
    }
    assert_field(
        c.create_asset(&fx.owner.actor, NewAsset { custom_fields: deep, ..mk("Fan", "F1", None) })
            .await,
        "custom_fields",
    );
    assert_field(
        c.create_work_order(m, NewWorkOrder { title: "nul\u{0}title".into(), ..new("x") }).await,
        "title",
    );
    fx.assert_unchanged(before, "bad asset input").await;
    // Moving within the tree without a cycle works.
    let moved = c
        .update_asset(&fx.owner.actor, motor.id, move_under(line.id), Some(motor.version))
        .await
        .unwrap();
    assert_eq!(moved.parent_id, Some(line.id));

    // A rejection reason shorter than 3 characters; labor without a duration.
    let req = c
        .create_request(
            &fx.requester.actor,
            NewRequest {
                title: "Noisy fan".into(),
                site_id: site,
                submit: true,
                ..NewRequest::default()
            },
        )
        .await
        .unwrap();
    let before = fx.snapshot().await;
    assert_field(c.reject_request(m, req.id, "no").await, "reason");
    fx.assert_unchanged(before, "short rejection reason").await;
    let wo = fx.wo_in(S::InProgress).await;
    let before_wo = fx.snapshot().await;
    assert_field(c.log_labor(m, wo.id, NewLabor::default()).await, "minutes");
    assert_field(
        c.log_labor(m, wo.id, NewLabor { minutes: Some(-5), ..NewLabor::default() }).await,
        "minutes",
    );
    assert_field(
        c.transition_work_order(m, wo.id, S::OnHold, TransitionInput::reason("  ")).await,
        "reason",
    );
    assert_field(
        c.update_work_order(
            m,
            wo.id,
            WorkOrderPatch { title: Some(String::new()), ..Default::default() },
            None,
        )
        .await,
        "title",
    );
    fx.assert_unchanged(before_wo, "bad labor / transition / patch").await;
    other.assert_unchanged(before_other, "the other tenant").await;
    assert!(matches!(c.get_work_order(m, wo.id).await, Ok(w) if w == wo));
}
