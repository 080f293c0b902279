//! The protocol around the handlers, on both stores: every error status as an RFC 9457
//! problem with the request id, body limits, content types, rate limits, readiness, security
//! headers, CORS and metrics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, Srv, database, into_res, serve_db, start_with};
use reqwest::Method;
use serde_json::json;

async fn raw(
    s: &Srv,
    method: Method,
    path: &str,
    token: &str,
    ctype: Option<&str>,
    body: Vec<u8>,
) -> common::Res {
    let mut rb = s.http.request(method, s.url(path)).bearer_auth(token).body(body);
    if let Some(c) = ctype {
        rb = rb.header("content-type", c);
    }
    into_res(rb.send().await.unwrap()).await
}

async fn every_error_status_is_a_problem(kind: Kind) {
    let s = start_with(kind, |a| a.body_limit = 64 * 1024).await;
    let org = s.org("Errors").await;
    let t = &org.owner;
    let (_, viewer) = s.user(&org, "viewer", None).await;
    let json_ct = Some("application/json");
    // 400: not JSON.
    let p = raw(&s, Method::POST, "/api/v1/work-orders", t, json_ct, b"{\"title\": ".to_vec())
        .await
        .problem(400, "malformed_request");
    assert!(!p["detail"].as_str().unwrap().contains("serde"), "{p}");
    // 401, 403.
    s.call(Method::GET, "/api/v1/sites", None, None).await.problem(401, "unauthenticated");
    s.post("/api/v1/sites", &viewer, json!({ "name": "S", "code": "S" }))
        .await
        .problem(403, "forbidden");
    // 404: unknown id, malformed id, unknown route.
    s.get(&format!("/api/v1/work-orders/{}", uuid::Uuid::now_v7()), t)
        .await
        .problem(404, "not_found");
    s.get("/api/v1/work-orders/not-a-uuid", t).await.problem(404, "not_found");
    s.get("/api/v1/no-such-thing", t).await.problem(404, "route_not_found");
    // 405 with Allow.
    let r = s.call(Method::PUT, "/api/v1/sites", Some(t), None).await;
    assert!(r.header("allow").unwrap().contains("GET"), "{:?}", r.headers);
    r.problem(405, "method_not_allowed");
    // 409: a move the status machine does not have.
    let site = s.post("/api/v1/sites", t, json!({ "name": "A", "code": "A" })).await.expect(201);
    let wo = s.work_order(t, json!({ "title": "Fix it", "site_id": site["id"] })).await;
    let path = format!("/api/v1/work-orders/{}/transitions", wo["id"].as_str().unwrap());
    s.post(&path, t, json!({ "to": "verified" })).await.problem(409, "invalid_transition");
    // 413: over the body limit (64 KiB here), whatever the declared length.
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(70 * 1024));
    raw(&s, Method::POST, "/api/v1/work-orders", t, json_ct, big.into_bytes())
        .await
        .problem(413, "payload_too_large");
    // 415: not declared as JSON.
    raw(&s, Method::POST, "/api/v1/sites", t, Some("text/plain"), b"{}".to_vec())
        .await
        .problem(415, "unsupported_media_type");
    raw(&s, Method::POST, "/api/v1/sites", t, None, b"{}".to_vec())
        .await
        .problem(415, "unsupported_media_type");
    // 422: wrong shape names the field; rule violations list every field.
    let p = s
        .post("/api/v1/work-orders", t, json!({ "title": 42 }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "title", "{p}");
    let p = s
        .post("/api/v1/work-orders", t, json!({ "title": "", "priority": "whenever" }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "priority", "{p}");
    let p = s
        .post("/api/v1/sites", t, json!({ "name": "", "code": "" }))
        .await
        .problem(422, "validation_failed");
    let fields: Vec<&str> =
        p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"name") && fields.contains(&"code"), "{p}");
    // Nothing half-written: the failed creations left no site behind.
    let sites = s.get("/api/v1/sites", t).await.expect(200);
    assert_eq!(sites.as_array().unwrap().len(), 1, "{sites}");
    // No database message ever reaches a client.
    for body in [&p] {
        let text = body.to_string().to_lowercase();
        for leak in ["sqlite", "postgres", "constraint", "sqlx", "panicked"] {
            assert!(!text.contains(leak), "{text}");
        }
    }
    s.shutdown().await;
}

async fn per_token_rate_limit(kind: Kind) {
    let s = start_with(kind, |a| a.token_rate_per_second = 1).await;
    let org = s.org("Busy").await;
    let mut limited = None;
    for _ in 0..10 {
        let r = s.get("/api/v1/sites", &org.owner).await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        r.expect(200);
    }
    let r = limited.expect("the token is limited within 10 quick requests");
    assert!(r.header("retry-after").is_some());
    r.problem(429, "rate_limited");
    s.shutdown().await;
}

