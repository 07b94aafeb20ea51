//! The adapter as a newcomer sets it up: CORS the documented way on every error answer, and
//! the setup order checked when the router is built. (That both adapters answer and log the
//! same, and as the error page says, is `tests/same_surface.rs` at the root.)

use attractos_errors::{ErrorBody, ErrorCode};
use attractos_errors_axum::{ApiError, Contract, ContractExt, ContractRouter, Json};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::routing::{get, post};
use bytes::Bytes;
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_http::cors::CorsLayer;

const ORIGIN: &str = "https://dashboard.example";

async fn boom() -> &'static str {
    panic!("boom")
}

async fn events(Json(_event): Json<serde_json::Value>) -> &'static str {
    "accepted"
}

/// Routes for every kind of answer: a success, a handler error, a panic, a body to limit, an
/// answer of another layer (a plain-text 418).
fn routes() -> Router {
    Router::new()
        .route("/sites", get(|| async { "[]" }))
        .route("/denied", get(|| async { ApiError::site_not_found() }))
        .route("/panic", get(boom))
        .route("/events", post(events))
        .route(
            "/teapot",
            get(|| async { (StatusCode::IM_A_TEAPOT, "short and stout") }),
        )
}

fn contract() -> Contract {
    Contract::default().with_body_limit(16)
}

/// The documented order: routes, the contract, then CORS.
fn with_cors() -> ContractRouter {
    let cors = CorsLayer::new().allow_origin(HeaderValue::from_static(ORIGIN));
    routes().with_contract(contract()).layer(cors)
}

async fn send(app: &ContractRouter, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a whole body").to_bytes();
    (parts.status, parts.headers, body)
}

fn from_dashboard(method: &str, uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("origin", ORIGIN)
}

/// Every kind of error answer, each with the code it must carry.
fn error_requests() -> Vec<(Request<Body>, ErrorCode)> {
    let empty = |method, uri| {
        from_dashboard(method, uri)
            .body(Body::empty())
            .expect("a request")
    };
    let too_large = from_dashboard("POST", "/events")
        .header("content-type", "application/json")
        .header("content-length", "100")
        .body(Body::from(vec![b' '; 100]))
        .expect("a request");
    vec![
        (empty("GET", "/nowhere"), ErrorCode::NotFound),
        (empty("DELETE", "/sites"), ErrorCode::MethodNotAllowed),
        (too_large, ErrorCode::PayloadTooLarge),
        (empty("GET", "/panic"), ErrorCode::ServerError),
        (empty("GET", "/denied"), ErrorCode::SiteNotFound),
        (empty("GET", "/teapot"), ErrorCode::ServerError),
    ]
}

#[tokio::test]
async fn with_cors_after_the_contract_every_error_answer_carries_the_allowed_origin() {
    let app = with_cors();
    for (request, code) in error_requests() {
        let uri = request.uri().clone();
        let (status, headers, body) = send(&app, request).await;
        let parsed = ErrorBody::from_slice(&body).expect("a contract body");
        assert_eq!(parsed.code.known(), Some(code), "{uri}");
        assert_eq!(status, code.status(), "{uri}");
        assert_eq!(
            headers
                .get("access-control-allow-origin")
                .map(HeaderValue::as_bytes),
            Some(ORIGIN.as_bytes()),
            "{uri}: {code} must be readable by the dashboard"
        );
    }
}

#[tokio::test]
async fn a_preflight_is_answered_by_cors_with_the_allowed_origin() {
    let preflight = from_dashboard("OPTIONS", "/sites")
        .header("access-control-request-method", "GET")
        .body(Body::empty())
        .expect("a request");
    let (status, headers, _) = send(&with_cors(), preflight).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
}

#[tokio::test]
async fn cors_added_before_the_contract_misses_the_contracts_own_answers() {
    // Why the order is documented: a layer added first wraps the routes only.
    let cors = CorsLayer::new().allow_origin(HeaderValue::from_static(ORIGIN));
    let app = routes().layer(cors).with_contract(contract());
    let request = from_dashboard("GET", "/nowhere")
        .body(Body::empty())
        .expect("a request");
    let (status, headers, _) = send(&app, request).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!headers.contains_key("access-control-allow-origin"));
}

#[test]
#[should_panic(expected = "with_contract on a router without routes: add every route first")]
fn the_contract_on_a_router_without_routes_panics_when_the_router_is_built() {
    let _ = Router::<()>::new().with_contract(Contract::default());
}
