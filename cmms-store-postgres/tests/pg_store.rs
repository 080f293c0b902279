//! Store behaviour specific to the PostgreSQL backend beyond the Postgres-only issue tests:
//! the schema check before migrating, exact audit documents, and lock waits that end as `busy`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cmms_core::domain::org::NewOrg;
use cmms_core::domain::work_order::WorkOrderPatch;
use cmms_core::store::{OrgReads, Store};
use cmms_core::{Cmms, CmmsError, StoreError};
use cmms_store_postgres::PgOptions;
use cmms_store_postgres::testing::{TestServer, owner_connection};
use sqlx::{Connection, Executor};
use std::time::Duration;

mod common;
use common::{org, store, store_with, work_order};

/// A database that was never migrated: the store connects, refuses reads and commits with a
/// migration error, and works once `migrate()` ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmigrated_database_asks_for_migrate() {
    let server = TestServer::get().await;
    let name = format!("test_{}", uuid::Uuid::now_v7().simple());
    let mut c = owner_connection(server.url()).await;
    c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    c.close().await.unwrap();
    let store = store(&server.database_url(&name), 2).await;
    assert_eq!(store.schema_version().await.unwrap(), 0);
    let cmms = Cmms::new(store.clone());
    let err = cmms
        .bootstrap_org(NewOrg {
            name: "Early".into(),
            owner_name: "E".into(),
            owner_email: "e@early.test".into(),
            ..NewOrg::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("call migrate()"), "{err}");
    assert!(matches!(store.list_org_ids().await, Err(StoreError::Migration(_))));
    store.migrate().await.unwrap();
    org(&cmms, "Late").await;
}

/// Audit documents come back exactly as they were hashed (they are `json`, not `jsonb`, which
/// would turn -0.0 into 0.0), so such values never look like tampering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_documents_keep_their_exact_json() {
    let url = TestServer::fresh_database().await;
    let store = store(&url, 2).await;
    let cmms = Cmms::new(store.clone());
    let (owner, site) = org(&cmms, "Eta").await;
    let specs = serde_json::json!({
        "neg_zero": -0.0, "tiny": 1e-7, "max": f64::MAX, "z": 1, "a": [0.1, -2.5e-300]
    });
    let asset = cmms_core::domain::asset::NewAsset {
        name: "Exact".into(),
        code: "EX-1".into(),
        site_id: Some(site),
        specifications: specs.clone(),
        ..Default::default()
    };
    cmms.create_asset(&owner, asset).await.unwrap();
    let entries = cmms.audit_entries(&owner, 0, Some(cmms_core::store::MAX_LIMIT)).await.unwrap();
    let created = entries.iter().find(|e| e.draft.action == "asset.create").unwrap();
    let stored = &created.draft.after.as_ref().unwrap()["specifications"];
    assert_eq!(stored.to_string(), specs.to_string());
    assert_eq!(cmms.verify_audit_chain(&owner).await.unwrap(), None);
}

/// A commit that waits on a row lock longer than the statement timeout is cancelled and
/// reported as `busy` (retryable), not as a storage failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_wait_past_the_statement_timeout_is_busy() {
    let url = TestServer::fresh_database().await;
    let options = PgOptions {
        max_connections: 2,
        statement_timeout: Some(Duration::from_millis(300)),
        ..PgOptions::default()
    };
    let store = store_with(&url, options).await;
    let cmms = Cmms::new(store.clone());
    let (owner, site) = org(&cmms, "Theta").await;
    let id = work_order(&cmms, &owner, site, "Locked").await;
    // Another session holds the row.
    let mut c = owner_connection(&url).await;
    let mut tx = c.begin().await.unwrap();
    sqlx::query("SELECT set_config('cmms.org_id', $1, true)")
        .bind(owner.org().to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("SELECT 1 FROM work_orders WHERE id = $1 FOR UPDATE")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    let patch = WorkOrderPatch { title: Some("Waited".into()), ..WorkOrderPatch::default() };
    let err = cmms.update_work_order(&owner, id, patch.clone(), None).await.unwrap_err();
    assert!(matches!(err, CmmsError::Busy), "{err:?}");
    tx.rollback().await.unwrap();
    c.close().await.unwrap();
    // Once the lock is gone the same change goes through.
    let updated = cmms.update_work_order(&owner, id, patch, None).await.unwrap();
    assert_eq!(updated.title, "Waited");
}

