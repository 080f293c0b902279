//! The `cmms` binary as the README runs it: on an empty directory it creates `./cmms.db`,
//! migrates, creates the first organization and owner and prints the login; the printed
//! credentials log in; SIGTERM stops it cleanly; a restart keeps the data and creates no second
//! organization. Also the other subcommands, and the same start on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::process::{BIN, Running, login};
use serde_json::Value;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_main_command_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Running::start(dir.path(), &[]);
    let base = srv.base();
    let org = srv.printed("org:").expect("org id printed");
    let email = srv.printed("email:").expect("email printed");
    let password = srv.printed("password:").expect("password printed");
    assert_eq!(email, "admin@example.com");
    assert!(password.len() >= 16);
    assert!(dir.path().join("cmms.db").exists(), "the embedded database is ./cmms.db");
    let tokens = login(&base, &org, &email, &password).await;
    let http = reqwest::Client::new();
    let me = http
        .get(format!("{base}/api/v1/auth/me"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let ready = http.get(format!("{base}/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    srv.terminate();

    // Restart: same data, no second organization, the same login works.
    let mut again = Running::start(dir.path(), &[]);
    let base = again.base();
    assert!(again.printed("password:").is_none(), "no new owner on a database that has one");
    login(&base, &org, &email, &password).await;
    again.terminate();

    // Backup makes a database file that serves the same login.
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["backup", "-o", "copy.db"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut copy = Running::start(dir.path(), &[("CMMS_DATABASE_URL", "sqlite://./copy.db")]);
    let base = copy.base();
    login(&base, &org, &email, &password).await;
    copy.terminate();
}

/// The README's server quick start as written: its environment, the slug it logs in with, the
/// printed lines it shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_server_quick_start() {
    let readme = include_str!("../../README.md");
    let section = readme.split("## Quick start (server)").nth(1).expect("a server quick start");
    let command = section.split("```sh\n").nth(1).and_then(|b| b.lines().next()).unwrap();
    let (env, rest) = command.split_once(' ').unwrap();
    assert_eq!(rest, "cargo run --release -p cmms-server");
    let (key, value) = env.split_once('=').unwrap();
    let curl = section.split("```sh\n").nth(2).unwrap();
    let body = curl.split("-d '").nth(1).and_then(|b| b.split('\'').next()).unwrap();
    let body: Value = serde_json::from_str(body).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut srv = Running::start(dir.path(), &[(key, value)]);
    let base = srv.base();
    let printed = srv.printed("org:").expect("org printed");
    assert!(section.contains(&format!("org:      {printed}   (id ")), "README shows `{printed}`");
    let password = srv.printed("password:").expect("password printed");
    let email = body["email"].as_str().unwrap();
    let tokens = login(&base, body["org"].as_str().unwrap(), email, &password).await;
    let http = reqwest::Client::new();
    let list = http
        .get(format!("{base}/api/v1/work-orders"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    srv.terminate();
}

#[test]
fn subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .env_remove("CMMS_DATABASE_URL")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&["migrate"]).contains("schema version"));
    let admin = run(&[
        "create-admin",
        "--email",
        "boss@corp.test",
        "--org-name",
        "Corp",
        "--password",
        "long enough password",
    ]);
    assert!(admin.contains("boss@corp.test") && !admin.contains("generated"), "{admin}");
    let demo = run(&["seed-demo", "--password", "demo password 123"]);
    for role in
        ["admin", "manager", "technician", "storekeeper", "contractor", "requester", "viewer"]
    {
        assert!(demo.contains(&format!("{role}@demo.test")), "{demo}");
    }
    let doc: Value = serde_json::from_str(&run(&["openapi"])).unwrap();
    assert_eq!(doc, cmms_server::openapi::document());
    // Bad input is a clear error and a failing exit code, not a panic.
    let bad = Command::new(BIN)
        .current_dir(dir.path())
        .args(["--database-url", "mysql://x", "migrate"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("unsupported database url") && !err.contains("panicked"), "{err}");
    let weak = Command::new(BIN)
        .current_dir(dir.path())
        .env_remove("CMMS_DATABASE_URL")
        .args(["create-admin", "--email", "x@y.test", "--password", "short"])
        .output()
        .unwrap();
    assert!(!weak.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn main_command_on_postgres() {
    let url = cmms_store_postgres::testing::TestServer::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Running::start(
        dir.path(),
        &[("CMMS_DATABASE_URL", &url), ("CMMS_ADMIN_PASSWORD", "chosen admin password")],
    );
    let base = srv.base();
    let org = srv.printed("org:").unwrap();
    assert_eq!(srv.printed("password:").as_deref(), Some("chosen admin password"));
    assert!(!srv.printed.iter().any(|l| l.contains("generated")));
    login(&base, &org, "admin@example.com", "chosen admin password").await;
    let backup = Command::new(BIN)
        .args(["--database-url", &url, "backup", "-o", "dump.pgc"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&backup.stdout);
    assert!(backup.status.success() && text.contains("pg_dump --format=custom"), "{text}");
    srv.terminate();
}
