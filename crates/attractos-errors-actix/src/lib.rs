//! The AttractOS error contract for actix-web 4: every error response is
//! `{"error":"<message>","code":"<CODE>"}` (plus `"retry_after":N` on 429s), even the ones
//! actix-web produces itself and those of panicking handlers.
//!
//! Handlers return `Result<HttpResponse, ApiError>` and use `?` on their domain errors; the
//! extractors ([`BearerKey`], [`SiteId`], [`DateRange`], [`Query`], [`Json`]) reject with the
//! contract's codes; [`contract_app`] returns the `App` to add routes to, with the 404/405
//! answers, the body limit, panic catching, conversion of actix-web's own errors,
//! `X-Request-Id` and the request span already in place.
//!
//! ```
//! use actix_web::{HttpResponse, test, web};
//! use attractos_errors_actix::{ApiError, BearerKey, Contract, SiteId, contract_app};
//!
//! async fn stats(BearerKey(_key): BearerKey, SiteId(site): SiteId) -> Result<HttpResponse, ApiError> {
//!     if site != "site_demo" {
//!         return Err(ApiError::site_not_found());
//!     }
//!     Ok(HttpResponse::Ok().body("42 visits"))
//! }
//!
//! # #[actix_web::main]
//! # async fn main() {
//! let app = contract_app(Contract::default())
//!     .service(web::resource("/api/v1/sites/{siteId:[^/]*}/stats").route(web::get().to(stats)));
//! let app = test::init_service(app).await;
//! let request = test::TestRequest::get().uri("/api/v1/sites/site_demo/stats").to_request();
//! let response = test::call_service(&app, request).await;
//! assert_eq!(response.status(), 401); // MISSING_KEY
//! assert!(response.headers().contains_key("x-request-id"));
//! # }
//! ```
//!
//! # Design
//!
//! - **A newtype, not an impl on the core type.** [`ApiError`] wraps
//!   [`attractos_errors::ApiError`] because the orphan rule forbids implementing actix-web's
//!   `ResponseError` for a type of another crate, and the core must stay framework-free:
//!   actix-web 4 is on `http` 0.2 while axum is on `http` 1, and one core serves both adapters,
//!   which answer every request with the same bytes. This crate converts through the numeric
//!   status and the core's `&'static str` header names and values, so the core never sees
//!   `http` 0.2. A blanket `From<E: Into<core ApiError>>` (like anyhow's `From<E: Error>`) keeps
//!   `?` working on domain errors.
//! - **Logged in `error_response`, inside the request span.** actix-web renders a handler's or
//!   extractor's error while the handler's future is polled, which [`contract_app`]'s middleware
//!   runs inside the `request` span carrying `request_id`; errors the middleware produces itself
//!   (a 404 turned into the contract, a panic) are logged by it, inside the same span. Either
//!   way each error response has exactly one log line, and a `SERVER_ERROR`'s cause is logged,
//!   never sent.
//! - **One middleware instead of `ErrorHandlers`.** actix-web's `ErrorHandlers` rewrites by
//!   status only and does not catch panics; the contract middleware also sees the concrete
//!   actix-web error behind a response (`JsonPayloadError`, `PayloadError`, …), so it gives
//!   them the same codes and messages as this crate's extractors. The `*Config` error handlers
//!   it registers do the same earlier, where the handler's future (and its log) still is.
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
//!
//! # Route order is a cost under load
//!
//! actix-web tries resources in the order they were registered, and a path with a parameter
//! (`{siteId}`) is matched with a regex, so every request for a path registered after it pays
//! those regex matches, error or not. Register static paths first and put the per-id routes
//! in a `web::scope` with a static prefix, which turns other paths away with a prefix check.
//! In the reference server, registered the other way round, the regexes took about a tenth of
//! the server's CPU under a flood of `POST /api/v1/events` (measured with `perf`).

mod contract;
mod error;
mod extract;
mod framework;
mod middleware;

pub use attractos_errors;
pub use attractos_errors::rules::SITE_ID_PARAM;
pub use attractos_errors::{Contract, ErrorCode, RetryAfter};
pub use contract::contract_app;
pub use error::{ApiError, Result};
pub use extract::{BearerKey, DateRange, Json, Query, SiteId};
