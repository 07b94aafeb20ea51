//! `authenticate` and `count_event`: the steps of a keyed request through the limits, as both
//! adapters' `Authenticated` extractor takes them. A refused key counts against the client's
//! address (past the allowance, `RATE_LIMITED` whatever the key), a key store's own failure
//! counts against nobody, a caller is held to its plan's rate, and each step leaves its
//! RateLimit fields in the request's context.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use attractos_errors::{ApiError, ErrorCode};
use attractos_limits::{
    Account, AnyStore, ApiKeys, AuthFailurePolicy, Clock, LimitContext, Limiter, ManualClock,
    MemoryStore, Plan, Policies, QuotaPolicy, RatePolicy, authenticate, count_event,
};

const VALID: &str = "ak_valid";
/// A key the key store cannot look up: it is down.
const UNLUCKY: &str = "ak_store_down";

/// Keys of a test service: `VALID` is user 1's, `UNLUCKY` fails the lookup, any other is
/// unknown.
struct Keys(Limiter);

#[derive(Debug, PartialEq, Eq)]
struct User(u32);

#[derive(Debug, thiserror::Error)]
#[error("the key store is down")]
struct KeyStoreDown;

impl ApiKeys for Keys {
    type Caller = User;

    fn limiter(&self) -> &Limiter {
        &self.0
    }

    async fn resolve(&self, key: &str) -> Result<User, ApiError> {
        match key {
            VALID => Ok(User(1)),
            UNLUCKY => Err(ApiError::internal(KeyStoreDown)),
            _ => Err(ApiError::invalid_key()),
        }
    }

    fn account<'a>(&'a self, _user: &'a User) -> Account<'a> {
        Account {
            key: VALID,
            id: "user:1",
            plan: Plan::Free,
            event_floor: 0,
        }
    }
}

fn n(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).expect("not zero")
}

/// A rate of 1 request per second, a quota of 2 events, 2 failed keys per minute.
fn keys() -> Keys {
    let clock = ManualClock::at_unix_secs(1_709_236_800); // 2024-02-29T20:00:00Z
    let store = MemoryStore::new(Clock::Manual(clock));
    let policies = Policies {
        free_rate: RatePolicy::new(n(1), n(1)),
        free_quota: QuotaPolicy { events: 2 },
        auth_failures: AuthFailurePolicy {
            limit: n(2),
            window: Duration::from_secs(60),
        },
        ..Policies::default()
    };
    Keys(Limiter::new(AnyStore::Memory(store), policies))
}

fn from(address: &str) -> LimitContext {
    LimitContext::new(address.parse::<IpAddr>().expect("an address"))
}

/// The `RateLimit-Policy` and `RateLimit` values left in `context`, taken.
fn fields(context: &LimitContext) -> (String, String) {
    let fields = context.take_fields().expect("the step left fields");
    let policy = fields.policy().expect("a policy").to_owned();
    let current = fields.current().unwrap_or_default().to_owned();
    (policy, current)
}

