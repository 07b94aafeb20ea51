//! The behaviour suite on both stores: the in-memory one and a real Redis.

use std::net::{IpAddr, Ipv4Addr};

use attractos_limits::testing::{RedisServer, run_all};
use attractos_limits::{
    AddressPartition, AuthFailureQuery, Clock, DEFAULT_TIMEOUT, EventQuery, ManualClock,
    MemoryStore, RedisStore, RequestOutcome, RequestQuery, Store,
};

use crate::common::add_least_privilege_user;

/// The address the Redis-only tests below send from.
const ADDRESS: AddressPartition = AddressPartition::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));

/// A request decision the Redis-only tests below send.
const QUERY: RequestQuery<'static> = RequestQuery {
    address: ADDRESS,
    key: "ak_demo_free",
    account: "user:1",
    emission_us: 1_000_000,
    burst: 2,
    auth_limit: 3,
    quota: 10,
    quota_floor: 0,
};

/// The keys in `server`, sorted, and a connection to ask it more.
async fn keys_written(server: &RedisServer) -> (Vec<String>, redis::aio::MultiplexedConnection) {
    let client = redis::Client::open(server.url()).expect("a valid URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis answers");
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection)
        .await
        .expect("redis answers");
    keys.sort();
    (keys, connection)
}

#[tokio::test]
async fn the_in_memory_store_passes_the_suite() {
    let clock = ManualClock::default();
    run_all(&MemoryStore::new(Clock::Manual(clock.clone())), &clock).await;
}

/// A Redis store on `server` with the suite's clock.
fn store_on(server: &RedisServer, clock: &ManualClock) -> RedisStore {
    let clock = Clock::Manual(clock.clone());
    RedisStore::connect(&server.url(), DEFAULT_TIMEOUT * 10, clock).expect("a valid URL")
}

#[tokio::test]
async fn the_redis_store_passes_the_suite() {
    let server = RedisServer::start();
    let clock = ManualClock::default();
    run_all(&store_on(&server, &clock), &clock).await;
}

/// Driven by the service's own runtime instead of a thread of its own, the store decides the
/// same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_store_on_the_callers_runtime_passes_the_suite() {
    let server = RedisServer::start();
    let clock = ManualClock::default();
    let store = store_on(&server, &clock).on_runtime(tokio::runtime::Handle::current());
    run_all(&store, &clock).await;
}

/// A store that outlives the runtime driving it fails every decision at once (the limiter's
/// fail modes then apply) instead of leaving it waiting for a sender no runtime will run.
#[test]
fn a_store_whose_runtime_has_shut_down_fails_each_decision_at_once() {
    let server = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let store = RedisStore::connect(&server.url(), DEFAULT_TIMEOUT * 10, Clock::Store)
        .expect("a valid URL")
        .on_runtime(runtime.handle().clone());
    runtime
        .block_on(store.request(QUERY))
        .expect("decided while its runtime runs");
    runtime.shutdown_background();

    let other = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    for _ in 0..3 {
        let answer = other.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(2), store.request(QUERY)).await
        });
        let answer = answer.expect("answered at once, not left waiting");
        assert!(answer.is_err(), "no runtime, no decision: {answer:?}");
    }
}

/// Replicas of different versions share Redis, so the key a request's rate is kept under is
/// a contract: the prefix, `rate:`, and the SHA-1 of the API key in lowercase hex (the key
/// itself never reaches Redis).
#[tokio::test]
async fn the_redis_store_keeps_a_rate_under_the_sha1_of_the_key() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url(), DEFAULT_TIMEOUT * 10, Clock::Store)
        .expect("a valid URL");
    let outcome = store.request(QUERY).await.expect("redis answers");
    assert!(
        matches!(outcome, RequestOutcome::Decided { rate, .. } if rate.admitted),
        "the first request is admitted: {outcome:?}"
    );

    let (keys, _) = keys_written(&server).await;
    // `printf ak_demo_free | sha1sum`
    assert_eq!(
        keys,
        ["attractos:limits:rate:4d0e5f56967545152221d724fd704d417ba1176f"],
        "the only key written is the rate's, under the key's SHA-1"
    );
}

