//! The call table of meters and preventive maintenance (`meters.*`, `pm_plans.*`, `pm.*`), and
//! the pure schedule engine callable without a database (`engine`). Like `dispatch`, it only
//! decodes arguments, calls core and encodes results.

use crate::dispatch::parse;
use crate::errors::{encode_failed, to_py};
use chrono::{DateTime, Utc};
use cmms_core::domain::meter::{MeterPatch, NewMeter, NewReading};
use cmms_core::domain::pm::{
    History, NewPmPlan, PmPlanPatch, Schedule, Series, forecast, next_due,
};
use cmms_core::service::{
    DueQuery, GenerateRequest, MeterFilter, PlanFilter, ReadingFilter, SlotFilter,
};
use cmms_core::{Actor, Cmms, CmmsError, MeterId, PmPlanId, SiteId};
use pyo3::PyResult;
use pyo3::exceptions::PyValueError;
use serde::{Deserialize, Serialize};

pub(crate) fn out<T: Serialize>(value: Result<T, CmmsError>) -> PyResult<String> {
    serde_json::to_string(&value.map_err(to_py)?).map_err(encode_failed)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Id<T> {
    pub(crate) id: T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch<I, P> {
    id: I,
    #[serde(default)]
    expected_version: Option<i64>,
    patch: P,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Remove<I> {
    id: I,
    #[serde(default)]
    expected_version: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Readings {
    readings: Vec<NewReading>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfMeter {
    id: MeterId,
    #[serde(default)]
    filter: ReadingFilter,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Forecast {
    id: PmPlanId,
    #[serde(default)]
    from: Option<DateTime<Utc>>,
    #[serde(default)]
    days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfPlan {
    id: PmPlanId,
    #[serde(default)]
    filter: SlotFilter,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Compliance {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    #[serde(default)]
    site: Option<SiteId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Calendar {
    #[serde(default)]
    days: Option<u32>,
    #[serde(default)]
    site: Option<SiteId>,
}

/// Meter and PM calls made as `a`.
pub(crate) async fn call_pm(c: &Cmms, a: &Actor, method: &str, args: &str) -> PyResult<String> {
    match method {
        "meters.create" => out(c.create_meter(a, parse::<NewMeter>(args)?).await),
        "meters.get" => out(c.get_meter(a, parse::<Id<MeterId>>(args)?.id).await),
        "meters.update" => {
            let x: Patch<MeterId, MeterPatch> = parse(args)?;
            out(c.update_meter(a, x.id, x.patch, x.expected_version).await)
        }
        "meters.list" => out(c.list_meters(a, parse::<MeterFilter>(args)?).await),
        "meters.record" => out(c.record_readings(a, parse::<Readings>(args)?.readings).await),
        "meters.readings" => {
            let x: OfMeter = parse(args)?;
            out(c.list_readings(a, x.id, x.filter).await)
        }
        "pm_plans.create" => out(c.create_pm_plan(a, parse::<NewPmPlan>(args)?).await),
        "pm_plans.get" => out(c.get_pm_plan(a, parse::<Id<PmPlanId>>(args)?.id).await),
        "pm_plans.update" => {
            let x: Patch<PmPlanId, PmPlanPatch> = parse(args)?;
            out(c.update_pm_plan(a, x.id, x.patch, x.expected_version).await)
        }
        "pm_plans.delete" => {
            let x: Remove<PmPlanId> = parse(args)?;
            out(c.delete_pm_plan(a, x.id, x.expected_version).await)
        }
        "pm_plans.list" => out(c.list_pm_plans(a, parse::<PlanFilter>(args)?).await),
        "pm_plans.forecast" => {
            let x: Forecast = parse(args)?;
            out(c.pm_forecast(a, x.id, x.from, x.days).await)
        }
        "pm_plans.history" => {
            let x: OfPlan = parse(args)?;
            out(c.pm_history(a, x.id, x.filter).await)
        }
        "pm.due" => out(c.pm_due(a, parse::<DueQuery>(args)?).await),
        "pm.generate" => out(c.generate_due_pm(a, parse::<GenerateRequest>(args)?).await),
        "pm.compliance" => {
            let x: Compliance = parse(args)?;
            out(c.pm_compliance(a, x.from, x.to, x.site).await)
        }
        "pm.calendar" => {
            let x: Calendar = parse(args)?;
            out(c.pm_calendar(a, x.days, x.site).await)
        }
        _ => crate::dispatch_inventory::call_inventory(c, a, method, args).await,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineArgs {
    schedule: Schedule,
    #[serde(default)]
    history: History,
    #[serde(default)]
    meters: Vec<Series>,
    #[serde(default)]
    from: Option<DateTime<Utc>>,
    #[serde(default)]
    days: Option<u32>,
}

/// The pure engine on plain data: `next_due` or `forecast`. The schedule is validated first,
/// so a what-if with a mistake says what is wrong instead of forecasting nothing.
pub(crate) fn engine(op: &str, args: &str) -> PyResult<String> {
    let x: EngineArgs = parse(args)?;
    x.schedule.validate().map_err(to_py)?;
    let mut meters = x.meters;
    for m in &mut meters {
        m.readings.sort_by_key(|(at, _)| *at);
    }
    match op {
        "next_due" => out(Ok(next_due(&x.schedule, &x.history, &meters))),
        "forecast" => {
            let from = x.from.ok_or_else(|| to_py(CmmsError::invalid("start", "is required")))?;
            let days = x.days.unwrap_or(90);
            if !(1..=3660).contains(&days) {
                return Err(to_py(CmmsError::invalid("days", "must be 1 to 3,660")));
            }
            out(Ok(forecast(&x.schedule, &x.history, &meters, from, days)))
        }
        other => Err(PyValueError::new_err(format!("unknown engine call '{other}'"))),
    }
}
