//! The adapter as a newcomer sets it up: routes registered the documented way ([`resource`])
//! answer `HEAD`, list `HEAD` in `Allow` and take an empty `siteId` as axum does; CORS wrapped
//! the documented way is on every error answer; log fields all print with their labels; the
//! generated error page states each header exactly as it is sent.

use std::sync::{Arc, Mutex};

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, test, web};
use attractos_errors::{ErrorBody, ErrorCode, docs};
use attractos_errors_actix::{ApiError, Contract, Json, SiteId, contract_app, resource};
use bytes::Bytes;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};

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

async fn code(code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Err(ApiError(docs::example(
        code.parse().expect("a catalogue code"),
    )))
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
        .service(resource("/teapot").route(web::get().to(teapot)))
        .service(resource("/codes/{code}").route(web::get().to(code)));
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

/// Every kind of error answer but a panic (see the README: actix-cors passes an `Err` on
/// without its headers), each with the code it must carry.
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
async fn a_resource_answers_head_with_its_get_route_without_the_body() {
    let app = test::init_service(contract_app(contract()).configure(routes)).await;
    let get = body(
        send(
            &app,
            test::TestRequest::get().uri("/api/v1/sites/demo/stats"),
        )
        .await,
    );
    let head = send(
        &app,
        test::TestRequest::default()
            .method(Method::HEAD)
            .uri("/api/v1/sites/demo/stats"),
    )
    .await;
    assert_eq!(head.status(), StatusCode::OK);
    let length = header(&head, "content-length").to_owned();
    assert_eq!(length, get.await.len().to_string(), "the GET body's length");
    assert!(body(head).await.is_empty(), "no body on HEAD");
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

#[actix_web::test]
async fn every_value_of_every_error_log_line_has_its_own_label() {
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());
    // While one subscriber exists, tracing-core caches a call site's interest from the thread
    // that hits it first (`has_just_one`): a test logging without a subscriber in a parallel
    // thread would silence the call site here. A second subscriber makes it ask every one.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = test::init_service(contract_app(contract()).configure(routes)).await;
    let mut requests = error_requests();
    requests.push((
        test::TestRequest::get().uri("/panic"),
        ErrorCode::ServerError,
    ));
    let sent = requests.len();
    for (request, _) in requests {
        let _ = app.call(request.to_request()).await;
    }
    let events = events.0.lock().expect("the events lock").clone();
    let errors = events
        .iter()
        .filter(|fields| fields[0].1.starts_with("attractos_errors"))
        .count();
    assert_eq!(errors, sent, "one line each: {events:#?}");
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

/// The `- `name: value`` lines of `code`'s section in the committed error page, sorted
/// (actix-web's header map keeps no order between names).
fn documented_headers(code: ErrorCode) -> Vec<String> {
    let page = include_str!("../../../docs/error-codes.md");
    let start = page
        .find(&format!("### {} ", code.as_str()))
        .expect("a section per code");
    let mut lines: Vec<String> = page[start..]
        .lines()
        .skip_while(|line| *line != "Headers:")
        .skip(2)
        .take_while(|line| line.starts_with("- `"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[actix_web::test]
async fn the_error_page_states_each_header_exactly_as_the_adapter_sends_it() {
    let app = test::init_service(contract_app(contract()).configure(routes)).await;
    for &code in ErrorCode::ALL {
        let uri = format!("/codes/{}", code.as_str());
        let response = send(&app, test::TestRequest::get().uri(&uri)).await;
        let mut sent: Vec<String> = response
            .headers()
            .iter()
            .filter(|(name, _)| name.as_str() != "x-request-id")
            .map(|(name, value)| {
                let value = value.to_str().expect("visible ASCII");
                format!("- `{name}: {value}`")
            })
            .collect();
        sent.sort();
        assert_eq!(sent, documented_headers(code), "{code}");
    }
}
