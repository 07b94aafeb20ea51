//! The exact bytes on the wire, one snapshot per case, reviewed against the published error page.
//! Raw strings, not re-serialized JSON: key order and absent keys are the point.

use attractos_errors::{ApiError, ErrorCode, RetryAfter, docs};

fn body(err: &ApiError) -> String {
    String::from_utf8(err.to_bytes().to_vec()).expect("bodies are UTF-8")
}

#[test]
fn every_code_with_its_default_message() {
    for &code in ErrorCode::ALL {
        insta::assert_snapshot!(format!("default_{code}"), body(&docs::example(code)));
    }
}

#[test]
fn a_specific_message() {
    let err =
        ApiError::invalid_date_range().with_message("start: expected YYYY-MM-DD, got '2024-13-01'");
    insta::assert_snapshot!(body(&err), @r#"{"error":"start: expected YYYY-MM-DD, got '2024-13-01'","code":"INVALID_DATE_RANGE"}"#);
}

#[test]
fn a_specific_message_with_characters_json_must_escape() {
    let err = ApiError::invalid_json().with_message("quote \" backslash \\ tab \t nul \0 emoji 🦀");
    insta::assert_snapshot!(body(&err), @r#"{"error":"quote \" backslash \\ tab \t nul \u0000 emoji 🦀","code":"INVALID_JSON"}"#);
}

#[test]
fn rate_limited_with_retry_after() {
    insta::assert_snapshot!(body(&ApiError::rate_limited(RetryAfter::from_secs(1))), @r#"{"error":"You have exceeded the API rate limit for your plan.","code":"RATE_LIMITED","retry_after":1}"#);
}

#[test]
fn limit_exceeded_with_retry_after_until_the_quota_resets() {
    let err = ApiError::limit_exceeded(RetryAfter::from_secs(1_209_600))
        .with_message("The monthly quota of 10000 events is spent.");
    insta::assert_snapshot!(body(&err), @r#"{"error":"The monthly quota of 10000 events is spent.","code":"LIMIT_EXCEEDED","retry_after":1209600}"#);
}

#[test]
fn a_server_error_never_shows_its_cause_or_detail() {
    let err = ApiError::internal(std::io::Error::other("db-password=hunter2"))
        .with_message("while reading site_broken");
    insta::assert_snapshot!(body(&err), @r#"{"error":"An unexpected error occurred on the server.","code":"SERVER_ERROR"}"#);
}
