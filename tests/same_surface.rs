//! One small service set up the way each adapter's docs show it (axum: `get(handler)` on
//! `{siteId}`, then `with_contract`; actix-web: `resource("…/{siteId}/…")` with plain
//! `web::get()` on `contract_app`) behaves the same on both frameworks:
//!
//! - `HEAD` (over TCP, each framework's own HTTP/1 server), a wrong method and an empty
//!   `siteId` get byte-identical answers (status, every header, body; on `HEAD` the length of
//!   the body and no body);
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
    /// `Content-Length`, which axum sets in-process and actix-web only on the wire, nor `Date`,
    /// which the servers write on the wire.
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Answer {
    fn new<'a>(
        status: u16,
        headers: impl Iterator<Item = (&'a str, &'a [u8])>,
        body: Bytes,
    ) -> Self {
        let mut headers: Vec<(String, String)> = headers
            .filter(|(name, _)| !matches!(*name, "content-length" | "date"))
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

    pub fn app() -> attractos_errors_axum::ContractRouter {
        axum::Router::new()
            .route(STATS, get(stats))
            .route("/denied", get(|| async { ApiError::site_not_found() }))
            .route("/panic", get(boom_text))
            .route("/events", post(events))
            .route(
                "/teapot",
                get(|| async { (StatusCode::IM_A_TEAPOT, teapot_text()) }),
            )
            .route("/codes/{code}", get(code))
            .with_contract(contract())
    }

    pub async fn send(request: Sent) -> Answer {
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
        let response = app().oneshot(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("a body").to_bytes();
        let headers = parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()));
        Answer::new(parts.status.as_u16(), headers, body)
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

    pub fn routes(config: &mut web::ServiceConfig) {
        config
            .service(resource(STATS).route(web::get().to(stats)))
            .service(resource("/denied").route(web::get().to(denied)))
            .service(resource("/panic").route(web::get().to(boom_text)))
            .service(resource("/events").route(web::post().to(events)))
            .service(resource("/teapot").route(web::get().to(teapot)))
            .service(resource("/codes/{code}").route(web::get().to(code)));
    }

    pub async fn send(request: Sent) -> Answer {
        let app = test::init_service(contract_app(contract()).configure(routes)).await;
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
        Answer::new(status, headers, body)
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

/// The raw answer of a server on `addr` to a `HEAD` of `uri` over HTTP/1.1: its head's lines
/// (the status line first, then the headers, names lowercased, sorted, without `date`) and every
/// byte after the head (none, for a `HEAD`).
async fn head_over_tcp(addr: std::net::SocketAddr, uri: &str) -> (Vec<String>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let request = format!(
        "HEAD {uri} HTTP/1.1\r\nHost: localhost\r\nx-request-id: {REQUEST_ID}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), read).await;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8(raw[..end].to_vec()).expect("a text head");
    let mut lines = head.split("\r\n");
    let status = lines.next().expect("a status line").to_owned();
    let mut headers: Vec<String> = lines
        .map(|line| match line.split_once(':') {
            Some((name, value)) => format!("{}:{value}", name.to_ascii_lowercase()),
            None => line.to_owned(),
        })
        .filter(|line| !line.starts_with("date:"))
        .collect();
    headers.sort();
    headers.insert(0, status);
    (headers, raw[end + 4..].to_vec())
}

/// `HEAD` of `uri` to each framework's own HTTP/1 server (hyper, actix-http) on a loopback
/// port, asserted to be the same bytes but the `Date`.
async fn same_head_over_tcp(uri: &str) -> (Vec<String>, Vec<u8>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let axum_addr = listener.local_addr().expect("an address");
    let served = attractos_errors_axum::serve(listener, on_axum::app(), &contract());
    let axum_server = tokio::spawn(std::future::IntoFuture::into_future(served));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let actix_addr = listener.local_addr().expect("an address");
    let actix_server = actix_web::HttpServer::new(|| {
        attractos_errors_actix::contract_app(contract()).configure(on_actix::routes)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listens")
    .run();
    let actix_handle = actix_server.handle();
    actix_web::rt::spawn(actix_server);

    let axum = head_over_tcp(axum_addr, uri).await;
    let actix = head_over_tcp(actix_addr, uri).await;
    axum_server.abort();
    actix_handle.stop(false).await;
    assert_eq!(axum, actix, "HEAD {uri}: axum, then actix-web");
    axum
}

#[actix_web::test]
async fn head_is_answered_by_the_get_route_with_its_length_and_no_body() {
    let (head, after) = same_head_over_tcp("/api/v1/sites/site_demo/stats").await;
    assert_eq!(head[0], "HTTP/1.1 200 OK");
    let length = format!("content-length: {}", "stats of site_demo".len());
    assert!(head.contains(&length), "{head:?}");
    assert!(after.is_empty(), "no body after the head: {after:?}");
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
    let (head, after) = same_head_over_tcp("/api/v1/sites//stats").await;
    assert_eq!(head[0], "HTTP/1.1 400 Bad Request");
    assert!(after.is_empty(), "no body after the head: {after:?}");
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
