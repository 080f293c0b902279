//! Timing helpers for the benches that report percentiles (criterion reports means and
//! confidence intervals, not p99): run an operation repeatedly within a time budget and
//! summarize the latencies.

use std::time::{Duration, Instant};

/// Latency summary of one measured operation.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Runs measured.
    pub runs: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile (the maximum when there are fewer than 100 runs).
    pub p99: Duration,
}

impl Summary {
    /// From a list of latencies (sorted here).
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let at = |q: f64| {
            let i = ((samples.len() as f64 * q).ceil() as usize).saturating_sub(1);
            samples.get(i.min(samples.len().saturating_sub(1))).copied().unwrap_or_default()
        };
        Self { runs: samples.len(), p50: at(0.50), p99: at(0.99) }
    }
}

/// Formats a duration in ms with 3 significant-ish decimals.
pub fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1e3;
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Runs `op` after `warmup` unmeasured runs, then measures until `max_runs` runs or `budget`
/// elapsed, whichever first (at least `min_runs`).
pub async fn measure<F, Fut>(
    warmup: usize,
    min_runs: usize,
    max_runs: usize,
    budget: Duration,
    mut op: F,
) -> Summary
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..warmup {
        op().await;
    }
    let started = Instant::now();
    let mut samples = Vec::with_capacity(max_runs);
    while samples.len() < max_runs && (samples.len() < min_runs || started.elapsed() < budget) {
        let t = Instant::now();
        op().await;
        samples.push(t.elapsed());
    }
    Summary::of(samples)
}
