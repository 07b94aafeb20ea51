//! One small service set up the way each adapter's docs show it (axum: `get(handler)` on
//! `{siteId}`, then `with_contract`; actix-web: `resource("…/{siteId}/…")` with plain
//! `web::get()` on `contract_app`) behaves the same on both frameworks:
//!
//! - `HEAD`, a wrong method and an empty `siteId` get byte-identical answers (status, every
//!   header, `Content-Length` on `HEAD`, body);
//! - every value of every error log line prints with its label, and the lines are the same;
//! - the generated error page states each header exactly as it is sent.

use std::sync::{Arc, Mutex};

use attractos_errors::{ErrorBody, ErrorCode, docs};
use bytes::Bytes;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};

const STATS: &str = "/api/v1/sites/{siteId}/stats";
const REQUEST_ID: &str = "same-surface-1";

/// What each framework answered.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    /// Sorted (actix-web's header map keeps no order between names); without
    /// `Content-Length`, which axum sets in-process and actix-web only on the wire, except on
    /// `HEAD`, where both set it.
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Answer {
    fn new<'a>(
        status: u16,
        headers: impl Iterator<Item = (&'a str, &'a [u8])>,
        body: Bytes,
        head: bool,
    ) -> Self {
        let mut headers: Vec<(String, String)> = headers
            .filter(|(name, _)| head || *name != "content-length")
            .map(|(name, value)| (name.to_owned(), String::from_utf8_lossy(value).into_owned()))
            .collect();
        headers.sort();
        Answer {
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }

    fn code(&self) -> Option<ErrorCode> {
        ErrorBody::from_slice(&self.body).ok()?.code.known()
    }
}

/// A request both frameworks are sent.
struct Sent {
    method: &'static str,
    uri: String,
    json_length: Option<usize>,
}

fn sent(method: &'static str, uri: &str) -> Sent {
    Sent {
        method,
        uri: uri.to_owned(),
        json_length: None,
    }
}

/// A JSON body of `len` spaces, with its `Content-Length`.
fn json_of(len: usize, uri: &str) -> Sent {
    Sent {
        json_length: Some(len),
        ..sent("POST", uri)
    }
}

fn contract() -> attractos_errors::Contract {
    attractos_errors::Contract::default().with_body_limit(16)
}

async fn boom_text() -> String {
    panic!("boom")
}

fn teapot_text() -> &'static str {
    "short and stout"
}

mod on_axum {
    use super::*;
    use attractos_errors_axum::{ApiError, ContractExt, Json, SiteId};
    use axum::extract::Path;
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn stats(SiteId(site): SiteId) -> String {
        format!("stats of {site}")
    }

    async fn events(Json(_event): Json<serde_json::Value>) -> &'static str {
        "accepted"
    }

    async fn code(Path(code): Path<String>) -> ApiError {
        ApiError(docs::example(code.parse().expect("a catalogue code")))
    }

    pub async fn send(request: Sent) -> Answer {
        let head = request.method == "HEAD";
        let app = axum::Router::new()
            .route(STATS, get(stats))
            .route("/denied", get(|| async { ApiError::site_not_found() }))
            .route("/panic", get(boom_text))
            .route("/events", post(events))
            .route(
                "/teapot",
                get(|| async { (StatusCode::IM_A_TEAPOT, teapot_text()) }),
            )
            .route("/codes/{code}", get(code))
            .with_contract(contract());
        let mut builder = http::Request::builder()
            .method(request.method)
            .uri(&request.uri)
            .header("x-request-id", REQUEST_ID);
        let body = match request.json_length {
            Some(len) => {
                builder = builder
                    .header("content-type", "application/json")
                    .header("content-length", len);
                axum::body::Body::from(vec![b' '; len])
            }
            None => axum::body::Body::empty(),
        };
        let request = builder.body(body).expect("a request");
        let response = app.oneshot(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("a body").to_bytes();
        let headers = parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()));
        Answer::new(parts.status.as_u16(), headers, body, head)
    }
}

