//! The call table: one entry per use case, named `group.method`. Each decodes its JSON
//! arguments into core's input types (their serde names are the Python keyword names), calls
//! the `Cmms` facade and encodes the result. Nothing here decides anything.

use crate::errors::{arg_problem, encode_failed, invalid, to_py};
use chrono::{DateTime, Utc};
use cmms_core::domain::api_key::NewApiKey;
use cmms_core::domain::asset::{AssetPatch, NewAsset};
use cmms_core::domain::check::Check;
use cmms_core::domain::checklist::ChecklistResult;
use cmms_core::domain::failure_code::FailureCodeKind;
use cmms_core::domain::labor::NewLabor;
use cmms_core::domain::location::{LocationPatch, NewLocation};
use cmms_core::domain::org::{NewOrg, OrgPatch};
use cmms_core::domain::request::{ApproveRequest, NewRequest, RequestPatch};
use cmms_core::domain::site::{NewSite, SitePatch};
use cmms_core::domain::status::{TransitionInput, WorkOrderStatus};
use cmms_core::domain::team::{NewTeam, TeamPatch};
use cmms_core::domain::user::{NewRole, NewUser, RolePatch, UserPatch};
use cmms_core::domain::work_order::{NewWorkOrder, WorkOrderPatch};
use cmms_core::error::FieldError;
use cmms_core::rbac::RoleRef;
use cmms_core::service::Assignment;
use cmms_core::store::{AssetFilter, RequestFilter, UserFilter, WorkOrderFilter};
use cmms_core::{Actor, Cmms, CmmsError, SiteId, UserId};
use pyo3::PyResult;
use pyo3::exceptions::PyTypeError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub(crate) fn parse<T: DeserializeOwned>(args: &str) -> PyResult<T> {
    let value = serde_json::from_str(args).map_err(|e| PyTypeError::new_err(e.to_string()))?;
    from_value(value)
}

fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> PyResult<T> {
    match decode_all(value)? {
        (Some(t), problems) if problems.is_empty() => Ok(t),
        (_, problems) => Err(invalid(problems)),
    }
}

/// Like [`parse`], and when some arguments did not decode, the input's own checks run on the
/// rest, so one call reports every problem (a bad priority and an empty title together).
fn parse_checked<T: DeserializeOwned + Check>(args: &str) -> PyResult<T> {
    let value = serde_json::from_str(args).map_err(|e| PyTypeError::new_err(e.to_string()))?;
    match decode_all::<T>(value)? {
        (Some(t), problems) if problems.is_empty() => Ok(t),
        (rest, mut problems) => {
            problems.extend(rest.map(|t| t.problems()).unwrap_or_default());
            Err(invalid(problems))
        }
    }
}

/// Decodes `value`, collecting every argument that fails as a validation problem: each failing
/// top-level argument is noted and left out, and decoding tries again with the rest. A wrong
/// type is a programming error and raised at once (`TypeError` naming the argument).
fn decode_all<T: DeserializeOwned>(
    mut value: serde_json::Value,
) -> PyResult<(Option<T>, Vec<FieldError>)> {
    let mut problems = Vec::new();
    loop {
        let e = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(t) => return Ok((Some(t), problems)),
            Err(e) => e,
        };
        let problem = match arg_problem(e) {
            Ok(p) => p,
            // A problem found after others may come from leaving an argument out.
            Err(_) if !problems.is_empty() => return Ok((None, problems)),
            Err(type_error) => return Err(type_error),
        };
        let top = problem.field.split(['.', '[']).next().unwrap_or_default().to_string();
        problems.push(problem);
        match value.as_object_mut().and_then(|m| m.remove(&top)) {
            Some(_) => {}
            None => return Ok((None, problems)),
        }
    }
}

/// Arguments of a call on one record: its `id`, an optional `expected_version`, and the rest
/// decoded as `P` (decoded on their own, so errors name the exact argument).
pub(crate) struct OnRecord<I, P> {
    pub(crate) id: I,
    pub(crate) expected_version: Option<i64>,
    pub(crate) rest: P,
}

pub(crate) fn on_record<I: DeserializeOwned, P: DeserializeOwned>(
    args: &str,
) -> PyResult<OnRecord<I, P>> {
    let mut map: serde_json::Map<String, serde_json::Value> = parse(args)?;
    let id =
        from_value(json!({ "id": map.remove("id").unwrap_or_default() })).map(|x: Id<I>| x.id)?;
    let expected_version = match map.remove("expected_version") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => from_value::<Version>(json!({ "expected_version": v }))?.expected_version,
    };
    let rest = from_value(serde_json::Value::Object(map))?;
    Ok(OnRecord { id, expected_version, rest })
}

