//! The benchmark crate: the measured routes answer the same, the page and its targets, the
//! profile parsing.

mod common;
mod measurements;
mod page;
mod profile;
mod same_response;
mod targets;
