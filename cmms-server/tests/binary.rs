//! The `cmms` binary as the README runs it: on an empty directory it creates `./cmms.db`,
//! migrates, creates the first organization and owner and prints the login; the printed
//! credentials log in; SIGTERM stops it cleanly; a restart keeps the data and creates no second
//! organization. Also the other subcommands, and the same start on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_cmms");

struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    printed: Vec<String>,
}

impl Running {
    fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Running {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir)
            .env_remove("CMMS_DATABASE_URL")
            .env("CMMS_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines, printed: Vec::new() }
    }

    /// Reads printed lines until the "listening" line; returns the base URL.
    fn base(&mut self) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("the server starts within 60 s");
            if let Some(rest) = line.strip_prefix("cmms listening on ") {
                let url = rest.split_whitespace().next().unwrap().to_string();
                self.printed.push(line);
                return url;
            }
            self.printed.push(line);
        }
    }

    fn printed(&self, key: &str) -> Option<String> {
        self.printed.iter().find_map(|l| {
            l.trim()
                .strip_prefix(key)
                .map(|v| v.split("   (").next().unwrap_or("").trim().to_string())
        })
    }

    fn terminate(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "clean exit on SIGTERM: {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("no exit within 10 s of SIGTERM");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed test must not leave a server behind.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn login(base: &str, org: &str, email: &str, password: &str) -> Value {
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "org": org, "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

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
