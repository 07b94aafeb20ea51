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
///
/// A handler asks the [`Limiter`](attractos_limits::Limiter) with the context's client and
/// leaves the decision's fields in the context; the layer writes them on the answer, whether
/// the handler answers or fails:
///
/// ```
/// use std::sync::Arc;
/// use attractos_errors_axum::{ApiError, BearerKey, Contract, ContractExt, LimitContextLayer};
/// use attractos_limits::{Account, LimitContext, Limiter, Plan, Policies, ProxyTrust};
/// use axum::{Extension, Router, body::Body, extract::State, http::Request, routing::get};
/// use tower::ServiceExt;
///
/// async fn sites(
///     State(limiter): State<Arc<Limiter>>,
///     Extension(context): Extension<LimitContext>,
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
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = Router::new()
///     .route("/api/v1/sites", get(sites))
///     .with_state(Arc::new(Limiter::in_memory(Policies::default())))
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

attractos_limits::__limit_glue!(axum::http::header);
