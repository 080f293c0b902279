//! Where "now" comes from. Use cases read the time from a `Clock` so tests (and replays) can
//! control it; the system clock truncates to microseconds because both stores keep microseconds.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::sync::Mutex;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time, at microsecond precision.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate_micros(Utc::now())
    }
}

/// A clock that only moves when told to; for tests and simulations.
///
/// ```
/// use cmms_core::{Clock, ManualClock};
/// use chrono::{TimeDelta, TimeZone, Utc};
/// let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap());
/// clock.advance(TimeDelta::days(3));
/// assert_eq!(clock.now(), Utc.with_ymd_and_hms(2026, 1, 4, 8, 0, 0).unwrap());
/// ```
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(truncate_micros(at)))
    }

    /// Sets the time.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut now) = self.0.lock() {
            *now = truncate_micros(at);
        }
    }

    /// Moves the time forward (or back, with a negative delta); saturates at the ends of the
    /// representable range.
    pub fn advance(&self, by: TimeDelta) {
        if let Ok(mut now) = self.0.lock() {
            let limit = if by < TimeDelta::zero() {
                DateTime::<Utc>::MIN_UTC
            } else {
                DateTime::<Utc>::MAX_UTC
            };
            *now = now.checked_add_signed(by).unwrap_or(limit);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(now) => *now,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

/// Drops sub-microsecond precision, which no store keeps.
pub fn truncate_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}
