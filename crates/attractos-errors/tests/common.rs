//! Helpers the modules share: the error of any code, and a strategy over all of them.

use attractos_errors::{ApiError, ErrorCode, RetryAfter};
use proptest::prelude::*;

/// The error a server would send for `code`, with `secs` as retry_after on the 429s.
pub fn error(code: ErrorCode, secs: u32) -> ApiError {
    match code {
        ErrorCode::RateLimited => ApiError::rate_limited(RetryAfter::from_secs(secs)),
        ErrorCode::LimitExceeded => ApiError::limit_exceeded(RetryAfter::from_secs(secs)),
        other => ApiError::try_from(other).expect("only the 429 codes need retry_after"),
    }
}

/// Any code, with any retry_after for the 429s, and the message `message` draws (the
/// catalogue's when it draws `None`).
pub fn api_error(
    message: impl Strategy<Value = Option<String>>,
) -> impl Strategy<Value = ApiError> {
    (
        proptest::sample::select(ErrorCode::ALL),
        any::<u32>(),
        message,
    )
        .prop_map(|(code, secs, message)| {
            let err = error(code, secs);
            match message {
                Some(message) => err.with_message(message),
                None => err,
            }
        })
}
