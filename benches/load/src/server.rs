//! Starting the release `cmms` binary on a loopback port against a database, creating the
//! benchmark organizations with its own subcommands, and reading its peak memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The password of every benchmark user.
pub const PASSWORD: &str = "load test password 1";

/// The release binary, built first when it is missing or older than the sources.
pub async fn binary() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    eprintln!("building the release server (cargo build --release -p cmms-server)...");
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // `cargo run` sets CARGO_PKG_*, CARGO_MANIFEST_DIR, ... for this process; passed on, they
    // change build-script fingerprints and the server was rebuilt (minutes) on every run.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_TARGET_DIR" {
            cargo.env_remove(key);
        }
    }
    let status = cargo
        .args(["build", "--release", "--quiet", "-p", "cmms-server"])
        .current_dir(&root)
        .status()
        .await
        .map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err("cargo build --release -p cmms-server failed".into());
    }
    Ok(target.join("release").join("cmms"))
}

/// One demo organization made by `cmms seed-demo`: its id and the manager's email.
#[derive(Debug, Clone)]
pub struct SeededOrg {
    pub id: String,
}

/// Runs `cmms seed-demo` (an org with one user of every role, all with `PASSWORD`).
pub async fn seed_demo(bin: &Path, url: &str) -> Result<SeededOrg, String> {
    let out = Command::new(bin)
        .args(["--database-url", url, "seed-demo", "--password", PASSWORD])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("seed-demo failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text
        .lines()
        // "org:      demo-plant-co-2   (id 01a2...)": the slug logs in.
        .find_map(|l| l.trim().strip_prefix("org:")?.split_whitespace().next().map(str::to_string))
        .ok_or("seed-demo printed no org id")?;
    Ok(SeededOrg { id })
}

/// A running server.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts `cmms serve` on `127.0.0.1:0` with limits opened up for a load test.
    pub async fn start(bin: &Path, url: &str) -> Result<Server, String> {
        Self::start_with(bin, url, &[]).await
    }

    /// [`Server::start`] with more environment variables (`CMMS_TCP_NODELAY=false`, ...).
    pub async fn start_with(bin: &Path, url: &str, env: &[(&str, &str)]) -> Result<Server, String> {
        let mut command = Command::new(bin);
        command.envs(env.iter().copied());
        let mut child = command
            .args(["--database-url", url, "serve"])
            .env("CMMS_LISTEN", "127.0.0.1:0")
            .env("CMMS_JWT_SECRET", "load-test secret that is long enough to sign")
            .env("CMMS_TOKEN_RATE", "1000000")
            .env("CMMS_LOGIN_RATE", "1000000")
            .env("RUST_LOG", "warn")
            // Attachments (unused by the load test) in a scratch directory, not /var/lib/cmms.
            .env("CMMS_FILES_URL", format!("file://{}", std::env::temp_dir().join("cmms-load-files").display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(out).lines();
        let base = tokio::time::timeout(Duration::from_secs(120), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix("cmms listening on ") {
                    return rest.split_whitespace().next().map(str::to_string);
                }
            }
            None
        })
        .await
        .map_err(|_| "the server did not start within 120 s".to_string())?
        .ok_or("the server exited before listening")?;
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { child, base })
    }

    /// Peak resident memory of the server process so far (VmHWM), in MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    }

    /// Stops the server with SIGTERM and waits for it.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
    }
}
