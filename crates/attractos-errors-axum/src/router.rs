//! [`ContractRouter`]: what [`with_contract`](crate::ContractExt::with_contract) returns, a
//! [`Router`] that can take no more routes.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{IntoMakeService, Route, future::RouteFuture};
use axum::serve::{IncomingStream, Listener};
use bytes::Bytes;
use tower::{Layer, Service};

/// A [`Router`] under the contract. It has no `route`, `nest`, `merge` or `fallback`: the
/// contract wraps the routes a router has when [`with_contract`](crate::ContractExt::with_contract)
/// is called, so a route added later would answer outside it, and the compiler now says so.
///
/// What is left is what comes after the contract: [`layer`](Self::layer) for the layers that
/// must see every answer (CORS, compression), [`with_state`](Self::with_state), and serving: it
/// is a tower [`Service`] (so `oneshot` works in tests), `axum::serve` and [`serve`](crate::serve)
/// take it as they take a [`Router`], and give each request the peer's address
/// ([`ConnectionRouter`]).
///
/// To mount it inside a larger router, [`into_router`](Self::into_router) (or `Router::from`)
/// gives the plain [`Router`] back; routes added to that one answer outside the contract.
///
/// ```compile_fail
/// use attractos_errors_axum::{Contract, ContractExt};
/// use axum::{Router, routing::get};
///
/// let app = Router::new()
///     .route("/a", get(|| async { "a" }))
///     .with_contract(Contract::default())
///     .route("/b", get(|| async { "b" })); // `/b` would answer outside the contract
/// ```
#[derive(Debug, Clone)]
#[must_use = "a router does nothing until it is served"]
pub struct ContractRouter<S = ()> {
    router: Router<S>,
    glue: Glue,
}

impl<S> ContractRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    pub(crate) fn new(router: Router<S>) -> Self {
        ContractRouter {
            router,
            glue: Glue::default(),
        }
    }

    /// Wraps everything, the contract's own answers included: see [`Router::layer`].
    pub fn layer<L>(self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        ContractRouter {
            router: self.router.layer(layer),
            glue: self.glue,
        }
    }

    /// Provides the state the routes need: see [`Router::with_state`].
    pub fn with_state<S2>(self, state: S) -> ContractRouter<S2> {
        ContractRouter {
            router: self.router.with_state(state),
            glue: self.glue,
        }
    }

    /// The plain [`Router`], to mount inside another; routes added to it are not in the contract.
    /// The glue of `with_limits` (feature `limits`) comes along as a layer around every route.
    pub fn into_router(self) -> Router<S> {
        self.glue.around(self.router)
    }
}

impl ContractRouter {
    /// For `axum::serve` and hyper: see [`Router::into_make_service`]. Without the peer's
    /// address, which `axum::serve(listener, app)` gives: the limits' glue then counts every
    /// client as one.
    pub fn into_make_service(self) -> IntoMakeService<Router> {
        self.into_router().into_make_service()
    }

    /// For `axum::serve` with the peer's address: see [`Router::into_make_service_with_connect_info`].
    pub fn into_make_service_with_connect_info<C>(
        self,
    ) -> IntoMakeServiceWithConnectInfo<Router, C> {
        self.into_router().into_make_service_with_connect_info()
    }
}

impl<S> From<ContractRouter<S>> for Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn from(router: ContractRouter<S>) -> Self {
        router.into_router()
    }
}

/// For `axum::serve(listener, app)`, like [`Router`], and with the peer's address: each
/// connection is served by a [`ConnectionRouter`].
impl<L> Service<IncomingStream<'_, L>> for ContractRouter
where
    L: Listener,
    L::Addr: 'static,
{
    type Response = ConnectionRouter;
    type Error = Infallible;
    type Future = std::future::Ready<Result<ConnectionRouter, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'_, L>) -> Self::Future {
        // A TCP listener's address type is `SocketAddr`; others (Unix sockets) have no IP.
        let peer = (stream.remote_addr() as &dyn Any).downcast_ref::<SocketAddr>();
        std::future::ready(Ok(ConnectionRouter::new(self.clone(), peer.copied())))
    }
}

