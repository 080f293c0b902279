//! Request use cases: the customer intake from draft to approval (which creates the work
//! order), the requester's confirmation of the finished work, and auto-closing completions
//! nobody confirmed.

use super::user::page_cursor;
use super::work_order::{steps, transition_writes};
use super::{Cmms, Stamp, check_version, json, require_held, require_readable};
use crate::actor::Actor;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::numbering::NumberFormat;
use crate::domain::request::{
    self as rq, ApproveRequest, NewRequest, Request, RequestPatch, RequestStatus,
};
use crate::domain::status::{self, WorkOrderStatus};
use crate::domain::work_order::{Priority, WorkOrder, WorkOrderType, dedup_assignees};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{OrgId, RequestId, WorkOrderId};
use crate::rbac::{self, Permission};
use crate::store::{
    Changeset, KeyValue, Page, RequestFilter, RequestQuery, SortKey, Write, check_limit,
    decode_cursor, encode_cursor,
};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

const REQUEST_SORT: &str = "created:desc";

fn entity(id: RequestId) -> EntityRef {
    EntityRef::new(EntityKind::Request, id)
}

fn audience(r: &Request) -> EventAudience {
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

/// What `auto_close_confirmations` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoCloseReport {
    /// Work orders closed.
    pub closed: Vec<WorkOrderId>,
    /// Work orders skipped because they changed meanwhile (they are retried next run).
    pub skipped: Vec<WorkOrderId>,
}

impl Cmms {
    /// Files a request (a draft, or submitted right away with `submit: true`).
    pub async fn create_request(&self, actor: &Actor, input: NewRequest) -> Result<Request> {
        require_held(actor, Permission::RequestCreate)?;
        let me = actor
            .user_id()
            .ok_or_else(|| CmmsError::invalid("requested_by", "requests are filed by users"))?;
        let checked = rq::check_new(&input)?;
        let site = self
            .resolve_place(actor, input.site_id, input.location_id, input.asset_id)
            .await?;
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
            status: if input.submit {
                RequestStatus::Submitted
            } else {
                RequestStatus::Draft
            },
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
        let org = self.load_org(actor.org()).await?;
        let format =
            NumberFormat::parse(&org.settings.request_number_format, "request_number_format")?;
        let tz = org.settings.tz();
        let key = format.counter_key("request", now, tz);
        let st = Stamp::new(actor, now);
        let numbered = move |n: i64| Request {
            number: format.render(n, now, tz),
            ..draft.clone()
        };
        let build = numbered.clone();
        let cs = Changeset::new().with_numbers(vec![key], move |values: &[i64]| {
            let r = build(values.first().copied().unwrap_or_default());
            let kind = if r.status == RequestStatus::Submitted {
                EventKind::RequestSubmitted
            } else {
                EventKind::RequestCreated
            };
            vec![
                Write::InsertRequest(r.clone()),
                st.audit("request.create", entity(r.id), None, Some(json(&r))),
                st.event(kind, entity(r.id), audience(&r), json(&r)),
            ]
        });
        let receipt = self.commit(actor, cs).await?;
        Ok(numbered(
            receipt.numbers.first().copied().unwrap_or_default(),
        ))
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
        if filter
            .text
            .as_ref()
            .is_some_and(|t| t.chars().count() > 200)
        {
            return Err(CmmsError::invalid("text", "must be at most 200 characters"));
        }
        if let Some(site) = filter.site {
            self.store
                .get_site(actor.org(), site)
                .await?
                .ok_or_else(|| CmmsError::not_found("site", site))?;
        }
        let after = filter
            .cursor
            .as_deref()
            .map(|c| decode_cursor(REQUEST_SORT, c, false))
            .transpose()?;
        let visibility = rbac::visibility(actor, Permission::RequestRead);
        let query = RequestQuery {
            filter,
            visibility,
            after,
            fetch: limit + 1,
        };
        let mut items = self.store.list_requests(actor.org(), &query).await?;
        let next_cursor = page_cursor(&mut items, limit, |r| SortKey {
            value: Some(KeyValue::Int(r.created_at.timestamp_micros())),
            id: r.id.uuid(),
        })
        .map(|k| encode_cursor(REQUEST_SORT, &k));
        Ok(Page { items, next_cursor })
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
        cs.push(Write::UpdateRequest(after.clone()));
        cs.push(st.audit(
            action,
            entity(after.id),
            Some(json(before)),
            Some(json(after)),
        ));
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
        self.move_request(actor, id, RequestStatus::Submitted, None)
            .await
    }

    /// Withdraws a draft or submitted request.
    pub async fn cancel_request(&self, actor: &Actor, id: RequestId) -> Result<Request> {
        self.move_request(actor, id, RequestStatus::Cancelled, None)
            .await
    }

