//! Configuration: command-line flags with `CMMS_*` environment variables behind them, and
//! defaults that work out of the box (SQLite file `./cmms.db`, `127.0.0.1:8080`).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The `cmms` command.
#[derive(Debug, Parser)]
#[command(name = "cmms", version, about = "cmms — maintenance management server")]
pub struct Cli {
    /// Database: `sqlite:///relative.db`, `sqlite:////absolute/path.db`, `sqlite://` (in
    /// memory) or `postgres://USER:PASSWORD@HOST/DB` (docs/stores.md, "Database URLs").
    #[arg(long, env = "CMMS_DATABASE_URL", default_value = "sqlite:///cmms.db", global = true)]
    pub database_url: String,
    /// Log format.
    #[arg(long, env = "CMMS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve` when no subcommand is given (`cmms --listen ...` is `cmms serve
    /// --listen ...`). Parsed like any other options: a malformed value or `CMMS_*` variable
    /// is an error, never silently replaced by a default.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
// Parsed once at start and never moved around: boxing `ServeArgs` would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default). Boxed: the options outgrew the other commands.
    Serve(Box<ServeArgs>),
    /// Apply pending schema migrations and exit.
    Migrate,
    /// Create an organization (a tenant) with its owner.
    CreateAdmin(AdminArgs),
    /// Back up the database: an online copy of a SQLite file, or the pg_dump command for Postgres.
    Backup(BackupArgs),
    /// Create a demo organization with sites, assets, users of every role and some work.
    SeedDemo(SeedArgs),
    /// Print the OpenAPI document.
    Openapi,
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CMMS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Secret for signing access tokens (at least 32 characters). Without one a random secret
    /// is made at start: tokens then do not survive a restart and replicas do not share them.
    #[arg(long, env = "CMMS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Access token lifetime in seconds.
    #[arg(long, env = "CMMS_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: i64,
    /// Password of the first owner created on an empty database (generated and printed once
    /// when not given).
    #[arg(long, env = "CMMS_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Email of the first owner created on an empty database.
    #[arg(long, env = "CMMS_ADMIN_EMAIL", default_value = "admin@example.com")]
    pub admin_email: String,
    /// Name of the first organization created on an empty database.
    #[arg(long, env = "CMMS_ORG_NAME", default_value = "My organization")]
    pub org_name: String,
    /// Origins allowed by CORS (comma-separated; none by default).
    #[arg(long, env = "CMMS_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes.
    #[arg(long, env = "CMMS_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Bearer token that opens `/metrics` (without one, `/metrics` is only served on
    /// `--metrics-listen`).
    #[arg(long, env = "CMMS_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Separate address serving only `/metrics`, without authentication.
    #[arg(long, env = "CMMS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Login attempts allowed per client IP per minute.
    #[arg(long, env = "CMMS_LOGIN_RATE", default_value_t = 30)]
    pub login_rate_per_minute: u32,
    /// Requests per second allowed per token (bursts up to twice this).
    #[arg(long, env = "CMMS_TOKEN_RATE", default_value_t = 200)]
    pub token_rate_per_second: u32,
    /// Seconds between background job runs (auto-closing unconfirmed completions).
    #[arg(long, env = "CMMS_JOB_INTERVAL", default_value_t = 60)]
    pub job_interval_secs: u64,
    /// Do not migrate the database on start (then run `cmms migrate` yourself).
    #[arg(long, env = "CMMS_NO_MIGRATE", default_value_t = false)]
    pub no_migrate: bool,
    /// Send small writes at once on accepted connections (`TCP_NODELAY`). Off only to measure
    /// what it saves: event streams then wait for the client's delayed ACK.
    #[arg(long, env = "CMMS_TCP_NODELAY", default_value_t = true, action = clap::ArgAction::Set)]
    pub tcp_nodelay: bool,
    /// How long a caller's roles and teams are reused across requests, in milliseconds (role
    /// changes and deactivation reach access tokens within this time; 0 turns it off).
    #[arg(long, env = "CMMS_ACTOR_CACHE_MS", default_value_t = 2000)]
    pub actor_cache_ms: u64,
    /// Write password-reset and invitation tokens into the log (the reference server has no
    /// mail transport; without this flag the log says a mail was due but not its token).
    #[arg(long, env = "CMMS_LOG_MAIL_TOKENS", default_value_t = false)]
    pub log_mail_tokens: bool,
    /// The mail server: `smtp://user:pass@host:587` (STARTTLS required), `smtps://host:465`
    /// (TLS), `smtp://127.0.0.1:2525?tls=none` (plain, loopback only). With it, mail is queued
    /// in the outbox and delivered by the background job on every replica.
    #[arg(long, env = "CMMS_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of mail (`CMMS <cmms@example.com>`); needed with `CMMS_SMTP_URL`.
    #[arg(long, env = "CMMS_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// The address users open the application at; mails link to pages under it.
    #[arg(long, env = "CMMS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Attempts before a mail is given up (dead), retried with exponential backoff between.
    #[arg(long, env = "CMMS_MAIL_MAX_ATTEMPTS", default_value_t = 8)]
    pub mail_max_attempts: u32,
    /// Let webhooks reach loopback and private addresses (refused by default: a subscription
    /// URL must not reach into the server's own network). For tests and private deployments.
    #[arg(long, env = "CMMS_WEBHOOKS_ALLOW_PRIVATE", default_value_t = false)]
    pub webhooks_allow_private: bool,
    /// Seconds a webhook request may take (connect, send, answer) before it counts as failed.
    #[arg(long, env = "CMMS_WEBHOOKS_TIMEOUT_SECS", default_value_t = 10)]
    pub webhooks_timeout_secs: u64,
    /// Failed deliveries in a row after which a subscription is turned off (with a
    /// `webhook.disabled` event).
    #[arg(long, env = "CMMS_WEBHOOKS_DISABLE_AFTER", default_value_t = 30)]
    pub webhooks_disable_after: u32,
    /// The wait after a subscription's first failed delivery, in milliseconds; doubled after
    /// each further failure, up to an hour, with jitter.
    #[arg(long, env = "CMMS_WEBHOOKS_RETRY_BASE_MS", default_value_t = 10_000)]
    pub webhooks_retry_base_ms: u64,
    /// How long a replica's claim on a subscription lasts, in seconds: a replica that dies
    /// mid-delivery holds the subscription up at most this long.
    #[arg(long, env = "CMMS_WEBHOOKS_LEASE_SECS", default_value_t = 120)]
    pub webhooks_lease_secs: u64,
    /// Where attachment content is stored: `file:///dir` (created if missing) or
    /// `s3://bucket/prefix` (S3 reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
    /// AWS_ENDPOINT_URL and AWS_ALLOW_HTTP).
    #[arg(long, env = "CMMS_FILES_URL", default_value = cmms_files::DEFAULT_URL)]
    pub files_url: String,
    /// Largest attachment, in bytes (uploads stream: this is not held in memory).
    #[arg(long, env = "CMMS_FILES_MAX_BYTES", default_value_t = FILES_MAX_BYTES)]
    pub files_max_bytes: u64,
    /// Most attachment bytes one organization may store.
    #[arg(long, env = "CMMS_FILES_ORG_MAX_BYTES", default_value_t = FILES_ORG_MAX_BYTES)]
    pub files_org_max_bytes: u64,
    /// Content types attachments may have, as sniffed from their bytes (comma-separated;
    /// default: cmms_core::domain::files::DEFAULT_TYPES).
    #[arg(long, env = "CMMS_FILES_ALLOWED_TYPES", value_delimiter = ',')]
    pub files_allowed_types: Vec<String>,
}

