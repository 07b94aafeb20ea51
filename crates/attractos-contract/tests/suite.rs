//! The checker judged: its cases against the reference server on both frameworks and over HTTP,
//! against servers that break the contract, against services that misbehave at the HTTP level,
//! against a service nobody here wrote, its fixtures, its fuzzing, its rate-limit fields and
//! its soak.

#[cfg(all(feature = "axum", feature = "http"))]
mod checker_fails_wrong_servers;
#[cfg(feature = "axum")]
mod fixtures_and_skips;
mod fuzz;
#[cfg(feature = "http")]
mod hostile_service;
#[cfg(feature = "axum")]
mod independent_service;
mod judge_rules;
#[cfg(all(feature = "axum", feature = "actix"))]
mod no_secret_leaks;
#[cfg(feature = "http")]
mod rate_limit;
#[cfg(all(feature = "axum", feature = "actix", feature = "http"))]
mod reference_suite;
#[cfg(feature = "soak")]
mod soak;
