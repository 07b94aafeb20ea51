//! `Query<T>`: the query string deserialized into `T`; failures are `INVALID_DATE_RANGE`.

use attractos_errors::ErrorCode;

use crate::{Framework, Req, assert_case_error};

/// A query that deserializes.
pub async fn a_query_that_deserializes_reaches_the_handler(framework: Framework) {
    let sent = framework
        .send(Req::get("/api/v1/timeseries?granularity=day&limit=5"))
        .await;
    assert_eq!(sent.status, 200, "{sent}");
    assert_eq!(&sent.body[..], b"day x5");
}

/// Queries that do not deserialize into the timeseries route's, each with its case and what
/// its message says after `Invalid query string: ` (serde's words: a missing field is named, a
/// bad number is not).
const REFUSED: &[(&str, &str, &str)] = &[
    (
        "a required field absent",
        "?limit=5",
        "missing field `granularity`",
    ),
    ("no query string at all", "", "missing field `granularity`"),
    (
        "a value of the wrong type",
        "?granularity=day&limit=-1",
        "invalid digit found in string",
    ),
];

/// `INVALID_DATE_RANGE`, its message saying what is wrong.
pub async fn a_query_that_does_not_deserialize_is_invalid_date_range(framework: Framework) {
    for &(case, query, says) in REFUSED {
        let sent = framework
            .send(Req::get(format!("/api/v1/timeseries{query}")))
            .await;
        let body = assert_case_error(case, &sent, ErrorCode::InvalidDateRange);
        let message = format!("Invalid query string: {says}");
        assert_eq!(body.error, message, "{case}: {sent}");
    }
}

/// The handler's own refusal of a valid query.
pub async fn a_handler_can_still_refuse_a_valid_query(framework: Framework) {
    let sent = framework
        .send(Req::get("/api/v1/timeseries?granularity=hour"))
        .await;
    sent.assert_error(ErrorCode::PlanRequired);
}
