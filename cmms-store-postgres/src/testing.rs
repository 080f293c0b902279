//! Test support (feature `test-server`): a PostgreSQL server for the whole test process and a
//! fresh, migrated database per test, cloned from a template so it takes milliseconds.
//!
//! [`TestServer::get`] uses `CMMS_TEST_DATABASE_URL` when it is set (a database on a server
//! where that user may `CREATE DATABASE`); otherwise it starts a throwaway cluster from the
//! system's PostgreSQL binaries (`pg_config --bindir`, else the newest
//! `/usr/lib/postgresql/*/bin`) on a free loopback port and a private socket directory. A small
//! watchdog shell stops that server and removes its directory once the test process is gone.
//! When no server can be found or started this PANICS with what to install or set: tests
//! fail, they never pass by skipping.
// Test support: failing loudly (panicking with a clear message) is its contract.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use crate::PgStore;
use sqlx::{Connection, Executor, PgConnection};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// The environment variable naming an existing server to use instead of a throwaway one.
pub const DATABASE_URL_VAR: &str = "CMMS_TEST_DATABASE_URL";
/// The migrated database every test database is cloned from.
pub const TEMPLATE: &str = "cmms_template";
/// A role that must log in with its password over TCP, for tests of failed logins. The
/// throwaway server requires it (every other role is trusted); a server named by
/// `CMMS_TEST_DATABASE_URL` is expected to require passwords anyway.
pub const PASSWORD_ROLE: &str = "cmms_password_check";
/// [`PASSWORD_ROLE`]'s password, once [`TestServer::password_role`] has made it.
pub const PASSWORD_ROLE_PASSWORD: &str = "right";

const HOW_TO_FIX: &str = "install the PostgreSQL server binaries (Debian/Ubuntu: `apt-get install \
     postgresql`), or set CMMS_TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/postgres to a \
     server where USER may CREATE DATABASE";

static SERVER: OnceCell<TestServer> = OnceCell::const_new();
static TEMPLATE_READY: OnceCell<()> = OnceCell::const_new();

/// A PostgreSQL server shared by every test of the process.
#[derive(Debug)]
pub struct TestServer {
    /// URL of the maintenance database (`postgres`), as a user who may create databases.
    url: String,
}

impl TestServer {
    /// The process-wide server, started (or found) on first use. Panics when there is none.
    pub async fn get() -> &'static TestServer {
        SERVER
            .get_or_init(|| async {
                let url = match std::env::var(DATABASE_URL_VAR) {
                    Ok(url) if !url.trim().is_empty() => url,
                    _ => start_cluster().await,
                };
                if let Err(e) = PgConnection::connect(&url).await {
                    panic!(
                        "cannot connect to the test database server at {url}: {e}; {HOW_TO_FIX}"
                    );
                }
                TestServer { url }
            })
            .await
    }

    /// URL of the server's maintenance database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// URL of `database` on this server.
    pub fn database_url(&self, database: &str) -> String {
        let mut url = url::Url::parse(&self.url).expect("the server URL parses");
        url.set_path(&format!("/{database}"));
        url.to_string()
    }

    /// Makes sure [`PASSWORD_ROLE`] exists (with [`PASSWORD_ROLE_PASSWORD`]) and returns its
    /// name, so a wrong-password test fails on the password of a role that exists — in Rust
    /// and in the Python suite, whose server `cmms-pg-test-server` makes it. Roles are shared
    /// by every database of the server and every process using it, hence "if missing".
    pub async fn password_role(&self) -> &'static str {
        let mut c = owner_connection(&self.url).await;
        let create = format!(
            "DO $$ BEGIN CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD_ROLE_PASSWORD}'; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        );
        c.execute(sqlx::AssertSqlSafe(create)).await.unwrap();
        c.close().await.ok();
        PASSWORD_ROLE
    }

    /// A new, empty, migrated database (cloned from [`TEMPLATE`]); returns its URL.
    pub async fn fresh_database() -> String {
        let server = Self::get().await;
        TEMPLATE_READY.get_or_init(|| server.make_template()).await;
        let name = format!("test_{}", uuid::Uuid::now_v7().simple());
        let mut c = owner_connection(&server.url).await;
        // Shared with other cloners, exclusive with a process (re)making the template: a clone
        // fails while anyone is connected to the template.
        c.execute("SELECT pg_advisory_lock_shared(72616)").await.unwrap();
        let made = c
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}")))
            .await;
        c.execute("SELECT pg_advisory_unlock_shared(72616)").await.unwrap();
        made.unwrap_or_else(|e| panic!("creating test database {name} failed: {e}"));
        c.close().await.ok();
        server.database_url(&name)
    }

    /// Creates (or checks) the template database and migrates it with `PgStore::migrate`.
    /// An advisory lock serializes this between test processes sharing one external server.
    async fn make_template(&self) {
        let mut c = owner_connection(&self.url).await;
        c.execute("SELECT pg_advisory_lock(72616)").await.unwrap();
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)")
                .bind(TEMPLATE)
                .fetch_one(&mut c)
                .await
                .unwrap();
        drop_stale_databases(&mut c).await;
        let url = self.database_url(TEMPLATE);
        // An existing template (an external server, an earlier run) is reused when it migrates
        // cleanly; one from other migration files is rebuilt.
        if !(exists && migrate_and_close(&url).await.is_ok()) {
            if exists {
                c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {TEMPLATE} WITH (FORCE)")))
                    .await
                    .unwrap();
            }
            c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {TEMPLATE}"))).await.unwrap();
            migrate_and_close(&url)
                .await
                .unwrap_or_else(|e| panic!("migrating the template database failed: {e}"));
        }
        c.execute("SELECT pg_advisory_unlock(72616)").await.unwrap();
        c.close().await.ok();
    }
}

