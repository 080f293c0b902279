//! The OpenAPI document: well formed, every `$ref` resolves, operation ids unique, and every
//! documented operation is really served with the documented authentication (checked by
//! calling each one on a live server); the binary prints the same document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, start_with};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r);
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn the_document_is_well_formed() {
    let doc = cmms_server::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50);
    for r in all {
        let name =
            r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("local ref: {r}"));
        assert!(schemas.contains_key(name), "dangling $ref {r}");
    }
    let mut ids = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
            assert!(
                op["responses"]["default"].is_object() || !path.starts_with("/api"),
                "{method} {path}: errors documented"
            );
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let in_path = path.matches('{').count();
            assert_eq!(params.len(), in_path, "{method} {path}: every path parameter declared");
        }
    }
    // Schema names are readable (no numbered duplicates of generic types).
    for name in schemas.keys() {
        assert!(!name.chars().last().unwrap().is_ascii_digit(), "schema name {name}");
    }
}

async fn every_documented_operation_is_served(kind: Kind) {
    let s = start_with(kind, |a| a.metrics_token = Some("metrics-token".into())).await;
    let org = s.org("Docs").await;
    let doc: Value = s.call(Method::GET, "/openapi.json", None, None).await.expect(200);
    assert_eq!(doc, cmms_server::openapi::document(), "served document is the generated one");
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            count += 1;
            let concrete = path
                .replace("{id}", &uuid::Uuid::now_v7().to_string())
                .replace("{item_id}", &uuid::Uuid::now_v7().to_string());
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body =
                matches!(method, Method::POST | Method::PATCH | Method::PUT).then(|| json!({}));
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let token =
                if path == "/metrics" { Some("metrics-token") } else { Some(org.owner.as_str()) };
            let req = |token: Option<&str>| {
                let mut rb = s.http.request(method.clone(), s.url(&concrete));
                if let Some(t) = token {
                    rb = rb.bearer_auth(t);
                }
                if let Some(b) = &body {
                    rb = rb.json(b);
                }
                rb.send()
            };
            let r = req(token).await.unwrap();
            let status = r.status().as_u16();
            let ctype = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            // Streams stay open: look at the head only.
            let text = if ctype.as_deref() == Some("text/event-stream") {
                String::new()
            } else {
                r.text().await.unwrap()
            };
            assert_ne!(status, 405, "{method} {path} is documented but not served: {text}");
            assert_ne!(
                status, 401,
                "{method} {path}: the documented credentials are accepted: {text}"
            );
            let code =
                serde_json::from_str::<serde_json::Value>(&text).ok().map(|b| b["code"].clone());
            assert_ne!(
                code,
                Some(json!("route_not_found")),
                "{method} {path} is documented but not served"
            );
            if secured {
                let anon = req(None).await.unwrap();
                assert_eq!(anon.status(), 401, "{method} {path} is documented as authenticated");
            } else if path.starts_with("/api") {
                let anon = req(None).await.unwrap();
                assert_ne!(anon.status(), 401, "{method} {path} is documented as public");
            }
        }
    }
    assert!(count >= 80, "{count} operations");
    // And a route that is not documented is not served.
    s.get("/api/v1/work-orders/x/undocumented", &org.owner).await.problem(404, "route_not_found");
    s.shutdown().await;
}

both_stores!(every_documented_operation_is_served);
