//! Where requests go: a running service over HTTP ([`HttpTarget`]), or a service's own app
//! in-process ([`AxumTarget`] with tower's `oneshot`, [`ActixTarget`] with
//! `actix_web::test`), so a service's tests can run the suite without a socket.

use std::future::Future;

use crate::case::Request;
use crate::judge::Response;

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "http")]
mod http_client;

#[cfg(feature = "actix")]
pub use actix::ActixTarget;
#[cfg(feature = "axum")]
pub use axum::AxumTarget;
#[cfg(feature = "http")]
pub use http_client::HttpTarget;

/// Something that answers requests.
///
/// The future need not be `Send`: actix-web's in-process services are not.
pub trait Target {
    /// A name for reports, e.g. `axum (http://127.0.0.1:41234)`.
    fn name(&self) -> &str;

    /// Sends one request and returns the whole response.
    fn send(&self, request: &Request) -> impl Future<Output = Result<Response, TargetError>>;
}

/// The request got no response (connection refused, timeout, a service error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no response: {0}")]
pub struct TargetError(pub String);
