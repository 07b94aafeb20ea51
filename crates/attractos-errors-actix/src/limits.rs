//! The glue of `attractos-limits` (feature `limits`): a middleware that gives each request a
//! [`LimitContext`] with the client's address and writes the RateLimit fields of the limits'
//! decisions on the response, success or error; and [`Authenticated`], the extractor that
//! takes a request's bearer key through the limits.

use std::any::type_name;
use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use attractos_errors::rules;
use attractos_limits::{LimitContext, LocalApiKeys, MissingLimitContext, ProxyTrust};
use futures_util::future::LocalBoxFuture;

use crate::ApiError;

/// The middleware, for `App::wrap(actix_web::middleware::from_fn(limit_context))`. The
/// client is the peer, or the proxy's `X-Forwarded-For` entry only when the app holds
/// `app_data(ProxyTrust::LastXForwardedFor)` (never by default). Handlers take
/// [`Authenticated`]; the middleware writes the fields its decisions left in the context on
/// the answer, whether the handler answers or fails:
///
/// ```
/// use actix_web::{middleware::from_fn, test, web};
/// use attractos_errors::ApiError as Refusal;
/// use attractos_errors_actix::{Authenticated, Contract, contract_app, limit_context, resource};
/// use attractos_limits::{Account, ApiKeys, Limiter, Plan, Policies};
///
/// /// The service's keys (here one), registered as `web::Data`.
/// struct Keys(Limiter);
///
/// impl ApiKeys for Keys {
///     type Caller = String;
///     fn limiter(&self) -> &Limiter {
///         &self.0
///     }
///     async fn resolve(&self, key: &str) -> Result<String, Refusal> {
///         // A refused key counts against the client's allowance: past it, RATE_LIMITED.
///         (key == "ak_demo_free").then(|| key.to_owned()).ok_or_else(Refusal::invalid_key)
///     }
///     fn account<'a>(&'a self, key: &'a String) -> Account<'a> {
///         Account { key, id: "user:1", plan: Plan::Free, event_floor: 0 }
///     }
/// }
///
/// // Past the key's rate: RATE_LIMITED, with retry_after and Retry-After.
/// async fn sites(Authenticated(_caller): Authenticated<Keys>) -> &'static str {
///     "[]"
/// }
///
/// # #[actix_web::main]
/// # async fn main() {
/// let keys = web::Data::new(Keys(Limiter::in_memory(Policies::default())));
/// let app = contract_app(Contract::default())
///     .app_data(keys)
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

/// The caller of a request, authenticated by its `Authorization: Bearer` key and admitted by
/// the limits ([`attractos_limits::authenticate`]) with the app's keys, registered as
/// `web::Data<K>`: any `attractos_limits::ApiKeys`, or [`LocalApiKeys`] where the lookup is not
/// `Send` (actix-web keeps a request on its worker). A refused key is the refusal
/// (`MISSING_KEY`, `INVALID_KEY`, `USER_NOT_FOUND`) counted against the client's address, past
/// its allowance `RATE_LIMITED`; a caller past its rate is `RATE_LIMITED`. The route must be inside the
/// [`limit_context`] middleware (without it: `SERVER_ERROR`, [`MissingLimitContext`] logged),
/// whose documentation has a whole service. Put it first among a handler's extractors, so that
/// authentication precedes validation. For the event routes: [`attractos_limits::count_event`]
/// with the request's `web::ReqData<LimitContext>`.
#[derive(Debug)]
pub struct Authenticated<K: LocalApiKeys>(pub K::Caller);

/// An [`Authenticated`] route on an app without the `web::Data` of its keys.
#[derive(Debug)]
struct MissingApiKeys(&'static str);

impl fmt::Display for MissingApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no web::Data<{}> on the actix-web app: register the service's ApiKeys with app_data",
            self.0
        )
    }
}

impl std::error::Error for MissingApiKeys {}

impl<K: LocalApiKeys + 'static> FromRequest for Authenticated<K> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            use attractos_errors::ApiError as Core;
            let Some(context) = req.extensions().get::<LimitContext>().cloned() else {
                return Err(Core::internal(MissingLimitContext).into());
            };
            let Some(keys) = req.app_data::<web::Data<K>>() else {
                return Err(Core::internal(MissingApiKeys(type_name::<K>())).into());
            };
            let values = req.headers().get_all(AUTHORIZATION);
            let key = rules::bearer_key(values.map(HeaderValue::as_bytes));
            let caller = attractos_limits::authenticate(keys.get_ref(), key, &context).await?;
            Ok(Authenticated(caller))
        })
    }
}

attractos_limits::__limit_glue!(actix_web::http::header);
