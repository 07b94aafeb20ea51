//! Redis through Sentinel: the behaviour suite on the primary the sentinels name (the first
//! sentinel given down), one connection to it for every decision and a new one when it drops
//! that, failovers made for real (the primary killed; a planned one, the old primary still
//! running) after which the limits carry on on the promoted replica with the counts it
//! replicated, without a restart, every answer in bounded time; the sentinels listened to in
//! turn (the one listened to killed before a planned failover) until the store is dropped;
//! the primary's password, and a least-privilege user's; TLS to the sentinels and the
//! primary; and settings that cannot work refused at once, naming no secret.

use std::time::{Duration, Instant};

use attractos_errors::ErrorCode;
use attractos_limits::testing::{SentinelDeployment, TEST_CA_PEM, run_all, unique};
use attractos_limits::{
    AnyStore, Clock, DEFAULT_TIMEOUT, Limiter, ManualClock, Policies, QuotaPolicy, RedisSentinels,
    RedisStore, RedisTls,
};

use crate::common::{add_least_privilege_user, client, free_account};

fn sentinels(deployment: &SentinelDeployment) -> RedisSentinels {
    RedisSentinels::new(SentinelDeployment::SERVICE, deployment.sentinel_urls())
        .expect("valid URLs")
}

/// A limiter with `policies` on the primary `sentinels` name, each decision waiting at most
/// `timeout`.
fn limiter_through(sentinels: &RedisSentinels, timeout: Duration, policies: Policies) -> Limiter {
    let store = RedisStore::connect_via_sentinels(sentinels, timeout, Clock::Store)
        .expect("valid settings");
    Limiter::new(AnyStore::Redis(store), policies)
}

/// The default policies with a quota of `events` on the Free plan.
fn quota_of(events: u64) -> Policies {
    Policies {
        free_quota: QuotaPolicy { events },
        ..Policies::default()
    }
}

/// A loopback URL nothing listens on.
fn nobody() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    format!("redis://:hunter2@127.0.0.1:{port}")
}

#[tokio::test]
async fn the_redis_store_passes_the_suite_through_sentinels_the_first_of_which_is_down() {
    let deployment = SentinelDeployment::start(None);
    let sentinels = RedisSentinels::new(
        SentinelDeployment::SERVICE,
        [nobody(), deployment.sentinel_url()],
    )
    .expect("valid URLs");
    suite_through(&sentinels).await;
}

/// The store's behaviour suite through `sentinels`, on a manual clock.
async fn suite_through(sentinels: &RedisSentinels) {
    let clock = ManualClock::default();
    let store = RedisStore::connect_via_sentinels(
        sentinels,
        DEFAULT_TIMEOUT * 10,
        Clock::Manual(clock.clone()),
    )
    .expect("valid settings");
    run_all(&store, &clock).await;
}

#[tokio::test]
async fn decisions_share_one_connection_to_the_primary() {
    let deployment = SentinelDeployment::start(None);
    let limiter = limiter_through(
        &sentinels(&deployment),
        DEFAULT_TIMEOUT * 10,
        Policies::default(),
    );
    let key = unique("key");
    assert!(event(&limiter, &key).await.is_ok());
    let before = deployment.connections_received(&deployment.primary);
    for _ in 0..20 {
        assert!(event(&limiter, &key).await.is_ok());
    }
    let after = deployment.connections_received(&deployment.primary);
    assert_eq!(
        after - before,
        1,
        "20 decisions opened no connection (the one counted is the question's own)"
    );
}

