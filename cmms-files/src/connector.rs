//! object_store's HTTP client for S3: hyper with rustls on the ring provider and the webpki
//! roots, so S3 over https needs neither aws-lc-rs nor OpenSSL, and no process-wide TLS
//! provider is installed (which would change every other HTTP client of the process).

use http_body_util::BodyExt;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as Tcp;
use hyper_util::rt::TokioExecutor;
use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest,
    HttpRequestBody, HttpResponse, HttpResponseBody, HttpService,
};
use std::sync::Arc;

/// Connects object_store to S3 through hyper + rustls (ring).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RingConnector;

impl HttpConnector for RingConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(|e| object_store::Error::Generic { store: "S3", source: Box::new(e) })?
            // Plain http only where the builder allows it (AWS_ALLOW_HTTP=true).
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(HttpClient::new(Hyper(client)))
    }
}

#[derive(Debug)]
struct Hyper(Client<HttpsConnector<Tcp>, HttpRequestBody>);

#[async_trait::async_trait]
impl HttpService for Hyper {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let res = self.0.request(req).await.map_err(|e| {
            let kind = if e.is_connect() { HttpErrorKind::Connect } else { HttpErrorKind::Request };
            HttpError::new(kind, e)
        })?;
        Ok(res.map(|body| {
            HttpResponseBody::new(body.map_err(|e| HttpError::new(HttpErrorKind::Decode, e)))
        }))
    }
}
