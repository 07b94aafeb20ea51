//! axum glue: error responses axum's own extractors and a tower-http timeout layer produce
//! are converted into the contract. (Other layers' plain answers on the test service, and what
//! passes untouched, are in the conformance suite.)

use std::collections::HashMap;
use std::time::Duration;

use attractos_errors::ErrorCode;
use attractos_errors_axum::{Contract, ContractExt, ContractRouter};
use attractos_testkit::service::Event;
use attractos_testkit::{Req, TestService, assert_case_error};
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

/// What axum's own extractors reject, each case with the code the contract answers instead.
fn rejected_by_axum() -> [(&'static str, Req, ErrorCode); 6] {
    let form = Req::new("POST", "/axum-form")
        .header("content-type", "application/x-www-form-urlencoded")
        .sized("name=a&count=x");
    let json_without_type = Req::new("POST", "/axum-json").sized(r#"{"name":"a","count":1}"#);
    [
        (
            "a Path that does not parse",
            Req::get("/items/abc"),
            ErrorCode::NotFound,
        ),
        (
            "a Query that does not deserialize",
            Req::get("/axum-query?a=x"),
            ErrorCode::InvalidDateRange,
        ),
        (
            "axum's Json 400: a syntax error",
            Req::post_json("/axum-json", "{"),
            ErrorCode::InvalidJson,
        ),
        (
            "axum's Json 422: a field of the wrong type",
            Req::post_json("/axum-json", r#"{"name":1,"count":1}"#),
            ErrorCode::InvalidJson,
        ),
        (
            "axum's Json 415: no content type",
            json_without_type,
            ErrorCode::InvalidJson,
        ),
        (
            "a Form that does not deserialize",
            form,
            ErrorCode::InvalidJson,
        ),
    ]
}

#[tokio::test]
async fn axums_own_extractor_rejections_answer_in_the_contract() {
    let app = app();
    for (case, request, code) in rejected_by_axum() {
        assert_case_error(case, &app.send(&request).await, code);
    }
    let ok = app.send(&Req::get("/items/12")).await;
    assert_eq!((ok.status, &ok.body[..]), (200, &b"12"[..]), "{ok}");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_layers_answer_is_converted() {
    let sent = app().send(&Req::get("/slow")).await;
    sent.assert_error(ErrorCode::ServerError);
}
