//! Redis over TLS (`rediss://`, the `tls` feature): the whole behaviour suite through a server
//! that speaks TLS only, and a server whose certificate chains to no trusted root is a store
//! failure that says why, never a panic or a plain-text connection.

use std::net::IpAddr;
use std::time::Duration;

use attractos_errors::ErrorCode;
use attractos_limits::testing::{RedisServer, TEST_CA_PEM, run_all, unique};
use attractos_limits::{
    Account, AnyStore, Clock, DEFAULT_TIMEOUT, FailMode, Limiter, ManualClock, Plan, Policies,
    RedisStore,
};

/// A CA that signed nothing the test server shows.
const UNRELATED_CA_PEM: &[u8] = include_bytes!("tls/other-ca.pem");

#[tokio::test]
async fn the_redis_store_passes_the_suite_over_tls() {
    let server = RedisServer::start_tls();
    assert!(server.url().starts_with("rediss://"));
    let clock = ManualClock::default();
    let store = RedisStore::connect_with_ca(
        &server.url(),
        TEST_CA_PEM,
        DEFAULT_TIMEOUT * 10,
        Clock::Manual(clock.clone()),
    )
    .expect("a valid URL");
    run_all(&store, &clock).await;
}

/// The refusal of one request through `store`, the rate failing closed.
async fn answer_through(store: RedisStore) -> attractos_errors::ApiError {
    let limiter = Limiter::new(
        AnyStore::Redis(store),
        Policies {
            rate_fail_mode: FailMode::Closed,
            ..Policies::default()
        },
    );
    let client: IpAddr = "192.0.2.20".parse().unwrap();
    let key = unique("key");
    let account = Account {
        key: &key,
        id: &key,
        plan: Plan::Free,
        event_floor: 0,
    };
    limiter
        .admit(client, account)
        .await
        .outcome
        .expect_err("the store cannot be used")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_the_store_does_not_trust_or_a_plain_connection_is_a_store_failure() {
    let server = RedisServer::start_tls();
    let timeout = Duration::from_secs(2);
    let untrusted =
        RedisStore::connect_with_ca(&server.url(), UNRELATED_CA_PEM, timeout, Clock::Store)
            .expect("a valid URL");
    let err = answer_through(untrusted).await;
    assert_eq!(err.code(), ErrorCode::ServerError, "the rate fails closed");
    let cause = format!("{:?}", err.cause());
    assert!(
        cause.contains("certificate") && cause.contains("UnknownIssuer"),
        "the cause says the certificate was not trusted: {cause}"
    );

    let system_roots = RedisStore::connect(&server.url(), timeout, Clock::Store)
        .expect("a rediss:// URL is usable with the tls feature");
    let err = answer_through(system_roots).await;
    assert_eq!(
        err.code(),
        ErrorCode::ServerError,
        "the test CA is none of the system's roots"
    );

    let plain_url = server.url().replacen("rediss://", "redis://", 1);
    let refused = RedisStore::connect_with_ca(&plain_url, TEST_CA_PEM, timeout, Clock::Store)
        .expect_err("a CA is for TLS");
    assert!(refused.to_string().contains("rediss://"), "{refused}");
    let plain = RedisStore::connect(&plain_url, timeout, Clock::Store).expect("a valid URL");
    let err = answer_through(plain).await;
    assert_eq!(err.code(), ErrorCode::ServerError, "no plain-text answer");
}
