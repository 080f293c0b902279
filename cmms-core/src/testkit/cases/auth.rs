//! Conformance: authentication — login with lockout and no user enumeration, refresh-token
//! rotation with reuse detection, logout, password reset and email verification with
//! single-use tokens, password changes, and API keys.

use crate::domain::api_key::NewApiKey;
use crate::domain::status::{TransitionInput, WorkOrderStatus as S};
use crate::domain::user::UserPatch;
use crate::rbac::{BuiltinRole, RoleRef};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field, assert_forbidden};
use crate::{Actor, CmmsError, OrgId};
use chrono::TimeDelta;
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery";

fn unauthenticated<T: std::fmt::Debug>(r: Result<T, CmmsError>, what: &str) {
    assert!(
        matches!(r, Err(CmmsError::Unauthenticated)),
        "{what}: expected Unauthenticated, got {r:?}"
    );
}

async fn with_password(fx: &Fx) {
    let system = Actor::system(fx.org.id);
    for p in [&fx.tech, &fx.manager, &fx.requester] {
        fx.cmms.set_password(&system, p.user.id, PASSWORD).await.unwrap();
    }
}

/// Login works with the right password only; wrong email, wrong password, inactive users and
/// unknown organizations look alike; five failures lock the account for the window.
pub async fn auth_login_and_lockout(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    with_password(&fx).await;
    let email = fx.tech.user.email.to_uppercase();
    let session = c.login(fx.org.id, &email, PASSWORD).await.unwrap();
    assert_eq!(
        (session.user.id, session.actor.user_id()),
        (fx.tech.user.id, Some(fx.tech.user.id))
    );
    assert!(session.refresh_token.len() > 60 && session.refresh_expires_at > c.now());
    unauthenticated(c.login(fx.org.id, &email, "wrong password!").await, "wrong password");
    unauthenticated(c.login(fx.org.id, "nobody@example.test", PASSWORD).await, "unknown email");
    unauthenticated(c.login(OrgId::new(), &email, PASSWORD).await, "unknown org");
    unauthenticated(c.login(fx.org.id, &fx.viewer.user.email, PASSWORD).await, "no password set");
    c.update_user(
        &fx.owner.actor,
        fx.requester.user.id,
        UserPatch { active: Some(false), ..Default::default() },
        None,
    )
    .await
    .unwrap();
    unauthenticated(c.login(fx.org.id, &fx.requester.user.email, PASSWORD).await, "inactive user");
    // The failure above counted once; four more within the window lock the account.
    for _ in 0..4 {
        fx.tick();
        unauthenticated(c.login(fx.org.id, &email, "still wrong").await, "failure");
    }
    match c.login(fx.org.id, &email, PASSWORD).await {
        Err(CmmsError::RateLimited { retry_after_secs }) => {
            assert!((1..=900).contains(&retry_after_secs))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    fx.clock.advance(TimeDelta::minutes(15));
    c.login(fx.org.id, &email, PASSWORD).await.unwrap();
    // Success cleared the counter: four new failures do not lock.
    for _ in 0..4 {
        unauthenticated(c.login(fx.org.id, &email, "nope nope").await, "failure after success");
    }
    c.login(fx.org.id, &email, PASSWORD).await.unwrap();
    // The trail records logins, and never a password hash.
    let trail = c.audit_entries(&fx.owner.actor, 0, Some(crate::store::MAX_LIMIT)).await.unwrap();
    assert!(trail.iter().any(|e| e.draft.action == "auth.login_failed"));
    assert!(
        trail
            .iter()
            .any(|e| e.draft.action == "auth.login" && e.draft.actor_id == Some(fx.tech.user.id))
    );
    let text = serde_json::to_string(&trail).unwrap();
    assert!(!text.contains("$argon2"), "a password hash reached the audit trail");
}

/// Refresh tokens rotate; presenting a rotated token again revokes its whole family; other
/// sessions are unaffected; logout ends a family; expired and foreign tokens fail.
pub async fn auth_refresh_rotation(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    with_password(&fx).await;
    let first = c.login(fx.org.id, &fx.tech.user.email, PASSWORD).await.unwrap();
    let other = c.login(fx.org.id, &fx.tech.user.email, PASSWORD).await.unwrap();
    let second = c.refresh(&first.refresh_token).await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.actor.user_id(), Some(fx.tech.user.id));
    let third = c.refresh(&second.refresh_token).await.unwrap();
    // Replaying a rotated token: theft. The whole family goes, including the newest token.
    unauthenticated(c.refresh(&first.refresh_token).await, "replayed token");
    unauthenticated(c.refresh(&third.refresh_token).await, "family revoked");
    let other2 = c.refresh(&other.refresh_token).await.unwrap();
    c.logout(&other2.refresh_token).await.unwrap();
    c.logout(&other2.refresh_token).await.unwrap();
    c.logout("garbage").await.unwrap();
    unauthenticated(c.refresh(&other2.refresh_token).await, "after logout");
    unauthenticated(c.refresh("not.a.token").await, "garbage");
    let (_, rest) = first.refresh_token.split_once('.').unwrap();
    let foreign = format!("{}.{rest}", OrgId::new().uuid().simple());
    unauthenticated(c.refresh(&foreign).await, "token moved to another org");
    let late = c.login(fx.org.id, &fx.tech.user.email, PASSWORD).await.unwrap();
    fx.clock.advance(c.refresh_ttl() + TimeDelta::seconds(1));
    unauthenticated(c.refresh(&late.refresh_token).await, "expired");
}

/// Password reset and email verification tokens are single use and expire; a reset ends every
/// session; changing one's password needs the current one.
pub async fn auth_reset_and_verification(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    with_password(&fx).await;
    let session = c.login(fx.org.id, &fx.tech.user.email, PASSWORD).await.unwrap();
    assert!(c.request_password_reset(fx.org.id, "nobody@example.test").await.unwrap().is_none());
    let token =
        c.request_password_reset(fx.org.id, &fx.tech.user.email).await.unwrap().expect("a token");
    assert_eq!(token.to, fx.tech.user.email);
    let token = token.token;
    assert_field(c.reset_password(&token, "short").await, "password");
    c.reset_password(&token, "a brand new password").await.unwrap();
    assert_field(c.reset_password(&token, "another new password").await, "token");
    unauthenticated(c.refresh(&session.refresh_token).await, "sessions end on reset");
    unauthenticated(c.login(fx.org.id, &fx.tech.user.email, PASSWORD).await, "old password");
    c.login(fx.org.id, &fx.tech.user.email, "a brand new password").await.unwrap();
    let stale =
        c.request_password_reset(fx.org.id, &fx.tech.user.email).await.unwrap().unwrap().token;
    fx.clock.advance(TimeDelta::hours(2));
    assert_field(c.reset_password(&stale, "too late password").await, "token");
    // Invitations: a manager invites the viewer, who sets a first password.
    assert_forbidden(
        c.request_email_verification(&fx.viewer.actor, fx.tech.user.id).await,
        "viewer inviting",
    );
    let invite = c.request_email_verification(&fx.manager.actor, fx.viewer.user.id).await.unwrap();
    assert_eq!(invite.to, fx.viewer.user.email);
    let invite = invite.token;
    c.verify_email(&invite, Some("viewer first password")).await.unwrap();
    assert_field(c.verify_email(&invite, None).await, "token");
    c.login(fx.org.id, &fx.viewer.user.email, "viewer first password").await.unwrap();
    // Changing one's own password.
    let r = c.change_password(&fx.viewer.actor, "wrong current", "whatever else 1").await;
    assert_field(r, "current_password");
    c.change_password(&fx.viewer.actor, "viewer first password", "viewer second password")
        .await
        .unwrap();
    c.login(fx.org.id, &fx.viewer.user.email, "viewer second password").await.unwrap();
    assert_forbidden(
        c.set_password(&fx.manager.actor, fx.admin.user.id, "manager sets admin").await,
        "manager vs admin",
    );
}

/// API keys act with their role on behalf of their creator, only within what the creator may
/// grant; they can be revoked, and stop when the creator is deactivated.
pub async fn auth_api_keys(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let tech_key = NewApiKey {
        name: "CMMS sync".into(),
        role: RoleRef::Builtin(BuiltinRole::Technician),
        sites: None,
    };
    let (key, text) = c.create_api_key(&fx.manager.actor, tech_key.clone()).await.unwrap();
    assert!(text.starts_with("cmms_") && !text.contains(&key.key_hash));
    assert!(
        !serde_json::to_string(&key).unwrap().contains(&key.key_hash),
        "the hash is never serialized"
    );
    let admin_key = NewApiKey { role: RoleRef::Builtin(BuiltinRole::Admin), ..tech_key.clone() };
    assert_forbidden(c.create_api_key(&fx.manager.actor, admin_key).await, "key above the creator");
    assert_forbidden(c.create_api_key(&fx.requester.actor, tech_key.clone()).await, "requester");
    let actor = c.authenticate_api_key(&text).await.unwrap();
    assert_eq!((actor.org(), actor.user_id()), (fx.org.id, Some(fx.manager.user.id)));
    let wo = fx.wo("Via API", vec![]).await;
    c.get_work_order(&actor, wo.id).await.unwrap();
    assert_forbidden(c.delete_work_order(&actor, wo.id, None).await, "technician key deleting");
    assert_forbidden(
        c.transition_work_order(&actor, wo.id, S::Cancelled, TransitionInput::reason("nope")).await,
        "cancel",
    );
    let listed = c.list_api_keys(&fx.manager.actor).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    let forged = format!("{}x", &text[..text.len() - 1]);
    unauthenticated(c.authenticate_api_key(&forged).await, "forged key");
    unauthenticated(c.authenticate_api_key("cmms_nonsense").await, "malformed key");
    c.revoke_api_key(&fx.manager.actor, key.id).await.unwrap();
    unauthenticated(c.authenticate_api_key(&text).await, "revoked key");
    let (_, second) = c.create_api_key(&fx.manager.actor, tech_key).await.unwrap();
    c.update_user(
        &fx.owner.actor,
        fx.manager.user.id,
        UserPatch { active: Some(false), ..Default::default() },
        None,
    )
    .await
    .unwrap();
    unauthenticated(c.authenticate_api_key(&second).await, "creator deactivated");
}
