//! The glue of `attractos-limits` (feature `limits`): giving each request a [`LimitContext`]
//! with the client's address and writing the RateLimit fields of the limits' decisions on its
//! answer, success or error ([`ContractRouter::with_limits`], which holds the whole example);
//! and [`Authenticated`], the extractor that takes a request's bearer key through the limits.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use attractos_errors::rules;
use attractos_limits::{ApiKeys, LimitContext, MissingLimitContext, ProxyTrust};
use axum::Router;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::Response;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::{ApiError, ContractRouter};

/// The glue as a layer around each route: what [`ContractRouter::with_limits`] becomes when
/// its router is made a plain one ([`ContractRouter::into_router`]), where nothing runs around
/// the routes but layers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LimitContextLayer {
    trust: ProxyTrust,
}

impl LimitContextLayer {
    /// The layer, believing `X-Forwarded-For` as `trust` says (never, by default).
    pub(crate) fn new(trust: ProxyTrust) -> Self {
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
pub(crate) struct LimitContextService<S> {
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
        let context = enter(&mut request, self.trust);
        LimitContextFuture {
            inner: self.inner.call(request),
            context,
        }
    }
}

/// Puts the request's [`LimitContext`] in its extensions, the client its peer
/// (`ConnectInfo<SocketAddr>`) or the proxy's entry `trust` believes; returns it for the answer.
pub(crate) fn enter<B>(request: &mut http::Request<B>, trust: ProxyTrust) -> LimitContext {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let context = context_for(peer, request.headers(), trust);
    request.extensions_mut().insert(context.clone());
    context
}

pin_project! {
    /// The response future of [`LimitContextService`]: the inner one's answer with the fields.
    pub(crate) struct LimitContextFuture<F> {
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
/// `RATE_LIMITED`; a caller past its rate is `RATE_LIMITED`. The route must be served with
/// the glue, [`ContractRouter::with_limits`] (without it: `SERVER_ERROR`,
/// [`MissingLimitContext`] logged), whose documentation has a whole service. Put it first
/// among a handler's extractors, so that authentication precedes validation. For the event
/// routes: [`attractos_limits::count_event`] with the request's `Extension<LimitContext>`.
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

/// What a [`ContractRouter`] does around its routes besides the contract: the limits' glue
/// when [`ContractRouter::with_limits`] asked for it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Glue {
    limits: Option<ProxyTrust>,
}

/// What [`Glue::enter`] left for the response.
#[derive(Debug, Default)]
pub(crate) struct Entered {
    limits: Option<LimitContext>,
}

impl Glue {
    /// `router` with this glue as a layer around each of its routes.
    pub(crate) fn around<S>(self, router: Router<S>) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        match self.limits {
            Some(trust) => router.layer(LimitContextLayer::new(trust)),
            None => router,
        }
    }

    pub(crate) fn enter<B>(&self, request: &mut http::Request<B>) -> Entered {
        Entered {
            limits: self.limits.map(|trust| enter(request, trust)),
        }
    }
}

impl Entered {
    pub(crate) fn leave(&mut self, response: &mut Response) {
        if let Some(context) = &self.limits {
            write_fields(context, response.headers_mut());
        }
    }
}

impl<S> ContractRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// The limits' glue (feature `limits`) around every request this router serves: each
    /// request gets a [`LimitContext`] for its client, the peer (`ConnectInfo<SocketAddr>`,
    /// which `axum::serve(listener, app)` and [`serve`](crate::serve()) provide) or the proxy's
    /// `X-Forwarded-For` entry only when `trust` says so. Handlers take [`Authenticated`]; the
    /// fields their decisions left in the context are written on the answer, whether the
    /// handler answers or fails.
    ///
    /// The router does it itself, around its routes rather than as a layer on each: axum's
    /// `Router::layer` clones a request's route into a box of its own and polls two more futures,
    /// which cost a limited route nearly as much as its deciding. Made a plain router
    /// ([`into_router`](Self::into_router)), the glue becomes such a layer.
    ///
    /// ```
    /// use attractos_errors::ApiError as Refusal;
    /// use attractos_errors_axum::{Authenticated, Contract, ContractExt};
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
    ///     .with_contract(Contract::default())
    ///     .with_limits(ProxyTrust::PeerOnly);
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
    pub fn with_limits(self, trust: ProxyTrust) -> Self {
        ContractRouter {
            router: self.router,
            glue: Glue {
                limits: Some(trust),
            },
        }
    }
}

attractos_limits::__limit_glue!(axum::http::header);
