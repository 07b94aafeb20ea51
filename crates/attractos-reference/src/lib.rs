//! The AttractOS reference server: a small analytics API, one domain core served by axum or
//! actix-web, that can produce every code of the error catalogue on purpose.
//!
//! [`domain`] holds every business rule and returns [`attractos_errors::ApiError`];
//! [`axum_app`] and [`actix_app`] are routing glue over the framework adapters; [`serve`]
//! starts either on a listener, in-process, for tests and the contract checker; [`openapi`] is
//! the OpenAPI 3.1 document both serve at `GET /api/v1/openapi.json`. The built-in
//! fixtures (keys `ak_demo_free`, `ak_demo_pro`, …) are listed in [`store`] and the README.
//!
//! ```
//! use attractos_reference::{Framework, Options, serve};
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! let server = serve(Framework::Actix, listener, Options::default()).unwrap();
//! println!("try: curl -H 'Authorization: Bearer ak_demo_free' {}/api/v1/sites", server.url());
//! server.stop().unwrap();
//! ```

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}

pub mod actix_app;
pub mod axum_app;
pub mod domain;
pub mod openapi;
mod server;
pub mod store;

pub use domain::{AppState, Options};
pub use server::{Framework, Server, UnknownFramework, bind, serve};

/// The API's route patterns, shared by both frameworks' glue.
pub mod routes {
    /// `GET`: the caller's sites.
    pub const SITES: &str = "/api/v1/sites";
    /// `GET`: totals over a date range.
    pub const STATS: &str = "/api/v1/sites/{siteId}/stats";
    /// `GET` with an empty `siteId`, routed to the stats handler so it answers
    /// `MISSING_SITE_ID` (neither router matches a parameter to an empty segment).
    pub const STATS_NO_SITE: &str = "/api/v1/sites//stats";
    /// `GET`: one point per day or hour.
    pub const TIMESERIES: &str = "/api/v1/sites/{siteId}/timeseries";
    /// `GET` with an empty `siteId`, routed to the timeseries handler (`MISSING_SITE_ID`).
    pub const TIMESERIES_NO_SITE: &str = "/api/v1/sites//timeseries";
    /// `POST`: records an event.
    pub const EVENTS: &str = "/api/v1/events";
    /// `GET`, no key needed: the API's OpenAPI 3.1 document ([`crate::openapi::json`]).
    pub const OPENAPI: &str = "/api/v1/openapi.json";
    /// `GET`, only with [`crate::Options::debug_routes`]: the handler panics on purpose.
    pub const DEBUG_PANIC: &str = "/api/v1/debug/panic";
    /// `GET`, only with [`crate::Options::debug_routes`]: the handler fails with an internal
    /// error on purpose.
    pub const DEBUG_FAIL: &str = "/api/v1/debug/fail";
}
