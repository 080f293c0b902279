//! Calendar triggers in civil time: due dates are local dates and a local time of day in the
//! site's zone, so a daily 08:00 plan stays at 08:00 across DST changes. Rules for dates that
//! do not exist: the 31st (or 29 February) in a shorter month or year is that month's last day,
//! computed from the start each time, so fixed schedules never drift; a local time skipped by a
//! DST change is read with the offset before the gap (02:30 becomes 03:30), and a repeated one
//! is its first occurrence, as RFC 5545 §3.3.5 prescribes.
//!
//! Why not the `rrule` crate: it was considered for calendar expansion and not used. It expands
//! RRULEs, but a PM schedule is more than one: floating schedules restart from the last
//! completion, meter triggers and seasons combine with the calendar, and `rrule` does not place
//! nonexistent local times the way RFC 5545 prescribes. The civil-time arithmetic needed here
//! is about 150 lines on `chrono-tz`, which the engine's property tests cover (no drift of fixed
//! plans over ten years, local time kept across DST in three hemispheres' zones).

use super::schedule::{Anchoring, CalendarTrigger, CalendarUnit, DayOfMonth};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// How many slots the engine walks before it gives up (a season of one month on a daily plan
/// needs about 335).
const MAX_STEPS: u32 = 20_000;

/// The instant of a local date and time in `tz` (see the module docs for DST rules).
///
/// ```
/// use chrono::{NaiveDate, NaiveTime};
/// use cmms_core::domain::pm::calendar::local_instant;
/// let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
/// let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(); // clocks go 02:00 -> 03:00
/// let at = local_instant(berlin, day, NaiveTime::from_hms_opt(2, 30, 0).unwrap()).unwrap();
/// assert_eq!(at.to_rfc3339(), "2026-03-29T01:30:00+00:00"); // 03:30 CEST
/// ```
pub fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return Some(t.with_timezone(&Utc));
    }
    // In a gap: use the offset in force before it (gaps are at most a few hours).
    let before = local.checked_sub_signed(chrono::TimeDelta::hours(6))?;
    let offset = tz.from_local_datetime(&before).earliest()?.offset().fix();
    local
        .checked_sub_signed(chrono::TimeDelta::seconds(i64::from(offset.local_minus_utc())))
        .map(|naive| naive.and_utc())
}

/// The local date of an instant in `tz`.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// `base` moved by `k` steps of the trigger (floating arithmetic: month ends clamp).
fn add_steps(c: &CalendarTrigger, base: NaiveDate, k: u32) -> Option<NaiveDate> {
    let n = c.every.checked_mul(k)?;
    match c.unit {
        CalendarUnit::Days => base.checked_add_days(Days::new(u64::from(n))),
        CalendarUnit::Weeks => base.checked_add_days(Days::new(u64::from(n) * 7)),
        CalendarUnit::Months => base.checked_add_months(Months::new(n)),
        CalendarUnit::Years => base.checked_add_months(Months::new(n.checked_mul(12)?)),
    }
}

/// The last day of a month.
fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    first_next.pred_opt()
}

fn weekdays(c: &CalendarTrigger, start: NaiveDate) -> Vec<u32> {
    let mut days: Vec<u32> = c.weekdays.iter().map(|d| d.num_days_from_monday()).collect();
    if days.is_empty() {
        days.push(start.weekday().num_days_from_monday());
    }
    days.sort_unstable();
    days.dedup();
    days
}

/// The `k`-th fixed slot's date (it may fall before `start` for weekday lists; callers skip it).
fn fixed_slot(c: &CalendarTrigger, start: NaiveDate, days: &[u32], k: u32) -> Option<NaiveDate> {
    match c.unit {
        CalendarUnit::Days => add_steps(c, start, k),
        CalendarUnit::Weeks => {
            let per = u32::try_from(days.len()).ok()?.max(1);
            let monday = start - Days::new(u64::from(start.weekday().num_days_from_monday()));
            let week = add_steps(c, monday, k / per)?;
            week.checked_add_days(Days::new(u64::from(*days.get((k % per) as usize)?)))
        }
        CalendarUnit::Months | CalendarUnit::Years => {
            let step = if c.unit == CalendarUnit::Years { 12 } else { 1 };
            let months = i64::from(start.month0()) + i64::from(k) * i64::from(c.every) * step;
            let year = start.year() + i32::try_from(months.div_euclid(12)).ok()?;
            let month = u32::try_from(months.rem_euclid(12)).ok()? + 1;
            let last = month_end(year, month)?;
            let day = match c.day_of_month {
                Some(DayOfMonth::Last) => last.day(),
                Some(DayOfMonth::Day(d)) => u32::from(d).min(last.day()),
                None => start.day().min(last.day()),
            };
            NaiveDate::from_ymd_opt(year, month, day)
        }
    }
}

/// A slot index a little before `target`, so the walk to the next slot is short.
fn index_near(c: &CalendarTrigger, start: NaiveDate, per_week: u32, target: NaiveDate) -> u32 {
    if target <= start {
        return 0;
    }
    let days = (target - start).num_days();
    let months = i64::from(target.year() - start.year()) * 12 + i64::from(target.month0())
        - i64::from(start.month0());
    let every = i64::from(c.every.max(1));
    let k = match c.unit {
        CalendarUnit::Days => days / every,
        CalendarUnit::Weeks => days / (7 * every) * i64::from(per_week),
        CalendarUnit::Months => months / every,
        CalendarUnit::Years => months / (12 * every),
    };
    u32::try_from((k - 1).max(0)).unwrap_or(u32::MAX / 2)
}

/// The next due instant of a calendar trigger strictly after `after`, in season (`ok` says
/// whether a local date may be due), counting from `start` (fixed) or from `serviced`
/// (floating; `start` when never serviced).
pub fn next(
    c: &CalendarTrigger,
    tz: Tz,
    start: NaiveDate,
    serviced: Option<DateTime<Utc>>,
    after: Option<DateTime<Utc>>,
    ok: impl Fn(NaiveDate) -> bool,
) -> Option<DateTime<Utc>> {
    let is_next = |date: NaiveDate| -> Option<DateTime<Utc>> {
        let at = local_instant(tz, date, c.time_of_day)?;
        (after.is_none_or(|a| at > a) && ok(date)).then_some(at)
    };
    match c.mode {
        Anchoring::Fixed => {
            let days = weekdays(c, start);
            let per = u32::try_from(days.len()).unwrap_or(1);
            let k0 = after.map_or(0, |a| index_near(c, start, per, local_date(tz, a)));
            (k0..k0.saturating_add(MAX_STEPS))
                .filter_map(|k| fixed_slot(c, start, &days, k))
                .filter(|d| *d >= start)
                .find_map(is_next)
        }
        Anchoring::Floating => {
            let (base, first) = match serviced {
                Some(s) => (local_date(tz, s), 1),
                None => (start, 0),
            };
            let days: Vec<u32> = c.weekdays.iter().map(|d| d.num_days_from_monday()).collect();
            (first..MAX_STEPS).filter_map(|k| add_steps(c, base, k)).find_map(|date| {
                // With weekdays, a floating due date moves on to the next listed weekday.
                let shift = (0..7u32)
                    .find(|s| {
                        days.is_empty()
                            || days.contains(&((date.weekday().num_days_from_monday() + s) % 7))
                    })
                    .unwrap_or(0);
                is_next(date.checked_add_days(Days::new(u64::from(shift)))?)
            })
        }
    }
}
