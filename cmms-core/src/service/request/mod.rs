//! Request use cases: the customer intake from draft to approval (which creates the work
//! order). The requester's confirmation of the finished work lives in `confirm`.

mod confirm;

pub use confirm::AutoCloseReport;

use super::{
    Cmms, Numbering, Stamp, check_text_filter, check_version, json, page_cursor, require_held,
    require_readable,
};
use crate::actor::Actor;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::request::{
    self as rq, ApproveRequest, NewRequest, Request, RequestPatch, RequestStatus,
};
use crate::domain::status::{self};
use crate::domain::work_order::{Priority, WorkOrder, WorkOrderType, dedup_assignees};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{RequestId, WorkOrderId};
use crate::rbac::{self, Permission};
use crate::store::{
    Changeset, Count, KeyType, KeyValue, Page, RequestFilter, RequestQuery, SortKey, Write,
    check_limit, decode_cursor, encode_cursor,
};

const REQUEST_SORT: &str = "created:desc";

pub(super) fn entity(id: RequestId) -> EntityRef {
    EntityRef::new(EntityKind::Request, id)
}

pub(super) fn audience(r: &Request) -> EventAudience {
    EventAudience {
        permission: Some(Permission::RequestRead),
        site_id: Some(r.site_id),
        owner: Some(r.requested_by),
        ..EventAudience::default()
    }
}

fn event_for(to: RequestStatus) -> EventKind {
    match to {
        RequestStatus::Draft => EventKind::RequestUpdated,
        RequestStatus::Submitted => EventKind::RequestSubmitted,
        RequestStatus::Approved => EventKind::RequestApproved,
        RequestStatus::Rejected => EventKind::RequestRejected,
        RequestStatus::Cancelled => EventKind::RequestCancelled,
    }
}

