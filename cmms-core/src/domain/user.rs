//! Users, role grants and custom roles.

use crate::error::{Problems, Result};
use crate::ids::{GrantId, OrgId, RoleId, SiteId, UserId};
use crate::rbac::{BuiltinRole, Condition, Permission, PermissionSet, RoleDef, RoleRef};
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An email address as stored and looked up: trimmed and lowercased. Use it wherever an
/// address typed by someone is compared or used as a key.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A user of one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Organization.
    pub org_id: OrgId,
    /// Display name.
    pub name: String,
    /// Email, lower-cased, unique per organization.
    pub email: String,
    /// Inactive users cannot act.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create a user, optionally with a first role grant.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// A role to grant right away.
    pub role: Option<RoleRef>,
    /// Sites for that grant; `None` grants at org scope.
    pub sites: Option<Vec<SiteId>>,
}

/// Changes to a user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New name.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    /// New email.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub email: Option<String>,
    /// Activate or deactivate.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "bool"))]
    pub active: Option<bool>,
}

impl User {
    /// A new user from checked input.
    pub fn create(org_id: OrgId, name: &str, email: &str, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let name = validate::text(&mut p, "name", name, 1, 200);
        let email = validate::email(&mut p, "email", email);
        p.finish()?;
        Ok(Self {
            id: UserId::new(),
            org_id,
            name,
            email,
            active: true,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// This user with `patch` applied, as the next version.
    pub fn patched(&self, patch: UserPatch, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let mut next = self.clone();
        if let Some(name) = patch.name {
            next.name = validate::text(&mut p, "name", &name, 1, 200);
        }
        if let Some(email) = patch.email {
            next.email = validate::email(&mut p, "email", &email);
        }
        if let Some(active) = patch.active {
            next.active = active;
        }
        p.finish()?;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }
}

/// A role held by a user at org scope (`sites == None`) or for listed sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct RoleGrant {
    /// Id.
    pub id: GrantId,
    /// Organization.
    pub org_id: OrgId,
    /// The user holding the role.
    pub user_id: UserId,
    /// The role.
    pub role: RoleRef,
    /// Scope: `None` = whole organization.
    pub sites: Option<Vec<SiteId>>,
    /// Who granted it (`None` = the system, e.g. at bootstrap).
    pub granted_by: Option<UserId>,
    /// When.
    pub granted_at: DateTime<Utc>,
}

/// A custom role defined by an organization from the same permissions as the built-ins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CustomRole {
    /// Id.
    pub id: RoleId,
    /// Organization.
    pub org_id: OrgId,
    /// Name, unique per organization and not a built-in role's name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Level for the grant-below rule; below the admin level.
    pub level: u8,
    /// Permissions with their conditions.
    pub permissions: BTreeMap<Permission, Condition>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to define a custom role.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Level (1 to 89, and below the creator's).
    pub level: u8,
    /// Permissions.
    pub permissions: BTreeMap<Permission, Condition>,
}

/// Changes to a custom role (its holders' powers change with it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    /// New name.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    /// New description (`Some(None)` clears).
    #[serde(with = "crate::domain::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub description: Option<Option<String>>,
    /// New level.
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "u8"))]
    pub level: Option<u8>,
    /// New permissions (replace the old ones).
    #[serde(
        default,
        deserialize_with = "crate::domain::not_null::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "BTreeMap<Permission, Condition>"))]
    pub permissions: Option<BTreeMap<Permission, Condition>>,
}

impl CustomRole {
    /// This role with `patch` applied, as the next version.
    pub fn patched(&self, patch: RolePatch, now: DateTime<Utc>) -> Result<Self> {
        let input = NewRole {
            name: patch.name.unwrap_or_else(|| self.name.clone()),
            description: patch.description.unwrap_or_else(|| self.description.clone()),
            level: patch.level.unwrap_or(self.level),
            permissions: patch.permissions.unwrap_or_else(|| self.permissions.clone()),
        };
        let checked = Self::create(self.org_id, input, now)?;
        Ok(Self { id: self.id, created_at: self.created_at, version: self.version + 1, ..checked })
    }

    /// A new custom role from checked input.
    pub fn create(org_id: OrgId, input: NewRole, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let name = validate::text(&mut p, "name", &input.name, 1, 80);
        if name.parse::<BuiltinRole>().is_ok() {
            p.add("name", "is the name of a built-in role");
        }
        let description =
            validate::opt_text(&mut p, "description", input.description.as_deref(), 500);
        if input.level == 0 || input.level >= BuiltinRole::ADMIN_LEVEL {
            p.add("level", format!("must be between 1 and {}", BuiltinRole::ADMIN_LEVEL - 1));
        }
        if input.permissions.is_empty() {
            p.add("permissions", "must hold at least one permission");
        }
        p.finish()?;
        Ok(Self {
            id: RoleId::new(),
            org_id,
            name,
            description,
            level: input.level,
            permissions: input.permissions,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// The role as the checks see it.
    pub fn def(&self) -> RoleDef {
        let pairs: Vec<_> = self.permissions.iter().map(|(p, c)| (*p, *c)).collect();
        RoleDef {
            role: RoleRef::Custom(self.id),
            level: self.level,
            permissions: PermissionSet::from_pairs(&pairs),
        }
    }
}
