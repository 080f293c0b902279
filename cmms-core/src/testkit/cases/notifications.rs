//! Conformance: in-app notifications — who hears about what (and never about what they may not
//! read), read state, channel preferences, watching, and the consumer's cursor: resumable,
//! once per event and recipient even with concurrent consumers, unmoved by a failed commit.

use crate::StoreError;
use crate::domain::notification::{
    Channels, Notification, NotificationCursor, NotificationKind as K,
};
use crate::domain::request::{ApproveRequest, NewRequest};
use crate::domain::status::WorkOrderStatus as S;
use crate::notify::Recipient;
use crate::notify::deliver::{MailBook, PreferenceBook, changeset};
use crate::service::NotificationFilter;
use crate::store::record::{NOTIFICATIONS, RecordReadsExt, Select};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, Person, assert_not_found};
use std::collections::BTreeMap;
use std::sync::Arc;

async fn kinds(fx: &Fx, p: &Person) -> Vec<K> {
    let page = fx.cmms.list_notifications(&p.actor, NotificationFilter::default()).await.unwrap();
    page.items.iter().rev().map(|n| n.kind).collect()
}

async fn deliver(fx: &Fx) {
    fx.cmms.deliver_notifications(fx.cmms.now()).await.unwrap();
}

async fn all_notifications(fx: &Fx) -> Vec<Notification> {
    fx.db.store().list(fx.org.id, Select::new(&NOTIFICATIONS)).await.unwrap()
}

