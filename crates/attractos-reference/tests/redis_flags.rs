//! The binary's Redis flags, run for real. TLS, against a `redis-server` that authenticates
//! its clients (mutual TLS): with `--redis-ca`, `--redis-client-cert` and `--redis-client-key`
//! the event quota (which fails closed) is counted in Redis; without the client's certificate
//! every event is `SERVER_ERROR`; a file that is not PEM stops the binary, naming its flag.
//! Sentinel: with `--redis-sentinel`, `--redis-service` and the primary's password the quota
//! is counted on the primary, and after a failover on the promoted replica, without a
//! restart; without the password every event is `SERVER_ERROR`; with `--redis-primary-user`
//! an ACL user's password, and without it the default user's (which may not run scripts), as
//! with a user in `--redis`'s URL and without; `rediss://` sentinels with
//! `--redis-ca` likewise, and without it every event is `SERVER_ERROR`; a sentinel URL that
//! cannot work stops the binary, naming its flag and no password.

use std::process::Command;

use attractos_limits::testing::{RedisServer, SentinelDeployment};
use attractos_reference::store::{keys, sites};

use crate::common::binary;

/// The test fixtures of `attractos-limits`: the CA of the server's certificate, a client
/// certificate the server accepts, and its key.
const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../attractos-limits/tests/tls");

fn fixture(file: &str) -> String {
    format!("{TLS_DIR}/{file}")
}

/// The binary on axum, its limits in the Redis at `url`, with `flags`.
fn reference(url: &str, flags: &[&str]) -> Command {
    with_flags(&[&["--redis", url], flags].concat())
}

/// The binary on axum with `flags`, a decision waiting for Redis at most 500 ms.
fn with_flags(flags: &[&str]) -> Command {
    let mut command = Command::new(binary::PATH);
    command
        .args(["--framework", "axum", "--addr", "127.0.0.1:0"])
        .args(["--redis-timeout-ms", "500"])
        .args(flags)
        .env("RUST_LOG", "info");
    command
}

/// The flags for the primary the sentinel at `url` names.
fn sentinel_flags(url: &str) -> [&str; 4] {
    [
        "--redis-sentinel",
        url,
        "--redis-service",
        SentinelDeployment::SERVICE,
    ]
}

/// The code of the answer to one event (`""` when it is accepted).
async fn event_code(addr: &str) -> String {
    let body = format!(
        r#"{{"site_id":"{}","name":"pageview","url":"https://t.test/"}}"#,
        sites::DEMO
    );
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/events"))
        .bearer_auth(keys::FREE)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let text = response.text().await.expect("a body");
    if status.is_success() {
        return String::new();
    }
    let body: serde_json::Value = serde_json::from_str(&text).expect("a contract body");
    body["code"].as_str().expect("a code").to_owned()
}

/// The code of the answer to the first event of the binary started by `command`, which is
/// stopped after it.
async fn first_event_code(command: Command) -> String {
    let mut started = binary::start(command);
    let code = event_code(&started.addr).await;
    let _ = started.child.kill();
    let _ = started.child.wait();
    code
}

#[tokio::test]
async fn the_binary_counts_events_in_a_redis_that_authenticates_it_only_with_its_certificate() {
    let redis = RedisServer::start_mutual_tls();
    let ca = fixture("ca.pem");
    let (chain, key) = (fixture("client.pem"), fixture("client-key.pem"));
    let certified = [
        "--redis-ca",
        &ca,
        "--redis-client-cert",
        &chain,
        "--redis-client-key",
        &key,
    ];
    for (flags, expected) in [(&certified[..], ""), (&certified[..2], "SERVER_ERROR")] {
        let code = first_event_code(reference(&redis.url(), flags)).await;
        assert_eq!(code, expected, "flags {flags:?}");
    }
}

