//! A small HTTP receiver on 127.0.0.1 for tests: it records every request (method, path,
//! headers, body) and answers from a script — a status, a redirect, or never — then `200`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How the receiver answers one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// This status, with a short body.
    Status(u16),
    /// This status and body.
    Body(u16, String),
    /// Never: the connection stays open without an answer.
    Hang,
    /// `302 Found` to this location.
    Redirect(String),
}

/// One request received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `POST`, ...
    pub method: String,
    /// The path (with its query).
    pub path: String,
    /// Headers, names in lowercase.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// The status answered (0: none, the request hung).
    pub status: u16,
}

impl Received {
    /// A header's value (`""` when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Answer>>,
    received: Mutex<Vec<Received>>,
}

/// The running receiver; it stops when dropped.
pub struct LoopbackReceiver {
    addr: std::net::SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LoopbackReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LoopbackReceiver {
    /// Starts a receiver that answers the first requests from `script`, then `200`.
    pub async fn start(script: Vec<Answer>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared { script: Mutex::new(script.into()), ..Shared::default() });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(stream, &s).await {
                        tracing::debug!(error = %e, "loopback receiver connection ended");
                    }
                });
            }
        });
        Ok(Self { addr, shared, task })
    }

    /// `http://127.0.0.1:<port>/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Every request so far, in order of arrival.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }

    /// Waits until at least `n` requests arrived (or `timeout` passed); whether they did.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if lock(&self.shared.received).len() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        lock(&self.shared.received).len() >= n
    }

    /// How many different `webhook-id`s were answered with 2xx.
    pub fn distinct_ids(&self) -> usize {
        let got = self.received();
        let mut ids: Vec<&str> = got
            .iter()
            .filter(|r| (200..300).contains(&r.status))
            .map(|r| r.header("webhook-id"))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

async fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len.min(16 * 1024 * 1024)];
    reader.read_exact(&mut body).await?;
    let answer = lock(&shared.script).pop_front().unwrap_or(Answer::Status(200));
    let status = match &answer {
        Answer::Status(s) | Answer::Body(s, _) => *s,
        Answer::Redirect(_) => 302,
        Answer::Hang => 0,
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    lock(&shared.received).push(Received { method, path, headers, body, status });
    let (extra, text) = match answer {
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Answer::Status(s) => (String::new(), format!("answer {s}")),
        Answer::Body(_, b) => (String::new(), b),
        Answer::Redirect(to) => (format!("location: {to}\r\n"), String::new()),
    };
    let reply = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{text}",
        text.len()
    );
    let mut stream = reader.into_inner();
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}
