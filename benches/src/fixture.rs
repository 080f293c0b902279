//! The starting point of every store bench: one organization (or several) with 5 sites and
//! ~55 users, made through the `Cmms` facade, plus builders of the changesets the use cases
//! commit (create, transition, a 10-write commit), built the way `cmms-core`'s service does.

use chrono::{DateTime, Datelike, Utc};
use cmms_core::domain::audit::AuditDraft;
use cmms_core::domain::comment::Comment;
use cmms_core::domain::event::{EventAudience, EventDraft, EventKind};
use cmms_core::domain::org::NewOrg;
use cmms_core::domain::site::NewSite;
use cmms_core::domain::status::WorkOrderStatus;
use cmms_core::domain::timeline::TimelineEntry;
use cmms_core::domain::user::NewUser;
use cmms_core::domain::work_order::{Priority, WorkOrder, WorkOrderType};
use cmms_core::domain::{EntityKind, EntityRef};
use cmms_core::rbac::{BuiltinRole, Permission, RoleRef};
use cmms_core::{
    Actor, Changeset, Cmms, CommentId, OrgId, SiteId, Store, TimelineId, UserId, WorkOrderId, Write,
};
use std::sync::Arc;

/// Users per organization (the owner included).
pub const USERS_PER_ORG: usize = 55;
/// Sites per organization.
pub const SITES_PER_ORG: usize = 5;

/// One organization ready for work orders.
#[derive(Debug, Clone)]
pub struct Org {
    /// The organization.
    pub id: OrgId,
    /// Its owner, as an actor.
    pub owner: Actor,
    /// Its sites.
    pub sites: Vec<SiteId>,
    /// Its users, the owner first.
    pub users: Vec<UserId>,
}

impl Org {
    /// The owner's user id.
    pub fn owner_id(&self) -> UserId {
        self.owner.user_id().expect("the owner is a user")
    }
}

/// Makes an organization named `name` with [`SITES_PER_ORG`] sites and `users` users (the
/// owner and technicians) through the facade, as an application would.
pub async fn make_org(store: Arc<dyn Store>, name: &str, users: usize) -> Org {
    let cmms = Cmms::new(store);
    let slug: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    let boot = cmms
        .bootstrap_org(NewOrg {
            name: name.to_string(),
            owner_name: "Olivia Owner".into(),
            owner_email: format!("owner@{slug}.test").to_lowercase(),
            ..NewOrg::default()
        })
        .await
        .expect("bootstrap org");
    let owner = cmms.actor(boot.org.id, boot.owner.id).await.expect("owner actor");
    let mut sites = Vec::new();
    for i in 0..SITES_PER_ORG {
        let site = NewSite {
            name: format!("Site {i}"),
            code: format!("S{i}"),
            time_zone: "UTC".into(),
            ..NewSite::default()
        };
        sites.push(cmms.create_site(&owner, site).await.expect("site").id);
    }
    let mut ids = vec![boot.owner.id];
    for i in 1..users {
        let user = NewUser {
            name: format!("Tech {i}"),
            email: format!("tech{i}@{slug}.test").to_lowercase(),
            role: Some(RoleRef::Builtin(BuiltinRole::Technician)),
            sites: None,
        };
        ids.push(cmms.create_user(&owner, user).await.expect("user").0.id);
    }
    Org { id: boot.org.id, owner, sites, users: ids }
}