#[test]
fn a_tls_file_that_is_not_pem_stops_the_binary_naming_its_flag() {
    let (ca, chain) = (fixture("ca.pem"), fixture("client.pem"));
    let flags = [
        "--redis-ca",
        &ca,
        "--redis-client-cert",
        &chain,
        "--redis-client-key",
        &chain,
    ];
    // The files are read before any connection: no server is needed.
    let output = reference("rediss://127.0.0.1:1", &flags)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "attractos-reference: --redis-client-cert, --redis-client-key: \
             the client's private key is not usable"
        ),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_binary_counts_events_on_the_primary_the_sentinels_name_through_a_failover() {
    let password = "sentinel-test-password";
    let mut deployment = SentinelDeployment::start(Some(password));
    let sentinel = deployment.sentinel_url();
    let through_sentinels = sentinel_flags(&sentinel);
    let refused = first_event_code(with_flags(&through_sentinels)).await;
    assert_eq!(refused, "SERVER_ERROR", "the primary wants its password");
    let mut with_password = with_flags(&through_sentinels);
    with_password.env("ATTRACTOS_REDIS_PRIMARY_PASSWORD", password);
    let mut started = binary::start(with_password);
    assert_eq!(
        event_code(&started.addr).await,
        "",
        "counted on the primary"
    );

    deployment.primary.kill();
    deployment.wait_for_failover();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !event_code(&started.addr).await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no event counted on the promoted replica within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = started.child.kill();
    let _ = started.child.wait();
}

/// Gives `server` a user `attractos-limits` (password `limits-password`) that may do
/// anything, and takes scripts from its default user (which a sentinel's link does not need).
fn only_the_limits_user_runs_scripts(server: &RedisServer) {
    let client = redis::Client::open(server.url()).expect("a valid URL");
    let mut admin = client.get_connection().expect("redis answers");
    for rules in [
        &["attractos-limits", "on", ">limits-password", "~*", "+@all"][..],
        &["default", "-evalsha"],
    ] {
        let () = redis::cmd("ACL")
            .arg("SETUSER")
            .arg(rules)
            .query(&mut admin)
            .expect("the user is set");
    }
}

/// An ACL user in `--redis`'s URL: events are counted as that user, and refused
/// (`SERVER_ERROR`) as the default one, who may not run scripts.
#[tokio::test]
async fn the_binary_uses_the_user_its_redis_url_names() {
    let redis = RedisServer::start();
    only_the_limits_user_runs_scripts(&redis);
    let as_user = redis
        .url()
        .replacen("://", "://attractos-limits:limits-password@", 1);
    for (url, expected) in [(as_user, ""), (redis.url(), "SERVER_ERROR")] {
        let code = first_event_code(reference(&url, &[])).await;
        assert_eq!(code, expected, "{url}");
    }
}

/// An ACL user for the primary the sentinels name: events are counted with
/// `--redis-primary-user`, and refused (`SERVER_ERROR`) without it.
#[tokio::test]
async fn the_binary_gives_the_primary_the_user_its_password_is_of() {
    let deployment = SentinelDeployment::start(None);
    for server in [&deployment.primary, &deployment.replica] {
        only_the_limits_user_runs_scripts(server);
    }
    let sentinel = deployment.sentinel_url();
    let password = ["--redis-primary-password", "limits-password"];
    let through_sentinels = [&sentinel_flags(&sentinel)[..], &password].concat();
    let user = ["--redis-primary-user", "attractos-limits"];
    for (flags, expected) in [
        (&[&through_sentinels[..], &user].concat(), ""),
        (&through_sentinels, "SERVER_ERROR"),
    ] {
        let code = first_event_code(with_flags(flags)).await;
        assert_eq!(code, expected, "flags {flags:?}");
    }
}

#[tokio::test]
async fn the_binary_counts_events_through_tls_sentinels_trusting_the_ca_it_is_given() {
    let deployment = SentinelDeployment::start_tls(None);
    let sentinel = deployment.sentinel_url();
    let ca = fixture("ca.pem");
    let through_sentinels = sentinel_flags(&sentinel);
    for (flags, expected) in [
        (&[&through_sentinels[..], &["--redis-ca", &ca]].concat(), ""),
        (&through_sentinels.to_vec(), "SERVER_ERROR"),
    ] {
        let code = first_event_code(with_flags(flags)).await;
        assert_eq!(code, expected, "flags {flags:?}");
    }
}

#[test]
fn a_sentinel_url_that_cannot_work_stops_the_binary_naming_its_flag_not_its_password() {
    let output = with_flags(&[
        "--redis-sentinel",
        "redis://127.0.0.1:26379,rediss://:hunter2@127.0.0.1:26380",
        "--redis-service",
        "attractos",
    ])
    .output()
    .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("attractos-reference: --redis-sentinel: ")
            && stderr.contains("mix redis:// and rediss://"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
