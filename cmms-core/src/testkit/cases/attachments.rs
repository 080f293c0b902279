//! Conformance: attachment metadata — who may attach and remove (whoever may edit the entity),
//! reading follows the entity, sniffed types against the allow-list, per-file and per-org
//! limits, tenant isolation, carry-over from a request to its work order sharing content, and
//! removal that reports content nothing references any more.

use crate::CmmsError;
use crate::domain::asset::NewAsset;
use crate::domain::checklist::NewChecklistItem;
use crate::domain::event::EventKind;
use crate::domain::files::{AttachedFile, FileRules};
use crate::domain::inventory::part::NewPart;
use crate::domain::request::{ApproveRequest, NewRequest};
use crate::domain::{EntityKind, EntityRef};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field, assert_forbidden, assert_not_found};
use crate::{Actor, Cmms};
use std::sync::Arc;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// Attaches `head` as a whole file through the three steps a file store takes.
async fn attach(
    c: &Cmms,
    actor: &Actor,
    target: EntityRef,
    name: &str,
    head: &[u8],
) -> Result<AttachedFile, CmmsError> {
    let up = c.begin_attachment(actor, target, name).await?;
    let ty = c.check_attachment_type(head, None)?;
    let sha = "ab".repeat(32);
    c.finish_attachment(actor, &up, &ty, head.len() as u64, &sha).await
}

/// Upload, list, read, remove on a work order; permissions and visibility follow the work
/// order; the allow-list and limits refuse without writing; another org sees nothing.
pub async fn attachments_follow_their_entity(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db.clone()).await;
    let rules = FileRules { max_file_bytes: 100, max_org_bytes: 110, ..FileRules::default() };
    let c = &fx.cmms.clone().with_file_rules(rules);
    let (m, viewer, rq) = (&fx.manager.actor, &fx.viewer.actor, &fx.requester.actor);
    let wo = fx.wo("Pump 4 leaks", vec![]).await;
    let target = EntityRef::new(EntityKind::WorkOrder, wo.id);

    let f = attach(c, m, target, " leak.png ", PNG).await.unwrap();
    assert_eq!((f.name.as_str(), f.content_type.as_str()), ("leak.png", "image/png"));
    assert_eq!(
        (f.size_bytes, f.entity_type, f.entity_id),
        (PNG.len() as u64, EntityKind::WorkOrder, wo.id.into())
    );
    assert_eq!(f.uploaded_by, Some(fx.manager.user.id));
    assert_eq!(f.content_key, format!("{}/{}", fx.org.id, f.content_id));
    assert_eq!(c.list_attachments(viewer, target).await.unwrap(), vec![f.clone()]);
    assert_eq!(c.get_attachment(viewer, f.id).await.unwrap(), f);
    let events = db.store().events_since(fx.org.id, 0, 10_000).await.unwrap();
    assert!(events.iter().any(|e| e.draft.kind == EventKind::AttachmentAdded
        && e.draft.entity.id == uuid::Uuid::from(wo.id)));

    // Reading follows the work order; editing needs its edit permission.
    assert_not_found(c.list_attachments(rq, target).await, "requester listing staff work");
    assert_not_found(c.get_attachment(rq, f.id).await, "requester reading staff work");
    assert_forbidden(c.begin_attachment(viewer, target, "x.png").await, "viewer attaching");
    assert_forbidden(c.delete_attachment(viewer, f.id).await, "viewer removing");

    // Refusals write nothing.
    let before = fx.snapshot().await;
    assert_field(c.begin_attachment(m, target, "../x.png").await, "name");
    let r = c.check_attachment_type(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", Some("image/png"));
    assert!(matches!(&r, Err(CmmsError::UnsupportedType { .. })), "an executable: {r:?}");
    let up = c.begin_attachment(m, target, "big.png").await.unwrap();
    assert_eq!(up.max_bytes, 110 - PNG.len() as u64, "what the org has left");
    let r = c.finish_attachment(m, &up, "image/png", 101, &"ab".repeat(32)).await;
    assert!(matches!(&r, Err(CmmsError::TooLarge { limit_bytes: 100, .. })), "per file: {r:?}");
    let r = c.finish_attachment(m, &up, "text/html", 10, &"ab".repeat(32)).await;
    assert!(matches!(&r, Err(CmmsError::UnsupportedType { .. })), "type re-checked: {r:?}");
    assert_field(c.finish_attachment(m, &up, "image/png", 10, "nothex").await, "sha256");
    fx.assert_unchanged(before, "refused uploads").await;

    // The org's quota: 110 bytes, PNG.len() used.
    let up = c.begin_attachment(m, target, "rest.png").await.unwrap();
    let sha = "cd".repeat(32);
    let r = c.finish_attachment(m, &up, "image/png", up.max_bytes + 1, &sha).await;
    assert!(matches!(&r, Err(CmmsError::TooLarge { limit_bytes: 110, .. })), "over quota: {r:?}");
    c.finish_attachment(m, &up, "image/png", up.max_bytes, &sha).await.unwrap();
    let r = c.begin_attachment(m, target, "more.png").await;
    assert!(matches!(&r, Err(CmmsError::TooLarge { limit_bytes: 110, .. })), "org full: {r:?}");

    // Another organization sees none of it.
    let other = Fx::new(db.clone()).await;
    let o = &other.owner.actor;
    assert_not_found(other.cmms.get_attachment(o, f.id).await, "another org's attachment");
    assert_not_found(other.cmms.delete_attachment(o, f.id).await, "another org removing");
    assert_not_found(other.cmms.list_attachments(o, target).await, "another org's work order");

    // Removing the only row frees its content and the quota.
    let removed = c.delete_attachment(m, f.id).await.unwrap();
    assert_eq!(removed.orphaned_key.as_deref(), Some(f.content_key.as_str()));
    assert_not_found(c.get_attachment(m, f.id).await, "removed attachment");
    assert_eq!(c.list_attachments(m, target).await.unwrap().len(), 1);
    assert_eq!(c.begin_attachment(m, target, "x.png").await.unwrap().max_bytes, PNG.len() as u64);
    let events = db.store().events_since(fx.org.id, 0, 10_000).await.unwrap();
    assert!(events.iter().any(|e| e.draft.kind == EventKind::AttachmentRemoved));
    assert_not_found(c.delete_attachment(m, f.id).await, "removing twice");
}