    /// Rejects a submitted request with a reason (at least 3 characters).
    pub async fn reject_request(
        &self,
        actor: &Actor,
        id: RequestId,
        reason: &str,
    ) -> Result<Request> {
        self.move_request(actor, id, RequestStatus::Rejected, Some(reason))
            .await
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
        self.check_people(actor, &assignees, options.team_id)
            .await?;
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
            due_at: options.due_at,
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
        let mut after = before.transitioned(RequestStatus::Approved, None, actor.user_id(), now)?;
        after.work_order_id = Some(wo.id);
        let st = Stamp::new(actor, now);
        let follow = vec![
            Write::UpdateRequest(after.clone()),
            st.audit(
                "request.approve",
                entity(id),
                Some(json(&before)),
                Some(json(&after)),
            ),
            st.event(
                EventKind::RequestApproved,
                entity(id),
                audience(&after),
                json(&after),
            ),
        ];
        let wo = self
            .insert_numbered_work_order(actor, wo, Vec::new(), follow)
            .await?;
        Ok((after, wo))
    }

    /// The work order a request led to, if approved (requesters follow its status here).
    pub async fn request_work_order(
        &self,
        actor: &Actor,
        id: RequestId,
    ) -> Result<Option<WorkOrder>> {
        let r = self.get_request(actor, id).await?;
        match r.work_order_id {
            Some(wo) => self.get_work_order(actor, wo).await.map(Some),
            None => Ok(None),
        }
    }

    async fn completed_work_of(
        &self,
        actor: &Actor,
        id: RequestId,
    ) -> Result<(Request, WorkOrder)> {
        let r = self.get_request(actor, id).await?;
        rbac::authorize(actor, Permission::RequestConfirm, &r.resource())?;
        let wo_id = r
            .work_order_id
            .ok_or_else(|| CmmsError::invalid("request", "the request has no work order yet"))?;
        let wo = self
            .store
            .get_work_order(actor.org(), wo_id)
            .await?
            .ok_or_else(|| CmmsError::not_found("work_order", wo_id))?;
        Ok((r, wo))
    }

    /// The requester confirms the completed work: verified (by them) and closed.
    pub async fn confirm_completion(&self, actor: &Actor, id: RequestId) -> Result<WorkOrder> {
        let path = [WorkOrderStatus::Verified, WorkOrderStatus::Closed];
        self.requester_decides(
            actor,
            id,
            &path,
            None,
            EventKind::RequestCompletionConfirmed,
        )
        .await
    }

    /// The requester rejects the completed work with a reason (at least 3 characters): the work
    /// goes back to in progress and its completion is cleared.
    pub async fn reject_completion(
        &self,
        actor: &Actor,
        id: RequestId,
        reason: &str,
    ) -> Result<WorkOrder> {
        let path = [WorkOrderStatus::InProgress];
        self.requester_decides(
            actor,
            id,
            &path,
            Some(reason),
            EventKind::RequestCompletionRejected,
        )
        .await
    }

    /// Moves the request's completed work order along `path` on the requester's word.
    async fn requester_decides(
        &self,
        actor: &Actor,
        id: RequestId,
        path: &[WorkOrderStatus],
        reason: Option<&str>,
        kind: EventKind,
    ) -> Result<WorkOrder> {
        let (r, wo) = self.completed_work_of(actor, id).await?;
        let (after, entries) = steps(&wo, path, reason, actor.user_id(), self.now())?;
        let st = Stamp::new(actor, after.updated_at);
        let mut cs = Changeset::new();
        cs.extend(transition_writes(&st, &wo, &after, &entries));
        cs.push(st.event(kind, entity(id), audience(&r), json(&after)));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// Closes, as the system, completed work from requests that nobody confirmed within the
    /// org's `auto_close_days` (default 3) of `now`. Safe to run often and from several
    /// processes: a work order that changed meanwhile is skipped, not double-closed.
    pub async fn auto_close_confirmations(&self, now: DateTime<Utc>) -> Result<AutoCloseReport> {
        let mut report = AutoCloseReport::default();
        for org in self.store.list_org_ids().await? {
            self.auto_close_org(org, now, &mut report).await?;
        }
        Ok(report)
    }

    async fn auto_close_org(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
        report: &mut AutoCloseReport,
    ) -> Result<()> {
        let settings = self.load_org(org).await?.settings;
        let days = settings.auto_close_days;
        let before = now - TimeDelta::days(i64::from(days));
        let system = Actor::system(org);
        let reason = format!("closed automatically: completion not confirmed within {days} days");
        for wo in self.store.awaiting_confirmation(org, before).await? {
            let (after, entries) = steps(
                &wo,
                &[WorkOrderStatus::Verified, WorkOrderStatus::Closed],
                Some(&reason),
                None,
                now,
            )?;
            let st = Stamp::new(&system, now);
            let mut cs = Changeset::new();
            cs.extend(transition_writes(&st, &wo, &after, &entries));
            match self.commit(&system, cs).await {
                Ok(_) => report.closed.push(wo.id),
                Err(CmmsError::Conflict { .. }) | Err(CmmsError::NotFound { .. }) => {
                    report.skipped.push(wo.id)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
