//! axum glue: error responses axum's own extractors and a tower-http timeout layer produce
//! are converted into the contract. (Other layers' plain answers on the test service, and what
//! passes untouched, are in the conformance suite.)

use std::collections::HashMap;
use std::time::Duration;

use attractos_errors::ErrorCode;
use attractos_errors_axum::{Contract, ContractExt, ContractRouter};
use attractos_testkit::service::Event;
use attractos_testkit::{Req, TestService};
use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
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

async fn never() -> &'static str {
    std::future::pending::<()>().await;
    "unreachable"
}

fn app() -> TestService {
    TestService::axum(app_router())
}

fn app_router() -> ContractRouter {
    Router::new()
        .route("/items/{id}", get(path_number))
        .route("/axum-query", get(axum_query))
        .route("/axum-json", post(axum_json))
        .route("/axum-form", post(axum_form))
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

#[tokio::test(start_paused = true)]
async fn a_timeout_layers_answer_is_converted() {
    let sent = app().send(&Req::get("/slow")).await;
    sent.assert_error(ErrorCode::ServerError);
}
