//! Answers a handler or another layer makes without `ApiError`: a non-JSON error goes by its
//! status (a 429 keeping its `Retry-After`, a 401 as `INVALID_KEY`, a status outside the
//! contract as `SERVER_ERROR`), its text never sent; a JSON error of the handler's own and a
//! success are left alone.

use attractos_errors::ErrorCode;

use crate::service::TEAPOT;
use crate::service::other_layers::{OWN_JSON, PLAIN, TEXT, THROTTLED};
use crate::{Framework, REQUEST_ID, Req};

/// A plain-text 429 with `Retry-After: 7`: `RATE_LIMITED` with `retry_after` 7.
pub async fn a_plain_429_keeps_its_retry_after(framework: Framework) {
    let sent = framework.send(Req::get("/throttled")).await;
    let body = sent.assert_error_message(ErrorCode::RateLimited);
    assert_eq!(body.retry_after, Some(7));
    assert_eq!(sent.header_str("retry-after"), Some(THROTTLED.1));
    assert!(!sent.to_string().contains(THROTTLED.0), "{sent}");
}

/// A bare 401 is `INVALID_KEY`; a 418 is a `SERVER_ERROR` hiding its text.
pub async fn bare_statuses_map_to_their_codes(framework: Framework) {
    let sent = framework.send(Req::get("/unauthorized")).await;
    sent.assert_error_message(ErrorCode::InvalidKey);
    let teapot = framework.send(Req::get("/teapot")).await;
    teapot.assert_error_message(ErrorCode::ServerError);
    assert!(!teapot.to_string().contains(TEAPOT), "{teapot}");
}

/// Routes whose answers pass untouched, each with its status, body and content type.
const UNTOUCHED: &[(&str, u16, &str, &str)] = &[
    ("/own-json", 409, OWN_JSON, "application/json"),
    ("/plain", 201, PLAIN, TEXT),
];

/// A JSON 409 of the handler's own and a plain-text 201 pass untouched, with the request id.
pub async fn json_error_responses_and_successes_pass_untouched(framework: Framework) {
    for &(path, status, body, content_type) in UNTOUCHED {
        let sent = framework.send(Req::get(path)).await;
        assert_eq!(
            (sent.status, &sent.body[..]),
            (status, body.as_bytes()),
            "{path}: {sent}"
        );
        assert_eq!(
            sent.header_str("content-type"),
            Some(content_type),
            "{path}: {sent}"
        );
        assert_eq!(
            sent.header_str("x-request-id"),
            Some(REQUEST_ID),
            "{path}: {sent}"
        );
    }
}
