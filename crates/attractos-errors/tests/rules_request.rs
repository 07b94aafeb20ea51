//! `rules::site_id`, `rules::date_range`, `rules::query`: path and query parameters.

use attractos_errors::{ErrorCode, rules};

fn dates(query: &str) -> Result<(String, String), (ErrorCode, String)> {
    rules::date_range(Some(query))
        .map(|r| (r.start.to_string(), r.end.to_string()))
        .map_err(|e| (e.code(), e.message().to_owned()))
}

fn date_error(query: &str) -> String {
    match dates(query) {
        Err((ErrorCode::InvalidDateRange, message)) => message,
        other => panic!("expected INVALID_DATE_RANGE for {query:?}, got {other:?}"),
    }
}

#[test]
fn a_blank_site_id_is_missing_site_id() {
    assert_eq!(rules::site_id(Some("site_demo")).unwrap(), "site_demo");
    for raw in [None, Some(""), Some("   "), Some("\t")] {
        assert_eq!(
            rules::site_id(raw).unwrap_err().code(),
            ErrorCode::MissingSiteId,
            "{raw:?}"
        );
    }
}

#[test]
fn a_forward_range_of_real_days_parses() {
    assert_eq!(
        dates("start=2024-01-15&end=2024-01-15"),
        Ok(("2024-01-15".into(), "2024-01-15".into()))
    );
    assert_eq!(
        dates("granularity=daily&end=2024-03-01&start=2024-02-29"),
        Ok(("2024-02-29".into(), "2024-03-01".into()))
    );
    assert_eq!(
        rules::date_range(Some("start=2024-01-01&end=2024-12-31"))
            .unwrap()
            .days(),
        366
    );
}

#[test]
fn each_failure_names_the_parameter_and_the_format() {
    let cases = [
        ("end=2024-01-31", "start: is missing"),
        ("start=2024-01-01", "end: is missing"),
        (
            "start=2024-13-01&end=2024-12-31",
            "start: '2024-13-01' is not a calendar day",
        ),
        (
            "start=2024-01-01&end=2024-02-30",
            "end: '2024-02-30' is not a calendar day",
        ),
        (
            "start=2023-02-29&end=2023-03-01",
            "start: '2023-02-29' is not a calendar day",
        ),
        (
            "start=15/01/2024&end=2024-01-31",
            "start: '15/01/2024' is not a date",
        ),
        (
            "start=2024-1-5&end=2024-01-31",
            "start: '2024-1-5' is not a date",
        ),
        (
            "start=2024-01-01T00:00&end=2024-01-31",
            "start: '2024-01-01T00:00' is not a date",
        ),
        (
            "start=%2B2024-01-01&end=2024-01-31",
            "start: '+2024-01-01' is not a date",
        ),
        (
            "start=2024-01-01&start=2024-01-02&end=2024-01-31",
            "start: is given more than once",
        ),
    ];
    for (query, expected) in cases {
        let message = date_error(query);
        assert!(message.starts_with(expected), "{query}: {message}");
        assert!(
            message.ends_with("use ISO 8601 date format: YYYY-MM-DD (e.g., 2024-01-15)"),
            "{message}"
        );
    }
}

#[test]
fn a_reversed_range_says_so() {
    assert_eq!(
        date_error("start=2024-02-01&end=2024-01-15"),
        "start (2024-02-01) is after end (2024-01-15); the range must run forward"
    );
}

#[test]
fn quoted_input_is_short_and_free_of_control_characters() {
    let message = date_error(&format!("start={}&end=2024-01-01", "%0A".repeat(1000)));
    assert!(message.chars().count() < 140, "{message}");
    assert!(!message.chars().any(char::is_control), "{message}");
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Granularity {
    granularity: Option<String>,
    limit: Option<u32>,
}

#[test]
fn other_query_parameters_deserialize_or_fail_as_invalid_date_range() {
    let ok: Granularity = rules::query(Some("granularity=hourly")).unwrap();
    assert_eq!(
        ok,
        Granularity {
            granularity: Some("hourly".into()),
            limit: None
        }
    );
    let err = rules::query::<Granularity>(Some("limit=many")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidDateRange);
    assert!(
        err.message().starts_with("Invalid query string: "),
        "{}",
        err.message()
    );
}
