//! Meters and their readings; preventive-maintenance plans, what is due, generation,
//! forecasts (also as an iCalendar feed), history and compliance.

use super::Op;
use super::orgs::{Versioned, precondition};
use crate::extract::{Caller, FeedCaller, IfMatch, JsonBody, ListQuery};
use crate::problem::{ApiError, ApiResult};
use crate::reply::{Ids, created, no_content, versioned};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use chrono::{DateTime, Utc};
use cmms_core::domain::meter::{Meter, MeterPatch, NewMeter, NewReading, Reading, ReadingSource};
use cmms_core::domain::pm::{NewPmPlan, PmPlan, PmPlanPatch, PmSlot};
use cmms_core::service::{
    ComplianceReport, DueItem, DueQuery, ForecastItem, GenerateRequest, GenerationReport,
    MeterFilter, PlanFilter, ReadingFilter, RecordedReadings, SlotFilter,
};
use cmms_core::store::Page;
use cmms_core::{MeterId, PmPlanId, SiteId};
use schemars::JsonSchema;
use serde::Deserialize;

async fn list_meters(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<MeterFilter>,
) -> ApiResult<Json<Page<Meter>>> {
    Ok(Json(s.cmms().list_meters(&a, q).await?))
}

async fn create_meter(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewMeter>,
) -> ApiResult<Response> {
    let meter = s.cmms().create_meter(&a, b).await?;
    Ok(created(Some(meter.version), &meter))
}

async fn get_meter(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<MeterId>,
) -> ApiResult<Response> {
    let meter = s.cmms().get_meter(&a, id).await?;
    Ok(versioned(meter.version, &meter))
}

async fn update_meter(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<MeterId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<MeterPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let meter = precondition(s.cmms().update_meter(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(meter.version, &meter))
}

async fn list_readings(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<MeterId>,
    ListQuery(q): ListQuery<ReadingFilter>,
) -> ApiResult<Json<Page<Reading>>> {
    Ok(Json(s.cmms().list_readings(&a, id, q).await?))
}

/// One reading of the meter in the path.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReadingBody {
    /// The value.
    value: f64,
    /// When it was taken (default: now).
    #[serde(default)]
    taken_at: Option<DateTime<Utc>>,
    /// `manual` (default), `import` or `integration`.
    #[serde(default)]
    source: Option<ReadingSource>,
    /// The meter was reset or rolled over before this reading.
    #[serde(default)]
    reset: bool,
}

/// One reading (`value`, ...) or a batch (`readings`), for the meter in the path.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReadingPost {
    /// One reading's value (or give `readings`).
    #[serde(default)]
    value: Option<f64>,
    /// When it was taken (default: now).
    #[serde(default)]
    taken_at: Option<DateTime<Utc>>,
    /// `manual` (default), `import` or `integration`.
    #[serde(default)]
    source: Option<ReadingSource>,
    /// The meter was reset or rolled over before this reading.
    #[serde(default)]
    reset: bool,
    /// A batch of readings (up to 5,000), in any order.
    #[serde(default)]
    readings: Option<Vec<ReadingBody>>,
}

async fn record_on_meter(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<MeterId>,
    JsonBody(b): JsonBody<ReadingPost>,
) -> ApiResult<Json<RecordedReadings>> {
    let one = |r: ReadingBody| NewReading {
        meter_id: id,
        value: r.value,
        taken_at: r.taken_at,
        source: r.source,
        reset: r.reset,
    };
    let batch = match (b.readings, b.value) {
        (Some(list), None) => list.into_iter().map(one).collect(),
        (None, Some(value)) => {
            vec![one(ReadingBody { value, taken_at: b.taken_at, source: b.source, reset: b.reset })]
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("readings", "give one reading or `readings`, not both"));
        }
        (None, None) => return Err(ApiError::invalid("value", "is required")),
    };
    Ok(Json(s.cmms().record_readings(&a, batch).await?))
}

/// Readings of any meters, in one commit.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReadingBatch {
    /// Up to 5,000 readings, each naming its meter.
    readings: Vec<NewReading>,
}

async fn record_batch(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<ReadingBatch>,
) -> ApiResult<Json<RecordedReadings>> {
    Ok(Json(s.cmms().record_readings(&a, b.readings).await?))
}

async fn list_plans(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<PlanFilter>,
) -> ApiResult<Json<Vec<PmPlan>>> {
    Ok(Json(s.cmms().list_pm_plans(&a, q).await?))
}

async fn create_plan(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewPmPlan>,
) -> ApiResult<Response> {
    let plan = s.cmms().create_pm_plan(&a, b).await?;
    Ok(created(Some(plan.version), &plan))
}

async fn get_plan(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PmPlanId>,
) -> ApiResult<Response> {
    let plan = s.cmms().get_pm_plan(&a, id).await?;
    Ok(versioned(plan.version, &plan))
}

