//! The timeseries endpoint's rules: daily for everyone, hourly for Pro, ranges capped, and
//! numbers that are deterministic and agree across granularities.

use attractos_errors::{ApiError, ErrorCode, rules};
use attractos_reference::domain::{Granularity, Timeseries, TimeseriesQuery};
use attractos_reference::store::{keys, sites};
use attractos_reference::{AppState, Options};
use proptest::prelude::*;

fn range(query: &str) -> rules::DateRange {
    rules::date_range(Some(query)).expect("a valid range")
}

fn query(granularity: Granularity) -> TimeseriesQuery {
    TimeseriesQuery { granularity }
}

/// What `key`'s caller gets asking for `site`'s timeseries over `dates` (a query string) at
/// `granularity`, on a fresh server.
fn timeseries(
    key: &str,
    site: &str,
    dates: &str,
    granularity: Granularity,
) -> Result<Timeseries, ApiError> {
    let state = AppState::new(Options::default());
    let caller = state.authenticate(key).expect("a live key");
    state.timeseries(&caller, site, range(dates), query(granularity))
}

#[test]
fn hourly_needs_the_pro_plan() {
    let err = timeseries(
        keys::FREE,
        sites::DEMO,
        "start=2024-01-01&end=2024-01-01",
        Granularity::Hourly,
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PlanRequired);
    assert!(err.message().contains("Pro"), "message: {}", err.message());
}

#[test]
fn pro_gets_24_hourly_points_a_day() {
    let series = timeseries(
        keys::PRO,
        sites::PRO,
        "start=2024-01-01&end=2024-01-02",
        Granularity::Hourly,
    )
    .expect("hourly on Pro");
    assert_eq!(series.points.len(), 48);
    assert_eq!(series.points[0].time, "2024-01-01T00:00:00Z");
    assert_eq!(series.points[47].time, "2024-01-02T23:00:00Z");
}

#[test]
fn an_unknown_granularity_names_the_parameter_and_the_allowed_values() {
    let err =
        rules::query::<TimeseriesQuery>(Some("start=2024-01-01&granularity=weekly")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidDateRange);
    let message = err.message();
    for word in ["granularity", "weekly", "daily", "hourly"] {
        assert!(message.contains(word), "{word:?} missing from {message:?}");
    }
}

#[test]
fn an_absent_granularity_means_daily() {
    let parsed = rules::query::<TimeseriesQuery>(Some("start=2024-01-01&end=2024-01-02"))
        .expect("no granularity is fine");
    assert_eq!(parsed.granularity, Granularity::Daily);
}

#[test]
fn a_long_granularity_is_quoted_shortened() {
    let long = "w".repeat(500);
    let err = rules::query::<TimeseriesQuery>(Some(&format!("granularity={long}"))).unwrap_err();
    assert!(err.message().len() < 200, "message: {}", err.message());
}

#[test]
fn ranges_are_capped_per_granularity() {
    let state = AppState::new(Options::default());
    let pro = state.authenticate(keys::PRO).expect("a live key");
    let year = range("start=2023-01-01&end=2024-01-01"); // 366 days
    let longer = range("start=2023-01-01&end=2024-01-02"); // 367 days
    let month = range("start=2024-01-01&end=2024-02-01"); // 32 days
    assert!(state.stats(&pro, sites::PRO, year).is_ok());
    let too_long = state.stats(&pro, sites::PRO, longer).unwrap_err();
    assert_eq!(too_long.code(), ErrorCode::InvalidDateRange);
    assert!(
        too_long.message().contains("367 days"),
        "{}",
        too_long.message()
    );
    let hourly = state
        .timeseries(&pro, sites::PRO, month, query(Granularity::Hourly))
        .unwrap_err();
    assert_eq!(hourly.code(), ErrorCode::InvalidDateRange);
    assert!(
        state
            .timeseries(&pro, sites::PRO, month, query(Granularity::Daily))
            .is_ok()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn stats_daily_and_hourly_numbers_agree(start in 0u32..3000, len in 0u32..4) {
        let state = AppState::new(Options::default());
        let pro = state.authenticate(keys::PRO).expect("a live key");
        let day = |offset: u32| {
            time::Date::from_julian_day(2_459_000 + (start + offset) as i32)
                .expect("a date in range")
        };
        let range = rules::DateRange { start: day(0), end: day(len) };
        let stats = state.stats(&pro, sites::PRO, range).expect("stats");
        let daily = state.timeseries(&pro, sites::PRO, range, query(Granularity::Daily)).expect("daily");
        let hourly = state.timeseries(&pro, sites::PRO, range, query(Granularity::Hourly)).expect("hourly");
        let sum = |points: &[attractos_reference::domain::Point]| {
            points.iter().fold((0, 0), |(v, p), point| (v + point.visits, p + point.pageviews))
        };
        prop_assert_eq!(daily.points.len() as u32, len + 1, "one daily point per day");
        prop_assert_eq!(sum(&daily.points), (stats.visits, stats.pageviews), "daily sums to the totals");
        prop_assert_eq!(sum(&hourly.points), (stats.visits, stats.pageviews), "hourly sums to the totals");
        prop_assert!(stats.pageviews >= stats.visits, "every visit views at least one page");
        let again = AppState::new(Options::default());
        let pro_again = again.authenticate(keys::PRO).expect("a live key");
        prop_assert_eq!(again.stats(&pro_again, sites::PRO, range).expect("stats"), stats, "deterministic across servers");
    }
}
