//! The in-memory store and Redis take the same decisions for the same requests at the same
//! times. Both read one manual clock (the Redis script is given the time instead of reading
//! `TIME`), so what is compared is the arithmetic, decision by decision. Steps at the same
//! instant are asked of Redis all at once, so they share batches, where a key that comes back
//! is read once and written once: a batch decides as its decisions one by one.

use attractos_limits::testing::{RedisServer, unique, unique_address};
use attractos_limits::{
    AddressPartition, AuthFailureQuery, AuthOutcome, Clock, EventQuery, ManualClock, MemoryStore,
    QuotaOutcome, RedisStore, RequestOutcome, RequestQuery, Store,
};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Step {
    /// `floor`: the account's event floor as the service gives it with this step (it may
    /// rise past the count, or stay under it).
    Request {
        key: u8,
        address: u8,
        floor: u8,
    },
    Event {
        account: u8,
        floor: u8,
    },
    Failure {
        address: u8,
    },
}

/// One case's partitions, which no other case uses: keys and accounts under a prefix of its
/// own, addresses drawn by `unique_address`.
struct Partitions {
    keys: [String; 3],
    addresses: [AddressPartition; 2],
    accounts: [String; 2],
}

impl Partitions {
    fn new() -> Self {
        let run = unique("prop");
        Partitions {
            keys: std::array::from_fn(|n| format!("{run}:k{n}")),
            addresses: std::array::from_fn(|_| unique_address()),
            accounts: std::array::from_fn(|n| format!("{run}:acct{n}")),
        }
    }

    /// What `step` asks a store, under these partitions and the case's policies.
    fn query(&self, step: Step, burst: u32, emission_us: i64, quota: u64) -> Query<'_> {
        match step {
            // A key belongs to one account.
            Step::Request {
                key,
                address,
                floor,
            } => Query::Request(RequestQuery {
                address: self.addresses[usize::from(address)],
                key: &self.keys[usize::from(key)],
                account: &self.accounts[usize::from(key % 2)],
                emission_us,
                burst,
                auth_limit: 2,
                quota,
                quota_floor: u64::from(floor),
            }),
            Step::Event { account, floor } => Query::Event(EventQuery {
                account: &self.accounts[usize::from(account)],
                quota,
                quota_floor: u64::from(floor),
            }),
            Step::Failure { address } => Query::Failure(AuthFailureQuery {
                address: self.addresses[usize::from(address)],
                window_us: 2_000_000,
            }),
        }
    }
}

/// A step as both stores are asked it.
#[derive(Debug, Clone, Copy)]
enum Query<'a> {
    Request(RequestQuery<'a>),
    Event(EventQuery<'a>),
    Failure(AuthFailureQuery),
}

/// A store's answer to a query.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Request(RequestOutcome),
    Event(QuotaOutcome),
    Failure(AuthOutcome),
}

/// Asks `store` at once (a Redis decision is queued when asked, not when awaited).
fn ask<'s>(
    store: &'s impl Store,
    query: Query<'s>,
) -> std::pin::Pin<Box<dyn Future<Output = Answer> + 's>> {
    match query {
        Query::Request(query) => {
            let answer = store.request(query);
            Box::pin(async { Answer::Request(answer.await.unwrap()) })
        }
        Query::Event(query) => {
            let answer = store.event(query);
            Box::pin(async { Answer::Event(answer.await.unwrap()) })
        }
        Query::Failure(query) => {
            let answer = store.auth_failure(query);
            Box::pin(async { Answer::Failure(answer.await.unwrap()) })
        }
    }
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    // Floors mostly 0, as a service without a count of its own gives them.
    let floor = || prop_oneof![3 => Just(0u8), 1 => 0..7u8];
    let step = prop_oneof![
        (0..3u8, 0..2u8, floor()).prop_map(|(key, address, floor)| Step::Request {
            key,
            address,
            floor
        }),
        (0..2u8, floor()).prop_map(|(account, floor)| Step::Event { account, floor }),
        (0..2u8).prop_map(|address| Step::Failure { address }),
    ];
    // Gaps from none to 3 s, some of them crossing the month's end (the clock starts 2 s
    // before midnight UTC on 2024-02-29).
    (
        step,
        prop_oneof![Just(0i64), 0..400_000i64, 0..3_000_000i64],
    )
}

#[test]
fn both_stores_decide_alike() {
    // One server for every case (one per case would dominate the test's time), dropped (and
    // so stopped) when the test ends.
    let server = RedisServer::start();
    let config = ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    };
    let cases = (
        proptest::collection::vec(step(), 1..40),
        1..5u32,
        prop_oneof![Just(333_334i64), 100_000..1_000_000i64],
        0..6u64,
    );
    let result = proptest::test_runner::TestRunner::new(config).run(
        &cases,
        |(steps, burst, emission_us, quota)| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let clock = ManualClock::at_unix_secs(1_709_251_198);
                let memory = MemoryStore::new(Clock::Manual(clock.clone()));
                let redis = RedisStore::connect(
                    &server.url(),
                    std::time::Duration::from_secs(2),
                    Clock::Manual(clock.clone()),
                )
                .unwrap();
                let names = Partitions::new();
                let queries: Vec<(Query, i64)> = steps
                    .iter()
                    .map(|&(step, gap)| (names.query(step, burst, emission_us, quota), gap))
                    .collect();
                // Runs of steps at one instant: Redis is asked all of a run before any answer.
                for run in queries.chunk_by(|_, (_, gap)| *gap == 0) {
                    clock.advance_us(run[0].1);
                    let asked: Vec<_> = run.iter().map(|&(query, _)| ask(&redis, query)).collect();
                    for (&(query, _), redis_answer) in run.iter().zip(asked) {
                        let (m, r) = (ask(&memory, query).await, redis_answer.await);
                        prop_assert_eq!(
                            m,
                            r,
                            "{:?} in a run of {}: decided differently",
                            query,
                            run.len()
                        );
                    }
                }
                Ok(())
            })
        },
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