const FILES_MAX_BYTES: u64 = 100 * 1024 * 1024;
const FILES_ORG_MAX_BYTES: u64 = 10 * 1024 * 1024 * 1024;

impl ServeArgs {
    /// The webhook delivery policy these options describe (values clamped to sane ranges:
    /// at most a day of base backoff and lease).
    pub fn webhook_policy(&self) -> cmms_core::domain::webhook::WebhookPolicy {
        const DAY_MS: u64 = 86_400_000;
        let ms = |v: u64| chrono::TimeDelta::milliseconds(v.clamp(1, DAY_MS) as i64);
        // The lease must outlast a request, or a slow receiver gets every event twice.
        let lease_secs = self.webhooks_lease_secs.max(self.webhooks_timeout_secs.saturating_mul(3));
        cmms_core::domain::webhook::WebhookPolicy {
            base_backoff: ms(self.webhooks_retry_base_ms),
            disable_after: i64::from(self.webhooks_disable_after.max(1)),
            lease: ms(lease_secs.saturating_mul(1000)),
            ..Default::default()
        }
    }

    /// The webhook HTTP client's settings.
    pub fn webhook_sender_config(&self) -> cmms_webhooks::SenderConfig {
        cmms_webhooks::SenderConfig {
            timeout: std::time::Duration::from_secs(self.webhooks_timeout_secs.max(1)),
            allow_private: self.webhooks_allow_private,
            ..Default::default()
        }
    }

    /// The attachment rules these options describe.
    pub fn file_rules(&self) -> cmms_core::domain::files::FileRules {
        let mut rules = cmms_core::domain::files::FileRules {
            max_file_bytes: self.files_max_bytes,
            max_org_bytes: self.files_org_max_bytes,
            ..Default::default()
        };
        let listed: Vec<String> = self
            .files_allowed_types
            .iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        if !listed.is_empty() {
            rules.allowed_types = listed;
        }
        rules
    }
}

impl Default for ServeArgs {
    /// The command line's defaults, without reading the environment (for embedding and tests).
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            jwt_secret: None,
            access_token_ttl: 900,
            admin_password: None,
            admin_email: "admin@example.com".into(),
            org_name: "My organization".into(),
            cors_origins: Vec::new(),
            body_limit: 1024 * 1024,
            metrics_token: None,
            metrics_listen: None,
            login_rate_per_minute: 30,
            token_rate_per_second: 200,
            job_interval_secs: 60,
            no_migrate: false,
            tcp_nodelay: true,
            log_mail_tokens: false,
            actor_cache_ms: 2000,
            smtp_url: None,
            mail_from: None,
            public_url: None,
            mail_max_attempts: 8,
            webhooks_allow_private: false,
            webhooks_timeout_secs: 10,
            webhooks_disable_after: 30,
            webhooks_retry_base_ms: 10_000,
            webhooks_lease_secs: 120,
            files_url: cmms_files::DEFAULT_URL.into(),
            files_max_bytes: FILES_MAX_BYTES,
            files_org_max_bytes: FILES_ORG_MAX_BYTES,
            files_allowed_types: Vec::new(),
        }
    }
}

/// Options of `create-admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Email of the owner.
    #[arg(long)]
    pub email: String,
    /// Name of the owner.
    #[arg(long, default_value = "Administrator")]
    pub name: String,
    /// Password (generated and printed when not given).
    #[arg(long, env = "CMMS_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Name of the new organization.
    #[arg(long, default_value = "My organization")]
    pub org_name: String,
}

/// Options of `backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy.
    #[arg(long, short)]
    pub output: PathBuf,
}

/// Options of `seed-demo`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Password of every demo user (generated and printed when not given).
    #[arg(long, env = "CMMS_DEMO_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}
