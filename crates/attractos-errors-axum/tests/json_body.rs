//! `Json<T>`: every way a body can fail to be the expected JSON document is `INVALID_JSON`
//! (never axum's 415 or 422), with a message that points at the problem.

mod common;

use attractos_errors::ErrorCode;
use axum::body::Body;
use common::{Event, app, post_json, request, send};

async fn post(content_type: Option<&str>, body: impl Into<Body>) -> common::Sent {
    let mut builder = request("POST", "/api/v1/events");
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    send(&app(), builder.body(body.into()).expect("a valid request")).await
}

async fn assert_invalid_json(sent: common::Sent, message_part: &str) {
    sent.assert_error(ErrorCode::InvalidJson);
    assert!(
        sent.message().contains(message_part),
        "expected {message_part:?} in {sent}"
    );
}

#[tokio::test]
async fn a_valid_document_reaches_the_handler() {
    let sent = send(
        &app(),
        post_json("/api/v1/events", r#"{"name":"pageview","count":3}"#),
    )
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

#[tokio::test]
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

#[tokio::test]
async fn a_syntax_error_names_its_line_and_column() {
    let body = "{\n  \"name\": \"pageview\",\n  \"count\": 3,\n}";
    assert_invalid_json(
        post(Some("application/json"), body).await,
        "Invalid JSON at line 4, column 1: trailing comma",
    )
    .await;
}

#[tokio::test]
async fn a_truncated_document_says_where_it_ends() {
    assert_invalid_json(
        post(Some("application/json"), r#"{"name":"pageview""#).await,
        "ends early at line 1, column 18",
    )
    .await;
}

#[tokio::test]
async fn wrong_types_and_missing_fields_are_invalid_json_not_422() {
    assert_invalid_json(
        post(Some("application/json"), r#"{"name":1,"count":1}"#).await,
        "does not match the expected fields at line 1, column 9: invalid type: integer `1`, expected a string",
    )
    .await;
    assert_invalid_json(
        post(Some("application/json"), r#"{"name":"a"}"#).await,
        "missing field `count`",
    )
    .await;
    assert_invalid_json(
        post(Some("application/json"), r#"{"name":"a","count":-1}"#).await,
        "does not match the expected fields",
    )
    .await;
}

#[tokio::test]
async fn a_missing_or_other_content_type_is_invalid_json_not_415() {
    let body = r#"{"name":"a","count":1}"#;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        assert_invalid_json(
            post(content_type, body).await,
            "Content-Type: application/json",
        )
        .await;
    }
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_invalid_json() {
    assert_invalid_json(
        post(
            Some("application/json"),
            &b"{\"name\":\"caf\xe9\",\"count\":1}"[..],
        )
        .await,
        "not valid UTF-8 (byte 12)",
    )
    .await;
}

#[tokio::test]
async fn an_empty_body_is_invalid_json() {
    for body in ["", "  \n"] {
        assert_invalid_json(
            post(Some("application/json"), body).await,
            "The request body is empty",
        )
        .await;
    }
}
