//! Redis over TLS (`rediss://`, the `tls` feature): the whole behaviour suite through a server
//! that speaks TLS only, and through one that also authenticates its clients (mutual TLS); a
//! server whose certificate chains to no trusted root, or one that refuses the client's
//! certificate, is a store failure that says why, never a panic or a plain-text connection.

use std::net::IpAddr;
use std::time::Duration;

use attractos_errors::ErrorCode;
use attractos_limits::testing::{RedisServer, TEST_CA_PEM, run_all, test_mutual_tls, unique};
use attractos_limits::{
    Account, AnyStore, Clock, DEFAULT_TIMEOUT, FailMode, Limiter, ManualClock, Plan, Policies,
    RedisStore, RedisTls,
};

/// A CA that signed nothing the test server shows.
const UNRELATED_CA_PEM: &[u8] = include_bytes!("tls/other-ca.pem");

/// A client certificate and key that no CA of the test servers signed.
const STRANGER: [&[u8]; 2] = [
    include_bytes!("tls/stranger.pem"),
    include_bytes!("tls/stranger-key.pem"),
];

/// Trusting the test CA, whose certificate every test server shows.
fn trusting_the_test_ca() -> RedisTls {
    RedisTls::default()
        .trusting(TEST_CA_PEM)
        .expect("the test CA")
}

/// The store suite through `server`, connected with `tls`.
async fn suite_through(server: &RedisServer, tls: &RedisTls) {
    assert!(server.url().starts_with("rediss://"));
    let clock = ManualClock::default();
    let store = RedisStore::connect_with_tls(
        &server.url(),
        tls,
        DEFAULT_TIMEOUT * 10,
        Clock::Manual(clock.clone()),
    )
    .expect("a valid URL");
    run_all(&store, &clock).await;
}

#[tokio::test]
async fn the_redis_store_passes_the_suite_over_tls() {
    suite_through(&RedisServer::start_tls(), &trusting_the_test_ca()).await;
}

#[tokio::test]
async fn the_redis_store_passes_the_suite_over_mutual_tls_with_its_certificate() {
    suite_through(&RedisServer::start_mutual_tls(), &test_mutual_tls()).await;
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
    let unrelated = RedisTls::default()
        .trusting(UNRELATED_CA_PEM)
        .expect("a CA");
    let untrusted = RedisStore::connect_with_tls(&server.url(), &unrelated, timeout, Clock::Store)
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
    let refused =
        RedisStore::connect_with_tls(&plain_url, &trusting_the_test_ca(), timeout, Clock::Store)
            .expect_err("certificates are for TLS");
    assert!(refused.to_string().contains("rediss://"), "{refused}");
    let plain = RedisStore::connect(&plain_url, timeout, Clock::Store).expect("a valid URL");
    let err = answer_through(plain).await;
    assert_eq!(err.code(), ErrorCode::ServerError, "no plain-text answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_authenticates_clients_is_a_store_failure_without_a_certificate_it_accepts() {
    let server = RedisServer::start_mutual_tls();
    let timeout = Duration::from_secs(2);
    let [chain, key] = STRANGER;
    let stranger = trusting_the_test_ca()
        .with_client_certificate(chain, key)
        .expect("a certificate and its key");
    for (shown, tls, alert) in [
        ("none", trusting_the_test_ca(), "CertificateRequired"),
        ("a stranger's", stranger, "UnknownCA"),
    ] {
        let store = RedisStore::connect_with_tls(&server.url(), &tls, timeout, Clock::Store)
            .expect("a valid URL");
        let err = answer_through(store).await;
        assert_eq!(
            err.code(),
            ErrorCode::ServerError,
            "client certificate {shown}: the rate fails closed"
        );
        let cause = format!("{:?}", err.cause());
        assert!(
            cause.contains(alert),
            "client certificate {shown}: the cause names the server's alert, {alert}: {cause}"
        );
    }
}