/// Assignment, request status, completion awaiting confirmation, rejected completion and
/// watchers each reach their people; internal comments and other requesters' requests never
/// reach a requester; whoever acted is not told about their own act.
pub async fn notifications_reach_the_right_people(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let (rq, m, tech) = (&fx.requester.actor, &fx.manager.actor, &fx.tech.actor);
    let r = c
        .create_request(
            rq,
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
            m,
            r.id,
            ApproveRequest { assignees: vec![fx.tech.user.id], ..ApproveRequest::default() },
        )
        .await
        .unwrap();
    // The requester watches their work; the admin watches it too.
    c.watch_work_order(rq, wo.id).await.unwrap();
    c.watch_work_order(&fx.admin.actor, wo.id).await.unwrap();
    assert_not_found(c.watch_work_order(&fx.requester2.actor, wo.id).await, "not theirs");
    c.add_comment(tech, wo.id, "Internal: supplier is slow", true).await.unwrap();
    c.add_comment(tech, wo.id, "Coming tomorrow", false).await.unwrap();
    deliver(&fx).await;
    assert_eq!(kinds(&fx, &fx.tech).await, vec![K::Assigned], "the assignee");
    assert_eq!(
        kinds(&fx, &fx.requester).await,
        vec![K::RequestStatus, K::WatchedComment],
        "approval and the public comment, never the internal one"
    );
    assert_eq!(kinds(&fx, &fx.admin).await, vec![K::WatchedComment, K::WatchedComment]);
    assert!(kinds(&fx, &fx.manager).await.is_empty(), "the manager acted");
    assert!(kinds(&fx, &fx.requester2).await.is_empty(), "another requester hears nothing");
    let mine = c.list_notifications(rq, NotificationFilter::default()).await.unwrap();
    assert!(
        mine.items.iter().all(|n| !n.body.contains("supplier") && !n.title.contains("supplier"))
    );

    // Completion awaits the requester; their rejection reaches the managers.
    fx.go(tech, wo.id, S::InProgress, None).await;
    fx.go(tech, wo.id, S::Completed, None).await;
    deliver(&fx).await;
    let got = kinds(&fx, &fx.requester).await;
    assert_eq!(&got[2..], &[K::RequestStatus, K::AwaitingConfirmation], "{got:?}");
    c.reject_completion(rq, r.id, "Still sticks").await.unwrap();
    deliver(&fx).await;
    assert_eq!(kinds(&fx, &fx.manager).await, vec![K::CompletionRejected]);
    let n = &c.list_notifications(m, NotificationFilter::default()).await.unwrap().items[0];
    assert!(n.body.contains("Still sticks"), "{}", n.body);
    assert_eq!(n.link.id, r.id.0, "links to the request");

    // A requester's notification events are on their stream only.
    let mine = c.events_since(rq, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    let theirs = c.events_since(&fx.owner.actor, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    let created = |p: &crate::service::EventPage| {
        p.events
            .iter()
            .filter(|e| e.draft.kind == crate::domain::event::EventKind::NotificationCreated)
            .count()
    };
    assert_eq!(created(&mine), kinds(&fx, &fx.requester).await.len());
    assert_eq!(created(&theirs), 0, "not even the owner reads others' notifications");

    // Unwatching stops it.
    let before = kinds(&fx, &fx.admin).await.len();
    assert_eq!(before, 5, "two comments and three status changes");
    assert!(c.unwatch_work_order(&fx.admin.actor, wo.id).await.unwrap());
    assert!(!c.unwatch_work_order(&fx.admin.actor, wo.id).await.unwrap());
    c.add_comment(tech, wo.id, "Fixed the hinge", false).await.unwrap();
    deliver(&fx).await;
    assert_eq!(kinds(&fx, &fx.admin).await.len(), before);
}

/// The consumer builds the actors of a batch's candidates from the organization's grants and
/// teams read once: they must equal what [`crate::Cmms::actor`] builds person by person — a
/// custom role with site scope, a built-in grant beside it, team membership — and a
/// deactivated user gets none.
pub async fn notification_actors_match_one_by_one(db: Arc<dyn TestDb>) {
    use crate::domain::team::NewTeam;
    use crate::domain::user::{NewRole, UserPatch};
    use crate::rbac::{Condition, Permission, RoleRef};
    use crate::store::record::{ROLE_GRANTS, TEAMS};
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let admin = &fx.admin.actor;
    let perms = BTreeMap::from([
        (Permission::WorkOrderRead, Condition::Any),
        (Permission::SiteRead, Condition::Any),
    ]);
    let role = NewRole { name: "Reader".into(), description: None, level: 30, permissions: perms };
    let role = c.create_role(admin, role).await.unwrap();
    let tech = fx.tech.user.id;
    c.grant_role(admin, tech, RoleRef::Custom(role.id), Some(vec![fx.site2.id])).await.unwrap();
    for name in ["Night shift", "Pumps"] {
        let team =
            NewTeam { name: name.into(), site_id: None, members: vec![tech, fx.tech2.user.id] };
        c.create_team(admin, team).await.unwrap();
    }
    let gone = fx.viewer.user.id;
    let off = UserPatch { active: Some(false), ..UserPatch::default() };
    c.update_user(admin, gone, off, None).await.unwrap();

    let store = fx.db.store();
    let grants = store.list(fx.org.id, Select::new(&ROLE_GRANTS)).await.unwrap();
    let teams = store.list(fx.org.id, Select::new(&TEAMS)).await.unwrap();
    let people = [tech, fx.tech2.user.id, fx.requester.user.id, fx.owner.user.id, gone];
    let built = c.actors_among(fx.org.id, &people, &grants, &teams).await.unwrap();
    assert_eq!(built.len(), 4, "every active person, and not the deactivated one");
    for user in &people[..4] {
        let alone = c.actor(fx.org.id, *user).await.unwrap();
        assert_eq!(built.get(user), Some(&alone), "the same actor both ways");
    }
    assert_eq!(built[&tech].teams().len(), 2, "both teams");
    assert!(!built.contains_key(&gone));
    assert!(c.actors_among(fx.org.id, &[], &grants, &teams).await.unwrap().is_empty());
}

/// Read one, read all, the unread count and paging; preferences per kind with org defaults.
pub async fn notification_read_state_and_preferences(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let tech = &fx.tech.actor;
    for i in 0..3 {
        fx.wo(&format!("Job {i}"), vec![fx.tech.user.id]).await;
    }
    deliver(&fx).await;
    let count = c.unread_notification_count(tech).await.unwrap();
    assert_eq!((count.count, count.more), (3, false));
    let page = c
        .list_notifications(tech, NotificationFilter { limit: Some(2), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.items[0].title.contains("WO-2026-00003"), "newest first: {}", page.items[0].title);
    let rest = c
        .list_notifications(
            tech,
            NotificationFilter { limit: Some(2), cursor: page.next_cursor, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!((rest.items.len(), rest.next_cursor), (1, None));
    let first = &page.items[0];
    assert_not_found(c.mark_notification_read(&fx.tech2.actor, first.id).await, "not theirs");
    let read = c.mark_notification_read(tech, first.id).await.unwrap();
    assert!(read.read_at.is_some());
    let again = c.mark_notification_read(tech, first.id).await.unwrap();
    assert_eq!(again.version, read.version, "reading again changes nothing");
    let unread = c
        .list_notifications(tech, NotificationFilter { unread: true, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(unread.items.len(), 2);
    assert_eq!(c.mark_all_notifications_read(tech).await.unwrap(), 2);
    assert_eq!(c.unread_notification_count(tech).await.unwrap().count, 0);

    // Preferences: built-in in-app; the org turns assignment mail on; the tech mutes it.
    let prefs = c.notification_preferences(tech).await.unwrap();
    let assigned = prefs.iter().find(|p| p.kind == K::Assigned).unwrap();
    assert_eq!((assigned.channels.in_app, assigned.channels.email), (true, false));
    let on = Channels { in_app: true, email: true };
    crate::testkit::fixtures::assert_forbidden(
        c.set_org_notification_defaults(tech, BTreeMap::from([(K::Assigned, on)])).await,
        "technicians set no org defaults",
    );
    c.set_org_notification_defaults(&fx.admin.actor, BTreeMap::from([(K::Assigned, on)]))
        .await
        .unwrap();
    let prefs = c.notification_preferences(tech).await.unwrap();
    let assigned = prefs.iter().find(|p| p.kind == K::Assigned).unwrap();
    assert_eq!(assigned.channels, on);
    let off = Channels { in_app: false, email: false };
    let prefs =
        c.set_notification_preferences(tech, BTreeMap::from([(K::Assigned, off)])).await.unwrap();
    assert_eq!(prefs.iter().find(|p| p.kind == K::Assigned).unwrap().channels, off);
    assert!(c.set_notification_preferences(tech, BTreeMap::new()).await.is_err());
    fx.wo("Muted job", vec![fx.tech.user.id, fx.tech2.user.id]).await;
    let report = c.deliver_notifications(c.now()).await.unwrap();
    assert_eq!((report.in_app, report.muted, report.email), (1, 1, 1), "{report:?}");
    assert_eq!(c.unread_notification_count(tech).await.unwrap().count, 0, "muted");
    assert_eq!(c.unread_notification_count(&fx.tech2.actor).await.unwrap().count, 1);
    // The one who kept email gets the notification's mail, queued in the same commit.
    let mails = c.list_mail(&fx.admin.actor, None, 100).await.unwrap();
    let mails: Vec<_> = mails.iter().filter(|m| m.kind == K::Assigned.as_str()).collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, fx.tech2.user.email);
    let note = c.list_notifications(&fx.tech2.actor, NotificationFilter::default()).await.unwrap();
    assert_eq!(mails[0].subject, note.items[0].title);
}

/// The consumer resumes from its cursor: running it again, or twice at once, writes every
/// notification once; a commit that fails leaves the cursor where it was and writes nothing.
pub async fn notification_consumer_is_exactly_once(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    for i in 0..5 {
        fx.wo(&format!("Job {i}"), vec![fx.tech.user.id, fx.tech2.user.id]).await;
    }
    let (a, b) = tokio::join!(c.deliver_notifications(c.now()), c.deliver_notifications(c.now()));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.in_app + b.in_app, 10, "each notification once: {a:?} {b:?}");
    let report = c.deliver_notifications(c.now()).await.unwrap();
    assert_eq!(report.in_app, 0, "nothing twice");
    assert_eq!(report.pending, 0, "{report:?}");
    let all = all_notifications(&fx).await;
    assert_eq!(all.len(), 10);
    let mut keys: Vec<(i64, crate::UserId)> =
        all.iter().map(|n| (n.event_seq, n.user_id)).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 10);

    // A stale consumer: built from the cursor as it was, its commit conflicts and leaves no
    // notification behind; the cursor stays where the winner put it.
    let store = fx.db.store();
    let cursor: NotificationCursor = store.get(fx.org.id, fx.org.id.0).await.unwrap().unwrap();
    fx.wo("One more", vec![fx.tech.user.id]).await;
    let events = store.events_since(fx.org.id, cursor.last_seq, 100).await.unwrap();
    let event = events
        .iter()
        .find(|e| e.draft.kind == crate::domain::event::EventKind::WorkOrderAssigned)
        .unwrap();
    let stale = NotificationCursor { version: cursor.version - 1, ..cursor.clone() };
    let next = stale.next(events.last().unwrap().seq, None, c.now());
    let planned = [(event, Recipient { user_id: fx.tech.user.id, kind: K::Assigned })];
    let (cs, _) = changeset(
        &stale,
        next,
        &planned,
        &PreferenceBook::default(),
        &MailBook::default(),
        c.now(),
    );
    let r = store.commit(fx.org.id, cs).await;
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    let after: NotificationCursor = store.get(fx.org.id, fx.org.id.0).await.unwrap().unwrap();
    assert_eq!(after, cursor, "cursor unmoved");
    assert_eq!(all_notifications(&fx).await.len(), 10, "nothing written");
    // The real consumer then delivers it exactly once.
    deliver(&fx).await;
    deliver(&fx).await;
    assert_eq!(all_notifications(&fx).await.len(), 11);
}
