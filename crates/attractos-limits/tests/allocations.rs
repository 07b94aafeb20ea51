//! What a decision costs the allocator: one allocation, the `RateLimit` value's own. Its text is
//! written on the stack first (two members, the most the limiter's own fields have), and the
//! `RateLimit-Policy` value is shared, not written again.
//!
//! The counting allocator is the whole test binary's and counts every thread, so each count is
//! the least of many short regions: another test's allocations can only add to a region.

use std::alloc::System;

use attractos_limits::fields::{PolicyField, PolicyId, PolicyItem, RateLimitFields, StateItem};
use attractos_limits::{Account, Limiter, Plan, Policies};
use futures_util::FutureExt;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The fewest allocations (and reallocations) `f` made in any of 50 calls.
fn fewest_allocations<R>(f: impl Fn() -> R) -> usize {
    (0..50)
        .map(|_| {
            let region = Region::new(GLOBAL);
            drop(f());
            let change = region.change();
            change.allocations + change.reallocations
        })
        .min()
        .expect("50 calls")
}

#[test]
fn the_fields_of_two_policies_take_one_allocation() {
    let policy = PolicyField::new(&[PolicyItem {
        id: PolicyId::Requests,
        quota: 20,
        window_secs: 1,
    }]);
    // The largest integers (clamped to 15 digits), and the longest id: the stack must still
    // hold them.
    let states = [
        StateItem {
            id: PolicyId::Requests,
            remaining: u64::MAX,
            reset_secs: u64::MAX,
        },
        StateItem {
            id: PolicyId::AuthFailures,
            remaining: u64::MAX,
            reset_secs: u64::MAX,
        },
    ];
    let fields = || RateLimitFields::with_policy(policy.clone(), &states);
    // The first clone of the policy's bytes makes them shareable, once.
    drop(fields());
    assert_eq!(fewest_allocations(fields), 1);
}

#[test]
fn an_admission_in_memory_takes_one_allocation() {
    let limiter = Limiter::in_memory(Policies::default());
    let account = Account {
        key: "ak_demo_pro",
        id: "user:2",
        plan: Plan::Pro,
        event_floor: 0,
    };
    let client = "192.0.2.9".parse().expect("an address");
    let admit = || {
        let verdict = limiter.admit(client, account).now_or_never();
        verdict.expect("the in-memory store never waits")
    };
    // The key's first admission stores its state, and shares the policy's bytes.
    assert!(admit().outcome.is_ok());
    assert_eq!(fewest_allocations(admit), 1);
}