fn out<T: Serialize>(value: Result<T, CmmsError>) -> PyResult<String> {
    serde_json::to_string(&value.map_err(to_py)?).map_err(encode_failed)
}

#[derive(Deserialize)]
struct Id<T> {
    id: T,
}

#[derive(Deserialize)]
struct Settings {
    settings: OrgPatch,
    #[serde(default)]
    expected_version: Option<i64>,
}

#[derive(Deserialize)]
struct NewFailureCode {
    kind: FailureCodeKind,
    code: String,
    description: String,
}

#[derive(Deserialize)]
struct SiteArg {
    #[serde(default)]
    site_id: Option<SiteId>,
}

#[derive(Deserialize)]
struct Grant {
    user_id: UserId,
    role: RoleRef,
    #[serde(default)]
    sites: Option<Vec<SiteId>>,
}

#[derive(Deserialize)]
struct UserArg {
    user_id: UserId,
}

#[derive(Deserialize)]
struct Children {
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct Transition {
    to: WorkOrderStatus,
    #[serde(flatten)]
    input: TransitionInput,
}

#[derive(Deserialize)]
struct CommentArg {
    body: String,
    #[serde(default)]
    internal: bool,
}

#[derive(Deserialize)]
struct ChecklistRecord {
    item_id: cmms_core::ChecklistItemId,
    #[serde(default)]
    result: Option<ChecklistResult>,
    #[serde(default)]
    notes: Option<String>,
}

#[derive(Deserialize)]
struct Slug {
    slug: String,
}

#[derive(Deserialize)]
struct Password {
    password: String,
}

#[derive(Deserialize)]
struct Reason {
    reason: String,
}

#[derive(Deserialize)]
struct Version {
    #[serde(default)]
    expected_version: Option<i64>,
}

#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    after: i64,
    /// `None`: core's default page size, the same as every list's.
    #[serde(default)]
    limit: Option<u32>,
}

#[derive(Deserialize)]
struct Now {
    #[serde(default)]
    now: Option<DateTime<Utc>>,
}

/// Calls that need no actor.
pub(crate) async fn call_without_actor(cmms: &Cmms, method: &str, args: &str) -> PyResult<String> {
    match method {
        "orgs.bootstrap" => out(cmms.bootstrap_org(parse::<NewOrg>(args)?).await),
        "orgs.list" => out(cmms.list_orgs().await),
        "orgs.find" => out(cmms.find_org_record(&parse::<Slug>(args)?.slug).await),
        "requests.auto_close" => {
            let a: Now = parse(args)?;
            out(cmms.auto_close_confirmations(a.now.unwrap_or_else(|| cmms.now())).await)
        }
        "notifications.deliver" => {
            let a: Now = parse(args)?;
            out(cmms.deliver_notifications(a.now.unwrap_or_else(|| cmms.now())).await)
        }
        _ => Err(PyTypeError::new_err(format!("{method} needs an actor"))),
    }
}

