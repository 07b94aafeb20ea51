//! The per-key rate limit (`attractos-limits`, in memory): a burst of `--rate-limit` requests
//! per Free key (five times that per Pro key), then `RATE_LIMITED` with whole seconds to
//! wait; and past `--auth-failure-limit` failed keys, the address is throttled whatever key
//! it sends.

use std::num::NonZeroU32;

use attractos_errors::{ApiError, ErrorCode};
use attractos_limits::LimitContext;
use attractos_reference::domain::Caller;
use attractos_reference::store::keys;
use attractos_reference::{AppState, Options};

fn limited(per_second: u32) -> AppState {
    let limit = NonZeroU32::new(per_second).expect("a non-zero limit");
    AppState::new(Options::default().rate_limit(limit))
}

/// A request with `key` from the client of `context`, through the limits as the adapters'
/// `Authenticated` extractor takes it.
async fn admit(state: &AppState, key: &str, context: &LimitContext) -> Result<Caller, ApiError> {
    attractos_limits::authenticate(state, Ok(key), context).await
}

fn from(address: &str) -> LimitContext {
    LimitContext::new(address.parse().expect("an IP address"))
}

#[tokio::test]
async fn the_request_after_the_burst_is_rate_limited_for_at_least_a_second() {
    let (state, client) = (limited(3), from("192.0.2.1"));
    for attempt in 1..=3 {
        assert!(
            admit(&state, keys::FREE, &client).await.is_ok(),
            "request {attempt} of the burst is allowed"
        );
    }
    // A burst of 3 refills one slot every 333 ms; the next refusal comes within a few tries
    // even on a machine that stalls between them.
    let mut refusal = None;
    for _ in 0..10 {
        if let Err(err) = admit(&state, keys::FREE, &client).await {
            refusal = Some(err);
            break;
        }
    }
    let err = refusal.expect("the limiter refuses once the burst is spent");
    assert_eq!(err.code(), ErrorCode::RateLimited);
    let wait = err
        .retry_after()
        .expect("a 429 carries retry_after")
        .as_secs();
    assert_eq!(
        wait, 1,
        "at 3/s the next slot is under a second away, rounded up to 1"
    );
    let fields = client.take_fields().expect("a decision leaves its fields");
    assert_eq!(fields.current(), Some(r#""requests";r=0;t=1"#));
}

#[tokio::test]
async fn each_key_has_its_own_limit() {
    let (state, client) = (limited(1), from("192.0.2.1"));
    assert!(admit(&state, keys::FREE, &client).await.is_ok());
    assert_eq!(
        admit(&state, keys::FREE, &client).await.unwrap_err().code(),
        ErrorCode::RateLimited
    );
    assert!(
        admit(&state, keys::PRO, &client).await.is_ok(),
        "another key is not throttled by the first one's burst"
    );
}

#[tokio::test]
async fn past_the_failed_key_allowance_an_address_is_throttled_whatever_key_it_sends() {
    let state =
        AppState::new(Options::default().auth_failure_limit(NonZeroU32::new(3).expect("not zero")));
    let (guesser, other) = (from("192.0.2.66"), from("198.51.100.7"));
    for guess in 0..3 {
        let err = admit(&state, &format!("ak_guess_{guess}"), &guesser)
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            ErrorCode::InvalidKey,
            "guess {guess} is within the allowance"
        );
    }
    let err = admit(&state, "ak_guess_3", &guesser).await.unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::RateLimited,
        "the 4th guess is throttled"
    );
    let wait = err
        .retry_after()
        .expect("a 429 carries retry_after")
        .as_secs();
    assert!(
        (59..=60).contains(&wait),
        "until the minute ends, got {wait}"
    );
    assert_eq!(
        admit(&state, keys::FREE, &guesser)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::RateLimited,
        "even a valid key is throttled from the guessing address"
    );
    assert!(
        admit(&state, keys::FREE, &other).await.is_ok(),
        "a valid key from another address succeeds"
    );
}

#[tokio::test]
async fn the_default_limits_are_twenty_per_second_and_five_times_that_for_pro() {
    assert_eq!(Options::default().rate_limit_per_second().get(), 20);
    let policies = Options::default().policies();
    assert_eq!(policies.pro_rate.burst(), 100);
    let (state, client) = (AppState::new(Options::default()), from("192.0.2.1"));
    let mut allowed = 0;
    while allowed < 40 && admit(&state, keys::FREE, &client).await.is_ok() {
        allowed += 1;
    }
    assert!(
        (20..40).contains(&allowed),
        "a burst of 20 (plus any slot refilled meanwhile) before the first refusal, got {allowed}"
    );
}
