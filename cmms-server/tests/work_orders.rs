//! Work through the API on both stores: a full life cycle by users of different roles, the
//! customer request flow, If-Match conflicts, pagination over 1,000 work orders and tenant
//! isolation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use cmms_core::domain::work_order::NewWorkOrder;
use common::{Kind, start};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn life_cycle_by_roles(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Plant").await;
    let site = s.site(&org, "NP").await;
    let (_, manager) = s.user(&org, "manager", None).await;
    let (tech_id, tech) = s.user(&org, "technician", None).await;
    let (_, other_tech) = s.user(&org, "technician", None).await;
    let (_, viewer) = s.user(&org, "viewer", None).await;

    let asset = s
        .post(
            "/api/v1/assets",
            &manager,
            json!({ "name": "Pump 7", "code": "P-7", "site_id": site }),
        )
        .await
        .expect(201);
    let wo = s
        .work_order(&manager, json!({
            "title": "Replace pump seal", "site_id": site, "asset_id": id(&asset), "priority": "high",
            "checklist": [{ "label": "Isolate power", "mandatory": true }],
        }))
        .await;
    let wo_id = id(&wo);
    assert_eq!(wo["status"], "open");
    assert!(wo["number"].as_str().unwrap().starts_with("WO-"), "{wo}");

    // A viewer reads but cannot change; a technician cannot start unassigned work.
    s.get(&format!("/api/v1/work-orders/{wo_id}"), &viewer).await.expect(200);
    s.post(
        &format!("/api/v1/work-orders/{wo_id}/transitions"),
        &viewer,
        json!({ "to": "cancelled", "reason": "not needed" }),
    )
    .await
    .problem(403, "forbidden");
    // The technician takes the unassigned work; a second technician cannot take it over.
    let taken = s
        .post(&format!("/api/v1/work-orders/{wo_id}/self-assign"), &tech, json!({}))
        .await
        .expect(200);
    assert_eq!(taken["status"], "assigned");
    assert_eq!(taken["assignees"], json!([tech_id]));
    s.post(&format!("/api/v1/work-orders/{wo_id}/self-assign"), &other_tech, json!({}))
        .await
        .problem(409, "conflict");

    let path = format!("/api/v1/work-orders/{wo_id}/transitions");
    let started = s.post(&path, &tech, json!({ "to": "in_progress" })).await.expect(200);
    assert!(started["actual_start"].is_string());
    // Hold needs a reason; completion needs the mandatory checklist item.
    s.post(&path, &tech, json!({ "to": "on_hold" })).await.problem(422, "validation_failed");
    s.post(&path, &tech, json!({ "to": "on_hold", "reason": "waiting for the seal kit" }))
        .await
        .expect(200);
    s.post(&path, &tech, json!({ "to": "in_progress" })).await.expect(200);
    s.post(&path, &tech, json!({ "to": "completed" })).await.problem(422, "validation_failed");
    let items = s.get(&format!("/api/v1/work-orders/{wo_id}/checklist"), &tech).await.expect(200);
    let item = id(&items[0]);
    s.call(
        Method::PUT,
        &format!("/api/v1/work-orders/{wo_id}/checklist/{item}"),
        Some(&tech),
        Some(json!({ "result": "done", "notes": "locked out" })),
    )
    .await
    .expect(200);
    s.post(
        &format!("/api/v1/work-orders/{wo_id}/comments"),
        &tech,
        json!({ "body": "Seal replaced" }),
    )
    .await
    .expect(201);
    s.post(
        &format!("/api/v1/work-orders/{wo_id}/labor"),
        &tech,
        json!({ "user_id": tech_id, "minutes": 45 }),
    )
    .await
    .expect(201);
    let done = s
        .post(&path, &tech, json!({ "to": "completed", "completion_notes": "ok" }))
        .await
        .expect(200);
    assert!(done["actual_end"].is_string());
    // Only a manager verifies; skipping a step is an invalid transition.
    s.post(&path, &tech, json!({ "to": "verified" })).await.problem(403, "forbidden");
    s.post(&path, &manager, json!({ "to": "open" })).await.problem(409, "invalid_transition");
    let verified = s.post(&path, &manager, json!({ "to": "verified" })).await.expect(200);
    assert!(verified["verified_by"].is_string());
    let closed = s.post(&path, &manager, json!({ "to": "closed" })).await.expect(200);
    assert_eq!(closed["status"], "closed");

    let timeline =
        s.get(&format!("/api/v1/work-orders/{wo_id}/timeline"), &viewer).await.expect(200);
    let moves: Vec<&str> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["to_status"].as_str())
        .collect();
    assert_eq!(
        moves,
        [
            "open",
            "assigned",
            "in_progress",
            "on_hold",
            "in_progress",
            "completed",
            "verified",
            "closed"
        ]
    );
    assert!(
        timeline["time_in_status"].as_array().unwrap().iter().any(|t| t["status"] == "on_hold")
    );
    let comments =
        s.get(&format!("/api/v1/work-orders/{wo_id}/comments"), &viewer).await.expect(200);
    assert_eq!(comments[0]["body"], "Seal replaced");
    let labor = s.get(&format!("/api/v1/work-orders/{wo_id}/labor"), &manager).await.expect(200);
    assert_eq!(labor[0]["minutes"], 45);
    let history =
        s.get(&format!("/api/v1/assets/{}/history", id(&asset)), &viewer).await.expect(200);
    assert_eq!(history["items"][0]["id"], wo_id.as_str(), "{history}");
    // Every change is in the audit chain, and the chain verifies.
    let verify = s.get("/api/v1/audit/verify", &org.owner).await.expect(200);
    assert_eq!(verify["ok"], true, "{verify}");
    assert!(verify["broken"].is_null(), "{verify}");
    s.shutdown().await;
}

