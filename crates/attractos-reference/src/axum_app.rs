//! The API on axum: routing glue only. Every rule lives in [`crate::domain`]; the extractors and
//! the contract layers come from `attractos-errors-axum`.

use attractos_errors_axum::{
    ApiError, Authenticated, Contract, ContractExt, ContractRouter, DateRange, Json, Query, SiteId,
};
use attractos_limits::LimitContext;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::routing::{get, post};

use crate::domain::{EventReceipt, NewEvent, SiteList, Stats, Timeseries, TimeseriesQuery};
use crate::{AppState, Options, routes};

/// The whole API as an axum [`ContractRouter`], state provided and the contract applied (404, 405,
/// body limit, panics, `X-Request-Id`, request span).
///
/// ```
/// use attractos_reference::{AppState, Options, axum_app};
/// use axum::{body::Body, http::Request};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = axum_app::router(AppState::new(Options::default()));
/// let request = Request::get("/api/v1/sites")
///     .header("authorization", "Bearer ak_demo_free")
///     .body(Body::empty())
///     .unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// # }
/// ```
pub fn router(state: AppState) -> ContractRouter {
    let contract = contract(state.options());
    let trust = state.options().proxy_trust_mode();
    let mut router = Router::new();
    if state.options().debug_routes_enabled() {
        router = router
            .route(routes::DEBUG_PANIC, get(debug_panic))
            .route(routes::DEBUG_FAIL, get(debug_fail));
    }
    router
        .route(routes::SITES, get(sites))
        .route(routes::STATS, get(stats))
        .route(routes::STATS_NO_SITE, get(stats))
        .route(routes::TIMESERIES, get(timeseries))
        .route(routes::TIMESERIES_NO_SITE, get(timeseries))
        .route(routes::EVENTS, post(events))
        .route(routes::OPENAPI, get(openapi_json))
        .with_state(state)
        .with_contract(contract)
        .with_limits(trust)
}

/// The contract settings `options` ask for: body limit and deadline, head timeout.
pub fn contract(options: &Options) -> Contract {
    Contract::default()
        .with_body_limit(options.body_limit_bytes())
        .with_body_timeout(options.body_timeout_duration())
        .with_head_timeout(options.head_timeout_duration())
}

async fn sites(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated<AppState>,
) -> Json<SiteList> {
    Json(state.sites(&caller))
}

async fn stats(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated<AppState>,
    SiteId(site): SiteId,
    DateRange(range): DateRange,
) -> Result<Json<Stats>, ApiError> {
    Ok(Json(state.stats(&caller, &site, range)?))
}

async fn timeseries(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated<AppState>,
    SiteId(site): SiteId,
    Query(query): Query<TimeseriesQuery>,
    DateRange(range): DateRange,
) -> Result<Json<Timeseries>, ApiError> {
    Ok(Json(state.timeseries(&caller, &site, range, query)?))
}

async fn events(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated<AppState>,
    Extension(context): Extension<LimitContext>,
    Json(event): Json<NewEvent>,
) -> Result<(StatusCode, Json<EventReceipt>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.record_event(&caller, event, &context).await?),
    ))
}

async fn debug_panic(State(state): State<AppState>) -> ApiError {
    state.panic_on_purpose()
}

async fn debug_fail(State(state): State<AppState>) -> ApiError {
    state.fail_on_purpose().into()
}

/// The OpenAPI document, the same bytes as `docs/openapi.json`; no key needed.
async fn openapi_json() -> ([(axum::http::HeaderName, HeaderValue); 1], &'static str) {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        crate::openapi::json(),
    )
}
