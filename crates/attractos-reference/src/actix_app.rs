//! The API on actix-web: routing glue only. Every rule lives in [`crate::domain`]; the
//! extractors and the contract middleware come from `attractos-errors-actix`.

use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, HttpResponse, Responder};
use attractos_errors_actix::{
    ApiError, AppFactory, Authenticated, Contract, DateRange, Json, Query, SiteId, contract_app,
    limit_context,
};
use attractos_limits::LimitContext;

use crate::domain::{NewEvent, TimeseriesQuery};
use crate::{AppState, Options, routes};

/// The whole API as an actix-web [`App`]: the contract app of `attractos-errors-actix` (404,
/// 405, body limit, panics, `X-Request-Id`, request span) with [`configure`]'s routes.
///
/// ```
/// use attractos_reference::{AppState, Options, actix_app};
/// use actix_web::test;
///
/// # #[actix_web::main]
/// # async fn main() {
/// let app = test::init_service(actix_app::app(AppState::new(Options::default()))).await;
/// let request = test::TestRequest::get()
///     .uri("/api/v1/sites")
///     .insert_header(("authorization", "Bearer ak_demo_free"))
///     .to_request();
/// let response = test::call_service(&app, request).await;
/// assert_eq!(response.status(), 200);
/// # }
/// ```
pub fn app(state: AppState) -> App<impl AppFactory> {
    contract_app(contract(state.options()))
        .configure(configure(state))
        .wrap(actix_web::middleware::from_fn(limit_context))
}

/// The contract settings `options` ask for: body limit and deadline, head timeout.
pub fn contract(options: &Options) -> Contract {
    Contract::default()
        .with_body_limit(options.body_limit_bytes())
        .with_body_timeout(options.body_timeout_duration())
        .with_head_timeout(options.head_timeout_duration())
}

/// The routes and the shared state, for `App::configure` on an app that already answers in
/// the contract. Each path is one resource, so a wrong method is a 405 with `Allow`. `GET`
/// routes also answer `HEAD`, as axum's do, so both frameworks allow the same methods.
///
/// actix-web tries resources in the order they are registered, and a resource with a path
/// parameter is a regex match, so the static paths come first and the per-site ones sit in a
/// scope whose plain prefix turns every other path away without running a regex. Registered
/// the other way round, the regexes took a tenth of the server's time under a flood of
/// `POST /api/v1/events` (docs/performance.md).
pub fn configure(state: AppState) -> impl FnOnce(&mut ServiceConfig) {
    move |config| {
        let debug_routes = state.options().debug_routes_enabled();
        config
            .app_data(state.options().proxy_trust_mode())
            .app_data(web::Data::new(state))
            .service(
                web::resource(routes::SITES)
                    .route(web::get().to(sites))
                    .route(web::head().to(sites)),
            )
            .service(web::resource(routes::EVENTS).route(web::post().to(events)))
            .service(
                web::resource(routes::OPENAPI)
                    .route(web::get().to(openapi_json))
                    .route(web::head().to(openapi_json)),
            );
        if debug_routes {
            config
                .service(web::resource(routes::DEBUG_PANIC).route(web::get().to(debug_panic)))
                .service(web::resource(routes::DEBUG_FAIL).route(web::get().to(debug_fail)));
        }
        config.service(
            web::scope(routes::SITES)
                .service(
                    web::resource([site_path(routes::STATS), site_path(routes::STATS_NO_SITE)])
                        .route(web::get().to(stats))
                        .route(web::head().to(stats)),
                )
                .service(
                    web::resource([
                        site_path(routes::TIMESERIES),
                        site_path(routes::TIMESERIES_NO_SITE),
                    ])
                    .route(web::get().to(timeseries))
                    .route(web::head().to(timeseries)),
                ),
        );
    }
}

/// A per-site route's path inside the [`routes::SITES`] scope.
fn site_path(route: &'static str) -> &'static str {
    route
        .strip_prefix(routes::SITES)
        .expect("per-site routes are under the sites path")
}

async fn sites(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated<AppState>,
) -> impl Responder {
    Json(state.sites(&caller))
}

async fn stats(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated<AppState>,
    SiteId(site): SiteId,
    DateRange(range): DateRange,
) -> Result<impl Responder, ApiError> {
    Ok(Json(state.stats(&caller, &site, range)?))
}

async fn timeseries(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated<AppState>,
    SiteId(site): SiteId,
    Query(query): Query<TimeseriesQuery>,
    DateRange(range): DateRange,
) -> Result<impl Responder, ApiError> {
    Ok(Json(state.timeseries(&caller, &site, range, query)?))
}

async fn events(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated<AppState>,
    context: web::ReqData<LimitContext>,
    Json(event): Json<NewEvent>,
) -> Result<impl Responder, ApiError> {
    let receipt = state.record_event(&caller, event, &context).await?;
    Ok((Json(receipt), StatusCode::ACCEPTED))
}

async fn debug_panic(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.panic_on_purpose()
}

async fn debug_fail(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Err(state.fail_on_purpose().into())
}

/// The OpenAPI document, the same bytes as `docs/openapi.json`; no key needed.
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(crate::openapi::json())
}
