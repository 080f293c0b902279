//! What a PM plan's schedule is made of: triggers, how they combine, the season, the end, and the
//! plain data the engine reads (history and meter series). Serializable as the plan stores it.

use crate::error::{CmmsError, FieldError, Result};
use crate::macros::string_enum;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

string_enum! {
    /// The step of a calendar trigger.
    CalendarUnit, field = "unit" {
        /// Every N days.
        Days => "days",
        /// Every N weeks (optionally on listed weekdays).
        Weeks => "weeks",
        /// Every N months (optionally on a day of the month).
        Months => "months",
        /// Every N years.
        Years => "years",
    }
}

string_enum! {
    /// Where the next due date counts from.
    Anchoring, field = "mode" {
        /// From the schedule's start, whatever happened: due dates never drift.
        Fixed => "fixed",
        /// From the last completion: a late service moves every later due date.
        Floating => "floating",
    }
}

string_enum! {
    /// How several triggers combine.
    Combine, field = "combine" {
        /// Due when the first trigger is due (whichever comes first; the default).
        Any => "any",
        /// Due when every trigger is due (the last one decides).
        All => "all",
    }
}

/// The day of the month a monthly or yearly trigger falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DayOfMonth {
    /// This day (1–31); in a shorter month, that month's last day.
    Day(u8),
    /// The last day of the month.
    Last,
}

/// A calendar trigger: every `every` `unit`s at `time_of_day` in the site's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CalendarTrigger {
    /// How many units between due dates (≥ 1).
    pub every: u32,
    /// The unit.
    pub unit: CalendarUnit,
    /// Weekly only: the weekdays it falls on (empty: the start date's weekday).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "schemars", schemars(with = "Vec<String>"))]
    pub weekdays: Vec<Weekday>,
    /// Monthly and yearly, fixed only: the day of the month (default: the start date's day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<DayOfMonth>,
    /// Local time of day the work is due (default 08:00).
    #[serde(default = "eight")]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub time_of_day: NaiveTime,
    /// Fixed or floating (default fixed).
    #[serde(default = "fixed")]
    pub mode: Anchoring,
}

fn eight() -> NaiveTime {
    NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN)
}

fn fixed() -> Anchoring {
    Anchoring::Fixed
}

/// A trigger on one of the asset's meters, named (a plan may cover many assets, each with its own
/// meter of that name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MeterIntervalTrigger {
    /// The meter's name on the asset (e.g. `Run hours`); an accumulating meter.
    pub meter: String,
    /// Every this many units (> 0).
    pub every: f64,
    /// Floating: N units after the last service's reading. Fixed: at multiples of N.
    #[serde(default = "floating")]
    pub mode: Anchoring,
}

fn floating() -> Anchoring {
    Anchoring::Floating
}

/// A gauge reading above or below a limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MeterThresholdTrigger {
    /// The meter's name on the asset; a gauge.
    pub meter: String,
    /// Due when a reading is above this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// Due when a reading is below this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
}

/// One trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// Calendar.
    Calendar(CalendarTrigger),
    /// Meter interval.
    MeterInterval(MeterIntervalTrigger),
    /// Meter threshold.
    MeterThreshold(MeterThresholdTrigger),
}

/// How a schedule ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// Nothing is due after this local date.
    On(NaiveDate),
    /// After this many due slots.
    After(u32),
}

/// A plan's schedule: everything the engine needs to know about the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The triggers (at least one).
    pub triggers: Vec<Trigger>,
    /// How they combine (default `any`).
    #[serde(default = "any")]
    pub combine: Combine,
    /// The first due date (local), from which fixed calendar slots count and which a plan never
    /// serviced is first due on. Required by the engine; a plan created without one starts one
    /// period after its creation, so a new plan is never overdue.
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    /// The IANA time zone civil-time arithmetic happens in (default UTC; a plan uses its site's).
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Create the work order this many days before it is due.
    #[serde(default)]
    pub lead_days: u32,
    /// How many days late a completion still counts as on time (compliance); default: the
    /// 10 % rule (a tenth of the calendar interval, at most 28 days; 0 for meter-only plans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_days: Option<u32>,
    /// Months (1–12) in which work may be due; empty: all year.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active_months: Vec<u8>,
    /// When it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends: Option<End>,
}

fn utc() -> String {
    "UTC".into()
}

fn any() -> Combine {
    Combine::Any
}

/// One completed service of a plan on an asset.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Service {
    /// When the work was completed.
    pub at: DateTime<Utc>,
    /// Meter values at completion, by meter name (missing ones are read from the series).
    #[serde(default)]
    pub meter_values: BTreeMap<String, f64>,
}

