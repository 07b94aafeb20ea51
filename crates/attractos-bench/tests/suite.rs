//! The benchmark crate: the measured routes answer the same, the load route timed in process,
//! the page and its targets, the profile parsing.

mod common;
mod limits_route;
mod measurements;
mod page;
mod profile;
mod same_response;
mod targets;
