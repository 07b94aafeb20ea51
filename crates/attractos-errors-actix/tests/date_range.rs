//! `DateRange`: `start` and `end` as ISO 8601 calendar days, `start <= end`; anything else is
//! `INVALID_DATE_RANGE` with a message naming the parameter.

mod common;

use attractos_errors::ErrorCode;
use common::{Sent, Stats, authorized_get, send_one};

async fn with_query(query: &str) -> Sent {
    send_one(authorized_get(&format!(
        "/api/v1/sites/site_demo/stats?{query}"
    )))
    .await
}

async fn assert_invalid(query: &str, message_part: &str) {
    let sent = with_query(query).await;
    sent.assert_error(ErrorCode::InvalidDateRange);
    assert!(
        sent.message().contains(message_part),
        "{query}: expected {message_part:?} in {sent}"
    );
}

#[actix_web::test]
async fn a_valid_range_reaches_the_handler() {
    let sent = with_query("start=2024-02-01&end=2024-02-29").await;
    assert_eq!(sent.status, 200, "{sent}");
    let stats: Stats = serde_json::from_slice(&sent.body).expect("the stats body");
    assert_eq!(stats.days, 29);
    let one_day = with_query("end=2024-03-01&start=2024-03-01").await;
    assert_eq!(one_day.status, 200, "{one_day}");
}

#[actix_web::test]
async fn a_malformed_date_is_invalid() {
    assert_invalid(
        "start=2024-1-15&end=2024-01-31",
        "start: '2024-1-15' is not a date",
    )
    .await;
    assert_invalid(
        "start=2024-01-01&end=yesterday",
        "end: 'yesterday' is not a date",
    )
    .await;
    assert_invalid("start=15.01.2024&end=2024-01-31", "YYYY-MM-DD").await;
}

#[actix_web::test]
async fn a_day_that_does_not_exist_is_invalid() {
    assert_invalid(
        "start=2024-02-30&end=2024-03-01",
        "start: '2024-02-30' is not a calendar day",
    )
    .await;
    assert_invalid("start=2024-13-01&end=2024-12-31", "start: '2024-13-01'").await;
    assert_invalid("start=2023-01-01&end=2023-02-29", "end: '2023-02-29'").await;
}

#[actix_web::test]
async fn a_missing_date_is_invalid() {
    assert_invalid("end=2024-01-31", "start: is missing").await;
    assert_invalid("start=2024-01-01", "end: is missing").await;
    let no_query = send_one(authorized_get("/api/v1/sites/site_demo/stats")).await;
    no_query.assert_error(ErrorCode::InvalidDateRange);
    let empty_query = send_one(authorized_get("/api/v1/sites/site_demo/stats?")).await;
    empty_query.assert_error(ErrorCode::InvalidDateRange);
}

#[actix_web::test]
async fn a_reversed_range_is_invalid() {
    assert_invalid(
        "start=2024-02-01&end=2024-01-31",
        "start (2024-02-01) is after end (2024-01-31)",
    )
    .await;
}

#[actix_web::test]
async fn a_repeated_parameter_is_invalid() {
    assert_invalid(
        "start=2024-01-01&start=2024-01-02&end=2024-01-31",
        "start: is given more than once",
    )
    .await;
}

#[actix_web::test]
async fn percent_encoded_dates_are_decoded_first() {
    let sent = with_query("start=2024%2D01%2D01&end=2024-01-03").await;
    assert_eq!(sent.status, 200, "{sent}");
}
