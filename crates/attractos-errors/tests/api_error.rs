//! `ApiError`: what handlers build, and what it refuses to be.

use std::error::Error as _;

use attractos_errors::{ApiError, ErrorCode, RetryAfter, RetryAfterRequired};

#[test]
fn every_code_but_the_429s_converts_from_its_code() {
    for &code in ErrorCode::ALL {
        match ApiError::try_from(code) {
            Ok(err) => {
                assert_eq!(err.code(), code);
                assert_eq!(err.message(), code.message());
                assert_eq!(
                    err.retry_after(),
                    None,
                    "{code}: only 429s carry retry_after"
                );
            }
            Err(RetryAfterRequired(refused)) => {
                assert_eq!(refused, code);
                assert_eq!(
                    code.status().as_u16(),
                    429,
                    "{code}: only 429s need retry_after"
                );
            }
        }
    }
}

#[test]
fn both_429_constructors_carry_retry_after() {
    let wait = RetryAfter::from_secs(42);
    for err in [ApiError::rate_limited(wait), ApiError::limit_exceeded(wait)] {
        assert_eq!(err.code().status().as_u16(), 429);
        assert_eq!(err.retry_after(), Some(wait));
    }
}

#[test]
fn retry_after_is_whole_seconds_and_never_zero() {
    assert_eq!(RetryAfter::from_secs(0).as_secs(), 1);
    assert_eq!(
        RetryAfter::from_duration(std::time::Duration::ZERO).as_secs(),
        1
    );
    assert_eq!(
        RetryAfter::from_duration(std::time::Duration::from_nanos(1)).as_secs(),
        1
    );
    assert_eq!(
        RetryAfter::from_duration(std::time::Duration::from_secs(3)).as_secs(),
        3
    );
    assert_eq!(
        RetryAfter::from_duration(std::time::Duration::MAX).as_secs(),
        u32::MAX
    );
}

#[test]
fn a_specific_message_replaces_the_catalogue_one_except_on_500() {
    let err = ApiError::site_not_found().with_message("site_x is not yours");
    assert_eq!(err.message(), "site_x is not yours");

    let err = ApiError::server_error().with_message("replica 3 timed out");
    assert_eq!(err.message(), ErrorCode::ServerError.message());
    assert_eq!(
        err.detail(),
        Some("replica 3 timed out"),
        "kept for the logs"
    );
}

#[derive(Debug, thiserror::Error)]
#[error("query failed")]
struct QueryFailed(#[source] std::io::Error);

#[test]
fn the_cause_is_the_error_source_and_stays_out_of_display() {
    let err = ApiError::internal(QueryFailed(std::io::Error::other("db-password=hunter2")));
    assert_eq!(
        err.to_string(),
        "SERVER_ERROR: An unexpected error occurred on the server."
    );
    let source = err.source().expect("the cause is the source");
    assert_eq!(source.to_string(), "query failed");
    assert_eq!(source.source().unwrap().to_string(), "db-password=hunter2");
}

#[derive(Debug, thiserror::Error)]
enum StoreError {
    #[error("no such site")]
    NoSuchSite,
    #[error("connection lost")]
    Connection(#[source] std::io::Error),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NoSuchSite => ApiError::site_not_found(),
            other => ApiError::internal(other),
        }
    }
}

fn handler(fail: StoreError) -> Result<(), ApiError> {
    Err(fail)?
}

#[test]
fn domain_errors_convert_with_question_mark() {
    assert_eq!(
        handler(StoreError::NoSuchSite).unwrap_err().code(),
        ErrorCode::SiteNotFound
    );
    let err = handler(StoreError::Connection(std::io::Error::other("reset"))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ServerError);
    assert!(err.cause().is_some());
}
