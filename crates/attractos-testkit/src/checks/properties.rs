//! Whatever a client sends (any body bytes, `Authorization` value, query string or path
//! segment), the answer is the route's success or a complete contract error: a catalogue code
//! expected there, the status of that code, a body with exactly the contract's keys, JSON, an
//! `X-Request-Id`, and never a panic. Each property runs 128 generated requests.

use attractos_errors::{ErrorBody, ErrorCode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::strategies::{authorization, json_body, query, segment};
use crate::{Contract, Framework, Req, Response};

/// Runs `property` on 128 values of `strategy`, each request sent to a fresh service with a
/// small body limit (so bodies hit it too) on `framework`.
fn for_all<S: Strategy>(
    framework: Framework,
    strategy: S,
    property: impl Fn(S::Value) -> Option<(Req, &'static [ErrorCode])>,
) {
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |value| {
        let Some((request, allowed)) = property(value) else {
            return Err(TestCaseError::reject("not a URI"));
        };
        let sent = framework.block_on(async {
            let service = framework
                .start(Contract::default().with_body_limit(96))
                .await;
            service.send(&request).await
        });
        check(&sent, allowed)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// The invariant: a 200, or a contract error whose code is one of `allowed`.
fn check(sent: &Response, allowed: &[ErrorCode]) -> Result<(), TestCaseError> {
    prop_assert!(
        sent.header("x-request-id").is_some(),
        "no x-request-id: {}",
        sent
    );
    if sent.status == 200 {
        return Ok(());
    }
    let body = ErrorBody::from_slice(&sent.body);
    prop_assert!(body.is_ok(), "not a contract body: {}", sent);
    let code = body.expect("checked above").code.known();
    prop_assert!(code.is_some(), "an unknown code: {}", sent);
    let code = code.expect("checked above");
    prop_assert!(
        allowed.contains(&code),
        "{} is not expected here: {}",
        code,
        sent
    );
    prop_assert_eq!(sent.status, code.status().as_u16(), "status of {}", sent);
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
        sent.header_str("content-type"),
        Some("application/json"),
        "content type of {}",
        sent
    );
    Ok(())
}

/// A `GET` of `uri` when both frameworks' request types take it.
fn get(uri: String) -> Option<Req> {
    let valid = uri.parse::<http::Uri>().is_ok();
    valid.then(|| Req::get(uri))
}

/// Any bytes as an event, typed as JSON or not.
pub fn any_json_body(framework: Framework) {
    for_all(framework, (json_body(), any::<bool>()), |(body, typed)| {
        let mut request = Req::new("POST", "/api/v1/events").key();
        if typed {
            request = request.header("content-type", "application/json");
        }
        let allowed: &[ErrorCode] = &[ErrorCode::InvalidJson, ErrorCode::PayloadTooLarge];
        Some((request.sized(body), allowed))
    });
}

/// Any `Authorization` value.
pub fn any_authorization_value(framework: Framework) {
    for_all(framework, authorization(), |value| {
        let uri = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02";
        let allowed: &[ErrorCode] = &[ErrorCode::MissingKey, ErrorCode::InvalidKey];
        Some((Req::get(uri).header("authorization", value), allowed))
    });
}

/// Any query string for `DateRange`.
pub fn any_query_string(framework: Framework) {
    for_all(framework, query(), |query| {
        let request = get(format!("/api/v1/sites/site_demo/stats?{query}"))?.key();
        let allowed: &[ErrorCode] = &[ErrorCode::InvalidDateRange];
        Some((request, allowed))
    });
}

/// Any query string for a typed `Query<T>`.
pub fn any_query_string_for_a_typed_query(framework: Framework) {
    for_all(framework, query(), |query| {
        let request = get(format!("/api/v1/timeseries?{query}"))?;
        let allowed: &[ErrorCode] = &[ErrorCode::InvalidDateRange, ErrorCode::PlanRequired];
        Some((request, allowed))
    });
}

/// Any `siteId` segment.
pub fn any_path_segment(framework: Framework) {
    for_all(framework, segment(), |site| {
        let uri = format!("/api/v1/sites/{site}/stats?start=2024-01-01&end=2024-01-02");
        let allowed: &[ErrorCode] = &[
            ErrorCode::MissingSiteId,
            ErrorCode::SiteNotFound,
            ErrorCode::NotFound,
        ];
        Some((get(uri)?.key(), allowed))
    });
}
