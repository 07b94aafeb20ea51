//! Bodies the contract forbids fail the `ErrorBody` schema, each changed in one way from a
//! valid body.

use attractos_errors::ErrorCode;
use serde_json::{Value, json};

use super::support::{body_validator, error, failure, wire};

/// Asserts that `body` is invalid.
#[track_caller]
fn rejected(body: Value) {
    let validator = body_validator();
    assert!(
        failure(&validator, &body).is_some(),
        "the schema accepted a forbidden body: {body}"
    );
}

fn valid_400() -> Value {
    wire(&error(ErrorCode::InvalidJson, 30))
}

fn valid_429() -> Value {
    wire(&error(ErrorCode::RateLimited, 30))
}

#[test]
fn an_extra_key() {
    let mut body = valid_400();
    body["detail"] = json!("more");
    rejected(body);
    let mut body = valid_429();
    body["request_id"] = json!("abc");
    rejected(body);
}

#[test]
fn retry_after_on_a_401() {
    let mut body = wire(&error(ErrorCode::InvalidKey, 30));
    body["retry_after"] = json!(30);
    rejected(body);
}

#[test]
fn retry_after_on_any_code_that_is_not_a_429() {
    for &code in ErrorCode::ALL.iter().filter(|c| !c.carries_retry_after()) {
        let mut body = wire(&error(code, 30));
        body["retry_after"] = json!(30);
        rejected(body);
    }
}

#[test]
fn a_429_without_retry_after() {
    for &code in ErrorCode::ALL.iter().filter(|c| c.carries_retry_after()) {
        let mut body = wire(&error(code, 30));
        body.as_object_mut().unwrap().remove("retry_after");
        rejected(body);
    }
}

#[test]
fn a_missing_code() {
    let mut body = valid_400();
    body.as_object_mut().unwrap().remove("code");
    rejected(body);
}

#[test]
fn a_missing_error() {
    let mut body = valid_429();
    body.as_object_mut().unwrap().remove("error");
    rejected(body);
}

#[test]
fn an_unknown_code_string() {
    for code in ["NOT_A_CODE", "invalid_json", "", " INVALID_JSON"] {
        let mut body = valid_400();
        body["code"] = json!(code);
        rejected(body);
    }
}

#[test]
fn a_code_that_is_not_a_string() {
    let mut body = valid_400();
    body["code"] = json!(400);
    rejected(body);
}

#[test]
fn retry_after_zero() {
    let mut body = valid_429();
    body["retry_after"] = json!(0);
    rejected(body);
}

#[test]
fn retry_after_negative_fractional_or_beyond_u32() {
    for secs in [json!(-30), json!(1.5), json!(u64::from(u32::MAX) + 1)] {
        let mut body = valid_429();
        body["retry_after"] = secs;
        rejected(body);
    }
}

#[test]
fn retry_after_as_a_string() {
    let mut body = valid_429();
    body["retry_after"] = json!("30");
    rejected(body);
}

#[test]
fn error_not_a_string() {
    for value in [
        json!(42),
        json!(null),
        json!(["message"]),
        json!({"text": "m"}),
    ] {
        let mut body = valid_400();
        body["error"] = value;
        rejected(body);
    }
}

#[test]
fn anything_but_an_object() {
    for body in [json!(null), json!("INVALID_JSON"), json!([valid_400()])] {
        rejected(body);
    }
}
