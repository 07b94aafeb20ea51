//! The glue of `attractos-limits` (feature `limits`): a layer that gives each request a
//! [`LimitContext`] with the client's address and writes the RateLimit fields of the limits'
//! decisions on the response, success or error; and [`Authenticated`], the extractor that
//! takes a request's bearer key through the limits.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use attractos_errors::rules;
use attractos_limits::{ApiKeys, LimitContext, MissingLimitContext, ProxyTrust};
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::Response;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::ApiError;

/// The layer, for `Router::layer(LimitContextLayer::new(trust))` (a hand-written service, not
/// `middleware::from_fn`: it is on every request of a limited route). The client is the peer
/// (`ConnectInfo<SocketAddr>`, which `axum::serve(listener, app)` on a
/// [`ContractRouter`](crate::ContractRouter), [`serve`](crate::serve) and
/// `into_make_service_with_connect_info` provide), or the proxy's `X-Forwarded-For` entry only
/// when `trust` says so. Handlers take [`Authenticated`]; the layer writes the fields its
/// decisions left in the context on the answer, whether the handler answers or fails:
///
/// ```
/// use attractos_errors::ApiError as Refusal;
/// use attractos_errors_axum::{Authenticated, Contract, ContractExt, LimitContextLayer};
/// use attractos_limits::{Account, ApiKeys, Limiter, Plan, Policies, ProxyTrust};
/// use axum::{Router, body::Body, http::Request, routing::get};
/// use std::sync::Arc;
/// use tower::ServiceExt;
///
/// /// The service's keys (here one), on its state.
/// #[derive(Clone)]
/// struct Keys(Arc<Limiter>);
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
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = Router::new()
///     .route("/api/v1/sites", get(sites))
///     .with_state(Keys(Arc::new(Limiter::in_memory(Policies::default()))))
///     .layer(LimitContextLayer::new(ProxyTrust::PeerOnly))
///     .with_contract(Contract::default());
/// // Served with `axum::serve(listener, app)`, each request has its peer's address.
/// let request = Request::get("/api/v1/sites")
///     .header("authorization", "Bearer ak_demo_free")
///     .body(Body::empty())
///     .unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// assert!(response.headers()["ratelimit"].to_str().unwrap().starts_with(r#""requests";r=19"#));
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitContextLayer {
    trust: ProxyTrust,
}

impl LimitContextLayer {
    /// The layer, believing `X-Forwarded-For` as `trust` says (never, by default).
    pub fn new(trust: ProxyTrust) -> Self {
        LimitContextLayer { trust }
    }
}

impl<S> Layer<S> for LimitContextLayer {
    type Service = LimitContextService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LimitContextService {
            inner,
            trust: self.trust,
        }
    }
}

/// The service of [`LimitContextLayer`].
#[derive(Debug, Clone)]
pub struct LimitContextService<S> {
    inner: S,
    trust: ProxyTrust,
}

impl<S> Service<Request> for LimitContextService<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = LimitContextFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let context = context_for(peer, request.headers(), self.trust);
        request.extensions_mut().insert(context.clone());
        LimitContextFuture {
            inner: self.inner.call(request),
            context,
        }
    }
}

pin_project! {
    /// The response future of [`LimitContextService`]: the inner one's answer with the fields.
    pub struct LimitContextFuture<F> {
        #[pin]
        inner: F,
        context: LimitContext,
    }
}

impl<F, E> Future for LimitContextFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        write_fields(this.context, response.headers_mut());
        Poll::Ready(Ok(response))
    }
}

/// The caller of a request, authenticated by its `Authorization: Bearer` key and admitted by
/// the limits ([`attractos_limits::authenticate`]) with the app's [`ApiKeys`] (the state, or
/// a part of it through `FromRef`). A refused key is the refusal (`MISSING_KEY`,
/// `INVALID_KEY`, `USER_NOT_FOUND`) counted against the client's address, past its allowance
/// `RATE_LIMITED`; a caller past its rate is `RATE_LIMITED`. The route must be inside a
/// [`LimitContextLayer`] (without it: `SERVER_ERROR`, [`MissingLimitContext`] logged), whose
/// documentation has a whole service. Put it first among a handler's extractors, so that
/// authentication precedes validation. For the event routes: [`attractos_limits::count_event`]
/// with the request's `Extension<LimitContext>`.
#[derive(Debug)]
pub struct Authenticated<K: ApiKeys>(pub K::Caller);

impl<S, K> FromRequestParts<S> for Authenticated<K>
where
    S: Send + Sync,
    K: ApiKeys + FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Some(context) = parts.extensions.get::<LimitContext>() else {
            return Err(attractos_errors::ApiError::internal(MissingLimitContext).into());
        };
        let values = parts.headers.get_all(AUTHORIZATION).iter();
        let key = rules::bearer_key(values.map(HeaderValue::as_bytes));
        let keys = K::from_ref(state);
        let caller = attractos_limits::authenticate(&keys, key, context).await?;
        Ok(Authenticated(caller))
    }
}

attractos_limits::__limit_glue!(axum::http::header);
