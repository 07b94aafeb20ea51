//! Recording events: validation, ownership, and the monthly quota with its reset time.

use std::time::Duration;

use attractos_errors::{ApiError, ErrorCode};
use attractos_limits::LimitContext;
use attractos_reference::domain::{NewEvent, until_next_month};
use attractos_reference::store::{keys, sites};
use attractos_reference::{AppState, Options};
use proptest::prelude::*;
use time::macros::datetime;
use time::{OffsetDateTime, UtcOffset};

fn event(site: &str) -> NewEvent {
    NewEvent {
        site_id: site.to_owned(),
        name: "pageview".to_owned(),
        url: "https://demo.example/".to_owned(),
    }
}

fn client() -> LimitContext {
    LimitContext::new(LimitContext::UNKNOWN_CLIENT)
}

fn at(now: OffsetDateTime) -> AppState {
    AppState::new(Options::default().clock(move || now))
}

#[tokio::test]
async fn an_event_counts_against_the_month() {
    let state = at(datetime!(2024-06-15 12:00 UTC));
    let free = state.authenticate(keys::FREE).expect("a live key");
    let first = state
        .record_event(&free, event(sites::DEMO), &client())
        .await
        .expect("recorded");
    let second = state
        .record_event(&free, event(sites::DEMO), &client())
        .await
        .expect("recorded");
    assert_eq!((first.used, second.used), (1, 2));
    assert_eq!(first.month, "2024-06");
    assert_eq!(first.quota, 10_000);
}

/// The error `key`'s caller gets recording `event` on `state`.
async fn refused(state: &AppState, key: &str, event: NewEvent) -> ApiError {
    let caller = state.authenticate(key).expect("a live key");
    state
        .record_event(&caller, event, &client())
        .await
        .expect_err("the event is refused")
}

#[tokio::test]
async fn the_spent_quota_is_limit_exceeded_until_the_first_of_next_month() {
    let state = at(datetime!(2024-02-28 00:00 UTC));
    let err = refused(&state, keys::QUOTA, event(sites::QUOTA)).await;
    assert_eq!(err.code(), ErrorCode::LimitExceeded);
    let two_days = 2 * 24 * 3600; // 2024 is a leap year: Feb 28 and 29 remain
    assert_eq!(err.retry_after().map(|r| r.as_secs()), Some(two_days));
}

/// Events refused for their site: (what, key, site id, code).
const SITE_REFUSALS: &[(&str, &str, &str, ErrorCode)] = &[
    (
        "an empty site id",
        keys::FREE,
        "  ",
        ErrorCode::MissingSiteId,
    ),
    // The quota key's quota is spent: the site is checked first.
    (
        "another user's site, before any quota is used",
        keys::QUOTA,
        sites::DEMO,
        ErrorCode::SiteNotFound,
    ),
    (
        "the broken site",
        keys::PRO,
        sites::BROKEN,
        ErrorCode::ServerError,
    ),
];

#[tokio::test]
async fn events_for_a_missing_foreign_or_broken_site_are_refused_with_its_code() {
    let state = AppState::new(Options::default());
    for &(what, key, site, code) in SITE_REFUSALS {
        let err = refused(&state, key, event(site)).await;
        assert_eq!(err.code(), code, "{what}");
    }
}

#[tokio::test]
async fn empty_or_oversized_fields_are_invalid_json() {
    let state = AppState::new(Options::default());
    let mut nameless = event(sites::DEMO);
    nameless.name.clear();
    let mut long_url = event(sites::DEMO);
    long_url.url = "u".repeat(3000);
    for bad in [nameless, long_url] {
        let err = refused(&state, keys::FREE, bad).await;
        assert_eq!(err.code(), ErrorCode::InvalidJson);
    }
}

#[tokio::test]
async fn the_reset_crosses_years_in_december() {
    let wait = until_next_month(datetime!(2024-12-31 23:59:59 UTC));
    assert_eq!(wait, Duration::from_secs(1));
}

#[tokio::test]
async fn the_reset_is_computed_in_utc_whatever_the_clock_offset() {
    // 2024-03-01 01:00 at +02:00 is 2024-02-29 23:00 UTC: still February, an hour to go.
    let local = datetime!(2024-03-01 01:00 +2);
    assert_eq!(until_next_month(local), Duration::from_secs(3600));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_reset_is_the_next_first_of_a_month_at_midnight_utc(
        secs in 0i64..4_102_444_800, // 1970 to 2100
        nanos in 0u32..1_000_000_000,
        offset_hours in -12i8..=12,
    ) {
        let utc = OffsetDateTime::from_unix_timestamp(secs).expect("in range")
            .replace_nanosecond(nanos).expect("valid nanos");
        let now = utc.to_offset(UtcOffset::from_hms(offset_hours, 0, 0).expect("valid offset"));
        let wait = until_next_month(now);
        prop_assert!(wait > Duration::ZERO, "the reset is in the future");
        prop_assert!(wait <= Duration::from_secs(31 * 24 * 3600), "at most a month away");
        let reset = utc + wait;
        prop_assert_eq!(reset.day(), 1, "the reset falls on the 1st: {}", reset);
        prop_assert_eq!((reset.hour(), reset.minute(), reset.second(), reset.nanosecond()), (0, 0, 0, 0), "at midnight: {}", reset);
        let before = reset - time::Duration::nanoseconds(1);
        prop_assert!(before.month() == utc.month() || before < utc, "no month boundary between now and the reset");
    }
}
