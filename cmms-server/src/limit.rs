//! Token-bucket rate limits kept in memory: per client IP for logins, per token for every
//! authenticated request. Buckets idle for a while are dropped, so memory stays bounded by
//! the number of active clients.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A family of buckets with the same rate and burst.
#[derive(Debug)]
pub struct Limiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Buckets unused this long are forgotten (a full bucket is the same as none).
const IDLE: Duration = Duration::from_secs(300);

impl Limiter {
    /// `per_second` refill with bursts up to `burst`.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second: per_second.max(0.001), burst: burst.max(1.0), buckets: Mutex::default() }
    }

    /// Takes one token for `key`; `Err(seconds)` says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| now.duration_since(b.last) < IDLE);
        }
        let b = buckets.entry(key.to_string()).or_insert(Bucket { tokens: self.burst, last: now });
        let refill = now.duration_since(b.last).as_secs_f64() * self.per_second;
        b.tokens = (b.tokens + refill).min(self.burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - b.tokens) / self.per_second).ceil();
            Err(if wait.is_finite() && wait >= 1.0 { wait as u64 } else { 1 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses_then_refills() {
        let l = Limiter::new(1000.0, 3.0);
        assert!((0..3).all(|_| l.check("a").is_ok()));
        assert!(l.check("a").is_err());
        assert!(l.check("b").is_ok(), "keys are independent");
        std::thread::sleep(Duration::from_millis(5));
        assert!(l.check("a").is_ok());
    }
}