async fn update_plan(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PmPlanId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<PmPlanPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let plan = precondition(s.cmms().update_pm_plan(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(plan.version, &plan))
}

async fn delete_plan(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PmPlanId>,
    m: IfMatch,
) -> ApiResult<Response> {
    precondition(s.cmms().delete_pm_plan(&a, id, m.0).await, m)?;
    Ok(no_content())
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ForecastQuery {
    /// From (default now).
    #[serde(default)]
    from: Option<DateTime<Utc>>,
    /// For this many days (default 90, at most 3,660).
    #[serde(default)]
    days: Option<u32>,
}

async fn forecast(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PmPlanId>,
    ListQuery(q): ListQuery<ForecastQuery>,
) -> ApiResult<Json<Vec<ForecastItem>>> {
    Ok(Json(s.cmms().pm_forecast(&a, id, q.from, q.days).await?))
}

async fn history(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<PmPlanId>,
    ListQuery(q): ListQuery<SlotFilter>,
) -> ApiResult<Json<Page<PmSlot>>> {
    Ok(Json(s.cmms().pm_history(&a, id, q).await?))
}

async fn due(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<DueQuery>,
) -> ApiResult<Json<Vec<DueItem>>> {
    Ok(Json(s.cmms().pm_due(&a, q).await?))
}

async fn generate(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<GenerateRequest>,
) -> ApiResult<Json<GenerationReport>> {
    Ok(Json(s.cmms().generate_due_pm(&a, b).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ComplianceQuery {
    /// Period start (inclusive).
    from: DateTime<Utc>,
    /// Period end (exclusive).
    to: DateTime<Utc>,
    /// Only this site.
    #[serde(default)]
    site: Option<SiteId>,
}

async fn compliance(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<ComplianceQuery>,
) -> ApiResult<Json<ComplianceReport>> {
    Ok(Json(s.cmms().pm_compliance(&a, q.from, q.to, q.site).await?))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    /// For this many days (default 90, at most 366).
    #[serde(default)]
    days: Option<u32>,
    /// Only this site.
    #[serde(default)]
    site: Option<SiteId>,
    /// An API key (`cmms_...`), for calendar apps that cannot send `Authorization` (read by
    /// `FeedCaller`; declared here so the document lists it and unknown parameters stay refused).
    #[allow(dead_code)]
    #[serde(default)]
    key: Option<String>,
}

/// The forecast of every plan the caller may read as an iCalendar (RFC 5545) feed.
async fn ics(
    State(s): State<AppState>,
    FeedCaller(a): FeedCaller,
    ListQuery(q): ListQuery<FeedQuery>,
) -> ApiResult<Response> {
    let text = s.cmms().pm_calendar(&a, q.days, q.site).await?;
    let mut r = text.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    Ok(r)
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get("/meters", "listMeters", "A page of meters", get(list_meters))
            .query::<MeterFilter>()
            .returns::<Page<Meter>>(200),
        Op::post("/meters", "createMeter", "Add a meter to an asset", post(create_meter))
            .body::<NewMeter>()
            .returns::<Meter>(201),
        Op::get("/meters/{id}", "getMeter", "One meter", get(get_meter)).returns::<Meter>(200),
        Op::patch(
            "/meters/{id}",
            "updateMeter",
            "Rename a meter or change its unit",
            patch(update_meter),
        )
        .body::<Versioned<MeterPatch>>()
        .returns::<Meter>(200),
        Op::get(
            "/meters/{id}/readings",
            "listReadings",
            "A meter's readings by time",
            get(list_readings),
        )
        .query::<ReadingFilter>()
        .returns::<Page<Reading>>(200),
        Op::post(
            "/meters/{id}/readings",
            "recordReadings",
            "Record one reading or a batch on the meter",
            post(record_on_meter),
        )
        .body::<ReadingPost>()
        .returns::<RecordedReadings>(200),
        Op::post(
            "/readings",
            "recordReadingBatch",
            "Record readings of any meters at once",
            post(record_batch),
        )
        .body::<ReadingBatch>()
        .returns::<RecordedReadings>(200),
        Op::get("/pm-plans", "listPmPlans", "PM plans, by title", get(list_plans))
            .query::<PlanFilter>()
            .returns::<Vec<PmPlan>>(200),
        Op::post("/pm-plans", "createPmPlan", "Create a PM plan", post(create_plan))
            .body::<NewPmPlan>()
            .returns::<PmPlan>(201),
        Op::get("/pm-plans/{id}", "getPmPlan", "One PM plan", get(get_plan)).returns::<PmPlan>(200),
        Op::patch("/pm-plans/{id}", "updatePmPlan", "Change a PM plan", patch(update_plan))
            .body::<Versioned<PmPlanPatch>>()
            .returns::<PmPlan>(200),
        Op::delete(
            "/pm-plans/{id}",
            "deletePmPlan",
            "Delete a PM plan without open work (its slots go; its work orders stay)",
            delete(delete_plan),
        ),
        Op::get(
            "/pm-plans/{id}/forecast",
            "pmForecast",
            "The plan's coming dues per asset",
            get(forecast),
        )
        .query::<ForecastQuery>()
        .returns::<Vec<ForecastItem>>(200),
        Op::get(
            "/pm-plans/{id}/history",
            "pmHistory",
            "The plan's slots, newest first",
            get(history),
        )
        .query::<SlotFilter>()
        .returns::<Page<PmSlot>>(200),
        Op::get("/pm/due", "pmDue", "What is due and overdue", get(due))
            .query::<DueQuery>()
            .returns::<Vec<DueItem>>(200),
        Op::post("/pm/generate", "generatePm", "Generate the PM work that is due", post(generate))
            .body::<GenerateRequest>()
            .returns::<GenerationReport>(200),
        Op::get("/pm/compliance", "pmCompliance", "PM compliance over a period", get(compliance))
            .query::<ComplianceQuery>()
            .returns::<ComplianceReport>(200),
        Op::get("/pm/forecast.ics", "pmCalendar", "The PM forecast as an iCalendar feed", get(ics))
            .query::<FeedQuery>()
            .media("text/calendar"),
    ]
}
