//! Tenant isolation over every route, on both stores, derived from the served OpenAPI document
//! (not a hand list): organization A calling any route with organization B's ids gets exactly
//! the answer it gets for ids that exist nowhere, and no answer to A — lists, pages, event and
//! audit reads included — contains any of B's ids (but the one A sent, which a not-found
//! answer names).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::openapi_walk::{Ids, concrete, operations};
use common::{Kind, Srv, into_res, start_with};
use reqwest::Method;
use serde_json::Value;

async fn call(s: &Srv, method: &Method, path: &str, token: &str, body: bool) -> common::Res {
    let mut rb = s.http.request(method.clone(), s.url(path)).bearer_auth(token);
    if body {
        rb = rb.header("content-type", "application/json").body("{}");
    }
    into_res(rb.send().await.unwrap()).await
}

async fn another_orgs_ids_are_unknown_ids(kind: Kind) {
    let s = start_with(kind, |a| a.token_rate_per_second = 1_000_000).await;
    let a = s.org("Alpha").await;
    let b = s.org("Beta").await;
    s.one_of_each(&a).await;
    let theirs = s.one_of_each(&b).await;
    let nowhere: Ids = theirs.keys().map(|k| (*k, uuid::Uuid::now_v7().to_string())).collect();
    let secrets: Vec<String> =
        theirs.values().cloned().chain([b.id.clone(), b.owner_id.clone()]).collect();
    let doc: Value = s.call(Method::GET, "/openapi.json", None, None).await.expect(200);
    let mut checked = 0;
    for op in operations(&doc) {
        if op.streams {
            continue;
        }
        let body = op.body.is_some();
        let path = concrete(&op.path, &theirs).unwrap_or_else(|e| panic!("{}: {e}", op.path));
        let foreign = call(&s, &op.method, &path, &a.owner, body).await;
        // A not-found answer may repeat the id A sent; any other of B's ids is a leak.
        for id in secrets.iter().filter(|id| !path.contains(id.as_str())) {
            assert!(
                !foreign.text.contains(id.as_str()),
                "{} {}: A's answer holds B's id {id}: {}",
                op.method,
                op.path,
                foreign.text
            );
        }
        if op.path.contains('{') {
            let unknown = concrete(&op.path, &nowhere).unwrap();
            let none = call(&s, &op.method, &unknown, &a.owner, body).await;
            assert_eq!(
                (foreign.status, &foreign.body["code"]),
                (none.status, &none.body["code"]),
                "{} {}: B's ids answer differently from unknown ids: {} vs {}",
                op.method,
                op.path,
                foreign.text,
                none.text
            );
        }
        checked += 1;
    }
    assert!(checked > 60, "only {checked} operations");
    s.shutdown().await;
}

both_stores!(another_orgs_ids_are_unknown_ids);
