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

/// What both stores are asked with, besides the step.
struct Setting {
    /// This case's prefix of every partition.
    run: String,
    burst: u32,
    emission_us: i64,
    quota: u64,
    floor: u64,
}

/// A store's answer to a step.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Request(RequestOutcome),
    Event(QuotaOutcome),
    Failure(AuthOutcome),
}

impl Setting {
    async fn ask(&self, store: &impl Store, step: &Step) -> Answer {
        let name = |kind: &str, n: u8| format!("{}:{kind}{n}", self.run);
        match *step {
            Step::Request { key, address } => {
                let (key, address, account) =
                    (name("k", key), name("a", address), name("acct", key % 2));
                let query = RequestQuery {
                    address: &address,
                    key: &key,
                    account: &account,
                    emission_us: self.emission_us,
                    burst: self.burst,
                    auth_limit: 2,
                    quota: self.quota,
                    quota_floor: self.floor,
                };
                Answer::Request(store.request(query).await.unwrap())
            }
            Step::Event { account } => {
                let account = name("acct", account);
                let query = EventQuery {
                    account: &account,
                    quota: self.quota,
                    quota_floor: self.floor,
                };
                Answer::Event(store.event(query).await.unwrap())
            }
            Step::Failure { address } => {
                let address = name("a", address);
                let query = AuthFailureQuery {
                    address: &address,
                    window_us: 2_000_000,
                };
                Answer::Failure(store.auth_failure(query).await.unwrap())
            }
        }
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
                let setting = Setting {
                    run: unique("prop"),
                    burst,
                    emission_us,
                    quota,
                    floor,
                };
                for (index, (step, gap)) in steps.iter().enumerate() {
                    clock.advance_us(*gap);
                    let (m, r) = (
                        setting.ask(&memory, step).await,
                        setting.ask(&redis, step).await,
                    );
                    prop_assert_eq!(m, r, "step {} {:?}: decided differently", index, step);
                }
                Ok(())
            })
        },
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
