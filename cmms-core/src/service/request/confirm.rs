//! After approval: the requester follows the work order, confirms or rejects its completion,
//! and completions nobody confirmed close by themselves after the org's N days.

use super::{audience, entity};
use crate::actor::Actor;
use crate::domain::event::EventKind;
use crate::domain::request::Request;
use crate::domain::status::WorkOrderStatus;
use crate::domain::work_order::WorkOrder;
use crate::error::{CmmsError, Result};
use crate::ids::{OrgId, RequestId, WorkOrderId};
use crate::rbac::{self, Permission};
use crate::service::work_order::{steps, transition_writes};
use crate::service::{Cmms, Stamp, json};
use crate::store::Changeset;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// What `auto_close_confirmations` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AutoCloseReport {
    /// Work orders closed.
    pub closed: Vec<WorkOrderId>,
    /// Work orders skipped because they changed meanwhile (they are retried next run).
    pub skipped: Vec<WorkOrderId>,
}

impl Cmms {
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
        self.requester_decides(actor, id, &path, None, EventKind::RequestCompletionConfirmed).await
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
        self.requester_decides(actor, id, &path, Some(reason), EventKind::RequestCompletionRejected)
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
        cs.extend(transition_writes(&st, "work_order.transition", &wo, &after, &entries));
        let mut payload = json(&after);
        // The requester's reason travels with the event (notifications quote it).
        if let (Some(reason), Some(obj)) = (reason, payload.as_object_mut()) {
            obj.insert("reason".into(), reason.into());
        }
        cs.push(st.event(kind, entity(id), audience(&r), payload));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// Closes, as the system, completed work from requests that nobody confirmed within the
    /// org's `auto_close_days` (default 3) of `now`. Safe to run often and from several
    /// processes: a work order that changed meanwhile is skipped, not double-closed.
    pub async fn auto_close_confirmations(&self, now: DateTime<Utc>) -> Result<AutoCloseReport> {
        let now = crate::clock::truncate_micros(now);
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
        let before = now
            .checked_sub_signed(TimeDelta::days(i64::from(days)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
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
            cs.extend(transition_writes(&st, "work_order.transition", &wo, &after, &entries));
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
