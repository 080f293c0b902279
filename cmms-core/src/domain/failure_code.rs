//! Org-defined failure codes: problem (failure mode), cause and remedy, ISO 14224 style.

use crate::error::{Problems, Result};
use crate::ids::{FailureCodeId, OrgId};
use crate::macros::string_enum;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Which list a failure code belongs to.
    FailureCodeKind, field = "kind" {
        /// What failed / how (failure mode).
        Problem => "problem",
        /// Why it failed.
        Cause => "cause",
        /// What was done.
        Remedy => "remedy",
    }
}

/// One failure code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FailureCode {
    /// Id.
    pub id: FailureCodeId,
    /// Organization.
    pub org_id: OrgId,
    /// Kind.
    pub kind: FailureCodeKind,
    /// Code, unique per organization and kind (`LEAK`, `WEAR`).
    pub code: String,
    /// Description.
    pub description: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl FailureCode {
    /// A new code from checked input.
    pub fn create(
        org_id: OrgId,
        kind: FailureCodeKind,
        code: &str,
        description: &str,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut p = Problems::new();
        let code = crate::domain::site::short_code(&mut p, "code", code);
        let description = validate::text(&mut p, "description", description, 1, 500);
        p.finish()?;
        Ok(Self { id: FailureCodeId::new(), org_id, kind, code, description, created_at: now })
    }
}
