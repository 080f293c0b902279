//! List queries: filters, visibility, sort and cursor pagination shared by every store.
//!
//! Keyset pagination contract for stores: rows are ordered by the sort key, then by id, both in
//! the sort's direction; `Due` keys are nullable and NULLs come last in both directions. With
//! `after = Some(k)`, a store returns only rows strictly after `k` in that order:
//! for a non-null key value v and id i, descending: `key < v OR (key = v AND id < i)`,
//! ascending: `key > v OR (key = v AND id > i)`, plus `OR key IS NULL` for nullable keys; for a
//! null key, `key IS NULL AND id </> i`. A store returns at most `fetch` rows.

use super::cursor::SortKey;
use crate::domain::asset::AssetState;
use crate::domain::request::RequestStatus;
use crate::domain::status::WorkOrderStatus;
use crate::domain::work_order::{Priority, WorkOrderType};
use crate::error::{CmmsError, Result};
use crate::ids::{AssetId, LocationId, SiteId, TeamId, UserId};
use crate::macros::string_enum;
use crate::rbac::Visibility;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Sort direction.
    Direction, field = "sort" {
        /// Smallest first.
        Asc => "asc",
        /// Largest first.
        Desc => "desc",
    }
}

string_enum! {
    /// What work orders are sorted by.
    WorkOrderSortField, field = "sort" {
        /// Creation time.
        Created => "created",
        /// Last change.
        Updated => "updated",
        /// Due date (work without one comes last).
        Due => "due",
        /// Priority.
        Priority => "priority",
    }
}

/// A work order sort: field and direction. Parses from `created`, `-created`, `due:asc`, ...
/// and deserializes from that text or from `{"field": ..., "direction": ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(try_from = "SortWire")]
pub struct WorkOrderSort {
    /// Field.
    pub field: WorkOrderSortField,
    /// Direction.
    pub direction: Direction,
}

#[derive(Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(untagged)]
enum SortWire {
    Text(String),
    Parts { field: WorkOrderSortField, direction: Option<Direction> },
}

impl TryFrom<SortWire> for WorkOrderSort {
    type Error = CmmsError;
    fn try_from(wire: SortWire) -> Result<Self> {
        match wire {
            SortWire::Text(text) => text.parse(),
            SortWire::Parts { field, direction: Some(direction) } => Ok(Self { field, direction }),
            SortWire::Parts { field, direction: None } => field.as_str().parse(),
        }
    }
}

impl Default for WorkOrderSort {
    fn default() -> Self {
        Self { field: WorkOrderSortField::Created, direction: Direction::Desc }
    }
}

impl std::str::FromStr for WorkOrderSort {
    type Err = CmmsError;
    /// `created` (its natural direction), `-created` (descending), `created:asc`.
    fn from_str(s: &str) -> Result<Self> {
        let (field, dir) = match (s.strip_prefix('-'), s.split_once(':')) {
            (Some(f), _) => (f, Some(Direction::Desc)),
            (None, Some((f, d))) => (f, Some(d.parse()?)),
            (None, None) => (s, None),
        };
        let field: WorkOrderSortField = field.parse()?;
        let natural = match field {
            WorkOrderSortField::Due => Direction::Asc,
            _ => Direction::Desc,
        };
        Ok(Self { field, direction: dir.unwrap_or(natural) })
    }
}

/// Filters for listing work orders (all optional; combined with AND).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct WorkOrderFilter {
    /// Any of these statuses.
    pub status: Vec<WorkOrderStatus>,
    /// Any of these priorities.
    pub priority: Vec<Priority>,
    /// Any of these types.
    #[serde(rename = "type")]
    pub wo_type: Vec<WorkOrderType>,
    /// Assigned to this user.
    pub assignee: Option<UserId>,
    /// Assigned to this team.
    pub team: Option<TeamId>,
    /// On this asset or (with `include_sub_assets`) anything below it.
    pub asset: Option<AssetId>,
    /// Include the asset's sub-tree.
    pub include_sub_assets: bool,
    /// At this site.
    pub site: Option<SiteId>,
    /// At this location.
    pub location: Option<LocationId>,
    /// Requested by this user.
    pub requested_by: Option<UserId>,
    /// Due at or after.
    pub due_from: Option<DateTime<Utc>>,
    /// Due before.
    pub due_to: Option<DateTime<Utc>>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Words to find: every word must start a word of the title, description or number, in any
    /// order, case and accents folded (`cmms_core::search`).
    pub text: Option<String>,
    /// Sort (default newest first).
    pub sort: WorkOrderSort,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
    /// `exact`: also count every row the list would show over all its pages (costs a count
    /// query, so it is off by default).
    pub count: Option<Count>,
}