#[tokio::test]
async fn a_valid_key_is_its_caller_with_the_rate_and_quota_fields() {
    let keys = keys();
    let context = from("192.0.2.1");
    let caller = authenticate(&keys, Ok(VALID), &context).await;
    assert_eq!(caller.expect("a valid key is admitted"), User(1));
    let (policy, current) = fields(&context);
    assert!(
        policy.starts_with(r#""requests";q=1;w=1, "events";q=2;w="#),
        "{policy}"
    );
    assert!(
        current.starts_with(r#""requests";r=0;t=1, "events";r=2;t="#),
        "{current}"
    );
}

#[tokio::test]
async fn a_caller_past_its_rate_is_rate_limited_with_the_rate_alone() {
    let keys = keys();
    let context = from("192.0.2.1");
    authenticate(&keys, Ok(VALID), &context)
        .await
        .expect("the burst of one");
    let refused = authenticate(&keys, Ok(VALID), &context)
        .await
        .expect_err("the second request in the same second");
    assert_eq!(refused.code(), ErrorCode::RateLimited);
    assert_eq!(refused.retry_after().map(|wait| wait.as_secs()), Some(1));
    assert_eq!(fields(&context).1, r#""requests";r=0;t=1"#);
}

#[tokio::test]
async fn refused_keys_count_against_the_address_until_every_key_from_it_is_rate_limited() {
    let keys = keys();
    let guesser = from("198.51.100.9");
    let missing = authenticate(&keys, Err(ApiError::missing_key()), &guesser).await;
    assert_eq!(missing.unwrap_err().code(), ErrorCode::MissingKey);
    assert_eq!(fields(&guesser).1, r#""auth-failures";r=1;t=60"#);
    let unknown = authenticate(&keys, Ok("ak_guess_1"), &guesser).await;
    assert_eq!(unknown.unwrap_err().code(), ErrorCode::InvalidKey);
    assert_eq!(fields(&guesser).1, r#""auth-failures";r=0;t=60"#);

    let third = authenticate(&keys, Ok("ak_guess_2"), &guesser).await;
    let third = third.expect_err("past the allowance of 2");
    assert_eq!(third.code(), ErrorCode::RateLimited);
    assert_eq!(third.retry_after().map(|wait| wait.as_secs()), Some(60));
    let valid = authenticate(&keys, Ok(VALID), &guesser).await;
    let valid = valid.expect_err("the address is refused whatever key it sends");
    assert_eq!(valid.code(), ErrorCode::RateLimited);
    assert!(
        fields(&guesser)
            .0
            .starts_with(r#""auth-failures";q=2;w=60"#)
    );

    let other = authenticate(&keys, Ok(VALID), &from("192.0.2.1")).await;
    assert_eq!(other.expect("another address is not throttled"), User(1));
}

#[tokio::test]
async fn a_key_store_failure_is_answered_as_it_is_and_counts_against_nobody() {
    let keys = keys();
    let client = from("192.0.2.1");
    for attempt in 1..=5 {
        let answer = authenticate(&keys, Ok(UNLUCKY), &client).await;
        let err = answer.expect_err("the lookup failed");
        assert_eq!(err.code(), ErrorCode::ServerError, "attempt {attempt}");
        assert!(client.take_fields().is_none(), "no decision was taken");
    }
    let unknown = authenticate(&keys, Ok("ak_guess"), &client).await;
    assert_eq!(
        unknown.unwrap_err().code(),
        ErrorCode::InvalidKey,
        "five failed lookups spent none of the allowance of 2"
    );
}

#[tokio::test]
async fn events_count_against_the_quota_until_limit_exceeded_until_the_cycle_ends() {
    let keys = keys();
    let context = from("192.0.2.1");
    for used in 1..=2 {
        let quota = count_event(&keys, &User(1), &context).await;
        let quota = quota
            .expect("within the quota")
            .expect("the store answered");
        assert_eq!(quota.used, used);
    }
    let spent = count_event(&keys, &User(1), &context).await;
    let spent = spent.expect_err("the third event of a quota of 2");
    assert_eq!(spent.code(), ErrorCode::LimitExceeded);
    // 2024-02-29T20:00:00Z: 4 hours to March.
    assert_eq!(
        spent.retry_after().map(|wait| wait.as_secs()),
        Some(4 * 3600)
    );
    assert_eq!(fields(&context).1, r#""events";r=0;t=14400"#);
}

#[tokio::test]
async fn an_events_answer_states_the_requests_admission_and_the_quota_after_the_event() {
    let keys = keys();
    let context = from("192.0.2.1");
    authenticate(&keys, Ok(VALID), &context)
        .await
        .expect("admitted");
    let quota = count_event(&keys, &User(1), &context).await;
    quota.expect("within the quota");
    assert_eq!(
        fields(&context).1,
        r#""requests";r=0;t=1, "events";r=1;t=14400"#,
        "the rate as the admission left it, the quota after the event"
    );
}

/// Each request through `Authenticated` holds these futures inside the handler's, which axum
/// boxes: held to about 1 KiB in all, that box stays within glibc's per-thread cache
/// (1032 bytes) instead of taking malloc's slow path on every request. Nesting `async fn`s
/// doubled them once (872 and 688 bytes): each layer keeps its arguments beside its callee.
#[test]
fn a_requests_admission_is_a_small_future() {
    let keys = keys();
    let context = from("192.0.2.1");
    let admission = size_of_val(&authenticate(&keys, Ok(VALID), &context));
    assert!(admission <= 480, "authenticate: {admission} bytes");
    let account = keys.account(&User(1));
    let decision = size_of_val(&keys.0.admit(context.client(), account));
    assert!(decision <= 288, "Limiter::admit: {decision} bytes");
}
