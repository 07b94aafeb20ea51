//! Concurrent decisions on one Redis store go together: fewer `EVALSHA`s than decisions, each
//! decision answered as if it had gone alone, and none waiting past the store timeout.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use attractos_limits::testing::{RedisServer, unique};
use attractos_limits::{
    AddressPartition, Clock, DEFAULT_TIMEOUT, EventQuery, RedisStore, RequestOutcome, RequestQuery,
    Store, StoreError, key_partition,
};

/// Runs `command` on the test's own server, on a connection of the test's own.
async fn run<T: redis::FromRedisValue>(server: &RedisServer, command: &mut redis::Cmd) -> T {
    let client = redis::Client::open(server.url()).expect("a valid URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis answers");
    command
        .query_async(&mut connection)
        .await
        .expect("redis answers")
}

/// The `EVALSHA` calls the server has counted since its statistics were reset.
async fn evalsha_calls(server: &RedisServer) -> u64 {
    let stats: String = run(server, redis::cmd("INFO").arg("commandstats")).await;
    stats
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |calls| calls.parse().expect("a count"))
}

async fn reset_stats(server: &RedisServer) {
    let () = run(server, redis::cmd("CONFIG").arg("RESETSTAT")).await;
}

/// Holds every client's commands on the server for `duration` (they run when it ends).
async fn pause(server: &RedisServer, duration: Duration) {
    let () = run(
        server,
        redis::cmd("CLIENT")
            .arg("PAUSE")
            .arg(duration.as_millis() as u64)
            .arg("ALL"),
    )
    .await;
}

/// A store whose first decision (the connection made, the script loaded) is behind it, with
/// the statistics reset after it.
async fn warmed_up(server: &RedisServer, timeout: Duration) -> Arc<RedisStore> {
    let store = RedisStore::connect(&server.url(), timeout, Clock::Store).expect("a valid URL");
    let account = unique("warm-up");
    let event = EventQuery {
        account: &account,
        quota: 1,
        quota_floor: 0,
    };
    store.event(event).await.expect("the store answers");
    reset_stats(server).await;
    Arc::new(store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_events_share_evalshas_and_a_quota_of_half_accepts_exactly_half() {
    let server = RedisServer::start();
    // A long timeout: this test is about batching and exactness, not latency.
    let store = warmed_up(&server, Duration::from_secs(5)).await;
    let account = Arc::new(unique("acct"));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (store, account) = (Arc::clone(&store), Arc::clone(&account));
            tokio::spawn(async move {
                let event = EventQuery {
                    account: &account,
                    quota: 100,
                    quota_floor: 0,
                };
                store.event(event).await.expect("the store answers")
            })
        })
        .collect();
    let mut used_when_accepted = Vec::new();
    for task in tasks {
        let outcome = task.await.expect("the task ends");
        if outcome.accepted {
            used_when_accepted.push(outcome.used);
        } else {
            assert_eq!(outcome.used, 100, "a refused event sees the quota spent");
        }
    }
    used_when_accepted.sort_unstable();
    assert_eq!(
        used_when_accepted,
        (1..=100).collect::<Vec<u64>>(),
        "exactly 100 accepted, each counted once, as one at a time would be"
    );
    let calls = evalsha_calls(&server).await;
    assert!(
        (1..200).contains(&calls),
        "200 concurrent decisions went in {calls} EVALSHAs, expected fewer than 200"
    );
}

