//! Shared by the reliability tests: the reference server's options for hostile input, request
//! building, and sending one request in-process to the axum or the actix-web app.
#![allow(dead_code)]

use std::num::NonZeroU32;
use std::time::Duration;

use attractos_contract::case::Request;
use attractos_contract::judge::Response;
use attractos_reference::Options;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};

/// The request id every request carries, so answers compare byte for byte.
pub const REQUEST_ID: &str = "test-request-id";

/// The longest one in-process request may take before the test fails: a hang is a failure.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The reference server's secret that no response may contain.
pub const REFERENCE_SECRET: &str = "hunter2";

/// The reference options for hostile input: the rate limit and the failed-key throttle out of
/// the way, so every request reaches the rules behind it, and a fixed clock, so
/// `LIMIT_EXCEEDED`'s `retry_after` and the RateLimit fields are the same on both frameworks.
pub fn options() -> Options {
    Options::default()
        .rate_limit(NonZeroU32::new(1_000_000).expect("not zero"))
        .auth_failure_limit(NonZeroU32::MAX)
        .clock(|| time::macros::datetime!(2024-06-15 12:00 UTC))
}

/// A request of `method` to `target` with the test request id and `headers`.
pub fn request(method: &str, target: &str, headers: &[(&str, &[u8])], body: Vec<u8>) -> Request {
    let mut all = vec![(
        HeaderName::from_static("x-request-id"),
        HeaderValue::from_static(REQUEST_ID),
    )];
    for (name, value) in headers {
        all.push((
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_bytes(value).expect("a valid header value"),
        ));
    }
    Request {
        method: Method::from_bytes(method.as_bytes()).expect("a valid method"),
        target: target.to_owned(),
        headers: all,
        body: Bytes::from(body),
    }
}

/// `Authorization: Bearer <key>`.
pub fn bearer(key: &str) -> Vec<u8> {
    format!("Bearer {key}").into_bytes()
}

/// The headers of `response` sorted by name, without `x-request-id`, and without `date` and
/// `content-length` (which actix-web only adds on the wire), as the shared snapshot format.
pub fn comparable_headers(response: &Response) -> Vec<(String, Vec<u8>)> {
    let mut headers: Vec<_> = response
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date" | "content-length"))
        .cloned()
        .collect();
    headers.sort();
    headers
}
