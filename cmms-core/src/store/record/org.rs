//! Descriptions of the organization's records: orgs, sites, locations, teams, users, custom
//! roles, role grants and failure codes.

use super::ColumnType::{Bool, Int, Json, Text, Timestamp, Uuid as Id};
use super::{JoinTable, Key, Reader, Record, RowSource, Table, Values, asc, col, joined, null};
use crate::domain::failure_code::FailureCode;
use crate::domain::location::Location;
use crate::domain::org::Org;
use crate::domain::site::Site;
use crate::domain::team::Team;
use crate::domain::user::{CustomRole, RoleGrant, User};
use crate::error::StoreError;
use crate::ids::OrgId;
use crate::rbac::RoleRef;

type R<T> = Result<T, StoreError>;

/// `orgs`.
pub static ORGS: Table = Table {
    name: "orgs",
    entity: "org",
    columns: &[
        col("id", Id),
        col("name", Text),
        col("slug", Text),
        col("settings", Json),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Tenant,
    versioned: true,
    parent: None,
    order: &[asc("id")],
};

impl Record for Org {
    const TABLE: &'static Table = &ORGS;
    fn org_id(&self) -> OrgId {
        self.id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.id).text(&self.name).text(&self.slug).json(&self.settings)?;
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            id: r.uuid()?,
            name: r.text()?,
            slug: r.text()?,
            settings: r.json()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `sites`.
pub static SITES: Table = Table {
    name: "sites",
    entity: "site",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("name", Text),
        col("code", Text),
        col("kind", Text),
        col("time_zone", Text),
        null("address", Text),
        col("active", Bool),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("code"), asc("id")],
};

impl Record for Site {
    const TABLE: &'static Table = &SITES;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.name).text(&self.code);
        v.text(self.kind.as_str()).text(&self.time_zone).opt_text(self.address.as_deref());
        v.bool(self.active).ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            name: r.text()?,
            code: r.text()?,
            kind: r.parse()?,
            time_zone: r.text()?,
            address: r.opt_text()?,
            active: r.bool()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `locations`.
pub static LOCATIONS: Table = Table {
    name: "locations",
    entity: "location",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("site_id", Id),
        null("parent_id", Id),
        col("name", Text),
        null("code", Text),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("name"), asc("id")],
};

impl Record for Location {
    const TABLE: &'static Table = &LOCATIONS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.site_id).opt_uuid(self.parent_id);
        v.text(&self.name).opt_text(self.code.as_deref());
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            site_id: r.uuid()?,
            parent_id: r.opt_uuid()?,
            name: r.text()?,
            code: r.opt_text()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `team_members`: a team's members in order.
pub static TEAM_MEMBERS: JoinTable =
    JoinTable { table: "team_members", parent: "team_id", item: "user_id", copied: None };

/// `teams`, with their members in `team_members`.
pub static TEAMS: Table = Table {
    name: "teams",
    entity: "team",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("name", Text),
        null("site_id", Id),
        joined("members", &TEAM_MEMBERS),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("name"), asc("id")],
};

impl Record for Team {
    const TABLE: &'static Table = &TEAMS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.name).opt_uuid(self.site_id);
        v.uuids(&self.members).ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            name: r.text()?,
            site_id: r.opt_uuid()?,
            members: r.uuids()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `users`.
pub static USERS: Table = Table {
    name: "users",
    entity: "user",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("name", Text),
        col("email", Text),
        col("active", Bool),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("email"), asc("id")],
};

impl Record for User {
    const TABLE: &'static Table = &USERS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.name).text(&self.email).bool(self.active);
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            name: r.text()?,
            email: r.text()?,
            active: r.bool()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `custom_roles`.
pub static CUSTOM_ROLES: Table = Table {
    name: "custom_roles",
    entity: "role",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("name", Text),
        null("description", Text),
        col("level", Int),
        col("permissions", Json),
        col("created_at", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[asc("name"), asc("id")],
};

impl Record for CustomRole {
    const TABLE: &'static Table = &CUSTOM_ROLES;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.name).opt_text(self.description.as_deref());
        v.int(self.level).json(&self.permissions)?;
        v.ts(self.created_at).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            name: r.text()?,
            description: r.opt_text()?,
            level: r.small()?,
            permissions: r.json()?,
            created_at: r.ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// A role named by a grant or an API key: a built-in role's wire name, or a custom role's id
/// (exactly one of the two columns is set; both tables CHECK it).
pub(super) fn write_role<'a>(v: &mut Values<'a>, role: &RoleRef) {
    match role {
        RoleRef::Builtin(b) => v.text(b.as_str()).opt_uuid(None::<uuid::Uuid>),
        RoleRef::Custom(id) => v.opt_text(None).uuid(*id),
    };
}

/// Reads what [`write_role`] wrote.
pub(super) fn read_role<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<RoleRef> {
    let builtin = r.opt_parse()?;
    let custom = r.opt_uuid()?;
    match (builtin, custom) {
        (Some(b), _) => Ok(RoleRef::Builtin(b)),
        (None, Some(id)) => Ok(RoleRef::Custom(id)),
        (None, None) => Err(StoreError::backend("a stored role names neither kind of role")),
    }
}

/// `role_grants`.
pub static ROLE_GRANTS: Table = Table {
    name: "role_grants",
    entity: "grant",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("user_id", Id),
        null("role_builtin", Text),
        null("role_id", Id),
        null("sites", Json),
        null("granted_by", Id),
        col("granted_at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: Some("user_id"),
    order: &[asc("granted_at"), asc("id")],
};

impl Record for RoleGrant {
    const TABLE: &'static Table = &ROLE_GRANTS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.user_id);
        write_role(v, &self.role);
        v.opt_json(self.sites.as_ref())?.opt_uuid(self.granted_by).ts(self.granted_at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            user_id: r.uuid()?,
            role: read_role(r)?,
            sites: r.opt_json()?,
            granted_by: r.opt_uuid()?,
            granted_at: r.ts()?,
        })
    }
}

/// `failure_codes`.
pub static FAILURE_CODES: Table = Table {
    name: "failure_codes",
    entity: "failure_code",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("kind", Text),
        col("code", Text),
        col("description", Text),
        col("created_at", Timestamp),
    ],
    key: Key::Org("id"),
    versioned: false,
    parent: None,
    order: &[asc("code"), asc("id")],
};

impl Record for FailureCode {
    const TABLE: &'static Table = &FAILURE_CODES;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(self.kind.as_str()).text(&self.code);
        v.text(&self.description).ts(self.created_at);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            kind: r.parse()?,
            code: r.text()?,
            description: r.text()?,
            created_at: r.ts()?,
        })
    }
}