mod on_actix {
    use super::*;
    use actix_web::dev::Service;
    use actix_web::http::StatusCode;
    use actix_web::{HttpResponse, test, web};
    use attractos_errors_actix::{ApiError, Json, SiteId, contract_app, resource};

    async fn stats(SiteId(site): SiteId) -> String {
        format!("stats of {site}")
    }

    async fn events(Json(_event): Json<serde_json::Value>) -> &'static str {
        "accepted"
    }

    async fn code(code: web::Path<String>) -> Result<HttpResponse, ApiError> {
        Err(ApiError(docs::example(
            code.parse().expect("a catalogue code"),
        )))
    }

    async fn teapot() -> HttpResponse {
        HttpResponse::build(StatusCode::IM_A_TEAPOT)
            .content_type("text/plain; charset=utf-8")
            .body(teapot_text())
    }

    async fn denied() -> Result<HttpResponse, ApiError> {
        Err(ApiError::site_not_found())
    }

    pub async fn send(request: Sent) -> Answer {
        let app = test::init_service(
            contract_app(contract())
                .service(resource(STATS).route(web::get().to(stats)))
                .service(resource("/denied").route(web::get().to(denied)))
                .service(resource("/panic").route(web::get().to(boom_text)))
                .service(resource("/events").route(web::post().to(events)))
                .service(resource("/teapot").route(web::get().to(teapot)))
                .service(resource("/codes/{code}").route(web::get().to(code))),
        )
        .await;
        let mut builder = test::TestRequest::default()
            .method(request.method.parse().expect("a method"))
            .uri(&request.uri)
            .insert_header(("x-request-id", REQUEST_ID));
        if let Some(len) = request.json_length {
            builder = builder
                .insert_header(("content-type", "application/json"))
                .insert_header(("content-length", len))
                .set_payload(vec![b' '; len]);
        }
        let response = match app.call(builder.to_request()).await {
            Ok(response) => response.into_parts().1.map_into_boxed_body(),
            // A panic's answer: the contract's, sent by actix-web's dispatcher.
            Err(err) => err.error_response(),
        };
        let (head, body) = response.into_parts();
        let body = actix_web::body::to_bytes(body).await.unwrap_or_default();
        let headers = head
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()));
        let status = head.status().as_u16();
        Answer::new(status, headers, body, request.method == "HEAD")
    }
}

/// The answer of both frameworks to `request`, asserted to be the same.
async fn same(request: impl Fn() -> Sent) -> Answer {
    let described = format!("{} {}", request().method, request().uri);
    let axum = on_axum::send(request()).await;
    let actix = on_actix::send(request()).await;
    assert_eq!(axum, actix, "{described}: axum, then actix-web");
    axum
}

#[actix_web::test]
async fn head_is_answered_by_the_get_route_with_its_length_and_no_body() {
    let answer = same(|| sent("HEAD", "/api/v1/sites/site_demo/stats")).await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty());
    let get_body = "stats of site_demo".len().to_string();
    assert_eq!(
        answer.header("content-length"),
        Some(&*get_body),
        "{answer:?}"
    );
}

#[actix_web::test]
async fn a_wrong_method_is_method_not_allowed_listing_get_and_head() {
    let answer = same(|| sent("DELETE", "/api/v1/sites/site_demo/stats")).await;
    assert_eq!(answer.code(), Some(ErrorCode::MethodNotAllowed));
    assert_eq!(answer.header("allow"), Some("GET,HEAD"), "{answer:?}");
}

#[actix_web::test]
async fn an_empty_site_id_is_missing_site_id_for_get_and_head() {
    let answer = same(|| sent("GET", "/api/v1/sites//stats")).await;
    assert_eq!(answer.code(), Some(ErrorCode::MissingSiteId));
    let head = same(|| sent("HEAD", "/api/v1/sites//stats")).await;
    assert_eq!(head.status, ErrorCode::MissingSiteId.status().as_u16());
}

