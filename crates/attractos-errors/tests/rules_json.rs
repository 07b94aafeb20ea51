//! `rules::json`: every way a body can fail to be the expected JSON is `INVALID_JSON`, with a
//! message that points at the problem.

use attractos_errors::{ErrorCode, rules};

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Event {
    site_id: String,
    name: String,
}

const JSON: Option<&[u8]> = Some(b"application/json");

fn message(content_type: Option<&[u8]>, body: &[u8]) -> String {
    let err = rules::json::<Event>(content_type, body).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidJson);
    err.message().to_owned()
}

#[test]
fn a_matching_document_parses() {
    let event: Event = rules::json(JSON, br#"{"site_id":"site_demo","name":"pageview"}"#).unwrap();
    assert_eq!(event.site_id, "site_demo");
    let vendor: Event = rules::json(
        Some(b"application/vnd.api+json; charset=utf-8"),
        br#"{"site_id":"a","name":"b"}"#,
    )
    .unwrap();
    assert_eq!(vendor.name, "b");
}

#[test]
fn a_syntax_error_gives_line_and_column() {
    assert_eq!(
        message(JSON, b"{\n  \"site_id\": \"a\",\n  \"name\": }"),
        "Invalid JSON at line 3, column 11: expected value."
    );
    assert!(
        message(JSON, br#"{"site_id":"a","name":"b"} trailing"#)
            .starts_with("Invalid JSON at line 1, column 28: trailing characters")
    );
}

#[test]
fn a_truncated_document_says_it_ends_early() {
    assert_eq!(
        message(JSON, br#"{"site_id":"a""#),
        "The JSON body ends early at line 1, column 14."
    );
}

#[test]
fn wrong_types_and_missing_fields_name_the_field() {
    assert!(
        message(JSON, br#"{"site_id":1,"name":"b"}"#)
            .contains("invalid type: integer `1`, expected a string")
    );
    assert!(message(JSON, br#"{"site_id":"a"}"#).contains("missing field `name`"));
}

#[test]
fn the_content_type_must_be_json() {
    let expected = "Send the body with the header Content-Type: application/json.";
    assert_eq!(message(None, br#"{"site_id":"a","name":"b"}"#), expected);
    assert_eq!(
        message(Some(b"text/plain"), br#"{"site_id":"a","name":"b"}"#),
        expected
    );
    assert_eq!(message(Some(b"application/jsonp"), b"{}"), expected);
}

#[test]
fn an_empty_body_or_invalid_utf8_says_so() {
    assert_eq!(
        message(JSON, b""),
        "The request body is empty; expected a JSON document."
    );
    assert_eq!(
        message(JSON, b"  \n"),
        "The request body is empty; expected a JSON document."
    );
    assert_eq!(
        message(JSON, b"{\"site_id\":\"\xff\"}"),
        "The request body is not valid UTF-8 (byte 12)."
    );
}

#[test]
fn echoed_input_is_cut_short() {
    let body = format!(r#"{{"site_id":{{}},"name":"{}"}}"#, "x".repeat(10_000));
    assert!(message(JSON, body.as_bytes()).len() < 300);
    let body = format!(r#"{{"site_id":"{}","name":5}}"#, "y".repeat(10_000));
    let text = message(JSON, body.as_bytes());
    assert!(text.len() < 300, "{text}");
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let body = "[".repeat(100_000);
    assert!(message(JSON, body.as_bytes()).contains("invalid type: sequence"));
    let err = rules::json::<serde_json::Value>(JSON, body.as_bytes()).unwrap_err();
    let reason = err.message();
    assert!(reason.contains("recursion limit exceeded"), "{reason}");
}

#[test]
fn payload_too_large_names_the_limit() {
    let err = rules::payload_too_large(65_536);
    assert_eq!(err.code(), ErrorCode::PayloadTooLarge);
    assert_eq!(
        err.message(),
        "The request body is larger than the 65536-byte limit."
    );
}

#[test]
fn only_serde_json_s_own_position_suffix_is_dropped() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Counter {
        count: u32,
    }
    // The reason quotes the client's value, which names a position of its own: the message
    // keeps it and names the real position once, in its own words.
    let err = rules::json::<Counter>(JSON, br#"{"count":"at line 9 column 9"}"#).unwrap_err();
    assert_eq!(
        err.message(),
        "The JSON body does not match the expected fields at line 1, column 29: \
         invalid type: string \"at line 9 column 9\", expected u32."
    );
}

/// Content types and whether they are JSON: the accepted ones first, then the refused.
const CONTENT_TYPES: &[(&[u8], bool)] = &[
    (b"application/json", true),
    (b"APPLICATION/JSON", true),
    (b"application/json; charset=utf-8", true),
    (b" application/json ;charset=utf-8", true),
    (b"application/vnd.api+json", true),
    (b"application/problem+JSON", true),
    (b"application/a+json", true),
    (b"application/+json", false),
    (b"application/jsonp", false),
    (b"application/xml", false),
    (b"application/x", false),
    (b"application/", false),
    (b"application/octet-stream", false),
    (b"application/vnd.api+xml", false),
    (b"application/json+xml", false),
    (b"text/json", false),
    (b"text/vnd.api+json", false),
    (b"application", false),
    (b"", false),
    (b"application/json\xff", false),
];

#[test]
fn json_is_application_json_or_a_json_suffix_whatever_the_case_and_parameters() {
    for &(content_type, is_json) in CONTENT_TYPES {
        assert_eq!(
            rules::is_json_content_type(content_type),
            is_json,
            "is {:?} JSON?",
            String::from_utf8_lossy(content_type)
        );
    }
}

#[test]
fn the_default_body_limit_is_64_kib() {
    assert_eq!(rules::DEFAULT_BODY_LIMIT, 65_536);
    assert_eq!(
        rules::payload_too_large(rules::DEFAULT_BODY_LIMIT).message(),
        "The request body is larger than the 65536-byte limit."
    );
}

#[test]
fn a_position_that_is_not_the_error_s_own_stays_in_the_reason() {
    // A hand-built serde_json error (a framework's, a Deserialize impl's) takes the trailing
    // ` at line L column C` of its text as its position; a position its text names before that
    // is part of the reason, and only a suffix naming the error's own line and column goes.
    for (text, reason) in [
        (
            "bad date at line 0 column 5 at line 0 column 7",
            "bad date at line 0 column 5",
        ),
        (
            "bad date at line 3 column 7 at line 0 column 7",
            "bad date at line 3 column 7",
        ),
    ] {
        let err: serde_json::Error = serde::de::Error::custom(text);
        let message = rules::json_error(&err).message().to_owned();
        assert!(message.ends_with(&format!(": {reason}.")), "{message}");
    }
}
