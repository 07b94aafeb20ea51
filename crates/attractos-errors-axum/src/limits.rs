//! The glue of `attractos-limits` (feature `limits`): a middleware that gives each request a
//! [`LimitContext`](attractos_limits::LimitContext) with the client's address and writes the
//! RateLimit fields the handler's decisions left in it on the response, success or error.

use std::net::SocketAddr;

use attractos_limits::ProxyTrust;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// The middleware, for `axum::middleware::from_fn_with_state(trust, limit_context)`. The
/// client is the peer (`ConnectInfo<SocketAddr>`, so serve with
/// `into_make_service_with_connect_info`), or the proxy's `X-Forwarded-For` entry only when
/// `trust` says so.
pub async fn limit_context(
    State(trust): State<ProxyTrust>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let context = context_for(peer, request.headers(), trust);
    request.extensions_mut().insert(context.clone());
    let mut response = next.run(request).await;
    write_fields(&context, response.headers_mut());
    response
}

attractos_limits::__limit_glue!(axum::http::header);
