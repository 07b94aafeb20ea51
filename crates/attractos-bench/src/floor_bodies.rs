//! The floor's hand-written constants. A test checks them against what the library sends, so
//! the floor builds exactly the same response.

#[cfg(doc)]
use crate::cases::CUSTOM_MESSAGE;
use crate::cases::Case;

/// The `WWW-Authenticate` challenge of a 401 with a key (RFC 6750).
pub const CHALLENGE: &str = r#"Bearer realm="attractos", error="invalid_token""#;

/// The `INVALID_KEY` body.
pub const INVALID_KEY_BODY: &str =
    r#"{"error":"The API key provided is invalid or has been revoked.","code":"INVALID_KEY"}"#;

/// The custom-message `INVALID_DATE_RANGE` body: [`CUSTOM_MESSAGE`] needs no JSON escaping.
pub const CUSTOM_BODY: &str = r#"{"error":"start: '2024-02-30' is not a calendar day; use ISO 8601 date format: YYYY-MM-DD (e.g., 2024-01-15)","code":"INVALID_DATE_RANGE"}"#;

/// The `RATE_LIMITED` body with `retry_after` 30.
pub const RATE_LIMITED_BODY: &str = r#"{"error":"You have exceeded the API rate limit for your plan.","code":"RATE_LIMITED","retry_after":30}"#;

/// The floor's body for a case.
#[inline]
pub const fn floor_body(case: Case) -> &'static str {
    match case {
        Case::InvalidKey => INVALID_KEY_BODY,
        Case::CustomMessage => CUSTOM_BODY,
        Case::RateLimited => RATE_LIMITED_BODY,
    }
}

/// A case's status as a `StatusCode` of the calling framework's `http` version (axum is on
/// `http` 1, actix-web on 0.2, so one macro serves both).
macro_rules! status_of {
    ($case:expr) => {
        match $case {
            Case::InvalidKey => StatusCode::UNAUTHORIZED,
            Case::CustomMessage => StatusCode::BAD_REQUEST,
            Case::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        }
    };
}

/// Appends the floor's headers for a case to the calling framework's header map, each value
/// built with `from_static`; with a leading `const`, each value is a `const` block, so not even
/// `from_static`'s byte check runs.
macro_rules! append_floor_headers {
    (@values [$($const:tt)?] $headers:expr, $case:expr) => {{
        let headers = $headers;
        headers.append(header::CONTENT_TYPE, $($const)? { HeaderValue::from_static("application/json") });
        headers.append(header::CACHE_CONTROL, $($const)? { HeaderValue::from_static("no-store") });
        headers.append(header::X_CONTENT_TYPE_OPTIONS, $($const)? { HeaderValue::from_static("nosniff") });
        match $case {
            Case::InvalidKey => {
                headers.append(header::WWW_AUTHENTICATE, $($const)? { HeaderValue::from_static(CHALLENGE) });
            }
            Case::RateLimited => {
                headers.append(header::RETRY_AFTER, $($const)? { HeaderValue::from_static("30") });
            }
            Case::CustomMessage => {}
        }
    }};
    (const $headers:expr, $case:expr) => {
        append_floor_headers!(@values [const] $headers, $case)
    };
    ($headers:expr, $case:expr) => {
        append_floor_headers!(@values [] $headers, $case)
    };
}

pub(crate) use {append_floor_headers, status_of};
