//! The limit stores: one behaviour suite over the in-memory and the Redis store, the same
//! decisions from both, configured policies, Redis failures and batched Redis decisions.

mod configured_policies;
mod redis_batches;
mod redis_failures;
mod same_decisions;
mod stores;
