//! The work-order list: filters, visibility, sort and cursor pagination.

use crate::actor::Actor;
use crate::domain::work_order::WorkOrder;
use crate::error::{CmmsError, Result};
use crate::ids::UserId;
use crate::rbac::{self, Permission};
use crate::service::{Cmms, check_text_filter, page_cursor, require_held};
use crate::store::{
    Count, KeyType, KeyValue, Page, SortKey, WorkOrderFilter, WorkOrderQuery, WorkOrderSort,
    WorkOrderSortField, check_limit, decode_cursor, encode_cursor,
};

impl Cmms {
    /// A page of the work orders the actor may see, filtered and sorted.
    pub async fn list_work_orders(
        &self,
        actor: &Actor,
        filter: WorkOrderFilter,
    ) -> Result<Page<WorkOrder>> {
        require_held(actor, Permission::WorkOrderRead)?;
        let limit = check_limit(filter.limit)?;
        check_text_filter(filter.text.as_deref())?;
        self.check_filter_refs(actor, &filter).await?;
        let sort = filter.sort;
        let name = sort_name(sort);
        let after = filter
            .cursor
            .as_deref()
            .map(|c| decode_cursor(&name, c, key_type(sort)))
            .transpose()?;
        let visibility = rbac::visibility(actor, Permission::WorkOrderRead);
        let counted = filter.count;
        let query = WorkOrderQuery { filter, visibility, after, fetch: limit + 1 };
        let mut items = self.store.list_work_orders(actor.org(), &query).await?;
        let next_cursor =
            page_cursor(&mut items, limit, |w| sort_key(sort, w)).map(|k| encode_cursor(&name, &k));
        let total = match counted {
            Some(Count::Exact) => Some(self.store.count_work_orders(actor.org(), &query).await?),
            None => None,
        };
        Ok(Page { items, next_cursor, total })
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
            self.store.get_site(org, id).await?.ok_or_else(|| CmmsError::not_found("site", id))?;
        }
        if let Some(id) = f.location {
            self.load_location(actor, id).await?;
        }
        let users: Vec<UserId> = f.assignee.into_iter().chain(f.requested_by).collect();
        self.ensure_users(actor, &users, None).await?;
        if let Some(id) = f.team {
            self.store.get_team(org, id).await?.ok_or_else(|| CmmsError::not_found("team", id))?;
        }
        Ok(())
    }
}

fn key_type(sort: WorkOrderSort) -> KeyType {
    match sort.field {
        WorkOrderSortField::Created | WorkOrderSortField::Updated => KeyType::Time,
        WorkOrderSortField::Due => KeyType::NullableTime,
        WorkOrderSortField::Priority => KeyType::Int,
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
    SortKey { value: value.map(KeyValue::Int), id: wo.id.uuid() }
}
