//! The glue of `attractos-limits` (feature `limits`): a layer that gives each request a
//! [`LimitContext`](attractos_limits::LimitContext) with the client's address and writes the
//! RateLimit fields the handler's decisions left in it on the response, success or error.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use attractos_limits::{LimitContext, ProxyTrust};
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

/// The layer, for `Router::layer(LimitContextLayer::new(trust))` (a hand-written service, not
/// `middleware::from_fn`: it is on every request of a limited route). The client is the peer
/// (`ConnectInfo<SocketAddr>`, which `axum::serve(listener, app)` on a
/// [`ContractRouter`](crate::ContractRouter), [`serve`](crate::serve) and
/// `into_make_service_with_connect_info` provide), or the proxy's `X-Forwarded-For` entry only
/// when `trust` says so.
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

attractos_limits::__limit_glue!(axum::http::header);
