//! The AttractOS error contract as executable cases.
//!
//! [`case::fixed`] lists the contract's cases as data (a request template, the fixtures it
//! needs, the expected code or success status); [`judge::judge`] decides whether any response
//! keeps the contract, each [`rule::Rule`] at a [`rule::Level`] (the published page, the HTTP
//! RFCs, the house rules); [`run::run`] sends a [`run::Suite`] to a [`target::Target`]: a
//! running service over HTTP, or an axum `Router` / actix-web `App` in-process, straight from
//! a service's own tests. [`report`] renders the findings grouped by rule, as a table, JSON or
//! JUnit XML. [`fuzz::cases`] adds seeded noise.
//!
//! ```
//! use attractos_contract::{fixtures::Fixtures, run::{self, Suite}, target::AxumTarget};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // A bare axum app breaks the contract: plain-text 404s and 405s, no X-Request-Id.
//! let target = AxumTarget::new("bare axum", axum::Router::new());
//! let suite = Suite::new(Fixtures::reference()).only("method-not-allowed");
//! let report = run::run(&target, &suite, |_| {}).await;
//! assert_eq!(report.summary(), "0 passed, 1 failed");
//! # }
//! ```
//!
//! The `attractos-contract` binary (crate `attractos-contract-cli`) runs the suite against the
//! embedded reference server (both frameworks) or, with `--url`, against any running service.

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod assert;
pub mod case;
pub mod fixtures;
pub mod fuzz;
pub mod judge;
mod ratelimit;
pub mod report;
pub mod rule;
pub mod run;
#[cfg(feature = "soak")]
pub mod soak;
pub mod target;
