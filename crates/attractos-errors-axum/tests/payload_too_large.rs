//! Bodies over the limit are `PAYLOAD_TOO_LARGE`: refused early when `Content-Length` says
//! so, else while reading a streamed body; other layers' plain-text 413s are converted.

use std::convert::Infallible;

use crate::common::{Event, app, app_with, post_json, request, send};
use attractos_errors::ErrorCode;
use attractos_errors::rules::DEFAULT_BODY_LIMIT;
use attractos_errors_axum::{Contract, ContractExt, Json};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::post;
use tower_http::limit::RequestBodyLimitLayer;

/// A body in `chunks` pieces of `size` bytes, with no length known in advance.
fn streamed(chunks: usize, size: usize) -> Body {
    let pieces = (0..chunks).map(move |_| Ok::<_, Infallible>(Bytes::from(vec![b' '; size])));
    Body::from_stream(futures_util::stream::iter(pieces))
}

fn with_length(uri: &str, len: usize) -> axum::http::Request<Body> {
    let mut req = post_json(uri, vec![b' '; len]);
    req.headers_mut().insert("content-length", len.into());
    req
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_any_handler() {
    // The events route reads the body; the timeseries route takes none, and is refused too.
    for uri in ["/api/v1/events", "/api/v1/timeseries?granularity=day"] {
        let sent = send(&app(), with_length(uri, DEFAULT_BODY_LIMIT + 1)).await;
        sent.assert_error(ErrorCode::PayloadTooLarge);
        assert_eq!(
            sent.message(),
            "The request body is larger than the 65536-byte limit.",
            "{uri}"
        );
    }
}

#[tokio::test]
async fn a_body_exactly_at_the_limit_is_read() {
    let document = r#"{"name":"a","count":1}"#;
    let mut body = document.as_bytes().to_vec();
    body.resize(DEFAULT_BODY_LIMIT, b' ');
    let sent = send(&app(), post_json("/api/v1/events", body)).await;
    assert_eq!(sent.status, 200, "{sent}");
}

#[tokio::test]
async fn a_streamed_body_without_length_is_cut_off_at_the_limit() {
    let chunk = 4096;
    let chunks = DEFAULT_BODY_LIMIT / chunk + 1;
    let req = request("POST", "/api/v1/events")
        .header("content-type", "application/json")
        .body(streamed(chunks, chunk))
        .expect("a valid request");
    assert!(req.headers().get("content-length").is_none());
    let sent = send(&app(), req).await;
    sent.assert_error(ErrorCode::PayloadTooLarge);
    assert_eq!(
        sent.message(),
        "The request body is larger than the 65536-byte limit."
    );
}

#[tokio::test]
async fn the_contract_limit_is_configurable() {
    let app = app_with(Contract::default().with_body_limit(16));
    let sent = send(&app, with_length("/api/v1/events", 17)).await;
    sent.assert_error(ErrorCode::PayloadTooLarge);
    assert_eq!(
        sent.message(),
        "The request body is larger than the 16-byte limit."
    );
    let streamed_req = request("POST", "/api/v1/events")
        .header("content-type", "application/json")
        .body(streamed(3, 6))
        .expect("a valid request");
    send(&app, streamed_req)
        .await
        .assert_error(ErrorCode::PayloadTooLarge);
    // 16 bytes are read, and then judged as JSON.
    let fits = send(&app, post_json("/api/v1/events", r#"{"name":"abcd" }"#)).await;
    fits.assert_error(ErrorCode::InvalidJson);
    assert!(fits.message().contains("missing field `count`"), "{fits}");
}

async fn raw_bytes(body: Bytes) -> String {
    body.len().to_string()
}

async fn axum_json(axum::Json(event): axum::Json<Event>) -> String {
    event.name
}

#[tokio::test]
async fn axums_own_body_extractors_get_the_contract_limit_and_answer_in_the_contract() {
    let app = Router::new()
        .route("/bytes", post(raw_bytes))
        .route("/axum-json", post(axum_json))
        .with_contract(Contract::default().with_body_limit(16));
    for uri in ["/bytes", "/axum-json"] {
        let req = request("POST", uri)
            .header("content-type", "application/json")
            .body(streamed(3, 6))
            .expect("a valid request");
        let sent = send(&app, req).await;
        // axum answered a plain-text 413 by itself; the contract converted it.
        sent.assert_error(ErrorCode::PayloadTooLarge);
    }
    let fits = request("POST", "/bytes")
        .body(streamed(2, 8))
        .expect("a valid request");
    let sent = send(&app, fits).await;
    assert_eq!((sent.status.as_u16(), &sent.body[..]), (200, &b"16"[..]));
}

async fn events(Json(event): Json<Event>) -> String {
    event.name
}

#[tokio::test]
async fn a_tower_http_request_body_limit_answers_in_the_contract() {
    let app = Router::new()
        .route("/events", post(events))
        .layer(RequestBodyLimitLayer::new(8))
        .with_contract(Contract::default());
    // By Content-Length: the layer itself answers 413 in plain text.
    let sent = send(&app, with_length("/events", 9)).await;
    sent.assert_error(ErrorCode::PayloadTooLarge);
    assert_eq!(sent.message(), ErrorCode::PayloadTooLarge.message());
    // Streamed: the layer's limit trips inside `Json`, which cannot name that limit.
    let req = request("POST", "/events")
        .header("content-type", "application/json")
        .body(streamed(2, 8))
        .expect("a valid request");
    let sent = send(&app, req).await;
    sent.assert_error(ErrorCode::PayloadTooLarge);
    assert_eq!(sent.message(), ErrorCode::PayloadTooLarge.message());
}