fn request<'a>(key: &'a str, account: &'a str) -> RequestQuery<'a> {
    RequestQuery {
        address: AddressPartition::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 20))),
        key,
        account,
        // One request a minute: a key's second request is refused.
        emission_us: 60_000_000,
        burst: 1,
        auth_limit: 30,
        quota: 10,
        quota_floor: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_holding_refused_and_admitted_requests_answers_each_for_its_own_key() {
    let server = RedisServer::start();
    let store = warmed_up(&server, Duration::from_secs(5)).await;
    let (spent, account) = (Arc::new(unique("spent")), Arc::new(unique("acct")));
    let first = store.request(request(&spent, &account)).await;
    assert!(
        matches!(first, Ok(RequestOutcome::Decided { rate, .. }) if rate.admitted),
        "the key's one request a minute: {first:?}"
    );
    reset_stats(&server).await;

    // While Redis holds the first decision, the others queue, so they go together: spent and
    // fresh keys alternating in one batch.
    pause(&server, Duration::from_millis(300)).await;
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let (store, spent, account) =
                (Arc::clone(&store), Arc::clone(&spent), Arc::clone(&account));
            tokio::spawn(async move {
                let key = if n % 2 == 0 {
                    (*spent).clone()
                } else {
                    unique("fresh")
                };
                let outcome = store.request(request(&key, &account)).await;
                (key == *spent, outcome)
            })
        })
        .collect();
    for task in tasks {
        let (is_spent, outcome) = task.await.expect("the task ends");
        let Ok(RequestOutcome::Decided { rate, .. }) = outcome else {
            panic!("a decided request, got {outcome:?}");
        };
        if is_spent {
            assert!(!rate.admitted, "the spent key is refused in the batch");
            assert!(
                rate.next_unit_us > 0 && rate.next_unit_us <= 60_000_000,
                "the spent key waits for its next unit: {rate:?}"
            );
        } else {
            assert!(rate.admitted, "a fresh key is admitted in the same batch");
        }
    }
    let calls = evalsha_calls(&server).await;
    assert!(
        (1..8).contains(&calls),
        "8 concurrent decisions went in {calls} EVALSHAs, expected fewer than 8"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_whose_batches_time_out_get_the_store_timeout_then_the_store_answers_again() {
    let server = RedisServer::start();
    let store = warmed_up(&server, DEFAULT_TIMEOUT).await;
    let paused = Duration::from_secs(1);
    pause(&server, paused).await;
    let started = Instant::now();
    // One batch out, the others queued behind it: every one is bounded by its own timeout.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let account = unique("acct");
                let event = EventQuery {
                    account: &account,
                    quota: 10,
                    quota_floor: 0,
                };
                let outcome = store.event(event).await;
                (outcome, started.elapsed())
            })
        })
        .collect();
    for task in tasks {
        let (outcome, elapsed) = task.await.expect("the task ends");
        assert!(
            matches!(outcome, Err(StoreError::Timeout(timeout)) if timeout == DEFAULT_TIMEOUT),
            "a held decision gets the store timeout: {outcome:?}"
        );
        assert!(
            elapsed < paused,
            "answered before Redis was back ({elapsed:?}): no decision waits for its batch past its timeout"
        );
    }

    // Once Redis is back, the store answers again (the connection may first have to be made
    // again), without a new store.
    tokio::time::sleep(paused).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let account = unique("acct");
    let event = EventQuery {
        account: &account,
        quota: 10,
        quota_floor: 0,
    };
    loop {
        match store.event(event).await {
            Ok(outcome) => {
                assert!(outcome.accepted, "a new account's first event is accepted");
                break;
            }
            Err(err) => assert!(
                Instant::now() < deadline,
                "the store did not answer again within 5 s of Redis: {err}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_carries_at_most_64_decisions() {
    let server = RedisServer::start();
    let store = warmed_up(&server, Duration::from_secs(5)).await;
    let event = |store: Arc<RedisStore>| async move {
        let account = unique("acct");
        let event = EventQuery {
            account: &account,
            quota: 10,
            quota_floor: 0,
        };
        store.event(event).await.expect("the store answers")
    };
    // One decision out and held by Redis; 65 queue behind it, so they go as 64 and 1.
    pause(&server, Duration::from_millis(800)).await;
    let first = tokio::spawn(event(Arc::clone(&store)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let queued: Vec<_> = (0..65)
        .map(|_| tokio::spawn(event(Arc::clone(&store))))
        .collect();
    first.await.expect("the task ends");
    for task in queued {
        task.await.expect("the task ends");
    }
    let calls = evalsha_calls(&server).await;
    assert_eq!(
        calls, 3,
        "1 + 65 decisions went in {calls} EVALSHAs, not 1 + 64 + 1"
    );
}

/// A decision the script fails (here: a key holds a string that is no limit state: the quota's,
/// then a rate's) is a store failure that says so, not a timeout, and costs no `SCRIPT LOAD`:
/// only a server that has not seen the script gets it again.
#[tokio::test]
async fn a_script_error_is_a_failure_not_a_timeout_and_loads_no_script() {
    let server = RedisServer::start();
    let store = warmed_up(&server, Duration::from_secs(5)).await;
    let (account, key, other) = (unique("acct"), unique("key"), unique("acct"));
    let quota_key = format!("attractos:limits:quota:{account}");
    let rate_key = format!("attractos:limits:rate:{}", key_partition(&key));
    for name in [&quota_key, &rate_key] {
        let () = run(&server, redis::cmd("SET").arg(name).arg("not a state")).await;
    }
    let event = EventQuery {
        account: &account,
        quota: 10,
        quota_floor: 0,
    };
    let failures = [
        (&quota_key, store.event(event).await.err()),
        (&rate_key, store.request(request(&key, &other)).await.err()),
    ];
    for (name, err) in failures {
        let said = format!("{name} holds no limit state");
        assert!(
            matches!(&err, Some(StoreError::Failed(cause)) if cause.contains(&said)),
            "{err:?}"
        );
    }
    let stats: String = run(&server, redis::cmd("INFO").arg("commandstats")).await;
    assert!(
        !stats.contains("cmdstat_script|load"),
        "no SCRIPT LOAD after a script error: {stats}"
    );
}
