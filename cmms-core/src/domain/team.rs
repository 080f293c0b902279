//! Teams: groups of users that work can be assigned to.

use crate::error::{Problems, Result};
use crate::ids::{OrgId, SiteId, TeamId, UserId};
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Team {
    /// Id.
    pub id: TeamId,
    /// Organization.
    pub org_id: OrgId,
    /// Name (unique per organization is not required).
    pub name: String,
    /// Home site, if the team belongs to one.
    pub site_id: Option<SiteId>,
    /// Members.
    pub members: Vec<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create a team.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// Name.
    pub name: String,
    /// Home site.
    pub site_id: Option<SiteId>,
    /// Members.
    pub members: Vec<UserId>,
}

/// Changes to a team.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    /// New name.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    /// New home site (`Some(None)` clears).
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<SiteId>"))]
    pub site_id: Option<Option<SiteId>>,
    /// New member list (replaces the old one).
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Vec<UserId>"))]
    pub members: Option<Vec<UserId>>,
}

fn dedup(mut ids: Vec<UserId>) -> Vec<UserId> {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids
}

impl Team {
    /// A new team from checked input.
    pub fn create(org_id: OrgId, input: NewTeam, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let name = validate::text(&mut p, "name", &input.name, 1, 200);
        if input.members.len() > 500 {
            p.add("members", "at most 500 members");
        }
        p.finish()?;
        Ok(Self {
            id: TeamId::new(),
            org_id,
            name,
            site_id: input.site_id,
            members: dedup(input.members),
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// This team with `patch` applied, as the next version.
    pub fn patched(&self, patch: TeamPatch, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let mut next = self.clone();
        if let Some(name) = patch.name {
            next.name = validate::text(&mut p, "name", &name, 1, 200);
        }
        if let Some(site) = patch.site_id {
            next.site_id = site;
        }
        if let Some(members) = patch.members {
            if members.len() > 500 {
                p.add("members", "at most 500 members");
            }
            next.members = dedup(members);
        }
        p.finish()?;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }
}