impl Cmms {
    /// Files a request (a draft, or submitted right away with `submit: true`).
    pub async fn create_request(&self, actor: &Actor, input: NewRequest) -> Result<Request> {
        require_held(actor, Permission::RequestCreate)?;
        let me = actor
            .user_id()
            .ok_or_else(|| CmmsError::invalid("requested_by", "requests are filed by users"))?;
        let checked = rq::check_new(&input)?;
        let site =
            self.resolve_place(actor, input.site_id, input.location_id, input.asset_id).await?;
        let now = self.now();
        let draft = Request {
            id: RequestId::new(),
            org_id: actor.org(),
            number: String::new(),
            title: checked.title,
            description: checked.description,
            site_id: site,
            location_id: input.location_id,
            asset_id: input.asset_id,
            priority: input.priority.unwrap_or(Priority::Medium),
            status: if input.submit { RequestStatus::Submitted } else { RequestStatus::Draft },
            requested_by: me,
            work_order_id: None,
            rejection_reason: None,
            attachments: input.attachments,
            submitted_at: input.submit.then_some(now),
            reviewed_by: None,
            reviewed_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        rbac::authorize(actor, Permission::RequestCreate, &draft.resource())?;
        if input.submit {
            // Filing and submitting at once takes the draft -> submitted edge too.
            let edge = rq::request_edge(RequestStatus::Draft, RequestStatus::Submitted)?;
            rbac::authorize(actor, edge.permission, &draft.resource())?;
        }
        let st = Stamp::new(actor, now);
        let template = draft.clone();
        let writes = move |number: String| {
            let r = Request { number, ..template.clone() };
            let kind = if r.status == RequestStatus::Submitted {
                EventKind::RequestSubmitted
            } else {
                EventKind::RequestCreated
            };
            vec![
                Write::insert(r.clone()),
                st.audit("request.create", entity(r.id), None, Some(json(&r))),
                st.event(kind, entity(r.id), audience(&r), json(&r)),
            ]
        };
        let number = match input.number {
            None => self.commit_numbered(actor, Numbering::Request(site), now, writes).await?,
            Some(number) => self.commit_chosen_number(actor, number, writes).await?,
        };
        Ok(Request { number, ..draft })
    }

    /// Commits a request under the number its filer chose, where the organization allows it.
    async fn commit_chosen_number(
        &self,
        actor: &Actor,
        number: String,
        writes: impl Fn(String) -> Vec<Write>,
    ) -> Result<String> {
        if !self.load_org(actor.org()).await?.settings.caller_request_numbers {
            return Err(CmmsError::invalid(
                "number",
                "this organization numbers requests itself; leave number out",
            ));
        }
        let mut cs = Changeset::new();
        cs.extend(writes(number.clone()));
        match self.commit(actor, cs).await {
            // The only unique value a new request carries besides its fresh id.
            Err(CmmsError::Conflict { .. }) => {
                Err(CmmsError::taken("number", format!("request number {number} is already used")))
            }
            other => other.map(|_| number),
        }
    }

    /// One request (requesters see only their own; others are `NotFound`).
    pub async fn get_request(&self, actor: &Actor, id: RequestId) -> Result<Request> {
        let r = self
            .store
            .get_request(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("request", id))?;
        require_readable(actor, Permission::RequestRead, &r.resource(), "request", id)?;
        Ok(r)
    }

    /// A page of the requests the actor may see, newest first.
    pub async fn list_requests(
        &self,
        actor: &Actor,
        filter: RequestFilter,
    ) -> Result<Page<Request>> {
        require_held(actor, Permission::RequestRead)?;
        let limit = check_limit(filter.limit)?;
        check_text_filter(filter.text.as_deref())?;
        let people: Vec<_> = filter.requested_by.into_iter().collect();
        self.ensure_users(actor, &people, None).await?;
        if let Some(site) = filter.site {
            self.store
                .get_site(actor.org(), site)
                .await?
                .ok_or_else(|| CmmsError::not_found("site", site))?;
        }
        let after = filter
            .cursor
            .as_deref()
            .map(|c| decode_cursor(REQUEST_SORT, c, KeyType::Time))
            .transpose()?;
        let visibility = rbac::visibility(actor, Permission::RequestRead);
        let counted = filter.count;
        let query = RequestQuery { filter, visibility, after, fetch: limit + 1 };
        let mut items = self.store.list_requests(actor.org(), &query).await?;
        let next_cursor = page_cursor(&mut items, limit, |r| SortKey {
            value: Some(KeyValue::Int(r.created_at.timestamp_micros())),
            id: r.id.uuid(),
        })
        .map(|k| encode_cursor(REQUEST_SORT, &k));
        let total = match counted {
            Some(Count::Exact) => Some(self.store.count_requests(actor.org(), &query).await?),
            None => None,
        };
        Ok(Page { items, next_cursor, total })
    }

    /// Edits a draft request.
    pub async fn update_request(
        &self,
        actor: &Actor,
        id: RequestId,
        patch: RequestPatch,
        expected_version: Option<i64>,
    ) -> Result<Request> {
        let before = self.get_request(actor, id).await?;
        rbac::authorize(actor, Permission::RequestUpdate, &before.resource())?;
        check_version("request", before.version, expected_version)?;
        let after = before.patched(patch, self.now())?;
        self.commit_request(
            actor,
            &before,
            &after,
            "request.update",
            EventKind::RequestUpdated,
            Vec::new(),
        )
        .await?;
        Ok(after)
    }

    async fn commit_request(
        &self,
        actor: &Actor,
        before: &Request,
        after: &Request,
        action: &str,
        kind: EventKind,
        extra: Vec<Write>,
    ) -> Result<()> {
        let st = Stamp::new(actor, after.updated_at);
        let mut cs = Changeset::new();
        cs.push(Write::update(after.clone()));
        cs.push(st.audit(action, entity(after.id), Some(json(before)), Some(json(after))));
        cs.push(st.event(kind, entity(after.id), audience(after), json(after)));
        cs.extend(extra);
        self.commit(actor, cs).await?;
        Ok(())
    }

    async fn move_request(
        &self,
        actor: &Actor,
        id: RequestId,
        to: RequestStatus,
        reason: Option<&str>,
    ) -> Result<Request> {
        let before = self.get_request(actor, id).await?;
        let edge = rq::request_edge(before.status, to)?;
        rbac::authorize(actor, edge.permission, &before.resource())?;
        let after = before.transitioned(to, reason, actor.user_id(), self.now())?;
        self.commit_request(
            actor,
            &before,
            &after,
            "request.transition",
            event_for(to),
            Vec::new(),
        )
        .await?;
        Ok(after)
    }

    /// Submits a draft for review.
    pub async fn submit_request(&self, actor: &Actor, id: RequestId) -> Result<Request> {
        self.move_request(actor, id, RequestStatus::Submitted, None).await
    }

    /// Withdraws a draft or submitted request.
    pub async fn cancel_request(&self, actor: &Actor, id: RequestId) -> Result<Request> {
        self.move_request(actor, id, RequestStatus::Cancelled, None).await
    }

    /// Rejects a submitted request with a reason (at least 3 characters).
    pub async fn reject_request(
        &self,
        actor: &Actor,
        id: RequestId,
        reason: &str,
    ) -> Result<Request> {
        self.move_request(actor, id, RequestStatus::Rejected, Some(reason)).await
    }

    /// Approves a submitted request: creates the linked work order (description and
    /// attachments carried across, requested by the requester) in the same commit.
    pub async fn approve_request(
        &self,
        actor: &Actor,
        id: RequestId,
        options: ApproveRequest,
    ) -> Result<(Request, WorkOrder)> {
        let before = self.get_request(actor, id).await?;
        let edge = rq::request_edge(before.status, RequestStatus::Approved)?;
        rbac::authorize(actor, edge.permission, &before.resource())?;
        let mut p = Problems::new();
        let assignees = dedup_assignees(&mut p, &options.assignees);
        p.finish()?;
        self.check_people(actor, &assignees, options.team_id).await?;
        let now = self.now();
        let staffed = !assignees.is_empty() || options.team_id.is_some();
        let wo = WorkOrder {
            id: WorkOrderId::new(),
            org_id: actor.org(),
            number: String::new(),
            title: before.title.clone(),
            description: before.description.clone(),
            wo_type: options.wo_type.unwrap_or(WorkOrderType::Corrective),
            priority: options.priority.unwrap_or(before.priority),
            category: None,
            status: status::initial_status(true, staffed),
            site_id: before.site_id,
            location_id: before.location_id,
            asset_id: before.asset_id,
            assignees,
            team_id: options.team_id,
            requested_by: Some(before.requested_by),
            created_by: actor.user_id(),
            request_id: Some(before.id),
            pm_plan_id: None,
            pm_slot_id: None,
            due_at: options.due_at.map(crate::clock::truncate_micros),
            estimated_hours: None,
            actual_start: None,
            actual_end: None,
            verified_by: None,
            verified_at: None,
            closed_at: None,
            completion_notes: None,
            failure: Default::default(),
            attachments: before.attachments.clone(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if staffed {
            rbac::authorize(actor, Permission::WorkOrderAssign, &wo.resource())?;
        }
        rbac::authorize(actor, Permission::WorkOrderCreate, &wo.resource())?;
        // The request's work is approved work: whoever approves it must be able to approve work.
        rbac::authorize(actor, Permission::WorkOrderApprove, &wo.resource())?;
        self.check_assignees_may_execute(actor, &wo).await?;
        let mut after = before.transitioned(RequestStatus::Approved, None, actor.user_id(), now)?;
        after.work_order_id = Some(wo.id);
        let st = Stamp::new(actor, now);
        let mut follow = vec![
            Write::update(after.clone()),
            st.audit("request.approve", entity(id), Some(json(&before)), Some(json(&after))),
            st.event(EventKind::RequestApproved, entity(id), audience(&after), json(&after)),
        ];
        // The request's files become the work order's in the same commit, sharing content.
        follow.extend(self.carry_attachments(actor, &st, id, &wo).await?);
        let wo = self.insert_numbered_work_order(actor, wo, Vec::new(), follow).await?;
        Ok((after, wo))
    }
}
