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
