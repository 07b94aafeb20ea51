//! `Json<T>`: every way a body can fail to be the expected JSON document is `INVALID_JSON`
//! (never the framework's 415, 422 or plain 400), with a message that points at the problem.

use attractos_errors::ErrorCode;

use crate::service::Event;
use crate::{Framework, Payload, Req, Response};

const EVENTS: &str = "/api/v1/events";

async fn post(framework: Framework, content_type: Option<&str>, body: &[u8]) -> Response {
    let mut request = Req::new("POST", EVENTS).key();
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    framework.send(request.sized(body)).await
}

async fn assert_invalid_json(framework: Framework, body: &[u8], message_part: &str) {
    let sent = post(framework, Some("application/json"), body).await;
    assert_invalid(&sent, message_part);
}

fn assert_invalid(sent: &Response, message_part: &str) {
    let body = sent.assert_error(ErrorCode::InvalidJson);
    assert!(
        body.error.contains(message_part),
        "expected {message_part:?} in {sent}"
    );
}

/// A valid document is echoed as JSON.
pub async fn a_valid_document_reaches_the_handler(framework: Framework) {
    let sent = framework
        .send(Req::post_json(EVENTS, r#"{"name":"pageview","count":3}"#))
        .await;
    assert_eq!(sent.status, 200, "{sent}");
    assert_eq!(sent.header_str("content-type"), Some("application/json"));
    let event: Event = serde_json::from_slice(&sent.body).expect("the echoed event");
    let expected = Event {
        name: "pageview".into(),
        count: 3,
    };
    assert_eq!(event, expected);
}

/// Chunks without a `Content-Length`, like a chunked upload.
pub async fn a_document_in_chunks_without_a_length_reaches_the_handler(framework: Framework) {
    let chunks = [&br#"{"name":"#[..], br#""pageview","count""#, b":3}"];
    let request = Req::new("POST", EVENTS)
        .key()
        .header("content-type", "application/json")
        .body(Payload::Chunked(chunks.map(<[u8]>::to_vec).to_vec()));
    let sent = framework.send(request).await;
    assert_eq!(sent.status, 200, "{sent}");
}

/// Parameters, case and `+json` suffixes.
pub async fn json_content_types_with_parameters_and_suffixes_are_accepted(framework: Framework) {
    for content_type in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.attractos+json",
    ] {
        let sent = post(framework, Some(content_type), br#"{"name":"a","count":1}"#).await;
        assert_eq!(sent.status, 200, "{content_type}: {sent}");
    }
}

/// A trailing comma, with its line and column.
pub async fn a_syntax_error_names_its_line_and_column(framework: Framework) {
    let body = b"{\n  \"name\": \"pageview\",\n  \"count\": 3,\n}";
    let message = "Invalid JSON at line 4, column 1: trailing comma";
    assert_invalid_json(framework, body, message).await;
}

/// A document that ends early.
pub async fn a_truncated_document_says_where_it_ends(framework: Framework) {
    let body = br#"{"name":"pageview""#;
    assert_invalid_json(framework, body, "ends early at line 1, column 18").await;
}

/// Valid JSON of the wrong shape.
pub async fn wrong_types_and_missing_fields_are_invalid_json(framework: Framework) {
    let message = "does not match the expected fields at line 1, column 9: invalid type: integer `1`, expected a string";
    assert_invalid_json(framework, br#"{"name":1,"count":1}"#, message).await;
    assert_invalid_json(framework, br#"{"name":"a"}"#, "missing field `count`").await;
    let negative = br#"{"name":"a","count":-1}"#;
    assert_invalid_json(framework, negative, "does not match the expected fields").await;
}

/// No content type, `text/plain`, a form.
pub async fn a_missing_or_other_content_type_is_invalid_json(framework: Framework) {
    let body = br#"{"name":"a","count":1}"#;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let sent = post(framework, content_type, body).await;
        assert_invalid(&sent, "Content-Type: application/json");
    }
}

/// Latin-1 where UTF-8 belongs, with the byte's offset.
pub async fn a_body_that_is_not_utf8_is_invalid_json(framework: Framework) {
    let body = b"{\"name\":\"caf\xe9\",\"count\":1}";
    assert_invalid_json(framework, body, "not valid UTF-8 (byte 12)").await;
}

/// Empty or only whitespace.
pub async fn an_empty_body_is_invalid_json(framework: Framework) {
    for body in [&b""[..], b"  \n"] {
        assert_invalid_json(framework, body, "The request body is empty").await;
    }
}

/// The connection breaks mid-body: the reason stays out of the answer.
pub async fn a_body_cut_short_is_invalid_json_with_the_cause_kept_out(framework: Framework) {
    let request = Req::new("POST", EVENTS)
        .key()
        .header("content-type", "application/json")
        .body(Payload::Broken(br#"{"name":"#.to_vec()));
    let sent = framework.send(request).await;
    assert_invalid(&sent, "could not be read completely");
    assert!(
        !sent.to_string().contains("reset"),
        "the cause leaked: {sent}"
    );
}
