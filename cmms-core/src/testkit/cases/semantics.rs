//! Conformance: what every door promises about answers — a stale version is answered before
//! anything else, taken unique values are conflicts naming the field, patches keep what they
//! do not name, assignees can do the work, organizations are found by slug, per-site and
//! chosen numbers, exact counts.

use crate::CmmsError;
use crate::domain::asset::NewAsset;
use crate::domain::org::{NewOrg, OrgPatch};
use crate::domain::request::NewRequest;
use crate::domain::site::NewSite;
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::user::NewUser;
use crate::domain::work_order::NewWorkOrder;
use crate::service::Assignment;
use crate::store::{Count, WorkOrderFilter};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field, assert_taken};
use std::sync::Arc;

/// A stale expected version is answered first, even when the move itself is impossible too.
pub async fn stale_versions_answer_before_anything_else(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let wo = fx.wo("Pump", vec![fx.tech.user.id]).await;
    let read = wo.version;
    fx.go(&fx.tech.actor, wo.id, S::InProgress, None).await;
    // The client read `assigned` at `read`; someone started the work meanwhile. Moving to
    // in_progress again is no edge any more, but the stale version answers first.
    let input = TransitionInput { expected_version: Some(read), ..TransitionInput::default() };
    match c.transition_work_order(&fx.tech.actor, wo.id, S::InProgress, input).await {
        Err(CmmsError::Conflict { current_version, .. }) => {
            assert_eq!(current_version, Some(read + 1))
        }
        other => panic!("expected a version conflict, got {other:?}"),
    }
}

/// A value that must be unique and is taken is a conflict that names the field.
pub async fn taken_values_are_conflicts_naming_the_field(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let site = NewSite { name: "Copy".into(), code: fx.site.code.clone(), ..NewSite::default() };
    assert_taken(c.create_site(&fx.owner.actor, site).await, "code");
    let dup = NewUser {
        name: "Copy".into(),
        email: fx.tech.user.email.to_uppercase(),
        ..NewUser::default()
    };
    assert_taken(c.create_user(&fx.owner.actor, dup).await, "email");
    let asset = |code: &str| NewAsset {
        name: "Pump".into(),
        code: code.into(),
        site_id: Some(fx.site.id),
        ..NewAsset::default()
    };
    c.create_asset(&fx.manager.actor, asset("P-1")).await.unwrap();
    assert_taken(c.create_asset(&fx.manager.actor, asset("P-1")).await, "code");
}

/// An organization patch changes what it names and keeps everything else.
pub async fn org_patches_keep_what_they_do_not_name(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db.clone()).await;
    let c = &fx.cmms;
    let a = &fx.owner.actor;
    let format =
        OrgPatch { work_order_number_format: Some("J-{SEQ:4}".into()), ..OrgPatch::default() };
    c.update_org(a, format, None).await.unwrap();
    let days = OrgPatch { auto_close_days: Some(9), ..OrgPatch::default() };
    let org = c.update_org(a, days, None).await.unwrap();
    assert_eq!(org.settings.work_order_number_format, "J-{SEQ:4}");
    assert_eq!(org.settings.auto_close_days, 9);
    assert_eq!(org.name, fx.org.name);
    let renamed = OrgPatch { slug: Some("north-works".into()), ..OrgPatch::default() };
    let org = c.update_org(a, renamed, None).await.unwrap();
    assert_eq!((org.slug.as_str(), org.settings.auto_close_days), ("north-works", 9));
    assert_eq!(c.find_org("north-works").await.unwrap(), Some(org.id));
    // Another organization cannot take it; a slug that is no slug is a validation error.
    let other = Fx::new(db).await;
    let taken = OrgPatch { slug: Some("north-works".into()), ..OrgPatch::default() };
    assert_taken(other.cmms.update_org(&other.owner.actor, taken, None).await, "slug");
    let bad = OrgPatch { slug: Some("North Works".into()), ..OrgPatch::default() };
    assert_field(c.update_org(a, bad, None).await, "slug");
}

