//! `Query<T>`: the query string deserialized into `T`; failures are `INVALID_DATE_RANGE`.

use attractos_errors::ErrorCode;

use crate::{Framework, Req};

/// A query that deserializes.
pub async fn a_query_that_deserializes_reaches_the_handler(framework: Framework) {
    let sent = framework
        .send(Req::get("/api/v1/timeseries?granularity=day&limit=5"))
        .await;
    assert_eq!(sent.status, 200, "{sent}");
    assert_eq!(&sent.body[..], b"day x5");
}

/// A required field absent.
pub async fn a_missing_field_is_invalid_date_range(framework: Framework) {
    let sent = framework.send(Req::get("/api/v1/timeseries?limit=5")).await;
    let body = sent.assert_error(ErrorCode::InvalidDateRange);
    assert!(
        body.error.starts_with("Invalid query string: ") && body.error.contains("granularity"),
        "{sent}"
    );
}

/// No query string at all.
pub async fn no_query_at_all_is_a_missing_field(framework: Framework) {
    let sent = framework.send(Req::get("/api/v1/timeseries")).await;
    let body = sent.assert_error(ErrorCode::InvalidDateRange);
    assert!(body.error.contains("granularity"), "{sent}");
}

/// A value of the wrong type.
pub async fn a_wrong_type_is_invalid_date_range(framework: Framework) {
    let sent = framework
        .send(Req::get("/api/v1/timeseries?granularity=day&limit=-1"))
        .await;
    let body = sent.assert_error(ErrorCode::InvalidDateRange);
    assert!(body.error.starts_with("Invalid query string: "), "{sent}");
}

/// The handler's own refusal of a valid query.
pub async fn a_handler_can_still_refuse_a_valid_query(framework: Framework) {
    let sent = framework
        .send(Req::get("/api/v1/timeseries?granularity=hour"))
        .await;
    sent.assert_error(ErrorCode::PlanRequired);
}
