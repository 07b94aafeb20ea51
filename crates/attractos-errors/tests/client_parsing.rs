//! Clients parse any body without panicking: unknown codes survive, broken bodies say why.

use attractos_errors::{Code, ErrorBody, ErrorCode, MAX_BODY_LEN};
use proptest::prelude::*;

#[test]
fn a_code_this_build_does_not_know_is_kept_verbatim() {
    let body = ErrorBody::from_slice(br#"{"error":"later","code":"QUOTA_FROZEN"}"#).unwrap();
    assert_eq!(body.code, Code::Unknown("QUOTA_FROZEN".into()));
    assert_eq!(body.code.known(), None);
    assert_eq!(body.to_vec(), br#"{"error":"later","code":"QUOTA_FROZEN"}"#);
}

#[test]
fn a_known_code_parses_to_the_catalogue() {
    let body = ErrorBody::from_slice(br#"{"code":"INVALID_KEY","error":"x"}"#).unwrap();
    assert_eq!(body.code.known(), Some(ErrorCode::InvalidKey));
}

fn parse_error(bytes: &[u8]) -> String {
    ErrorBody::from_slice(bytes).unwrap_err().to_string()
}

#[test]
fn missing_or_mistyped_fields_fail_with_a_message_naming_them() {
    assert!(parse_error(br#"{"error":"x"}"#).contains("missing field `code`"));
    assert!(parse_error(br#"{"code":"INVALID_KEY"}"#).contains("missing field `error`"));
    assert!(parse_error(br#"{"error":1,"code":"INVALID_KEY"}"#).contains("invalid type"));
    assert!(
        parse_error(br#"{"error":"x","code":"RATE_LIMITED","retry_after":"soon"}"#)
            .contains("invalid type")
    );
    assert!(
        parse_error(br#"{"error":"x","code":"X","code":"Y"}"#).contains("duplicate field `code`")
    );
    assert!(parse_error(b"[]").contains("expected a JSON object"));
    assert!(parse_error(br#"  ["x","INVALID_KEY"]"#).contains("expected a JSON object"));
    assert!(parse_error(b"Internal Server Error").contains("expected a JSON object"));
    assert!(parse_error(b"").contains("expected a JSON object"));
}

#[test]
fn deeply_nested_and_huge_bodies_fail_cleanly() {
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_error(nested.as_bytes()).contains("expected a JSON object"));
    let nested = format!("{{\"error\":{}", "[".repeat(100_000));
    assert!(parse_error(nested.as_bytes()).contains("invalid type: sequence"));
    let huge = vec![b' '; MAX_BODY_LEN + 1];
    assert!(parse_error(&huge).contains("limit"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = ErrorBody::from_slice(&bytes);
    }

    #[test]
    fn any_code_string_parses(code in "\\PC{0,40}", error in "\\PC{0,40}") {
        let json = serde_json::to_vec(&serde_json::json!({"error": error, "code": code})).unwrap();
        let body = ErrorBody::from_slice(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(body.code.as_str(), code.as_str(), "code kept verbatim");
    }
}

#[test]
fn hostile_values_inside_an_object_fail_cleanly() {
    // Nesting hidden in a field the client ignores is skipped without recursion: 100k levels
    // neither overflow the stack nor change the fields read.
    let deep = format!(
        r#"{{"error":"x","code":"X","extra":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let body = ErrorBody::from_slice(deep.as_bytes()).unwrap();
    assert_eq!((body.error.as_str(), body.code.as_str()), ("x", "X"));
    let unterminated = format!(
        r#"{{"error":"x","code":"X","extra":{}"#,
        "{\"a\":".repeat(100_000)
    );
    assert!(parse_error(unterminated.as_bytes()).contains("EOF"));
    // retry_after that is no whole number of seconds.
    for bad in ["-1", "18446744073709551616", "1e400", "1.5", "\"30\"", "[]"] {
        let body = format!(r#"{{"error":"x","code":"RATE_LIMITED","retry_after":{bad}}}"#);
        let message = parse_error(body.as_bytes());
        assert!(
            message.contains("invalid") || message.contains("out of range"),
            "{bad}: {message}"
        );
    }
}

#[test]
fn a_message_just_under_the_size_limit_parses_and_one_over_does_not() {
    let filler = MAX_BODY_LEN - r#"{"error":"","code":"X"}"#.len();
    let body = format!(r#"{{"error":"{}","code":"X"}}"#, "e".repeat(filler));
    assert_eq!(body.len(), MAX_BODY_LEN);
    assert_eq!(
        ErrorBody::from_slice(body.as_bytes()).unwrap().error.len(),
        filler
    );
    let over = format!(r#"{{"error":"{}","code":"X"}}"#, "e".repeat(filler + 1));
    assert!(parse_error(over.as_bytes()).contains("limit"));
}

#[test]
fn a_code_displays_as_its_wire_string() {
    assert_eq!(
        Code::Known(ErrorCode::InvalidKey).to_string(),
        "INVALID_KEY"
    );
    assert_eq!(
        Code::Unknown("QUOTA_FROZEN".into()).to_string(),
        "QUOTA_FROZEN"
    );
}
