//! The HTTP test harness: a real server (`cmms_server::serve`) on `127.0.0.1:0` over a real
//! SQLite file or a fresh PostgreSQL database (the store tests' throwaway cluster, or
//! `CMMS_TEST_DATABASE_URL`), and a small JSON client. `both_stores!` runs a test on each.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod openapi_walk;
pub mod process;

use cmms_core::Cmms;
use cmms_core::domain::credential::AuthSettings;
use cmms_server::mailer::{Mail, MemoryMailer};
use cmms_server::{AppState, Database, ServeArgs};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::oneshot;

/// The password every test user gets.
pub const PW: &str = "correct horse battery staple";

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// Runs `async fn $name(kind: Kind)` as two tests, `sqlite::$name` and `postgres::$name`.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Kind::Sqlite).await })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Kind::Postgres).await })+
        }
    };
}

/// A running server and a client for it.
pub struct Srv {
    pub base: String,
    pub http: reqwest::Client,
    pub mail: Arc<MemoryMailer>,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    /// Attachment content of this server (unless the test chose another CMMS_FILES_URL).
    pub files_dir: tempfile::TempDir,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Res {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        self.body
    }

    /// Asserts an RFC 9457 problem with this status and code; returns the body.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        assert_eq!(
            self.headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        let b = self.body;
        assert_eq!(b["code"], code, "{b}");
        assert_eq!(b["status"], status, "{b}");
        for field in ["type", "title", "detail", "request_id"] {
            assert!(b[field].is_string(), "problem without {field}: {b}");
        }
        assert_eq!(
            self.headers.get("x-request-id").and_then(|v| v.to_str().ok()),
            b["request_id"].as_str(),
            "the problem's request id is the header's"
        );
        b
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An organization with its logged-in owner.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: String,
    pub owner_id: String,
    pub owner: String,
    pub email: String,
}

pub async fn database(kind: Kind) -> (Database, Option<tempfile::TempDir>) {
    match kind {
        Kind::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:///{}", dir.path().join("cmms.db").display());
            (Database::open(&url).await.unwrap(), Some(dir))
        }
        Kind::Postgres => {
            let url = cmms_store_postgres::testing::TestServer::fresh_database().await;
            (Database::open(&url).await.unwrap(), None)
        }
    }
}

/// Starts a server with test settings (cheap password hashing, a fixed JWT secret).
pub async fn start(kind: Kind) -> Srv {
    start_with(kind, |_| {}).await
}

pub async fn start_with(kind: Kind, configure: impl FnOnce(&mut ServeArgs)) -> Srv {
    let (db, dir) = database(kind).await;
    db.migrate().await.unwrap();
    let mut args = ServeArgs {
        jwt_secret: Some("a test secret that is at least 32 bytes long".into()),
        job_interval_secs: 3600,
        // Tests check that role changes apply at once; the cache has its own unit test.
        actor_cache_ms: 0,
        ..ServeArgs::default()
    };
    configure(&mut args);
    serve_db(db, dir, args).await
}