/// A new work order as `create_work_order` would draft it (number filled in by the commit),
/// assigned to one user.
pub fn draft_work_order(org: &Org, i: usize, now: DateTime<Utc>) -> WorkOrder {
    let assignee = org.users[1 + i % (org.users.len() - 1)];
    WorkOrder {
        id: WorkOrderId::new(),
        org_id: org.id,
        number: String::new(),
        title: format!("Replace pump seal on line {}", i % 12),
        description: Some("Seal leaks at the drive end; replace and test under load.".into()),
        wo_type: WorkOrderType::Corrective,
        priority: Priority::High,
        category: Some("mechanical".into()),
        status: WorkOrderStatus::Assigned,
        site_id: org.sites[i % org.sites.len()],
        location_id: None,
        asset_id: None,
        assignees: vec![assignee],
        team_id: None,
        requested_by: Some(org.owner_id()),
        created_by: Some(org.owner_id()),
        request_id: None,
        pm_plan_id: None,
        pm_slot_id: None,
        due_at: Some(now + chrono::Duration::days(7)),
        estimated_hours: Some(2.5),
        actual_start: None,
        actual_end: None,
        verified_by: None,
        verified_at: None,
        closed_at: None,
        completion_notes: None,
        failure: Default::default(),
        attachments: Vec::new(),
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn entity(id: WorkOrderId) -> EntityRef {
    EntityRef::new(EntityKind::WorkOrder, id)
}

/// Who may see a work order's events (as `service::work_order::audience` with `work_order.read`).
pub fn audience(wo: &WorkOrder) -> EventAudience {
    EventAudience {
        permission: Some(Permission::WorkOrderRead),
        site_id: Some(wo.site_id),
        owner: wo.requested_by,
        assignees: wo.assignees.clone(),
        team_id: wo.team_id,
        ..EventAudience::default()
    }
}

fn json(wo: &WorkOrder) -> serde_json::Value {
    serde_json::to_value(wo).expect("work order to JSON")
}

/// The counter key and rendered number of the default format `WO-{YYYY}-{SEQ:5}`.
pub fn number_key(at: DateTime<Utc>) -> String {
    format!("work_order:{:04}", at.year())
}

/// What a commit carries besides the work-order row: timeline entries, comments, audit and
/// event drafts. The store benches commit them as `Write`s; the raw baselines bind them.
#[derive(Debug, Default)]
pub struct Parts {
    /// Timeline rows.
    pub timeline: Vec<TimelineEntry>,
    /// Comment rows.
    pub comments: Vec<Comment>,
    /// Audit drafts.
    pub audit: Vec<AuditDraft>,
    /// Event drafts.
    pub events: Vec<EventDraft>,
}

impl Parts {
    /// As writes, in the order the service would push them.
    pub fn into_writes(self) -> Vec<Write> {
        let mut w: Vec<Write> = self.timeline.into_iter().map(Write::insert).collect();
        w.extend(self.comments.into_iter().map(Write::insert));
        w.extend(self.audit.into_iter().map(Write::AppendAudit));
        w.extend(self.events.into_iter().map(Write::AppendEvent));
        w
    }
}

/// The rest of a create (`insert_numbered_work_order`): the "created" timeline entry, one audit
/// entry, a created and an assigned event.
pub fn create_parts(actor: UserId, wo: &WorkOrder) -> Parts {
    let at = wo.created_at;
    let entry = TimelineEntry {
        id: TimelineId::new(),
        org_id: wo.org_id,
        work_order_id: wo.id,
        from_status: None,
        to_status: wo.status,
        actor_id: Some(actor),
        reason: None,
        at,
    };
    let staff = serde_json::json!({
        "number": wo.number, "assignees": wo.assignees, "team_id": wo.team_id
    });
    Parts {
        timeline: vec![entry],
        comments: Vec::new(),
        audit: vec![AuditDraft {
            at,
            actor_id: Some(actor),
            action: "work_order.create".into(),
            entity: entity(wo.id),
            before: None,
            after: Some(json(wo)),
            request_id: None,
        }],
        events: vec![
            EventDraft {
                kind: EventKind::WorkOrderCreated,
                entity: entity(wo.id),
                actor_id: Some(actor),
                audience: audience(wo),
                payload: json(wo),
                at,
            },
            EventDraft {
                kind: EventKind::WorkOrderAssigned,
                entity: entity(wo.id),
                actor_id: Some(actor),
                audience: audience(wo),
                payload: staff,
                at,
            },
        ],
    }
}

/// The changeset `create_work_order` commits: a number drawn in the transaction, then the work
/// order and [`create_parts`].
pub fn create_changeset(org: &Org, draft: WorkOrder) -> Changeset {
    let actor = org.owner_id();
    let at = draft.created_at;
    Changeset::new().with_numbers(vec![number_key(at)], move |values: &[i64]| {
        let n = values.first().copied().unwrap_or_default();
        let wo = WorkOrder { number: format!("WO-{:04}-{n:05}", at.year()), ..draft.clone() };
        let parts = create_parts(actor, &wo);
        let mut w = vec![Write::insert(wo)];
        w.extend(parts.into_writes());
        w
    })
}

/// The next step of the in_progress <-> on_hold ping-pong the transition benches run.
pub fn next_status(s: WorkOrderStatus) -> WorkOrderStatus {
    if s == WorkOrderStatus::InProgress {
        WorkOrderStatus::OnHold
    } else {
        WorkOrderStatus::InProgress
    }
}

/// A status change decided by core (`decide_transition`) and what `transition_work_order`
/// commits besides the versioned update: the timeline entry, one audit entry with before and
/// after, one status event. Returns the work order after it and those parts.
pub fn transition_parts(
    actor: &Actor,
    before: &WorkOrder,
    now: DateTime<Utc>,
) -> (WorkOrder, Parts) {
    use cmms_core::domain::status::{TransitionFacts, TransitionInput, decide_transition};
    let to = next_status(before.status);
    let input = TransitionInput::reason("waiting for parts");
    let facts = TransitionFacts { checklist: &[], failure_codes_required: false };
    let t = decide_transition(before, to, input, facts, actor.user_id(), now).expect("transition");
    let after = t.work_order;
    let payload = serde_json::json!({
        "number": after.number, "from": t.entry.from_status, "to": t.entry.to_status,
        "reason": t.entry.reason,
    });
    let parts = Parts {
        audit: vec![AuditDraft {
            at: now,
            actor_id: actor.user_id(),
            action: "work_order.transition".into(),
            entity: entity(after.id),
            before: Some(json(before)),
            after: Some(json(&after)),
            request_id: None,
        }],
        events: vec![EventDraft {
            kind: EventKind::WorkOrderStatusChanged,
            entity: entity(after.id),
            actor_id: actor.user_id(),
            audience: audience(&after),
            payload,
            at: now,
        }],
        timeline: vec![t.entry],
        comments: Vec::new(),
    };
    (after, parts)
}

/// The transition as a changeset: the versioned update, then [`transition_parts`].
pub fn transition_changeset(
    actor: &Actor,
    before: &WorkOrder,
    now: DateTime<Utc>,
) -> (Changeset, WorkOrder) {
    let (after, parts) = transition_parts(actor, before, now);
    let mut cs = Changeset::new();
    cs.push(Write::update(after.clone()));
    cs.extend(parts.into_writes());
    (cs, after)
}

/// Comments in the 10-write changeset.
pub const TEN_WRITES_COMMENTS: usize = 7;

/// 10 writes: the work order touched (version + 1), 7 comments, one audit entry and one event.
/// Returns the work order after it and the 9 writes besides the update.
pub fn ten_writes_parts(
    actor: &Actor,
    before: &WorkOrder,
    now: DateTime<Utc>,
) -> (WorkOrder, Parts) {
    let after = before.touched(now);
    let comments = (0..TEN_WRITES_COMMENTS)
        .map(|i| Comment {
            id: CommentId::new(),
            org_id: after.org_id,
            work_order_id: after.id,
            author_id: actor.user_id(),
            body: format!("Progress note {i}: checked the coupling, alignment within tolerance."),
            internal: false,
            created_at: now,
        })
        .collect();
    let parts = Parts {
        timeline: Vec::new(),
        comments,
        audit: vec![AuditDraft {
            at: now,
            actor_id: actor.user_id(),
            action: "work_order.comment".into(),
            entity: entity(after.id),
            before: None,
            after: Some(serde_json::json!({ "comments": TEN_WRITES_COMMENTS })),
            request_id: None,
        }],
        events: vec![EventDraft {
            kind: EventKind::WorkOrderCommented,
            entity: entity(after.id),
            actor_id: actor.user_id(),
            audience: audience(&after),
            payload: serde_json::json!({ "number": after.number, "comments": TEN_WRITES_COMMENTS }),
            at: now,
        }],
    };
    (after, parts)
}

/// The 10-write changeset.
pub fn ten_writes_changeset(
    actor: &Actor,
    before: &WorkOrder,
    now: DateTime<Utc>,
) -> (Changeset, WorkOrder) {
    let (after, parts) = ten_writes_parts(actor, before, now);
    let mut cs = Changeset::new();
    cs.push(Write::update(after.clone()));
    cs.extend(parts.into_writes());
    (cs, after)
}

/// Creates one work order through the store (the create changeset) and returns it, moved to
/// `in_progress` so the transition ping-pong can start.
pub async fn committed_work_order(store: &dyn Store, org: &Org, i: usize) -> WorkOrder {
    let now = cmms_core::clock::truncate_micros(Utc::now());
    let draft = draft_work_order(org, i, now);
    let receipt = store.commit(org.id, create_changeset(org, draft.clone())).await.expect("create");
    let n = receipt.numbers.first().copied().unwrap_or_default();
    let wo = WorkOrder { number: format!("WO-{:04}-{n:05}", now.year()), ..draft };
    // assigned -> in_progress, committed like any transition.
    let (cs, after) = {
        use cmms_core::domain::status::{TransitionFacts, TransitionInput, decide_transition};
        let facts = TransitionFacts { checklist: &[], failure_codes_required: false };
        let t = decide_transition(
            &wo,
            WorkOrderStatus::InProgress,
            TransitionInput::default(),
            facts,
            org.owner.user_id(),
            now,
        )
        .expect("start");
        let mut cs = Changeset::new();
        cs.push(Write::update(t.work_order.clone()));
        cs.push(Write::insert(t.entry));
        (cs, t.work_order)
    };
    store.commit(org.id, cs).await.expect("start work");
    after
}
