//! The notification consumer inside `serve`, on every replica: every `job_interval` for every
//! organization, and promptly after commits for the organizations they touched (it wakes on the
//! store's broadcast), in its own task so no request ever waits for it. Replicas may run it at
//! once: core's cursor is written with its version and leased (`Cmms::deliver_notifications`).

use crate::state::AppState;
use cmms_core::OrgId;
use cmms_core::service::DeliveryReport;
use std::time::Instant;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// Runs the consumer until the server stops.
pub(crate) async fn run(state: AppState) {
    let mut tick = crate::jobs::ticker(&state);
    let mut commits = state.cmms().store().subscribe();
    let stopping = state.stopping();
    tokio::pin!(stopping);
    loop {
        // `None`: every organization; else the ones recent commits touched.
        let orgs: Option<Vec<OrgId>> = tokio::select! {
            () = &mut stopping => break,
            _ = tick.tick() => None,
            r = commits.recv() => match r {
                Ok(batch) => {
                    // Commits that arrived meanwhile are served by the same run.
                    let mut orgs = vec![batch.org_id];
                    loop {
                        match commits.try_recv() {
                            Ok(b) if !orgs.contains(&b.org_id) => orgs.push(b.org_id),
                            Ok(_) => {}
                            Err(TryRecvError::Lagged(_)) => break None,
                            Err(_) => break Some(orgs),
                        }
                    }
                }
                // Missed some: look at every organization.
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => {
                    // No more live commits: the tick alone drives it from now on.
                    commits = state.cmms().store().subscribe();
                    tick.tick().await;
                    None
                }
            },
        };
        deliver_once(&state, orgs).await;
    }
    tracing::debug!("notification consumer stopped");
}

/// One run (over `orgs`, or every organization), with its metrics.
pub(crate) async fn deliver_once(state: &AppState, orgs: Option<Vec<OrgId>>) {
    let started = Instant::now();
    metrics::counter!("job_runs_total", "job" => "notify").increment(1);
    let cmms = state.cmms();
    let now = cmms.now();
    let result = match &orgs {
        None => cmms.deliver_notifications(now).await,
        Some(orgs) => cmms.deliver_notifications_for(orgs, now).await,
    };
    match result {
        Ok(r) => record(state, &r, orgs.is_none()),
        Err(e) => {
            metrics::counter!("job_errors_total", "job" => "notify").increment(1);
            tracing::warn!(error = %e, "notification delivery failed");
        }
    }
    metrics::histogram!("job_duration_seconds", "job" => "notify")
        .record(started.elapsed().as_secs_f64());
}

/// Exports a run's counts; the queue gauges only from runs over every organization (a run
/// over some of them does not see the others' queues).
fn record(state: &AppState, r: &DeliveryReport, everywhere: bool) {
    let delivered = |outcome: &'static str, n: u64| {
        metrics::counter!("deliveries_total", "channel" => "in_app", "outcome" => outcome)
            .increment(n);
    };
    delivered("delivered", r.in_app);
    delivered("muted", r.muted);
    delivered("not_visible", r.not_visible);
    if everywhere {
        metrics::gauge!("delivery_queue_depth", "channel" => "in_app").set(r.pending as f64);
        let age = r
            .oldest_pending_at
            .map_or(0.0, |at| (state.cmms().now() - at).num_milliseconds().max(0) as f64 / 1000.0);
        metrics::gauge!("delivery_oldest_pending_seconds", "channel" => "in_app").set(age);
    }
    if r.in_app > 0 {
        tracing::debug!(notifications = r.in_app, events = r.events, "delivered notifications");
    }
}
