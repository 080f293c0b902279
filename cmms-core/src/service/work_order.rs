//! Work-order use cases: create (with a race-free number), read, edit, the status machine,
//! assignment, deletion and the filtered, paginated list.

use super::user::page_cursor;
use super::{Cmms, Stamp, check_version, json, require_held, require_readable};
use crate::actor::Actor;
use crate::domain::checklist::ChecklistItem;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::numbering::NumberFormat;
use crate::domain::status::{self, TransitionFacts, TransitionInput, WorkOrderStatus};
use crate::domain::timeline::TimelineEntry;
use crate::domain::work_order::{
    self as wo_rules, NewWorkOrder, Priority, WorkOrder, WorkOrderPatch, WorkOrderType,
};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{AssetId, LocationId, SiteId, TeamId, TimelineId, UserId, WorkOrderId};
use crate::rbac::{self, Permission};
use crate::store::{
    Changeset, KeyValue, Page, SortKey, WorkOrderFilter, WorkOrderQuery, WorkOrderSort,
    WorkOrderSortField, Write, check_limit, decode_cursor, encode_cursor,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// New assignees and team for `assign_work_order` (replacing the old ones).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Assignment {
    /// Users.
    pub assignees: Vec<UserId>,
    /// Team.
    pub team_id: Option<TeamId>,
    /// The version the caller read.
    pub expected_version: Option<i64>,
}

pub(crate) fn audience(wo: &WorkOrder, permission: Permission) -> EventAudience {
    EventAudience {
        permission: Some(permission),
        site_id: Some(wo.site_id),
        owner: wo.requested_by,
        assignees: wo.assignees.clone(),
        team_id: wo.team_id,
    }
}

fn entity(id: WorkOrderId) -> EntityRef {
    EntityRef::new(EntityKind::WorkOrder, id)
}

/// Statuses in which a work order's people and fields may still change.
const OPEN_STATUSES: &[WorkOrderStatus] = &[
    WorkOrderStatus::Requested,
    WorkOrderStatus::Open,
    WorkOrderStatus::Assigned,
    WorkOrderStatus::InProgress,
    WorkOrderStatus::OnHold,
];

fn require_open(wo: &WorkOrder) -> Result<()> {
    if OPEN_STATUSES.contains(&wo.status) {
        Ok(())
    } else {
        Err(CmmsError::invalid(
            "status",
            format!("a {} work order cannot be changed", wo.status),
        ))
    }
}

/// Writes that record a status change.
pub(crate) fn transition_writes(
    st: &Stamp,
    before: &WorkOrder,
    after: &WorkOrder,
    entries: &[TimelineEntry],
) -> Vec<Write> {
    let mut w = vec![Write::UpdateWorkOrder(after.clone())];
    w.extend(entries.iter().cloned().map(Write::InsertTimeline));
    w.push(st.audit(
        "work_order.transition",
        entity(after.id),
        Some(json(before)),
        Some(json(after)),
    ));
    for e in entries {
        let payload = serde_json::json!({
            "number": after.number, "from": e.from_status, "to": e.to_status, "reason": e.reason,
        });
        w.push(st.event(
            EventKind::WorkOrderStatusChanged,
            entity(after.id),
            audience(after, Permission::WorkOrderRead),
            payload,
        ));
    }
    w
}

