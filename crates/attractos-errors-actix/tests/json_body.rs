//! `Json<T>`: every way a body can fail to be the expected JSON document is `INVALID_JSON`
//! (never actix-web's `JsonPayloadError` text), with a message that points at the problem.

mod common;

use attractos_errors::ErrorCode;
use bytes::Bytes;
use common::{Event, Sent, chunked, post_json, request, send_one};

async fn post(content_type: Option<&str>, body: impl Into<Bytes>) -> Sent {
    let mut builder = request("POST", "/api/v1/events");
    if let Some(content_type) = content_type {
        builder = builder.insert_header(("content-type", content_type));
    }
    send_one(builder.set_payload(body)).await
}

fn assert_invalid_json(sent: &Sent, message_part: &str) {
    sent.assert_error(ErrorCode::InvalidJson);
    assert!(
        sent.message().contains(message_part),
        "expected {message_part:?} in {sent}"
    );
}

#[actix_web::test]
async fn a_valid_document_reaches_the_handler() {
    let sent = send_one(post_json(
        "/api/v1/events",
        r#"{"name":"pageview","count":3}"#,
    ))
    .await;
    assert_eq!(sent.status, 200, "{sent}");
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let event: Event = serde_json::from_slice(&sent.body).expect("the echoed event");
    assert_eq!(
        event,
        Event {
            name: "pageview".into(),
            count: 3
        }
    );
}

#[actix_web::test]
async fn a_document_in_chunks_without_a_length_reaches_the_handler() {
    let chunks = vec![
        Bytes::from_static(br#"{"name":"#),
        Bytes::from_static(br#""pageview","count""#),
        Bytes::from_static(b":3}"),
    ];
    let req = chunked(
        request("POST", "/api/v1/events").insert_header(("content-type", "application/json")),
        chunks,
    );
    let sent = send_one(req).await;
    assert_eq!(sent.status, 200, "{sent}");
}

#[actix_web::test]
async fn json_content_types_with_parameters_and_suffixes_are_accepted() {
    for content_type in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.attractos+json",
    ] {
        let sent = post(Some(content_type), r#"{"name":"a","count":1}"#).await;
        assert_eq!(sent.status, 200, "{content_type}: {sent}");
    }
}

#[actix_web::test]
async fn a_syntax_error_names_its_line_and_column() {
    let body = "{\n  \"name\": \"pageview\",\n  \"count\": 3,\n}";
    assert_invalid_json(
        &post(Some("application/json"), body).await,
        "Invalid JSON at line 4, column 1: trailing comma",
    );
}

#[actix_web::test]
async fn a_truncated_document_says_where_it_ends() {
    assert_invalid_json(
        &post(Some("application/json"), r#"{"name":"pageview""#).await,
        "ends early at line 1, column 18",
    );
}

#[actix_web::test]
async fn wrong_types_and_missing_fields_are_invalid_json_not_a_plain_400() {
    assert_invalid_json(
        &post(Some("application/json"), r#"{"name":1,"count":1}"#).await,
        "does not match the expected fields at line 1, column 9: invalid type: integer `1`, expected a string",
    );
    assert_invalid_json(
        &post(Some("application/json"), r#"{"name":"a"}"#).await,
        "missing field `count`",
    );
    assert_invalid_json(
        &post(Some("application/json"), r#"{"name":"a","count":-1}"#).await,
        "does not match the expected fields",
    );
}

#[actix_web::test]
async fn a_missing_or_other_content_type_is_invalid_json() {
    let body = r#"{"name":"a","count":1}"#;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        assert_invalid_json(
            &post(content_type, body).await,
            "Content-Type: application/json",
        );
    }
}

#[actix_web::test]
async fn a_body_that_is_not_utf8_is_invalid_json() {
    assert_invalid_json(
        &post(
            Some("application/json"),
            &b"{\"name\":\"caf\xe9\",\"count\":1}"[..],
        )
        .await,
        "not valid UTF-8 (byte 12)",
    );
}

#[actix_web::test]
async fn an_empty_body_is_invalid_json() {
    for body in ["", "  \n"] {
        assert_invalid_json(
            &post(Some("application/json"), body).await,
            "The request body is empty",
        );
    }
}

#[actix_web::test]
async fn a_body_cut_short_is_invalid_json_with_the_cause_kept_out() {
    let mut req = request("POST", "/api/v1/events")
        .insert_header(("content-type", "application/json"))
        .to_request();
    let stream = futures_util::stream::iter([
        Ok(Bytes::from_static(br#"{"name":"#)),
        Err(actix_web::error::PayloadError::Incomplete(Some(
            std::io::Error::other("connection reset by peer"),
        ))),
    ]);
    let stream: actix_http::BoxedPayloadStream = Box::pin(stream);
    req = req.replace_payload(actix_http::Payload::from(stream)).0;
    let sent = send_one(req).await;
    assert_invalid_json(&sent, "could not be read completely");
    assert!(
        !sent.to_string().contains("reset"),
        "the cause leaked: {sent}"
    );
}
