//! Meter triggers: when an interval plan is due by usage, and when a gauge crosses its limit.
//!
//! A due meter value that a reading has already reached is due at that reading's time (known).
//! One not reached yet is projected from the meter's **recent usage rate**: over the readings
//! taken in the [`RATE_WINDOW_DAYS`] days up to the latest one, rate = (last value − first value)
//! / (last time − first time); the due instant is the latest reading's time + (due value − latest
//! value) / rate. It is an estimate (`Due::estimated`); with fewer than two readings in the
//! window, or no usage, nothing can be projected and the trigger is not due.

use super::schedule::{Anchoring, MeterIntervalTrigger, MeterThresholdTrigger, Series, Service};
use chrono::{DateTime, TimeDelta, Utc};

/// How far back the usage rate looks from the latest reading.
pub const RATE_WINDOW_DAYS: i64 = 90;

/// How many due values the engine walks before it gives up.
const MAX_STEPS: u32 = 100_000;

/// The latest value at or before `t`.
pub fn value_at(series: &Series, t: DateTime<Utc>) -> Option<f64> {
    let n = series.readings.partition_point(|(at, _)| *at <= t);
    n.checked_sub(1).and_then(|i| series.readings.get(i)).map(|(_, v)| *v)
}

/// Units per second over the window before the latest reading, if there was usage.
pub fn usage_rate(series: &Series) -> Option<f64> {
    let (last_t, last_v) = *series.readings.last()?;
    let since = last_t - TimeDelta::days(RATE_WINDOW_DAYS);
    let first = series.readings.iter().find(|(t, _)| *t >= since)?;
    let seconds = (last_t - first.0).num_milliseconds() as f64 / 1000.0;
    let rate = (last_v - first.1) / seconds;
    (seconds > 0.0 && rate.is_finite() && rate > 0.0).then_some(rate)
}

/// When an accumulating meter reaches `value`: the first reading that did, or a projection.
/// Returns `(at, estimated)`.
pub fn reaches(series: &Series, value: f64) -> Option<(DateTime<Utc>, bool)> {
    let i = series.readings.partition_point(|(_, v)| *v < value);
    if let Some((t, _)) = series.readings.get(i) {
        return Some((*t, false));
    }
    let (last_t, last_v) = *series.readings.last()?;
    let seconds = (value - last_v) / usage_rate(series)?;
    if !(seconds.is_finite() && seconds < 1e11) {
        return None; // beyond any horizon worth naming
    }
    let at =
        last_t.checked_add_signed(TimeDelta::milliseconds((seconds * 1000.0).ceil() as i64))?;
    Some((at, true))
}

/// The meter value a plan last serviced at, as recorded, else the meter's value then (never
/// serviced: when the schedule started). Beyond the latest reading the value is projected;
/// before the first reading it is the first reading.
pub fn base_value(
    series: &Series,
    serviced: Option<&Service>,
    start: DateTime<Utc>,
) -> Option<f64> {
    if let Some(v) = serviced.and_then(|s| s.meter_values.get(&series.meter)) {
        return Some(*v);
    }
    let at = serviced.map_or(start, |s| s.at);
    projected(series, at).or_else(|| series.readings.first().map(|(_, v)| *v))
}

/// A meter's value at `t`: the reading then, or beyond the latest reading its projection at the
/// recent usage rate (the latest value when there is no rate).
pub fn projected(series: &Series, t: DateTime<Utc>) -> Option<f64> {
    let (last_t, last_v) = *series.readings.last()?;
    if t <= last_t {
        return value_at(series, t);
    }
    let seconds = (t - last_t).num_milliseconds() as f64 / 1000.0;
    Some(usage_rate(series).map_or(last_v, |rate| last_v + rate * seconds))
}

/// The next due of an interval trigger strictly after `after`: `(at, estimated, due value)`.
pub fn next_interval(
    m: &MeterIntervalTrigger,
    series: &Series,
    serviced: Option<&Service>,
    start: DateTime<Utc>,
    after: Option<DateTime<Utc>>,
) -> Option<(DateTime<Utc>, bool, f64)> {
    let base = base_value(series, serviced, start)?;
    let first = match m.mode {
        Anchoring::Floating => base + m.every,
        Anchoring::Fixed => ((base / m.every).floor() + 1.0) * m.every,
    };
    (0..MAX_STEPS).find_map(|j| {
        let value = first + f64::from(j) * m.every;
        let (at, estimated) = reaches(series, value)?;
        after.is_none_or(|a| at > a).then_some((at, estimated, value))
    })
}

/// The first reading strictly after `after` beyond the trigger's limits: `(at, value)`.
pub fn next_threshold(
    m: &MeterThresholdTrigger,
    series: &Series,
    after: DateTime<Utc>,
) -> Option<(DateTime<Utc>, f64)> {
    let from = series.readings.partition_point(|(t, _)| *t <= after);
    series.readings.get(from..)?.iter().copied().find(|(_, v)| {
        m.above.is_some_and(|limit| *v > limit) || m.below.is_some_and(|limit| *v < limit)
    })
}
