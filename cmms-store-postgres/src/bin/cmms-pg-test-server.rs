//! Test helper (feature `test-server`): starts — or finds through `CMMS_TEST_DATABASE_URL` — the
//! throwaway PostgreSQL test server, creates one fresh migrated database, prints its URL, and
//! keeps the server alive until standard input closes. `scripts/test` uses it to give the Python
//! suite a real Postgres database; the server is stopped and removed when this process ends. It
//! also makes `testing::PASSWORD_ROLE`, so the suite can check a wrong password's message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use cmms_store_postgres::testing::TestServer;
use std::io::{Read, Write};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = TestServer::fresh_database().await;
    TestServer::get().await.password_role().await;
    let mut out = std::io::stdout();
    writeln!(out, "{url}").expect("stdout");
    out.flush().expect("stdout");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
}
