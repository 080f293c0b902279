//! Record -> column values: one function per record type, naming each column once. `apply`
//! turns these lists into INSERT and versioned UPDATE statements, binding every value.

use crate::error::map_json;
use chrono::{DateTime, Utc};
use cmms_core::StoreError;
use cmms_core::domain::api_key::ApiKey;
use cmms_core::domain::asset::Asset;
use cmms_core::domain::checklist::ChecklistItem;
use cmms_core::domain::comment::Comment;
use cmms_core::domain::credential::Credential;
use cmms_core::domain::failure_code::FailureCode;
use cmms_core::domain::labor::LaborEntry;
use cmms_core::domain::location::Location;
use cmms_core::domain::org::Org;
use cmms_core::domain::request::Request;
use cmms_core::domain::site::Site;
use cmms_core::domain::team::Team;
use cmms_core::domain::timeline::TimelineEntry;
use cmms_core::domain::token::AuthToken;
use cmms_core::domain::user::{CustomRole, RoleGrant, User};
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::rbac::RoleRef;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

/// One column value, typed so that NULLs bind with the column's type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(bool),
    Ts(Option<DateTime<Utc>>),
    Json(Option<serde_json::Value>),
}

impl Value {
    /// Binds this value at the builder's next placeholder.
    pub(crate) fn bind(self, q: &mut QueryBuilder<Postgres>) {
        match self {
            Self::Uuid(v) => q.push_bind(v),
            Self::Text(v) => q.push_bind(v),
            Self::Int(v) => q.push_bind(v),
            Self::Float(v) => q.push_bind(v),
            Self::Bool(v) => q.push_bind(v),
            Self::Ts(v) => q.push_bind(v),
            Self::Json(v) => q.push_bind(v),
        };
    }
}

