//! The glue of `attractos-limits` (feature `limits`): a middleware that gives each request a
//! [`LimitContext`](attractos_limits::LimitContext) with the client's address and writes the
//! RateLimit fields the handler's decisions left in it on the response, success or error.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use attractos_limits::ProxyTrust;

/// The middleware, for `App::wrap(actix_web::middleware::from_fn(limit_context))`. The
/// client is the peer, or the proxy's `X-Forwarded-For` entry only when the app holds
/// `app_data(ProxyTrust::LastXForwardedFor)` (never by default).
///
/// A handler asks the [`Limiter`](attractos_limits::Limiter) with the context's client and
/// leaves the decision's fields in the context; the middleware writes them on the answer,
/// whether the handler answers or fails:
///
/// ```
/// use actix_web::{middleware::from_fn, test, web};
/// use attractos_errors_actix::{ApiError, BearerKey, Contract, contract_app, limit_context, resource};
/// use attractos_limits::{Account, LimitContext, Limiter, Plan, Policies};
///
/// async fn sites(
///     limiter: web::Data<Limiter>,
///     context: web::ReqData<LimitContext>,
///     BearerKey(key): BearerKey,
/// ) -> Result<&'static str, ApiError> {
///     if key != "ak_demo_free" {
///         // Counted against the client's allowance of failed keys: past it, RATE_LIMITED.
///         let refusal = attractos_errors::ApiError::invalid_key();
///         let (answer, fields) = limiter.key_refused(context.client(), refusal).await;
///         context.set_fields(fields);
///         return Err(answer.into());
///     }
///     let account = Account { key: &key, id: "user:1", plan: Plan::Free, event_floor: 0 };
///     let verdict = limiter.admit(context.client(), account).await;
///     context.set_fields(verdict.fields);
///     verdict.outcome?; // RATE_LIMITED, with retry_after and Retry-After
///     Ok("[]")
/// }
///
/// # #[actix_web::main]
/// # async fn main() {
/// let limiter = web::Data::new(Limiter::in_memory(Policies::default()));
/// let app = contract_app(Contract::default())
///     .app_data(limiter)
///     .service(resource("/api/v1/sites").route(web::get().to(sites)))
///     .wrap(from_fn(limit_context));
/// let app = test::init_service(app).await;
/// let request = test::TestRequest::get()
///     .uri("/api/v1/sites")
///     .insert_header(("authorization", "Bearer ak_demo_free"))
///     .to_request();
/// let response = test::call_service(&app, request).await;
/// assert_eq!(response.status(), 200);
/// let state = response.headers().get("ratelimit").unwrap().to_str().unwrap();
/// assert!(state.starts_with(r#""requests";r=19"#));
/// # }
/// ```
pub async fn limit_context(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let trust = request
        .app_data::<ProxyTrust>()
        .copied()
        .unwrap_or_default();
    let peer = request.peer_addr().map(|addr| addr.ip());
    let context = context_for(peer, request.headers(), trust);
    request.extensions_mut().insert(context.clone());
    let mut response = next.call(request).await?;
    write_fields(&context, response.headers_mut());
    Ok(response)
}

attractos_limits::__limit_glue!(actix_web::http::header);
