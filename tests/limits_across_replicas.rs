//! Two replicas of the reference server, one axum and one actix-web, on one real Redis: the
//! limits hold across them, the answers stay in the contract when Redis dies, and limits are
//! shared again once it is back, with no restart of the servers.

use std::net::{IpAddr, TcpListener};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use attractos_limits::ProxyTrust;
use attractos_limits::testing::{RedisServer, test_mutual_tls};
use attractos_reference::store::{keys, sites};
use attractos_reference::{Framework, Options, Server, serve};
use serde_json::Value;
use time::macros::datetime;

/// One answer, as a client sees it.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Value,
    text: String,
    retry_after: Option<u64>,
    ratelimit: Option<String>,
    elapsed: Duration,
}

impl Answer {
    fn code(&self) -> Option<&str> {
        self.body["code"].as_str()
    }

    /// The `t` of the RateLimit field's items.
    fn resets(&self) -> Vec<u64> {
        let Some(field) = &self.ratelimit else {
            return Vec::new();
        };
        field
            .split(',')
            .filter_map(|item| item.split(";t=").nth(1))
            .map(|t| t.trim().parse().expect("t is an integer"))
            .collect()
    }

    /// The contract's promises about a 429: Retry-After equals the body's retry_after, and
    /// is not earlier than any reset the RateLimit field states.
    fn assert_honest_429(&self) {
        let body = self.body["retry_after"]
            .as_u64()
            .expect("a 429 has retry_after");
        assert_eq!(
            self.retry_after,
            Some(body),
            "Retry-After equals retry_after: {self:?}"
        );
        for reset in self.resets() {
            assert!(
                body >= reset,
                "Retry-After {body} is not earlier than t={reset}: {self:?}"
            );
        }
    }
}

struct Replicas {
    redis: RedisServer,
    servers: [Server; 2],
}

/// How long a decision may wait for Redis in the tests that are not about Redis failing. The
/// default (50 ms) is for production; on a machine loaded by the parallel debug-build suite a
/// decision has taken longer, and then the policy's failure mode answered (the quota's: a
/// `SERVER_ERROR`), which is the design, tested in the Redis-dying test, not what these test.
const UNHURRIED: Duration = Duration::from_secs(2);

impl Replicas {
    fn start(options: impl Fn(Options) -> Options) -> Self {
        Self::start_on(RedisServer::start(), options)
    }

    fn start_on(redis: RedisServer, options: impl Fn(Options) -> Options) -> Self {
        let options = options(
            Options::default()
                .redis(redis.url())
                .redis_timeout(UNHURRIED),
        );
        let start = |framework| {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
            serve(framework, listener, options.clone()).expect("the server starts")
        };
        Replicas {
            servers: [start(Framework::Axum), start(Framework::Actix)],
            redis,
        }
    }

    fn url(&self, n: usize) -> String {
        self.servers[n % 2].url()
    }
}

fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<IpAddr>().expect("an address"))
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a client")
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let started = Instant::now();
    let response = request.send().await.expect("an answer");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().expect("ASCII").to_owned())
    };
    let retry_after = header("retry-after").map(|v| v.parse().expect("seconds"));
    let ratelimit = header("ratelimit");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
        retry_after,
        ratelimit,
        elapsed: started.elapsed(),
    }
}

async fn get_sites(client: &reqwest::Client, base: &str, key: &str) -> Answer {
    send(client.get(format!("{base}/api/v1/sites")).bearer_auth(key)).await
}

/// [`get_sites`] with an `X-Forwarded-For` value, as a proxy (or a client posing as one) sends.
async fn get_sites_via(client: &reqwest::Client, base: &str, key: &str, forwarded: &str) -> Answer {
    let request = client.get(format!("{base}/api/v1/sites")).bearer_auth(key);
    send(request.header("x-forwarded-for", forwarded)).await
}

async fn post_event(client: &reqwest::Client, base: &str, key: &str, site: &str) -> Answer {
    let body = format!(r#"{{"site_id":"{site}","name":"pageview","url":"https://example.test/"}}"#);
    send(
        client
            .post(format!("{base}/api/v1/events"))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body),
    )
    .await
}

