//! The AttractOS error contract for axum 0.8: every error response is
//! `{"error":"<message>","code":"<CODE>"}` (plus `"retry_after":N` on 429s), even the ones axum
//! and other layers produce themselves.
//!
//! Handlers return `Result<T, ApiError>` and use `?` on their domain errors; the extractors
//! ([`BearerKey`], [`SiteId`], [`DateRange`], [`Query`], [`Json`]) reject with the contract's
//! codes; `router.with_contract(Contract::default())` ([`ContractExt`]) adds the 404/405
//! fallbacks, the body limit, panic catching, conversion of other layers' errors, `X-Request-Id`
//! and the request span. Call it last, after every route.
//!
//! ```
//! use attractos_errors_axum::{ApiError, BearerKey, Contract, ContractExt, SiteId};
//! use axum::{Router, body::Body, http::Request, routing::get};
//! use tower::ServiceExt;
//!
//! async fn stats(BearerKey(_key): BearerKey, SiteId(site): SiteId) -> Result<String, ApiError> {
//!     if site != "site_demo" {
//!         return Err(ApiError::site_not_found());
//!     }
//!     Ok("42 visits".to_owned())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new()
//!     .route("/api/v1/sites/{siteId}/stats", get(stats))
//!     .with_contract(Contract::default());
//! let request = Request::get("/api/v1/sites/site_demo/stats").body(Body::empty()).unwrap();
//! let response = app.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 401); // MISSING_KEY
//! assert!(response.headers().contains_key("x-request-id"));
//! # }
//! ```
//!
//! # Design
//!
//! - **A newtype, not an impl on the core type.** [`ApiError`] wraps
//!   [`attractos_errors::ApiError`] because the orphan rule forbids implementing axum's
//!   `IntoResponse` for a type of another crate, and the core must stay framework-free: axum is
//!   on `http` 1 while actix-web 4 is on `http` 0.2, and one core serves both adapters, which
//!   answer every request with the same bytes. A blanket `From<E: Into<core ApiError>>` (like
//!   anyhow's `From<E: Error>`) keeps `?` working on domain errors.
//! - **Logged in `IntoResponse`, inside the request span.** The error is logged where it
//!   becomes a response, while the handler's future is polled inside the `request` span that
//!   carries `request_id`. Passing the error to a layer through response extensions instead
//!   would add an allocation to every error path (the error boxed into the extension map) and
//!   move the internal cause out of the handler's future into the response, where any later
//!   layer could read or leak it; here the cause never leaves the handler's future: it is
//!   logged and dropped on the spot.
//! - **The span is at `ERROR` level**, so it is enabled whenever the `SERVER_ERROR` line it
//!   annotates is: under a `warn` filter an `INFO` span would vanish, and the request id with it.
//!   4xx errors are logged at `DEBUG`, 500s at `ERROR` with their whole cause chain.
//! - **Rendering** is the core's: status from the code, the core's contract headers in their
//!   order (`Content-Type`, `Cache-Control`, `X-Content-Type-Options`, `WWW-Authenticate` on
//!   401, `Retry-After` on 429, `Link` when the [`Contract`] has a docs base URL), and
//!   the core's exact body bytes (a `&'static` constant for catalogue messages).
//! - **Headers are written as constants, not converted per response.** The core lists them as
//!   `&'static str`; converting those on every response (a search of the standard header names,
//!   a byte-by-byte value check) cost more than the rest of the rendering. The header writer
//!   (one macro in the core, expanded with each framework's `http` types) appends the
//!   framework's header names with values built at compile time from the core's constants
//!   (`attractos_errors::header_values`, `ErrorCode::challenge`); only `Retry-After`'s seconds
//!   are formatted, and the docs `Link` is converted once per code. A test compares what it
//!   writes with the core's list for every code. A catalogue-message error then costs within a
//!   few percent of a response built by hand from constants; `docs/performance.md` has the
//!   measurements (`bash bench/run.sh`).

mod contract;
mod error;
mod extract;

pub use attractos_errors;
pub use attractos_errors::rules::SITE_ID_PARAM;
pub use attractos_errors::{Contract, ErrorCode, RetryAfter};
pub use contract::ContractExt;
pub use error::{ApiError, Result};
pub use extract::{BearerKey, DateRange, Json, Query, SiteId};
