//! Comments on work orders. Internal comments are for staff only and are never shown to
//! requesters (the `work_order.internal` permission decides).

use crate::error::{Problems, Result};
use crate::ids::{CommentId, OrgId, UserId, WorkOrderId};
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Comment {
    /// Id.
    pub id: CommentId,
    /// Organization.
    pub org_id: OrgId,
    /// Work order.
    pub work_order_id: WorkOrderId,
    /// Author (`None` = the system).
    pub author_id: Option<UserId>,
    /// Text (1–5000 characters).
    pub body: String,
    /// Staff-only comment.
    pub internal: bool,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl Comment {
    /// A new comment from checked input.
    pub fn create(
        org_id: OrgId,
        work_order_id: WorkOrderId,
        author_id: Option<UserId>,
        body: &str,
        internal: bool,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut p = Problems::new();
        let body = validate::text(&mut p, "body", body, 1, 5000);
        p.finish()?;
        Ok(Self {
            id: CommentId::new(),
            org_id,
            work_order_id,
            author_id,
            body,
            internal,
            created_at: now,
        })
    }
}
