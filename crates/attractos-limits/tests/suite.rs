//! The steps of a keyed request (authenticate, count_event), and the limit stores: one behaviour suite over the in-memory and the Redis store, the same
//! decisions from both, configured policies, whose failed keys count together, Redis failures,
//! batched Redis decisions, Redis over TLS and through Sentinel; and what a decision costs the allocator.

mod allocations;
mod authenticate;
mod client_addresses;
mod common;
mod configured_policies;
mod redis_batches;
mod redis_failures;
mod same_decisions;
mod sentinel;
mod stores;
mod tls;
