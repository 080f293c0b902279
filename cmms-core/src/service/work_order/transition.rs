//! Status changes through the status machine, with their requirements checked.

use super::transition_writes;
use crate::actor::Actor;
use crate::domain::failure_code::FailureCodeKind;
use crate::domain::status::{self, TransitionFacts, TransitionInput, WorkOrderStatus};
use crate::domain::work_order::{FailureReport, WorkOrder};
use crate::error::{Problems, Result};
use crate::ids::WorkOrderId;
use crate::rbac;
use crate::service::{Cmms, Stamp, check_version};
use crate::store::Changeset;

impl Cmms {
    /// Moves a work order along the status machine. The edge's permission is checked against
    /// the work order (so a technician acts only on work assigned to them); requirements
    /// (reason, mandatory checklist, failure codes) are checked; side effects applied.
    pub async fn transition_work_order(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        to: WorkOrderStatus,
        input: TransitionInput,
    ) -> Result<WorkOrder> {
        let before = self.get_work_order(actor, id).await?;
        // A stale precondition answers first, whatever else is wrong with the request
        // (RFC 9110 §13.2.2): the client must re-read before anything else means anything.
        check_version("work_order", before.version, input.expected_version)?;
        let edge = status::require_edge(before.status, to)?;
        rbac::authorize(actor, edge.permission, &before.resource())?;
        let completing = to == WorkOrderStatus::Completed;
        let (checklist, required) = if completing {
            if let Some(f) = &input.failure {
                self.check_failure_codes(actor, f).await?;
            }
            let org = self.load_org(actor.org()).await?;
            (self.store.checklist(actor.org(), id).await?, org.settings.require_failure_codes)
        } else {
            (Vec::new(), false)
        };
        let facts = TransitionFacts { checklist: &checklist, failure_codes_required: required };
        let t = status::decide_transition(&before, to, input, facts, actor.user_id(), self.now())?;
        let st = Stamp::new(actor, t.entry.at);
        let mut cs = Changeset::new();
        cs.extend(transition_writes(
            &st,
            "work_order.transition",
            &before,
            &t.work_order,
            &[t.entry],
        ));
        cs.extend(self.pm_follow(actor, &before, &t.work_order).await?);
        // Work that ends gives back the parts it still reserves.
        cs.extend(self.release_parts_on(actor, &before, &t.work_order).await?);
        self.commit(actor, cs).await?;
        Ok(t.work_order)
    }

    /// Failure codes must be ones the organization defined, of the right kind.
    async fn check_failure_codes(&self, actor: &Actor, f: &FailureReport) -> Result<()> {
        let codes = self.store.list_failure_codes(actor.org()).await?;
        let mut p = Problems::new();
        for (field, kind, value) in [
            ("failure.problem", FailureCodeKind::Problem, &f.problem),
            ("failure.cause", FailureCodeKind::Cause, &f.cause),
            ("failure.remedy", FailureCodeKind::Remedy, &f.remedy),
        ] {
            if let Some(v) = value {
                if !codes.iter().any(|c| c.kind == kind && c.code == *v) {
                    let shown: String = v.chars().take(40).collect();
                    p.add(field, format!("unknown {kind} code '{shown}'"));
                }
            }
        }
        p.finish()
    }
}
