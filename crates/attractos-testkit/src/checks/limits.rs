//! `Authenticated` and the limit glue ([`crate::service::limited`]): a caller admitted with
//! the RateLimit fields, held to its key's rate and its account's quota; refused keys counted
//! against the address until it is `RATE_LIMITED` whatever key it sends; a key store's failure
//! a `SERVER_ERROR` that counts against nobody; a route outside the glue a `SERVER_ERROR` with
//! its cause logged.

use attractos_errors::ErrorCode;

use crate::logs::Logs;
use crate::service::limited::{AUTH_FAILURES, QUOTA, RATE, STORE_DOWN_KEY, STORE_SECRET};
use crate::{Contract, Framework, Req, Response, TestService};

const SITES: &str = "/limited/sites";
const EVENTS: &str = "/limited/events";

fn with_key(path: &str, key: &str) -> Req {
    Req::get(path).header("authorization", format!("Bearer {key}"))
}

/// An event (the request carries the service's key).
fn event() -> Req {
    Req::post_json(EVENTS, "{}")
}

/// The `RateLimit-Policy` and `RateLimit` values of `sent`.
fn fields(sent: &Response) -> (&str, &str) {
    let policy = sent.header_str("ratelimit-policy");
    let current = sent.header_str("ratelimit");
    (
        policy.unwrap_or_else(|| panic!("no RateLimit-Policy: {sent}")),
        current.unwrap_or_else(|| panic!("no RateLimit: {sent}")),
    )
}

/// A 429's `Retry-After`, which the judge holds equal to its body's `retry_after`.
fn retry_after(sent: &Response) -> u64 {
    let value = sent
        .header_str("retry-after")
        .expect("a 429 has Retry-After");
    value.parse().expect("whole seconds")
}

async fn start(framework: Framework) -> TestService {
    framework.start(Contract::default()).await
}

/// 200 with both policies announced and the key's burst less one left.
pub async fn a_valid_key_is_admitted_with_the_ratelimit_fields(framework: Framework) {
    let sent = start(framework).await.send(&Req::get(SITES).key()).await;
    assert_eq!(sent.status, 200, "{sent}");
    assert_eq!(&sent.body[..], b"the sites of user:1");
    let (policy, current) = fields(&sent);
    let (burst, window) = RATE;
    let announced = format!(r#""requests";q={burst};w={window}, "events";q={QUOTA};w="#);
    assert!(policy.starts_with(&announced), "{policy}");
    // A unit comes back every window / burst seconds: 30.
    let every = window / burst;
    let left = format!(
        r#""requests";r={};t={every}, "events";r={QUOTA};t="#,
        burst - 1
    );
    assert!(current.starts_with(&left), "{current}");
}

/// Past the burst: `RATE_LIMITED` until the next request can succeed, the rate's state alone.
pub async fn past_its_rate_a_key_is_rate_limited_with_the_rate_alone(framework: Framework) {
    let service = start(framework).await;
    for _ in 0..RATE.0 {
        let sent = service.send(&Req::get(SITES).key()).await;
        assert_eq!(sent.status, 200, "within the burst: {sent}");
    }
    let sent = service.send(&Req::get(SITES).key()).await;
    sent.assert_error(ErrorCode::RateLimited);
    let (wait, every) = (retry_after(&sent), u64::from(RATE.1 / RATE.0));
    assert!(
        (every - 1..=every).contains(&wait),
        "a unit every {every} s: {sent}"
    );
    assert_eq!(fields(&sent).1, format!(r#""requests";r=0;t={wait}"#));
}

/// Missing and unknown keys count against the address; past the allowance the next refused
/// key, and even the valid key, is `RATE_LIMITED` from it for the rest of the window.
pub async fn refused_keys_count_until_the_address_is_rate_limited_whatever_key(
    framework: Framework,
) {
    let service = start(framework).await;
    let missing = service.send(&Req::get(SITES)).await;
    missing.assert_error(ErrorCode::MissingKey);
    let left = AUTH_FAILURES - 1;
    assert_eq!(
        fields(&missing).1,
        format!(r#""auth-failures";r={left};t=60"#)
    );
    for guess in 1..AUTH_FAILURES {
        let sent = service
            .send(&with_key(SITES, &format!("ak_guess_{guess}")))
            .await;
        sent.assert_error(ErrorCode::InvalidKey);
        let (policy, _) = fields(&sent);
        assert_eq!(policy, format!(r#""auth-failures";q={AUTH_FAILURES};w=60"#));
    }
    for past in [with_key(SITES, "ak_guess_past"), Req::get(SITES).key()] {
        let throttled = service.send(&past).await;
        throttled.assert_error(ErrorCode::RateLimited);
        assert!((59..=60).contains(&retry_after(&throttled)), "{throttled}");
        assert_eq!(fields(&throttled).1, r#""auth-failures";r=0;t=60"#);
    }
}

/// The key store failing is the service's fault: `SERVER_ERROR` without its cause, never
/// counted as a failed key.
pub async fn a_key_store_failure_is_server_error_and_counts_against_nobody(framework: Framework) {
    let service = start(framework).await;
    for _ in 0..=AUTH_FAILURES {
        let sent = service.send(&with_key(SITES, STORE_DOWN_KEY)).await;
        sent.assert_error(ErrorCode::ServerError);
        assert!(!sent.to_string().contains(STORE_SECRET), "{sent}");
    }
    let guess = service.send(&with_key(SITES, "ak_guess")).await;
    guess.assert_error(ErrorCode::InvalidKey);
}

/// Events count against the account's quota, each answer stating its request's rate and the
/// quota after it; past the quota `LIMIT_EXCEEDED` until the month ends, the quota's state
/// alone.
pub async fn past_the_quota_events_are_limit_exceeded_until_the_cycle_ends(framework: Framework) {
    let service = start(framework).await;
    let (burst, window) = RATE;
    for used in 1..=QUOTA {
        let sent = service.send(&event()).await;
        assert_eq!(sent.status, 200, "{sent}");
        assert_eq!(sent.body, used.to_string().as_bytes());
        let (_, current) = fields(&sent);
        let (rate_left, quota_left) = (u64::from(burst) - used, QUOTA - used);
        let stated = format!(
            r#""requests";r={rate_left};t={}, "events";r={quota_left};t="#,
            window / burst
        );
        assert!(current.starts_with(&stated), "{current}");
    }
    let sent = service.send(&event()).await;
    sent.assert_error(ErrorCode::LimitExceeded);
    let wait = retry_after(&sent);
    assert!(
        (1..=31 * 86_400).contains(&wait),
        "until the month ends: {sent}"
    );
    assert_eq!(fields(&sent).1, format!(r#""events";r=0;t={wait}"#));
}

/// `Authenticated` in a service without the glue: no client address to count against, no
/// way to send the fields. `SERVER_ERROR`, the cause in the log.
pub async fn a_route_outside_the_limit_glue_is_server_error_with_the_cause_logged(
    framework: Framework,
) {
    let (captured, _guard) = Logs::capture(tracing::Level::ERROR);
    let service = framework.start_without_limit_glue(Contract::default());
    let sent = service.await.send(&Req::get(SITES).key()).await;
    sent.assert_error(ErrorCode::ServerError);
    let line = captured.only_line(" ERROR ");
    assert!(line.contains("no LimitContext on this request"), "{line}");
}
