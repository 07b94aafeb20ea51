//! Error responses that axum's own extractors, handlers' bare status codes and other layers
//! produce are converted into the contract; JSON responses and successes pass untouched.

use std::collections::HashMap;
use std::time::Duration;

use crate::common::{Event, get_request, post_json, request, send};
use attractos_errors::ErrorCode;
use attractos_errors_axum::{Contract, ContractExt};
use axum::Router;
use axum::body::Body;
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;

async fn path_number(Path(id): Path<u32>) -> String {
    id.to_string()
}

async fn axum_query(Query(query): Query<HashMap<String, u32>>) -> String {
    query.len().to_string()
}

async fn axum_json(axum::Json(event): axum::Json<Event>) -> String {
    event.name
}

async fn axum_form(Form(event): Form<Event>) -> String {
    event.name
}

async fn throttled() -> impl IntoResponse {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", "7")],
        "slow down",
    )
}

async fn unauthorized() -> StatusCode {
    StatusCode::UNAUTHORIZED
}

async fn teapot() -> impl IntoResponse {
    (StatusCode::IM_A_TEAPOT, "short and stout")
}

async fn own_json_error() -> impl IntoResponse {
    (
        StatusCode::CONFLICT,
        [("content-type", "application/json")],
        r#"{"conflict":true}"#,
    )
}

async fn plain_ok() -> &'static str {
    "plain"
}

async fn never() -> &'static str {
    std::future::pending::<()>().await;
    "unreachable"
}

fn app() -> Router {
    Router::new()
        .route("/items/{id}", get(path_number))
        .route("/axum-query", get(axum_query))
        .route("/axum-json", post(axum_json))
        .route("/axum-form", post(axum_form))
        .route("/throttled", get(throttled))
        .route("/unauthorized", get(unauthorized))
        .route("/teapot", get(teapot))
        .route("/own-json", get(own_json_error))
        .route("/plain", get(plain_ok))
        .route(
            "/slow",
            get(never).layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_millis(10),
            )),
        )
        .with_contract(Contract::default())
}

#[tokio::test]
async fn an_axum_path_that_does_not_parse_is_not_found() {
    send(&app(), get_request("/items/abc"))
        .await
        .assert_error(ErrorCode::NotFound);
    let ok = send(&app(), get_request("/items/12")).await;
    assert_eq!((ok.status.as_u16(), &ok.body[..]), (200, &b"12"[..]));
}

#[tokio::test]
async fn an_axum_query_that_does_not_deserialize_is_invalid_date_range() {
    send(&app(), get_request("/axum-query?a=x"))
        .await
        .assert_error(ErrorCode::InvalidDateRange);
}

#[tokio::test]
async fn axum_json_rejections_are_invalid_json() {
    // 400 syntax, 422 data, 415 content type: all INVALID_JSON.
    send(&app(), post_json("/axum-json", "{"))
        .await
        .assert_error(ErrorCode::InvalidJson);
    send(&app(), post_json("/axum-json", r#"{"name":1,"count":1}"#))
        .await
        .assert_error(ErrorCode::InvalidJson);
    let no_type = request("POST", "/axum-json")
        .body(Body::from(r#"{"name":"a","count":1}"#))
        .expect("a valid request");
    send(&app(), no_type)
        .await
        .assert_error(ErrorCode::InvalidJson);
}

#[tokio::test]
async fn axum_form_rejections_are_invalid_json() {
    let bad = request("POST", "/axum-form")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("name=a&count=x"))
        .expect("a valid request");
    send(&app(), bad).await.assert_error(ErrorCode::InvalidJson);
}

#[tokio::test]
async fn a_bare_429_keeps_its_retry_after() {
    let sent = send(&app(), get_request("/throttled")).await;
    sent.assert_error(ErrorCode::RateLimited);
    assert_eq!(sent.error_body().retry_after, Some(7));
    assert_eq!(sent.header("retry-after"), Some("7"));
}

#[tokio::test]
async fn bare_statuses_map_to_their_codes() {
    send(&app(), get_request("/unauthorized"))
        .await
        .assert_error(ErrorCode::InvalidKey);
    let teapot = send(&app(), get_request("/teapot")).await;
    teapot.assert_error(ErrorCode::ServerError);
    assert!(!teapot.to_string().contains("stout"), "{teapot}");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_layers_answer_is_converted() {
    let sent = send(&app(), get_request("/slow")).await;
    sent.assert_error(ErrorCode::ServerError);
}

#[tokio::test]
async fn json_error_responses_and_successes_pass_untouched() {
    let own = send(&app(), get_request("/own-json")).await;
    assert_eq!(own.status, StatusCode::CONFLICT);
    assert_eq!(&own.body[..], br#"{"conflict":true}"#);

    let plain = send(&app(), get_request("/plain")).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(
        plain.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(&plain.body[..], b"plain");
}
