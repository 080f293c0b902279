//! Users, role grants, custom roles and API keys.

use super::Op;
use super::orgs::{Versioned, precondition};
use crate::extract::{Caller, IfMatch, JsonBody, ListQuery};
use crate::problem::ApiResult;
use crate::reply::{Ids, created, no_content, versioned};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{delete, get, patch, post, put};
use cmms_core::domain::api_key::{ApiKey, NewApiKey};
use cmms_core::domain::user::{
    CustomRole, NewRole, NewUser, RoleGrant, RolePatch, User, UserPatch,
};
use cmms_core::rbac::RoleRef;
use cmms_core::store::{Page, UserFilter};
use cmms_core::{ApiKeyId, GrantId, RoleId, SiteId, UserId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A new user and the grant made with them.
#[derive(Debug, Serialize, JsonSchema)]
struct CreatedUser {
    user: User,
    grant: Option<RoleGrant>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    /// A built-in role (`{"builtin": "technician"}`) or a custom one (`{"custom": "<id>"}`).
    role: RoleRef,
    /// Sites of the grant; absent for the whole organization.
    #[serde(default)]
    sites: Option<Vec<SiteId>>,
}

/// A new API key: the key (without secret) and its text, shown this once.
#[derive(Debug, Serialize, JsonSchema)]
struct CreatedKey {
    key: ApiKey,
    /// Send as `Authorization: Bearer <token>`; it is not shown again.
    token: String,
}

async fn list_users(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<UserFilter>,
) -> ApiResult<Json<Page<User>>> {
    Ok(Json(s.cmms().list_users(&a, q).await?))
}

async fn create_user(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewUser>,
) -> ApiResult<Response> {
    let (user, grant) = s.cmms().create_user(&a, b).await?;
    Ok(created(Some(user.version), &CreatedUser { user, grant }))
}

async fn get_user(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<UserId>,
) -> ApiResult<Response> {
    let user = s.cmms().get_user(&a, id).await?;
    Ok(versioned(user.version, &user))
}

async fn update_user(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<UserId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<UserPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let user = precondition(s.cmms().update_user(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(user.version, &user))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    /// The new password (the length policy applies); the user's sessions end.
    password: String,
}

async fn set_password(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<UserId>,
    JsonBody(b): JsonBody<PasswordBody>,
) -> ApiResult<Response> {
    s.cmms().set_password(&a, id, &b.password).await?;
    Ok(no_content())
}

async fn list_grants(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<UserId>,
) -> ApiResult<Json<Vec<RoleGrant>>> {
    Ok(Json(s.cmms().list_grants(&a, id).await?))
}

async fn grant(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<UserId>,
    JsonBody(b): JsonBody<GrantBody>,
) -> ApiResult<Response> {
    let g = s.cmms().grant_role(&a, id, b.role, b.sites).await?;
    Ok(created(None, &g))
}

async fn revoke(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<GrantId>,
) -> ApiResult<Response> {
    s.cmms().revoke_grant(&a, id).await?;
    Ok(no_content())
}

async fn list_roles(
    State(s): State<AppState>,
    Caller(a): Caller,
) -> ApiResult<Json<Vec<CustomRole>>> {
    Ok(Json(s.cmms().list_roles(&a).await?))
}

async fn create_role(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewRole>,
) -> ApiResult<Response> {
    let role = s.cmms().create_role(&a, b).await?;
    Ok(created(Some(role.version), &role))
}

async fn update_role(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<RoleId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<RolePatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let role = precondition(s.cmms().update_role(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(role.version, &role))
}

async fn list_keys(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<ApiKey>>> {
    Ok(Json(s.cmms().list_api_keys(&a).await?))
}

async fn create_key(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewApiKey>,
) -> ApiResult<Response> {
    let (key, token) = s.cmms().create_api_key(&a, b).await?;
    Ok(created(None, &CreatedKey { key, token }))
}

async fn revoke_key(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<ApiKeyId>,
) -> ApiResult<Response> {
    s.cmms().revoke_api_key(&a, id).await?;
    Ok(no_content())
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get("/users", "listUsers", "A page of users, by email", get(list_users))
            .query::<UserFilter>()
            .returns::<Page<User>>(200),
        Op::post(
            "/users",
            "createUser",
            "Create a user (optionally granting a first role)",
            post(create_user),
        )
        .body::<NewUser>()
        .returns::<CreatedUser>(201),
        Op::get("/users/{id}", "getUser", "One user", get(get_user)).returns::<User>(200),
        Op::patch("/users/{id}", "updateUser", "Change or deactivate a user", patch(update_user))
            .body::<Versioned<UserPatch>>()
            .returns::<User>(200),
        Op::put(
            "/users/{id}/password",
            "setUserPassword",
            "Set a user's password (someone who may manage them); their sessions end",
            put(set_password),
        )
        .body::<PasswordBody>()
        .empty(),
        Op::get("/users/{id}/grants", "listGrants", "A user's role grants", get(list_grants))
            .returns::<Vec<RoleGrant>>(200),
        Op::post(
            "/users/{id}/grants",
            "grantRole",
            "Grant a role (only below your own)",
            post(grant),
        )
        .body::<GrantBody>()
        .returns::<RoleGrant>(201),
        Op::delete("/grants/{id}", "revokeGrant", "Revoke a role grant", delete(revoke)),
        Op::get("/roles", "listRoles", "The organization's custom roles", get(list_roles))
            .returns::<Vec<CustomRole>>(200),
        Op::post("/roles", "createRole", "Define a custom role", post(create_role))
            .body::<NewRole>()
            .returns::<CustomRole>(201),
        Op::patch("/roles/{id}", "updateRole", "Change a custom role", patch(update_role))
            .body::<Versioned<RolePatch>>()
            .returns::<CustomRole>(200),
        Op::get("/api-keys", "listApiKeys", "API keys (without secrets)", get(list_keys))
            .returns::<Vec<ApiKey>>(200),
        Op::post(
            "/api-keys",
            "createApiKey",
            "Create an API key (its token is shown once)",
            post(create_key),
        )
        .body::<NewApiKey>()
        .returns::<CreatedKey>(201),
        Op::delete("/api-keys/{id}", "revokeApiKey", "Revoke an API key", delete(revoke_key)),
    ]
}