/// Test databases are never dropped by their tests (a failed test's database is worth a
/// look). On a long-lived server (`CMMS_TEST_DATABASE_URL`) those older than an hour are dropped
/// here; their names carry a UUID v7, whose timestamp says when they were made.
async fn drop_stale_databases(c: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'test\\_%'")
            .fetch_all(&mut *c)
            .await
            .unwrap_or_default();
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    for name in names {
        let made = name
            .strip_prefix("test_")
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
            .and_then(|id| id.get_timestamp())
            .map(|ts| {
                let (secs, nanos) = ts.to_unix();
                std::time::UNIX_EPOCH + Duration::new(secs, nanos)
            });
        if made.is_some_and(|made| made < hour_ago) {
            // Still in use, or dropped by another process meanwhile: leave it.
            let _ = c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).await;
        }
    }
}

/// Migrates the database at `url` and closes every connection to it (CREATE DATABASE ...
/// TEMPLATE refuses a template that has other sessions).
async fn migrate_and_close(url: &str) -> Result<(), cmms_core::StoreError> {
    let store = PgStore::connect_default(url).await?;
    let result = store.migrate().await.map(drop);
    store.close().await;
    result
}

/// A raw connection as the URL's user (the tables' owner), without `SET ROLE`: for tampering
/// with rows and for row-level security tests.
pub async fn owner_connection(url: &str) -> PgConnection {
    PgConnection::connect(url).await.unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}

/// Where the server binaries are: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
fn find_bindir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("postgres").is_file() && dir.join("initdb").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Some(dir);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// `initdb` and `postgres` refuse to run as root: then they run as the `postgres` user.
fn run_as() -> Option<&'static str> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    (String::from_utf8_lossy(&uid.stdout).trim() == "0").then_some("postgres")
}

