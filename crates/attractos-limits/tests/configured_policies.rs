//! A limiter decides and announces the policies it is given, not the defaults: a rate with a
//! window of several seconds, an event quota of two, and a failed-key allowance with its own
//! window length. Each refusal's `RateLimit` lists the refusing policy alone.

use std::num::NonZeroU32;
use std::time::Duration;

use attractos_errors::{ApiError, ErrorCode};
use attractos_limits::{
    AuthFailurePolicy, Clock, Limiter, ManualClock, MemoryStore, Policies, QuotaPolicy, RatePolicy,
};

use crate::common::{client, free_account};

fn n(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).expect("not zero")
}

fn limiter(policies: Policies) -> (Limiter<MemoryStore>, ManualClock) {
    let clock = ManualClock::at_unix_secs(1_709_236_800); // 2024-02-29T20:00:00Z
    let store = MemoryStore::new(Clock::Manual(clock.clone()));
    (Limiter::new(store, policies), clock)
}

#[tokio::test]
async fn a_rate_of_3_per_10_seconds_is_announced_as_w_10_and_a_spent_burst_waits_4_seconds() {
    let (limiter, _clock) = limiter(Policies {
        free_rate: RatePolicy::new(n(3), n(10)),
        ..Policies::default()
    });
    for request in 1..=3 {
        let verdict = limiter.admit(client(), free_account("ak_ten")).await;
        assert!(verdict.outcome.is_ok(), "request {request} is in the burst");
        let policy = verdict.fields.policy().expect("a policy is announced");
        assert!(
            policy.starts_with(r#""requests";q=3;w=10, "#),
            "the rate's window is stated in seconds: {policy}"
        );
    }
    let refused = limiter.admit(client(), free_account("ak_ten")).await;
    let err = refused
        .outcome
        .expect_err("the fourth request exceeds the burst");
    assert_eq!(err.code(), ErrorCode::RateLimited);
    assert_eq!(
        err.retry_after().map(|wait| wait.as_secs()),
        Some(4),
        "10 s / 3 requests: the next one is admitted 3.34 s later, rounded up"
    );
    assert_eq!(
        refused.fields.current(),
        Some(r#""requests";r=0;t=4"#),
        "a RATE_LIMITED answer states the rate alone, its t the Retry-After"
    );
}

#[tokio::test]
async fn an_event_quota_of_2_refuses_the_third_event_until_the_month_ends() {
    let policies = Policies {
        free_quota: QuotaPolicy { events: 2 },
        ..Policies::default()
    };
    let (limiter, _clock) = limiter(policies.clone());
    assert_eq!(limiter.policies(), &policies);
    // 2024-02-29T20:00Z: the cycle is February 2024 (29 days), 4 hours of it left.
    let announced = r#""requests";q=20;w=1, "events";q=2;w=2505600"#;
    let admitted = limiter.admit(client(), free_account("ak_events")).await;
    assert_eq!(admitted.fields.policy(), Some(announced));
    assert_eq!(
        admitted.fields.current(),
        Some(r#""requests";r=19;t=1, "events";r=2;t=14400"#),
        "a request states the rate and the quota, which requests do not spend"
    );
    for left in [1, 0] {
        let counted = limiter
            .count_event(free_account("ak_events"), admitted.rate)
            .await;
        assert!(
            counted.outcome.is_ok(),
            "the event leaving {left} is accepted"
        );
        assert_eq!(
            counted.fields.current().map(str::to_owned),
            Some(format!(r#""requests";r=19;t=1, "events";r={left};t=14400"#)),
            "an event's answer states its request's admission and the quota after it"
        );
    }
    let alone = limiter.count_event(free_account("ak_alone"), None).await;
    assert_eq!(
        alone.fields.current(),
        Some(r#""events";r=1;t=14400"#),
        "without an admission, the quota alone"
    );
    let refused = limiter
        .count_event(free_account("ak_events"), admitted.rate)
        .await;
    let err = refused
        .outcome
        .expect_err("the third event exceeds the quota");
    assert_eq!(err.code(), ErrorCode::LimitExceeded);
    assert_eq!(err.retry_after().map(|wait| wait.as_secs()), Some(14_400));
    assert_eq!(refused.fields.policy(), Some(announced));
    assert_eq!(refused.fields.current(), Some(r#""events";r=0;t=14400"#));
}

#[tokio::test]
async fn two_failed_keys_per_90_seconds_refuse_the_third_until_90_seconds_after_the_first() {
    let (limiter, clock) = limiter(Policies {
        auth_failures: AuthFailurePolicy {
            limit: n(2),
            window: Duration::from_secs(90),
        },
        ..Policies::default()
    });
    for failure in 1..=2 {
        let (answer, _) = limiter.key_refused(client(), ApiError::invalid_key()).await;
        assert_eq!(
            answer.code(),
            ErrorCode::InvalidKey,
            "failure {failure} is within the allowance"
        );
        clock.advance_us(1_000_000);
    }
    let (answer, fields) = limiter.key_refused(client(), ApiError::invalid_key()).await;
    assert_eq!(answer.code(), ErrorCode::RateLimited, "past the allowance");
    assert_eq!(
        answer.retry_after().map(|wait| wait.as_secs()),
        Some(88),
        "the window the first failure opened ends 90 s after it, 2 s have passed"
    );
    assert_eq!(fields.policy(), Some(r#""auth-failures";q=2;w=90"#));
    assert_eq!(fields.current(), Some(r#""auth-failures";r=0;t=88"#));

    clock.advance_us(87_000_000);
    let (answer, _) = limiter.key_refused(client(), ApiError::invalid_key()).await;
    assert_eq!(
        answer.code(),
        ErrorCode::RateLimited,
        "1 s before the window ends, the address is still refused"
    );
    clock.advance_us(1_000_000);
    let (answer, _) = limiter.key_refused(client(), ApiError::invalid_key()).await;
    assert_eq!(
        answer.code(),
        ErrorCode::InvalidKey,
        "once the window has ended, a failure opens a new one"
    );
}

#[tokio::test]
async fn a_failed_key_window_too_long_to_count_in_microseconds_stays_closed() {
    // Duration::MAX is more microseconds than an i64 holds: the window is cut to a length
    // the clock can add without overflow (tens of thousands of years), never wrapped to a
    // few microseconds that would lift the block at once.
    let (limiter, clock) = limiter(Policies {
        auth_failures: AuthFailurePolicy {
            limit: n(1),
            window: Duration::MAX,
        },
        ..Policies::default()
    });
    let (first, _) = limiter.key_refused(client(), ApiError::invalid_key()).await;
    assert_eq!(
        first.code(),
        ErrorCode::InvalidKey,
        "the first failure is allowed"
    );
    clock.advance_us(3_600_000_000);
    let (second, _) = limiter.key_refused(client(), ApiError::invalid_key()).await;
    assert_eq!(
        second.code(),
        ErrorCode::RateLimited,
        "an hour later the window is still open"
    );
    assert_eq!(
        second.retry_after().map(|wait| wait.as_secs()),
        Some(u32::MAX),
        "the wait saturates at the longest retry_after"
    );
}
