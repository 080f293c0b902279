//! `/auth`: login, refresh, logout, password reset, email verification (invitations), password
//! change, and who am I.

use super::Op;
use crate::extract::{Caller, JsonBody};
use crate::mailer::Mail;
use crate::problem::{ApiError, ApiResult};
use crate::reply::no_content;
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use cmms_core::domain::user::{RoleGrant, User};
use cmms_core::service::Session;
use cmms_core::{CmmsError, OrgId, UserId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

/// The client's IP when the server knows it (served with connection info).
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(ClientIp(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    /// The organization: its slug (`acme-plant`) or its id.
    org: String,
    email: String,
    password: String,
}

/// Tokens for a session.
#[derive(Debug, Serialize, JsonSchema)]
struct Tokens {
    /// Short-lived bearer token for API calls.
    access_token: String,
    /// Always `Bearer`.
    token_type: String,
    /// Seconds until the access token expires.
    expires_in: i64,
    /// Single-use token for `/auth/refresh` (rotates on every use).
    refresh_token: String,
    /// When the refresh token expires.
    refresh_expires_at: DateTime<Utc>,
    /// The logged-in user.
    user: User,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ResetRequestBody {
    /// The organization: its slug or its id.
    org: String,
    email: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ResetConfirmBody {
    /// The token from the reset mail.
    token: String,
    /// The new password.
    password: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    /// The token from the invitation mail.
    token: String,
    /// A first password, for invited users who have none.
    #[serde(default)]
    password: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    /// The user to invite (they get a verification token by mail).
    user_id: UserId,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

/// The caller.
#[derive(Debug, Serialize, JsonSchema)]
struct Me {
    user: User,
    grants: Vec<RoleGrant>,
}

/// Whether the request was accepted (the answer to reset requests, whatever the email).
#[derive(Debug, Serialize, JsonSchema)]
struct Accepted {
    accepted: bool,
}

fn tokens(state: &AppState, session: Session) -> Json<Tokens> {
    let now = state.cmms().now();
    Json(Tokens {
        access_token: state.jwt().issue(session.user.id, session.user.org_id, now),
        token_type: "Bearer".into(),
        expires_in: state.jwt().ttl_secs(),
        refresh_token: session.refresh_token,
        refresh_expires_at: session.refresh_expires_at,
        user: session.user,
    })
}

fn per_ip(state: &AppState, ip: Option<IpAddr>) -> ApiResult<()> {
    let key = format!("login:{}", ip.map_or_else(|| "unknown".to_string(), crate::limit::ip_key));
    state.login_limit().check(&key).map_err(|secs| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many login attempts from this address",
        )
        .retry_after(secs)
    })
}

async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(b): JsonBody<LoginBody>,
) -> ApiResult<Json<Tokens>> {
    per_ip(&state, ip.0)?;
    // Keyed by what was typed (case-folded), existing account or not: see `account_limit`.
    let account = format!("{}:{}", b.org, cmms_core::domain::user::normalize_email(&b.email));
    if let Some(secs) = state.account_limit().blocked(&account) {
        return Err(CmmsError::RateLimited { retry_after_secs: secs }.into());
    }
    // An unknown organization logs in like an unknown email: to nobody, at the same cost.
    let org = state.cmms().find_org(&b.org).await?.unwrap_or_else(OrgId::new);
    match state.cmms().login(org, &b.email, &b.password).await {
        Ok(session) => Ok(tokens(&state, session)),
        Err(CmmsError::Unauthenticated) => {
            let _ = state.account_limit().check(&account);
            Err(CmmsError::Unauthenticated.into())
        }
        Err(e) => Err(e.into()),
    }
}

async fn refresh(
    State(state): State<AppState>,
    JsonBody(b): JsonBody<RefreshBody>,
) -> ApiResult<Json<Tokens>> {
    let session = state.cmms().refresh(&b.refresh_token).await?;
    Ok(tokens(&state, session))
}

async fn logout(
    State(state): State<AppState>,
    JsonBody(b): JsonBody<RefreshBody>,
) -> ApiResult<Response> {
    state.cmms().logout(&b.refresh_token).await?;
    Ok(no_content())
}

async fn reset_request(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(b): JsonBody<ResetRequestBody>,
) -> ApiResult<Response> {
    per_ip(&state, ip.0)?;
    // The work happens after the answer, so the answer and its timing are the same whether or
    // not the email belongs to someone.
    let worker = state.clone();
    tokio::spawn(async move {
        let org = match worker.cmms().find_org(&b.org).await {
            Ok(Some(org)) => org,
            Ok(None) => return,
            Err(e) => return tracing::warn!(error = %e, "password reset request failed"),
        };
        match worker.cmms().request_password_reset(org, &b.email).await {
            // Queued in the token's commit when the outbox is delivered; else handed over.
            Ok(Some(m)) => match worker.cmms().mail_settings().queue_auth_mail {
                true => crate::mail_delivery::deliver_soon(&worker),
                false => {
                    worker.mailer().send(Mail { to: m.to, kind: "password_reset", token: m.token })
                }
            },
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "password reset request failed"),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(Accepted { accepted: true })).into_response())
}

async fn reset_confirm(
    State(state): State<AppState>,
    JsonBody(b): JsonBody<ResetConfirmBody>,
) -> ApiResult<Response> {
    state.cmms().reset_password(&b.token, &b.password).await?;
    Ok(no_content())
}

async fn verify_email(
    State(state): State<AppState>,
    JsonBody(b): JsonBody<VerifyBody>,
) -> ApiResult<Response> {
    state.cmms().verify_email(&b.token, b.password.as_deref()).await?;
    Ok(no_content())
}

async fn invite(
    State(state): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<InviteBody>,
) -> ApiResult<Response> {
    let m = state.cmms().request_email_verification(&a, b.user_id).await?;
    match state.cmms().mail_settings().queue_auth_mail {
        true => crate::mail_delivery::deliver_soon(&state),
        false => state.mailer().send(Mail { to: m.to, kind: "invitation", token: m.token }),
    }
    Ok((StatusCode::ACCEPTED, Json(Accepted { accepted: true })).into_response())
}

async fn change_password(
    State(state): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<ChangePasswordBody>,
) -> ApiResult<Response> {
    state.cmms().change_password(&a, &b.current_password, &b.new_password).await?;
    Ok(no_content())
}

async fn me(State(state): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Me>> {
    let id = a.user_id().ok_or(cmms_core::CmmsError::Unauthenticated)?;
    let user = state.cmms().get_user(&a, id).await?;
    let grants = state.cmms().list_grants(&a, id).await?;
    Ok(Json(Me { user, grants }))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::post("/auth/login", "login", "Log in with email and password", post(login))
            .public()
            .body::<LoginBody>()
            .returns::<Tokens>(200),
        Op::post(
            "/auth/refresh",
            "refresh",
            "Exchange a refresh token (it rotates)",
            post(refresh),
        )
        .public()
        .body::<RefreshBody>()
        .returns::<Tokens>(200),
        Op::post("/auth/logout", "logout", "End the session of a refresh token", post(logout))
            .public()
            .body::<RefreshBody>()
            .empty(),
        Op::post(
            "/auth/password-reset/request",
            "requestPasswordReset",
            "Mail a password-reset token (same answer for every email)",
            post(reset_request),
        )
        .public()
        .body::<ResetRequestBody>()
        .returns::<Accepted>(202),
        Op::post(
            "/auth/password-reset/confirm",
            "confirmPasswordReset",
            "Set a new password with a reset token",
            post(reset_confirm),
        )
        .public()
        .body::<ResetConfirmBody>()
        .empty(),
        Op::post(
            "/auth/verify-email",
            "verifyEmail",
            "Confirm an email address (and set a first password) with an invitation token",
            post(verify_email),
        )
        .public()
        .body::<VerifyBody>()
        .empty(),
        Op::post(
            "/auth/invitations",
            "inviteUser",
            "Mail a user an invitation (email verification) token",
            post(invite),
        )
        .body::<InviteBody>()
        .returns::<Accepted>(202),
        Op::post(
            "/auth/change-password",
            "changePassword",
            "Change the caller's password",
            post(change_password),
        )
        .body::<ChangePasswordBody>()
        .empty(),
        Op::get("/auth/me", "me", "The caller and their role grants", get(me)).returns::<Me>(200),
    ]
}
