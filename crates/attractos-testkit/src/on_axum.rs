//! The test service on axum.

use attractos_errors_axum::{
    ApiError, Authenticated, BearerKey, Contract, ContractExt, ContractRouter, DateRange, Json,
    Query, SiteId,
};
use attractos_limits::{LimitContext, ProxyTrust};
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::service::limited::{self, Keys};
use crate::service::other_layers::{OWN_JSON, PLAIN, TEXT, THROTTLED};
use crate::service::{self, handlers_on_the_adapter};

handlers_on_the_adapter!();

async fn code(Path(name): Path<String>) -> ApiError {
    service::code(&name).into()
}

async fn teapot() -> (StatusCode, &'static str) {
    (StatusCode::IM_A_TEAPOT, service::TEAPOT)
}

async fn throttled() -> impl IntoResponse {
    let (body, retry_after) = THROTTLED;
    let headers = [("retry-after", retry_after), ("content-type", TEXT)];
    (StatusCode::TOO_MANY_REQUESTS, headers, body)
}

async fn unauthorized() -> StatusCode {
    StatusCode::UNAUTHORIZED
}

async fn own_json() -> impl IntoResponse {
    let json = [("content-type", "application/json")];
    (StatusCode::CONFLICT, json, OWN_JSON)
}

async fn plain() -> impl IntoResponse {
    (StatusCode::CREATED, [("content-type", TEXT)], PLAIN)
}

async fn limited_sites(Authenticated(user): Authenticated<Keys>) -> String {
    format!("the sites of {user}")
}

async fn limited_event(
    State(keys): State<Keys>,
    Authenticated(user): Authenticated<Keys>,
    Extension(context): Extension<LimitContext>,
) -> Result<String, ApiError> {
    let quota = attractos_limits::count_event(&keys, &user, &context).await?;
    Ok(limited::counted(quota))
}

/// The limited routes ([`service::limited`]).
fn limited() -> Router {
    Router::new()
        .route("/limited/sites", get(limited_sites))
        .route("/limited/events", post(limited_event))
        .with_state(Keys::new())
}

/// The service's routes, not yet in the contract.
pub fn routes() -> Router {
    Router::new()
        .route("/api/v1/sites/{siteId}/stats", get(stats))
        .route("/api/v1/no-site", get(no_site))
        .route("/api/v1/timeseries", get(timeseries))
        .route("/api/v1/events", post(events))
        .route("/codes/{code}", get(code))
        .route("/custom", get(custom))
        .route("/internal", get(internal))
        .route("/cause", get(cause))
        .route("/teapot", get(teapot))
        .route("/throttled", get(throttled))
        .route("/unauthorized", get(unauthorized))
        .route("/own-json", get(own_json))
        .route("/plain", get(plain))
        .route("/panic", get(boom))
        .route("/panic/formatted", get(boom_formatted))
        .route("/panic/any", get(boom_any))
        .merge(limited())
}

/// The test service on axum under `contract`, with the limits' glue.
pub fn app(contract: Contract) -> ContractRouter {
    app_without_limit_glue(contract).with_limits(ProxyTrust::default())
}

/// The test service on axum under `contract`, its limited routes outside the limits' glue (a
/// misconfiguration).
pub fn app_without_limit_glue(contract: Contract) -> ContractRouter {
    routes().with_contract(contract)
}
