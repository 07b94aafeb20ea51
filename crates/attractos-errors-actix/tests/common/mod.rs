//! Shared by the test binaries: a service using every part of the adapter (the same routes as
//! the axum adapter's tests), a way to send it one request, and the response snapshot format
//! both adapters share.
#![allow(dead_code)]

use std::fmt;

use actix_web::body::{MessageBody, to_bytes};
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test::TestRequest;
use actix_web::{App, HttpResponse, Responder, web};
use attractos_errors::{ApiError as CoreError, ErrorBody, ErrorCode, docs};
use attractos_errors_actix::{
    ApiError, BearerKey, Contract, DateRange, Json, Query, SiteId, contract_app,
};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The request id every test request carries, so snapshots are stable.
pub const REQUEST_ID: &str = "test-request-id";

/// The key the test service accepts.
pub const KEY: &str = "ak_test_1";

/// A finished response: status, headers and the whole body.
pub struct Sent {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Sent {
    /// The body as a contract error body; panics (failing the test) when it is not one.
    pub fn error_body(&self) -> ErrorBody {
        ErrorBody::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "{err}; status {}, body {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The contract code of the body.
    pub fn code(&self) -> ErrorCode {
        self.error_body()
            .code
            .known()
            .expect("a code of the catalogue")
    }

    /// The public message of the body.
    pub fn message(&self) -> String {
        self.error_body().error
    }

    /// A header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("a visible ASCII header"))
    }

    /// Asserts that this is a complete contract error with `code`: status, body keys, headers.
    pub fn assert_error(&self, code: ErrorCode) {
        assert_eq!(self.code(), code, "code of {self}");
        assert_eq!(
            self.status.as_u16(),
            code.status().as_u16(),
            "status of {self}"
        );
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&self.body).expect("a JSON object");
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let expected: &[&str] = if code.carries_retry_after() {
            &["code", "error", "retry_after"]
        } else {
            &["code", "error"]
        };
        assert_eq!(keys, expected, "keys of {self}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self}"
        );
        assert_eq!(self.header("cache-control"), Some("no-store"), "{self}");
        assert_eq!(
            self.header("x-content-type-options"),
            Some("nosniff"),
            "{self}"
        );
        assert!(
            self.header("x-request-id").is_some(),
            "x-request-id on {self}"
        );
    }
}

/// The shared snapshot format: `<status> <reason>`, every header but `content-length` and
/// `date` sorted by name as `name: value`, an empty line, the body as UTF-8.
impl fmt::Display for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} {}",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or("")
        )?;
        let mut headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "content-length" | "date"))
            .map(|(name, value)| {
                (
                    name.as_str(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        headers.sort_by(|a, b| a.0.cmp(b.0));
        for (name, value) in headers {
            writeln!(f, "{name}: {value}")?;
        }
        writeln!(f)?;
        f.write_str(&String::from_utf8_lossy(&self.body))
    }
}

/// A request builder with the stable request id.
pub fn request(method: &str, uri: &str) -> TestRequest {
    TestRequest::default()
        .method(method.parse().expect("a valid method"))
        .uri(uri)
        .insert_header(("x-request-id", REQUEST_ID))
}

/// A GET with the stable request id and no body.
pub fn get_request(uri: &str) -> TestRequest {
    request("GET", uri)
}

/// A GET with the test key.
pub fn authorized_get(uri: &str) -> TestRequest {
    request("GET", uri).insert_header(("authorization", format!("Bearer {KEY}")))
}

/// A POST of `body` as JSON (with its `Content-Length`).
pub fn post_json(uri: &str, body: impl Into<Bytes>) -> TestRequest {
    request("POST", uri)
        .insert_header(("content-type", "application/json"))
        .set_payload(body)
}

/// A request whose body arrives in `chunks` with no `Content-Length`, like a chunked upload.
pub fn chunked(request: TestRequest, chunks: Vec<Bytes>) -> actix_http::Request {
    let mut request = request.to_request();
    request.headers_mut().remove("content-length");
    let stream = futures_util::stream::iter(
        chunks
            .into_iter()
            .map(Ok::<_, actix_web::error::PayloadError>),
    );
    let stream: actix_http::BoxedPayloadStream = Box::pin(stream);
    request.replace_payload(actix_http::Payload::from(stream)).0
}

/// What [`send`] takes: a test request, or one already built (e.g. by [`chunked`]).
pub trait IntoRequest {
    /// The request to send.
    fn into_request(self) -> actix_http::Request;
}

impl IntoRequest for TestRequest {
    fn into_request(self) -> actix_http::Request {
        self.to_request()
    }
}

impl IntoRequest for actix_http::Request {
    fn into_request(self) -> actix_http::Request {
        self
    }
}

/// Sends one request through `app` and reads the whole response. A middleware `Err` (how a
/// panic or an inner middleware's error leaves the contract middleware) is what actix-web's
/// dispatcher would send: the error's `error_response()`.
pub async fn send<S, B>(app: &S, request: impl IntoRequest) -> Sent
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    match app.call(request.into_request()).await {
        Ok(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let body = to_bytes(response.into_body())
                .await
                .unwrap_or_else(|_| panic!("the response body reads"));
            Sent {
                status,
                headers,
                body,
            }
        }
        Err(err) => {
            let response = err.error_response();
            let status = response.status();
            let headers = response.headers().clone();
            let body = to_bytes(response.into_body())
                .await
                .unwrap_or_else(|_| panic!("the error body reads"));
            Sent {
                status,
                headers,
                body,
            }
        }
    }
}

/// Sends one request to a fresh test service with the default contract.
pub async fn send_one(request: impl IntoRequest) -> Sent {
    let app = actix_web::test::init_service(app()).await;
    send(&app, request).await
}

/// A domain error of the test service, converted with `From`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such site")]
    UnknownSite,
    #[error("store unavailable")]
    Unavailable(#[source] std::io::Error),
}

impl From<StoreError> for CoreError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::UnknownSite => CoreError::site_not_found(),
            StoreError::Unavailable(_) => CoreError::internal(err),
        }
    }
}