async fn request_flow_with_requester(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Homes").await;
    let site = s.site(&org, "B1").await;
    let (_, requester) = s.user(&org, "requester", None).await;
    let (_, other_requester) = s.user(&org, "requester", None).await;
    let (_, manager) = s.user(&org, "manager", None).await;
    let (tech_id, tech) = s.user(&org, "technician", None).await;

    let req = s
        .post(
            "/api/v1/requests",
            &requester,
            json!({ "title": "Leaking tap in 2B", "site_id": site, "submit": true }),
        )
        .await
        .expect(201);
    let req_id = id(&req);
    assert_eq!(req["status"], "submitted");
    // Requesters see only their own requests.
    s.get(&format!("/api/v1/requests/{req_id}"), &other_requester).await.problem(404, "not_found");
    let theirs = s.get("/api/v1/requests", &other_requester).await.expect(200);
    assert_eq!(theirs["items"], json!([]));

    let approved = s
        .post(
            &format!("/api/v1/requests/{req_id}/approve"),
            &manager,
            json!({ "assignees": [tech_id] }),
        )
        .await
        .expect(200);
    let wo_id = id(&approved["work_order"]);
    let path = format!("/api/v1/work-orders/{wo_id}/transitions");
    s.post(
        &format!("/api/v1/work-orders/{wo_id}/comments"),
        &tech,
        json!({ "body": "staff only", "internal": true }),
    )
    .await
    .expect(201);
    s.post(&path, &tech, json!({ "to": "in_progress" })).await.expect(200);
    s.post(&path, &tech, json!({ "to": "completed" })).await.expect(200);

    // The requester follows the work order and never sees internal comments.
    let followed =
        s.get(&format!("/api/v1/requests/{req_id}/work-order"), &requester).await.expect(200);
    assert_eq!(followed["status"], "completed");
    s.post(&format!("/api/v1/work-orders/{wo_id}/comments"), &tech, json!({ "body": "on my way" }))
        .await
        .expect(201);
    let staff = s.get(&format!("/api/v1/work-orders/{wo_id}/comments"), &tech).await.expect(200);
    assert_eq!(staff.as_array().unwrap().len(), 2);
    let comments =
        s.get(&format!("/api/v1/work-orders/{wo_id}/comments"), &requester).await.expect(200);
    let bodies: Vec<&str> =
        comments.as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["on my way"], "internal comments are hidden from the requester");
    s.post(
        &format!("/api/v1/requests/{req_id}/reject-completion"),
        &requester,
        json!({ "reason": "no" }),
    )
    .await
    .problem(422, "validation_failed");
    s.post(
        &format!("/api/v1/requests/{req_id}/reject-completion"),
        &requester,
        json!({ "reason": "still dripping" }),
    )
    .await
    .expect(200);
    let back = s.get(&format!("/api/v1/work-orders/{wo_id}"), &tech).await.expect(200);
    assert_eq!(back["status"], "in_progress");
    s.post(&path, &tech, json!({ "to": "completed" })).await.expect(200);
    s.post(&format!("/api/v1/requests/{req_id}/confirm"), &other_requester, json!({}))
        .await
        .problem(404, "not_found");
    s.post(&format!("/api/v1/requests/{req_id}/confirm"), &requester, json!({})).await.expect(200);
    let closed = s.get(&format!("/api/v1/work-orders/{wo_id}"), &manager).await.expect(200);
    assert_eq!(closed["status"], "closed");
    s.shutdown().await;
}