/// Calls made as `a`.
pub(crate) async fn call(cmms: &Cmms, a: &Actor, method: &str, args: &str) -> PyResult<String> {
    let c = cmms;
    match method {
        "orgs.get" => out(c.get_org(a).await),
        "orgs.update_settings" => {
            let x: Settings = parse(args)?;
            out(c.update_org(a, x.settings, x.expected_version).await)
        }
        "orgs.update" => {
            let mut map: serde_json::Map<String, serde_json::Value> = parse(args)?;
            let version = map.remove("expected_version").unwrap_or_default();
            let version: Version = from_value(json!({ "expected_version": version }))?;
            let patch: OrgPatch = from_value(serde_json::Value::Object(map))?;
            out(c.update_org(a, patch, version.expected_version).await)
        }
        "orgs.create_failure_code" => {
            let x: NewFailureCode = parse(args)?;
            out(c.create_failure_code(a, x.kind, &x.code, &x.description).await)
        }
        "orgs.list_failure_codes" => out(c.list_failure_codes(a).await),
        "sites.create" => out(c.create_site(a, parse::<NewSite>(args)?).await),
        "sites.update" => {
            let x: OnRecord<SiteId, SitePatch> = on_record(args)?;
            out(c.update_site(a, x.id, x.rest, x.expected_version).await)
        }
        "sites.get" => out(c.get_site(a, parse::<Id<_>>(args)?.id).await),
        "sites.list" => out(c.list_sites(a).await),
        "sites.create_location" => out(c.create_location(a, parse::<NewLocation>(args)?).await),
        "sites.update_location" => {
            let x: OnRecord<_, LocationPatch> = on_record(args)?;
            out(c.update_location(a, x.id, x.rest, x.expected_version).await)
        }
        "sites.get_location" => out(c.get_location(a, parse::<Id<_>>(args)?.id).await),
        "sites.list_locations" => out(c.list_locations(a, parse::<SiteArg>(args)?.site_id).await),
        "sites.create_team" => out(c.create_team(a, parse::<NewTeam>(args)?).await),
        "sites.update_team" => {
            let x: OnRecord<_, TeamPatch> = on_record(args)?;
            out(c.update_team(a, x.id, x.rest, x.expected_version).await)
        }
        "sites.get_team" => out(c.get_team(a, parse::<Id<_>>(args)?.id).await),
        "sites.list_teams" => out(c.list_teams(a).await),
        "users.create" => {
            let made = c.create_user(a, parse::<NewUser>(args)?).await;
            out(made.map(|(user, grant)| json!({ "user": user, "grant": grant })))
        }
        "users.update" => {
            let x: OnRecord<_, UserPatch> = on_record(args)?;
            out(c.update_user(a, x.id, x.rest, x.expected_version).await)
        }
        "users.get" => out(c.get_user(a, parse::<Id<_>>(args)?.id).await),
        "users.list" => out(c.list_users(a, parse::<UserFilter>(args)?).await),
        "users.grant_role" => {
            let x: Grant = parse(args)?;
            out(c.grant_role(a, x.user_id, x.role, x.sites).await)
        }
        "users.revoke_grant" => out(c.revoke_grant(a, parse::<Id<_>>(args)?.id).await),
        "users.grants" => out(c.list_grants(a, parse::<UserArg>(args)?.user_id).await),
        "users.create_role" => out(c.create_role(a, parse::<NewRole>(args)?).await),
        "users.update_role" => {
            let x: OnRecord<_, RolePatch> = on_record(args)?;
            out(c.update_role(a, x.id, x.rest, x.expected_version).await)
        }
        "users.list_roles" => out(c.list_roles(a).await),
        "users.set_password" => {
            let x: OnRecord<_, Password> = on_record(args)?;
            out(c.set_password(a, x.id, &x.rest.password).await)
        }
        "users.create_api_key" => {
            let made = c.create_api_key(a, parse::<NewApiKey>(args)?).await;
            out(made.map(|(key, secret)| json!({ "key": key, "secret": secret })))
        }
        "users.api_keys" => out(c.list_api_keys(a).await),
        "users.revoke_api_key" => out(c.revoke_api_key(a, parse::<Id<_>>(args)?.id).await),
        "assets.create" => out(c.create_asset(a, parse_checked::<NewAsset>(args)?).await),
        "assets.update" => {
            let x: OnRecord<_, AssetPatch> = on_record(args)?;
            out(c.update_asset(a, x.id, x.rest, x.expected_version).await)
        }
        "assets.get" => out(c.get_asset(a, parse::<Id<_>>(args)?.id).await),
        "assets.list" => out(c.list_assets(a, parse::<AssetFilter>(args)?).await),
        "assets.history" => {
            let x: OnRecord<_, Children> = on_record(args)?;
            out(c.asset_history(a, x.id, x.rest.limit, x.rest.cursor).await)
        }
        "assets.children" => {
            let x: OnRecord<_, Children> = on_record(args)?;
            out(c.asset_children(a, x.id, x.rest.limit, x.rest.cursor).await)
        }
        _ => call_work(c, a, method, args).await,
    }
}

