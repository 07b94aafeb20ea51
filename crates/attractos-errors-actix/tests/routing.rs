//! What no handler answers: an unknown path is `NOT_FOUND`, a known path with the wrong method
//! `METHOD_NOT_ALLOWED` (with `Allow` where actix-web knows the methods), a path actix-web's
//! own `web::Path` cannot parse `NOT_FOUND`.

mod common;

use actix_web::{HttpResponse, test, web};
use attractos_errors::ErrorCode;
use attractos_errors_actix::{Contract, contract_app};
use common::{get_request, request, send, send_one};

#[actix_web::test]
async fn an_unknown_path_is_not_found() {
    for uri in [
        "/",
        "/api",
        "/api/v1/sites/site_demo",
        "/api/v1/events/extra",
    ] {
        let sent = send_one(get_request(uri)).await;
        sent.assert_error(ErrorCode::NotFound);
    }
}

#[actix_web::test]
async fn an_unknown_path_with_any_method_is_not_found() {
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let sent = send_one(request(method, "/nowhere")).await;
        sent.assert_error(ErrorCode::NotFound);
    }
}

#[actix_web::test]
async fn a_wrong_method_on_a_resource_lists_its_methods() {
    let sent = send_one(request("DELETE", "/api/v1/timeseries")).await;
    sent.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(sent.header("allow"), Some("GET,HEAD"), "{sent}");

    let sent = send_one(request("PUT", "/api/v1/events")).await;
    sent.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(sent.header("allow"), Some("POST"), "{sent}");
}

#[actix_web::test]
async fn a_wrong_method_on_an_app_route_is_method_not_allowed_without_allow() {
    // `App::route` puts the method guard on the resource itself, so the request falls through to
    // the default service, which still sees that the path exists.
    let app = test::init_service(
        contract_app(Contract::default())
            .route("/ping", web::get().to(HttpResponse::Ok))
            .route("/ping", web::put().to(HttpResponse::Ok)),
    )
    .await;
    let sent = send(&app, request("POST", "/ping")).await;
    sent.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(sent.header("allow"), None, "{sent}");
    let sent = send(&app, request("PUT", "/ping")).await;
    assert_eq!(sent.status, 200, "{sent}");
    let sent = send(&app, request("GET", "/pong")).await;
    sent.assert_error(ErrorCode::NotFound);
}

#[actix_web::test]
async fn an_unknown_path_inside_a_scope_is_not_found() {
    let app = test::init_service(contract_app(Contract::default()).service(
        web::scope("/api").service(web::resource("/ping").route(web::get().to(HttpResponse::Ok))),
    ))
    .await;
    let sent = send(&app, get_request("/api/pong")).await;
    sent.assert_error(ErrorCode::NotFound);
    let sent = send(&app, request("POST", "/api/ping")).await;
    sent.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(sent.header("allow"), Some("GET"), "{sent}");
}

#[actix_web::test]
async fn a_path_parameter_that_does_not_parse_is_not_found() {
    let app = test::init_service(contract_app(Contract::default()).route(
        "/items/{id}",
        web::get().to(|id: web::Path<u32>| async move { id.to_string() }),
    ))
    .await;
    let sent = send(&app, get_request("/items/7")).await;
    assert_eq!(&sent.body[..], b"7");
    let sent = send(&app, get_request("/items/seven")).await;
    sent.assert_error(ErrorCode::NotFound);
    assert_eq!(sent.message(), ErrorCode::NotFound.message());
}
