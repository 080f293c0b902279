//! The notification consumer inside `serve`, on every replica: runs every `job_interval` and
//! promptly after commits (it wakes on the store's broadcast), in its own task so no request
//! ever waits for it. Replicas may run it at once: core's cursor is written with its version
//! and leased (see `cmms_core::service::DeliveryReport` and `Cmms::deliver_notifications`).

use crate::state::AppState;
use std::time::Instant;
use tokio::sync::broadcast::error::RecvError;

/// Runs the consumer until the server stops.
pub(crate) async fn run(state: AppState) {
    let mut tick = crate::jobs::ticker(&state);
    let mut commits = state.cmms().store().subscribe();
    let stopping = state.stopping();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            () = &mut stopping => break,
            _ = tick.tick() => {}
            r = commits.recv() => match r {
                // Only commits that appended events can owe anyone a notification; a batch
                // without events is a hint that another process may have written some.
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => {
                    // No more live commits: the tick alone drives it from now on.
                    commits = state.cmms().store().subscribe();
                    tick.tick().await;
                }
            },
        }
        deliver_once(&state).await;
    }
    tracing::debug!("notification consumer stopped");
}

/// One run over every organization, with its metrics.
pub(crate) async fn deliver_once(state: &AppState) {
    let started = Instant::now();
    metrics::counter!("job_runs_total", "job" => "notify").increment(1);
    match state.cmms().deliver_notifications(state.cmms().now()).await {
        Ok(r) => {
            let delivered = |outcome: &'static str, n: u64| {
                metrics::counter!(
                    "notification_deliveries_total", "channel" => "in_app", "outcome" => outcome
                )
                .increment(n);
            };
            delivered("delivered", r.in_app);
            delivered("muted", r.muted);
            delivered("not_visible", r.not_visible);
            metrics::gauge!("notification_queue_depth", "channel" => "in_app")
                .set(r.pending as f64);
            let age = r.oldest_pending_at.map_or(0.0, |at| {
                (state.cmms().now() - at).num_milliseconds().max(0) as f64 / 1000.0
            });
            metrics::gauge!("notification_oldest_pending_seconds", "channel" => "in_app").set(age);
            if r.in_app > 0 {
                tracing::debug!(
                    notifications = r.in_app,
                    events = r.events,
                    "delivered notifications"
                );
            }
        }
        Err(e) => {
            metrics::counter!("job_errors_total", "job" => "notify").increment(1);
            tracing::warn!(error = %e, "notification delivery failed");
        }
    }
    metrics::histogram!("job_duration_seconds", "job" => "notify")
        .record(started.elapsed().as_secs_f64());
}
