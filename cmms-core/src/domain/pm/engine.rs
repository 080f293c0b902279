//! The schedule engine: when a plan is next due on an asset, and the forecast, which is the same
//! function run forward. Pure: no I/O and no clock (`now` is never read here), so the same code
//! serves generation, forecasts, the iCalendar feed and what-if schedules in a notebook.

use super::calendar::{self, local_date, local_instant};
use super::metered::{self, projected};
use super::schedule::{Combine, Due, End, History, Schedule, Series, Service, Trigger};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, SecondsFormat, TimeDelta, Utc};

/// The most dues a forecast returns.
pub const MAX_FORECAST: usize = 5_000;

/// When `schedule` is next due on one asset, strictly after `history.last_due`, given what
/// happened (`history`) and the asset's meters (`meters`, by name). `None`: never again (the
/// schedule ended, or its meters cannot say).
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use cmms_core::domain::pm::{next_due, History, Schedule};
/// let plan: Schedule = serde_json::from_value(serde_json::json!({
///     "triggers": [{"kind": "calendar", "every": 1, "unit": "days", "time_of_day": "08:00:00"}],
///     "starts_on": "2026-03-27",
///     "time_zone": "Europe/Berlin",
/// })).unwrap();
/// let mut history = History::default();
/// let mut local_hours = Vec::new();
/// for _ in 0..4 {
///     let due = next_due(&plan, &history, &[]).unwrap();
///     local_hours.push(due.at.with_timezone(&chrono_tz::Europe::Berlin).format("%d %H:%M").to_string());
///     history.last_due = Some(due.at);
/// }
/// // Clocks go forward on the 29th; the work stays at 08:00 local.
/// assert_eq!(local_hours, ["27 08:00", "28 08:00", "29 08:00", "30 08:00"]);
/// ```
pub fn next_due(schedule: &Schedule, history: &History, meters: &[Series]) -> Option<Due> {
    if let Some(End::After(n)) = schedule.ends {
        if history.count >= n {
            return None;
        }
    }
    let tz = schedule.tz();
    let starts_on = schedule.starts_on?;
    let start = local_instant(tz, starts_on, NaiveTime::MIN)?;
    let serviced = history.last_service.as_ref();
    let series = |name: &str| meters.iter().find(|s| s.meter == name);
    let in_season = |d: NaiveDate| schedule.in_season(d.month());
    let dues = schedule.triggers.iter().enumerate().map(|(i, t)| {
        let due = match t {
            Trigger::Calendar(c) => {
                let at = calendar::next(
                    c,
                    tz,
                    starts_on,
                    serviced.map(|s| s.at),
                    history.last_due,
                    in_season,
                )?;
                Due {
                    at,
                    slot: format!("calendar:{}", rfc3339(at)),
                    estimated: false,
                    trigger: i,
                    meter_value: None,
                }
            }
            Trigger::MeterInterval(m) => {
                let (at, estimated, value) = metered::next_interval(
                    m,
                    series(&m.meter)?,
                    serviced,
                    start,
                    history.last_due,
                )?;
                let slot = format!("meter:{}:{value}", m.meter);
                Due { at, slot, estimated, trigger: i, meter_value: Some(value) }
            }
            Trigger::MeterThreshold(m) => {
                let after = [history.last_due, serviced.map(|s| s.at), Some(start)]
                    .into_iter()
                    .flatten()
                    .max()
                    .unwrap_or(start);
                let (at, value) = metered::next_threshold(m, series(&m.meter)?, after)?;
                let slot = format!("threshold:{}:{}", m.meter, rfc3339(at));
                Due { at, slot, estimated: false, trigger: i, meter_value: Some(value) }
            }
        };
        Some(into_season(schedule, due))
    });
    let due = match schedule.combine {
        Combine::Any => dues.flatten().min_by_key(|d| d.at),
        // Every trigger must be due; the last one to come decides (ties: the first listed).
        Combine::All => dues.collect::<Option<Vec<_>>>()?.into_iter().rev().max_by_key(|d| d.at),
    }?;
    match schedule.ends {
        Some(End::On(last)) if local_date(tz, due.at) > last => None,
        _ => Some(due),
    }
}

/// Meter dues that fall outside the season wait for its first day (00:00 local); calendar
/// triggers skip out-of-season slots themselves.
fn into_season(schedule: &Schedule, mut due: Due) -> Due {
    let tz = schedule.tz();
    let date = local_date(tz, due.at);
    if schedule.in_season(date.month()) {
        return due;
    }
    let mut first = NaiveDate::from_ymd_opt(date.year(), date.month(), 1);
    for _ in 0..12 {
        first = first.and_then(|d| d.checked_add_months(chrono::Months::new(1)));
        if let Some(d) = first.filter(|d| schedule.in_season(d.month())) {
            if let Some(at) = local_instant(tz, d, NaiveTime::MIN) {
                due.at = at;
            }
            break;
        }
    }
    due
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The dues of `schedule` on one asset from `from` for `days` days: [`next_due`] run forward,
/// assuming each due is served on time (at its due instant, at its meter value). Meter dues
/// beyond the latest reading are estimates. At most [`MAX_FORECAST`] entries.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use cmms_core::domain::pm::{forecast, History, Schedule};
/// let plan: Schedule = serde_json::from_value(serde_json::json!({
///     "triggers": [{"kind": "calendar", "every": 3, "unit": "months", "day_of_month": "last"}],
///     "starts_on": "2026-01-31",
///     "time_zone": "UTC",
/// })).unwrap();
/// let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let dues = forecast(&plan, &History::default(), &[], from, 365);
/// let days: Vec<String> = dues.iter().map(|d| d.at.format("%m-%d").to_string()).collect();
/// assert_eq!(days, ["01-31", "04-30", "07-31", "10-31"]);
/// ```
pub fn forecast(
    schedule: &Schedule,
    history: &History,
    meters: &[Series],
    from: DateTime<Utc>,
    days: u32,
) -> Vec<Due> {
    let until = from.checked_add_signed(TimeDelta::days(i64::from(days))).unwrap_or(from);
    let mut history = history.clone();
    let mut out = Vec::new();
    while out.len() < MAX_FORECAST {
        let Some(due) = next_due(schedule, &history, meters) else { break };
        if due.at > until {
            break;
        }
        history.last_due = Some(due.at);
        history.count = history.count.saturating_add(1);
        history.last_service = Some(served_at(schedule, &due, meters));
        if due.at >= from {
            out.push(due);
        }
    }
    out
}

/// The service a forecast assumes for a due: done at the due instant, each meter at its
/// projected value then.
fn served_at(schedule: &Schedule, due: &Due, meters: &[Series]) -> Service {
    let decided = schedule.triggers.get(due.trigger).and_then(|t| match t {
        Trigger::MeterInterval(m) => Some(m.meter.as_str()),
        _ => None,
    });
    let meter_values = meters
        .iter()
        .filter_map(|s| {
            let value = match (decided, due.meter_value) {
                (Some(name), Some(v)) if name == s.meter => Some(v),
                _ => projected(s, due.at),
            };
            Some((s.meter.clone(), value?))
        })
        .collect();
    Service { at: due.at, meter_values }
}
