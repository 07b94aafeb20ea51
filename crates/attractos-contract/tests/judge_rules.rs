//! Each rule of the judge, shown able to pass and to fail: a response rendered from the core
//! passes, and breaking any one rule fails with a reason naming it.

use attractos_contract::case::{Expect, Request};
use attractos_contract::judge::{JudgeOptions, Response, Verdict, judge};
use attractos_errors::{ApiError, ErrorCode, RetryAfter};
use http::{HeaderName, HeaderValue, Method};
use proptest::prelude::*;

fn request() -> Request {
    Request {
        method: Method::GET,
        target: "/api/v1/sites".to_owned(),
        headers: Vec::new(),
        body: Default::default(),
    }
}

/// The response an adapter sends for `err`.
fn rendered(err: &ApiError) -> Response {
    let mut headers: Vec<(String, Vec<u8>)> = err
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_string().into_bytes()))
        .collect();
    headers.push(("x-request-id".to_owned(), b"req-1".to_vec()));
    if err.code() == ErrorCode::MethodNotAllowed {
        // The route knows its methods, not the error: adapters add `Allow` (RFC 9110 §15.5.6).
        headers.push(("allow".to_owned(), b"GET, HEAD".to_vec()));
    }
    Response {
        status: err.code().status().as_u16(),
        headers,
        body: err.to_bytes(),
    }
}

fn verdict(expect: Expect, response: &Response) -> Verdict {
    judge(&expect, &request(), response, &JudgeOptions::default())
}

fn failure(expect: Expect, response: &Response) -> String {
    let verdict = verdict(expect, response);
    assert!(verdict.is_fail(), "expected a failure, got {verdict}");
    verdict.reasons().join("\n")
}

fn set_header(response: &mut Response, name: &str, value: Option<&str>) {
    response.headers.retain(|(n, _)| n != name);
    if let Some(value) = value {
        response
            .headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
    }
}

/// The judge's reasons for the answer to `err` with header `name` set to `value` (`None`:
/// removed).
fn with_header(err: ApiError, name: &str, value: Option<&str>) -> String {
    let mut response = rendered(&err);
    set_header(&mut response, name, value);
    failure(Expect::Any, &response)
}

/// The judge's reasons for the answer to `err` with `body` instead of its own.
fn with_body(err: ApiError, body: &str) -> String {
    let mut response = rendered(&err);
    response.body = body.to_owned().into();
    failure(Expect::Any, &response)
}

fn limited() -> ApiError {
    ApiError::rate_limited(RetryAfter::from_secs(7))
}

#[test]
fn a_rendered_core_error_passes() {
    let response = rendered(&ApiError::missing_key());
    let verdict = verdict(Expect::Error(ErrorCode::MissingKey), &response);
    assert_eq!(
        verdict,
        Verdict::Pass {
            reason: "401 MISSING_KEY in the contract's body and headers".to_owned(),
            warnings: Vec::new(),
        }
    );
}

#[test]
fn the_expected_code_must_match() {
    let response = rendered(&ApiError::invalid_key());
    let why = failure(Expect::Error(ErrorCode::MissingKey), &response);
    assert_eq!(why, "expected 401 MISSING_KEY, got 401 INVALID_KEY");
}

#[test]
fn an_error_where_a_success_was_expected_fails() {
    let response = rendered(&ApiError::invalid_key());
    assert_eq!(
        failure(Expect::Status(200), &response),
        "expected 200, got 401 INVALID_KEY"
    );
}

#[test]
fn the_status_must_be_the_codes() {
    let mut response = rendered(&ApiError::site_not_found());
    response.status = 404;
    let why = failure(Expect::Any, &response);
    assert_eq!(
        why,
        "status 404 does not match SITE_NOT_FOUND, which is 403"
    );
}

#[test]
fn content_type_must_be_json() {
    let text = Some("text/plain; charset=utf-8");
    let why = with_header(ApiError::not_found(), "content-type", text);
    assert_eq!(
        why,
        "content-type is \"text/plain; charset=utf-8\", expected application/json"
    );
}

