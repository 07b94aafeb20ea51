//! actix glue: routes registered with `App::route`, inside a scope, or with a `web::Path` that
//! does not parse. (Unknown paths and wrong methods on the test service are in the
//! conformance suite.)

use actix_web::{HttpResponse, web};
use attractos_errors::ErrorCode;
use attractos_errors_actix::{Contract, contract_app};
use attractos_testkit::{Req, TestService};

#[actix_web::test]
async fn a_wrong_method_on_an_app_route_is_method_not_allowed_without_allow() {
    // `App::route` puts the method guard on the resource itself, so the request falls through to
    // the default service, which still sees that the path exists.
    let app = TestService::actix(
        contract_app(Contract::default())
            .route("/ping", web::get().to(HttpResponse::Ok))
            .route("/ping", web::put().to(HttpResponse::Ok)),
    )
    .await;
    let sent = app.send(&Req::new("POST", "/ping")).await;
    // No `Allow` to give: judged on the published page's rules, and `Allow` stays absent.
    sent.assert_error_at(
        ErrorCode::MethodNotAllowed,
        attractos_contract::rule::Level::Contract,
    );
    assert_eq!(sent.header("allow"), None, "{sent}");
    let sent = app.send(&Req::new("PUT", "/ping")).await;
    assert_eq!(sent.status, 200, "{sent}");
    let sent = app.send(&Req::get("/pong")).await;
    sent.assert_error(ErrorCode::NotFound);
}

#[actix_web::test]
async fn an_unknown_path_inside_a_scope_is_not_found() {
    let app = TestService::actix(contract_app(Contract::default()).service(
        web::scope("/api").service(web::resource("/ping").route(web::get().to(HttpResponse::Ok))),
    ))
    .await;
    let sent = app.send(&Req::get("/api/pong")).await;
    sent.assert_error(ErrorCode::NotFound);
    let sent = app.send(&Req::new("POST", "/api/ping")).await;
    sent.assert_error(ErrorCode::MethodNotAllowed);
    assert_eq!(sent.header_str("allow"), Some("GET"), "{sent}");
}

#[actix_web::test]
async fn a_path_parameter_that_does_not_parse_is_not_found() {
    let app = TestService::actix(contract_app(Contract::default()).route(
        "/items/{id}",
        web::get().to(|id: web::Path<u32>| async move { id.to_string() }),
    ))
    .await;
    let sent = app.send(&Req::get("/items/7")).await;
    assert_eq!(&sent.body[..], b"7");
    let sent = app.send(&Req::get("/items/seven")).await;
    sent.assert_error_message(ErrorCode::NotFound);
}
