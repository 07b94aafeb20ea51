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

/// Queries that do not deserialize into the timeseries route's, each with its case and a part
/// its message names.
const REFUSED: &[(&str, &str, &str)] = &[
    ("a required field absent", "?limit=5", "granularity"),
    ("no query string at all", "", "granularity"),
    ("a value of the wrong type", "?granularity=day&limit=-1", "limit"),
];

/// `INVALID_DATE_RANGE`, its message `Invalid query string: ` and what is wrong.
pub async fn a_query_that_does_not_deserialize_is_invalid_date_range(framework: Framework) {
    for &(case, query, named) in REFUSED {
        let sent = framework
            .send(Req::get(format!("/api/v1/timeseries{query}")))
            .await;
        assert_eq!(sent.code().as_deref(), Some("INVALID_DATE_RANGE"), "{case}: {sent}");
        let body = sent.assert_error(ErrorCode::InvalidDateRange);
        assert!(
            body.error.starts_with("Invalid query string: ") && body.error.contains(named),
            "{case}: {sent}"
        );
    }
}

/// The handler's own refusal of a valid query.
pub async fn a_handler_can_still_refuse_a_valid_query(framework: Framework) {
    let sent = framework
        .send(Req::get("/api/v1/timeseries?granularity=hour"))
        .await;
    sent.assert_error(ErrorCode::PlanRequired);
}
