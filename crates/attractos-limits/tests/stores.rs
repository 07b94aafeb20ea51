//! The behaviour suite on both stores: the in-memory one and a real Redis.

use attractos_limits::testing::{RedisServer, run_all};
use attractos_limits::{Clock, DEFAULT_TIMEOUT, ManualClock, MemoryStore, RedisStore};

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
