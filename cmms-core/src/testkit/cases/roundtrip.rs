//! Conformance: what goes in comes out — microsecond timestamps, JSON, Unicode, custom fields.

use crate::domain::asset::{AssetState, NewAsset};
use crate::domain::work_order::{NewWorkOrder, Priority, WorkOrderType};
use crate::testkit::TestDb;
use crate::testkit::fixtures::Fx;
use chrono::{TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

/// Timestamps keep microseconds; JSON fields, Unicode text and custom fields survive unchanged.
pub async fn round_trips_are_exact(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let due = Utc.timestamp_opt(1_798_761_599, 123_456_000).single().unwrap();
    fx.clock.set(Utc.timestamp_opt(1_772_000_000, 987_654_000).single().unwrap());
    let specs = json!({
        "power_kw": 7.5, "rpm": 2900, "phases": [1, 2, 3], "nested": {"ok": true, "none": null},
        "big": 9_007_199_254_740_993_i64, "text": "Größe — 尺寸 — 📏", "empty": {}
    });
    let custom = json!({ "cost_center": "CC-42", "warranty_until": "2031-05-01", "tags": ["critical", "outdoor"] });
    let asset = c
        .create_asset(
            &fx.owner.actor,
            NewAsset {
                name: "Kühlwasserpumpe Ω 🚰".into(),
                code: "KWP-Ω-1".into(),
                site_id: Some(fx.site.id),
                manufacturer: Some("Grundfös".into()),
                criticality: Some(5),
                state: Some(AssetState::Degraded),
                specifications: specs.clone(),
                custom_fields: custom.clone(),
                ..NewAsset::default()
            },
        )
        .await
        .unwrap();
    let stored = c.get_asset(&fx.owner.actor, asset.id).await.unwrap();
    assert_eq!(stored, asset);
    assert_eq!(stored.specifications, specs);
    assert_eq!(stored.custom_fields, custom);
    assert_eq!(stored.created_at.timestamp_subsec_micros(), 987_654);

    let title = "Ремонт насоса — 修理 — 'quotes' \"double\" \\ back % under_score";
    let description = "Line 1\nLine 2\r\n\tTabbed\u{0}? no: \u{2028} and emoji 🛠️";
    let wo = c
        .create_work_order(
            &fx.manager.actor,
            NewWorkOrder {
                title: title.into(),
                description: Some(description.replace('\u{0}', "")),
                wo_type: Some(WorkOrderType::Inspection),
                priority: Some(Priority::Urgent),
                category: Some("Électricité".into()),
                asset_id: Some(asset.id),
                due_at: Some(due),
                estimated_hours: Some(1.25),
                ..NewWorkOrder::default()
            },
        )
        .await
        .unwrap();
    let stored = c.get_work_order(&fx.owner.actor, wo.id).await.unwrap();
    assert_eq!(stored, wo);
    assert_eq!(stored.due_at.unwrap().timestamp_subsec_micros(), 123_456);
    assert_eq!(stored.site_id, fx.site.id, "the site came from the asset");
    let listed = c
        .list_work_orders(
            &fx.owner.actor,
            crate::store::WorkOrderFilter { text: Some("% under_".into()), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(listed.items, vec![wo.clone()], "% and _ separate words like any punctuation");
    let none = c
        .list_work_orders(
            &fx.owner.actor,
            crate::store::WorkOrderFilter {
                text: Some("%%nothing%%".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(none.items.is_empty());
    let audit = c.audit_entries(&fx.owner.actor, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    let created = audit.iter().find(|e| e.draft.action == "asset.create").unwrap();
    assert_eq!(created.draft.after.as_ref().unwrap()["specifications"], specs);
    assert_eq!(created.draft.at, asset.created_at);
}