/// A work order list query as a store receives it.
#[derive(Debug, Clone)]
pub struct WorkOrderQuery {
    /// The filters.
    pub filter: WorkOrderFilter,
    /// Rows the actor may see.
    pub visibility: Visibility,
    /// Start after this key.
    pub after: Option<SortKey>,
    /// Rows to return at most.
    pub fetch: u32,
}

impl WorkOrderQuery {
    /// The assignee whose "my work" list this is, when a store should read it from the
    /// assignee side: joined to `work_order_assignees` and walked in its by-user index, ordered
    /// by the copy of `created_at` it holds (migration 0014), so a page costs a page of index
    /// entries whatever the organization's size. Only for the creation order the copy keeps,
    /// and not for text searches, which start from the text index.
    pub fn assignee_side(&self) -> Option<crate::UserId> {
        let f = &self.filter;
        (f.sort.field == WorkOrderSortField::Created && f.text.is_none()).then_some(f.assignee?)
    }
}

/// How a list counts its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// An exact count (`SELECT count(*)` with the list's filters and visibility).
    Exact,
}

/// Filters for listing assets; sorted by name, then id.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct AssetFilter {
    /// At this site.
    pub site: Option<SiteId>,
    /// At this location.
    pub location: Option<LocationId>,
    /// Children of this asset.
    pub parent: Option<AssetId>,
    /// Only top-level assets.
    pub roots_only: bool,
    /// In this state.
    pub state: Option<AssetState>,
    /// In this category.
    pub category: Option<String>,
    /// Text in the name, code or serial number.
    pub text: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// Cursor.
    pub cursor: Option<String>,
    /// `exact`: also count every row the list would show over all its pages (costs a count
    /// query, so it is off by default).
    pub count: Option<Count>,
}

/// An asset list query as a store receives it.
#[derive(Debug, Clone)]
pub struct AssetQuery {
    /// The filters.
    pub filter: AssetFilter,
    /// Sites the actor may see (`None`: all).
    pub sites: Option<Vec<SiteId>>,
    /// Start after this (name, id).
    pub after: Option<SortKey>,
    /// Rows to return at most.
    pub fetch: u32,
}

/// Filters for listing requests; newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct RequestFilter {
    /// Any of these statuses.
    pub status: Vec<RequestStatus>,
    /// At this site.
    pub site: Option<SiteId>,
    /// Filed by this user.
    pub requested_by: Option<UserId>,
    /// Words to find, as for work orders (`cmms_core::search`).
    pub text: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// Cursor.
    pub cursor: Option<String>,
    /// `exact`: also count every row the list would show over all its pages (costs a count
    /// query, so it is off by default).
    pub count: Option<Count>,
}

/// A request list query as a store receives it (sorted by created_at, id descending).
#[derive(Debug, Clone)]
pub struct RequestQuery {
    /// The filters.
    pub filter: RequestFilter,
    /// Rows the actor may see.
    pub visibility: Visibility,
    /// Start after this key (created_at micros, id).
    pub after: Option<SortKey>,
    /// Rows to return at most.
    pub fetch: u32,
}

/// Filters for listing users; sorted by email.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct UserFilter {
    /// Only active (true) or inactive (false) users.
    pub active: Option<bool>,
    /// Text in name or email.
    pub text: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// Cursor.
    pub cursor: Option<String>,
    /// `exact`: also count every row the list would show over all its pages (costs a count
    /// query, so it is off by default).
    pub count: Option<Count>,
}

/// A user list query as a store receives it (sorted by email, id ascending).
#[derive(Debug, Clone)]
pub struct UserQuery {
    /// The filters.
    pub filter: UserFilter,
    /// Start after this key (email, id).
    pub after: Option<SortKey>,
    /// Rows to return at most.
    pub fetch: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_with_natural_directions() {
        let s = |t: &str| t.parse::<WorkOrderSort>().unwrap();
        assert_eq!(
            s("created"),
            WorkOrderSort { field: WorkOrderSortField::Created, direction: Direction::Desc }
        );
        assert_eq!(
            s("due"),
            WorkOrderSort { field: WorkOrderSortField::Due, direction: Direction::Asc }
        );
        assert_eq!(s("-due").direction, Direction::Desc);
        assert_eq!(s("priority:asc").direction, Direction::Asc);
        assert!("due:up".parse::<WorkOrderSort>().is_err());
        let from_text: WorkOrderSort = serde_json::from_str("\"-due\"").unwrap();
        assert_eq!(from_text, s("-due"));
        let from_parts: WorkOrderSort = serde_json::from_str(r#"{"field":"priority"}"#).unwrap();
        assert_eq!(from_parts, s("priority"));
    }
}