/// The caller's error for a store that could not connect: a storage error (never `busy`: a
/// retry does not fix these) whose message names the server, database and user and says what
/// the server said, with the driver's error as its source, and never the password.
async fn connect_error(url: &str) -> CmmsError {
    use std::error::Error as _;
    let Err(err) = cmms_store_postgres::PgStore::connect_default(url).await else {
        panic!("connecting to {url} should fail");
    };
    assert!(matches!(err, StoreError::Failed { .. }), "{url}: {err:?}");
    let e = CmmsError::from(err);
    assert_eq!(e.code(), "store_error", "{e}");
    assert!(e.source().is_some(), "{url}: the driver's error is the source");
    assert!(!e.to_string().contains("s3cret"), "{e}");
    e
}

/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` on the test server.
fn on_server(server_url: &str, user: &str, password: &str, database: &str) -> String {
    let mut url = url::Url::parse(server_url).unwrap();
    url.set_username(user).unwrap();
    url.set_password(Some(password)).unwrap();
    url.set_path(&format!("/{database}"));
    url.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_errors_name_the_cause() {
    let server = TestServer::get().await;
    let base = url::Url::parse(server.url()).unwrap();
    let (host, port) = (base.host_str().unwrap().to_string(), base.port().unwrap_or(5432));
    let owner = base.username().to_string();
    let password = base.password().unwrap_or("s3cret").to_string();

    // A database that does not exist.
    let e = connect_error(&on_server(server.url(), &owner, &password, "no_such_db")).await;
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "storage error: cannot connect to PostgreSQL at {host}:{port}/no_such_db as user \
             {owner}: "
        )),
        "{text}"
    );
    assert!(text.ends_with("database \"no_such_db\" does not exist"), "{text}");

    // A role that does not exist (a server that asks for passwords says the login failed).
    let e = connect_error(&on_server(server.url(), "no_such_role", "s3cret", "postgres")).await;
    let text = e.to_string();
    assert!(
        text.contains("role \"no_such_role\" does not exist")
            || text.contains("password authentication failed for user \"no_such_role\""),
        "{text}"
    );

    // A wrong password, for a role that exists.
    let role = server.password_role().await;
    let e = connect_error(&on_server(server.url(), role, "s3cret", "postgres")).await;
    let text = e.to_string();
    assert!(
        text.contains(&format!("password authentication failed for user \"{role}\"")),
        "{text}"
    );

    // A port nobody listens on: refused at once, and not `busy`.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port_closed = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("postgres://cmms:s3cret@127.0.0.1:{port_closed}/plant");
    let e = connect_error(&url).await;
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "storage error: cannot connect to PostgreSQL at 127.0.0.1:{port_closed}/plant as user \
             cmms: "
        )),
        "{text}"
    );
    assert!(text.to_lowercase().contains("connection refused"), "{text}");

    // TLS required by the client, and a server without it.
    let url = match no_tls_server(server).await {
        Some(url) => url,
        None => fake_server_without_tls().await,
    };
    let e = connect_error(&format!("{url}?sslmode=require")).await;
    let text = e.to_string();
    assert!(text.ends_with("server does not support TLS (sslmode=require)"), "{text}");
}

/// The test server's URL when it runs without TLS (the throwaway server does).
async fn no_tls_server(server: &TestServer) -> Option<String> {
    let mut c = owner_connection(server.url()).await;
    let ssl: String = sqlx::query_scalar("SHOW ssl").fetch_one(&mut c).await.unwrap();
    c.close().await.unwrap();
    (ssl == "off").then(|| server.database_url("postgres"))
}

/// A listener answering PostgreSQL's SSLRequest with `N` ("no TLS here"), as every server
/// without TLS does: for servers named by `CMMS_TEST_DATABASE_URL` that have TLS.
async fn fake_server_without_tls() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 8];
            if socket.read_exact(&mut request).await.is_ok() {
                let _ = socket.write_all(b"N").await;
            }
        }
    });
    format!("postgres://cmms:s3cret@127.0.0.1:{port}/plant")
}
