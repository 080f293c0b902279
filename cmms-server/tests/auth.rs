//! Authentication over HTTP on both stores: login, refresh rotation and reuse detection,
//! logout, lockout (429 with Retry-After), the per-IP login limit, password reset without
//! user enumeration, invitations, password change and API keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, PW, Srv, start, start_with};
use serde_json::json;

async fn refresh(s: &Srv, token: &str) -> common::Res {
    s.post_open("/api/v1/auth/refresh", json!({ "refresh_token": token })).await
}

async fn login_full(s: &Srv, org: &str, email: &str) -> serde_json::Value {
    s.post_open("/api/v1/auth/login", json!({ "org": org, "email": email, "password": PW }))
        .await
        .expect(200)
}

async fn login_refresh_rotation_reuse_and_logout(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Acme").await;
    let first = login_full(&s, &org.id, &org.email).await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 900);
    assert_eq!(first["user"]["email"], org.email);
    let access = first["access_token"].as_str().unwrap();
    let me = s.get("/api/v1/auth/me", access).await.expect(200);
    assert_eq!(me["user"]["id"], org.owner_id.as_str());
    assert_eq!(me["grants"][0]["role"]["builtin"], "owner");

    // Rotation: each refresh token works once and yields a new one.
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let second = refresh(&s, &r1).await.expect(200);
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    s.get("/api/v1/auth/me", second["access_token"].as_str().unwrap()).await.expect(200);

    // Reuse of a rotated token is theft: the whole family ends, including the newest token.
    refresh(&s, &r1).await.problem(401, "unauthenticated");
    refresh(&s, &r2).await.problem(401, "unauthenticated");

    // Logout ends a session; its refresh token no longer works.
    let third = login_full(&s, &org.id, &org.email).await;
    let r3 = third["refresh_token"].as_str().unwrap();
    s.post_open("/api/v1/auth/logout", json!({ "refresh_token": r3 })).await.expect(204);
    refresh(&s, r3).await.problem(401, "unauthenticated");
    refresh(&s, "garbage").await.problem(401, "unauthenticated");

    // Bad credentials all look alike.
    let wrong_pw = s
        .post_open(
            "/api/v1/auth/login",
            json!({ "org": org.id, "email": org.email, "password": "nope-nope-nope" }),
        )
        .await
        .problem(401, "unauthenticated");
    let no_user = s
        .post_open(
            "/api/v1/auth/login",
            json!({ "org": org.id, "email": "ghost@x.test", "password": "nope-nope-nope" }),
        )
        .await
        .problem(401, "unauthenticated");
    assert_eq!(wrong_pw["detail"], no_user["detail"]);
    s.get("/api/v1/auth/me", "not-a-token").await.problem(401, "unauthenticated");
    // A token signed with another secret, or edited, is refused.
    let mut parts: Vec<String> = access.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    s.get("/api/v1/auth/me", &parts.join(".")).await.problem(401, "unauthenticated");
    let bare = s.call(reqwest::Method::GET, "/api/v1/work-orders", None, None).await;
    assert_eq!(bare.header("www-authenticate"), Some("Bearer"));
    bare.problem(401, "unauthenticated");
    s.shutdown().await;
}

async fn lockout_answers_429_with_retry_after(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Lock").await;
    let bad = json!({ "org": org.id, "email": org.email, "password": "wrong password!" });
    for _ in 0..5 {
        s.post_open("/api/v1/auth/login", bad.clone()).await.problem(401, "unauthenticated");
    }
    let locked = s.post_open("/api/v1/auth/login", bad.clone()).await;
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    locked.problem(429, "rate_limited");
    // Even the right password waits out the lock.
    let right = json!({ "org": org.id, "email": org.email, "password": PW });
    s.post_open("/api/v1/auth/login", right).await.problem(429, "rate_limited");
    // An email nobody has answers the same way: the lock tells nothing about existence.
    let ghost =
        json!({ "org": org.id, "email": "nobody@lock.test", "password": "wrong password!" });
    for _ in 0..5 {
        s.post_open("/api/v1/auth/login", ghost.clone()).await.problem(401, "unauthenticated");
    }
    let r = s.post_open("/api/v1/auth/login", ghost).await;
    assert!(r.header("retry-after").is_some());
    r.problem(429, "rate_limited");
    s.shutdown().await;
}

async fn per_ip_login_limit(kind: Kind) {
    let s = start_with(kind, |a| a.login_rate_per_minute = 3).await;
    let org = s.org("Ip").await;
    let body = json!({ "org": org.id, "email": "ghost@ip.test", "password": "whatever-pass" });
    // `org()` logged in once already: two more attempts fit in the bucket of three.
    for _ in 0..2 {
        s.post_open("/api/v1/auth/login", body.clone()).await.problem(401, "unauthenticated");
    }
    let limited = s.post_open("/api/v1/auth/login", body).await;
    assert!(limited.header("retry-after").is_some());
    limited.problem(429, "rate_limited");
    s.shutdown().await;
}

