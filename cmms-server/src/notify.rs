//! The notification consumer inside `serve`, on every replica (the loop is
//! [`crate::consumer::run`]). Replicas may run it at once: core's cursor is written with its
//! version and leased (`Cmms::deliver_notifications`).

use crate::state::AppState;
use cmms_core::OrgId;
use cmms_core::service::DeliveryReport;
use std::time::Instant;

/// Runs the consumer until the server stops.
pub(crate) async fn run(state: AppState) {
    crate::consumer::run(state, "notification consumer", |s, orgs| async move {
        deliver_once(&s, orgs).await;
    })
    .await;
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