async fn ready_503_until_migrated(kind: Kind) {
    let (db, dir) = database(kind).await;
    db.migrate().await.unwrap();
    // A schema one version behind this server (as after restoring an old backup).
    match &db {
        cmms_server::Database::Sqlite(store) => store.migrate_down_to(1).await.map(|_| ()).unwrap(),
        cmms_server::Database::Postgres(store, _) => {
            store.migrate_down_to(1).await.map(|_| ()).unwrap()
        }
    }
    let s = serve_db(db, dir, cmms_server::ServeArgs::default()).await;
    let r = s.call(Method::GET, "/ready", None, None).await;
    assert!(r.header("retry-after").is_some());
    r.problem(503, "not_ready");
    s.call(Method::GET, "/health", None, None).await.expect(200);
    s.state.db().migrate().await.unwrap();
    let ok = s.call(Method::GET, "/ready", None, None).await.expect(200);
    assert_eq!(ok["ready"], true);
    s.shutdown().await;
}

async fn headers_request_ids_cors_and_metrics(kind: Kind) {
    let s = start_with(kind, |a| {
        a.cors_origins = vec!["https://app.example".into()];
        a.metrics_token = Some("metrics-secret".into());
    })
    .await;
    let org = s.org("Heads").await;
    let r = into_res(
        s.http
            .get(s.url("/api/v1/sites"))
            .bearer_auth(&org.owner)
            .header("x-request-id", "trace-me-42")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.header("x-request-id"), Some("trace-me-42"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    // Generated when the client sends none.
    let r = s.call(Method::GET, "/health", None, None).await;
    assert_eq!(r.header("x-request-id").map(str::len), Some(36));
    // CORS: the configured origin is allowed, others get no CORS headers.
    let pre = |origin: &'static str| {
        s.http
            .request(Method::OPTIONS, s.url("/api/v1/sites"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let ok = pre("https://app.example").await.unwrap();
    assert_eq!(ok.headers().get("access-control-allow-origin").unwrap(), "https://app.example");
    let no = pre("https://evil.example").await.unwrap();
    assert!(no.headers().get("access-control-allow-origin").is_none());
    // Metrics need the token; they count requests by route template and status.
    s.call(Method::GET, "/metrics", None, None).await.problem(401, "unauthenticated");
    s.get("/metrics", "wrong").await.problem(401, "unauthenticated");
    let text = s.get("/metrics", "metrics-secret").await.text;
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/sites\""), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket"), "histograms: {text}");
    // The docs page works without a network: no external scripts or styles.
    let docs = s.call(Method::GET, "/docs", None, None).await.text;
    assert!(docs.contains("/api/v1/work-orders/{id}/transitions"));
    assert!(!docs.contains("<script") && !docs.contains("https://cdn"), "self-contained");
    s.shutdown().await;
}

/// With the database gone (PostgreSQL pool closed), answers are 5xx problems that say nothing
/// about the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_failures_leak_nothing() {
    let s = common::start(Kind::Postgres).await;
    let org = s.org("Down").await;
    if let cmms_server::Database::Postgres(store, _) = s.state.db() {
        store.close().await;
    }
    for path in ["/api/v1/sites", "/ready"] {
        let r = s.get(path, &org.owner).await;
        assert!(r.status.is_server_error(), "{path}: {}", r.text);
        let text = r.text.to_lowercase();
        for leak in ["pool", "sqlx", "postgres", "closed", "127.0.0.1", "connection"] {
            assert!(!text.contains(leak), "{path} leaks '{leak}': {text}");
        }
    }
    s.shutdown().await;
}

#[test]
fn core_errors_map_to_statuses() {
    use axum::response::IntoResponse;
    use cmms_core::CmmsError;
    use cmms_server::problem::ApiError;
    let cases: Vec<(CmmsError, u16, Option<&str>)> = vec![
        (CmmsError::Unauthenticated, 401, None),
        (CmmsError::Busy, 503, Some("1")),
        (CmmsError::RateLimited { retry_after_secs: 7 }, 429, Some("7")),
        (CmmsError::invalid("title", "is required"), 422, None),
        (CmmsError::store("disk I/O error at page 7"), 500, None),
    ];
    for (e, status, retry) in cases {
        let res = ApiError::from(e).into_response();
        assert_eq!(res.status().as_u16(), status);
        assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), retry);
        assert_eq!(res.headers().get("content-type").unwrap(), "application/problem+json");
    }
    // A store failure with a driver error: the answer says nothing of it, the log says all.
    let driver = std::io::Error::other("disk I/O error at page 7");
    let failure = cmms_core::StoreFailure::with_source(
        "cannot open SQLite database /srv/cmms/plant.db: disk I/O error at page 7",
        driver,
    );
    let log = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt().with_writer(log.clone()).with_ansi(false).finish();
    let hidden = tracing::subscriber::with_default(subscriber, || {
        ApiError::from(CmmsError::Store(failure)).into_response()
    });
    let body = futures_util_body(hidden);
    for leak in ["disk", "/srv", "plant.db", "sqlite", "page 7"] {
        assert!(!body.to_lowercase().contains(leak), "store details stay in the log: {body}");
    }
    assert!(body.contains("store_error"), "{body}");
    let logged = log.text();
    assert!(
        logged.contains("cannot open SQLite database /srv/cmms/plant.db: disk I/O error at page 7"),
        "the log has the whole chain: {logged}"
    );
}

/// A log sink for one test's tracing output.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn futures_util_body(res: axum::response::Response) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let bytes = rt.block_on(axum::body::to_bytes(res.into_body(), 1 << 16)).unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

both_stores!(
    every_error_status_is_a_problem,
    per_token_rate_limit,
    ready_503_until_migrated,
    headers_request_ids_cors_and_metrics,
);