/// A [`ContractRouter`] serving one connection: it puts the peer's address, when it is an IP
/// socket address, in each request's extensions as `ConnectInfo<SocketAddr>`, as
/// `into_make_service_with_connect_info` would. So `axum::serve(listener, app)` and
/// [`serve`](crate::serve) count clients by address in the limits' glue
/// (`with_limits`, feature `limits`; without the address every client would
/// be one, and one guesser would spend every client's failed-key allowance) and serve
/// `ConnectInfo` extractors, with no more setup.
#[derive(Debug, Clone)]
pub struct ConnectionRouter {
    app: ContractRouter,
    peer: Option<SocketAddr>,
}

impl ConnectionRouter {
    pub(crate) fn new(app: ContractRouter, peer: Option<SocketAddr>) -> Self {
        ConnectionRouter { app, peer }
    }
}

impl Service<Request> for ConnectionRouter {
    type Response = Response;
    type Error = Infallible;
    type Future = RouterFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<Request>::poll_ready(&mut self.app, cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if let Some(peer) = self.peer {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        self.app.call(request)
    }
}

impl<B> Service<http::Request<B>> for ContractRouter
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RouterFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<http::Request<B>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let entered = self.glue.enter(&mut request);
        RouterFuture {
            inner: self.router.call(request),
            entered,
        }
    }
}

/// The response future of [`ContractRouter`] and [`ConnectionRouter`]: the route's answer,
/// with what the router's glue adds to it (the RateLimit fields, under `with_limits`).
pub struct RouterFuture {
    inner: RouteFuture<Infallible>,
    entered: Entered,
}

impl std::fmt::Debug for RouterFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterFuture").finish_non_exhaustive()
    }
}

impl Future for RouterFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut response = std::task::ready!(Pin::new(&mut this.inner).poll(cx))?;
        this.entered.leave(&mut response);
        Poll::Ready(Ok(response))
    }
}

/// What a [`ContractRouter`] does around its routes besides the contract: with the feature
/// `limits`, the limits' glue when `with_limits` asked for it.
#[derive(Debug, Clone, Copy, Default)]
struct Glue {
    #[cfg(feature = "limits")]
    limits: Option<attractos_limits::ProxyTrust>,
}

/// What [`Glue::enter`] left for the response.
#[derive(Debug, Default)]
struct Entered {
    #[cfg(feature = "limits")]
    limits: Option<attractos_limits::LimitContext>,
}

#[cfg(not(feature = "limits"))]
impl Glue {
    fn around<S>(self, router: Router<S>) -> Router<S> {
        router
    }

    fn enter<B>(&self, _request: &mut http::Request<B>) -> Entered {
        Entered {}
    }
}

#[cfg(not(feature = "limits"))]
impl Entered {
    fn leave(&mut self, _response: &mut Response) {}
}

#[cfg(feature = "limits")]
impl Glue {
    /// `router` with this glue as a layer around each of its routes.
    fn around<S>(self, router: Router<S>) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        match self.limits {
            Some(trust) => router.layer(crate::limits::LimitContextLayer::new(trust)),
            None => router,
        }
    }

    fn enter<B>(&self, request: &mut http::Request<B>) -> Entered {
        Entered {
            limits: self
                .limits
                .map(|trust| crate::limits::enter(request, trust)),
        }
    }
}

#[cfg(feature = "limits")]
impl Entered {
    fn leave(&mut self, response: &mut Response) {
        if let Some(context) = &self.limits {
            crate::limits::leave(context, response);
        }
    }
}

#[cfg(feature = "limits")]
impl<S> ContractRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// The limits' glue (feature `limits`) around every request this router serves: each request
    /// gets a [`LimitContext`](attractos_limits::LimitContext) for its client, the peer
    /// (`ConnectInfo<SocketAddr>`, which `axum::serve(listener, app)` and [`serve`](crate::serve)
    /// provide) or the proxy's `X-Forwarded-For` entry only when `trust` says so. Handlers take
    /// [`Authenticated`](crate::Authenticated); the fields their decisions left in the context are
    /// written on the answer, whether the handler answers or fails.
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
    pub fn with_limits(self, trust: attractos_limits::ProxyTrust) -> Self {
        ContractRouter {
            router: self.router,
            glue: Glue {
                limits: Some(trust),
            },
        }
    }
}
