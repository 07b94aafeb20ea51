//! axum glue: the adapter's `ApiError` is the core error in a newtype, and a response axum
//! cannot serialize is a `SERVER_ERROR`. (`?` on domain errors is in the conformance suite.)

use std::collections::HashMap;
use std::error::Error as _;

use attractos_errors::ErrorCode;
use attractos_errors_axum::{ApiError, Contract, ContractExt, Json};
use attractos_testkit::{Req, TestService};
use axum::Router;
use axum::routing::get;

#[test]
fn the_newtype_is_the_core_error() {
    let io = std::io::Error::other("disk gone");
    let err: ApiError = attractos_errors::ApiError::internal(io).into();
    assert_eq!(
        err.code(),
        ErrorCode::ServerError,
        "Deref to the core error"
    );
    assert_eq!(
        err.to_string(),
        "SERVER_ERROR: An unexpected error occurred on the server."
    );
    assert_eq!(
        err.source().map(ToString::to_string).as_deref(),
        Some("disk gone"),
        "source() delegates"
    );
    assert!(format!("{err:?}").contains("disk gone"), "Debug delegates");
    let code: ApiError = attractos_errors::ApiError::try_from(ErrorCode::PlanRequired)
        .expect("not a 429")
        .into();
    assert_eq!(code.into_inner().code(), ErrorCode::PlanRequired);
}

#[tokio::test]
async fn a_response_that_cannot_be_serialized_is_a_server_error() {
    async fn bad_map() -> Json<HashMap<(u8, u8), u8>> {
        Json(HashMap::from([((1, 2), 3)]))
    }
    let app = Router::new()
        .route("/bad", get(bad_map))
        .with_contract(Contract::default());
    TestService::axum(app)
        .send(&Req::get("/bad"))
        .await
        .assert_error(ErrorCode::ServerError);
}
