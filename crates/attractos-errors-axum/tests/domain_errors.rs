//! axum glue: a response axum cannot serialize is a `SERVER_ERROR`. (The newtype is tested
//! where the core's macro declares it; `?` on domain errors is in the conformance suite.)

use std::collections::HashMap;

use attractos_errors::ErrorCode;
use attractos_errors_axum::{Contract, ContractExt, Json};
use attractos_testkit::{Req, TestService};
use axum::Router;
use axum::routing::get;

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
