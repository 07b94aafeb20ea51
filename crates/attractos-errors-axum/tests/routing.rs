//! axum glue: nested and stateful routers answer in the contract too, keeping axum's `Allow`.
//! (Unknown paths and wrong methods on the test service are in the conformance suite.)

use attractos_errors::ErrorCode;
use attractos_errors_axum::{Contract, ContractExt};
use attractos_testkit::{Req, TestService};
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};

#[tokio::test]
async fn nested_and_stateful_routers_answer_in_the_contract_too() {
    async fn hello(State(greeting): State<&'static str>) -> &'static str {
        greeting
    }
    let app = TestService::axum(
        Router::new()
            .nest(
                "/api/v2",
                Router::new().route("/hello", get(hello).post(hello)),
            )
            .route("/top", post(hello))
            .with_contract(Contract::default())
            .with_state("hi"),
    );

    let ok = app.send(&Req::get("/api/v2/hello")).await;
    assert_eq!(ok.status, 200, "{ok}");
    assert_eq!(&ok.body[..], b"hi");

    app.send(&Req::get("/api/v2/nope"))
        .await
        .assert_error(ErrorCode::NotFound);
    let nested = app.send(&Req::new("DELETE", "/api/v2/hello")).await;
    nested.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(nested.header_str("allow"), Some("GET,HEAD,POST"));
    let top = app.send(&Req::get("/top")).await;
    top.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(top.header_str("allow"), Some("POST"));
}
