//! Webhook delivery inside `serve`, on every replica: the outbox consumer loop
//! ([`crate::consumer::run`]) runs `Cmms::deliver_webhooks` through the server's HTTP sender
//! (the `cmms-webhooks` crate: timeouts, response cap, no redirects, private addresses refused
//! unless `CMMS_WEBHOOKS_ALLOW_PRIVATE`). Replicas may run it at once: core claims each
//! subscription with a versioned, leased update.

use crate::state::AppState;
use cmms_core::OrgId;
use cmms_core::service::WebhookReport;
use std::time::Instant;

/// Runs webhook delivery until the server stops.
pub(crate) async fn run(state: AppState) {
    crate::consumer::run(state, "webhook delivery", |s, orgs| async move {
        deliver_once(&s, orgs).await;
    })
    .await;
}

/// Delivers for one organization soon (after a replay), without holding up the answer.
pub(crate) fn deliver_soon(state: &AppState, org: OrgId) {
    let state = state.clone();
    tokio::spawn(async move { deliver_once(&state, Some(vec![org])).await });
}

/// One run (over `orgs`, or every organization), with its metrics.
pub(crate) async fn deliver_once(state: &AppState, orgs: Option<Vec<OrgId>>) {
    let started = Instant::now();
    metrics::counter!("job_runs_total", "job" => "webhooks").increment(1);
    let cmms = state.cmms();
    let sender = state.webhook_sender();
    let now = cmms.now();
    let result = match &orgs {
        None => cmms.deliver_webhooks(now, sender.as_ref()).await,
        Some(orgs) => cmms.deliver_webhooks_for(orgs, now, sender.as_ref()).await,
    };
    match result {
        Ok(r) => record(&r),
        Err(e) => {
            metrics::counter!("job_errors_total", "job" => "webhooks").increment(1);
            tracing::warn!(error = %e, "webhook delivery failed");
        }
    }
    // The queue gauges only from runs over every organization (a run over some of them does
    // not see the others' queues).
    if orgs.is_none() {
        match cmms.webhook_queue().await {
            Ok(q) => {
                metrics::gauge!("delivery_queue_depth", "channel" => "webhook")
                    .set(q.pending as f64);
                let age = q.oldest_age(cmms.now()).num_milliseconds().max(0) as f64 / 1000.0;
                metrics::gauge!("delivery_oldest_pending_seconds", "channel" => "webhook").set(age);
            }
            Err(e) => tracing::warn!(error = %e, "webhook queue not measured"),
        }
    }
    metrics::histogram!("job_duration_seconds", "job" => "webhooks")
        .record(started.elapsed().as_secs_f64());
}

fn record(r: &WebhookReport) {
    for (outcome, n) in [
        ("delivered", r.delivered),
        ("failed", r.failed),
        ("disabled", r.disabled),
        ("skipped", r.skipped),
        ("raced", r.raced),
    ] {
        metrics::counter!("deliveries_total", "channel" => "webhook", "outcome" => outcome)
            .increment(n);
    }
    if r.delivered + r.failed > 0 {
        tracing::debug!(delivered = r.delivered, failed = r.failed, "delivered webhooks");
    }
}
