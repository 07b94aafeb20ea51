//! Whatever a client sends (any body bytes, `Authorization` value, query string or path
//! segment), the answer is the route's success or a complete contract error: a catalogue code,
//! the status of that code, a body with exactly the contract's keys, and never a panic.

use crate::common::{KEY, Sent, app_with, request};
use attractos_errors::{ErrorBody, ErrorCode};
use attractos_errors_axum::Contract;
use axum::body::Body;
use axum::http::{HeaderValue, Request};
use proptest::collection::vec;
use proptest::prelude::*;

/// Sends `request` to a service with a small body limit, so bodies also hit the limit.
fn send(request: Request<Body>) -> Sent {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(crate::common::send(
            &app_with(Contract::default().with_body_limit(96)),
            request,
        ))
}

/// The invariant: success with `success_status`, or a contract error whose code is one of
/// `allowed`.
fn check(sent: &Sent, success_status: u16, allowed: &[ErrorCode]) -> Result<(), TestCaseError> {
    prop_assert!(
        sent.header("x-request-id").is_some(),
        "no x-request-id: {sent}"
    );
    if sent.status.as_u16() == success_status {
        return Ok(());
    }
    let body = ErrorBody::from_slice(&sent.body);
    prop_assert!(body.is_ok(), "not a contract body: {sent}");
    let body = body.expect("checked above");
    let code = body.code.known();
    prop_assert!(code.is_some(), "an unknown code: {sent}");
    let code = code.expect("checked above");
    prop_assert!(
        allowed.contains(&code),
        "{code} is not expected here: {sent}"
    );
    prop_assert_eq!(sent.status, code.status(), "status of {}", sent);
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&sent.body).expect("parsed above");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let expected: &[&str] = if code.carries_retry_after() {
        &["code", "error", "retry_after"]
    } else {
        &["code", "error"]
    };
    prop_assert_eq!(keys, expected, "keys of {}", sent);
    prop_assert_eq!(
        sent.header("content-type"),
        Some("application/json"),
        "content type of {}",
        sent
    );
    Ok(())
}

/// Every byte `HeaderValue` accepts: tab, visible ASCII and space, obs-text.
fn header_byte() -> impl Strategy<Value = u8> {
    prop_oneof![Just(b'\t'), 0x20_u8..=0x7e, 0x80_u8..=0xff]
}

fn authorization() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(header_byte(), 0..48),
        vec(header_byte(), 0..48).prop_map(|key| [b"Bearer ".as_slice(), &key].concat()),
        "[Bb][Ee][Aa][Rr][Ee][Rr] {0,3}[ -~]{0,24}".prop_map(String::into_bytes),
        Just(format!("Bearer {KEY}").into_bytes()),
    ]
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| encode(&s)),
        "[A-Za-z0-9%._~!$&'()*+,;=:@-]{0,24}",
        Just("site_demo".to_owned()),
        "(%20|%09| ){1,3}".prop_map(|s| s.replace(' ', "%20")),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let day = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
    prop_oneof![
        "[A-Za-z0-9%&=+._~!$'()*,;:@/?-]{0,48}",
        (day, day).prop_map(|(start, end)| format!("start={start}&end={end}")),
        any::<String>().prop_map(|s| format!("start={}&end=2024-12-31", encode(&s))),
        Just("start=2024-01-01&end=2024-01-31".to_owned()),
    ]
}

fn json_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..160),
        r#"\{"name":"[a-z]{0,8}","count":-?[0-9]{1,4}\}"#.prop_map(String::into_bytes),
        r#"[\{\}\[\]":,a-z0-9 ]{0,40}"#.prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_json_body(body in json_body(), typed in any::<bool>()) {
        let mut builder = request("POST", "/api/v1/events");
        if typed {
            builder = builder.header("content-type", "application/json");
        }
        let sent = send(builder.body(Body::from(body)).expect("a valid request"));
        check(&sent, 200, &[ErrorCode::InvalidJson, ErrorCode::PayloadTooLarge])?;
    }

    #[test]
    fn any_authorization_value(value in authorization()) {
        let value = HeaderValue::from_bytes(&value).expect("only header bytes were generated");
        let req = request("GET", "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02")
            .header("authorization", value)
            .body(Body::empty())
            .expect("a valid request");
        check(&send(req), 200, &[ErrorCode::MissingKey, ErrorCode::InvalidKey])?;
    }

    #[test]
    fn any_query_string(query in query()) {
        let uri = format!("/api/v1/sites/site_demo/stats?{query}");
        let req = request("GET", &uri)
            .header("authorization", format!("Bearer {KEY}"))
            .body(Body::empty());
        prop_assume!(req.is_ok(), "not a URI: {}", uri);
        let sent = send(req.expect("checked above"));
        check(&sent, 200, &[ErrorCode::InvalidDateRange])?;
    }

    #[test]
    fn any_path_segment(site in segment()) {
        let uri = format!("/api/v1/sites/{site}/stats?start=2024-01-01&end=2024-01-02");
        let req = request("GET", &uri)
            .header("authorization", format!("Bearer {KEY}"))
            .body(Body::empty());
        prop_assume!(req.is_ok(), "not a URI: {}", uri);
        let sent = send(req.expect("checked above"));
        check(
            &sent,
            200,
            &[ErrorCode::MissingSiteId, ErrorCode::SiteNotFound, ErrorCode::NotFound],
        )?;
    }
}