/// Organizations get a slug from their name, unique, and are found by slug or id.
pub async fn orgs_are_found_by_slug_or_id(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let new = |name: &str| NewOrg {
        name: name.into(),
        owner_name: "Olga Owner".into(),
        owner_email: "olga@kuhl.test".into(),
        ..NewOrg::default()
    };
    let first = c.bootstrap_org(new("Kühl Werk")).await.unwrap();
    let second = c.bootstrap_org(new("Kühl Werk")).await.unwrap();
    assert_eq!(first.org.slug, "kuhl-werk");
    assert_eq!(second.org.slug, "kuhl-werk-2");
    assert_eq!(c.find_org("kuhl-werk").await.unwrap(), Some(first.org.id));
    assert_eq!(c.find_org(&second.org.id.to_string()).await.unwrap(), Some(second.org.id));
    assert_eq!(c.find_org("no-such-org").await.unwrap(), None);
    assert_eq!(c.find_org("not a slug\u{0}").await.unwrap(), None);
    let chosen = NewOrg { slug: Some("kuhl-werk".into()), ..new("Other") };
    assert_taken(c.bootstrap_org(chosen).await, "slug");
}

/// Assignees must hold `work_order.execute` at the work order's site.
pub async fn assignees_can_do_the_work(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let wo = fx.wo("Pump", Vec::new()).await;
    for who in [&fx.viewer, &fx.requester] {
        let assign = Assignment { assignees: vec![who.user.id], ..Assignment::default() };
        assert_field(c.assign_work_order(&fx.manager.actor, wo.id, assign).await, "assignees");
    }
    let unchanged = c.get_work_order(&fx.manager.actor, wo.id).await.unwrap();
    assert_eq!((unchanged.status, unchanged.version), (S::Open, wo.version));
    let input = NewWorkOrder {
        title: "Valve".into(),
        site_id: Some(fx.site.id),
        assignees: vec![fx.viewer.user.id],
        ..NewWorkOrder::default()
    };
    assert_field(c.create_work_order(&fx.manager.actor, input).await, "assignees");
    let assign = Assignment { assignees: vec![fx.tech.user.id], ..Assignment::default() };
    let done = c.assign_work_order(&fx.manager.actor, wo.id, assign).await.unwrap();
    assert_eq!(done.status, S::Assigned);
}

/// `{SITE}` numbers count per site code; an organization may let filers choose request numbers.
pub async fn site_numbers_and_chosen_request_numbers(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let a = &fx.owner.actor;
    let per_site = OrgPatch {
        work_order_number_format: Some("{YY}-{SITE}-{SEQ:3}".into()),
        ..OrgPatch::default()
    };
    c.update_org(a, per_site, None).await.unwrap();
    let at =
        |site| NewWorkOrder { title: "W".into(), site_id: Some(site), ..NewWorkOrder::default() };
    let mut numbers = Vec::new();
    for site in [fx.site.id, fx.site.id, fx.site2.id] {
        numbers.push(c.create_work_order(&fx.manager.actor, at(site)).await.unwrap().number);
    }
    let (one, two) = (&fx.site.code, &fx.site2.code);
    assert_eq!(
        numbers,
        [format!("26-{one}-001"), format!("26-{one}-002"), format!("26-{two}-001")]
    );

    let chosen = |n: &str| NewRequest {
        title: "Leak".into(),
        site_id: Some(fx.site.id),
        number: Some(n.into()),
        ..NewRequest::default()
    };
    assert_field(c.create_request(&fx.requester.actor, chosen("B2-0042")).await, "number");
    let allow = OrgPatch { caller_request_numbers: Some(true), ..OrgPatch::default() };
    c.update_org(a, allow, None).await.unwrap();
    let r = c.create_request(&fx.requester.actor, chosen("B2-0042")).await.unwrap();
    assert_eq!(r.number, "B2-0042");
    assert_taken(c.create_request(&fx.requester.actor, chosen("B2-0042")).await, "number");
    assert_field(c.create_request(&fx.requester.actor, chosen("b2 42")).await, "number");
    let drawn = NewRequest { number: None, ..chosen("unused") };
    assert!(c.create_request(&fx.requester.actor, drawn).await.unwrap().number.starts_with("REQ-"));
}

/// `count: exact` counts every row the caller may see over all pages, and only then.
pub async fn lists_count_exactly_when_asked(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    for i in 0..5 {
        fx.wo(&format!("W{i}"), Vec::new()).await;
    }
    let filter = |count| WorkOrderFilter { limit: Some(2), count, ..WorkOrderFilter::default() };
    let page = c.list_work_orders(&fx.manager.actor, filter(Some(Count::Exact))).await.unwrap();
    assert_eq!((page.items.len(), page.total), (2, Some(5)));
    let page = c.list_work_orders(&fx.manager.actor, filter(None)).await.unwrap();
    assert_eq!(page.total, None);
    // A requester sees only their own requests' work: the count follows visibility.
    let page = c.list_work_orders(&fx.requester.actor, filter(Some(Count::Exact))).await.unwrap();
    assert_eq!(page.total, Some(0));
}