fn per_second(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("not zero")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_over_both_replicas_gets_no_more_than_the_policy_allows() {
    const RATE: u32 = 5;
    let replicas = Replicas::start(|options| options.rate_limit(per_second(RATE)));
    let client = Arc::new(client_from("127.0.0.1"));
    let started = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|worker| {
            let (client, bases) = (Arc::clone(&client), [replicas.url(0), replicas.url(1)]);
            tokio::spawn(async move {
                let mut answers = Vec::new();
                let mut n = worker;
                while started.elapsed() < Duration::from_millis(1500) {
                    answers.push(get_sites(&client, &bases[n % 2], keys::FREE).await);
                    n += 1;
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.expect("a worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let admitted = answers.iter().filter(|a| a.status == 200).count() as f64;
    let allowed = f64::from(RATE) + f64::from(RATE) * elapsed;
    assert!(
        admitted <= allowed.ceil(),
        "{admitted} admitted in {elapsed:.2} s; the policy allows a burst of {RATE} + {RATE}/s = {allowed:.1}"
    );
    assert!(
        admitted >= f64::from(RATE),
        "at least the burst is admitted, got {admitted}"
    );
    for answer in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(answer.code(), Some("RATE_LIMITED"), "{answer:?}");
        answer.assert_honest_429();
    }
    drop(replicas);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_waits_its_retry_after_is_admitted_by_the_other_replica() {
    let replicas = Replicas::start(|options| options.rate_limit(per_second(1)));
    let client = client_from("127.0.0.1");
    assert_eq!(
        get_sites(&client, &replicas.url(0), keys::FREE)
            .await
            .status,
        200
    );
    let refused = get_sites(&client, &replicas.url(1), keys::FREE).await;
    assert_eq!(
        refused.code(),
        Some("RATE_LIMITED"),
        "the other replica knows: {refused:?}"
    );
    refused.assert_honest_429();
    let wait = refused.retry_after.expect("Retry-After");
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let admitted = get_sites(&client, &replicas.url(1), keys::FREE).await;
    assert_eq!(
        admitted.status, 200,
        "admitted after waiting {wait} s: {admitted:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_limits_through_a_redis_that_authenticates_them_over_tls() {
    let replicas = Replicas::start_on(RedisServer::start_mutual_tls(), |options| {
        options
            .rate_limit(per_second(1))
            .redis_tls(test_mutual_tls())
    });
    let client = client_from("127.0.0.1");
    let first = get_sites(&client, &replicas.url(0), keys::FREE).await;
    assert_eq!(first.status, 200, "{first:?}");
    let refused = get_sites(&client, &replicas.url(1), keys::FREE).await;
    assert_eq!(
        refused.code(),
        Some("RATE_LIMITED"),
        "the other replica knows, through rediss://: {refused:?}"
    );
    refused.assert_honest_429();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_is_exact_across_replicas() {
    // 2024-06-15 12:00 UTC: the cycle resets in 15.5 days.
    const RESET: u64 = 1_339_200;
    let replicas = Replicas::start(|options| {
        options
            .rate_limit(per_second(1_000_000))
            .event_quota_free(500)
            .clock(|| datetime!(2024-06-15 12:00 UTC))
    });
    let client = Arc::new(client_from("127.0.0.1"));
    let permits = Arc::new(tokio::sync::Semaphore::new(32));
    let tasks: Vec<_> = (0..1000)
        .map(|n| {
            let (client, base, permits) =
                (Arc::clone(&client), replicas.url(n), Arc::clone(&permits));
            tokio::spawn(async move {
                let _permit = permits.acquire().await.expect("open");
                post_event(&client, &base, keys::FREE, sites::DEMO).await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        let answer = task.await.expect("a request");
        if answer.status == 202 {
            accepted += 1;
            continue;
        }
        assert_eq!(answer.code(), Some("LIMIT_EXCEEDED"), "{answer:?}");
        assert_eq!(
            answer.retry_after,
            Some(RESET),
            "retry_after is the time to the reset"
        );
        answer.assert_honest_429();
    }
    assert_eq!(
        accepted, 500,
        "exactly the quota is accepted across both replicas"
    );
    // The fixture whose quota starts spent is spent on this fresh Redis too.
    for replica in 0..2 {
        let answer = post_event(&client, &replicas.url(replica), keys::QUOTA, sites::QUOTA).await;
        assert_eq!(answer.code(), Some("LIMIT_EXCEEDED"), "{answer:?}");
        assert_eq!(answer.retry_after, Some(RESET), "{answer:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_guessing_is_throttled_across_replicas_but_not_other_addresses() {
    const ALLOWANCE: u32 = 10;
    let replicas = Replicas::start(|options| options.auth_failure_limit(per_second(ALLOWANCE)));
    let guesser = client_from("127.0.0.1");
    for guess in 0..2 * ALLOWANCE as usize {
        // A fresh X-Forwarded-For each time: not believed, as no proxy is trusted.
        let forwarded = format!("198.51.100.{guess}");
        let answer = get_sites_via(
            &guesser,
            &replicas.url(guess),
            &format!("ak_guess_{guess}"),
            &forwarded,
        )
        .await;
        if guess < ALLOWANCE as usize {
            assert_eq!(
                answer.code(),
                Some("INVALID_KEY"),
                "guess {guess}: {answer:?}"
            );
        } else {
            assert_eq!(
                answer.code(),
                Some("RATE_LIMITED"),
                "guess {guess}: {answer:?}"
            );
            answer.assert_honest_429();
            let wait = answer.retry_after.expect("Retry-After");
            assert!(
                (1..=60).contains(&wait),
                "within the minute's window: {wait}"
            );
        }
    }
    let valid_from_guesser = get_sites(&guesser, &replicas.url(0), keys::FREE).await;
    assert_eq!(
        valid_from_guesser.code(),
        Some("RATE_LIMITED"),
        "whatever key it sends"
    );
    let other = client_from("127.0.0.2");
    for replica in 0..2 {
        let answer = get_sites(&other, &replicas.url(replica), keys::PRO).await;
        assert_eq!(
            answer.status, 200,
            "another address is unaffected: {answer:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_last_forwarded_address_is_the_client() {
    const ALLOWANCE: u32 = 5;
    let replicas = Replicas::start(|options| {
        options
            .auth_failure_limit(per_second(ALLOWANCE))
            .proxy_trust(ProxyTrust::LastXForwardedFor)
    });
    // Every request comes from the proxy's address; the first entries are the client's own
    // say, which it may forge, the last is what the proxy saw.
    let proxy = client_from("127.0.0.1");
    for guess in 0..=ALLOWANCE as usize {
        let forwarded = format!("10.0.0.{guess}, 203.0.113.9");
        let key = format!("ak_guess_{guess}");
        let answer = get_sites_via(&proxy, &replicas.url(guess), &key, &forwarded).await;
        let expected = if guess < ALLOWANCE as usize {
            "INVALID_KEY"
        } else {
            "RATE_LIMITED"
        };
        assert_eq!(answer.code(), Some(expected), "guess {guess}: {answer:?}");
    }
    for replica in 0..2 {
        let url = replicas.url(replica);
        let guesser = get_sites_via(&proxy, &url, keys::FREE, "203.0.113.9").await;
        assert_eq!(
            guesser.code(),
            Some("RATE_LIMITED"),
            "whatever key it sends: {guesser:?}"
        );
        let other = get_sites_via(&proxy, &url, keys::PRO, "10.0.0.1, 203.0.113.10").await;
        assert_eq!(
            other.status, 200,
            "another client behind the proxy: {other:?}"
        );
        // A proxy that adds its own line after the client's (as HAProxy's `forwardfor`).
        let request = proxy
            .get(format!("{url}/api/v1/sites"))
            .bearer_auth(keys::FREE);
        let two_lines = request
            .header("x-forwarded-for", "203.0.113.50")
            .header("x-forwarded-for", "203.0.113.9");
        let guesser = send(two_lines).await;
        assert_eq!(
            guesser.code(),
            Some("RATE_LIMITED"),
            "the last line is the proxy's: {guesser:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_dying_mid_flood_gets_the_fail_modes_and_coming_back_shares_limits_again() {
    let mut replicas = Replicas::start(|options| {
        options
            .rate_limit(per_second(1))
            .redis_timeout(attractos_limits::DEFAULT_TIMEOUT)
    });
    let client = client_from("127.0.0.1");
    let port = replicas.redis.port().to_string();
    let check = |answer: &Answer| {
        assert!(
            answer.elapsed < Duration::from_secs(1),
            "answered in {:?}",
            answer.elapsed
        );
        assert!(
            answer.status == 200 || answer.status == 202 || answer.code().is_some(),
            "a contract answer: {answer:?}"
        );
        assert!(
            !answer.text.contains("redis") && !answer.text.contains(&port),
            "nothing about the store leaks: {answer:?}"
        );
    };
    for n in 0..10 {
        check(&get_sites(&client, &replicas.url(n), keys::PRO).await);
    }
    replicas.redis.kill();
    let (mut served, mut closed) = (0, 0);
    for n in 0..20 {
        let answer = get_sites(&client, &replicas.url(n), keys::PRO).await;
        check(&answer);
        served += usize::from(answer.status == 200);
        let event = post_event(&client, &replicas.url(n), keys::PRO, sites::PRO).await;
        check(&event);
        // The fallback rate may refuse first; past it, the quota fails closed.
        assert!(
            matches!(event.code(), Some("SERVER_ERROR" | "RATE_LIMITED")),
            "no event is accepted uncounted: {event:?}"
        );
        closed += usize::from(event.code() == Some("SERVER_ERROR"));
    }
    assert!(served > 0, "the rate fails open: requests are still served");
    assert!(closed > 0, "the quota fails closed: SERVER_ERROR");

    replicas.redis.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // Each replica's per-process fallback has refilled after a second; only a shared
        // store refuses the second replica right after the first admitted the key.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let first = get_sites(&client, &replicas.url(0), keys::FREE).await;
        let second = get_sites(&client, &replicas.url(1), keys::FREE).await;
        check(&first);
        check(&second);
        if first.status == 200 && second.code() == Some("RATE_LIMITED") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "limits were not shared again within 5 s"
        );
    }
}