pub async fn serve_db(db: Database, dir: Option<tempfile::TempDir>, mut args: ServeArgs) -> Srv {
    let files_dir = tempfile::tempdir().unwrap();
    if args.files_url == cmms_files::DEFAULT_URL {
        args.files_url = format!("file://{}", files_dir.path().display());
    }
    let mail = Arc::new(MemoryMailer::default());
    let cmms = Cmms::new(db.store()).with_auth_settings(AuthSettings::for_tests());
    let mut state = AppState::new(db, &args).unwrap().with_cmms(cmms).with_mailer(mail.clone());
    if let Some(h) = cmms_server::metrics_recorder() {
        state = state.with_metrics(h);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(cmms_server::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    Srv {
        base,
        http: reqwest::Client::new(),
        mail,
        state,
        stop: Some(stop),
        task: Some(task),
        _dir: dir,
        files_dir,
    }
}

impl Srv {
    /// Stops the server gracefully and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(std::time::Duration::from_secs(20), task)
                .await
                .expect("server stops within 20 s")
                .unwrap()
                .unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        into_res(rb.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Res {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Res {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Res {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// A POST with extra request headers.
    pub async fn post_with(
        &self,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Res {
        let mut rb = self.http.post(self.url(path)).bearer_auth(token).json(&body);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        into_res(rb.send().await.unwrap()).await
    }

    /// A public POST (no token).
    pub async fn post_open(&self, path: &str, body: Value) -> Res {
        self.call(Method::POST, path, None, Some(body)).await
    }

    /// Creates an organization and its owner (through core, as `cmms create-admin` does) and
    /// logs the owner in through the API.
    pub async fn org(&self, name: &str) -> Org {
        let email = format!("owner@{}.test", name.to_lowercase());
        let login = cmms_server::bootstrap::create_org_with_owner(
            self.state.cmms(),
            name,
            "Owner",
            &email,
            Some(PW),
        )
        .await
        .unwrap();
        let id = login.created.org.id.to_string();
        let owner = self.login(&id, &email, PW).await;
        Org { id, owner_id: login.created.owner.id.to_string(), owner, email }
    }

    /// Logs in; returns the access token.
    pub async fn login(&self, org: &str, email: &str, password: &str) -> String {
        let b = self
            .post_open(
                "/api/v1/auth/login",
                json!({ "org": org, "email": email, "password": password }),
            )
            .await
            .expect(200);
        b["access_token"].as_str().unwrap().to_string()
    }

    /// The last mail sent to `to` of this kind (waits briefly: resets are mailed after the
    /// answer).
    pub async fn mail_to(&self, to: &str, kind: &str) -> Option<Mail> {
        for _ in 0..100 {
            if let Some(m) =
                self.mail.sent().into_iter().rev().find(|m| m.to == to && m.kind == kind)
            {
                return Some(m);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        None
    }

    /// Creates a user with a built-in role through the API, invites them and lets them set
    /// their password from the invitation; returns `(user id, access token)`.
    pub async fn user(
        &self,
        org: &Org,
        role: &str,
        sites: Option<Vec<String>>,
    ) -> (String, String) {
        let n = self.mail.sent().len();
        let email = format!("{role}{n}@{}.test", &org.id[..8]);
        let body = json!({ "name": format!("{role} {n}"), "email": email, "role": { "builtin": role }, "sites": sites });
        let created = self.post("/api/v1/users", &org.owner, body).await.expect(201);
        let id = created["user"]["id"].as_str().unwrap().to_string();
        self.post("/api/v1/auth/invitations", &org.owner, json!({ "user_id": id }))
            .await
            .expect(202);
        let mail = self.mail_to(&email, "invitation").await.expect("invitation mailed");
        self.post_open("/api/v1/auth/verify-email", json!({ "token": mail.token, "password": PW }))
            .await
            .expect(204);
        let token = self.login(&org.id, &email, PW).await;
        (id, token)
    }

    /// One record of every kind the API has a collection of, in `org`, by collection name (the
    /// path segment before an id), for tests that call every route with real ids.
    pub async fn one_of_each(&self, org: &Org) -> openapi_walk::Ids {
        let t = &org.owner;
        let id = |v: &Value| v["id"].as_str().unwrap().to_string();
        let mut ids = openapi_walk::Ids::new();
        let n = self.mail.sent().len();
        let code = format!("Q{n}");
        let site = self
            .post("/api/v1/sites", t, json!({ "name": "Every", "code": code }))
            .await
            .expect(201);
        let location = self
            .post("/api/v1/locations", t, json!({ "site_id": id(&site), "name": "Hall" }))
            .await
            .expect(201);
        let team = self
            .post("/api/v1/teams", t, json!({ "name": "Crew", "members": [] }))
            .await
            .expect(201);
        let asset = self
            .post(
                "/api/v1/assets",
                t,
                json!({ "site_id": id(&site), "name": "Pump", "code": format!("P{n}") }),
            )
            .await
            .expect(201);
        let user = self
            .post(
                "/api/v1/users",
                t,
                json!({ "name": "Tina", "email": format!("tina{n}@{}.test", &org.id[..8]), "role": { "builtin": "technician" } }),
            )
            .await
            .expect(201);
        let role = self
            .post(
                "/api/v1/roles",
                t,
                json!({ "name": format!("Reader {n}"), "level": 20, "permissions": { "audit.read": "any" } }),
            )
            .await
            .expect(201);
        let wo = self.work_order(t, json!({ "title": "Fix", "site_id": id(&site) })).await;
        let item = self
            .post(
                &format!("/api/v1/work-orders/{}/checklist", id(&wo)),
                t,
                json!({ "label": "Check" }),
            )
            .await
            .expect(201);
        let request = self
            .post("/api/v1/requests", t, json!({ "title": "Leak", "site_id": id(&site) }))
            .await
            .expect(201);
        let key = self
            .post("/api/v1/api-keys", t, json!({ "name": "erp", "role": { "builtin": "viewer" } }))
            .await
            .expect(201);
        ids.insert("sites", id(&site));
        ids.insert("locations", id(&location));
        ids.insert("teams", id(&team));
        ids.insert("assets", id(&asset));
        ids.insert("users", id(&user["user"]));
        ids.insert("grants", id(&user["grant"]));
        ids.insert("roles", id(&role));
        ids.insert("work-orders", id(&wo));
        ids.insert("checklist", id(&item));
        ids.insert("requests", id(&request));
        let meter = self
            .post(
                "/api/v1/meters",
                t,
                json!({ "asset_id": id(&asset), "name": "Run hours", "unit": "h", "kind": "accumulating" }),
            )
            .await
            .expect(201);
        let plan = self
            .post(
                "/api/v1/pm-plans",
                t,
                json!({ "site_id": id(&site), "title": "Grease", "asset_ids": [id(&asset)],
                        "schedule": { "triggers": [{ "kind": "calendar", "every": 1, "unit": "months" }] } }),
            )
            .await
            .expect(201);
        ids.insert("api-keys", id(&key["key"]));
        ids.insert("meters", id(&meter));
        ids.insert("pm-plans", id(&plan));
        let part = self
            .post(
                "/api/v1/parts",
                t,
                json!({ "part_number": format!("BRG-{n}"), "name": "Bearing" }),
            )
            .await
            .expect(201);
        let store = self
            .post(
                "/api/v1/stock-locations",
                t,
                json!({ "site_id": id(&site), "code": "MAIN", "name": "Main store" }),
            )
            .await
            .expect(201);
        let vendor =
            self.post("/api/v1/vendors", t, json!({ "name": "Acme Supply" })).await.expect(201);
        let po = self
            .post(
                "/api/v1/purchase-orders",
                t,
                json!({ "vendor_id": id(&vendor), "site_id": id(&site), "lines": [
                    { "part_id": id(&part), "location_id": id(&store), "quantity": "2" }
                ]}),
            )
            .await
            .expect(201);
        ids.insert("parts", id(&part));
        ids.insert("stock-locations", id(&store));
        ids.insert("vendors", id(&vendor));
        ids.insert("purchase-orders", id(&po));
        // A notification of the owner's: they watch the work order, the system comments.
        let wo_id = id(&wo);
        self.call(Method::PUT, &format!("/api/v1/work-orders/{wo_id}/watch"), Some(t), None)
            .await
            .expect(200);
        let cmms = self.state.cmms();
        let system = cmms_core::Actor::system(org.id.parse().unwrap());
        cmms.add_comment(&system, wo_id.parse().unwrap(), "Parts ordered", false).await.unwrap();
        // The server's own consumer may be the one that delivers it: wait for it either way.
        let mut mine = Value::Null;
        for _ in 0..200 {
            cmms.deliver_notifications(cmms.now()).await.unwrap();
            mine = self.get("/api/v1/notifications", t).await.expect(200);
            if mine["items"][0].is_object() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        ids.insert("notifications", id(&mine["items"][0]));
        let wo = ids.get("work-orders").cloned().unwrap_or_default();
        let file = self
            .upload(
                &format!("/api/v1/work-orders/{wo}/attachments"),
                t,
                "note.txt",
                b"a note".to_vec(),
            )
            .await;
        ids.insert("attachments", id(&file.expect(201)));
        let hook = self
            .post(
                "/api/v1/webhooks",
                t,
                json!({ "url": "https://erp.example.test/hook", "description": "every route" }),
            )
            .await
            .expect(201);
        ids.insert("webhooks", id(&hook["webhook"]));
        ids
    }

    /// Uploads `bytes` as the raw body of `path`, named `name`.
    pub async fn upload(&self, path: &str, token: &str, name: &str, bytes: Vec<u8>) -> Res {
        let name: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        let rb = self.http.post(self.url(&format!("{path}?name={name}"))).bearer_auth(token);
        into_res(rb.body(bytes).send().await.unwrap()).await
    }

    /// A site of the org; returns its id.
    pub async fn site(&self, org: &Org, code: &str) -> String {
        let b = self
            .post(
                "/api/v1/sites",
                &org.owner,
                json!({ "name": format!("Site {code}"), "code": code }),
            )
            .await
            .expect(201);
        b["id"].as_str().unwrap().to_string()
    }

    /// A work order; returns its body.
    pub async fn work_order(&self, token: &str, body: Value) -> Value {
        self.post("/api/v1/work-orders", token, body).await.expect(201)
    }
}

pub async fn into_res(r: reqwest::Response) -> Res {
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Res { status, headers, body, text }
}

/// A small seeded generator (xorshift64*) for tests that pick moments and inputs at random but
/// must replay the same run from the same seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}