async fn call_work(c: &Cmms, a: &Actor, method: &str, args: &str) -> PyResult<String> {
    match method {
        "work_orders.create" => {
            out(c.create_work_order(a, parse_checked::<NewWorkOrder>(args)?).await)
        }
        "work_orders.get" => out(c.get_work_order(a, parse::<Id<_>>(args)?.id).await),
        "work_orders.update" => {
            let x: OnRecord<_, WorkOrderPatch> = on_record(args)?;
            out(c.update_work_order(a, x.id, x.rest, x.expected_version).await)
        }
        "work_orders.transition" => {
            let x: OnRecord<_, Transition> = on_record(args)?;
            let input = TransitionInput { expected_version: x.expected_version, ..x.rest.input };
            out(c.transition_work_order(a, x.id, x.rest.to, input).await)
        }
        "work_orders.assign" => {
            let x: OnRecord<_, Assignment> = on_record(args)?;
            let assignment = Assignment { expected_version: x.expected_version, ..x.rest };
            out(c.assign_work_order(a, x.id, assignment).await)
        }
        "work_orders.self_assign" => out(c.self_assign(a, parse::<Id<_>>(args)?.id).await),
        "work_orders.delete" => {
            let x: OnRecord<_, serde_json::Value> = on_record(args)?;
            out(c.delete_work_order(a, x.id, x.expected_version).await)
        }
        "work_orders.list" => out(c.list_work_orders(a, parse::<WorkOrderFilter>(args)?).await),
        "work_orders.comment" => {
            let x: OnRecord<_, CommentArg> = on_record(args)?;
            out(c.add_comment(a, x.id, &x.rest.body, x.rest.internal).await)
        }
        "work_orders.comments" => out(c.list_comments(a, parse::<Id<_>>(args)?.id).await),
        "work_orders.add_checklist_item" => {
            let x: OnRecord<_, cmms_core::domain::checklist::NewChecklistItem> = on_record(args)?;
            out(c.add_checklist_item(a, x.id, x.rest).await)
        }
        "work_orders.record_checklist" => {
            let x: OnRecord<_, ChecklistRecord> = on_record(args)?;
            let r = x.rest;
            out(c.record_checklist_result(a, x.id, r.item_id, r.result, r.notes.as_deref()).await)
        }
        "work_orders.checklist" => out(c.list_checklist(a, parse::<Id<_>>(args)?.id).await),
        "work_orders.log_labor" => {
            let x: OnRecord<_, NewLabor> = on_record(args)?;
            out(c.log_labor(a, x.id, x.rest).await)
        }
        "work_orders.labor" => out(c.list_labor(a, parse::<Id<_>>(args)?.id).await),
        "work_orders.timeline" => out(c.timeline(a, parse::<Id<_>>(args)?.id).await),
        "work_orders.time_in_status" => {
            let spent = c.time_in_status(a, parse::<Id<_>>(args)?.id).await;
            let seconds =
                |d: chrono::TimeDelta| d.num_microseconds().map_or(f64::MAX, |m| m as f64 / 1e6);
            out(spent.map(|v| v.into_iter().map(|(s, d)| (s, seconds(d))).collect::<Vec<_>>()))
        }
        _ => call_requests(c, a, method, args).await,
    }
}

async fn call_requests(c: &Cmms, a: &Actor, method: &str, args: &str) -> PyResult<String> {
    match method {
        "requests.create" => out(c.create_request(a, parse_checked::<NewRequest>(args)?).await),
        "requests.update" => {
            let x: OnRecord<_, RequestPatch> = on_record(args)?;
            out(c.update_request(a, x.id, x.rest, x.expected_version).await)
        }
        "requests.get" => out(c.get_request(a, parse::<Id<_>>(args)?.id).await),
        "requests.list" => out(c.list_requests(a, parse::<RequestFilter>(args)?).await),
        "requests.submit" => out(c.submit_request(a, parse::<Id<_>>(args)?.id).await),
        "requests.cancel" => out(c.cancel_request(a, parse::<Id<_>>(args)?.id).await),
        "requests.approve" => {
            let x: OnRecord<_, ApproveRequest> = on_record(args)?;
            let done = c.approve_request(a, x.id, x.rest).await;
            out(done.map(|(request, wo)| json!({ "request": request, "work_order": wo })))
        }
        "requests.reject" => {
            let x: OnRecord<_, Reason> = on_record(args)?;
            out(c.reject_request(a, x.id, &x.rest.reason).await)
        }
        "requests.confirm" => out(c.confirm_completion(a, parse::<Id<_>>(args)?.id).await),
        "requests.reject_completion" => {
            let x: OnRecord<_, Reason> = on_record(args)?;
            out(c.reject_completion(a, x.id, &x.rest.reason).await)
        }
        "requests.work_order" => out(c.request_work_order(a, parse::<Id<_>>(args)?.id).await),
        "audit.entries" => {
            let x: Since = parse(args)?;
            out(c.audit_entries(a, x.after, x.limit).await)
        }
        "audit.verify" => out(c.verify_audit_chain(a).await),
        "events.since" => {
            let x: Since = parse(args)?;
            out(c.events_since(a, x.after, x.limit).await)
        }
        _ => crate::dispatch_pm::call_pm(c, a, method, args).await,
    }
}
