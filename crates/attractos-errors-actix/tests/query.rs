//! `Query<T>`: the query string deserialized into `T`; failures are `INVALID_DATE_RANGE`.

mod common;

use attractos_errors::ErrorCode;
use common::{get_request, send_one};

#[actix_web::test]
async fn a_query_that_deserializes_reaches_the_handler() {
    let sent = send_one(get_request("/api/v1/timeseries?granularity=day&limit=5")).await;
    assert_eq!(sent.status, 200, "{sent}");
    assert_eq!(&sent.body[..], b"day x5");
}

#[actix_web::test]
async fn a_missing_field_is_invalid_date_range() {
    let sent = send_one(get_request("/api/v1/timeseries?limit=5")).await;
    sent.assert_error(ErrorCode::InvalidDateRange);
    assert!(
        sent.message().starts_with("Invalid query string: ")
            && sent.message().contains("granularity"),
        "{sent}"
    );
}

#[actix_web::test]
async fn no_query_at_all_is_a_missing_field() {
    let sent = send_one(get_request("/api/v1/timeseries")).await;
    sent.assert_error(ErrorCode::InvalidDateRange);
    assert!(sent.message().contains("granularity"), "{sent}");
}

#[actix_web::test]
async fn a_wrong_type_is_invalid_date_range() {
    let sent = send_one(get_request("/api/v1/timeseries?granularity=day&limit=-1")).await;
    sent.assert_error(ErrorCode::InvalidDateRange);
    assert!(
        sent.message().starts_with("Invalid query string: "),
        "{sent}"
    );
}

#[actix_web::test]
async fn a_handler_can_still_refuse_a_valid_query() {
    let sent = send_one(get_request("/api/v1/timeseries?granularity=hour")).await;
    sent.assert_error(ErrorCode::PlanRequired);
}
