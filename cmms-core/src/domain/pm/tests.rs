//! The engine's table tests (the seed's cases) and property tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::compliance::{Standing, standing};
use super::*;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;

fn plan(triggers: serde_json::Value, starts_on: &str, tz: &str) -> Schedule {
    serde_json::from_value(json!({"triggers": triggers, "starts_on": starts_on, "time_zone": tz}))
        .unwrap()
}

fn cal(every: u32, unit: &str, mode: &str) -> serde_json::Value {
    json!({"kind": "calendar", "every": every, "unit": unit, "mode": mode, "time_of_day": "08:00:00"})
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn serviced(at: DateTime<Utc>) -> History {
    History {
        last_due: None,
        last_service: Some(Service { at, meter_values: Default::default() }),
        count: 1,
    }
}

fn local(due: &Due, tz: &str) -> String {
    let tz: chrono_tz::Tz = tz.parse().unwrap();
    due.at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// Repeats `next_due`, each due handled (fixed calendars).
fn dues(p: &Schedule, n: usize) -> Vec<Due> {
    let mut h = History::default();
    let mut out = Vec::new();
    for _ in 0..n {
        let Some(d) = next_due(p, &h, &[]) else { break };
        h.last_due = Some(d.at);
        h.count += 1;
        out.push(d);
    }
    out
}

#[test]
fn floating_next_due_is_last_completion_plus_the_period() {
    let done = utc(2026, 1, 31, 15);
    for (every, unit, expected) in [
        (1, "days", "2026-02-01 08:00"),
        (1, "weeks", "2026-02-07 08:00"),
        (1, "months", "2026-02-28 08:00"), // 31 January + 1 month: the last day of February
        (3, "months", "2026-04-30 08:00"),
        (1, "years", "2027-01-31 08:00"),
    ] {
        let p = plan(json!([cal(every, unit, "floating")]), "2025-01-01", "UTC");
        let due = next_due(&p, &serviced(done), &[]).unwrap();
        assert_eq!(local(&due, "UTC"), expected, "every {every} {unit}");
    }
}

#[test]
fn a_monthly_plan_done_two_months_ago_is_overdue_and_a_new_one_is_not() {
    let now = utc(2026, 6, 15, 12);
    let p = plan(json!([cal(1, "months", "floating")]), "2026-01-01", "UTC");
    let due = next_due(&p, &serviced(now - TimeDelta::days(61)), &[]).unwrap();
    assert_eq!(standing(due.at, now, 0, p.grace()).0, Standing::Overdue);
    // Never done: first due on `starts_on`, which core sets one period after creation.
    let fresh = plan(json!([cal(1, "months", "floating")]), "2026-07-15", "UTC");
    let due = next_due(&fresh, &History::default(), &[]).unwrap();
    assert_eq!(local(&due, "UTC"), "2026-07-15 08:00");
    assert_eq!(standing(due.at, now, 0, 0).0, Standing::Compliant);
}

#[test]
fn month_ends_and_leap_days_follow_the_start_and_never_drift() {
    let p = plan(json!([cal(1, "months", "fixed")]), "2026-01-31", "UTC");
    let days: Vec<String> = dues(&p, 5).iter().map(|d| local(d, "UTC")[..10].to_string()).collect();
    assert_eq!(days, ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]);
    let leap = plan(json!([cal(1, "years", "fixed")]), "2028-02-29", "UTC");
    let days: Vec<String> =
        dues(&leap, 5).iter().map(|d| local(d, "UTC")[..10].to_string()).collect();
    assert_eq!(days, ["2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]);
    let mut last = plan(json!([cal(1, "months", "fixed")]), "2026-01-15", "UTC");
    if let Trigger::Calendar(c) = &mut last.triggers[0] {
        c.day_of_month = Some(DayOfMonth::Last);
    }
    let days: Vec<String> =
        dues(&last, 3).iter().map(|d| local(d, "UTC")[..10].to_string()).collect();
    assert_eq!(days, ["2026-01-31", "2026-02-28", "2026-03-31"]);
}

#[test]
fn weekly_on_listed_weekdays() {
    let mut p = plan(json!([cal(2, "weeks", "fixed")]), "2026-12-02", "UTC"); // a Wednesday
    if let Trigger::Calendar(c) = &mut p.triggers[0] {
        c.weekdays = vec![chrono::Weekday::Mon, chrono::Weekday::Thu];
    }
    let days: Vec<String> = dues(&p, 5).iter().map(|d| local(d, "UTC")[..10].to_string()).collect();
    // Week of 30 Nov: Thursday 3 Dec (Monday is before the start); then every other week.
    assert_eq!(days, ["2026-12-03", "2026-12-14", "2026-12-17", "2026-12-28", "2026-12-31"]);
}

#[test]
fn daily_at_eight_across_both_dst_changes() {
    for (tz, spring, autumn) in [
        ("Europe/Berlin", "2026-03-27", "2026-10-23"),
        ("America/New_York", "2026-03-06", "2026-10-30"),
        ("Australia/Sydney", "2026-10-02", "2026-04-03"),
    ] {
        for start in [spring, autumn] {
            let p = plan(json!([cal(1, "days", "fixed")]), start, tz);
            for d in dues(&p, 5) {
                assert!(local(&d, tz).ends_with(" 08:00"), "{tz}: {}", local(&d, tz));
            }
        }
    }
}

#[test]
fn a_time_inside_the_dst_gap_moves_by_the_gap() {
    let mut p = plan(json!([cal(1, "days", "fixed")]), "2026-03-28", "Europe/Berlin");
    if let Trigger::Calendar(c) = &mut p.triggers[0] {
        c.time_of_day = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
    }
    let got: Vec<String> = dues(&p, 3).iter().map(|d| local(d, "Europe/Berlin")).collect();
    assert_eq!(got, ["2026-03-28 02:30", "2026-03-29 03:30", "2026-03-30 02:30"]);
}

fn hours(readings: &[(u32, f64)]) -> Series {
    Series {
        meter: "Run hours".into(),
        readings: readings.iter().map(|(d, v)| (utc(2026, 3, *d, 12), *v)).collect(),
    }
}

#[test]
fn a_250_hour_plan_is_due_when_the_meter_gets_there_or_is_projected() {
    let p = plan(
        json!([{"kind": "meter_interval", "meter": "Run hours", "every": 250.0}]),
        "2026-03-01",
        "UTC",
    );
    let meter = hours(&[(1, 1000.0), (5, 1100.0), (9, 1260.0)]);
    let due = next_due(&p, &History::default(), &[meter]).unwrap();
    assert_eq!(
        (due.at, due.estimated, due.meter_value),
        (utc(2026, 3, 9, 12), false, Some(1250.0))
    );
    // Served at 1,255 h on the 9th: next at 1,505 h, projected from 260 h in 8 days.
    let meter = hours(&[(1, 1000.0), (5, 1100.0), (9, 1260.0)]);
    let h = History {
        last_due: Some(due.at),
        last_service: Some(Service {
            at: utc(2026, 3, 9, 12),
            meter_values: [("Run hours".to_string(), 1255.0)].into(),
        }),
        count: 1,
    };
    let next = next_due(&p, &h, std::slice::from_ref(&meter)).unwrap();
    assert!(next.estimated);
    assert_eq!(next.meter_value, Some(1505.0));
    let rate_per_day = 260.0 / 8.0;
    let expected =
        utc(2026, 3, 9, 12) + TimeDelta::seconds(((245.0 / rate_per_day) * 86_400.0) as i64);
    assert!((next.at - expected).num_seconds().abs() <= 1, "{} vs {expected}", next.at);
    // Without a meter of that name nothing can be said.
    assert!(next_due(&p, &History::default(), &[]).is_none());
}

#[test]
fn whichever_first_and_all() {
    let meter = hours(&[(1, 0.0), (10, 300.0)]);
    let triggers = json!([cal(1, "months", "fixed"), {"kind": "meter_interval", "meter": "Run hours", "every": 250.0}]);
    let mut p = plan(triggers, "2026-03-01", "UTC");
    // The calendar's first slot (1 March, 08:00) was handled already.
    let h = History { last_due: Some(utc(2026, 3, 1, 8)), ..History::default() };
    let any = next_due(&p, &h, std::slice::from_ref(&meter)).unwrap();
    assert_eq!((any.trigger, any.at), (1, utc(2026, 3, 10, 12)), "the meter came first");
    p.combine = Combine::All;
    let all = next_due(&p, &h, &[meter]).unwrap();
    assert_eq!((all.trigger, all.at), (0, utc(2026, 4, 1, 8)), "both: the calendar decides");
}

#[test]
fn a_gauge_over_its_limit() {
    let p = plan(
        json!([{"kind": "meter_threshold", "meter": "Vibration", "above": 7.1}]),
        "2026-03-01",
        "UTC",
    );
    let gauge = Series {
        meter: "Vibration".into(),
        readings: vec![
            (utc(2026, 3, 2, 9), 3.0),
            (utc(2026, 3, 3, 9), 7.5),
            (utc(2026, 3, 4, 9), 8.0),
        ],
    };
    let due = next_due(&p, &History::default(), std::slice::from_ref(&gauge)).unwrap();
    assert_eq!((due.at, due.meter_value), (utc(2026, 3, 3, 9), Some(7.5)));
    let h = History { last_due: Some(due.at), ..History::default() };
    assert_eq!(next_due(&p, &h, std::slice::from_ref(&gauge)).unwrap().at, utc(2026, 3, 4, 9));
}

#[test]
fn seasons_and_ends() {
    let mut p = plan(json!([cal(1, "months", "fixed")]), "2026-01-01", "UTC");
    p.active_months = vec![4, 5, 6, 7, 8, 9];
    let months: Vec<u32> = dues(&p, 8).iter().map(|d| d.at.month()).collect();
    assert_eq!(months, [4, 5, 6, 7, 8, 9, 4, 5]);
    p.active_months.clear();
    p.ends = Some(End::After(3));
    assert_eq!(dues(&p, 10).len(), 3);
    p.ends = Some(End::On(NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()));
    assert_eq!(dues(&p, 10).len(), 5);
}

#[test]
fn bad_schedules_are_named_by_field() {
    let p = plan(
        json!([{"kind": "calendar", "every": 0, "unit": "days", "weekdays": ["Mon"]}]),
        "2026-01-01",
        "Mars/Base",
    );
    let fields: Vec<String> =
        p.validate().unwrap_err().field_errors().iter().map(|e| e.field.clone()).collect();
    assert_eq!(fields, ["time_zone", "triggers[0].every", "triggers[0].weekdays"]);
    let no_start =
        Schedule { starts_on: None, ..plan(json!([cal(1, "days", "fixed")]), "2026-01-01", "UTC") };
    assert_eq!(no_start.validate().unwrap_err().field_errors()[0].field, "starts_on");
}

// ---- properties ----

const ZONES: &[&str] = &["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"];
const UNITS: &[&str] = &["days", "weeks", "months", "years"];

prop_compose! {
    fn schedules()(zone in 0..ZONES.len(), unit in 0..UNITS.len(), every in 1u32..5,
                   floating in any::<bool>(), day in 0u32..3000, hour in 0u32..24, minute in 0u32..60)
                   -> Schedule {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(u64::from(day));
        let mut p = plan(json!([cal(every, UNITS[unit], if floating { "floating" } else { "fixed" })]),
                         &start.to_string(), ZONES[zone]);
        if let Trigger::Calendar(c) = &mut p.triggers[0] {
            c.time_of_day = NaiveTime::from_hms_opt(hour, minute, 0).unwrap();
        }
        p
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn next_due_is_strictly_after_the_previous(p in schedules(), late in 0i64..400) {
        let mut h = History::default();
        let mut prev: Option<DateTime<Utc>> = None;
        for _ in 0..20 {
            let d = next_due(&p, &h, &[]).unwrap();
            prop_assert!(prev.is_none_or(|x| d.at > x));
            prev = Some(d.at);
            h.last_due = Some(d.at);
            h.last_service = Some(Service { at: d.at + TimeDelta::hours(late), ..Service::default() });
        }
    }

    #[test]
    fn fixed_plans_do_not_drift_over_ten_years(p in schedules(), dom in 1u8..32) {
        let mut p = p;
        let Trigger::Calendar(c) = &mut p.triggers[0] else { unreachable!() };
        c.mode = Anchoring::Fixed;
        c.unit = CalendarUnit::Months;
        c.day_of_month = Some(DayOfMonth::Day(dom));
        let (every, time) = (c.every, c.time_of_day);
        let tz = p.tz();
        let all = forecast(&p, &History::default(), &[], local_instant_utc(&p), 3653);
        prop_assert!(all.len() as u32 >= 120 / every - 1);
        let first = all[0].at.with_timezone(&tz);
        let base = first.year() * 12 + first.month0() as i32;
        let start = p.starts_on.unwrap().year() * 12 + p.starts_on.unwrap().month0() as i32;
        prop_assert!(base == start || base == start + every as i32);
        for (k, d) in all.iter().enumerate() {
            let l = d.at.with_timezone(&tz);
            let months = base + (k as i32) * every as i32;
            prop_assert_eq!((l.year(), l.month0() as i32), (months.div_euclid(12), months.rem_euclid(12)));
            let end = last_day(l.year(), l.month());
            prop_assert_eq!(l.day(), u32::from(dom).min(end));
            // The local time is kept unless that day's DST gap swallowed it.
            prop_assert!(l.time() == time || l.time() > time && l.time() - time <= TimeDelta::hours(1));
        }
    }

    #[test]
    fn floating_plans_restart_from_completion(p in schedules(), after_days in 0i64..100, hour in 0i64..24) {
        let mut p = p;
        let Trigger::Calendar(c) = &mut p.triggers[0] else { unreachable!() };
        c.mode = Anchoring::Floating;
        let first = next_due(&p, &History::default(), &[]).unwrap();
        let done = first.at + TimeDelta::days(after_days) + TimeDelta::hours(hour);
        let h = History { last_due: Some(first.at), ..serviced(done) };
        let next = next_due(&p, &h, &[]).unwrap();
        let tz = p.tz();
        let c = match &p.triggers[0] { Trigger::Calendar(c) => c.clone(), _ => unreachable!() };
        let base = done.with_timezone(&tz).date_naive();
        let expected = match c.unit {
            CalendarUnit::Days => base + chrono::Days::new(u64::from(c.every)),
            CalendarUnit::Weeks => base + chrono::Days::new(u64::from(c.every) * 7),
            CalendarUnit::Months => base.checked_add_months(chrono::Months::new(c.every)).unwrap(),
            CalendarUnit::Years => base.checked_add_months(chrono::Months::new(c.every * 12)).unwrap(),
        };
        prop_assert_eq!(next.at.with_timezone(&tz).date_naive(), expected);
    }

    #[test]
    fn local_time_survives_dst(zone in 0..3usize, day in 0u32..365, hour in 4u32..23, minute in 0u32..60) {
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(day));
        let mut p = plan(json!([cal(1, "days", "fixed")]), &start.to_string(), ZONES[zone]);
        let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap();
        if let Trigger::Calendar(c) = &mut p.triggers[0] { c.time_of_day = time; }
        let tz = p.tz();
        for d in dues(&p, 400) {
            prop_assert_eq!(d.at.with_timezone(&tz).time(), time);
        }
    }

    #[test]
    fn whichever_first_picks_the_earlier(a in schedules(), b in schedules()) {
        let mut both = a.clone();
        both.triggers.push(b.triggers[0].clone());
        both.starts_on = a.starts_on;
        let mut b_alone = a.clone();
        b_alone.triggers = b.triggers.clone();
        let h = History::default();
        let (x, y) = (next_due(&a, &h, &[]).unwrap(), next_due(&b_alone, &h, &[]).unwrap());
        prop_assert_eq!(next_due(&both, &h, &[]).unwrap().at, x.at.min(y.at));
    }

    #[test]
    fn forecasts_equal_repeated_next_due(p in schedules(), days in 1u32..800) {
        let from = local_instant_utc(&p);
        let f = forecast(&p, &History::default(), &[], from, days);
        let mut h = History::default();
        let mut repeated = Vec::new();
        while let Some(d) = next_due(&p, &h, &[]) {
            if d.at > from + TimeDelta::days(i64::from(days)) { break; }
            h.last_due = Some(d.at);
            h.count += 1;
            h.last_service = Some(Service { at: d.at, ..Service::default() });
            repeated.push(d);
        }
        prop_assert_eq!(f, repeated);
    }
}

fn local_instant_utc(p: &Schedule) -> DateTime<Utc> {
    calendar::local_instant(p.tz(), p.starts_on.unwrap(), NaiveTime::MIN).unwrap()
}

fn last_day(y: i32, m: u32) -> u32 {
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.unwrap().pred_opt().unwrap().day()
}
