//! Prints the machine a bench ran on (CPU model, cores, memory, SQLite and PostgreSQL
//! versions) to stderr, so every recorded number can name its machine.

/// A line describing this machine.
pub fn describe() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown CPU")
        .to_string();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    format!(
        "{model}, {cores} cores, {:.1} GiB RAM, SQLite {}",
        mem_kb as f64 / 1024.0 / 1024.0,
        rusqlite::version()
    )
}

/// The PostgreSQL server version at `url`.
pub async fn postgres_version(url: &str) -> String {
    let mut c = cmms_store_postgres::testing::owner_connection(url).await;
    sqlx::query_scalar::<_, String>("SHOW server_version")
        .fetch_one(&mut c)
        .await
        .unwrap_or_default()
}
