#![doc = include_str!("../README.md")]

mod budget;
mod decision;
mod error;
#[cfg(feature = "reqwest")]
mod middleware;
mod pacing;
mod retrier;

pub use budget::{RetryBudget, Spent};
pub use decision::{
    Answer, Attempt, Decision, IDEMPOTENCY_KEY, Policy, Reason, Reply, RequestInfo, Stop,
    retry_after_header,
};
pub use error::Error;
#[cfg(feature = "reqwest")]
pub use middleware::{DEFAULT_BODY_LIMIT, RetryHistory, RetryMiddleware, check};
pub use pacing::Pacer;
pub use retrier::{Retrier, RetryNote};
