//! The full HTTP response of every code with its default message, and of the adapter's own
//! failures, in the format both adapters share. The snapshots are the axum adapter's files
//! (`crates/attractos-errors-axum/tests/snapshots/<name>.snap`): the two adapters must answer
//! byte for byte alike, so this test never writes snapshots of its own.

mod common;

use actix_web::test;
use attractos_errors::ErrorCode;
use attractos_errors::rules::DEFAULT_BODY_LIMIT;
use common::{Sent, app, authorized_get, get_request, post_json, request, send};

fn assert_response_snapshot(name: &str, sent: &Sent) {
    insta::with_settings!({
        snapshot_path => "../../attractos-errors-axum/tests/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, sent.to_string());
    });
}

#[actix_web::test]
async fn every_code_with_its_default_message() {
    let app = test::init_service(app()).await;
    for code in ErrorCode::ALL {
        let sent = send(&app, get_request(&format!("/codes/{code}"))).await;
        sent.assert_error(*code);
        assert_eq!(sent.message(), code.message(), "default message of {code}");
        assert_response_snapshot(&format!("code_{code}"), &sent);
    }
}

#[actix_web::test]
async fn a_specific_message() {
    let app = test::init_service(app()).await;
    let sent = send(
        &app,
        authorized_get("/api/v1/sites/site_demo/stats?start=2024-02-30&end=2024-03-01"),
    )
    .await;
    sent.assert_error(ErrorCode::InvalidDateRange);
    assert_response_snapshot("custom_message_INVALID_DATE_RANGE", &sent);
}

#[actix_web::test]
async fn an_internal_cause_is_not_sent() {
    let app = test::init_service(app()).await;
    let sent = send(&app, get_request("/internal")).await;
    sent.assert_error(ErrorCode::ServerError);
    let text = sent.to_string();
    assert!(!text.contains("quota"), "the cause leaked: {text}");
    assert!(!text.contains("secret-path"), "the cause leaked: {text}");
    assert_response_snapshot("internal_cause_SERVER_ERROR", &sent);
}

#[actix_web::test]
async fn an_unknown_route() {
    let app = test::init_service(app()).await;
    let sent = send(&app, get_request("/api/v1/nothing-here")).await;
    sent.assert_error(ErrorCode::NotFound);
    assert_response_snapshot("not_found", &sent);
}

#[actix_web::test]
async fn a_wrong_method() {
    let app = test::init_service(app()).await;
    let sent = send(&app, request("GET", "/api/v1/events")).await;
    sent.assert_error(ErrorCode::MethodNotAllowed);
    assert_response_snapshot("method_not_allowed", &sent);
}

#[actix_web::test]
async fn a_body_over_the_default_limit() {
    let app = test::init_service(app()).await;
    let body = vec![b' '; DEFAULT_BODY_LIMIT + 1];
    let sent = send(&app, post_json("/api/v1/events", body)).await;
    sent.assert_error(ErrorCode::PayloadTooLarge);
    assert_response_snapshot("payload_too_large", &sent);
}

#[actix_web::test]
async fn a_panicking_handler() {
    let app = test::init_service(app()).await;
    let sent = send(&app, get_request("/panic")).await;
    sent.assert_error(ErrorCode::ServerError);
    assert!(
        !sent.to_string().contains("fell over"),
        "the panic message leaked: {sent}"
    );
    assert_response_snapshot("panic", &sent);
}