/// Several status steps committed as one write: the record's version moves by one.
pub(crate) fn steps(
    wo: &WorkOrder,
    path: &[WorkOrderStatus],
    reason: Option<&str>,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<(WorkOrder, Vec<TimelineEntry>)> {
    let mut current = wo.clone();
    let mut entries = Vec::new();
    for to in path {
        let input = TransitionInput {
            reason: reason.map(str::to_string),
            ..TransitionInput::default()
        };
        let facts = TransitionFacts {
            checklist: &[],
            failure_codes_required: false,
        };
        let t = status::decide_transition(&current, *to, input, facts, actor, now)?;
        current = t.work_order;
        entries.push(t.entry);
    }
    current.version = wo.version + 1;
    Ok((current, entries))
}

impl Cmms {
    /// Resolves and checks where something is: the site (given, or from the asset or
    /// location) and that location and asset belong to it.
    pub(crate) async fn resolve_place(
        &self,
        actor: &Actor,
        site: Option<SiteId>,
        location: Option<LocationId>,
        asset: Option<AssetId>,
    ) -> Result<SiteId> {
        let asset = match asset {
            Some(id) => Some(self.get_asset(actor, id).await?),
            None => None,
        };
        let loc = match location {
            Some(id) => Some(
                self.store
                    .get_location(actor.org(), id)
                    .await?
                    .ok_or_else(|| CmmsError::not_found("location", id))?,
            ),
            None => None,
        };
        let site = site
            .or(asset.as_ref().map(|a| a.site_id))
            .or(loc.as_ref().map(|l| l.site_id))
            .ok_or_else(|| {
                CmmsError::invalid("site_id", "is required (or give an asset or location)")
            })?;
        self.get_site(actor, site).await?;
        if asset.as_ref().is_some_and(|a| a.site_id != site) {
            return Err(CmmsError::invalid(
                "asset_id",
                "the asset belongs to another site",
            ));
        }
        if loc.as_ref().is_some_and(|l| l.site_id != site) {
            return Err(CmmsError::invalid(
                "location_id",
                "the location belongs to another site",
            ));
        }
        Ok(site)
    }

    /// Checks that assignees exist and are active, and that the team exists.
    pub(crate) async fn check_people(
        &self,
        actor: &Actor,
        assignees: &[UserId],
        team: Option<TeamId>,
    ) -> Result<()> {
        let found = self.store.users_by_ids(actor.org(), assignees).await?;
        for id in assignees {
            match found.iter().find(|u| u.id == *id) {
                None => return Err(CmmsError::not_found("user", id)),
                Some(u) if !u.active => {
                    return Err(CmmsError::invalid(
                        "assignees",
                        format!("user {id} is inactive"),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(t) = team {
            self.store
                .get_team(actor.org(), t)
                .await?
                .ok_or_else(|| CmmsError::not_found("team", t))?;
        }
        Ok(())
    }

    /// Creates a work order with the org's next number. It starts `requested` when the creator
    /// may not approve work, else `assigned` or `open`.
    ///
    /// ```
    /// # async fn demo(cmms: &cmms_core::Cmms, actor: &cmms_core::Actor, site: cmms_core::SiteId) -> cmms_core::Result<()> {
    /// use cmms_core::domain::work_order::{NewWorkOrder, Priority};
    /// let wo = cmms
    ///     .create_work_order(actor, NewWorkOrder {
    ///         title: "Replace pump seal".into(),
    ///         site_id: Some(site),
    ///         priority: Some(Priority::High),
    ///         ..NewWorkOrder::default()
    ///     })
    ///     .await?;
    /// assert!(wo.number.starts_with("WO-"));
    /// # Ok(()) }
    /// ```
    pub async fn create_work_order(&self, actor: &Actor, input: NewWorkOrder) -> Result<WorkOrder> {
        require_held(actor, Permission::WorkOrderCreate)?;
        let checked = wo_rules::check_new(&input)?;
        let site = self
            .resolve_place(actor, input.site_id, input.location_id, input.asset_id)
            .await?;
        self.check_people(actor, &checked.assignees, input.team_id)
            .await?;
        let requested_by = input.requested_by.or(actor.user_id());
        if let Some(r) = input.requested_by {
            self.check_people(actor, &[r], None).await?;
        }
        let now = self.now();
        let mut draft = WorkOrder {
            id: WorkOrderId::new(),
            org_id: actor.org(),
            number: String::new(),
            title: checked.title,
            description: checked.description,
            wo_type: input.wo_type.unwrap_or(WorkOrderType::Corrective),
            priority: input.priority.unwrap_or(Priority::Medium),
            category: checked.category,
            status: WorkOrderStatus::Open,
            site_id: site,
            location_id: input.location_id,
            asset_id: input.asset_id,
            assignees: checked.assignees,
            team_id: input.team_id,
            requested_by,
            created_by: actor.user_id(),
            request_id: None,
            due_at: input.due_at,
            estimated_hours: checked.estimated_hours,
            actual_start: None,
            actual_end: None,
            verified_by: None,
            verified_at: None,
            closed_at: None,
            completion_notes: None,
            failure: Default::default(),
            attachments: input.attachments,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        rbac::authorize(actor, Permission::WorkOrderCreate, &draft.resource())?;
        let self_only =
            draft.assignees.iter().all(|a| Some(*a) == actor.user_id()) && draft.team_id.is_none();
        if !draft.assignees.is_empty() || draft.team_id.is_some() {
            let perm = if self_only {
                Permission::WorkOrderSelfAssign
            } else {
                Permission::WorkOrderAssign
            };
            rbac::authorize(actor, perm, &draft.resource())?;
        }
        if requested_by != actor.user_id() {
            rbac::authorize(actor, Permission::WorkOrderApprove, &draft.resource())?;
        }
        let can_approve = rbac::can(actor, Permission::WorkOrderApprove, &draft.resource());
        draft.status = status::initial_status(
            can_approve,
            !draft.assignees.is_empty() || draft.team_id.is_some(),
        );
        let items: Vec<ChecklistItem> = input
            .checklist
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                item.into_item(actor.org(), draft.id, i32::try_from(i).unwrap_or(i32::MAX))
            })
            .collect();
        self.insert_numbered_work_order(actor, draft, items, Vec::new())
            .await
    }

    /// Commits a new work order, drawing its number inside the transaction; `after` are writes
    /// that must follow the insert (they may reference it).
    pub(crate) async fn insert_numbered_work_order(
        &self,
        actor: &Actor,
        draft: WorkOrder,
        items: Vec<ChecklistItem>,
        after: Vec<Write>,
    ) -> Result<WorkOrder> {
        let org = self.load_org(actor.org()).await?;
        let format = NumberFormat::parse(
            &org.settings.work_order_number_format,
            "work_order_number_format",
        )?;
        let tz = org.settings.tz();
        let now = draft.created_at;
        let key = format.counter_key("work_order", now, tz);
        let st = Stamp::new(actor, now);
        let numbered = {
            let (draft, format) = (draft.clone(), format.clone());
            move |n: i64| WorkOrder {
                number: format.render(n, now, tz),
                ..draft
            }
        };
        let build_with = numbered.clone();
        let cs = Changeset::new().with_numbers(vec![key], move |values: &[i64]| {
            let wo = build_with(values.first().copied().unwrap_or_default());
            let entry = TimelineEntry {
                id: TimelineId::new(),
                org_id: wo.org_id,
                work_order_id: wo.id,
                from_status: None,
                to_status: wo.status,
                actor_id: st.actor_id,
                reason: None,
                at: now,
            };
            let mut w = vec![
                Write::InsertWorkOrder(wo.clone()),
                Write::InsertTimeline(entry),
            ];
            w.extend(items.into_iter().map(Write::InsertChecklistItem));
            w.push(st.audit("work_order.create", entity(wo.id), None, Some(json(&wo))));
            w.push(st.event(
                EventKind::WorkOrderCreated,
                entity(wo.id),
                audience(&wo, Permission::WorkOrderRead),
                json(&wo),
            ));
            w.extend(after);
            w
        });
        let receipt = self.commit(actor, cs).await?;
        Ok(numbered(
            receipt.numbers.first().copied().unwrap_or_default(),
        ))
    }

    /// One work order (another tenant's, or one the actor may not read, is `NotFound`).
    pub async fn get_work_order(&self, actor: &Actor, id: WorkOrderId) -> Result<WorkOrder> {
        let wo = self
            .store
            .get_work_order(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("work_order", id))?;
        require_readable(
            actor,
            Permission::WorkOrderRead,
            &wo.resource(),
            "work_order",
            id,
        )?;
        Ok(wo)
    }

    /// Edits a work order's fields.
    pub async fn update_work_order(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        patch: WorkOrderPatch,
        expected_version: Option<i64>,
    ) -> Result<WorkOrder> {
        let before = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderUpdate, &before.resource())?;
        check_version("work_order", before.version, expected_version)?;
        require_open(&before)?;
        let after = before.patched(patch, self.now())?;
        if (after.location_id, after.asset_id) != (before.location_id, before.asset_id) {
            self.resolve_place(
                actor,
                Some(after.site_id),
                after.location_id,
                after.asset_id,
            )
            .await?;
        }
        if after.team_id != before.team_id {
            self.check_people(actor, &[], after.team_id).await?;
        }
        let st = Stamp::new(actor, after.updated_at);
        let mut cs = Changeset::new();
        cs.push(Write::UpdateWorkOrder(after.clone()));
        cs.push(st.audit(
            "work_order.update",
            entity(id),
            Some(json(&before)),
            Some(json(&after)),
        ));
        cs.push(st.event(
            EventKind::WorkOrderUpdated,
            entity(id),
            audience(&after, Permission::WorkOrderRead),
            json(&after),
        ));
        self.commit(actor, cs).await?;
        Ok(after)
    }

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
        check_version("work_order", before.version, input.expected_version)?;
        let edge = status::require_edge(before.status, to)?;
        rbac::authorize(actor, edge.permission, &before.resource())?;
        let completing = to == WorkOrderStatus::Completed;
        let checklist = if completing {
            self.store.checklist(actor.org(), id).await?
        } else {
            Vec::new()
        };
        let required = if completing {
            self.load_org(actor.org())
                .await?
                .settings
                .require_failure_codes
        } else {
            false
        };
        if let (true, Some(f)) = (completing, &input.failure) {
            self.check_failure_codes(actor, f).await?;
        }
        let facts = TransitionFacts {
            checklist: &checklist,
            failure_codes_required: required,
        };
        let t = status::decide_transition(&before, to, input, facts, actor.user_id(), self.now())?;
        let st = Stamp::new(actor, t.entry.at);
        let mut cs = Changeset::new();
        cs.extend(transition_writes(&st, &before, &t.work_order, &[t.entry]));
        self.commit(actor, cs).await?;
        Ok(t.work_order)
    }

    async fn check_failure_codes(&self, actor: &Actor, f: &wo_rules::FailureReport) -> Result<()> {
        use crate::domain::failure_code::FailureCodeKind as K;
        let codes = self.store.list_failure_codes(actor.org()).await?;
        let mut p = Problems::new();
        for (field, kind, value) in [
            ("failure.problem", K::Problem, &f.problem),
            ("failure.cause", K::Cause, &f.cause),
            ("failure.remedy", K::Remedy, &f.remedy),
        ] {
            if let Some(v) = value {
                if !codes.iter().any(|c| c.kind == kind && c.code == *v) {
                    p.add(
                        field,
                        format!(
                            "unknown {kind} code '{}'",
                            v.chars().take(40).collect::<String>()
                        ),
                    );
                }
            }
        }
        p.finish()
    }

    /// Replaces the assignees and team. Assigning open work moves it to `assigned`;
    /// unassigning everyone from `assigned` work moves it back to `open`.
    pub async fn assign_work_order(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        assignment: Assignment,
    ) -> Result<WorkOrder> {
        let before = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderAssign, &before.resource())?;
        check_version("work_order", before.version, assignment.expected_version)?;
        require_open(&before)?;
        let mut p = Problems::new();
        let assignees = wo_rules::dedup_assignees(&mut p, &assignment.assignees);
        p.finish()?;
        self.check_people(actor, &assignees, assignment.team_id)
            .await?;
        let now = self.now();
        let staffed = WorkOrder {
            assignees,
            team_id: assignment.team_id,
            updated_at: now,
            ..before.clone()
        };
        let has = !staffed.assignees.is_empty() || staffed.team_id.is_some();
        let path: &[WorkOrderStatus] = match (before.status, has) {
            (WorkOrderStatus::Open, true) => &[WorkOrderStatus::Assigned],
            (WorkOrderStatus::Assigned, false) => &[WorkOrderStatus::Open],
            _ => &[],
        };
        let (after, entries) = steps(&staffed, path, None, actor.user_id(), now)?;
        self.commit_assignment(actor, &before, after, entries).await
    }

    async fn commit_assignment(
        &self,
        actor: &Actor,
        before: &WorkOrder,
        after: WorkOrder,
        entries: Vec<TimelineEntry>,
    ) -> Result<WorkOrder> {
        let st = Stamp::new(actor, after.updated_at);
        let mut cs = Changeset::new();
        cs.extend(
            transition_writes(&st, before, &after, &entries)
                .into_iter()
                .filter(|w| !matches!(w, Write::AppendAudit(_))),
        );
        cs.push(st.audit(
            "work_order.assign",
            entity(after.id),
            Some(json(before)),
            Some(json(&after)),
        ));
        let payload = serde_json::json!({ "number": after.number, "assignees": after.assignees, "team_id": after.team_id });
        cs.push(st.event(
            EventKind::WorkOrderAssigned,
            entity(after.id),
            audience(&after, Permission::WorkOrderRead),
            payload,
        ));
        self.commit(actor, cs).await?;
        Ok(after)
    }

    /// Takes an open, unassigned work order oneself. Work already assigned to someone (or a
    /// team) is a `Conflict`: no silent take-over.
    pub async fn self_assign(&self, actor: &Actor, id: WorkOrderId) -> Result<WorkOrder> {
        let before = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderSelfAssign, &before.resource())?;
        let me = actor.user_id().ok_or(CmmsError::Unauthenticated)?;
        if !before.assignees.is_empty() || before.team_id.is_some() {
            return Err(CmmsError::conflict(
                "the work order is already assigned; ask a manager to reassign it",
            ));
        }
        status::require_edge(before.status, WorkOrderStatus::Assigned)?;
        let now = self.now();
        let staffed = WorkOrder {
            assignees: vec![me],
            updated_at: now,
            ..before.clone()
        };
        let (after, entries) = steps(&staffed, &[WorkOrderStatus::Assigned], None, Some(me), now)?;
        self.commit_assignment(actor, &before, after, entries).await
    }

    /// Deletes a work order that has not started (requested, open, assigned or cancelled) and
    /// did not come from a request.
    pub async fn delete_work_order(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        expected_version: Option<i64>,
    ) -> Result<()> {
        let wo = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderDelete, &wo.resource())?;
        check_version("work_order", wo.version, expected_version)?;
        let deletable = [
            WorkOrderStatus::Requested,
            WorkOrderStatus::Open,
            WorkOrderStatus::Assigned,
            WorkOrderStatus::Cancelled,
        ];
        if !deletable.contains(&wo.status) {
            return Err(CmmsError::invalid(
                "status",
                format!(
                    "a {} work order cannot be deleted; cancel or close it",
                    wo.status
                ),
            ));
        }
        if wo.request_id.is_some() {
            return Err(CmmsError::invalid(
                "request_id",
                "work that came from a request cannot be deleted; cancel it",
            ));
        }
        let st = Stamp::new(actor, self.now());
        let mut cs = Changeset::new();
        cs.push(Write::DeleteWorkOrder {
            id,
            version: wo.version,
        });
        cs.push(st.audit("work_order.delete", entity(id), Some(json(&wo)), None));
        cs.push(st.event(
            EventKind::WorkOrderDeleted,
            entity(id),
            audience(&wo, Permission::WorkOrderRead),
            serde_json::json!({ "number": wo.number }),
        ));
        self.commit(actor, cs).await?;
        Ok(())
    }

    /// A page of the work orders the actor may see, filtered and sorted.
    pub async fn list_work_orders(
        &self,
        actor: &Actor,
        filter: WorkOrderFilter,
    ) -> Result<Page<WorkOrder>> {
        require_held(actor, Permission::WorkOrderRead)?;
        let limit = check_limit(filter.limit)?;
        if filter
            .text
            .as_ref()
            .is_some_and(|t| t.chars().count() > 200)
        {
            return Err(CmmsError::invalid("text", "must be at most 200 characters"));
        }
        self.check_filter_refs(actor, &filter).await?;
        let sort_name = sort_name(filter.sort);
        let after = filter
            .cursor
            .as_deref()
            .map(|c| decode_cursor(&sort_name, c, false))
            .transpose()?;
        let visibility = rbac::visibility(actor, Permission::WorkOrderRead);
        let sort = filter.sort;
        let query = WorkOrderQuery {
            filter,
            visibility,
            after,
            fetch: limit + 1,
        };
        let mut items = self.store.list_work_orders(actor.org(), &query).await?;
        let next_cursor = page_cursor(&mut items, limit, |w| sort_key(sort, w))
            .map(|k| encode_cursor(&sort_name, &k));
        Ok(Page { items, next_cursor })
    }

    /// Ids in a filter must exist in the actor's organization (another tenant's are NotFound).
    async fn check_filter_refs(&self, actor: &Actor, f: &WorkOrderFilter) -> Result<()> {
        let org = actor.org();
        if let Some(id) = f.asset {
            self.store
                .get_asset(org, id)
                .await?
                .ok_or_else(|| CmmsError::not_found("asset", id))?;
        }
        if let Some(id) = f.site {
            self.store
                .get_site(org, id)
                .await?
                .ok_or_else(|| CmmsError::not_found("site", id))?;
        }
        if let Some(id) = f.location {
            self.store
                .get_location(org, id)
                .await?
                .ok_or_else(|| CmmsError::not_found("location", id))?;
        }
        let users: Vec<UserId> = f.assignee.into_iter().chain(f.requested_by).collect();
        if !users.is_empty() {
            let found = self.store.users_by_ids(org, &users).await?;
            if let Some(missing) = users.iter().find(|u| !found.iter().any(|x| x.id == **u)) {
                return Err(CmmsError::not_found("user", missing));
            }
        }
        if let Some(id) = f.team {
            self.store
                .get_team(org, id)
                .await?
                .ok_or_else(|| CmmsError::not_found("team", id))?;
        }
        Ok(())
    }
}

fn sort_name(sort: WorkOrderSort) -> String {
    format!("{}:{}", sort.field, sort.direction)
}

/// The keyset position of a work order in a sort.
pub fn sort_key(sort: WorkOrderSort, wo: &WorkOrder) -> SortKey {
    let value = match sort.field {
        WorkOrderSortField::Created => Some(wo.created_at.timestamp_micros()),
        WorkOrderSortField::Updated => Some(wo.updated_at.timestamp_micros()),
        WorkOrderSortField::Due => wo.due_at.map(|d| d.timestamp_micros()),
        WorkOrderSortField::Priority => Some(wo.priority.rank()),
    };
    SortKey {
        value: value.map(KeyValue::Int),
        id: wo.id.uuid(),
    }
}
