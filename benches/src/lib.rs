//! Shared parts of the cmms benchmarks: the fixture every store bench starts from, the
//! changesets the use cases would commit, a deterministic work-order generator for large seeds,
//! the raw-SQL baselines (the store's own statements issued with rusqlite / sqlx directly) and
//! small timing helpers. The benches themselves live in `benches/*.rs`.
//!
//! This is benchmark support, not library code: setup failures panic with a message.
// Benchmark support: a failed setup should stop the run loudly, so unwrap/expect are the
// contract here (the workspace denies them in library crates).
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod fixture;
pub mod inventory;
pub mod machine;
pub mod pg_raw;
pub mod pg_seed;
pub mod seedgen;
pub mod sqlite_raw;
pub mod sqlite_seed;
pub mod stats;