/// Column names with their values, in table order.
pub(crate) type Cols = Vec<(&'static str, Value)>;

fn uid(id: impl Into<Uuid>) -> Value {
    Value::Uuid(Some(id.into()))
}

fn opt_uid<T: Into<Uuid>>(id: Option<T>) -> Value {
    Value::Uuid(id.map(Into::into))
}

fn ts(t: DateTime<Utc>) -> Value {
    Value::Ts(Some(t))
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
    Value::Ts(t)
}

fn text(s: &str) -> Value {
    Value::Text(Some(s.to_owned()))
}

fn opt_text(s: &Option<String>) -> Value {
    Value::Text(s.clone())
}

fn int(v: impl Into<i64>) -> Value {
    Value::Int(Some(v.into()))
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> Result<Value, StoreError> {
    Ok(Value::Json(Some(serde_json::to_value(v).map_err(map_json)?)))
}

/// orgs.
pub(crate) fn org_cols(o: &Org) -> Result<Cols, StoreError> {
    Ok(vec![
        ("id", uid(o.id)),
        ("name", text(&o.name)),
        ("settings", json(&o.settings)?),
        ("created_at", ts(o.created_at)),
        ("updated_at", ts(o.updated_at)),
        ("version", int(o.version)),
    ])
}

/// sites.
pub(crate) fn site_cols(s: &Site) -> Cols {
    vec![
        ("org_id", uid(s.org_id)),
        ("id", uid(s.id)),
        ("name", text(&s.name)),
        ("code", text(&s.code)),
        ("kind", text(s.kind.as_str())),
        ("time_zone", text(&s.time_zone)),
        ("address", opt_text(&s.address)),
        ("active", Value::Bool(s.active)),
        ("created_at", ts(s.created_at)),
        ("updated_at", ts(s.updated_at)),
        ("version", int(s.version)),
    ]
}

/// locations.
pub(crate) fn location_cols(l: &Location) -> Cols {
    vec![
        ("org_id", uid(l.org_id)),
        ("id", uid(l.id)),
        ("site_id", uid(l.site_id)),
        ("parent_id", opt_uid(l.parent_id)),
        ("name", text(&l.name)),
        ("code", opt_text(&l.code)),
        ("created_at", ts(l.created_at)),
        ("updated_at", ts(l.updated_at)),
        ("version", int(l.version)),
    ]
}

/// teams (members go to team_members).
pub(crate) fn team_cols(t: &Team) -> Cols {
    vec![
        ("org_id", uid(t.org_id)),
        ("id", uid(t.id)),
        ("name", text(&t.name)),
        ("site_id", opt_uid(t.site_id)),
        ("created_at", ts(t.created_at)),
        ("updated_at", ts(t.updated_at)),
        ("version", int(t.version)),
    ]
}

/// users.
pub(crate) fn user_cols(u: &User) -> Cols {
    vec![
        ("org_id", uid(u.org_id)),
        ("id", uid(u.id)),
        ("name", text(&u.name)),
        ("email", text(&u.email)),
        ("active", Value::Bool(u.active)),
        ("created_at", ts(u.created_at)),
        ("updated_at", ts(u.updated_at)),
        ("version", int(u.version)),
    ]
}

/// role_grants.
pub(crate) fn grant_cols(g: &RoleGrant) -> Result<Cols, StoreError> {
    let (builtin, custom) = match g.role {
        RoleRef::Builtin(b) => (text(b.as_str()), Value::Uuid(None)),
        RoleRef::Custom(id) => (Value::Text(None), uid(id)),
    };
    let sites = match &g.sites {
        Some(s) => json(s)?,
        None => Value::Json(None),
    };
    Ok(vec![
        ("org_id", uid(g.org_id)),
        ("id", uid(g.id)),
        ("user_id", uid(g.user_id)),
        ("role_builtin", builtin),
        ("role_id", custom),
        ("sites", sites),
        ("granted_by", opt_uid(g.granted_by)),
        ("granted_at", ts(g.granted_at)),
    ])
}

/// custom_roles.
pub(crate) fn role_cols(r: &CustomRole) -> Result<Cols, StoreError> {
    Ok(vec![
        ("org_id", uid(r.org_id)),
        ("id", uid(r.id)),
        ("name", text(&r.name)),
        ("description", opt_text(&r.description)),
        ("level", int(r.level)),
        ("permissions", json(&r.permissions)?),
        ("created_at", ts(r.created_at)),
        ("updated_at", ts(r.updated_at)),
        ("version", int(r.version)),
    ])
}

/// failure_codes.
pub(crate) fn failure_code_cols(f: &FailureCode) -> Cols {
    vec![
        ("org_id", uid(f.org_id)),
        ("id", uid(f.id)),
        ("kind", text(f.kind.as_str())),
        ("code", text(&f.code)),
        ("description", text(&f.description)),
        ("created_at", ts(f.created_at)),
    ]
}

/// assets.
pub(crate) fn asset_cols(a: &Asset) -> Result<Cols, StoreError> {
    Ok(vec![
        ("org_id", uid(a.org_id)),
        ("id", uid(a.id)),
        ("site_id", uid(a.site_id)),
        ("location_id", opt_uid(a.location_id)),
        ("parent_id", opt_uid(a.parent_id)),
        ("name", text(&a.name)),
        ("code", text(&a.code)),
        ("category", opt_text(&a.category)),
        ("manufacturer", opt_text(&a.manufacturer)),
        ("model", opt_text(&a.model)),
        ("serial_number", opt_text(&a.serial_number)),
        ("criticality", int(a.criticality)),
        ("state", text(a.state.as_str())),
        ("specifications", json(&a.specifications)?),
        ("custom_fields", json(&a.custom_fields)?),
        ("created_at", ts(a.created_at)),
        ("updated_at", ts(a.updated_at)),
        ("version", int(a.version)),
    ])
}

/// work_orders (assignees go to work_order_assignees).
pub(crate) fn work_order_cols(w: &WorkOrder) -> Result<Cols, StoreError> {
    Ok(vec![
        ("org_id", uid(w.org_id)),
        ("id", uid(w.id)),
        ("number", text(&w.number)),
        ("title", text(&w.title)),
        ("description", opt_text(&w.description)),
        ("wo_type", text(w.wo_type.as_str())),
        ("priority", text(w.priority.as_str())),
        ("priority_rank", int(w.priority.rank())),
        ("category", opt_text(&w.category)),
        ("status", text(w.status.as_str())),
        ("site_id", uid(w.site_id)),
        ("location_id", opt_uid(w.location_id)),
        ("asset_id", opt_uid(w.asset_id)),
        ("team_id", opt_uid(w.team_id)),
        ("requested_by", opt_uid(w.requested_by)),
        ("created_by", opt_uid(w.created_by)),
        ("request_id", opt_uid(w.request_id)),
        ("due_at", opt_ts(w.due_at)),
        ("estimated_hours", Value::Float(w.estimated_hours)),
        ("actual_start", opt_ts(w.actual_start)),
        ("actual_end", opt_ts(w.actual_end)),
        ("verified_by", opt_uid(w.verified_by)),
        ("verified_at", opt_ts(w.verified_at)),
        ("closed_at", opt_ts(w.closed_at)),
        ("completion_notes", opt_text(&w.completion_notes)),
        ("failure_problem", opt_text(&w.failure.problem)),
        ("failure_cause", opt_text(&w.failure.cause)),
        ("failure_remedy", opt_text(&w.failure.remedy)),
        ("attachments", json(&w.attachments)?),
        ("created_at", ts(w.created_at)),
        ("updated_at", ts(w.updated_at)),
        ("version", int(w.version)),
    ])
}

/// work_order_timeline.
pub(crate) fn timeline_cols(t: &TimelineEntry) -> Cols {
    vec![
        ("org_id", uid(t.org_id)),
        ("id", uid(t.id)),
        ("work_order_id", uid(t.work_order_id)),
        ("from_status", Value::Text(t.from_status.map(|s| s.as_str().to_owned()))),
        ("to_status", text(t.to_status.as_str())),
        ("actor_id", opt_uid(t.actor_id)),
        ("reason", opt_text(&t.reason)),
        ("at", ts(t.at)),
    ]
}

/// work_order_comments.
pub(crate) fn comment_cols(c: &Comment) -> Cols {
    vec![
        ("org_id", uid(c.org_id)),
        ("id", uid(c.id)),
        ("work_order_id", uid(c.work_order_id)),
        ("author_id", opt_uid(c.author_id)),
        ("body", text(&c.body)),
        ("internal", Value::Bool(c.internal)),
        ("created_at", ts(c.created_at)),
    ]
}

/// checklist_items.
pub(crate) fn checklist_cols(c: &ChecklistItem) -> Cols {
    vec![
        ("org_id", uid(c.org_id)),
        ("id", uid(c.id)),
        ("work_order_id", uid(c.work_order_id)),
        ("position", int(c.position)),
        ("label", text(&c.label)),
        ("mandatory", Value::Bool(c.mandatory)),
        ("result", Value::Text(c.result.map(|r| r.as_str().to_owned()))),
        ("notes", opt_text(&c.notes)),
        ("completed_by", opt_uid(c.completed_by)),
        ("completed_at", opt_ts(c.completed_at)),
        ("version", int(c.version)),
    ]
}

/// labor_entries.
pub(crate) fn labor_cols(l: &LaborEntry) -> Cols {
    vec![
        ("org_id", uid(l.org_id)),
        ("id", uid(l.id)),
        ("work_order_id", uid(l.work_order_id)),
        ("user_id", uid(l.user_id)),
        ("started_at", ts(l.started_at)),
        ("ended_at", opt_ts(l.ended_at)),
        ("minutes", int(l.minutes)),
        ("category", text(l.category.as_str())),
        ("notes", opt_text(&l.notes)),
        ("created_by", opt_uid(l.created_by)),
        ("created_at", ts(l.created_at)),
    ]
}

/// requests.
pub(crate) fn request_cols(r: &Request) -> Result<Cols, StoreError> {
    Ok(vec![
        ("org_id", uid(r.org_id)),
        ("id", uid(r.id)),
        ("number", text(&r.number)),
        ("title", text(&r.title)),
        ("description", opt_text(&r.description)),
        ("site_id", uid(r.site_id)),
        ("location_id", opt_uid(r.location_id)),
        ("asset_id", opt_uid(r.asset_id)),
        ("priority", text(r.priority.as_str())),
        ("status", text(r.status.as_str())),
        ("requested_by", uid(r.requested_by)),
        ("work_order_id", opt_uid(r.work_order_id)),
        ("rejection_reason", opt_text(&r.rejection_reason)),
        ("attachments", json(&r.attachments)?),
        ("submitted_at", opt_ts(r.submitted_at)),
        ("reviewed_by", opt_uid(r.reviewed_by)),
        ("reviewed_at", opt_ts(r.reviewed_at)),
        ("created_at", ts(r.created_at)),
        ("updated_at", ts(r.updated_at)),
        ("version", int(r.version)),
    ])
}

/// credentials.
pub(crate) fn credential_cols(c: &Credential) -> Cols {
    vec![
        ("org_id", uid(c.org_id)),
        ("user_id", uid(c.user_id)),
        ("password_hash", opt_text(&c.password_hash)),
        ("email_verified_at", opt_ts(c.email_verified_at)),
        ("failed_logins", int(i64::from(c.failed_logins))),
        ("first_failed_at", opt_ts(c.first_failed_at)),
        ("locked_until", opt_ts(c.locked_until)),
        ("updated_at", ts(c.updated_at)),
        ("version", int(c.version)),
    ]
}

/// auth_tokens.
pub(crate) fn token_cols(t: &AuthToken) -> Cols {
    vec![
        ("org_id", uid(t.org_id)),
        ("id", uid(t.id)),
        ("user_id", uid(t.user_id)),
        ("purpose", text(t.purpose.as_str())),
        ("family_id", uid(t.family_id)),
        ("token_hash", text(&t.token_hash)),
        ("issued_at", ts(t.issued_at)),
        ("expires_at", ts(t.expires_at)),
        ("used_at", opt_ts(t.used_at)),
        ("revoked_at", opt_ts(t.revoked_at)),
        ("version", int(t.version)),
    ]
}

/// api_keys.
pub(crate) fn api_key_cols(k: &ApiKey) -> Result<Cols, StoreError> {
    let (builtin, custom) = match k.role {
        RoleRef::Builtin(b) => (text(b.as_str()), Value::Uuid(None)),
        RoleRef::Custom(id) => (Value::Text(None), uid(id)),
    };
    let sites = match &k.sites {
        Some(s) => json(s)?,
        None => Value::Json(None),
    };
    Ok(vec![
        ("org_id", uid(k.org_id)),
        ("id", uid(k.id)),
        ("name", text(&k.name)),
        ("role_builtin", builtin),
        ("role_id", custom),
        ("sites", sites),
        ("key_hash", text(&k.key_hash)),
        ("created_by", uid(k.created_by)),
        ("created_at", ts(k.created_at)),
        ("last_used_at", opt_ts(k.last_used_at)),
        ("revoked_at", opt_ts(k.revoked_at)),
        ("version", int(k.version)),
    ])
}