async fn password_reset_without_enumeration(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Reset").await;
    let known = s
        .post_open(
            "/api/v1/auth/password-reset/request",
            json!({ "org": org.id, "email": org.email }),
        )
        .await;
    let unknown = s
        .post_open(
            "/api/v1/auth/password-reset/request",
            json!({ "org": org.id, "email": "ghost@reset.test" }),
        )
        .await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.text, unknown.text);
    assert_eq!(known.expect(202), json!({ "accepted": true }));
    let mail = s.mail_to(&org.email, "password_reset").await.expect("reset mailed");
    assert!(s.mail_to("ghost@reset.test", "password_reset").await.is_none());

    // The policy applies; a bad token is refused; the token works once.
    s.post_open(
        "/api/v1/auth/password-reset/confirm",
        json!({ "token": mail.token, "password": "short" }),
    )
    .await
    .problem(422, "validation_failed");
    s.post_open(
        "/api/v1/auth/password-reset/confirm",
        json!({ "token": "forged", "password": "a brand new password" }),
    )
    .await
    .problem(422, "validation_failed");
    let new_pw = "a brand new password";
    s.post_open(
        "/api/v1/auth/password-reset/confirm",
        json!({ "token": mail.token, "password": new_pw }),
    )
    .await
    .expect(204);
    let used = s
        .post_open(
            "/api/v1/auth/password-reset/confirm",
            json!({ "token": mail.token, "password": "another new password" }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(used["errors"][0]["field"], "token");
    s.post_open("/api/v1/auth/login", json!({ "org": org.id, "email": org.email, "password": PW }))
        .await
        .problem(401, "unauthenticated");
    let token = s.login(&org.id, &org.email, new_pw).await;

    // Changing the password needs the current one.
    s.post(
        "/api/v1/auth/change-password",
        &token,
        json!({ "current_password": PW, "new_password": "third password here" }),
    )
    .await
    .problem(422, "validation_failed");
    s.post(
        "/api/v1/auth/change-password",
        &token,
        json!({ "current_password": new_pw, "new_password": "third password here" }),
    )
    .await
    .expect(204);
    s.login(&org.id, &org.email, "third password here").await;
    s.shutdown().await;
}

async fn invitation_sets_first_password(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Invite").await;
    // `user()` walks create → invitation mail → verify-email with a password → login.
    let (id, token) = s.user(&org, "technician", None).await;
    let me = s.get("/api/v1/auth/me", &token).await.expect(200);
    assert_eq!(me["user"]["id"], id.as_str());
    assert_eq!(me["grants"][0]["role"]["builtin"], "technician");
    // A technician may not invite (or re-invite) someone else.
    s.post("/api/v1/auth/invitations", &token, json!({ "user_id": org.owner_id }))
        .await
        .problem(403, "forbidden");
    // Someone who may manage a user sets their password; the user cannot set the owner's.
    let path = format!("/api/v1/users/{id}/password");
    s.call(
        reqwest::Method::PUT,
        &path,
        Some(&org.owner),
        Some(json!({ "password": "set by the owner" })),
    )
    .await
    .expect(204);
    s.login(&org.id, me["user"]["email"].as_str().unwrap(), "set by the owner").await;
    let owner_pw = format!("/api/v1/users/{}/password", org.owner_id);
    s.call(
        reqwest::Method::PUT,
        &owner_pw,
        Some(&token),
        Some(json!({ "password": "hijacked password" })),
    )
    .await
    .problem(403, "forbidden");
    s.shutdown().await;
}

async fn api_keys_authenticate_and_revoke(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Keys").await;
    let created = s
        .post(
            "/api/v1/api-keys",
            &org.owner,
            json!({ "name": "ERP sync", "role": { "builtin": "viewer" } }),
        )
        .await
        .expect(201);
    let key = created["token"].as_str().unwrap().to_string();
    assert!(key.starts_with("cmms_"));
    let key_id = created["key"]["id"].as_str().unwrap().to_string();
    s.get("/api/v1/work-orders", &key).await.expect(200);
    // A viewer key reads but does not write.
    s.post("/api/v1/work-orders", &key, json!({ "title": "From the ERP" }))
        .await
        .problem(403, "forbidden");
    let listed = s.get("/api/v1/api-keys", &org.owner).await.expect(200);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0]["last_used_at"].is_string(), "last use is recorded: {}", listed[0]);
    assert!(!listed[0].to_string().contains(&key), "the key text is never listed");
    // The key's actions are audited as the key's, with the request id after its marker.
    let site =
        s.post("/api/v1/sites", &org.owner, json!({ "name": "K", "code": "K" })).await.expect(201);
    let admin_key = s
        .post(
            "/api/v1/api-keys",
            &org.owner,
            json!({ "name": "writer", "role": { "builtin": "manager" } }),
        )
        .await
        .expect(201);
    let wkey = admin_key["token"].as_str().unwrap();
    let r = s
        .http
        .post(s.url("/api/v1/work-orders"))
        .bearer_auth(wkey)
        .header("x-request-id", "erp-42")
        .json(&json!({ "title": "From the ERP", "site_id": site["id"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let audit = s.get("/api/v1/audit?limit=500", &org.owner).await.expect(200);
    let marker = format!("api_key:{}/erp-42", admin_key["key"]["id"].as_str().unwrap());
    assert!(audit.to_string().contains(&marker), "audit names the key and the request: {audit}");
    // A request id that is too long or odd is replaced, never stored.
    let odd = s
        .http
        .get(s.url("/api/v1/sites"))
        .bearer_auth(&org.owner)
        .header("x-request-id", "x".repeat(200))
        .send()
        .await
        .unwrap();
    assert_eq!(odd.headers().get("x-request-id").unwrap().len(), 36);
    s.delete(&format!("/api/v1/api-keys/{key_id}"), &org.owner).await.expect(204);
    s.get("/api/v1/work-orders", &key).await.problem(401, "unauthenticated");
    s.shutdown().await;
}

both_stores!(
    login_refresh_rotation_reuse_and_logout,
    lockout_answers_429_with_retry_after,
    per_ip_login_limit,
    password_reset_without_enumeration,
    invitation_sets_first_password,
    api_keys_authenticate_and_revoke,
);
