//! actix-web's own errors mapped to contract errors: by concrete type where actix-web has one
//! (its extractors' and payload errors), else by status with [`rules::from_answer`].

use std::fmt;

use actix_web::ResponseError;
use actix_web::error::{
    JsonPayloadError, PathError, PayloadError, QueryPayloadError, ReadlinesError, UrlencodedError,
};
use actix_web::http::header::RETRY_AFTER;
use attractos_errors::rules::BodyTimeout;
use attractos_errors::{ApiError as CoreError, rules};

use crate::deadline;
use crate::error::{Answered, ApiError};

/// The contract error for any actix-web error: this crate's own errors as they are, actix-web's
/// extractor and payload errors by the same rules as this crate's extractors, anything else by
/// its status. `limit` is the body limit in force, for payload errors that do not carry one.
pub(crate) fn from_actix(err: &actix_web::Error, limit: usize) -> CoreError {
    if let Some(err) = err.as_error::<ApiError>() {
        return err.0.clone();
    }
    if let Some(answered) = err.as_error::<Answered>() {
        return answered.error.clone();
    }
    if let Some(err) = err.as_error::<JsonPayloadError>() {
        return json(err, limit);
    }
    if let Some(err) = err.as_error::<QueryPayloadError>() {
        return query(err);
    }
    if let Some(err) = err.as_error::<PathError>() {
        return path(err);
    }
    if let Some(err) = err.as_error::<UrlencodedError>() {
        return form(err, limit);
    }
    if let Some(err) = err.as_error::<PayloadError>() {
        return payload(err, limit);
    }
    if let Some(err) = err.as_error::<ReadlinesError>() {
        return match err {
            ReadlinesError::Payload(err) => payload(err, limit),
            ReadlinesError::LimitOverflow => CoreError::payload_too_large(),
            _ => unreadable(err),
        };
    }
    by_status(err.as_response_error())
}

/// actix-web's `web::Json` failures: the same answers as this crate's [`Json`](crate::Json).
pub(crate) fn json(err: &JsonPayloadError, limit: usize) -> CoreError {
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => rules::payload_too_large(*limit),
        // `rules::json` checks the content type before anything else, so an empty body with no
        // content type yields exactly its content-type answer.
        JsonPayloadError::ContentType => match rules::json::<serde::de::IgnoredAny>(None, b"") {
            Err(err) => err,
            Ok(_) => CoreError::invalid_json(),
        },
        JsonPayloadError::Deserialize(err) => rules::json_error(err),
        JsonPayloadError::Payload(err) => payload(err, limit),
        // Serializing a response body failed: the server's fault.
        other => internal(other),
    }
}

/// actix-web's `web::Query` failures: what [`rules::query`] says for the same error.
pub(crate) fn query(err: &QueryPayloadError) -> CoreError {
    match err {
        QueryPayloadError::Deserialize(err) => rules::query_error(err),
        other => by_status(other),
    }
}

/// actix-web's `web::Path` failures: a path that does not parse names nothing, `NOT_FOUND`.
pub(crate) fn path(_err: &PathError) -> CoreError {
    rules::unparsable_path()
}

/// actix-web's `web::Form` failures: too large is `PAYLOAD_TOO_LARGE`, anything else a body
/// the endpoint cannot use (`INVALID_JSON`, the catalogue's only code for a bad body).
pub(crate) fn form(err: &UrlencodedError, limit: usize) -> CoreError {
    match err {
        UrlencodedError::Overflow { limit, .. } => rules::payload_too_large(*limit),
        UrlencodedError::Payload(err) => payload(err, limit),
        _ => rules::unparsable_form(),
    }
}

/// A body that could not be read: over the limit, past the body deadline, or cut short.
pub(crate) fn payload(err: &PayloadError, limit: usize) -> CoreError {
    if let Some(BodyTimeout(deadline)) = deadline::timed_out(err) {
        return rules::body_timed_out(deadline);
    }
    match err {
        PayloadError::Overflow => rules::payload_too_large(limit),
        other => unreadable(other),
    }
}

fn unreadable(err: &dyn fmt::Display) -> CoreError {
    rules::unreadable_body().with_cause(Framework(err.to_string()))
}

fn internal(err: &dyn fmt::Display) -> CoreError {
    CoreError::internal(Framework(err.to_string()))
}

/// Any other error (an `actix_web::error::Error*` helper, a third-party middleware's error):
/// by its status ([`rules::from_answer`]), its text kept for the log of a `SERVER_ERROR` only.
fn by_status(err: &dyn ResponseError) -> CoreError {
    let status = err.status_code().as_u16();
    let response;
    let retry_after = if status == 429 {
        response = err.error_response();
        response.headers().get(RETRY_AFTER).map(|v| v.as_bytes())
    } else {
        None
    };
    rules::from_answer(status, retry_after, Some(&err.to_string()))
}

/// The text of an actix-web error, kept as an internal cause (actix-web's errors are neither
/// `Clone` nor always `Send + Sync`).
#[derive(Debug)]
pub(crate) struct Framework(pub(crate) String);

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "actix-web: {}", self.0)
    }
}

impl std::error::Error for Framework {}
