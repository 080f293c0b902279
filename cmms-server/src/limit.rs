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

/// Most keys kept (about 10 MB). Past it, idle buckets go first, then the least recently used
/// half, so memory stays bounded however many addresses a client rotates through; each
/// eviction frees room for many inserts, so its cost is spread thin.
const MAX_KEYS: usize = 100_000;

fn evict(buckets: &mut HashMap<String, Bucket>, now: Instant) {
    buckets.retain(|_, b| now.duration_since(b.last) < IDLE);
    if buckets.len() >= MAX_KEYS / 2 {
        let mut lasts: Vec<Instant> = buckets.values().map(|b| b.last).collect();
        let mid = lasts.len() / 2;
        let (_, median, _) = lasts.select_nth_unstable(mid);
        let cutoff = *median;
        buckets.retain(|_, b| b.last > cutoff);
    }
}

/// The key of a client address: IPv4 addresses alone, IPv6 addresses by their /64 (one
/// subscriber usually holds a whole /64).
pub fn ip_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl Limiter {
    /// `per_second` refill with bursts up to `burst`.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second: per_second.max(0.001), burst: burst.max(1.0), buckets: Mutex::default() }
    }

    /// Whether `key` is out of tokens now (without taking one): `Some(seconds)` to wait.
    pub fn blocked(&self, key: &str) -> Option<u64> {
        let now = Instant::now();
        let buckets = self.buckets.lock().ok()?;
        let b = buckets.get(key)?;
        let tokens =
            (b.tokens + now.duration_since(b.last).as_secs_f64() * self.per_second).min(self.burst);
        (tokens < 1.0).then(|| {
            let wait = ((1.0 - tokens) / self.per_second).ceil();
            if wait.is_finite() && wait >= 1.0 { wait as u64 } else { 1 }
        })
    }

    /// Takes one token for `key`; `Err(seconds)` says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            evict(&mut buckets, now);
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

    #[test]
    fn memory_stays_bounded() {
        let l = Limiter::new(1.0, 1.0);
        for i in 0..(MAX_KEYS * 2) {
            let _ = l.check(&i.to_string());
        }
        let kept = l.buckets.lock().map(|b| b.len()).unwrap_or(usize::MAX);
        assert!(kept <= MAX_KEYS, "{kept}");
        // The most recent clients are still limited.
        assert!(l.check(&(MAX_KEYS * 2 - 1).to_string()).is_err());
    }

    #[test]
    fn ipv6_groups_by_64() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        assert_eq!(ip_key("10.0.0.1".parse().unwrap()), "10.0.0.1");
    }
}
