//! actix glue: a panic in a scope middleware before any handler future exists, and how a
//! panic on a plain `web::resource` leaves the contract middleware. (Handler panics on
//! `resource()` routes are in the conformance suite.)

use actix_web::dev::Service as _;
use actix_web::{HttpResponse, test, web};
use attractos_errors::ErrorCode;
use attractos_errors_actix::{Contract, contract_app};
use attractos_testkit::{REQUEST_ID, Req, TestService};

#[actix_web::test]
async fn a_panic_before_the_handler_future_exists_is_caught() {
    // A scope middleware written with `wrap_fn` runs synchronously inside the service call.
    let app = TestService::actix(
        contract_app(Contract::default()).service(
            web::scope("/guarded")
                .wrap_fn(|req, srv| {
                    if req.path().ends_with("/explode") {
                        panic!("middleware fell over");
                    }
                    srv.call(req)
                })
                .route("/explode", web::get().to(HttpResponse::Ok))
                .route("/fine", web::get().to(HttpResponse::Ok)),
        ),
    )
    .await;
    let sent = app.send(&Req::get("/guarded/explode")).await;
    sent.assert_error(ErrorCode::ServerError);
    let sent = app.send(&Req::get("/guarded/fine")).await;
    assert_eq!(sent.status, 200, "{sent}");
}

#[actix_web::test]
async fn a_panic_reaches_the_client_as_the_dispatchers_rendering_of_the_middleware_error() {
    // actix-web hands a middleware no request once the inner service took it, so a panic on a
    // route not registered with `resource()` leaves the contract middleware as an `Err`; the
    // dispatcher sends its `error_response()`.
    async fn boom() -> HttpResponse {
        panic!("a handler panic")
    }
    let app = contract_app(Contract::default())
        .service(web::resource("/panic").route(web::get().to(boom)));
    let app = test::init_service(app).await;
    let request = test::TestRequest::get()
        .uri("/panic")
        .insert_header(("x-request-id", REQUEST_ID))
        .to_request();
    let err = match app.call(request).await {
        Ok(res) => panic!(
            "a panic should leave the middleware as an error, got {}",
            res.status()
        ),
        Err(err) => err,
    };
    let response = err.error_response();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(REQUEST_ID.as_bytes())
    );
    // Rendering is repeatable: the dispatcher may ask more than once.
    assert_eq!(err.error_response().status(), 500);
}
