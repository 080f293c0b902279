//! Input fuzzing over the OpenAPI document, on both stores: for every documented operation, a
//! seeded generator sends malformed bodies, values of the wrong type, huge and NUL-containing
//! strings, unknown fields, bad query values, bad path values and bad tokens. No answer may be
//! a 5xx, every error must be a problem+json document, and no body may carry a database's
//! words. The operations come from the served document, so routes added later are fuzzed
//! too. `CMMS_FUZZ_SEED` replays a run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::openapi_walk::{concrete, operations, properties};
use common::{Kind, Rng, Srv, into_res, start_with};
use reqwest::Method;
use serde_json::{Value, json};

/// Words of database messages that must never reach a client.
const LEAKS: &[&str] = &[
    "sqlite",
    "postgres",
    "sqlstate",
    "syntax error",
    "violates",
    "duplicate key",
    "relation \"",
    "no such table",
    "panicked",
    "stack backtrace",
];

fn bad_values(rng: &mut Rng) -> Vec<Value> {
    let mut deep = json!(1);
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let mut v = vec![
        Value::Null,
        json!(-1),
        json!(1.5e300),
        json!(9_223_372_036_854_775_807_i64),
        json!(true),
        json!(""),
        json!("a\u{0}b"),
        json!("x".repeat(100_000)),
        json!([]),
        json!({}),
        json!({ "unexpected": { "nested": [1, 2, 3] } }),
        deep,
        json!("0195f000-0000-7000-8000-000000000000"),
        json!("😀".repeat(300)),
    ];
    // A few values the generator makes up each run.
    for _ in 0..2 {
        let len = rng.below(40) as usize;
        let s: String = (0..len).map(|_| char::from(32 + rng.below(95) as u8)).collect();
        v.push(json!(s));
    }
    v
}

const BAD_QUERY: &[&str] = &[
    "",
    "x",
    "-1",
    "99999999999999999999",
    "a%00b",
    "%ZZ",
    "true",
    "null",
    "2026-13-45T99:99:99Z",
    "0195f000-0000-7000-8000-000000000000",
];

/// Sends one request and checks the answer; returns its status.
async fn check(
    s: &Srv,
    method: &Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> u16 {
    let mut rb = s.http.request(method.clone(), s.url(path));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b);
    }
    let r = into_res(rb.send().await.unwrap()).await;
    let what = format!("{method} {}", &path[..path.len().min(200)]);
    assert!(r.status.as_u16() < 500, "{what} answered {}: {}", r.status, r.text);
    if r.status.as_u16() >= 400 {
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{what}: {} without problem+json: {}",
            r.status,
            r.text
        );
        assert!(r.body["code"].is_string(), "{what}: problem without a code: {}", r.text);
    }
    let lower = r.text.to_lowercase();
    for word in LEAKS {
        assert!(!lower.contains(word), "{what}: the body says '{word}': {}", r.text);
    }
    r.status.as_u16()
}

async fn fuzz_every_operation(kind: Kind) {
    let s = start_with(kind, |a| {
        a.token_rate_per_second = 1_000_000;
        a.login_rate_per_minute = 1_000_000;
    })
    .await;
    let seed = std::env::var("CMMS_FUZZ_SEED").ok().and_then(|v| v.parse().ok());
    let mut rng = Rng::new(seed.unwrap_or(0xf022_0001));
    let org = s.org("Fuzz").await;
    let ids = s.one_of_each(&org).await;
    let doc: Value = s.call(Method::GET, "/openapi.json", None, None).await.expect(200);
    let t = org.owner.as_str();
    let mut sent = 0usize;
    for op in operations(&doc) {
        let path = concrete(&op.path, &ids).unwrap_or_else(|e| panic!("{}: {e}", op.path));
        // Bad tokens, everywhere (streams included: they answer at once without one).
        for token in ["x", "Bearer", "cmms_0_0_0", &t[..t.len() / 2]] {
            check(&s, &op.method, &path, Some(token), None).await;
            sent += 1;
        }
        if op.streams {
            continue;
        }
        // Bad path values.
        if op.path.contains('{') {
            for bad in ["not-a-uuid", "a%00b", &"9".repeat(300)] {
                let p = op.path.replacen("{id}", bad, 1).replace("{item_id}", bad);
                let p = concrete(&p, &ids).unwrap_or(p);
                check(&s, &op.method, &p, Some(t), None).await;
                sent += 1;
            }
        }
        // Bad query values, one parameter at a time.
        for q in &op.query {
            for v in BAD_QUERY {
                check(&s, &op.method, &format!("{path}?{q}={v}"), Some(t), None).await;
                sent += 1;
            }
        }
        let Some(schema) = &op.body else { continue };
        // Bodies that are not one JSON object.
        for raw in ["", "{", "[]", "\"x\"", "1e400", "{} {}", "{\"a\":1}}", "nul\u{0}"] {
            check(&s, &op.method, &path, Some(t), Some(raw.to_string())).await;
            sent += 1;
        }
        // Every field with values of every wrong type, and unknown fields.
        let mut fields = properties(&doc, schema);
        fields.push("no_such_field".into());
        for field in fields {
            for value in bad_values(&mut rng) {
                let body = json!({ field.clone(): value }).to_string();
                check(&s, &op.method, &path, Some(t), Some(body)).await;
                sent += 1;
            }
        }
    }
    assert!(sent > 2_000, "only {sent} requests");
    s.shutdown().await;
}

both_stores!(fuzz_every_operation);
