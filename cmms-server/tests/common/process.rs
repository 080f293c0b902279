//! The `cmms` binary as a child process: start it with an environment, read what it prints
//! (its first login, the address it listens on), stop it with SIGTERM or kill it with SIGKILL.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_cmms");

pub struct Running {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub printed: Vec<String>,
}

impl Running {
    pub fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Running {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir)
            .env_remove("CMMS_DATABASE_URL")
            .env("CMMS_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            // Attachments under the test's directory, not the default /var/lib/cmms/files.
            .env("CMMS_FILES_URL", format!("file://{}/files", dir.display()))
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
    pub fn base(&mut self) -> String {
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

    pub fn printed(&self, key: &str) -> Option<String> {
        self.printed.iter().find_map(|l| {
            l.trim()
                .strip_prefix(key)
                .map(|v| v.split("   (").next().unwrap_or("").trim().to_string())
        })
    }

    pub fn terminate(mut self) {
        self.stop();
    }

    /// SIGKILL: no shutdown, no flush, as a crash or an OOM killer would.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

pub async fn login(base: &str, org: &str, email: &str, password: &str) -> Value {
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
