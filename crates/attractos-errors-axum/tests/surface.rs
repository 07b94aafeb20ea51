//! The adapter as a newcomer sets it up: CORS the documented way on every answer, the setup
//! order checked when the router is built, log fields that all print with their labels, and
//! the generated error page stating each header exactly as it is sent.

use std::sync::{Arc, Mutex};

use attractos_errors::{ErrorBody, ErrorCode, docs};
use attractos_errors_axum::{ApiError, Contract, ContractExt, Json};
use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::routing::{get, post};
use bytes::Bytes;
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_http::cors::CorsLayer;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};

const ORIGIN: &str = "https://dashboard.example";

async fn boom() -> &'static str {
    panic!("boom")
}

async fn events(Json(_event): Json<serde_json::Value>) -> &'static str {
    "accepted"
}

/// Routes for every kind of answer: a success, a handler error, a panic, a body to limit, an
/// answer of another layer (a plain-text 418), and each catalogue code's example error.
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
        .route(
            "/codes/{code}",
            get(|Path(code): Path<String>| async move {
                ApiError(docs::example(code.parse().expect("a catalogue code")))
            }),
        )
}

fn contract() -> Contract {
    Contract::default().with_body_limit(16)
}

/// The documented order: routes, the contract, then CORS.
fn with_cors() -> Router {
    let cors = CorsLayer::new().allow_origin(HeaderValue::from_static(ORIGIN));
    routes().with_contract(contract()).layer(cors)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
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

/// One event's fields: (name, value) in the order they were recorded.
type EventFields = Vec<(String, String)>;

/// Every event's fields, by name, as a subscriber sees them.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<EventFields>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = vec![("target".to_owned(), event.metadata().target().to_owned())];
        event.record(&mut Fields(&mut fields));
        self.0.lock().expect("the events lock").push(fields);
    }
}

/// The descriptions the log lines use as tracing's `message` (printed without a label): fixed
/// texts, never a value. The error lines are the core's; tower-http's request tracing adds the
/// others on axum.
const DESCRIPTIONS: [&str; 6] = [
    "request rejected",
    "internal error answered with SERVER_ERROR",
    "another layer's answer outside the contract sent as SERVER_ERROR",
    "started processing request",
    "finished processing request",
    "end of stream",
];

#[tokio::test]
async fn every_value_of_every_error_log_line_has_its_own_label() {
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());
    // While one subscriber exists, tracing-core caches a call site's interest from the thread
    // that hits it first (`has_just_one`): a test logging without a subscriber in a parallel
    // thread would silence the call site here. A second subscriber makes it ask every one.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = routes().with_contract(contract());
    for (request, _) in error_requests() {
        let _ = send(&app, request).await;
    }
    let events = events.0.lock().expect("the events lock").clone();
    let errors = events
        .iter()
        .filter(|fields| fields[0].1.starts_with("attractos_errors"))
        .count();
    assert_eq!(errors, error_requests().len(), "one line each: {events:#?}");
    for fields in &events {
        let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let message = field("message").expect("a description");
        assert!(DESCRIPTIONS.contains(&message.as_str()), "{fields:?}");
        if !field("target").is_some_and(|target| target.starts_with("attractos_errors")) {
            continue;
        }
        assert!(
            field("code").is_some(),
            "the code has its label: {fields:?}"
        );
        if message == "request rejected" {
            for name in ["status", "public_message", "cause"] {
                assert!(field(name).is_some(), "{name} is labelled: {fields:?}");
            }
        }
    }
    let rejected = events
        .iter()
        .flatten()
        .find(|(name, value)| name == "public_message" && value.contains("site"));
    assert!(
        rejected.is_some(),
        "the public message is under public_message: {events:#?}"
    );
}

/// The `- `name: value`` lines of `code`'s section in the committed error page.
fn documented_headers(code: ErrorCode) -> Vec<String> {
    let page = include_str!("../../../docs/error-codes.md");
    let start = page
        .find(&format!("### {} ", code.as_str()))
        .expect("a section per code");
    page[start..]
        .lines()
        .skip_while(|line| *line != "Headers:")
        .skip(2)
        .take_while(|line| line.starts_with("- `"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_error_page_states_each_header_exactly_as_the_adapter_sends_it() {
    let app = routes().with_contract(contract());
    for &code in ErrorCode::ALL {
        let request = Request::get(format!("/codes/{}", code.as_str()))
            .body(Body::empty())
            .expect("a request");
        let (_, headers, _) = send(&app, request).await;
        let sent: Vec<String> = headers
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "content-length"))
            .map(|(name, value)| {
                let value = value.to_str().expect("visible ASCII");
                format!("- `{name}: {value}`")
            })
            .collect();
        assert_eq!(sent, documented_headers(code), "{code}");
    }
}
