//! The floor's hand-written constants. A test checks them against what the library sends, so
//! the floor builds exactly the same response.

#[cfg(doc)]
use crate::cases::CUSTOM_MESSAGE;

/// The `WWW-Authenticate` challenge of a 401 with a key (RFC 6750).
pub const CHALLENGE: &str = r#"Bearer realm="attractos", error="invalid_token""#;

/// The `INVALID_KEY` body.
pub const INVALID_KEY_BODY: &str =
    r#"{"error":"The API key provided is invalid or has been revoked.","code":"INVALID_KEY"}"#;

/// The custom-message `INVALID_DATE_RANGE` body: [`CUSTOM_MESSAGE`] needs no JSON escaping.
pub const CUSTOM_BODY: &str = r#"{"error":"start: '2024-02-30' is not a calendar day; use ISO 8601 date format: YYYY-MM-DD (e.g., 2024-01-15)","code":"INVALID_DATE_RANGE"}"#;

/// The `RATE_LIMITED` body with `retry_after` 30.
pub const RATE_LIMITED_BODY: &str = r#"{"error":"You have exceeded the API rate limit for your plan.","code":"RATE_LIMITED","retry_after":30}"#;
