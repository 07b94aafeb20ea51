//! The behaviour suite on both stores: the in-memory one and a real Redis.

use attractos_limits::testing::{RedisServer, run_all};
use attractos_limits::{
    Clock, DEFAULT_TIMEOUT, ManualClock, MemoryStore, RedisStore, RequestOutcome, RequestQuery,
    Store,
};

#[tokio::test]
async fn the_in_memory_store_passes_the_suite() {
    let clock = ManualClock::default();
    run_all(&MemoryStore::new(Clock::Manual(clock.clone())), &clock).await;
}

#[tokio::test]
async fn the_redis_store_passes_the_suite() {
    let server = RedisServer::start();
    let clock = ManualClock::default();
    let store = RedisStore::connect(
        &server.url(),
        DEFAULT_TIMEOUT * 10,
        Clock::Manual(clock.clone()),
    )
    .expect("a valid URL");
    run_all(&store, &clock).await;
}

/// Replicas of different versions share Redis, so the key a request's rate is kept under is
/// a contract: the prefix, `rate:`, and the SHA-1 of the API key in lowercase hex (the key
/// itself never reaches Redis).
#[tokio::test]
async fn the_redis_store_keeps_a_rate_under_the_sha1_of_the_key() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url(), DEFAULT_TIMEOUT * 10, Clock::Store)
        .expect("a valid URL");
    let query = RequestQuery {
        address: "ip:192.0.2.1",
        key: "ak_demo_free",
        account: "user:1",
        emission_us: 1_000_000,
        burst: 2,
        auth_limit: 3,
        quota: 10,
        quota_floor: 0,
    };
    let outcome = store.request(query).await.expect("redis answers");
    assert!(
        matches!(outcome, RequestOutcome::Decided { rate, .. } if rate.admitted),
        "the first request is admitted: {outcome:?}"
    );

    let client = redis::Client::open(server.url()).expect("a valid URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis answers");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection)
        .await
        .expect("redis answers");
    // `printf ak_demo_free | sha1sum`
    assert_eq!(
        keys,
        ["attractos:limits:rate:4d0e5f56967545152221d724fd704d417ba1176f"],
        "the only key written is the rate's, under the key's SHA-1"
    );
}
