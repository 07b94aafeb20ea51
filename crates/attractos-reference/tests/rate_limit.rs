//! The per-key rate limit (governor): a burst of `--rate-limit` requests per key, then
//! `RATE_LIMITED` with whole seconds to wait.

use std::num::NonZeroU32;

use attractos_errors::ErrorCode;
use attractos_reference::store::keys;
use attractos_reference::{AppState, Options};

fn limited(per_second: u32) -> AppState {
    let limit = NonZeroU32::new(per_second).expect("a non-zero limit");
    AppState::new(Options::default().rate_limit(limit))
}

#[test]
fn the_request_after_the_burst_is_rate_limited_for_at_least_a_second() {
    let state = limited(3);
    for attempt in 1..=3 {
        assert!(
            state.authenticate(keys::FREE).is_ok(),
            "request {attempt} of the burst is allowed"
        );
    }
    // A burst of 3 refills one slot every 333 ms; the next refusal comes within a few tries
    // even on a machine that stalls between them.
    let err = (0..10)
        .find_map(|_| state.authenticate(keys::FREE).err())
        .expect("the limiter refuses once the burst is spent");
    assert_eq!(err.code(), ErrorCode::RateLimited);
    let wait = err
        .retry_after()
        .expect("a 429 carries retry_after")
        .as_secs();
    assert_eq!(
        wait, 1,
        "at 3/s the next slot is under a second away, rounded up to 1"
    );
}

#[test]
fn each_key_has_its_own_limit() {
    let state = limited(1);
    assert!(state.authenticate(keys::FREE).is_ok());
    assert_eq!(
        state.authenticate(keys::FREE).unwrap_err().code(),
        ErrorCode::RateLimited
    );
    assert!(
        state.authenticate(keys::PRO).is_ok(),
        "another key is not throttled by the first one's burst"
    );
}

#[test]
fn bad_keys_are_rejected_before_they_reach_the_limiter() {
    let state = limited(1);
    for _ in 0..5 {
        assert_eq!(
            state.authenticate(keys::REVOKED).unwrap_err().code(),
            ErrorCode::InvalidKey,
            "a revoked key keeps getting INVALID_KEY, never RATE_LIMITED"
        );
    }
}

#[test]
fn the_default_limit_is_twenty_per_second() {
    assert_eq!(Options::default().rate_limit_per_second().get(), 20);
    let state = AppState::new(Options::default());
    let allowed = (0..40)
        .take_while(|_| state.authenticate(keys::PRO).is_ok())
        .count();
    assert!(
        (20..40).contains(&allowed),
        "a burst of 20 (plus any slot refilled meanwhile) before the first refusal, got {allowed}"
    );
}