/// The `- `name: value`` lines of `code`'s section in the committed error page, sorted.
fn documented_headers(code: ErrorCode) -> Vec<String> {
    let page = include_str!("../docs/error-codes.md");
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
async fn the_error_page_states_each_header_exactly_as_both_adapters_send_it() {
    for &code in ErrorCode::ALL {
        let answer = same(|| sent("GET", &format!("/codes/{}", code.as_str()))).await;
        let sent: Vec<String> = answer
            .headers
            .iter()
            .filter(|(name, _)| name != "x-request-id")
            .map(|(name, value)| format!("- `{name}: {value}`"))
            .collect();
        assert_eq!(sent, documented_headers(code), "{code}");
    }
}

/// One event's fields, (name, value) in the order recorded, its target first.
type EventFields = Vec<(String, String)>;

/// Every event's fields, by name, as a subscriber sees them.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<EventFields>>>);

struct Fields<'a>(&'a mut EventFields);

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

/// The descriptions log lines use as tracing's `message`, which prints without a label: fixed
/// texts, never a value. The error lines are the core's; tower-http's request tracing adds
/// the others on axum.
const DESCRIPTIONS: [&str; 6] = [
    "request rejected",
    "internal error answered with SERVER_ERROR",
    "another layer's answer outside the contract sent as SERVER_ERROR",
    "started processing request",
    "finished processing request",
    "end of stream",
];

/// Every error answer the service can give, each once.
fn error_requests() -> Vec<Sent> {
    vec![
        sent("GET", "/nowhere"),
        sent("DELETE", "/denied"),
        json_of(100, "/events"),
        sent("GET", "/panic"),
        sent("GET", "/denied"),
        sent("GET", "/teapot"),
        sent("GET", "/api/v1/sites//stats"),
    ]
}

/// The contract's error log events for [`error_requests`] on one framework.
async fn error_events<F: Future<Output = Answer>>(send: impl Fn(Sent) -> F) -> Vec<EventFields> {
    let events = Events::default();
    // While one subscriber exists, tracing-core caches a call site's interest from the thread
    // that hits it first (`has_just_one`): a test logging without a subscriber in a parallel
    // thread would silence the call site here. A second subscriber makes it ask every one.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(events.clone()));
    for request in error_requests() {
        send(request).await;
    }
    let events = events.0.lock().expect("the events lock").clone();
    for fields in &events {
        let message = fields.iter().find(|(name, _)| name == "message");
        let message = message.map(|(_, value)| value.as_str()).unwrap_or_default();
        assert!(
            DESCRIPTIONS.contains(&message),
            "a fixed description: {fields:?}"
        );
    }
    events
        .into_iter()
        .filter(|fields| fields[0].1.starts_with("attractos_errors"))
        .collect()
}

#[actix_web::test]
async fn every_error_log_line_labels_each_value_and_reads_the_same_on_both_frameworks() {
    let axum = error_events(on_axum::send).await;
    let actix = error_events(on_actix::send).await;
    assert_eq!(
        axum.len(),
        error_requests().len(),
        "one line each: {axum:#?}"
    );
    for fields in &axum {
        let has = |name: &str| fields.iter().any(|(n, _)| n == name);
        assert!(has("code"), "the code has its label: {fields:?}");
        if fields.iter().any(|(_, value)| value == "request rejected") {
            for name in ["status", "public_message", "cause"] {
                assert!(has(name), "{name} has its label: {fields:?}");
            }
        }
    }
    let public = axum
        .iter()
        .flatten()
        .find(|(name, _)| name == "public_message");
    assert!(
        public.is_some(),
        "public messages are under public_message: {axum:#?}"
    );
    assert_eq!(axum, actix, "the same lines: axum, then actix-web");
}
