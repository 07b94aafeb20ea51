//! The in-memory store and Redis take the same decisions for the same requests at the same
//! times. Both read one manual clock (the Redis script is given the time instead of reading
//! `TIME`), so what is compared is the arithmetic, decision by decision.

use attractos_limits::testing::{RedisServer, unique};
use attractos_limits::{
    AuthFailureQuery, AuthOutcome, Clock, EventQuery, ManualClock, MemoryStore, QuotaOutcome,
    RedisStore, RequestOutcome, RequestQuery, Store,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Request { key: u8, address: u8 },
    Event { account: u8 },
    Failure { address: u8 },
}

/// One case's partitions: keys, addresses and accounts under a prefix no other case uses.
struct Partitions {
    keys: [String; 3],
    addresses: [String; 2],
    accounts: [String; 2],
}

impl Partitions {
    fn new() -> Self {
        let run = unique("prop");
        Partitions {
            keys: std::array::from_fn(|n| format!("{run}:k{n}")),
            addresses: std::array::from_fn(|n| format!("{run}:a{n}")),
            accounts: std::array::from_fn(|n| format!("{run}:acct{n}")),
        }
    }
}

/// A step as both stores are asked it.
#[derive(Debug, Clone, Copy)]
enum Query<'a> {
    Request(RequestQuery<'a>),
    Event(EventQuery<'a>),
    Failure(AuthFailureQuery<'a>),
}

/// A store's answer to a query.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Request(RequestOutcome),
    Event(QuotaOutcome),
    Failure(AuthOutcome),
}

async fn ask(store: &impl Store, query: Query<'_>) -> Answer {
    match query {
        Query::Request(query) => Answer::Request(store.request(query).await.unwrap()),
        Query::Event(query) => Answer::Event(store.event(query).await.unwrap()),
        Query::Failure(query) => Answer::Failure(store.auth_failure(query).await.unwrap()),
    }
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    let step = prop_oneof![
        (0..3u8, 0..2u8).prop_map(|(key, address)| Step::Request { key, address }),
        (0..2u8).prop_map(|account| Step::Event { account }),
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
        0..4u64,
    );
    let result = proptest::test_runner::TestRunner::new(config).run(
        &cases,
        |(steps, burst, emission_us, quota, floor)| {
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
                for (index, (step, gap)) in steps.iter().enumerate() {
                    clock.advance_us(*gap);
                    let query = match *step {
                        // A key belongs to one account.
                        Step::Request { key, address } => Query::Request(RequestQuery {
                            address: &names.addresses[usize::from(address)],
                            key: &names.keys[usize::from(key)],
                            account: &names.accounts[usize::from(key % 2)],
                            emission_us,
                            burst,
                            auth_limit: 2,
                            quota,
                            quota_floor: floor,
                        }),
                        Step::Event { account } => Query::Event(EventQuery {
                            account: &names.accounts[usize::from(account)],
                            quota,
                            quota_floor: floor,
                        }),
                        Step::Failure { address } => Query::Failure(AuthFailureQuery {
                            address: &names.addresses[usize::from(address)],
                            window_us: 2_000_000,
                        }),
                    };
                    let (m, r) = (ask(&memory, query).await, ask(&redis, query).await);
                    prop_assert_eq!(m, r, "step {} {:?}: decided differently", index, query);
                }
                Ok(())
            })
        },
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