/// A request's files become its work order's on approval, pointing at the same content; the
/// content is reported free only when its last row goes.
pub async fn attachments_carry_over_to_the_work_order(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let (m, rq) = (&fx.manager.actor, &fx.requester.actor);
    let input = NewRequest {
        title: "Broken window".into(),
        site_id: Some(fx.site.id),
        ..NewRequest::default()
    };
    let r = c.create_request(rq, input).await.unwrap();
    let on_request = EntityRef::new(EntityKind::Request, r.id);
    let photo = attach(c, rq, on_request, "window.png", PNG).await.unwrap();
    let note = attach(c, rq, on_request, "note.txt", b"third floor, east side").await.unwrap();
    assert_eq!(note.content_type, "text/plain");
    // Another requester can neither see nor touch it.
    let other = &fx.requester2.actor;
    assert_not_found(c.get_attachment(other, photo.id).await, "another requester's file");
    c.submit_request(rq, r.id).await.unwrap();
    let (_, wo) = c.approve_request(m, r.id, ApproveRequest::default()).await.unwrap();
    let on_wo = EntityRef::new(EntityKind::WorkOrder, wo.id);
    let carried = c.list_attachments(m, on_wo).await.unwrap();
    let shared: Vec<_> =
        carried.iter().map(|f| (&f.name, f.content_id, &f.content_key, &f.sha256)).collect();
    let original: Vec<_> = [&photo, &note]
        .iter()
        .map(|f| (&f.name, f.content_id, &f.content_key, &f.sha256))
        .collect();
    assert_eq!(shared, original, "same content, nothing copied");
    assert!(
        carried
            .iter()
            .all(|f| f.id != photo.id && f.id != note.id && f.entity_id == uuid::Uuid::from(wo.id))
    );
    assert_eq!(
        c.list_attachments(rq, on_request).await.unwrap().len(),
        2,
        "the request keeps its own"
    );

    let first = c.delete_attachment(m, carried[0].id).await.unwrap();
    assert_eq!(first.orphaned_key, None, "the request still points at the content");
    let last = c.delete_attachment(rq, photo.id).await.unwrap();
    assert_eq!(last.orphaned_key.as_deref(), Some(photo.content_key.as_str()));
}

/// Assets, checklist items and parts carry files, each edited by whoever may edit the entity;
/// other kinds do not.
pub async fn attachments_on_assets_checklists_and_parts(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let (m, tech, store, viewer) =
        (&fx.manager.actor, &fx.tech.actor, &fx.storekeeper.actor, &fx.viewer.actor);
    let asset = NewAsset {
        name: "Boiler".into(),
        code: "B1".into(),
        site_id: Some(fx.site.id),
        ..NewAsset::default()
    };
    let asset = c.create_asset(m, asset).await.unwrap();
    let on_asset = EntityRef::new(EntityKind::Asset, asset.id);
    attach(c, m, on_asset, "plate.png", PNG).await.unwrap();
    assert_forbidden(attach(c, tech, on_asset, "plate.png", PNG).await, "technician on an asset");
    assert_eq!(c.list_attachments(viewer, on_asset).await.unwrap().len(), 1);

    let wo = fx.wo("Inspect boiler", vec![fx.tech.user.id]).await;
    let item = NewChecklistItem { label: "Photo of the gauge".into(), mandatory: false };
    let item = c.add_checklist_item(m, wo.id, item).await.unwrap();
    let on_item = EntityRef::new(EntityKind::ChecklistItem, item.id);
    let gauge = attach(c, tech, on_item, "gauge.png", PNG).await.unwrap();
    assert_forbidden(attach(c, &fx.tech2.actor, on_item, "g.png", PNG).await, "unassigned tech");
    assert_eq!(
        c.get_attachment(viewer, gauge.id).await.unwrap().entity_type,
        EntityKind::ChecklistItem
    );

    // Work with files is not deleted (their content would lose its rows); without, it is.
    assert_field(c.delete_work_order(m, wo.id, None).await, "attachments");
    c.delete_attachment(tech, gauge.id).await.unwrap();
    c.delete_work_order(m, wo.id, None).await.unwrap();

    let part = NewPart { part_number: "V-100".into(), name: "Valve".into(), ..NewPart::default() };
    let part = c.create_part(store, part).await.unwrap();
    let on_part = EntityRef::new(EntityKind::Part, part.id);
    attach(c, store, on_part, "datasheet.png", PNG).await.unwrap();
    assert_forbidden(attach(c, tech, on_part, "d.png", PNG).await, "technician on a part");

    let on_site = EntityRef::new(EntityKind::Site, fx.site.id);
    assert_field(c.begin_attachment(m, on_site, "x.png").await, "entity_type");
    let nowhere = EntityRef::new(EntityKind::WorkOrder, crate::ids::WorkOrderId::new());
    assert_not_found(
        c.begin_attachment(m, nowhere, "x.png").await,
        "a work order that is not there",
    );
}