/// What has happened so far for one (plan, asset).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct History {
    /// The latest due slot already handled (generated or skipped): the next is after it.
    #[serde(default)]
    pub last_due: Option<DateTime<Utc>>,
    /// The latest completed service.
    #[serde(default)]
    pub last_service: Option<Service>,
    /// How many slots were handled (for `End::After`).
    #[serde(default)]
    pub count: u32,
}

/// One meter's readings as the engine sees them: sorted by time; an accumulating meter's values
/// are cumulative usage (core adds the value before each recorded reset), so they never fall.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Series {
    /// The meter's name.
    pub meter: String,
    /// `(taken_at, value)`, oldest first.
    pub readings: Vec<(DateTime<Utc>, f64)>,
}

/// When a plan is next due on an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Due {
    /// The due instant.
    pub at: DateTime<Utc>,
    /// The slot's identity (one work order per plan, asset and slot).
    pub slot: String,
    /// Projected from a meter's usage rate rather than known.
    pub estimated: bool,
    /// Index of the trigger that decided it.
    pub trigger: usize,
    /// For meter triggers: the meter value it is due at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meter_value: Option<f64>,
}

impl Schedule {
    /// Checks the schedule; every problem is named by its field.
    pub fn validate(&self) -> Result<()> {
        let mut errors = Vec::new();
        let mut bad = |field: String, message: &str| {
            errors.push(FieldError { field, message: message.into() })
        };
        if self.triggers.is_empty() {
            bad("triggers".into(), "needs at least one trigger");
        }
        if self.triggers.len() > 10 {
            bad("triggers".into(), "at most 10 triggers");
        }
        if self.starts_on.is_none() {
            bad("starts_on".into(), "is required");
        }
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            bad("time_zone".into(), "is not an IANA time zone name");
        }
        if self.active_months.iter().any(|m| !(1..=12).contains(m)) {
            bad("active_months".into(), "months are 1 to 12");
        }
        if matches!(self.ends, Some(End::After(0))) {
            bad("ends".into(), "must allow at least one slot");
        }
        for (i, t) in self.triggers.iter().enumerate() {
            let at = |f: &str| format!("triggers[{i}].{f}");
            match t {
                Trigger::Calendar(c) => {
                    if c.every == 0 || c.every > 1000 {
                        bad(at("every"), "must be 1 to 1000");
                    }
                    if !c.weekdays.is_empty() && c.unit != CalendarUnit::Weeks {
                        bad(at("weekdays"), "only weekly triggers fall on weekdays");
                    }
                    if let Some(d) = c.day_of_month {
                        if !matches!(c.unit, CalendarUnit::Months | CalendarUnit::Years) {
                            bad(at("day_of_month"), "only monthly and yearly triggers take it");
                        } else if c.mode == Anchoring::Floating {
                            bad(at("day_of_month"), "a floating trigger counts from completion");
                        } else if matches!(d, DayOfMonth::Day(n) if !(1..=31).contains(&n)) {
                            bad(at("day_of_month"), "days are 1 to 31");
                        }
                    }
                }
                Trigger::MeterInterval(m) => {
                    if m.meter.trim().is_empty() {
                        bad(at("meter"), "names the asset's meter");
                    }
                    if !(m.every.is_finite() && m.every > 0.0) {
                        bad(at("every"), "must be a positive number");
                    }
                }
                Trigger::MeterThreshold(m) => {
                    if m.meter.trim().is_empty() {
                        bad(at("meter"), "names the asset's meter");
                    }
                    let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
                    if m.above.is_none() && m.below.is_none() {
                        bad(at("above"), "give `above`, `below` or both");
                    } else if !finite(m.above) || !finite(m.below) {
                        bad(at("above"), "limits are finite numbers");
                    }
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(CmmsError::Validation(errors)) }
    }

    /// The time zone (validated; UTC if somehow not).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The grace window in days: the plan's own, else the 10 % rule.
    pub fn grace(&self) -> u32 {
        if let Some(days) = self.grace_days {
            return days;
        }
        let interval = |c: &CalendarTrigger| -> f64 {
            let per = match c.unit {
                CalendarUnit::Days => 1.0,
                CalendarUnit::Weeks => 7.0,
                CalendarUnit::Months => 30.44,
                CalendarUnit::Years => 365.25,
            };
            f64::from(c.every) * per
        };
        let shortest = self
            .triggers
            .iter()
            .filter_map(|t| match t {
                Trigger::Calendar(c) => Some(interval(c)),
                _ => None,
            })
            .fold(f64::INFINITY, f64::min);
        if shortest.is_finite() { (shortest / 10.0).floor().min(28.0) as u32 } else { 0 }
    }

    /// Whether a local month (1–12) is in season.
    pub fn in_season(&self, month: u32) -> bool {
        self.active_months.is_empty() || self.active_months.iter().any(|m| u32::from(*m) == month)
    }
}
