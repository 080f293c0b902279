//! The webhook HTTP client of cmms: [`HttpSender`] implements core's
//! [`WebhookSender`](cmms_core::domain::webhook::WebhookSender) port with the rules a server
//! that POSTs to URLs its users typed must follow — a time limit on every request, at most
//! [`SenderConfig::max_response_bytes`] of an answer read, redirects never followed, and
//! loopback, private, link-local and other internal addresses refused (SSRF) unless allowed.
//!
//! ```no_run
//! # async fn demo(cmms: cmms_core::Cmms) -> Result<(), Box<dyn std::error::Error>> {
//! let sender = cmms_webhooks::HttpSender::new(cmms_webhooks::SenderConfig::from_env()?)?;
//! let report = cmms.deliver_webhooks(cmms.now(), &sender).await?;
//! println!("{} delivered", report.delivered);
//! # Ok(()) }
//! ```

mod config;
mod guard;
#[cfg(feature = "test-receiver")]
pub mod receiver;
mod sender;

pub use config::{ConfigError, SenderConfig};
pub use guard::is_refused;
pub use sender::HttpSender;