fn find_site(id: &str) -> Result<&'static str, StoreError> {
    match id {
        "site_demo" => Ok("demo.example"),
        "site_offline" => Err(StoreError::Unavailable(std::io::Error::other(
            "connection refused: db-password=hunter2",
        ))),
        _ => Err(StoreError::UnknownSite),
    }
}

fn check_key(BearerKey(key): &BearerKey) -> Result<(), ApiError> {
    if key == KEY {
        Ok(())
    } else {
        Err(CoreError::invalid_key().into())
    }
}

/// The success body of the stats route.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub site: String,
    pub host: String,
    pub days: i64,
}

async fn stats(
    key: BearerKey,
    SiteId(site): SiteId,
    DateRange(range): DateRange,
) -> Result<Json<Stats>, ApiError> {
    check_key(&key)?;
    let host = find_site(&site)?;
    Ok(Json(Stats {
        site,
        host: host.to_owned(),
        days: range.days(),
    }))
}

async fn site_without_param(SiteId(site): SiteId) -> String {
    site
}

/// The query of the `/api/v1/timeseries` route.
#[derive(Debug, Deserialize)]
pub struct Timeseries {
    pub granularity: String,
    pub limit: Option<u32>,
}

async fn timeseries(Query(query): Query<Timeseries>) -> Result<String, ApiError> {
    if query.granularity == "hour" {
        return Err(CoreError::plan_required().into());
    }
    Ok(format!(
        "{} x{}",
        query.granularity,
        query.limit.unwrap_or(10)
    ))
}

/// The body of the events route.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub count: u32,
}

async fn events(Json(event): Json<Event>) -> Json<Event> {
    Json(event)
}

async fn code(code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let code: ErrorCode = code
        .parse()
        .map_err(|_| CoreError::not_found().with_message("no such code"))?;
    Err(docs::example(code).into())
}

async fn boom() -> &'static str {
    panic!("the handler fell over")
}

/// A cause with a source, to see the whole chain in the log.
#[derive(Debug, thiserror::Error)]
#[error("loading the report failed")]
pub struct ReportError(#[source] pub std::io::Error);

async fn internal() -> Result<HttpResponse, ApiError> {
    Err(CoreError::internal(ReportError(std::io::Error::other(
        "disk quota exceeded: secret-path=/var/private",
    )))
    .into())
}

/// A resource answering GET (and HEAD, as axum's `get` does) with `handler`.
pub fn get<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
}

/// Every route the tests use, the same as the axum adapter's tests.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(get("/api/v1/sites/{siteId:[^/]*}/stats", stats))
        .service(get("/api/v1/no-site", site_without_param))
        .service(get("/api/v1/timeseries", timeseries))
        .service(web::resource("/api/v1/events").route(web::post().to(events)))
        .service(get("/codes/{code}", code))
        .service(get("/panic", boom))
        .service(get("/internal", internal));
}

/// The test service's app with `contract`.
pub fn app_with(
    contract: Contract,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    contract_app(contract).configure(routes)
}

/// The test service's app with the default contract.
pub fn app() -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    app_with(Contract::default())
}
