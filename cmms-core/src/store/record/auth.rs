//! Descriptions of the authentication records: credentials, tokens and API keys.

use super::ColumnType::{Int, Json, Text, Timestamp, Uuid as Id};
use super::org::{read_role, write_role};
use super::{Key, Reader, Record, RowSource, Table, Values, asc, col, desc, null};
use crate::domain::api_key::ApiKey;
use crate::domain::credential::Credential;
use crate::domain::token::AuthToken;
use crate::error::StoreError;
use crate::ids::OrgId;

type R<T> = Result<T, StoreError>;

/// `credentials`: one per user, keyed by the user's id.
pub static CREDENTIALS: Table = Table {
    name: "credentials",
    entity: "credential",
    columns: &[
        col("org_id", Id),
        col("user_id", Id),
        null("password_hash", Text),
        null("email_verified_at", Timestamp),
        col("failed_logins", Int),
        null("first_failed_at", Timestamp),
        null("locked_until", Timestamp),
        col("updated_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("user_id"),
    versioned: true,
    parent: None,
    order: &[asc("user_id")],
};

impl Record for Credential {
    const TABLE: &'static Table = &CREDENTIALS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.user_id).opt_text(self.password_hash.as_deref());
        v.opt_ts(self.email_verified_at).int(self.failed_logins).opt_ts(self.first_failed_at);
        v.opt_ts(self.locked_until).ts(self.updated_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            user_id: r.uuid()?,
            password_hash: r.opt_text()?,
            email_verified_at: r.opt_ts()?,
            failed_logins: r.small()?,
            first_failed_at: r.opt_ts()?,
            locked_until: r.opt_ts()?,
            updated_at: r.ts()?,
            version: r.int()?,
        })
    }
}

/// `auth_tokens`.
pub static AUTH_TOKENS: Table = Table {
    name: "auth_tokens",
    entity: "token",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("user_id", Id),
        col("purpose", Text),
        col("family_id", Id),
        col("token_hash", Text),
        col("issued_at", Timestamp),
        col("expires_at", Timestamp),
        null("used_at", Timestamp),
        null("revoked_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: Some("user_id"),
    order: &[asc("issued_at"), asc("id")],
};

impl Record for AuthToken {
    const TABLE: &'static Table = &AUTH_TOKENS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).uuid(self.user_id).text(self.purpose.as_str());
        v.uuid(self.family_id).text(&self.token_hash).ts(self.issued_at).ts(self.expires_at);
        v.opt_ts(self.used_at).opt_ts(self.revoked_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            user_id: r.uuid()?,
            purpose: r.parse()?,
            family_id: r.uuid()?,
            token_hash: r.text()?,
            issued_at: r.ts()?,
            expires_at: r.ts()?,
            used_at: r.opt_ts()?,
            revoked_at: r.opt_ts()?,
            version: r.int()?,
        })
    }
}

/// `api_keys`, newest first.
pub static API_KEYS: Table = Table {
    name: "api_keys",
    entity: "api_key",
    columns: &[
        col("org_id", Id),
        col("id", Id),
        col("name", Text),
        null("role_builtin", Text),
        null("role_id", Id),
        null("sites", Json),
        col("key_hash", Text),
        col("created_by", Id),
        col("created_at", Timestamp),
        null("last_used_at", Timestamp),
        null("revoked_at", Timestamp),
        col("version", Int),
    ],
    key: Key::Org("id"),
    versioned: true,
    parent: None,
    order: &[desc("created_at"), desc("id")],
};

impl Record for ApiKey {
    const TABLE: &'static Table = &API_KEYS;
    fn org_id(&self) -> OrgId {
        self.org_id
    }
    fn write<'a>(&'a self, v: &mut Values<'a>) -> R<()> {
        v.uuid(self.org_id).uuid(self.id).text(&self.name);
        write_role(v, &self.role);
        v.opt_json(self.sites.as_ref())?.text(&self.key_hash).uuid(self.created_by);
        v.ts(self.created_at).opt_ts(self.last_used_at).opt_ts(self.revoked_at).int(self.version);
        Ok(())
    }
    fn read<S: RowSource + ?Sized>(r: &mut Reader<'_, S>) -> R<Self> {
        Ok(Self {
            org_id: r.uuid()?,
            id: r.uuid()?,
            name: r.text()?,
            role: read_role(r)?,
            sites: r.opt_json()?,
            key_hash: r.text()?,
            created_by: r.uuid()?,
            created_at: r.ts()?,
            last_used_at: r.opt_ts()?,
            revoked_at: r.opt_ts()?,
            version: r.int()?,
        })
    }
}
