//! The same service on actix-web, its routes on the adapter's `resource` (HEAD, `Allow` and
//! empty segments as on axum), the way the adapter's docs register them.

use actix_web::body::BoxBody;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, Resource, Responder, web};
use attractos_errors_actix::{
    ApiError, AppFactory, Authenticated, BearerKey, Contract, DateRange, Json, Query, SiteId,
    contract_app, limit_context, resource,
};
use attractos_limits::LimitContext;

use crate::service::limited::{self, WorkerKeys};
use crate::service::other_layers::{OWN_JSON, PLAIN, TEXT, THROTTLED};
use crate::service::{self, handlers_on_the_adapter};

handlers_on_the_adapter!();

async fn code(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Err(service::code(&name).into())
}

async fn teapot() -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::IM_A_TEAPOT)
        .content_type("text/plain")
        .body(service::TEAPOT)
}

async fn throttled() -> HttpResponse {
    let (body, retry_after) = THROTTLED;
    HttpResponse::TooManyRequests()
        .insert_header(("retry-after", retry_after))
        .content_type(TEXT)
        .body(body)
}

async fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized().finish()
}

async fn own_json() -> HttpResponse {
    let json = "application/json";
    HttpResponse::Conflict().content_type(json).body(OWN_JSON)
}

async fn plain() -> HttpResponse {
    HttpResponse::Created().content_type(TEXT).body(PLAIN)
}

/// A resource answering GET (and HEAD, `Allow`, empty segments) as axum's `get` does: the
/// adapter's documented [`resource`].
fn get<F, Args>(path: &str, handler: F) -> Resource<impl AppFactory<Body = BoxBody>>
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: Responder + 'static,
{
    resource(path).route(web::get().to(handler))
}

async fn limited_sites(Authenticated(user): Authenticated<WorkerKeys>) -> String {
    format!("the sites of {user}")
}

async fn limited_event(
    keys: web::Data<WorkerKeys>,
    Authenticated(user): Authenticated<WorkerKeys>,
    context: web::ReqData<LimitContext>,
) -> Result<String, ApiError> {
    let quota = attractos_limits::count_event(keys.get_ref(), &user, &context).await?;
    Ok(limited::counted(quota))
}

/// The service's routes.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(get("/api/v1/sites/{siteId}/stats", stats))
        .service(get("/api/v1/no-site", no_site))
        .service(get("/api/v1/timeseries", timeseries))
        .service(resource("/api/v1/events").route(web::post().to(events)))
        .service(get("/codes/{code}", code))
        .service(get("/custom", custom))
        .service(get("/internal", internal))
        .service(get("/cause", cause))
        .service(get("/teapot", teapot))
        .service(get("/throttled", throttled))
        .service(get("/unauthorized", unauthorized))
        .service(get("/own-json", own_json))
        .service(get("/plain", plain))
        .service(get("/panic", boom))
        .service(get("/panic/formatted", boom_formatted))
        .service(get("/panic/any", boom_any))
        // The limited routes ([`service::limited`]), their keys' lookup not `Send`.
        .app_data(web::Data::new(WorkerKeys::default()))
        .service(get("/limited/sites", limited_sites))
        .service(resource("/limited/events").route(web::post().to(limited_event)));
}

/// The test service on actix-web under `contract`, with the limits' glue.
pub fn app(contract: Contract) -> App<impl AppFactory> {
    app_without_limit_glue(contract).wrap(from_fn(limit_context))
}

/// The test service on actix-web under `contract`, its limited routes outside the limits'
/// glue (a misconfiguration).
pub fn app_without_limit_glue(contract: Contract) -> App<impl AppFactory> {
    contract_app(contract).configure(routes)
}