async fn if_match_conflicts(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Versions").await;
    let site = s.site(&org, "V").await;
    let wo = s.work_order(&org.owner, json!({ "title": "Paint the fence", "site_id": site })).await;
    let url = format!("/api/v1/work-orders/{}", id(&wo));
    let got = s.get(&url, &org.owner).await;
    assert_eq!(got.header("etag"), Some("\"1\""));
    let patch = |m: &'static str, title: &'static str| {
        let http = s.http.clone();
        let full = s.url(&url);
        let token = org.owner.clone();
        async move {
            common::into_res(
                http.patch(full)
                    .bearer_auth(token)
                    .header("if-match", m)
                    .json(&json!({ "title": title }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let ok = patch("\"1\"", "Paint the fence white").await;
    assert_eq!(ok.header("etag"), Some("\"2\""));
    assert_eq!(ok.expect(200)["title"], "Paint the fence white");
    let stale = patch("\"1\"", "Paint it black").await.problem(412, "conflict");
    assert_eq!(stale["current_version"], 2);
    patch("not-an-etag", "x").await.problem(400, "malformed_request");
    // The body's `version` works too, answering 409 when stale.
    let stale = s
        .patch(&url, &org.owner, json!({ "title": "Paint it black", "version": 1 }))
        .await
        .problem(409, "conflict");
    assert_eq!(stale["current_version"], 2);
    s.patch(&url, &org.owner, json!({ "title": "Paint it black", "version": 2 })).await.expect(200);
    // A stale transition is a conflict too, and nothing changed.
    let t = s
        .post(
            &format!("{url}/transitions"),
            &org.owner,
            json!({ "to": "cancelled", "reason": "not needed", "expected_version": 1 }),
        )
        .await
        .problem(409, "conflict");
    assert_eq!(t["current_version"], 3);
    assert_eq!(s.get(&url, &org.owner).await.expect(200)["status"], "open");
    s.shutdown().await;
}

async fn pagination_walks_1000_without_gaps(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Many").await;
    let cmms = s.state.cmms();
    let owner = cmms.actor(org.id.parse().unwrap(), org.owner_id.parse().unwrap()).await.unwrap();
    let site = s.site(&org, "M").await.parse().ok();
    let mut made = HashSet::new();
    for i in 0..1000 {
        let input =
            NewWorkOrder { title: format!("Job {i}"), site_id: site, ..NewWorkOrder::default() };
        made.insert(cmms.create_work_order(&owner, input).await.unwrap().id.to_string());
    }
    for (query, page) in [("", 37usize), ("&sort=due", 200), ("&sort=priority", 500)] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("/api/v1/work-orders?limit={page}{query}");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let body = s.get(&url, &org.owner).await.expect(200);
            let items = body["items"].as_array().unwrap();
            assert!(items.len() <= page);
            seen.extend(items.iter().map(id));
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 1000, "{query}: every work order once");
        assert_eq!(
            seen.iter().cloned().collect::<HashSet<_>>(),
            made,
            "{query}: no duplicate, no gap"
        );
    }
    // One bound for every list: the audit trail and the event page too.
    for list in ["/api/v1/work-orders", "/api/v1/audit", "/api/v1/events/page"] {
        s.get(&format!("{list}?limit=501"), &org.owner).await.problem(422, "validation_failed");
    }
    s.get("/api/v1/work-orders?cursor=bogus", &org.owner).await.problem(422, "validation_failed");
    s.get("/api/v1/work-orders?status=nonsense", &org.owner)
        .await
        .problem(422, "validation_failed");
    let filtered = s
        .get("/api/v1/work-orders?status=open&status=assigned&text=Job%2099&limit=500", &org.owner)
        .await
        .expect(200);
    let titles: HashSet<&str> = filtered["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["title"].as_str().unwrap())
        .collect();
    let want: HashSet<String> = std::iter::once("Job 99".to_string())
        .chain((990..1000).map(|i| format!("Job {i}")))
        .collect();
    assert_eq!(titles, want.iter().map(String::as_str).collect());
    s.shutdown().await;
}

async fn other_tenants_ids_are_404(kind: Kind) {
    let s = start(kind).await;
    let a = s.org("Alpha").await;
    let b = s.org("Beta").await;
    let site = s.site(&b, "BS").await;
    let asset = s
        .post(
            "/api/v1/assets",
            &b.owner,
            json!({ "name": "B pump", "code": "BP", "site_id": site }),
        )
        .await
        .expect(201);
    let wo = s.work_order(&b.owner, json!({ "title": "Beta's job", "site_id": site })).await;
    let req = s
        .post("/api/v1/requests", &b.owner, json!({ "title": "Beta's request", "site_id": site }))
        .await
        .expect(201);
    let team = s.post("/api/v1/teams", &b.owner, json!({ "name": "Beta crew" })).await.expect(201);
    let loc = s
        .post("/api/v1/locations", &b.owner, json!({ "site_id": site, "name": "Hall" }))
        .await
        .expect(201);
    let item = s
        .post(
            &format!("/api/v1/work-orders/{}/checklist", id(&wo)),
            &b.owner,
            json!({ "label": "Check" }),
        )
        .await
        .expect(201);
    let (_, _) = s.user(&b, "viewer", None).await;
    let users = s.get("/api/v1/users", &b.owner).await.expect(200);
    let viewer = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] != b.owner_id.as_str())
        .unwrap()
        .clone();
    let grant = s.get(&format!("/api/v1/users/{}/grants", id(&viewer)), &b.owner).await.expect(200)
        [0]
    .clone();
    let role = s
        .post(
            "/api/v1/roles",
            &b.owner,
            json!({ "name": "Auditor", "level": 10, "permissions": { "work_order.read": "any" } }),
        )
        .await
        .expect(201);
    let key = s
        .post("/api/v1/api-keys", &b.owner, json!({ "name": "k", "role": { "builtin": "viewer" } }))
        .await
        .expect(201);
    let (wo, asset, req) = (id(&wo), id(&asset), id(&req));
    let before = s.get(&format!("/api/v1/work-orders/{wo}"), &b.owner).await.expect(200);
    let gets = [
        format!("/api/v1/work-orders/{wo}"),
        format!("/api/v1/work-orders/{wo}/timeline"),
        format!("/api/v1/work-orders/{wo}/comments"),
        format!("/api/v1/work-orders/{wo}/checklist"),
        format!("/api/v1/work-orders/{wo}/labor"),
        format!("/api/v1/assets/{asset}"),
        format!("/api/v1/assets/{asset}/children"),
        format!("/api/v1/assets/{asset}/history"),
        format!("/api/v1/sites/{site}"),
        format!("/api/v1/locations/{}", id(&loc)),
        format!("/api/v1/teams/{}", id(&team)),
        format!("/api/v1/users/{}", b.owner_id),
        format!("/api/v1/users/{}/grants", b.owner_id),
        format!("/api/v1/requests/{req}"),
        format!("/api/v1/requests/{req}/work-order"),
    ];
    for path in &gets {
        s.get(path, &a.owner).await.problem(404, "not_found");
    }
    let writes = [
        (Method::PATCH, format!("/api/v1/work-orders/{wo}"), json!({ "title": "mine now" })),
        (
            Method::POST,
            format!("/api/v1/work-orders/{wo}/transitions"),
            json!({ "to": "cancelled", "reason": "gone" }),
        ),
        (Method::POST, format!("/api/v1/work-orders/{wo}/comments"), json!({ "body": "hi" })),
        (
            Method::POST,
            format!("/api/v1/work-orders/{wo}/assign"),
            json!({ "assignees": [a.owner_id] }),
        ),
        (Method::DELETE, format!("/api/v1/work-orders/{wo}"), Value::Null),
        (Method::PATCH, format!("/api/v1/assets/{asset}"), json!({ "name": "mine" })),
        (Method::PATCH, format!("/api/v1/sites/{site}"), json!({ "name": "mine" })),
        (Method::PATCH, format!("/api/v1/users/{}", b.owner_id), json!({ "name": "mine" })),
        (Method::POST, format!("/api/v1/requests/{req}/approve"), json!({})),
        (Method::POST, format!("/api/v1/requests/{req}/submit"), json!({})),
        (Method::POST, format!("/api/v1/requests/{req}/cancel"), json!({})),
        (Method::POST, format!("/api/v1/requests/{req}/reject"), json!({ "reason": "not ours" })),
        (Method::POST, format!("/api/v1/requests/{req}/confirm"), json!({})),
        (Method::POST, format!("/api/v1/work-orders/{wo}/self-assign"), json!({})),
        (
            Method::POST,
            format!("/api/v1/work-orders/{wo}/labor"),
            json!({ "user_id": a.owner_id, "minutes": 5 }),
        ),
        (Method::POST, format!("/api/v1/work-orders/{wo}/checklist"), json!({ "label": "x" })),
        (
            Method::PUT,
            format!("/api/v1/work-orders/{wo}/checklist/{}", id(&item)),
            json!({ "result": "done" }),
        ),
        (Method::DELETE, format!("/api/v1/grants/{}", id(&grant)), Value::Null),
        (Method::PATCH, format!("/api/v1/roles/{}", id(&role)), json!({ "name": "mine" })),
        (Method::DELETE, format!("/api/v1/api-keys/{}", id(&key["key"])), Value::Null),
        (Method::PATCH, format!("/api/v1/teams/{}", id(&team)), json!({ "name": "mine" })),
        (Method::PATCH, format!("/api/v1/locations/{}", id(&loc)), json!({ "name": "mine" })),
    ];
    for (method, path, body) in writes {
        let body = (!body.is_null()).then_some(body);
        s.call(method.clone(), &path, Some(&a.owner), body).await.problem(404, "not_found");
    }
    // Creating with another org's references is refused without revealing them: the answer
    // is the one for an id that does not exist at all.
    let foreign =
        s.post("/api/v1/work-orders", &a.owner, json!({ "title": "x", "site_id": site })).await;
    let unknown = s
        .post(
            "/api/v1/work-orders",
            &a.owner,
            json!({ "title": "x", "site_id": uuid::Uuid::now_v7() }),
        )
        .await;
    assert_eq!(foreign.status, unknown.status, "{} / {}", foreign.text, unknown.text);
    assert_eq!(foreign.body["code"], unknown.body["code"]);
    assert!(foreign.status.is_client_error());
    // Lists, the audit trail and the event stream never show the other org's rows.
    let list = s.get("/api/v1/work-orders", &a.owner).await.expect(200);
    assert_eq!(list["items"], json!([]));
    let b_ids = [wo.as_str(), asset.as_str(), req.as_str(), site.as_str()];
    for path in [
        "/api/v1/audit?limit=500",
        "/api/v1/events/page?limit=500",
        "/api/v1/users",
        "/api/v1/sites",
        "/api/v1/api-keys",
        "/api/v1/roles",
    ] {
        let text = s.get(path, &a.owner).await.expect(200).to_string();
        for bid in b_ids {
            assert!(!text.contains(bid), "{path} shows org B's {bid}");
        }
        assert!(!text.contains(&b.id), "{path} shows org B");
    }
    // Beta's work is untouched.
    let still = s.get(&format!("/api/v1/work-orders/{wo}"), &b.owner).await.expect(200);
    assert_eq!(still, before, "nothing A tried changed B's work order");
    s.shutdown().await;
}

both_stores!(
    life_cycle_by_roles,
    request_flow_with_requester,
    if_match_conflicts,
    pagination_walks_1000_without_gaps,
    other_tenants_ids_are_404,
);
