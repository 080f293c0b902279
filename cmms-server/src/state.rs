//! What every handler shares: the `Cmms` facade, the database, token keys, rate limits, the
//! mailer and the metrics recorder.

use crate::config::ServeArgs;
use crate::db::Database;
use crate::jwt::JwtKeys;
use crate::limit::Limiter;
use crate::mailer::{LogMailer, Mailer};
use cmms_core::Cmms;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

/// Failed logins allowed per account within `ACCOUNT_WINDOW_SECS` (core's default lockout).
const ACCOUNT_FAILURES: u32 = 5;
const ACCOUNT_WINDOW_SECS: f64 = 900.0;

/// The server's shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    cmms: Cmms,
    db: Database,
    jwt: JwtKeys,
    login_limit: Arc<Limiter>,
    token_limit: Arc<Limiter>,
    account_limit: Arc<Limiter>,
    actors: Arc<crate::actor_cache::ActorCache>,
    mailer: Arc<dyn Mailer>,
    mail_transport: Option<Arc<dyn cmms_core::service::mail::MailTransport>>,
    public_url: Option<String>,
    mail_max_attempts: u32,
    metrics: Option<PrometheusHandle>,
    metrics_token: Option<String>,
    body_limit: usize,
    job_interval: std::time::Duration,
    tcp_nodelay: bool,
    cors_origins: Vec<String>,
    /// Where attachment content lives, and the rules every `Cmms` of this state gets.
    files: cmms_files::FileStore,
    file_rules: cmms_core::domain::files::FileRules,
    /// Webhook delivery: the policy every `Cmms` of this state gets, and the HTTP client.
    webhook_policy: cmms_core::domain::webhook::WebhookPolicy,
    webhook_sender: Arc<dyn cmms_core::domain::webhook::WebhookSender>,
    /// Flips to `true` when the server begins to shut down: streams end, jobs stop.
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("db", &self.inner.db).finish_non_exhaustive()
    }
}

impl AppState {
    /// State over an open database, configured by `args`.
    pub fn new(db: Database, args: &ServeArgs) -> Result<Self, String> {
        let jwt = match &args.jwt_secret {
            Some(secret) => JwtKeys::new(secret.as_bytes(), args.access_token_ttl)?,
            None => {
                tracing::warn!(
                    "no CMMS_JWT_SECRET: using a random one (tokens end at restart, replicas do not share them)"
                );
                JwtKeys::random(args.access_token_ttl)?
            }
        };
        let token_rate = f64::from(args.token_rate_per_second.max(1));
        let files = cmms_files::FileStore::from_url(&args.files_url)
            .map_err(|e| format!("CMMS_FILES_URL {}: {e}", args.files_url))?;
        let file_rules = args.file_rules();
        let webhook_policy = args.webhook_policy();
        let sender = cmms_webhooks::HttpSender::new(args.webhook_sender_config())
            .map_err(|e| format!("webhook client: {e}"))?;
        let inner = Inner {
            cmms: Cmms::new(db.store())
                .with_file_rules(file_rules.clone())
                .with_webhook_policy(webhook_policy.clone()),
            webhook_policy,
            webhook_sender: Arc::new(sender),
            files,
            file_rules,
            db,
            jwt,
            login_limit: Arc::new(Limiter::new(
                f64::from(args.login_rate_per_minute.max(1)) / 60.0,
                f64::from(args.login_rate_per_minute.max(1)),
            )),
            token_limit: Arc::new(Limiter::new(token_rate, token_rate * 2.0)),
            // Failed logins per (org, email), whether or not the account exists, so the answer
            // to a sixth failure (429) tells nothing about existence; core's persistent lockout
            // of real accounts matches it.
            actors: Arc::new(crate::actor_cache::ActorCache::new(
                std::time::Duration::from_millis(args.actor_cache_ms),
            )),
            account_limit: Arc::new(Limiter::new(
                f64::from(ACCOUNT_FAILURES) / ACCOUNT_WINDOW_SECS,
                f64::from(ACCOUNT_FAILURES),
            )),
            mailer: Arc::new(LogMailer { reveal_tokens: args.log_mail_tokens }),
            mail_transport: crate::mail_delivery::transport(args)?,
            public_url: args.public_url.clone(),
            mail_max_attempts: args.mail_max_attempts,
            metrics: None,
            metrics_token: args.metrics_token.clone(),
            body_limit: args.body_limit,
            job_interval: std::time::Duration::from_secs(args.job_interval_secs.max(1)),
            tcp_nodelay: args.tcp_nodelay,
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
            cors_origins: args.cors_origins.clone(),
        };
        Ok(Self { inner: Arc::new(inner) }.with_mail_settings())
    }

