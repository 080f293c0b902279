//! Preventive maintenance: plans' schedules and the pure engine that says when work is due.
//!
//! A schedule is triggers (calendar, meter interval, meter threshold) combined `any` (whichever
//! comes first) or `all`, a start date, the site's time zone, a lead time, a grace window, a
//! season and an end. [`next_due`] says when a plan is next due on one asset from its history
//! and the asset's meter readings; [`forecast`] runs it forward. Neither reads a clock nor a
//! database. Calendar arithmetic is civil time in the site's zone (see [`calendar`]); meter
//! projections use the recent usage rate (see [`metered`]); compliance is in [`compliance`].

pub mod calendar;
pub mod compliance;
mod engine;
pub mod ical;
pub mod metered;
mod plan;
mod schedule;

pub use engine::{MAX_FORECAST, forecast, next_due};
pub use plan::{
    MAX_PLAN_ASSETS, NewPmPlan, PmPlan, PmPlanPatch, PmSlot, PmState, SlotStatus, default_start,
    state_id,
};
pub use schedule::{
    Anchoring, CalendarTrigger, CalendarUnit, Combine, DayOfMonth, Due, End, History,
    MeterIntervalTrigger, MeterThresholdTrigger, Schedule, Series, Service, Trigger,
};

#[cfg(test)]
mod tests;
