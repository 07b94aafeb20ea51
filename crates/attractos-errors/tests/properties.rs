//! Invariants of the wire body, for any message and any retry_after.

use attractos_errors::{ApiError, Code, ErrorBody, ErrorCode, docs};
use proptest::prelude::*;

/// Any code, with a retry_after for the 429s and a message that may be the catalogue's.
fn api_error() -> impl Strategy<Value = ApiError> {
    crate::common::api_error(prop_oneof![
        1 => Just(None),
        4 => proptest::collection::vec(any::<char>(), 0..10_000)
            .prop_map(|chars| Some(chars.into_iter().collect::<String>())),
        2 => "[\"\\\\\\x00-\\x1f🦀é ]{0,64}".prop_map(Some),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_body_round_trips_through_the_client_parser(err in api_error()) {
        let bytes = err.to_bytes();
        let body = ErrorBody::from_slice(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&body.error, err.message(), "message survives");
        prop_assert_eq!(&body.code, &Code::Known(err.code()), "code survives");
        prop_assert_eq!(body.retry_after, err.retry_after().map(|r| u64::from(r.as_secs())), "retry_after survives");
        prop_assert_eq!(body.to_vec(), bytes.to_vec(), "re-serializing gives the same bytes");
    }

    #[test]
    fn the_body_has_exactly_the_contract_keys_in_order(err in api_error()) {
        let value: serde_json::Value = serde_json::from_slice(&err.to_bytes())
            .map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
        let object = value.as_object().ok_or_else(|| TestCaseError::fail("not an object"))?;
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        let is_429 = err.code().status().as_u16() == 429;
        let mut expected = vec!["code", "error"];
        if is_429 { expected.push("retry_after"); }
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        prop_assert_eq!(sorted, expected, "key set; retry_after iff 429");
        prop_assert!(object["error"].is_string() && object["code"].is_string(), "types");
        if is_429 {
            let secs = object["retry_after"].as_u64().unwrap_or(0);
            prop_assert!(secs >= 1, "retry_after is a positive integer, got {}", object["retry_after"]);
        }
        let text = std::str::from_utf8(&err.to_bytes()).unwrap().to_owned();
        prop_assert!(text.starts_with("{\"error\":"), "error comes first: {}", text);
        let code_at = text.rfind(",\"code\":").unwrap_or(0);
        prop_assert!(text[code_at..].starts_with(&format!(",\"code\":\"{}\"", err.code())), "code follows error");
    }

    #[test]
    fn a_server_error_body_is_always_the_catalogue_body(detail in ".{0,200}") {
        let err = ApiError::internal(std::io::Error::other(detail.clone())).with_message(detail);
        let bytes = err.to_bytes();
        prop_assert_eq!(
            bytes.as_ref(),
            ErrorCode::ServerError.default_body().unwrap().as_bytes(),
            "nothing of the cause or detail is sent"
        );
    }
}

#[test]
fn the_static_default_bodies_equal_serdes_output_byte_for_byte() {
    for &code in ErrorCode::ALL {
        let serde_body = ErrorBody::from(&docs::example(code)).to_vec();
        let rendered = docs::example(code).to_bytes();
        assert_eq!(rendered.as_ref(), serde_body.as_slice(), "{code}");
        match code.default_body() {
            Some(constant) => assert_eq!(constant.as_bytes(), serde_body.as_slice(), "{code}"),
            None => assert!(
                code.carries_retry_after(),
                "{code}: only 429s lack a constant body"
            ),
        }
    }
}