    /// A state with one part replaced (clones made earlier keep the old part).
    fn edit(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        f(&mut inner);
        Self { inner: Arc::new(inner) }
    }

    /// Uses another `Cmms` (for example one with a test clock or other auth settings); the
    /// attachment rules of the configuration apply to it.
    pub fn with_cmms(self, cmms: Cmms) -> Self {
        self.edit(|i| {
            i.cmms = cmms
                .with_file_rules(i.file_rules.clone())
                .with_webhook_policy(i.webhook_policy.clone());
        })
        .with_mail_settings()
    }

    /// Delivers the mail outbox through `transport` (instead of `CMMS_SMTP_URL`'s).
    pub fn with_mail_transport(
        self,
        transport: Arc<dyn cmms_core::service::mail::MailTransport>,
    ) -> Self {
        self.edit(|i| i.mail_transport = Some(transport)).with_mail_settings()
    }

    /// Keeps the facade's mail settings in step with the state: token mail is queued only
    /// when a transport delivers the outbox.
    fn with_mail_settings(self) -> Self {
        self.edit(|i| {
            let delivering = i.mail_transport.is_some();
            let server = crate::mail_delivery::ServerMail {
                public_url: i.public_url.as_deref(),
                delivering,
                max_attempts: i.mail_max_attempts,
            };
            i.cmms = crate::mail_delivery::configure(i.cmms.clone(), &server);
        })
    }

    pub(crate) fn mail_transport(
        &self,
    ) -> Option<&Arc<dyn cmms_core::service::mail::MailTransport>> {
        self.inner.mail_transport.as_ref()
    }

    /// Delivers webhooks through `sender` (instead of the HTTP client the options configure).
    pub fn with_webhook_sender(
        self,
        sender: Arc<dyn cmms_core::domain::webhook::WebhookSender>,
    ) -> Self {
        self.edit(|i| i.webhook_sender = sender)
    }

    /// The webhook HTTP client.
    pub(crate) fn webhook_sender(&self) -> Arc<dyn cmms_core::domain::webhook::WebhookSender> {
        self.inner.webhook_sender.clone()
    }

    /// Where attachment content lives.
    pub fn files(&self) -> &cmms_files::FileStore {
        &self.inner.files
    }

    /// Delivers mail through `mailer` instead of the log.
    pub fn with_mailer(self, mailer: Arc<dyn Mailer>) -> Self {
        self.edit(|i| i.mailer = mailer)
    }

    /// Serves `/metrics` from this recorder.
    pub fn with_metrics(self, handle: PrometheusHandle) -> Self {
        self.edit(|i| i.metrics = Some(handle))
    }

    /// The facade.
    pub fn cmms(&self) -> &Cmms {
        &self.inner.cmms
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.inner.db
    }

    pub(crate) fn jwt(&self) -> &JwtKeys {
        &self.inner.jwt
    }

    pub(crate) fn login_limit(&self) -> &Limiter {
        &self.inner.login_limit
    }

    /// The caller behind an access token: from the short-lived cache, or built by core.
    pub(crate) async fn actor(
        &self,
        org: cmms_core::OrgId,
        user: cmms_core::UserId,
    ) -> cmms_core::Result<cmms_core::Actor> {
        if let Some(actor) = self.inner.actors.get(org, user) {
            return Ok(actor);
        }
        let actor = self.inner.cmms.actor(org, user).await?;
        self.inner.actors.put(org, user, &actor);
        Ok(actor)
    }

    pub(crate) fn account_limit(&self) -> &Limiter {
        &self.inner.account_limit
    }

    pub(crate) fn token_limit(&self) -> &Limiter {
        &self.inner.token_limit
    }

    pub(crate) fn mailer(&self) -> &dyn Mailer {
        self.inner.mailer.as_ref()
    }

    pub(crate) fn metrics(&self) -> Option<&PrometheusHandle> {
        self.inner.metrics.as_ref()
    }

    pub(crate) fn metrics_token(&self) -> Option<&str> {
        self.inner.metrics_token.as_deref()
    }

    pub(crate) fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    pub(crate) fn cors_origins(&self) -> &[String] {
        &self.inner.cors_origins
    }

    pub(crate) fn job_interval(&self) -> std::time::Duration {
        self.inner.job_interval
    }

    /// Whether accepted connections get `TCP_NODELAY`.
    pub(crate) fn tcp_nodelay(&self) -> bool {
        self.inner.tcp_nodelay
    }

    /// Resolves once the server has begun to shut down.
    pub(crate) fn stopping(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.stopping.subscribe();
        async move {
            // An error means the sender is gone: the state is being dropped, so stop too.
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }

    /// Tells streams and background jobs to end (called by `serve` on shutdown).
    pub fn begin_shutdown(&self) {
        self.inner.stopping.send_replace(true);
    }
}