fn command(run_as: Option<&str>, program: &Path) -> Command {
    match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// The watchdog: starts postgres, then waits while the test process ($5) lives. When it is
/// gone, stops postgres and removes the directory ($6). If postgres dies first, it exits 1 and
/// leaves the directory (and the log) for the test process to report.
const WATCHDOG: &str = r#"
bindir="$1"; data="$2"; sock="$3"; port="$4"; parent="$5"; base="$6"; user="$7"; durable="$8"
run() { if [ -n "$user" ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "$durable" = 1 ] && fast=""
# shellcheck disable=SC2086 # $fast is a list of options
run "$bindir/postgres" -D "$data" -k "$sock" -h 127.0.0.1 -p "$port" \
    -c max_connections=300 $fast >"$base/postgres.log" 2>&1 &
pg=$!
while kill -0 "$parent" 2>/dev/null; do
    kill -0 "$pg" 2>/dev/null || exit 1
    sleep 1
done
run "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || kill -9 "$pg"
wait
rm -rf "$base"
"#;

/// Whether the throwaway cluster keeps PostgreSQL's default durability settings
/// (`CMMS_TEST_PG_DURABLE=1`, for benchmarks whose numbers must count); tests run it with
/// fsync, synchronous commit and full-page writes off.
fn durable() -> bool {
    std::env::var("CMMS_TEST_PG_DURABLE").is_ok_and(|v| v == "1")
}

/// Starts a throwaway cluster and returns its maintenance URL (panics with advice on failure).
async fn start_cluster() -> String {
    let Some(bindir) = find_bindir() else {
        panic!(
            "no PostgreSQL server binaries found (pg_config --bindir, /usr/lib/postgresql/*/bin): {HOW_TO_FIX}"
        );
    };
    let user = run_as();
    let base = tempfile::Builder::new()
        .prefix("cmms-pg-")
        .tempdir()
        .expect("a temporary directory")
        .keep();
    let (data, sock) = (base.join("data"), base.join("sock"));
    std::fs::create_dir(&sock).expect("the socket directory");
    if let Some(user) = user {
        let ok = Command::new("chown")
            .args(["-R", &format!("{user}:{user}")])
            .arg(&base)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chown of {} to {user} failed; {HOW_TO_FIX}", base.display());
    }
    let out = command(user, &bindir.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        .output()
        .unwrap_or_else(|e| panic!("running initdb failed: {e}; {HOW_TO_FIX}"));
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&base);
        panic!(
            "initdb failed: {}{}; {HOW_TO_FIX}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The first matching line wins: PASSWORD_ROLE logs in with its password, everyone else is
    // trusted as initdb set up.
    let hba = data.join("pg_hba.conf");
    let trusted = std::fs::read_to_string(&hba).expect("initdb writes pg_hba.conf");
    let line = format!("host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n");
    std::fs::write(&hba, line + &trusted).expect("pg_hba.conf is writable");
    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = free_port();
        let mut child = Command::new("sh")
            .args(["-c", WATCHDOG, "cmms-pg-watchdog"])
            .arg(&bindir)
            .arg(&data)
            .arg(&sock)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .arg(&base)
            .arg(user.unwrap_or(""))
            .arg(if durable() { "1" } else { "0" })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C aimed at the tests must not kill the watchdog
            // before it has cleaned up.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting the PostgreSQL watchdog failed: {e}"));
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        match wait_ready(&url, &mut child, &base).await {
            Ok(()) => return url,
            Err(e) => last_error = e,
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    panic!("the throwaway PostgreSQL server did not start: {last_error}; {HOW_TO_FIX}");
}

/// Waits until the server accepts connections (30 s at most).
async fn wait_ready(url: &str, child: &mut Child, base: &Path) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if PgConnection::connect(url).await.is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(base.join("postgres.log")).unwrap_or_default();
            return Err(format!("postgres exited ({status}): {log}"));
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let log = std::fs::read_to_string(base.join("postgres.log")).unwrap_or_default();
            return Err(format!("no connection after 30 s: {log}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl PgStore {
    /// A transaction for `org` opened exactly as the store opens its own (`BEGIN`, role and
    /// tenant in one message), for tests that run arbitrary SQL through the production path:
    /// what a query that forgot its tenant filter would see.
    pub async fn tenant_transaction(
        &self,
        org: cmms_core::OrgId,
        read_only: bool,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, cmms_core::StoreError> {
        crate::commit::begin(&self.pool, org, read_only).await
    }

    /// A connection of the store's pool as it is between two calls (session role, no tenant).
    pub async fn pooled_connection(&self) -> sqlx::pool::PoolConnection<sqlx::Postgres> {
        self.pool.acquire().await.expect("a pooled connection")
    }
}
