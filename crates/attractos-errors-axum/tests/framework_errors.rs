//! Error responses that axum's own extractors, handlers' bare status codes and other layers
//! produce are converted into the contract; JSON responses and successes pass untouched.

use std::collections::HashMap;
use std::time::Duration;

use attractos_errors::ErrorCode;
use attractos_errors_axum::{Contract, ContractExt};
use attractos_testkit::service::Event;
use attractos_testkit::{Req, TestService};
use axum::Router;
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

fn app() -> TestService {
    TestService::axum(app_router())
}

fn app_router() -> Router {
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
    app()
        .send(&Req::get("/items/abc"))
        .await
        .assert_error(ErrorCode::NotFound);
    let ok = app().send(&Req::get("/items/12")).await;
    assert_eq!((ok.status, &ok.body[..]), (200, &b"12"[..]));
}

#[tokio::test]
async fn an_axum_query_that_does_not_deserialize_is_invalid_date_range() {
    app()
        .send(&Req::get("/axum-query?a=x"))
        .await
        .assert_error(ErrorCode::InvalidDateRange);
}

#[tokio::test]
async fn axum_json_rejections_are_invalid_json() {
    // 400 syntax, 422 data, 415 content type: all INVALID_JSON.
    app()
        .send(&Req::post_json("/axum-json", "{"))
        .await
        .assert_error(ErrorCode::InvalidJson);
    app()
        .send(&Req::post_json("/axum-json", r#"{"name":1,"count":1}"#))
        .await
        .assert_error(ErrorCode::InvalidJson);
    let no_type = Req::new("POST", "/axum-json").sized(r#"{"name":"a","count":1}"#);
    app()
        .send(&no_type)
        .await
        .assert_error(ErrorCode::InvalidJson);
}

#[tokio::test]
async fn axum_form_rejections_are_invalid_json() {
    let bad = Req::new("POST", "/axum-form")
        .header("content-type", "application/x-www-form-urlencoded")
        .sized("name=a&count=x");
    app().send(&bad).await.assert_error(ErrorCode::InvalidJson);
}

#[tokio::test]
async fn a_bare_429_keeps_its_retry_after() {
    let sent = app().send(&Req::get("/throttled")).await;
    let body = sent.assert_error(ErrorCode::RateLimited);
    assert_eq!(body.retry_after, Some(7));
    assert_eq!(sent.header_str("retry-after"), Some("7"));
}

#[tokio::test]
async fn bare_statuses_map_to_their_codes() {
    app()
        .send(&Req::get("/unauthorized"))
        .await
        .assert_error(ErrorCode::InvalidKey);
    let teapot = app().send(&Req::get("/teapot")).await;
    teapot.assert_error(ErrorCode::ServerError);
    assert!(!teapot.to_string().contains("stout"), "{teapot}");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_layers_answer_is_converted() {
    let sent = app().send(&Req::get("/slow")).await;
    sent.assert_error(ErrorCode::ServerError);
}

#[tokio::test]
async fn json_error_responses_and_successes_pass_untouched() {
    let own = app().send(&Req::get("/own-json")).await;
    assert_eq!(own.status, 409);
    assert_eq!(&own.body[..], br#"{"conflict":true}"#);

    let plain = app().send(&Req::get("/plain")).await;
    assert_eq!(plain.status, 200);
    assert_eq!(
        plain.header_str("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(&plain.body[..], b"plain");
}