/// The answer to one event of `key`'s account.
async fn event(limiter: &Limiter, key: &str) -> Result<(), attractos_errors::ApiError> {
    limiter.count_event(free_account(key), None).await.outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_failover_the_limits_carry_on_on_the_promoted_replica_without_a_restart() {
    let mut deployment = SentinelDeployment::start(None);
    // Driven on the test's runtime, as an axum service's store may be.
    let store =
        RedisStore::connect_via_sentinels(&sentinels(&deployment), DEFAULT_TIMEOUT, Clock::Store)
            .expect("valid settings")
            .on_runtime(tokio::runtime::Handle::current());
    let limiter = Limiter::new(AnyStore::Redis(store), quota_of(5));
    let key = unique("key");
    for n in 1..=3 {
        let counted = event(&limiter, &key).await;
        assert!(counted.is_ok(), "event {n} of 5 is accepted");
    }
    // A failover loses what the replica did not have yet (docs/limits.md).
    deployment.wait_until_replicated();

    let primary = deployment.primary.port();
    deployment.primary.kill();
    let started = Instant::now();
    let mut failed = 0;
    let accepted = loop {
        let asked = Instant::now();
        let counted = event(&limiter, &key).await;
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "a decision took {:?}",
            asked.elapsed()
        );
        match counted {
            Ok(()) => break started.elapsed(),
            Err(err) => {
                assert_eq!(err.code(), ErrorCode::ServerError, "the quota fails closed");
                let cause = format!("{:?}", err.cause());
                assert!(!cause.contains(&primary.to_string()), "{cause}");
                failed += 1;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no event accepted within 10 s of the primary's death"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(failed > 0, "the primary's death was noticed");
    assert_eq!(
        deployment.primary_port(),
        Some(deployment.replica.port()),
        "the sentinel promoted the replica ({accepted:?} after the kill)"
    );
    // Event 4 of 5 was accepted on the promoted replica: it had events 1 to 3.
    assert!(event(&limiter, &key).await.is_ok());
    let refused = event(&limiter, &key).await;
    assert_eq!(
        refused.unwrap_err().code(),
        ErrorCode::LimitExceeded,
        "event 6 of 5 is refused: the count carried over"
    );
}

#[tokio::test]
async fn a_connection_the_primary_drops_is_made_again() {
    let deployment = SentinelDeployment::start(None);
    let limiter = limiter_through(
        &sentinels(&deployment),
        DEFAULT_TIMEOUT,
        Policies::default(),
    );
    let key = unique("key");
    assert!(event(&limiter, &key).await.is_ok());
    assert!(
        deployment.drop_clients(&deployment.primary) >= 1,
        "the store's connection is closed"
    );
    // No failover: the same primary, a new connection to it.
    let deadline = Instant::now() + Duration::from_secs(2);
    while event(&limiter, &key).await.is_err() {
        assert!(Instant::now() < deadline, "no event accepted within 2 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(deployment.primary_port(), Some(deployment.primary.port()));
}

/// After a planned failover the old primary keeps taking writes until the sentinels demote it
/// (about ten seconds), and loses them then: the store must leave it when the sentinels
/// announce the new one (`+switch-master`), not when it starts refusing writes; and it must
/// hear that from the next sentinel when the one it listened to has gone away.
#[tokio::test]
async fn after_a_planned_failover_the_limits_move_at_once_though_the_sentinel_listened_to_is_gone()
{
    let mut deployment = SentinelDeployment::start_with_sentinels(None, 2);
    let limiter = limiter_through(&sentinels(&deployment), DEFAULT_TIMEOUT, quota_of(3));
    let key = first_event(&deployment, &limiter).await;
    without_the_first_sentinel(&mut deployment).await;
    deployment.fail_over();
    // The sentinel's announcement reaches the store within microseconds on loopback.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for n in 2..=3 {
        assert!(event(&limiter, &key).await.is_ok(), "event {n} of 3");
    }
    // Once the old primary is a replica it holds the new one's data: had events 2 and 3 gone
    // to it, they would be lost now, and event 4 accepted.
    deployment.wait_until_demoted();
    assert_eq!(
        event(&limiter, &key).await.unwrap_err().code(),
        ErrorCode::LimitExceeded,
        "event 4 of 3 is refused: events 2 and 3 were counted by the new primary"
    );
}

/// Event 1 of 3 of a new key (returned), counted; the store listens to a sentinel.
async fn first_event(deployment: &SentinelDeployment, limiter: &Limiter) -> String {
    let key = unique("key");
    assert!(event(limiter, &key).await.is_ok(), "event 1 of 3");
    listening(deployment, 1).await;
    key
}

/// Kills the first sentinel, which the store listens to, and waits until the store listens to
/// another and the replica has every count.
async fn without_the_first_sentinel(deployment: &mut SentinelDeployment) {
    deployment.kill_sentinel(0);
    listening(deployment, 1).await;
    deployment.wait_until_replicated();
}

/// Kills the primary: within 10 s an event of `key` (event 2 of 3) is counted on the
/// promoted replica, which has event 1, so event 4 of 3 is refused there.
async fn the_primarys_death_is_followed(
    deployment: &mut SentinelDeployment,
    limiter: &Limiter,
    key: &str,
) {
    deployment.primary.kill();
    let deadline = Instant::now() + Duration::from_secs(10);
    while event(limiter, key).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "no event accepted within 10 s of the primary's death"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(deployment.primary_port(), Some(deployment.replica.port()));
    assert!(event(limiter, key).await.is_ok(), "event 3 of 3");
    assert_eq!(
        event(limiter, key).await.unwrap_err().code(),
        ErrorCode::LimitExceeded,
        "event 4 of 3 is refused on the promoted replica: the count carried over"
    );
}

/// Three sentinels that know each other, and a limiter (a quota of 3) whose store is given
/// the first of them only.
fn three_sentinels_and_a_store_given_the_first() -> (SentinelDeployment, Limiter) {
    let deployment = SentinelDeployment::start_with_sentinels(None, 3);
    deployment.wait_until_sentinels_know_each_other();
    let first = RedisSentinels::new(SentinelDeployment::SERVICE, [deployment.sentinel_url()])
        .expect("valid settings");
    let limiter = limiter_through(&first, DEFAULT_TIMEOUT, quota_of(3));
    (deployment, limiter)
}

/// A store given one sentinel of three learns the other two from it (`SENTINEL SENTINELS`):
/// once that one is gone, it listens to one of them, and after the primary's death asks them
/// for the promoted replica. Knowing only the sentinel it was given, it would hear nothing
/// and fail every decision from then on.
#[tokio::test]
async fn a_store_given_one_sentinel_learns_the_others_and_follows_a_failover_without_it() {
    let (mut deployment, limiter) = three_sentinels_and_a_store_given_the_first();
    let key = first_event(&deployment, &limiter).await;
    without_the_first_sentinel(&mut deployment).await;
    the_primarys_death_is_followed(&mut deployment, &limiter, &key).await;
}

/// Sentinels brought up together learn of each other over their first seconds: a store that
/// began listening before its sentinel knew the others (here, one that has just forgotten
/// them, `SENTINEL RESET`) asks it again every 10 s, and so still follows a failover once
/// that sentinel is gone.
#[tokio::test]
async fn a_store_learns_the_sentinels_its_sentinel_meets_after_it_began_listening() {
    let (mut deployment, limiter) = three_sentinels_and_a_store_given_the_first();
    deployment.reset_sentinel(0);
    let key = first_event(&deployment, &limiter).await;
    deployment.wait_until_sentinels_know_each_other();
    // The store's next question, 10 s after its first.
    tokio::time::sleep(Duration::from_secs(11)).await;
    without_the_first_sentinel(&mut deployment).await;
    the_primarys_death_is_followed(&mut deployment, &limiter, &key).await;
}

#[tokio::test]
async fn a_store_listens_to_the_sentinels_until_it_is_dropped() {
    let deployment = SentinelDeployment::start(None);
    let store =
        RedisStore::connect_via_sentinels(&sentinels(&deployment), DEFAULT_TIMEOUT, Clock::Store)
            .expect("valid settings")
            .on_runtime(tokio::runtime::Handle::current());
    let limiter = Limiter::new(AnyStore::Redis(store), Policies::default());
    assert!(event(&limiter, &unique("key")).await.is_ok());
    listening(&deployment, 1).await;
    drop(limiter);
    listening(&deployment, 0).await;
}

/// Waits (at most 2 s) until `expected` clients listen to the sentinels that live.
async fn listening(deployment: &SentinelDeployment, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while deployment.sentinel_subscribers() != expected {
        assert!(Instant::now() < deadline, "{expected} listening within 2 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Through Sentinel the store's least-privilege Redis user does: redis-rs asks the server the
/// sentinels name whether it is the primary, by `ROLE` or else `INFO replication`, which the
/// user's `INFO` allows; without `INFO` (nor `ROLE`), each decision is a store failure.
#[tokio::test]
async fn through_sentinels_the_least_privilege_user_does_with_its_info() {
    let deployment = SentinelDeployment::start(None);
    let with_rights = |more: &str| {
        for server in [&deployment.primary, &deployment.replica] {
            add_least_privilege_user(server, more);
        }
        let sentinels = sentinels(&deployment)
            .with_primary_password(Some("attractos-limits"), "limits-password");
        let store = RedisStore::connect_via_sentinels(&sentinels, DEFAULT_TIMEOUT, Clock::Store)
            .expect("valid settings");
        Limiter::new(AnyStore::Redis(store), Policies::default())
    };
    let without_info = with_rights("-info");
    let err = event(&without_info, &unique("key")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ServerError, "a store failure");
    let least = with_rights("");
    assert!(event(&least, &unique("key")).await.is_ok());
}

#[tokio::test]
async fn the_primary_password_is_given_to_whichever_server_is_primary() {
    let password = "correct-horse-battery-staple";
    let mut deployment = SentinelDeployment::start(Some(password));
    let connect = |sentinels: RedisSentinels| {
        let store = RedisStore::connect_via_sentinels(&sentinels, DEFAULT_TIMEOUT, Clock::Store)
            .expect("valid settings");
        Limiter::new(AnyStore::Redis(store), Policies::default())
    };
    let with = connect(sentinels(&deployment).with_primary_password(None, password));
    let without = connect(sentinels(&deployment));
    let wrong = connect(sentinels(&deployment).with_primary_password(None, "hunter2"));

    let key = unique("key");
    assert!(event(&with, &key).await.is_ok());
    for limiter in [&without, &wrong] {
        let err = event(limiter, &key).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::ServerError);
        let cause = format!("{:?}", err.cause());
        assert!(
            !cause.contains("hunter2") && !cause.contains("horse"),
            "{cause}"
        );
    }

    deployment.primary.kill();
    deployment.wait_for_failover();
    let deadline = Instant::now() + Duration::from_secs(5);
    while event(&with, &key).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the promoted replica took no event with the password within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sentinels_that_do_not_answer_get_the_fail_modes_in_bounded_time() {
    let url = nobody();
    let port = url.rsplit(':').next().unwrap().to_owned();
    let sentinels = RedisSentinels::new("attractos", [url]).unwrap();
    let store = RedisStore::connect_via_sentinels(&sentinels, DEFAULT_TIMEOUT, Clock::Store)
        .expect("valid settings");
    let limiter = Limiter::new(AnyStore::Redis(store), Policies::default());
    let key = unique("key");
    let started = Instant::now();
    let counted = event(&limiter, &key).await;
    let admitted = limiter.admit(client(), free_account(&key)).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(
        admitted.outcome.is_ok(),
        "the rate fails open (per-process fallback)"
    );
    let err = counted.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ServerError, "the quota fails closed");
    let cause = format!("{:?}", err.cause());
    assert!(
        !cause.contains("hunter2") && !cause.contains(&port),
        "{cause}"
    );
}

#[tokio::test]
async fn the_redis_store_passes_the_suite_through_sentinels_over_tls() {
    let deployment = SentinelDeployment::start_tls(Some("tls-test-password"));
    assert!(deployment.sentinel_url().starts_with("rediss://"));
    let sentinels = sentinels(&deployment)
        .with_primary_password(None, "tls-test-password")
        .with_tls(&RedisTls::default().trusting(TEST_CA_PEM).unwrap());
    suite_through(&sentinels).await;
}

#[tokio::test]
async fn tls_sentinels_whose_certificate_is_not_trusted_are_a_store_failure() {
    let deployment = SentinelDeployment::start_tls(None);
    // The system's roots: the test CA is not among them. Time enough for the handshake to
    // fail, on a busy machine too: the cause is what is tested.
    let limiter = limiter_through(
        &sentinels(&deployment),
        DEFAULT_TIMEOUT * 10,
        Policies::default(),
    );
    let err = event(&limiter, &unique("key")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ServerError, "the quota fails closed");
    let cause = format!("{:?}", err.cause());
    assert!(cause.contains("UnknownIssuer"), "{cause}");
}

#[test]
fn settings_that_cannot_work_are_refused_naming_no_secret() {
    let none: [&str; 0] = [];
    let empty = RedisSentinels::new("attractos", none).unwrap_err();
    assert!(empty.to_string().contains("no sentinel"), "{empty}");
    let mixed = RedisSentinels::new(
        "attractos",
        [
            "redis://127.0.0.1:26379",
            "rediss://:hunter2@127.0.0.1:26380",
        ],
    )
    .unwrap_err();
    assert!(
        mixed.to_string().contains("mix redis:// and rediss://"),
        "{mixed}"
    );
    let credentials = RedisSentinels::new(
        "attractos",
        [
            "rediss://:hunter2@127.0.0.1:26379",
            "rediss://:hunter3@127.0.0.1:26380",
        ],
    )
    .unwrap_err();
    assert!(
        credentials.to_string().contains("share their credentials"),
        "{credentials}"
    );
    let shared = [
        "rediss://limits:hunter2@127.0.0.1:26379",
        "rediss://limits:hunter2@127.0.0.1:26380",
    ];
    assert!(
        RedisSentinels::new("attractos", shared).is_ok(),
        "TLS sentinels that share their credentials are taken"
    );
    let bad = RedisSentinels::new("attractos", ["redis://:hunter2@[bad"]).unwrap_err();
    let plain = RedisSentinels::new("attractos", ["redis://:hunter2@127.0.0.1:26379"]).unwrap();
    let certificates = RedisStore::connect_via_sentinels(
        &plain
            .clone()
            .with_tls(&RedisTls::default().trusting(TEST_CA_PEM).unwrap()),
        DEFAULT_TIMEOUT,
        Clock::Store,
    )
    .unwrap_err();
    assert!(
        certificates
            .to_string()
            .contains("certificates are for rediss:// sentinels"),
        "{certificates}"
    );
    for err in [mixed, credentials, bad, certificates] {
        assert!(!format!("{err} {err:?}").contains("hunter"), "{err:?}");
    }
    let sentinels = plain.with_primary_password(Some("limits"), "hunter3");
    assert_eq!(
        format!("{sentinels:?}"),
        r#"RedisSentinels { service: "attractos", sentinels: 1, primary_password: true, tls: false }"#
    );
}
