//! The adapter as a newcomer sets it up: routes registered the documented way ([`resource`])
//! answer `HEAD`, list `HEAD` in `Allow` and take an empty `siteId` as axum does, and CORS
//! wrapped the documented way is on every error answer. (That both adapters answer and log
//! these the same, and as the error page says, is `tests/same_surface.rs` at the root.)

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, test, web};
use attractos_errors::{ErrorBody, ErrorCode};
use attractos_errors_actix::{ApiError, Contract, Json, SiteId, contract_app, resource};
use bytes::Bytes;

const ORIGIN: &str = "https://dashboard.example";

async fn stats(SiteId(site): SiteId) -> HttpResponse {
    HttpResponse::Ok().body(format!("stats of {site}"))
}

async fn boom() -> HttpResponse {
    panic!("boom")
}

async fn events(Json(_event): Json<serde_json::Value>) -> HttpResponse {
    HttpResponse::Accepted().finish()
}

async fn teapot() -> HttpResponse {
    HttpResponse::build(StatusCode::IM_A_TEAPOT).body("short and stout")
}

/// Routes for every kind of answer, registered with [`resource`] and plain `web::get()`.
fn routes(config: &mut web::ServiceConfig) {
    config
        .service(resource("/api/v1/sites/{siteId}/stats").route(web::get().to(stats)))
        .service(resource("/sites").route(web::get().to(HttpResponse::Ok)))
        .service(
            resource("/denied").route(
                web::get().to(|| async { Err::<HttpResponse, _>(ApiError::site_not_found()) }),
            ),
        )
        .service(resource("/panic").route(web::get().to(boom)))
        .service(resource("/events").route(web::post().to(events)))
        .service(resource("/teapot").route(web::get().to(teapot)));
}

fn contract() -> Contract {
    Contract::default().with_body_limit(16)
}

async fn send<S, B>(app: &S, request: test::TestRequest) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    let response = match app.call(request.to_request()).await {
        Ok(response) => response,
        Err(err) => panic!("the contract answers with Ok: {err}"),
    };
    response.map_into_boxed_body()
}

fn header<'a>(response: &'a ServiceResponse, name: &str) -> &'a str {
    let value = response.headers().get(name);
    value.map_or("", |value| value.to_str().expect("visible ASCII"))
}

async fn body(response: ServiceResponse) -> Bytes {
    test::read_body(response).await
}

fn from_dashboard(method: Method, uri: &str) -> test::TestRequest {
    test::TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(("origin", ORIGIN))
}

/// Every kind of error answer, each with the code it must carry.
fn error_requests() -> Vec<(test::TestRequest, ErrorCode)> {
    let too_large = from_dashboard(Method::POST, "/events")
        .insert_header(("content-type", "application/json"))
        .insert_header(("content-length", "100"))
        .set_payload(vec![b' '; 100]);
    vec![
        (from_dashboard(Method::GET, "/nowhere"), ErrorCode::NotFound),
        (
            from_dashboard(Method::DELETE, "/sites"),
            ErrorCode::MethodNotAllowed,
        ),
        (too_large, ErrorCode::PayloadTooLarge),
        (
            from_dashboard(Method::GET, "/panic"),
            ErrorCode::ServerError,
        ),
        (
            from_dashboard(Method::GET, "/denied"),
            ErrorCode::SiteNotFound,
        ),
        (
            from_dashboard(Method::GET, "/teapot"),
            ErrorCode::ServerError,
        ),
    ]
}

#[actix_web::test]
async fn with_cors_wrapped_on_the_contract_app_every_error_answer_carries_the_allowed_origin() {
    let app = test::init_service(
        contract_app(contract()).configure(routes).wrap(
            Cors::default()
                .allowed_origin(ORIGIN)
                .allowed_methods(["GET", "POST"]),
        ),
    )
    .await;
    for (request, code) in error_requests() {
        let response = send(&app, request).await;
        let uri = response.request().uri().clone();
        assert_eq!(response.status().as_u16(), code.status().as_u16(), "{uri}");
        assert_eq!(
            response
                .headers()
                .get("access-control-allow-origin")
                .map(|value| value.as_bytes()),
            Some(ORIGIN.as_bytes()),
            "{uri}: {code} must be readable by the dashboard"
        );
        let parsed = ErrorBody::from_slice(&body(response).await).expect("a contract body");
        assert_eq!(parsed.code.known(), Some(code), "{uri}");
    }
    let preflight = from_dashboard(Method::OPTIONS, "/sites")
        .insert_header(("access-control-request-method", "GET"));
    let response = send(&app, preflight).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "access-control-allow-origin"), ORIGIN);
}

#[actix_web::test]
async fn a_resource_answers_head_with_its_get_route() {
    // In-process the body is still there: actix-web's HTTP/1 server drops it on the wire
    // (`tests/same_surface.rs` at the root checks the wire).
    let app = test::init_service(contract_app(contract()).configure(routes)).await;
    let uri = "/api/v1/sites/demo/stats";
    let get = body(send(&app, test::TestRequest::get().uri(uri)).await).await;
    let head = send(
        &app,
        test::TestRequest::default().method(Method::HEAD).uri(uri),
    )
    .await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(body(head).await, get, "the GET route's answer");
}

#[actix_web::test]
async fn a_wrong_method_on_a_resource_lists_head_after_get() {
    let app = test::init_service(contract_app(contract()).configure(routes)).await;
    let response = send(&app, test::TestRequest::delete().uri("/sites")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), "GET,HEAD");
    let response = send(&app, test::TestRequest::get().uri("/events")).await;
    assert_eq!(header(&response, "allow"), "POST", "no GET, so no HEAD");
}

#[actix_web::test]
async fn an_empty_site_id_segment_is_missing_site_id() {
    let app = test::init_service(contract_app(contract()).configure(routes)).await;
    for method in [Method::GET, Method::HEAD] {
        let request = test::TestRequest::default()
            .method(method.clone())
            .uri("/api/v1/sites//stats");
        let response = send(&app, request).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{method}");
        if method == Method::GET {
            let parsed = ErrorBody::from_slice(&body(response).await).expect("a contract body");
            assert_eq!(parsed.code.known(), Some(ErrorCode::MissingSiteId));
        }
    }
}
