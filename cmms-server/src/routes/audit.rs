//! The audit trail and its verification.

use super::Op;
use crate::extract::{Caller, ListQuery};
use crate::problem::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::routing::get;
use cmms_core::domain::audit::{AuditEntry, BrokenLink};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Range {
    /// Entries after this sequence number.
    #[serde(default)]
    after: i64,
    /// At most this many (1 to 500, default 50: the bound of every list).
    #[serde(default)]
    limit: Option<u32>,
}

/// The verdict on the hash chain.
#[derive(Debug, Serialize, JsonSchema)]
struct Verification {
    /// Whether every entry is intact.
    ok: bool,
    /// The first broken link, if any.
    broken: Option<BrokenLink>,
}

async fn entries(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<Range>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    Ok(Json(s.cmms().audit_entries(&a, q.after, q.limit).await?))
}

async fn verify(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Verification>> {
    let broken = s.cmms().verify_audit_chain(&a).await?;
    Ok(Json(Verification { ok: broken.is_none(), broken }))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get("/audit", "auditEntries", "Audit entries in chain order", get(entries))
            .query::<Range>()
            .returns::<Vec<AuditEntry>>(200),
        Op::get("/audit/verify", "verifyAudit", "Verify the audit hash chain", get(verify))
            .returns::<Verification>(200),
    ]
}