#[test]
fn cache_control_must_forbid_storing() {
    let why = with_header(ApiError::not_found(), "cache-control", Some("max-age=60"));
    assert_eq!(why, "cache-control is \"max-age=60\", expected no-store");
    let mut response = rendered(&ApiError::not_found());
    set_header(&mut response, "cache-control", Some("private, no-store"));
    assert!(
        verdict(Expect::Any, &response).is_pass(),
        "no-store among other directives is fine"
    );
}

#[test]
fn nosniff_is_required() {
    let why = with_header(ApiError::not_found(), "x-content-type-options", None);
    assert_eq!(why, "no x-content-type-options header, expected nosniff");
}

#[test]
fn a_401_needs_a_bearer_challenge() {
    let why = with_header(ApiError::user_not_found(), "www-authenticate", None);
    assert_eq!(
        why,
        "no www-authenticate header, expected a Bearer challenge"
    );
}

#[test]
fn a_429_needs_retry_after_in_body_and_header_and_they_must_agree() {
    let response = rendered(&limited());
    assert!(verdict(Expect::Error(ErrorCode::RateLimited), &response).is_pass());
    let why = with_header(limited(), "retry-after", Some("8"));
    assert_eq!(why, "Retry-After is \"8\", but the body's retry_after is 7");
    let why = with_body(limited(), r#"{"error":"x","code":"RATE_LIMITED"}"#);
    assert_eq!(why, "a 429 body needs \"retry_after\"");
}

#[test]
fn retry_after_must_be_a_whole_number_of_at_least_one() {
    for bad in ["0", "1.5", "\"7\"", "-1"] {
        let body = format!(r#"{{"error":"x","code":"RATE_LIMITED","retry_after":{bad}}}"#);
        let why = with_body(limited(), &body);
        assert!(
            why.contains("not a whole number of seconds >= 1"),
            "{bad}: {why}"
        );
    }
}

#[test]
fn retry_after_belongs_to_429s_only() {
    let body = r#"{"error":"x","code":"INVALID_JSON","retry_after":5}"#;
    let why = with_body(ApiError::invalid_json(), body);
    assert_eq!(
        why,
        "\"retry_after\" appears on a 400; it belongs to 429s only"
    );
}

#[test]
fn the_body_has_exactly_the_contract_keys() {
    let body = r#"{"error":"x","code":"INVALID_JSON","details":[],"trace":"at line 3"}"#;
    let why = with_body(ApiError::invalid_json(), body);
    assert_eq!(
        why,
        "the body has keys beyond error/code/retry_after: details, trace"
    );
}

#[test]
fn the_fields_have_their_types() {
    let why = with_body(ApiError::invalid_json(), r#"{"error":42,"code":null}"#);
    assert!(why.contains("\"error\" is a number, not a string"), "{why}");
    assert!(why.contains("\"code\" is null, not a string"), "{why}");
    let why = with_body(
        ApiError::invalid_json(),
        r#"{"error":"  ","code":"INVALID_JSON"}"#,
    );
    assert_eq!(why, "\"error\" is an empty string");
}

#[test]
fn the_code_must_be_in_the_catalogue() {
    let why = with_body(
        ApiError::invalid_json(),
        r#"{"error":"x","code":"BAD_THING"}"#,
    );
    assert_eq!(why, "code \"BAD_THING\" is not in the catalogue");
}

#[test]
fn the_body_must_be_a_json_object() {
    let why = with_body(ApiError::invalid_json(), "[1,2]");
    assert_eq!(why, "the body is not a JSON object: \"[1,2]\"");
}

#[test]
fn a_500_says_only_the_catalogue_message() {
    let internal = || ApiError::internal(std::io::Error::other("boom"));
    let response = rendered(&internal());
    assert!(verdict(Expect::Error(ErrorCode::ServerError), &response).is_pass());
    let body = r#"{"error":"NullPointerException at Db.java:42","code":"SERVER_ERROR"}"#;
    let why = with_body(internal(), body);
    assert!(
        why.starts_with("a SERVER_ERROR must say only the catalogue's message"),
        "{why}"
    );
}

#[test]
fn every_response_needs_a_request_id_and_echoes_the_clients() {
    let why = with_header(ApiError::not_found(), "x-request-id", None);
    assert_eq!(why, "no x-request-id header");

    let mut request = request();
    request.headers.push((
        HeaderName::from_static("x-request-id"),
        HeaderValue::from_static("client-7"),
    ));
    let response = rendered(&ApiError::not_found());
    let verdict = judge(&Expect::Any, &request, &response, &JudgeOptions::default());
    assert_eq!(
        verdict.reasons(),
        ["x-request-id is \"req-1\", not the client's \"client-7\""]
    );
}

#[test]
fn a_success_needs_json_and_the_expected_status() {
    let ok = Response {
        status: 200,
        headers: vec![
            ("content-type".to_owned(), b"application/json".to_vec()),
            ("x-request-id".to_owned(), b"r".to_vec()),
        ],
        body: br#"{"sites":[]}"#.to_vec().into(),
    };
    assert!(verdict(Expect::Status(200), &ok).is_pass());
    assert_eq!(failure(Expect::Status(202), &ok), "expected 202, got 200");
    assert_eq!(
        failure(Expect::Error(ErrorCode::MissingKey), &ok),
        "expected 401 MISSING_KEY, got 200"
    );
    let mut text = ok.clone();
    text.body = b"hello".to_vec().into();
    assert_eq!(
        failure(Expect::Any, &text),
        "the body is not JSON: \"hello\""
    );
}

#[test]
fn a_redirect_is_not_a_contract_answer() {
    let response = Response {
        status: 302,
        headers: vec![("x-request-id".to_owned(), b"r".to_vec())],
        body: Default::default(),
    };
    assert_eq!(
        failure(Expect::Any, &response),
        "status 302 is neither a success nor a contract error"
    );
}

#[test]
fn forbidden_text_fails_in_a_header_too() {
    let mut response = rendered(&ApiError::not_found());
    response
        .headers
        .push(("x-debug".to_owned(), b"dsn=db-password=hunter2".to_vec()));
    let options = JudgeOptions::default().forbid("hunter2");
    let verdict = judge(&Expect::Any, &request(), &response, &options);
    assert_eq!(
        verdict.reasons(),
        ["header x-debug contains the forbidden text \"hunter2\""]
    );
}

fn any_error() -> impl Strategy<Value = ApiError> {
    let codes: Vec<ErrorCode> = ErrorCode::ALL.to_vec();
    (
        proptest::sample::select(codes),
        proptest::option::of("[ -~]{1,40}"),
        1u32..100_000,
    )
        .prop_map(|(code, message, secs)| {
            let err = match code {
                ErrorCode::RateLimited => ApiError::rate_limited(RetryAfter::from_secs(secs)),
                ErrorCode::LimitExceeded => ApiError::limit_exceeded(RetryAfter::from_secs(secs)),
                other => ApiError::try_from(other).expect("not a 429 code"),
            };
            match message {
                Some(text) if !text.trim().is_empty() => err.with_message(text),
                _ => err,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_error_the_core_renders_passes_as_its_own_code(err in any_error()) {
        let response = rendered(&err);
        let verdict = verdict(Expect::Error(err.code()), &response);
        prop_assert!(verdict.is_pass(), "{:?} rendered as {:?}: {}", err, response, verdict);
    }

    #[test]
    fn dropping_any_contract_header_fails(err in any_error(), index in 0usize..8) {
        let mut response = rendered(&err);
        let required: Vec<String> = response
            .headers
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| name != "link")
            .collect();
        let name = required[index % required.len()].clone();
        set_header(&mut response, &name, None);
        let verdict = verdict(Expect::Any, &response);
        prop_assert!(verdict.is_fail(), "dropping {} from {:?} still passed", name, err);
    }
}

#[test]
fn a_body_that_clients_cannot_read_fails() {
    let mut response = rendered(&ApiError::invalid_json());
    // A JSON value keeps the last of two keys; the core's ErrorBody, which clients parse
    // with, refuses the body.
    response.body = br#"{"error":"x","code":"INVALID_JSON","code":"INVALID_JSON"}"#
        .to_vec()
        .into();
    let why = failure(Expect::Any, &response);
    assert!(
        why.starts_with(
            "clients cannot read it: not an AttractOS error body: duplicate field `code`"
        ),
        "{why}"
    );
}
