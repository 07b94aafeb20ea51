//! [`ContractRouter`]: what [`with_contract`](crate::ContractExt::with_contract) returns, a
//! [`Router`] that can take no more routes.

use std::any::Any;
use std::convert::Infallible;
use std::net::SocketAddr;
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
pub struct ContractRouter<S = ()>(Router<S>);

impl<S> ContractRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    pub(crate) fn new(router: Router<S>) -> Self {
        ContractRouter(router)
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
        ContractRouter(self.0.layer(layer))
    }

    /// Provides the state the routes need: see [`Router::with_state`].
    pub fn with_state<S2>(self, state: S) -> ContractRouter<S2> {
        ContractRouter(self.0.with_state(state))
    }

    /// The plain [`Router`], to mount inside another; routes added to it are not in the contract.
    pub fn into_router(self) -> Router<S> {
        self.0
    }
}

impl ContractRouter {
    /// For `axum::serve` and hyper: see [`Router::into_make_service`]. Without the peer's
    /// address, which `axum::serve(listener, app)` gives: the limits' glue then counts every
    /// client as one.
    pub fn into_make_service(self) -> IntoMakeService<Router> {
        self.0.into_make_service()
    }

    /// For `axum::serve` with the peer's address: see [`Router::into_make_service_with_connect_info`].
    pub fn into_make_service_with_connect_info<C>(
        self,
    ) -> IntoMakeServiceWithConnectInfo<Router, C> {
        self.0.into_make_service_with_connect_info()
    }
}

impl<S> From<ContractRouter<S>> for Router<S> {
    fn from(router: ContractRouter<S>) -> Self {
        router.0
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
        std::future::ready(Ok(ConnectionRouter::new(self.0.clone(), peer.copied())))
    }
}

/// A [`ContractRouter`] serving one connection: it puts the peer's address, when it is an IP
/// socket address, in each request's extensions as `ConnectInfo<SocketAddr>`, as
/// `into_make_service_with_connect_info` would. So `axum::serve(listener, app)` and
/// [`serve`](crate::serve) count clients by address in the limits' glue
/// (`LimitContextLayer`, feature `limits`; without the address every client would
/// be one, and one guesser would spend every client's failed-key allowance) and serve
/// `ConnectInfo` extractors, with no more setup.
#[derive(Debug, Clone)]
pub struct ConnectionRouter {
    router: Router,
    peer: Option<SocketAddr>,
}

impl ConnectionRouter {
    /// `router` is a [`ContractRouter`]'s.
    pub(crate) fn new(router: Router, peer: Option<SocketAddr>) -> Self {
        ConnectionRouter { router, peer }
    }
}

impl Service<Request> for ConnectionRouter {
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<Infallible>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<Request>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        if let Some(peer) = self.peer {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        self.router.call(request)
    }
}

impl<B> Service<http::Request<B>> for ContractRouter
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<Infallible>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<http::Request<B>>::poll_ready(&mut self.0, cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        self.0.call(request)
    }
}
