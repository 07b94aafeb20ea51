//! `ApiError`'s `Debug`: what `unwrap()`, `dbg!` and `{:?}` show a developer. Unlike the body
//! and `Display`, it keeps the internal cause in sight.

use attractos_errors::{ApiError, RetryAfter};

fn debug(err: &ApiError) -> String {
    format!("{err:?}")
}

#[derive(Debug, thiserror::Error)]
#[error("query failed")]
struct QueryFailed(#[source] std::io::Error);

#[test]
fn debug_names_the_code_and_the_message_clients_see() {
    assert_eq!(
        debug(&ApiError::site_not_found().with_message("site_x is not yours")),
        r#"ApiError { code: SiteNotFound, message: "site_x is not yours" }"#
    );
}

#[test]
fn debug_shows_retry_after_on_the_429s() {
    assert_eq!(
        debug(&ApiError::rate_limited(RetryAfter::from_secs(30))),
        r#"ApiError { code: RateLimited, message: "You have exceeded the API rate limit for your plan.", retry_after: 30 }"#
    );
}

#[test]
fn debug_does_not_hide_the_cause() {
    let err = ApiError::internal(QueryFailed(std::io::Error::other("replica 3 timed out")));
    let shown = debug(&err);
    assert!(
        shown.starts_with("ApiError { code: ServerError, "),
        "{shown}"
    );
    assert!(shown.contains("cause: QueryFailed("), "{shown}");
    assert!(shown.contains("replica 3 timed out"), "{shown}");
}
