//! One limit decision: the in-memory store (as the limiter uses it, with and without the
//! RateLimit fields) against `governor` called directly, the peer a user would otherwise pick.
//! `bash scripts/limits-bench.sh` runs this and writes the figures into docs/limits.md.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use attractos_limits::{
    Account, AddressPartition, Clock, Limiter, MemoryStore, Plan, Policies, RequestQuery,
    key_partition,
};
use criterion::Criterion;
use governor::{Quota, RateLimiter};

/// A rate no benchmark loop reaches: every decision admits, as on the 200 route.
const RATE: u32 = 1_000_000_000;

/// Runs a future that is ready at once (the in-memory store never waits).
fn now<T>(future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => unreachable!("the in-memory store never waits"),
    }
}

fn decision(c: &mut Criterion) {
    let rate = NonZeroU32::new(RATE).expect("not zero");
    let mut group = c.benchmark_group("one decision");

    let governor = RateLimiter::keyed(Quota::per_second(rate));
    let key = "ak_demo_free".to_owned();
    group.bench_function("governor keyed check_key", |b| {
        b.iter(|| black_box(governor.check_key(black_box(&key)).is_ok()))
    });

    let store = MemoryStore::new(Clock::Store);
    let partition = key_partition("ak_demo_free");
    let query = RequestQuery {
        address: AddressPartition::new(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        key: &partition,
        account: "user:1",
        emission_us: 1,
        burst: RATE,
        auth_limit: 30,
        quota: 10_000,
        quota_floor: 0,
    };
    group.bench_function("MemoryStore request (rate + quota look)", |b| {
        b.iter(|| black_box(store.request_now(black_box(query))))
    });

    let limiter = Limiter::in_memory(Policies::default().with_free_rate(rate));
    let account = Account {
        key: "ak_demo_free",
        id: "user:1",
        plan: Plan::Free,
        event_floor: 0,
    };
    let client = "127.0.0.1".parse().expect("an address");
    group.bench_function("Limiter admit in memory (with RateLimit fields)", |b| {
        b.iter(|| black_box(now(limiter.admit(black_box(client), black_box(account)))))
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    decision(&mut criterion);
    criterion.final_summary();
}
