//! Background jobs run inside `serve`: every `job_interval`, auto-close completions nobody
//! confirmed and generate the preventive work that is due. Each job is idempotent by
//! construction (core skips work that changed meanwhile; PM slots have unique keys), so any
//! number of replicas may run them at once.

use crate::state::AppState;
use std::time::Instant;

/// Runs the jobs until the server stops.
pub(crate) async fn run(state: AppState) {
    let mut tick = ticker(&state);
    let stopping = state.stopping();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            () = &mut stopping => break,
            _ = tick.tick() => {}
        }
        // A run is not interrupted half-way: each of its commits is atomic anyway, and
        // stopping between two of them loses nothing.
        run_once(&state).await;
    }
    tracing::debug!("background jobs stopped");
}

/// The jobs' clock: every `job_interval`, a late tick delays the next instead of bunching up.
pub(crate) fn ticker(state: &AppState) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(state.job_interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

/// One pass of every job.
pub(crate) async fn run_once(state: &AppState) {
    let started = Instant::now();
    let now = state.cmms().now();
    match state.cmms().auto_close_confirmations(now).await {
        Ok(report) => {
            metrics::counter!("job_runs_total", "job" => "auto_close").increment(1);
            let closed = report.closed.len() as u64;
            metrics::counter!("job_items_total", "job" => "auto_close").increment(closed);
            if closed > 0 {
                tracing::info!(closed, "auto-closed unconfirmed completions");
            }
        }
        Err(e) => {
            metrics::counter!("job_errors_total", "job" => "auto_close").increment(1);
            tracing::warn!(error = %e, "auto-close job failed");
        }
    }
    metrics::histogram!("job_duration_seconds", "job" => "auto_close")
        .record(started.elapsed().as_secs_f64());
    generate_pm(state).await;
    crate::mail_delivery::deliver(state).await;
}

/// PM generation for every organization.
async fn generate_pm(state: &AppState) {
    let started = Instant::now();
    metrics::counter!("job_runs_total", "job" => "pm_generate").increment(1);
    let results = match state.cmms().generate_due_pm_everywhere().await {
        Ok(results) => results,
        Err(e) => {
            metrics::counter!("job_errors_total", "job" => "pm_generate").increment(1);
            tracing::warn!(error = %e, "PM generation could not list organizations");
            return;
        }
    };
    for (org, result) in results {
        match result {
            Ok(r) => {
                let (created, skipped) = (r.created.len() as u64, r.skipped.len() as u64);
                metrics::counter!("job_items_total", "job" => "pm_generate").increment(created);
                metrics::counter!("pm_skipped_total").increment(skipped);
                metrics::counter!("pm_overdue_total").increment(r.overdue as u64);
                metrics::counter!("pm_raced_total").increment(r.raced as u64);
                if created + skipped > 0 || r.overdue > 0 {
                    tracing::info!(%org, created, skipped, overdue = r.overdue, "generated PM work");
                }
            }
            Err(e) => {
                metrics::counter!("job_errors_total", "job" => "pm_generate").increment(1);
                tracing::warn!(%org, error = %e, "PM generation failed");
            }
        }
    }
    metrics::histogram!("job_duration_seconds", "job" => "pm_generate")
        .record(started.elapsed().as_secs_f64());
}
