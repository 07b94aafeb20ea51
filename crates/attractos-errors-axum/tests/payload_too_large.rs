//! axum glue: axum's own body extractors get the contract's limit, and a tower-http limit
//! layer's plain-text 413s are converted. (The contract's own limit is in the conformance
//! suite.)

use attractos_errors::ErrorCode;
use attractos_errors_axum::{Contract, ContractExt, Json};
use attractos_testkit::service::Event;
use attractos_testkit::{Payload, Req, TestService};
use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use tower_http::limit::RequestBodyLimitLayer;

/// A body in `chunks` pieces of `size` bytes, with no length known in advance.
fn streamed(chunks: usize, size: usize) -> Payload {
    Payload::Chunked(vec![vec![b' '; size]; chunks])
}

async fn raw_bytes(body: Bytes) -> String {
    body.len().to_string()
}

async fn axum_json(axum::Json(event): axum::Json<Event>) -> String {
    event.name
}

#[tokio::test]
async fn axums_own_body_extractors_get_the_contract_limit_and_answer_in_the_contract() {
    let app = TestService::axum(
        Router::new()
            .route("/bytes", post(raw_bytes))
            .route("/axum-json", post(axum_json))
            .with_contract(Contract::default().with_body_limit(16)),
    );
    for uri in ["/bytes", "/axum-json"] {
        let req = Req::new("POST", uri)
            .header("content-type", "application/json")
            .body(streamed(3, 6));
        let sent = app.send(&req).await;
        // axum answered a plain-text 413 by itself; the contract converted it.
        sent.assert_error(ErrorCode::PayloadTooLarge);
    }
    let fits = Req::new("POST", "/bytes").body(streamed(2, 8));
    let sent = app.send(&fits).await;
    assert_eq!((sent.status, &sent.body[..]), (200, &b"16"[..]));
}

async fn events(Json(event): Json<Event>) -> String {
    event.name
}

#[tokio::test]
async fn a_tower_http_request_body_limit_answers_in_the_contract() {
    let app = TestService::axum(
        Router::new()
            .route("/events", post(events))
            .layer(RequestBodyLimitLayer::new(8))
            .with_contract(Contract::default()),
    );
    // By Content-Length: the layer itself answers 413 in plain text.
    let sent = app.send(&Req::post_json("/events", [b' '; 9])).await;
    sent.assert_error_message(ErrorCode::PayloadTooLarge);
    // Streamed: the layer's limit trips inside `Json`, which cannot name that limit.
    let req = Req::new("POST", "/events")
        .header("content-type", "application/json")
        .body(streamed(2, 8));
    let sent = app.send(&req).await;
    sent.assert_error_message(ErrorCode::PayloadTooLarge);
}
