//! A panicking handler is `SERVER_ERROR` (the panic message logged, never sent), and the same
//! service goes on answering.

mod common;

use actix_web::dev::Service as _;
use actix_web::{HttpResponse, test, web};
use attractos_errors::ErrorCode;
use attractos_errors_actix::{Contract, contract_app};
use common::{Stats, authorized_get, get_request, send};

#[actix_web::test]
async fn a_panic_then_a_normal_request_on_the_same_service() {
    let app = test::init_service(common::app()).await;
    let sent = send(&app, get_request("/panic")).await;
    sent.assert_error(ErrorCode::ServerError);
    assert!(!sent.to_string().contains("fell over"), "{sent}");

    let sent = send(
        &app,
        authorized_get("/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-10"),
    )
    .await;
    assert_eq!(sent.status, 200, "{sent}");
    let stats: Stats = serde_json::from_slice(&sent.body).expect("the stats body");
    assert_eq!(stats.days, 10);

    // And it keeps catching.
    send(&app, get_request("/panic"))
        .await
        .assert_error(ErrorCode::ServerError);
}

#[actix_web::test]
async fn a_panic_with_a_formatted_message_or_any_payload_is_caught() {
    let app = test::init_service(
        contract_app(Contract::default())
            .route(
                "/formatted",
                web::get().to(|| async {
                    let n = 42;
                    if n > 0 {
                        panic!("bad state {n}");
                    }
                    HttpResponse::Ok().finish()
                }),
            )
            .route(
                "/any",
                web::get().to(|| async {
                    std::panic::panic_any(7_u8);
                    #[allow(unreachable_code)]
                    HttpResponse::Ok().finish()
                }),
            ),
    )
    .await;
    for uri in ["/formatted", "/any"] {
        let sent = send(&app, get_request(uri)).await;
        sent.assert_error(ErrorCode::ServerError);
        assert_eq!(sent.header("x-request-id"), Some(common::REQUEST_ID));
    }
}

#[actix_web::test]
async fn a_panic_before_the_handler_future_exists_is_caught() {
    // A scope middleware written with `wrap_fn` runs synchronously inside the service call.
    let app = test::init_service(
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
    let sent = send(&app, get_request("/guarded/explode")).await;
    sent.assert_error(ErrorCode::ServerError);
    let sent = send(&app, get_request("/guarded/fine")).await;
    assert_eq!(sent.status, 200, "{sent}");
}

#[actix_web::test]
async fn a_panic_reaches_the_client_as_the_dispatchers_rendering_of_the_middleware_error() {
    // actix-web hands a middleware no request once the inner service took it, so a panic
    // leaves the contract middleware as an `Err`; the dispatcher sends its `error_response()`.
    let app = test::init_service(common::app()).await;
    let err = match app.call(get_request("/panic").to_request()).await {
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
        Some(common::REQUEST_ID.as_bytes())
    );
    // Rendering is repeatable: the dispatcher may ask more than once.
    assert_eq!(err.error_response().status(), 500);
}
