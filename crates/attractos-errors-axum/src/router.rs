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

#[cfg(feature = "limits")]
use crate::limits::{Entered, Glue};
#[cfg(not(feature = "limits"))]
use unlimited::{Entered, Glue};

/// A [`Router`] under the contract. It has no `route`, `nest`, `merge` or `fallback`: the
/// contract wraps the routes a router has when [`with_contract`](crate::ContractExt::with_contract)
/// is called, so a route added later would answer outside it, and the compiler now says so.
///
/// What is left is what comes after the contract: [`layer`](Self::layer) for the layers that
/// must see every answer (CORS, compression), [`with_state`](Self::with_state), and serving: it
/// is a tower [`Service`] (so `oneshot` works in tests), `axum::serve` and [`serve`](crate::serve())
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
    pub(crate) router: Router<S>,
    pub(crate) glue: Glue,
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
        // With the state given, each handler becomes its route with its layers (the
        // contract's) on the first connection, not again on each request (axum's own `Router`
        // does it once a connection); later connections find the routes made.
        self.router = std::mem::take(&mut self.router).with_state(());
        std::future::ready(Ok(ConnectionRouter::new(self.clone(), peer.copied())))
    }
}

/// A [`ContractRouter`] serving one connection: it puts the peer's address, when it is an IP
/// socket address, in each request's extensions as `ConnectInfo<SocketAddr>`, as
/// `into_make_service_with_connect_info` would. So `axum::serve(listener, app)` and
/// [`serve`](crate::serve()) count clients by address in the limits' glue
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

/// What a [`ContractRouter`] does around its routes besides the contract: nothing without the
/// feature `limits` (with it, `crate::limits::Glue`).
#[cfg(not(feature = "limits"))]
mod unlimited {
    use axum::Router;
    use axum::response::Response;

    #[derive(Debug, Clone, Copy, Default)]
    pub(crate) struct Glue;

    /// What [`Glue::enter`] left for the response.
    #[derive(Debug, Default)]
    pub(crate) struct Entered;

    impl Glue {
        pub(crate) fn around<S>(self, router: Router<S>) -> Router<S> {
            router
        }

        pub(crate) fn enter<B>(&self, _request: &mut http::Request<B>) -> Entered {
            Entered
        }
    }

    impl Entered {
        pub(crate) fn leave(&mut self, _response: &mut Response) {}
    }
}
