//! [`resource`]: `web::resource` routed the way the axum adapter's routes are, so that one
//! service answers the same on both frameworks.

use std::future::{Ready, ready};
use std::panic::{AssertUnwindSafe, catch_unwind};

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, Resource, web};
use attractos_errors::rules;
use futures_util::FutureExt as _;
use futures_util::future::LocalBoxFuture;

use crate::{ApiError, AppFactory};

/// `web::resource(path)` that answers like an axum route with the same path, so register your
/// routes on it with plain `web::get()`, `web::post()`, … :
///
/// - **A panicking handler is answered here**, with the contract's `SERVER_ERROR` and the
///   request, so middleware you `wrap` on the app (a CORS middleware, a logger) gets an
///   answer like any other: [`contract_app`](crate::contract_app) alone can only hand them an
///   `Err`, which actix-cors 0.7.1 passes on without its headers.
/// - **`HEAD` is answered by the `GET` route** (actix-web's HTTP/1 server then sends its
///   headers and `Content-Length`, no body, as hyper does for axum), and a
///   `METHOD_NOT_ALLOWED` lists `HEAD` after `GET` in `Allow` (`Allow: GET,HEAD`). actix-web
///   alone answers `HEAD` on a `web::get()` route with 405 `Allow: GET`. Register no `HEAD`
///   route of your own on it.
/// - **A path parameter matches an empty segment**: `{siteId}` is registered as
///   `{siteId:[^/]*}`, so `/api/v1/sites//stats` reaches the handler and
///   [`SiteId`](crate::SiteId) answers `MISSING_SITE_ID` (actix-web alone answers `NOT_FOUND`).
///   Parameters with their own pattern (`{id:\d+}`) and tails (`{tail}*`) are kept as written.
///
/// ```
/// use actix_web::{HttpResponse, test, web};
/// use attractos_errors_actix::{Contract, SiteId, contract_app, resource};
///
/// async fn stats(SiteId(site): SiteId) -> HttpResponse {
///     HttpResponse::Ok().body(site)
/// }
///
/// # #[actix_web::main]
/// # async fn main() {
/// let app = test::init_service(
///     contract_app(Contract::default())
///         .service(resource("/api/v1/sites/{siteId}/stats").route(web::get().to(stats))),
/// )
/// .await;
/// let head = test::TestRequest::default().method(actix_web::http::Method::HEAD);
/// let response = test::call_service(&app, head.uri("/api/v1/sites/demo/stats").to_request()).await;
/// assert_eq!(response.status(), 200);
/// let delete = test::TestRequest::delete().uri("/api/v1/sites/demo/stats").to_request();
/// let response = test::call_service(&app, delete).await;
/// assert_eq!(response.headers().get("allow").unwrap(), "GET,HEAD");
/// let empty = test::TestRequest::get().uri("/api/v1/sites//stats").to_request();
/// assert_eq!(test::call_service(&app, empty).await.status(), 400); // MISSING_SITE_ID
/// # }
/// ```
pub fn resource(path: &str) -> Resource<impl AppFactory<Body = BoxBody>> {
    web::resource(empty_segments_match(path)).wrap(GetAnswersHead)
}

/// `path` with every plain `{name}` parameter written `{name:[^/]*}` (actix-web's `{name}` is
/// `[^/]+`).
fn empty_segments_match(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 16);
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|close| open + close) else {
            break;
        };
        let name = &rest[open + 1..close];
        out.push_str(&rest[..=open]);
        out.push_str(name);
        let is_tail = rest[close + 1..].starts_with('*');
        if !name.contains(':') && !is_tail {
            out.push_str(":[^/]*");
        }
        out.push('}');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The resource middleware of [`resource`]: `HEAD` routed as `GET`; panics and errors
/// answered with the request.
struct GetAnswersHead;

impl<S> Transform<S, ServiceRequest> for GetAnswersHead
where
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>
        + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Transform = GetAnswersHeadService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(GetAnswersHeadService { service }))
    }
}

struct GetAnswersHeadService<S> {
    service: S,
}

impl<S> Service<ServiceRequest> for GetAnswersHeadService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>
        + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        if req.method() == Method::HEAD {
            req.head_mut().method = Method::GET;
        }
        // Shared from here on: routing and the resource's app data (added outside this
        // middleware) are done, and they are what needs the request unshared.
        let request = req.request().clone();
        let called = catch_unwind(AssertUnwindSafe(|| self.service.call(req)));
        Box::pin(async move {
            let outcome = match called {
                Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
                Err(panic) => Err(panic),
            };
            let mut res = match outcome {
                Ok(Ok(res)) => res,
                Ok(Err(err)) => ServiceResponse::from_err(err, request),
                Err(panic) => {
                    // Rendered (and logged) as any handler error, inside the request's span.
                    let err = ApiError(rules::panic(&*panic));
                    ServiceResponse::new(request, HttpResponse::from_error(err))
                }
            };
            if res.status() == StatusCode::METHOD_NOT_ALLOWED {
                let listed = res.headers().get(ALLOW).and_then(|v| v.to_str().ok());
                if let Some(allow) = listed.map(|listed| rules::allow(listed, true)) {
                    if let Ok(allow) = HeaderValue::try_from(allow) {
                        res.headers_mut().insert(ALLOW, allow);
                    }
                }
            }
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_parameters_match_empty_segments_and_the_others_are_kept() {
        assert_eq!(
            empty_segments_match("/api/v1/sites/{siteId}/stats"),
            "/api/v1/sites/{siteId:[^/]*}/stats"
        );
        assert_eq!(
            empty_segments_match(r"/a/{id:\d+}/{tail}*"),
            r"/a/{id:\d+}/{tail}*"
        );
        assert_eq!(empty_segments_match("/static"), "/static");
        assert_eq!(empty_segments_match("/{a}{b}"), "/{a:[^/]*}{b:[^/]*}");
    }
}
