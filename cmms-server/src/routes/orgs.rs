//! The organization, its failure codes, sites, locations and teams.

use super::Op;
use crate::extract::{Caller, IfMatch, JsonBody, ListQuery};
use crate::problem::ApiResult;
use crate::reply::{Ids, created, versioned};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, patch, post};
use cmms_core::domain::failure_code::{FailureCode, FailureCodeKind};
use cmms_core::domain::location::{Location, LocationPatch, NewLocation};
use cmms_core::domain::org::{Org, OrgPatch};
use cmms_core::domain::site::{NewSite, Site, SitePatch};
use cmms_core::domain::team::{NewTeam, Team, TeamPatch};
use cmms_core::{LocationId, SiteId, TeamId};
use schemars::JsonSchema;
use serde::Deserialize;

/// A patch body: the changes, and optionally the version they were made on (like `If-Match`).
/// Deserialized by hand (`extract::versioned`): serde's `flatten` would let misspelt fields
/// through, and the patch types refuse unknown fields.
#[derive(Debug, JsonSchema)]
#[schemars(rename = "{P}WithVersion")]
pub(crate) struct Versioned<P> {
    /// The version the change was made on (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(flatten)]
    pub patch: P,
}

impl<'de, P: serde::de::DeserializeOwned> Deserialize<'de> for Versioned<P> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (version, patch) = crate::extract::versioned(d)?;
        Ok(Self { version, patch })
    }
}

impl<P> Versioned<P> {
    /// The expected version: `If-Match` wins over the body's `version`.
    pub fn expected(&self, if_match: IfMatch) -> Option<i64> {
        if_match.0.or(self.version)
    }
}

/// Maps a conflict on an `If-Match` request to 412.
pub(crate) fn precondition<T>(r: cmms_core::Result<T>, if_match: IfMatch) -> ApiResult<T> {
    r.map_err(|e| {
        let e = crate::problem::ApiError::from(e);
        if if_match.0.is_some() { e.precondition() } else { e }
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewFailureCode {
    kind: FailureCodeKind,
    code: String,
    description: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LocationQuery {
    /// Only this site's locations.
    #[serde(default)]
    site: Option<SiteId>,
}

async fn get_org(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Response> {
    let org = s.cmms().get_org(&a).await?;
    Ok(versioned(org.version, &org))
}

async fn update_org(
    State(s): State<AppState>,
    Caller(a): Caller,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<OrgPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let org = precondition(s.cmms().update_org(&a, b.patch, expected).await, m)?;
    Ok(versioned(org.version, &org))
}

async fn list_codes(
    State(s): State<AppState>,
    Caller(a): Caller,
) -> ApiResult<Json<Vec<FailureCode>>> {
    Ok(Json(s.cmms().list_failure_codes(&a).await?))
}

async fn create_code(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewFailureCode>,
) -> ApiResult<Response> {
    let code = s.cmms().create_failure_code(&a, b.kind, &b.code, &b.description).await?;
    Ok(created(None, &code))
}

async fn list_sites(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<Site>>> {
    Ok(Json(s.cmms().list_sites(&a).await?))
}

async fn create_site(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewSite>,
) -> ApiResult<Response> {
    let site = s.cmms().create_site(&a, b).await?;
    Ok(created(Some(site.version), &site))
}

async fn get_site(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<SiteId>,
) -> ApiResult<Response> {
    let site = s.cmms().get_site(&a, id).await?;
    Ok(versioned(site.version, &site))
}

async fn update_site(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<SiteId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<SitePatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let site = precondition(s.cmms().update_site(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(site.version, &site))
}

async fn list_locations(
    State(s): State<AppState>,
    Caller(a): Caller,
    ListQuery(q): ListQuery<LocationQuery>,
) -> ApiResult<Json<Vec<Location>>> {
    Ok(Json(s.cmms().list_locations(&a, q.site).await?))
}

async fn create_location(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewLocation>,
) -> ApiResult<Response> {
    let loc = s.cmms().create_location(&a, b).await?;
    Ok(created(Some(loc.version), &loc))
}

async fn get_location(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<LocationId>,
) -> ApiResult<Response> {
    let loc = s.cmms().get_location(&a, id).await?;
    Ok(versioned(loc.version, &loc))
}

async fn update_location(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<LocationId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<LocationPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let loc = precondition(s.cmms().update_location(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(loc.version, &loc))
}

async fn list_teams(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<Team>>> {
    Ok(Json(s.cmms().list_teams(&a).await?))
}

async fn create_team(
    State(s): State<AppState>,
    Caller(a): Caller,
    JsonBody(b): JsonBody<NewTeam>,
) -> ApiResult<Response> {
    let team = s.cmms().create_team(&a, b).await?;
    Ok(created(Some(team.version), &team))
}

async fn get_team(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<TeamId>,
) -> ApiResult<Response> {
    let team = s.cmms().get_team(&a, id).await?;
    Ok(versioned(team.version, &team))
}

async fn update_team(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<TeamId>,
    m: IfMatch,
    JsonBody(b): JsonBody<Versioned<TeamPatch>>,
) -> ApiResult<Response> {
    let expected = b.expected(m);
    let team = precondition(s.cmms().update_team(&a, id, b.patch, expected).await, m)?;
    Ok(versioned(team.version, &team))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get("/orgs/current", "getOrg", "The caller's organization", get(get_org))
            .returns::<Org>(200),
        Op::patch(
            "/orgs/current",
            "updateOrgSettings",
            "Replace the organization's settings",
            patch(update_org),
        )
        .body::<Versioned<OrgPatch>>()
        .returns::<Org>(200),
        Op::get(
            "/failure-codes",
            "listFailureCodes",
            "The organization's failure codes",
            get(list_codes),
        )
        .returns::<Vec<FailureCode>>(200),
        Op::post("/failure-codes", "createFailureCode", "Define a failure code", post(create_code))
            .body::<NewFailureCode>()
            .returns::<FailureCode>(201),
        Op::get("/sites", "listSites", "The sites the caller may see", get(list_sites))
            .returns::<Vec<Site>>(200),
        Op::post("/sites", "createSite", "Create a site", post(create_site))
            .body::<NewSite>()
            .returns::<Site>(201),
        Op::get("/sites/{id}", "getSite", "One site", get(get_site)).returns::<Site>(200),
        Op::patch("/sites/{id}", "updateSite", "Change a site", patch(update_site))
            .body::<Versioned<SitePatch>>()
            .returns::<Site>(200),
        Op::get(
            "/locations",
            "listLocations",
            "Locations (of one site or all)",
            get(list_locations),
        )
        .query::<LocationQuery>()
        .returns::<Vec<Location>>(200),
        Op::post("/locations", "createLocation", "Create a location", post(create_location))
            .body::<NewLocation>()
            .returns::<Location>(201),
        Op::get("/locations/{id}", "getLocation", "One location", get(get_location))
            .returns::<Location>(200),
        Op::patch(
            "/locations/{id}",
            "updateLocation",
            "Change or move a location",
            patch(update_location),
        )
        .body::<Versioned<LocationPatch>>()
        .returns::<Location>(200),
        Op::get("/teams", "listTeams", "Teams", get(list_teams)).returns::<Vec<Team>>(200),
        Op::post("/teams", "createTeam", "Create a team", post(create_team))
            .body::<NewTeam>()
            .returns::<Team>(201),
        Op::get("/teams/{id}", "getTeam", "One team", get(get_team)).returns::<Team>(200),
        Op::patch("/teams/{id}", "updateTeam", "Change a team", patch(update_team))
            .body::<Versioned<TeamPatch>>()
            .returns::<Team>(200),
    ]
}
