//! The router's own failures: an unknown path is `NOT_FOUND`, a known path with the wrong
//! method is `METHOD_NOT_ALLOWED` keeping axum's `Allow` header, nested routers included.

mod common;

use attractos_errors::ErrorCode;
use attractos_errors_axum::{Contract, ContractExt};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::{get, post};
use common::{app, request, send};

fn empty(method: &str, uri: &str) -> axum::http::Request<Body> {
    request(method, uri)
        .body(Body::empty())
        .expect("a valid request")
}

#[tokio::test]
async fn an_unknown_path_is_not_found_whatever_the_method() {
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let sent = send(&app(), empty(method, "/api/v2/nothing")).await;
        sent.assert_error(ErrorCode::NotFound);
        assert_eq!(sent.header("allow"), None, "{method}");
    }
}

#[tokio::test]
async fn a_wrong_method_is_method_not_allowed_with_allow() {
    let sent = send(&app(), empty("GET", "/api/v1/events")).await;
    sent.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(sent.header("allow"), Some("POST"));

    let sent = send(&app(), empty("DELETE", "/api/v1/sites/site_demo/stats")).await;
    sent.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(sent.header("allow"), Some("GET,HEAD"));
}

#[tokio::test]
async fn nested_and_stateful_routers_answer_in_the_contract_too() {
    async fn hello(State(greeting): State<&'static str>) -> &'static str {
        greeting
    }
    let app = Router::new()
        .nest(
            "/api/v2",
            Router::new().route("/hello", get(hello).post(hello)),
        )
        .route("/top", post(hello))
        .with_contract(Contract::default())
        .with_state("hi");

    let ok = send(&app, empty("GET", "/api/v2/hello")).await;
    assert_eq!(ok.status, 200, "{ok}");
    assert_eq!(&ok.body[..], b"hi");

    send(&app, empty("GET", "/api/v2/nope"))
        .await
        .assert_error(ErrorCode::NotFound);
    let nested = send(&app, empty("DELETE", "/api/v2/hello")).await;
    nested.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(nested.header("allow"), Some("GET,HEAD,POST"));
    let top = send(&app, empty("GET", "/top")).await;
    top.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(top.header("allow"), Some("POST"));
}
