//! The client half of the contract: the retry decision, the budget, the retrier, the docs table
//! and, with `reqwest`, retries against the reference server over HTTP.

mod budget;
mod decision;
mod docs_table;
mod pacing;
mod properties;
#[cfg(feature = "reqwest")]
mod reference_server;
mod retrier;
