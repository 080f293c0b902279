//! Exponential backoff with jitter, shared by every delivery channel that retries (mail,
//! webhooks), so they back off the same way.

use chrono::TimeDelta;

/// The wait after `attempts` failed attempts: `base * 2^(attempts-1)`, capped at `max`, then
/// scaled by `jitter` in `[0.5, 1.0]` so many failures at once do not retry at once.
///
/// ```
/// use chrono::TimeDelta;
/// use cmms_core::domain::retry::backoff;
/// let (base, max) = (TimeDelta::seconds(30), TimeDelta::hours(1));
/// assert_eq!(backoff(base, max, 2, 1.0), TimeDelta::seconds(60));
/// assert_eq!(backoff(base, max, 2, 0.0), TimeDelta::seconds(30));
/// assert_eq!(backoff(base, max, 40, 1.0), TimeDelta::hours(1));
/// ```
pub fn backoff(base: TimeDelta, max: TimeDelta, attempts: i64, jitter: f64) -> TimeDelta {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let base = base.num_milliseconds().max(1);
    let raw = base.saturating_mul(1_i64 << doublings);
    let capped = raw.min(max.num_milliseconds().max(1));
    let factor = 0.5 + jitter.clamp(0.0, 1.0) / 2.0;
    TimeDelta::milliseconds((capped as f64 * factor) as i64)
}
