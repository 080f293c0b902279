//! Seeded SQLite databases for the list and scale benches: a migrated file with one fixture
//! organization (made through the facade) and `n` generated work orders inserted in bulk with
//! the store's own INSERT statements (rows identical to what the store writes; the seed skips
//! the timeline, audit and event rows of their history, which no list query reads). Seeds are
//! cached under `target/cmms-bench/`, keyed by a hash of the migrations and this seeding code,
//! so a changed schema or generator makes a new seed.

use crate::fixture::{Org, USERS_PER_ORG, make_org};
use crate::seedgen::Plan;
use cmms_core::{Actor, Cmms, OrgId, SiteId, UserId};
use cmms_store_sqlite::SqliteStore;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The cache directory (`<workspace>/target/cmms-bench`, or under `CARGO_TARGET_DIR`).
pub fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("cmms-bench")
}

/// Hash of everything a seed depends on.
pub fn seed_key() -> String {
    let mut h = Sha256::new();
    for m in cmms_store_sqlite::MIGRATIONS {
        h.update(m.up.as_bytes());
    }
    for code in [
        include_str!("seedgen.rs"),
        include_str!("sqlite_seed.rs"),
        include_str!("fixture.rs"),
        include_str!("sqlite_raw.rs"),
    ] {
        h.update(code.as_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

fn org_file(db: &Path) -> PathBuf {
    db.with_extension("org")
}

fn save_org(db: &Path, org: &Org) {
    let mut text = format!("{}\n", org.id);
    text.push_str(&org.sites.iter().map(ToString::to_string).collect::<Vec<_>>().join(","));
    text.push('\n');
    text.push_str(&org.users.iter().map(ToString::to_string).collect::<Vec<_>>().join(","));
    std::fs::write(org_file(db), text).expect("write org file");
}

async fn load_org(store: Arc<SqliteStore>, db: &Path) -> Org {
    let text = std::fs::read_to_string(org_file(db)).expect("read org file");
    let mut lines = text.lines();
    let uuid = |s: &str| uuid::Uuid::parse_str(s).expect("uuid in org file");
    let id = OrgId::from(uuid(lines.next().expect("org line")));
    let sites = lines.next().expect("sites").split(',').map(|s| SiteId::from(uuid(s))).collect();
    let users: Vec<UserId> =
        lines.next().expect("users").split(',').map(|s| UserId::from(uuid(s))).collect();
    let owner: Actor = Cmms::new(store).actor(id, users[0]).await.expect("owner actor");
    Org { id, owner, sites, users }
}

/// A seeded database with `n` work orders: from the cache, or made now (and cached).
/// Returns the path of the cached file (read-only use) and the fixture org.
pub async fn seeded(n: u64) -> (PathBuf, Org) {
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).expect("cache dir");
    let path = dir.join(format!("sqlite-{n}-{}.db", seed_key()));
    if !path.exists() || !org_file(&path).exists() {
        let tmp = dir.join(format!("sqlite-{n}-building.db"));
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", tmp.display()));
        }
        let started = std::time::Instant::now();
        let org = build(&tmp, n).await;
        // Fold the WAL into the main file so the cache is one self-contained file.
        {
            let c = rusqlite::Connection::open(&tmp).expect("open seed");
            c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
                .expect("checkpoint");
        }
        save_org(&tmp, &org);
        std::fs::rename(org_file(&tmp), org_file(&path)).expect("move org file");
        std::fs::rename(&tmp, &path).expect("move seed");
        eprintln!("seeded SQLite with {n} work orders in {:.1?}", started.elapsed());
    }
    let store = Arc::new(SqliteStore::open(&path).await.expect("open seed"));
    let org = load_org(store, &path).await;
    (path, org)
}

/// A private, writable copy of the seed with `n` work orders (for benches that write).
pub async fn seeded_copy(n: u64, dir: &Path) -> (PathBuf, Org) {
    let (path, org) = seeded(n).await;
    let copy = dir.join("bench.db");
    std::fs::copy(&path, &copy).expect("copy seed");
    (copy, org)
}

async fn build(path: &Path, n: u64) -> Org {
    let store = SqliteStore::open(path).await.expect("open new seed");
    store.migrate().await.expect("migrate");
    let store = Arc::new(store);
    let org = make_org(store.clone(), "Seeded Plant", USERS_PER_ORG).await;
    drop(store);
    let mut c = crate::sqlite_raw::open(path);
    let mut plan = Plan::new(&org, n);
    loop {
        let batch = plan.batch(20_000);
        if batch.is_empty() {
            break;
        }
        let tx = c.transaction().expect("begin");
        for wo in &batch {
            crate::sqlite_raw::exec_work_order(&tx, SEED_INSERT, wo).expect("insert");
            crate::sqlite_raw::replace_assignees(&tx, wo).expect("assignees");
        }
        tx.commit().expect("commit");
    }
    let tx = c.transaction().expect("begin");
    for (year, value) in &plan.counters {
        tx.execute(
            "INSERT INTO org_counters (org_id, key, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT (org_id, key) DO UPDATE SET value = excluded.value",
            rusqlite::params![org.id.0, format!("work_order:{year:04}"), value],
        )
        .expect("counter");
    }
    tx.commit().expect("commit");
    org
}

/// The store's INSERT for work orders (see `sqlite_raw`).
const SEED_INSERT: &str = "INSERT INTO work_orders (org_id, id, number, title, description, wo_type, \
    priority, priority_rank, category, status, site_id, location_id, asset_id, team_id, \
    requested_by, created_by, request_id, due_at, estimated_hours, actual_start, actual_end, \
    verified_by, verified_at, closed_at, completion_notes, failure_problem, failure_cause, \
    failure_remedy, attachments, created_at, updated_at, version, search_doc) VALUES (?1, ?2, ?3, \
    ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, \
    ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33)";
