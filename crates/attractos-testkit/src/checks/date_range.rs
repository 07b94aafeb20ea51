//! `DateRange`: `start` and `end` as ISO 8601 calendar days, `start <= end`; anything else is
//! `INVALID_DATE_RANGE` with a message naming the parameter.

use attractos_errors::ErrorCode;

use crate::service::Stats;
use crate::{Framework, Req, Response};

async fn with_query(framework: Framework, query: &str) -> Response {
    let uri = format!("/api/v1/sites/site_demo/stats{query}");
    framework.send(Req::get(uri).key()).await
}

async fn assert_invalid(framework: Framework, query: &str, message_part: &str) {
    let sent = with_query(framework, &format!("?{query}")).await;
    let body = sent.assert_error(ErrorCode::InvalidDateRange);
    assert!(
        body.error.contains(message_part),
        "{query}: expected {message_part:?} in {sent}"
    );
}

/// A valid range, in either order of the parameters, one day included.
pub async fn a_valid_range_reaches_the_handler(framework: Framework) {
    let sent = with_query(framework, "?start=2024-02-01&end=2024-02-29").await;
    assert_eq!(sent.status, 200, "{sent}");
    let stats: Stats = serde_json::from_slice(&sent.body).expect("the stats body");
    assert_eq!(stats.days, 29);
    let one_day = with_query(framework, "?end=2024-03-01&start=2024-03-01").await;
    assert_eq!(one_day.status, 200, "{one_day}");
}

/// Not `YYYY-MM-DD`.
pub async fn a_malformed_date_is_invalid(framework: Framework) {
    let start = "start: '2024-1-15' is not a date";
    assert_invalid(framework, "start=2024-1-15&end=2024-01-31", start).await;
    let end = "end: 'yesterday' is not a date";
    assert_invalid(framework, "start=2024-01-01&end=yesterday", end).await;
    assert_invalid(framework, "start=15.01.2024&end=2024-01-31", "YYYY-MM-DD").await;
}

/// February 30th, month 13, February 29th of a common year.
pub async fn a_day_that_does_not_exist_is_invalid(framework: Framework) {
    let message = "start: '2024-02-30' is not a calendar day";
    assert_invalid(framework, "start=2024-02-30&end=2024-03-01", message).await;
    assert_invalid(
        framework,
        "start=2024-13-01&end=2024-12-31",
        "start: '2024-13-01'",
    )
    .await;
    assert_invalid(
        framework,
        "start=2023-01-01&end=2023-02-29",
        "end: '2023-02-29'",
    )
    .await;
}

/// Either date missing, no query, an empty query.
pub async fn a_missing_date_is_invalid(framework: Framework) {
    assert_invalid(framework, "end=2024-01-31", "start: is missing").await;
    assert_invalid(framework, "start=2024-01-01", "end: is missing").await;
    for query in ["", "?"] {
        with_query(framework, query)
            .await
            .assert_error(ErrorCode::InvalidDateRange);
    }
}

/// `start` after `end`.
pub async fn a_reversed_range_is_invalid(framework: Framework) {
    let message = "start (2024-02-01) is after end (2024-01-31)";
    assert_invalid(framework, "start=2024-02-01&end=2024-01-31", message).await;
}

/// A parameter given twice.
pub async fn a_repeated_parameter_is_invalid(framework: Framework) {
    let query = "start=2024-01-01&start=2024-01-02&end=2024-01-31";
    assert_invalid(framework, query, "start: is given more than once").await;
}

/// `%2D` is a dash.
pub async fn percent_encoded_dates_are_decoded_first(framework: Framework) {
    let sent = with_query(framework, "?start=2024%2D01%2D01&end=2024-01-03").await;
    assert_eq!(sent.status, 200, "{sent}");
}
