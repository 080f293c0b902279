//! A small SMTP server on 127.0.0.1 for tests: it speaks enough SMTP for a real client (EHLO,
//! MAIL, RCPT, DATA, RSET, NOOP, QUIT, no TLS), keeps every message it accepts, and can
//! refuse the first transactions with `451` like a greylisting or overloaded server.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message (headers and body, dot-unstuffed).
    pub data: String,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    refuse: AtomicU32,
}

/// The running server; it stops when dropped.
pub struct LoopbackSmtp {
    addr: std::net::SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LoopbackSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LoopbackSmtp {
    /// Starts a server that answers the first `refuse_first` `MAIL FROM`s with `451`.
    pub async fn start(refuse_first: u32) -> std::io::Result<Self> {
        Self::start_on(0, refuse_first).await
    }

    /// Like [`start`](Self::start), on a chosen port of 127.0.0.1 (0: any free one), so a
    /// test can name a mail server that comes up only later.
    pub async fn start_on(port: u16, refuse_first: u32) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared { refuse: AtomicU32::new(refuse_first), ..Shared::default() });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    if let Err(e) = session(stream, &s).await {
                        tracing::debug!(error = %e, "loopback smtp session ended");
                    }
                });
            }
        });
        Ok(Self { addr, shared, task })
    }

    /// The `CMMS_SMTP_URL` of this server (plain SMTP: it is on loopback).
    pub fn url(&self) -> String {
        format!("smtp://{}?tls=none", self.addr)
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Waits up to `timeout` for at least `n` messages; returns what arrived.
    pub async fn wait_for(&self, n: usize, timeout: std::time::Duration) -> Vec<Received> {
        let end = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() >= end {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

fn address(arg: &str) -> String {
    let a = arg.split_once(':').map_or(arg, |(_, a)| a).trim();
    a.trim_start_matches('<').split('>').next().unwrap_or_default().to_string()
}

async fn session(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 loopback ESMTP\r\n").await?;
    let mut current: Option<Received> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end();
        let verb = cmd.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-loopback\r\n250 8BITMIME\r\n",
            "HELO" | "NOOP" => b"250 ok\r\n",
            "RSET" => {
                current = None;
                b"250 ok\r\n"
            }
            "MAIL" => {
                let refuse = shared.refuse.load(Ordering::SeqCst);
                if refuse > 0 {
                    shared.refuse.store(refuse - 1, Ordering::SeqCst);
                    b"451 4.3.0 try again later\r\n"
                } else {
                    let from = address(cmd.get(4..).unwrap_or_default());
                    current = Some(Received { from, to: Vec::new(), data: String::new() });
                    b"250 ok\r\n"
                }
            }
            "RCPT" => match current.as_mut() {
                Some(m) => {
                    m.to.push(address(cmd.get(4..).unwrap_or_default()));
                    b"250 ok\r\n"
                }
                None => b"503 5.5.1 MAIL first\r\n",
            },
            "DATA" => match current.take() {
                Some(mut m) => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == ".\r\n" || line == ".\n" {
                            break;
                        }
                        let l = line.strip_prefix('.').unwrap_or(&line);
                        m.data.push_str(l);
                    }
                    if let Ok(mut r) = shared.received.lock() {
                        r.push(m);
                    }
                    b"250 2.0.0 queued\r\n"
                }
                None => b"503 5.5.1 MAIL first\r\n",
            },
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}
