//! [`HttpSender`]: POSTs a signed webhook request with hyper (rustls on ring, webpki roots)
//! and turns whatever happens into a `WebhookResponse` — it never fails and never panics.

use crate::config::{ConfigError, SenderConfig};
use crate::guard::{GuardedResolver, REFUSED, is_refused};
use async_trait::async_trait;
use bytes::Bytes;
use cmms_core::domain::webhook::{WebhookRequest, WebhookResponse, WebhookSender};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::Instant;

type Https = HttpsConnector<HttpConnector<GuardedResolver>>;

/// Characters of a response body kept in the delivery log.
const EXCERPT_CHARS: usize = 1000;

/// The webhook HTTP client (cheap to clone; connections are pooled).
#[derive(Clone)]
pub struct HttpSender {
    client: Client<Https, Full<Bytes>>,
    config: Arc<SenderConfig>,
}

impl std::fmt::Debug for HttpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSender").field("config", &self.config).finish_non_exhaustive()
    }
}

impl HttpSender {
    /// A client with these settings.
    pub fn new(config: SenderConfig) -> Result<Self, ConfigError> {
        let mut tcp = HttpConnector::new_with_resolver(GuardedResolver {
            allow_private: config.allow_private,
        });
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(config.connect_timeout));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(|e| ConfigError::Tls(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Self { client, config: Arc::new(config) })
    }

    /// The settings.
    pub fn config(&self) -> &SenderConfig {
        &self.config
    }

    async fn exchange(&self, request: &WebhookRequest) -> Result<(u16, String), String> {
        let url = url::Url::parse(&request.url).map_err(|e| format!("bad URL: {e}"))?;
        // IP literals never reach the resolver: check them here.
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if literal.is_some_and(is_refused) && !self.config.allow_private {
            return Err(REFUSED.to_string());
        }
        let mut builder = http::Request::post(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        let req = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| format!("bad request: {e}"))?;
        let res = self.client.request(req).await.map_err(|e| describe(&e))?;
        let status = res.status().as_u16();
        let mut body = res.into_body();
        let mut kept: Vec<u8> = Vec::new();
        while kept.len() < self.config.max_response_bytes {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let room = self.config.max_response_bytes - kept.len();
                        kept.extend_from_slice(&data[..data.len().min(room)]);
                    }
                }
                // An answer whose body breaks off still answered: keep the status.
                Some(Err(_)) | None => break,
            }
        }
        let excerpt = String::from_utf8_lossy(&kept).chars().take(EXCERPT_CHARS).collect();
        Ok((status, excerpt))
    }
}

/// The error and its causes in one line (hyper's own message alone says little).
fn describe(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[async_trait]
impl WebhookSender for HttpSender {
    async fn send(&self, request: &WebhookRequest) -> WebhookResponse {
        let started = Instant::now();
        let outcome = tokio::time::timeout(self.config.timeout, self.exchange(request)).await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok(Ok((status, excerpt))) => {
                WebhookResponse { status: Some(status), latency_ms, excerpt, error: None }
            }
            Ok(Err(error)) => WebhookResponse { latency_ms, ..WebhookResponse::failed(error) },
            Err(_) => WebhookResponse {
                latency_ms,
                ..WebhookResponse::failed(format!(
                    "timed out after {}s",
                    self.config.timeout.as_secs_f64()
                ))
            },
        }
    }
}
