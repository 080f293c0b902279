//! HTTP semantics, on both stores: one JSON value per body, unknown fields named, NUL refused
//! everywhere, errors that quote only excerpts (never a 500 for a client's mistake),
//! preconditions first, taken values 409, PATCH as merge patch, assignees who can do the
//! work, bodiless actions, rate limits per token, 414 as a problem, problem types the server
//! resolves, login by slug and exact counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, Srv, into_res, start, start_with};
use reqwest::Method;
use serde_json::{Value, json};

async fn raw(s: &Srv, method: Method, path: &str, token: &str, body: &str) -> common::Res {
    let rb = s
        .http
        .request(method, s.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string());
    into_res(rb.send().await.unwrap()).await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// The field an error names (the first), and its message.
fn field(p: &Value) -> (String, String) {
    assert!(p["errors"].is_array(), "{p}");
    let e = &p["errors"][0];
    (e["field"].as_str().unwrap_or("").into(), e["message"].as_str().unwrap_or("").into())
}

async fn huge_values_of_the_wrong_type_answer_small_422s(kind: Kind) {
    let s = start_with(kind, |a| a.body_limit = 4 * 1024 * 1024).await;
    let org = s.org("Huge").await;
    let t = &org.owner;
    let site = s.site(&org, "H").await;
    let wo = s.work_order(t, json!({ "title": "x", "site_id": site })).await;
    let big = "y".repeat(70_000);
    let path = format!("/api/v1/work-orders/{}/checklist", id(&wo));
    let r = s.post(&path, t, json!({ "label": "x", "mandatory": big })).await;
    assert!(r.text.len() < 4_000, "{} bytes", r.text.len());
    r.problem(422, "validation_failed");
    let mut role = serde_json::Map::new();
    role.insert("builtin".into(), json!("viewer"));
    role.insert("z".repeat(70_000), json!(1));
    let r = s.post("/api/v1/api-keys", t, json!({ "name": "k", "role": role })).await;
    assert!(r.text.len() < 4_000, "{} bytes", r.text.len());
    r.problem(422, "validation_failed");
    let path = format!("/api/v1/users/{}/grants", org.owner_id);
    let r = s.post(&path, t, json!({ "role": "r".repeat(1_000_000) })).await;
    assert!(r.text.len() < 4_000, "{} bytes", r.text.len());
    r.problem(422, "validation_failed");
    s.shutdown().await;
}

async fn nul_is_refused_the_same_everywhere(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Nul").await;
    let t = &org.owner;
    s.get("/api/v1/assets?category=a%00b", t).await.problem(422, "validation_failed");
    s.get("/api/v1/sites/a%00b", t).await.problem(422, "validation_failed");
    let login = json!({ "org": org.id, "email": "a\u{0}b@x.test", "password": "whatever-pass" });
    s.post_open("/api/v1/auth/login", login).await.problem(422, "validation_failed");
    let reset = json!({ "org": org.id, "email": "a\u{0}b@x.test" });
    s.post_open("/api/v1/auth/password-reset/request", reset)
        .await
        .problem(422, "validation_failed");
    let site = json!({ "name": "N\u{0}", "code": "N" });
    s.post("/api/v1/sites", t, site).await.problem(422, "validation_failed");
    // An escaped backslash before "u0000" is text, not NUL.
    let site = json!({ "name": "a\\u0000b", "code": "N1" });
    s.post("/api/v1/sites", t, site).await.expect(201);
    s.shutdown().await;
}

async fn bodies_are_one_json_value_with_known_fields(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Bodies").await;
    let t = &org.owner;
    let site = s.site(&org, "B").await;
    let one = format!("{{\"title\":\"x\",\"site_id\":\"{site}\"}}");
    for body in [format!("{one} {{"), format!("{one}{one}"), format!("{one} 1")] {
        raw(&s, Method::POST, "/api/v1/work-orders", t, &body)
            .await
            .problem(400, "malformed_request");
    }
    let typo = json!({ "title": "x", "site_id": site, "priorty": "urgent" });
    let p = s.post("/api/v1/work-orders", t, typo).await.problem(422, "validation_failed");
    let (f, m) = field(&p);
    assert_eq!(f, "priorty");
    assert!(m.contains("did you mean `priority`"), "{m}");
    let wo = s.work_order(t, json!({ "title": "x", "site_id": site })).await;
    let path = format!("/api/v1/work-orders/{}", id(&wo));
    let p = s.patch(&path, t, json!({ "titel": "y" })).await.problem(422, "validation_failed");
    assert_eq!(field(&p).0, "titel");
    let p = s
        .post("/api/v1/sites", t, json!({ "name": "S", "code": "S2", "timezone": "UTC" }))
        .await
        .problem(422, "validation_failed");
    assert!(field(&p).1.contains("time_zone"), "{p}");
    let p = s
        .post(
            "/api/v1/assets",
            t,
            json!({ "name": "A", "code": "A1", "site_id": site, "colour": 1 }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(field(&p).0, "colour");
    let p = s
        .post("/api/v1/requests", t, json!({ "title": "R", "site_id": site, "submitt": true }))
        .await
        .problem(422, "validation_failed");
    assert!(field(&p).1.contains("submit"), "{p}");
    let p = s.get("/api/v1/work-orders?stauts=open", t).await.problem(422, "validation_failed");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("status"), "{p}");
    // Nested objects are checked too.
    let body = json!({ "to": "completed", "failure": { "problm": "X" } });
    let path = format!("/api/v1/work-orders/{}/transitions", id(&wo));
    let p = s.post(&path, t, body).await.problem(422, "validation_failed");
    assert_eq!(field(&p).0, "failure.problm");
    s.shutdown().await;
}

async fn preconditions_and_taken_values(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Pre").await;
    let t = &org.owner;
    let site = s.site(&org, "P").await;
    let (tech, tech_token) = s.user(&org, "technician", None).await;
    let wo = s.work_order(t, json!({ "title": "x", "site_id": site, "assignees": [tech] })).await;
    let read = wo["version"].as_i64().unwrap();
    let path = format!("/api/v1/work-orders/{}/transitions", id(&wo));
    s.post(&path, &tech_token, json!({ "to": "in_progress" })).await.expect(200);
    let stale = s
        .http
        .post(s.url(&path))
        .bearer_auth(&tech_token)
        .header("if-match", format!("\"{read}\""))
        .json(&json!({ "to": "in_progress" }))
        .send()
        .await
        .unwrap();
    let p = into_res(stale).await.problem(412, "conflict");
    assert_eq!(p["current_version"], read + 1);
    let p = s
        .post("/api/v1/sites", t, json!({ "name": "Copy", "code": "P" }))
        .await
        .problem(409, "conflict");
    assert_eq!(field(&p).0, "code");
    s.shutdown().await;
}

/// Every PATCH route changes what its body names and keeps the rest.
async fn patches_merge(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Merge").await;
    let t = &org.owner;
    s.patch("/api/v1/orgs/current", t, json!({ "work_order_number_format": "J-{SEQ:4}" }))
        .await
        .expect(200);
    let after =
        s.patch("/api/v1/orgs/current", t, json!({ "auto_close_days": 5 })).await.expect(200);
    assert_eq!(after["settings"]["work_order_number_format"], "J-{SEQ:4}");
    assert_eq!(after["settings"]["auto_close_days"], 5);
    let site = s
        .post("/api/v1/sites", t, json!({ "name": "S", "code": "M", "address": "1 Road" }))
        .await
        .expect(201);
    let loc = s
        .post("/api/v1/locations", t, json!({ "site_id": id(&site), "name": "L", "code": "L1" }))
        .await
        .expect(201);
    let team = s
        .post("/api/v1/teams", t, json!({ "name": "T", "site_id": id(&site), "members": [] }))
        .await
        .expect(201);
    let asset = s
        .post(
            "/api/v1/assets",
            t,
            json!({ "name": "A", "code": "A1", "site_id": id(&site), "model": "X9" }),
        )
        .await
        .expect(201);
    let wo =
        s.work_order(t, json!({ "title": "W", "site_id": id(&site), "category": "pumps" })).await;
    let request = s
        .post(
            "/api/v1/requests",
            t,
            json!({ "title": "R", "site_id": id(&site), "description": "d" }),
        )
        .await
        .expect(201);
    let role = s
        .post(
            "/api/v1/roles",
            t,
            json!({ "name": "Auditor", "description": "d", "level": 20, "permissions": { "audit.read": "any" } }),
        )
        .await
        .expect(201);
    let (user, _) = s.user(&org, "viewer", None).await;
    let cases: Vec<(String, Value, &str, Value)> = vec![
        (
            format!("/api/v1/sites/{}", id(&site)),
            json!({ "name": "S2" }),
            "address",
            json!("1 Road"),
        ),
        (format!("/api/v1/locations/{}", id(&loc)), json!({ "name": "L2" }), "code", json!("L1")),
        (
            format!("/api/v1/teams/{}", id(&team)),
            json!({ "name": "T2" }),
            "site_id",
            site["id"].clone(),
        ),
        (format!("/api/v1/assets/{}", id(&asset)), json!({ "name": "A2" }), "model", json!("X9")),
        (
            format!("/api/v1/work-orders/{}", id(&wo)),
            json!({ "title": "W2" }),
            "category",
            json!("pumps"),
        ),
        (
            format!("/api/v1/requests/{}", id(&request)),
            json!({ "title": "R2" }),
            "description",
            json!("d"),
        ),
        (
            format!("/api/v1/roles/{}", id(&role)),
            json!({ "name": "Auditors" }),
            "description",
            json!("d"),
        ),
        (format!("/api/v1/users/{user}"), json!({ "name": "V2" }), "active", json!(true)),
    ];
    for (path, body, kept, value) in cases {
        let after = s.patch(&path, t, body).await.expect(200);
        assert_eq!(after[kept], value, "{path} lost {kept}: {after}");
    }
    s.shutdown().await;
}

async fn assignees_and_bodiless_actions(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Assign").await;
    let t = &org.owner;
    let site = s.site(&org, "A").await;
    let (viewer, _) = s.user(&org, "viewer", None).await;
    let wo = s.work_order(t, json!({ "title": "x", "site_id": site })).await;
    let path = format!("/api/v1/work-orders/{}/assign", id(&wo));
    let p =
        s.post(&path, t, json!({ "assignees": [viewer] })).await.problem(422, "validation_failed");
    assert_eq!(field(&p).0, "assignees");
    // An action whose fields are all optional takes no body at all.
    let r = s
        .post("/api/v1/requests", t, json!({ "title": "R", "site_id": site, "submit": true }))
        .await
        .expect(201);
    let approve = s
        .http
        .post(s.url(&format!("/api/v1/requests/{}/approve", id(&r))))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(into_res(approve).await.status, 200);
    s.shutdown().await;
}

/// Two sessions of one user do not share one rate budget.
async fn rate_limits_are_per_token(kind: Kind) {
    let s = start_with(kind, |a| a.token_rate_per_second = 1).await;
    let org = s.org("Tokens").await;
    let t = &org.owner;
    let second = s.login(&org.id, &org.email, common::PW).await;
    let mut limited = false;
    for _ in 0..10 {
        if s.get("/api/v1/sites", t).await.status == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "the first token is limited");
    s.get("/api/v1/sites", &second).await.expect(200);
    s.shutdown().await;
}

async fn uris_problem_types_slugs_and_counts(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Slugworks").await;
    let t = &org.owner;
    let long = format!("/api/v1/work-orders?text={}", "a".repeat(9_000));
    let p = s.get(&long, t).await.problem(414, "uri_too_long");
    assert_eq!(p["type"], "/docs#problem-uri_too_long");
    let docs = s.http.get(s.url("/docs")).send().await.unwrap().text().await.unwrap();
    for code in ["uri_too_long", "validation_failed", "not_found", "conflict"] {
        assert!(docs.contains(&format!("id=\"problem-{code}\"")), "docs lack {code}");
    }
    let me = s.get("/api/v1/orgs/current", t).await.expect(200);
    let slug = me["slug"].as_str().unwrap().to_string();
    assert!(slug.starts_with("slugworks"), "{slug}");
    s.login(&slug, &org.email, common::PW).await;
    s.post_open(
        "/api/v1/auth/login",
        json!({ "org": "no-such-org", "email": org.email, "password": common::PW }),
    )
    .await
    .problem(401, "unauthenticated");
    let site = s.site(&org, "C").await;
    for i in 0..3 {
        s.work_order(t, json!({ "title": format!("W{i}"), "site_id": site })).await;
    }
    let page = s.get("/api/v1/work-orders?limit=1&count=exact", t).await.expect(200);
    assert_eq!((page["items"].as_array().unwrap().len(), page["total"].as_u64()), (1, Some(3)));
    let page = s.get("/api/v1/work-orders?limit=1", t).await.expect(200);
    assert!(page.get("total").is_none(), "{page}");
    s.shutdown().await;
}

both_stores!(
    huge_values_of_the_wrong_type_answer_small_422s,
    nul_is_refused_the_same_everywhere,
    bodies_are_one_json_value_with_known_fields,
    preconditions_and_taken_values,
    patches_merge,
    assignees_and_bodiless_actions,
    rate_limits_are_per_token,
    uris_problem_types_slugs_and_counts,
);
