//! Handlers return `Result<T, ApiError>` and use `?` on their own error types through `From`;
//! the adapter's `ApiError` is the core error in a newtype.

use std::collections::HashMap;
use std::error::Error as _;

use crate::common::{app, authorized_get, get_request, send};
use attractos_errors::ErrorCode;
use attractos_errors_axum::{ApiError, Contract, ContractExt, Json};
use axum::Router;
use axum::routing::get;

#[tokio::test]
async fn question_mark_converts_domain_errors() {
    let stats = |site: &str| format!("/api/v1/sites/{site}/stats?start=2024-01-01&end=2024-01-02");
    send(&app(), authorized_get(&stats("site_elsewhere")))
        .await
        .assert_error(ErrorCode::SiteNotFound);
    send(&app(), authorized_get(&stats("site_offline")))
        .await
        .assert_error(ErrorCode::ServerError);
}

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
    send(&app, get_request("/bad"))
        .await
        .assert_error(ErrorCode::ServerError);
}