/// Every key the Redis store writes expires by itself, once its state no longer matters (plus
/// a margin of 10 s): a key's rate when its burst has refilled, an address's failed keys when
/// their window ends, an account's event count when its billing cycle ends.
#[tokio::test]
async fn every_key_the_redis_store_writes_expires_by_itself() {
    const MARGIN_MS: i64 = 10_000;
    let server = RedisServer::start();
    // 2024-02-29T20:00:00Z: the billing cycle (February, UTC) ends in 4 hours.
    let clock = ManualClock::at_unix_secs(1_709_236_800);
    let store = RedisStore::connect(&server.url(), DEFAULT_TIMEOUT * 10, Clock::Manual(clock))
        .expect("a valid URL");
    // A rate of 2 a minute: after one request the key's state matters for 30 s, past the margin.
    let per_minute = RequestQuery {
        emission_us: 30_000_000,
        ..QUERY
    };
    store.request(per_minute).await.expect("redis answers");
    let event = EventQuery {
        account: "user:1",
        quota: 10,
        quota_floor: 0,
    };
    let quota = store.event(event).await.expect("redis answers");
    assert_eq!(
        quota.reset_us,
        4 * 3_600_000_000,
        "the cycle ends at midnight"
    );
    let failure = AuthFailureQuery {
        address: ADDRESS,
        window_us: 60_000_000,
    };
    store.auth_failure(failure).await.expect("redis answers");

    let (keys, mut connection) = keys_written(&server).await;
    let expected = [
        ("attractos:limits:auth:ip:192.0.2.1", 60_000 + MARGIN_MS),
        ("attractos:limits:quota:user:1", 4 * 3_600_000 + MARGIN_MS),
        // Burst 2, one used: full again one emission after now.
        (
            "attractos:limits:rate:4d0e5f56967545152221d724fd704d417ba1176f",
            30_000 + MARGIN_MS,
        ),
    ];
    assert_eq!(keys, expected.map(|(key, _)| key), "the keys written");
    for (key, lifetime_ms) in expected {
        let left_ms: i64 = redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut connection)
            .await
            .expect("redis answers");
        assert!(
            (lifetime_ms - 5_000..=lifetime_ms).contains(&left_ms),
            "{key} expires in {left_ms} ms, not about {lifetime_ms} ms"
        );
    }
}

/// As its least-privilege Redis user (`common::add_least_privilege_user`), the store passes
/// the suite on the suite's clock and decides on Redis's own; a key outside its prefix is
/// refused to that user.
#[tokio::test]
async fn the_redis_store_needs_no_more_than_its_least_privilege_user() {
    let server = RedisServer::start();
    add_least_privilege_user(&server, "");
    let url = server
        .url()
        .replacen("://", "://attractos-limits:limits-password@", 1);

    let clock = ManualClock::default();
    let store = RedisStore::connect(&url, DEFAULT_TIMEOUT * 10, Clock::Manual(clock.clone()))
        .expect("a valid URL");
    run_all(&store, &clock).await;
    let store = RedisStore::connect(&url, DEFAULT_TIMEOUT * 10, Clock::Store).expect("a valid URL");
    let outcome = store
        .request(QUERY)
        .await
        .expect("decided on Redis's clock");
    assert!(
        matches!(outcome, RequestOutcome::Decided { rate, .. } if rate.admitted),
        "{outcome:?}"
    );

    let limited = redis::Client::open(url).expect("a valid URL");
    let mut limited = limited.get_connection().expect("the user logs in");
    let other: redis::RedisResult<()> = redis::cmd("SET")
        .arg("other:key")
        .arg(1)
        .query(&mut limited);
    assert!(other.is_err(), "a key outside the prefix is refused");
}
