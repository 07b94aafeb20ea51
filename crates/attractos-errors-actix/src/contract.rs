//! [`contract_app`]: one call that returns an [`App`] answering in the contract, including
//! actix-web's own failures.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::web::{self, FormConfig, JsonConfig, PathConfig, PayloadConfig, QueryConfig};
use actix_web::{App, HttpRequest, HttpResponse};
use attractos_errors::Contract;

use crate::ApiError;
use crate::extract::body_limit;
use crate::framework;
use crate::middleware::ContractMiddleware;

/// The service factory inside an actix-web [`App`] (or a `Resource`): actix-web's
/// `ServiceFactory` with the bounds every app has, under one name, so a function returning an
/// app writes `App<impl AppFactory>`, as [`contract_app`] does.
///
/// ```
/// use actix_web::{App, web};
/// use attractos_errors_actix::{AppFactory, Contract, contract_app, resource};
///
/// fn my_app() -> App<impl AppFactory> {
///     contract_app(Contract::default())
///         .service(resource("/health").route(web::get().to(|| async { "ok" })))
/// }
/// # let _ = my_app();
/// ```
pub trait AppFactory:
    ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<Self::Body>,
        Error = actix_web::Error,
        InitError = (),
    >
{
    /// The body of the responses.
    type Body: MessageBody;
}

impl<T, B: MessageBody> AppFactory for T
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        >,
{
    type Body = B;
}

/// An [`App`] that answers in the contract: add your routes and services to it as usual.
///
/// - Unknown path: `NOT_FOUND` (the app's default service; do not replace it with
///   `default_service`, or the middleware can only convert your default's answer by status).
/// - Known path, wrong method: `METHOD_NOT_ALLOWED`. Register a path's methods on one
///   [`resource`](crate::resource()), `resource(path).route(web::get().to(..))`, and the answer
///   also carries `Allow` as axum writes it (`GET,HEAD`: the resource answers `HEAD` with its
///   `GET` route). With `App::route` each method is its own resource behind a method guard, so
///   actix-web cannot tell the methods; the answer is still `METHOD_NOT_ALLOWED`, without
///   `Allow`.
/// - `Content-Length` over [`Contract::body_limit`]: `PAYLOAD_TOO_LARGE` before any handler
///   runs; [`Json`](crate::Json) and actix-web's `JsonConfig`, `FormConfig` and
///   `PayloadConfig` (registered here with the same limit) enforce it while reading a body
///   that has no length.
/// - actix-web's own extractors answer like this crate's: `web::Json` failures as
///   [`Json`](crate::Json) does (the same messages), `web::Query` as [`Query`](crate::Query),
///   `web::Path` that does not parse as `NOT_FOUND`, `web::Form` as `INVALID_JSON` or
///   `PAYLOAD_TOO_LARGE`.
/// - A body that has not arrived [`Contract::body_timeout`] after a handler started reading
///   it: `INVALID_JSON` with the deadline in its message ([`attractos_errors::rules::body_timed_out`]), from
///   [`Json`](crate::Json) and from actix-web's own body extractors alike.
/// - A panicking handler: `SERVER_ERROR`, the panic message logged, the worker serving on.
/// - Any other error (status >= 400) that is not JSON, from a handler's
///   `actix_web::error::ErrorBadRequest(..)`, a scope's middleware or a third-party crate:
///   converted with [`attractos_errors::rules::from_answer`]; actix-web's text never reaches the client.
/// - Every response carries `X-Request-Id` (the client's when [`Contract::request_id`] accepts
///   it, else a new UUID v4), and every
///   request runs in a tracing span `request` with a `request_id` field, so each error's log
///   line names the request.
///
/// Being the `App` you start from, it cannot be added in the wrong place: middleware you `wrap`
/// on the returned app runs outside the contract's, whatever the order of your `service` and
/// `wrap` calls, so a CORS middleware wrapped on it sees every answer, the contract's own
/// 404, 405 and 413 included. It sees them already converted, except that a handler panic on
/// a route not registered with [`resource`](crate::resource()) and an inner middleware's `Err`
/// arrive as an `Err` whose `error_response()` is the contract response (actix-web gives a
/// middleware no request to build a response with once the inner service has taken it).
pub fn contract_app(contract: Contract) -> App<impl AppFactory> {
    let limit = contract.body_limit();
    App::new()
        .app_data(contract.clone())
        .app_data(
            JsonConfig::default()
                .limit(limit)
                .error_handler(|err, req| ApiError(framework::json(&err, body_limit(req))).into()),
        )
        .app_data(
            FormConfig::default()
                .limit(limit)
                .error_handler(|err, req| ApiError(framework::form(&err, body_limit(req))).into()),
        )
        .app_data(
            QueryConfig::default()
                .error_handler(|err, _req| ApiError(framework::query(&err)).into()),
        )
        .app_data(
            PathConfig::default().error_handler(|err, _req| ApiError(framework::path(&err)).into()),
        )
        .app_data(PayloadConfig::new(limit))
        .default_service(web::to(no_route))
        .wrap(ContractMiddleware::new(contract))
}

/// The app's default service: no resource took the request. If a resource's pattern matches
/// the path, its guards refused the method (`App::route` puts the method guard on the
/// resource): `METHOD_NOT_ALLOWED`; else `NOT_FOUND`.
async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if req.resource_map().has_resource(req.match_info().as_str()) {
        Err(ApiError::method_not_allowed())
    } else {
        Err(ApiError::not_found())
    }
}
