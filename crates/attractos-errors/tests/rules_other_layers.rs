//! Answers the contract did not write: which ones adapters rewrite, and what they become.

use attractos_errors::ErrorCode;
use attractos_errors::rules::{self, from_answer};

#[test]
fn error_answers_without_a_json_content_type_are_rewritten() {
    assert!(rules::needs_rewrite(403, None), "no content type");
    assert!(rules::needs_rewrite(
        400,
        Some(b"text/plain; charset=utf-8")
    ));
    assert!(rules::needs_rewrite(502, Some(b"text/html")));
    assert!(
        !rules::needs_rewrite(403, Some(b"application/json")),
        "a JSON error is the layer's own contract answer"
    );
    assert!(!rules::needs_rewrite(
        401,
        Some(b"application/problem+json")
    ));
    assert!(
        !rules::needs_rewrite(399, Some(b"text/plain")),
        "not an error"
    );
    assert!(!rules::needs_rewrite(200, None));
}

#[test]
fn a_layer_s_text_is_kept_only_as_a_server_error_s_detail() {
    let err = from_answer(403, None, Some("forbidden by policy"));
    assert_eq!(err.code(), ErrorCode::ServerError);
    assert_eq!(err.detail(), Some("forbidden by policy"), "for the log");
    assert!(
        !String::from_utf8_lossy(&err.to_bytes()).contains("policy"),
        "never on the wire"
    );

    let err = from_answer(404, None, Some("no route for /x"));
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(err.detail(), None, "a client error drops the layer's text");
    assert_eq!(err.message(), ErrorCode::NotFound.message());
}

#[test]
fn a_layer_s_long_text_is_cut_to_128_characters_with_control_characters_replaced() {
    let text = format!("line one\nline two {}", "x".repeat(300));
    let detail = from_answer(500, None, Some(&text))
        .detail()
        .expect("a detail")
        .to_owned();
    assert_eq!(
        detail.chars().count(),
        129,
        "128 characters and an ellipsis: {detail}"
    );
    assert!(detail.ends_with('…'), "{detail}");
    assert!(detail.starts_with("line one\u{FFFD}line two"), "{detail}");
}

#[test]
fn framework_failures_to_parse_a_request_map_to_the_catalogue() {
    assert_eq!(rules::unparsable_path().code(), ErrorCode::NotFound);
    assert_eq!(
        rules::unparsable_query().code(),
        ErrorCode::InvalidDateRange
    );
    assert_eq!(rules::unparsable_form().code(), ErrorCode::InvalidJson);
}
