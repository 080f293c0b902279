//! The `cmms` binary: serve the API (the default), migrate, create an organization's owner,
//! back up, seed a demo organization, print the OpenAPI document.

use clap::Parser;
use cmms_server::config::{Cli, Command, LogFormat, ServeArgs};
use cmms_server::{AppState, Database, bootstrap, db::redacted, seed};
use std::process::ExitCode;

// Only the binary picks an allocator; embedders of the library keep their own. glibc's
// malloc/free were ~25 % of CPU under the load benchmark (benches/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cmms: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn open(url: &str, migrate: bool) -> Result<Database, String> {
    let db = Database::open(url).await.map_err(|e| format!("{}: {e}", redacted(url)))?;
    if migrate {
        let version = db.migrate().await.map_err(|e| format!("migrating: {e}"))?;
        tracing::info!(version, database = %redacted(url), "schema is current");
    }
    Ok(db)
}

async fn run(cli: Cli) -> Result<(), String> {
    let url = cli.database_url.clone();
    match cli.command.unwrap_or(Command::Serve(Box::new(cli.serve))) {
        Command::Serve(args) => serve(&url, *args).await,
        Command::Migrate => {
            let db = open(&url, true).await?;
            println!("schema version {}", db.latest_version());
            Ok(())
        }
        Command::CreateAdmin(a) => {
            let db = open(&url, true).await?;
            let cmms = cmms_core::Cmms::new(db.store());
            let login = bootstrap::create_org_with_owner(
                &cmms,
                &a.org_name,
                &a.name,
                &a.email,
                a.password.as_deref(),
            )
            .await
            .map_err(|e| e.to_string())?;
            println!("{}", login.describe());
            Ok(())
        }
        Command::Backup(b) => {
            let db = open(&url, false).await?;
            println!("{}", db.backup(&b.output).await.map_err(|e| e.to_string())?);
            Ok(())
        }
        Command::SeedDemo(s) => {
            let db = open(&url, true).await?;
            let cmms = cmms_core::Cmms::new(db.store());
            let demo = seed::demo(&cmms, s.password.as_deref()).await.map_err(|e| e.to_string())?;
            println!("{}", demo.describe());
            Ok(())
        }
        Command::Openapi => {
            let doc = cmms_server::openapi::document();
            println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}

async fn serve(url: &str, args: ServeArgs) -> Result<(), String> {
    let db = open(url, !args.no_migrate).await?;
    let mut state = AppState::new(db, &args)?;
    if let Some(handle) = cmms_server::metrics_recorder() {
        state = state.with_metrics(handle);
    }
    let first = bootstrap::first_org(
        state.cmms(),
        &args.org_name,
        &args.admin_email,
        args.admin_password.as_deref(),
    )
    .await
    .map_err(|e| format!("creating the first organization: {e}"))?;
    if let Some(login) = first {
        println!("{}", login.describe());
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("listening on {}: {e}", args.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    if let Some(addr) = args.metrics_listen {
        let metrics_listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("listening on {addr} for metrics: {e}"))?;
        let app = cmms_server::metrics_router(state.clone());
        tokio::spawn(async move {
            let stop = shutdown_signal();
            if let Err(e) = axum::serve(metrics_listener, app).with_graceful_shutdown(stop).await {
                tracing::error!(error = %e, "metrics listener failed");
            }
        });
        tracing::info!(%addr, "metrics on a separate listener");
    }
    println!("cmms listening on http://{local} (API docs: http://{local}/docs)");
    tracing::info!(%local, "listening");
    cmms_server::serve(listener, state, shutdown_signal()).await.map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
