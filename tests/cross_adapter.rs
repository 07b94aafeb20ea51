//! The same requests through the axum adapter and the actix-web adapter, each on the same small
//! service (every extractor, a handler per catalogue code, a custom message, an internal cause,
//! a panicking route), must get the same answer: status, contract headers (`content-type`,
//! `cache-control`, `x-content-type-options`, `www-authenticate`, `retry-after`, `allow`,
//! `x-request-id`) and body bytes. A fixed corpus covers every code, every extractor failure,
//! 404, 405, 413 and a panic; a few hundred generated bad requests cover the rest.

use std::fmt;

use attractos_errors::rules::DEFAULT_BODY_LIMIT;
use attractos_errors::{ApiError as CoreError, ErrorBody, ErrorCode, docs};
use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// The service's logic, written once; each adapter only wraps it in its extractors.
// ---------------------------------------------------------------------------------------------

const KEY: &str = "ak_test_1";

#[derive(Debug, thiserror::Error)]
enum StoreError {
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Granularity {
    Hour,
    #[default]
    Day,
}

#[derive(Debug, Deserialize)]
struct StatsOptions {
    #[serde(default)]
    granularity: Granularity,
}

#[derive(Debug, Deserialize)]
struct Timeseries {
    granularity: String,
    limit: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Stats {
    site: String,
    host: String,
    days: i64,
    points: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Event {
    name: String,
    count: u32,
}

fn stats(
    key: &str,
    site: &str,
    range: attractos_errors::rules::DateRange,
    options: StatsOptions,
) -> Result<Stats, CoreError> {
    if key != KEY {
        return Err(CoreError::invalid_key());
    }
    let host = match site {
        "site_demo" => "demo.example",
        "site_offline" => {
            return Err(StoreError::Unavailable(std::io::Error::other("db down")).into());
        }
        _ => return Err(StoreError::UnknownSite.into()),
    };
    if options.granularity == Granularity::Hour {
        return Err(CoreError::plan_required());
    }
    Ok(Stats {
        site: site.to_owned(),
        host: host.to_owned(),
        days: range.days(),
        points: range.days(),
    })
}

fn timeseries(query: Timeseries) -> Result<String, CoreError> {
    if query.granularity == "hour" {
        return Err(CoreError::plan_required());
    }
    Ok(format!(
        "{} x{}",
        query.granularity,
        query.limit.unwrap_or(10)
    ))
}

fn events(key: &str, event: Event) -> Result<Event, CoreError> {
    if key != KEY {
        return Err(CoreError::invalid_key());
    }
    Ok(event)
}

fn code(name: &str) -> CoreError {
    match name.parse::<ErrorCode>() {
        Ok(code) => docs::example(code),
        Err(_) => CoreError::not_found().with_message("no such code"),
    }
}

fn custom() -> CoreError {
    CoreError::invalid_date_range().with_message("start: expected YYYY-MM-DD, got '2024-13-01'")
}

fn internal() -> CoreError {
    CoreError::internal(std::io::Error::other(
        "disk quota exceeded: secret-path=/var/private",
    ))
}

// ---------------------------------------------------------------------------------------------
// The service on axum.
// ---------------------------------------------------------------------------------------------

mod on_axum {
    use attractos_errors_axum::{
        ApiError, BearerKey, Contract, ContractExt, DateRange, Json, Query, SiteId,
    };
    use axum::Router;
    use axum::extract::Path;
    use axum::routing::{get, post};

    use super::{Event, Stats, StatsOptions, Timeseries};

    async fn stats(
        key: BearerKey,
        SiteId(site): SiteId,
        DateRange(range): DateRange,
        Query(options): Query<StatsOptions>,
    ) -> Result<Json<Stats>, ApiError> {
        Ok(Json(super::stats(&key.0, &site, range, options)?))
    }

    async fn no_site(SiteId(site): SiteId) -> String {
        site
    }

    async fn timeseries(Query(query): Query<Timeseries>) -> Result<String, ApiError> {
        Ok(super::timeseries(query)?)
    }

    async fn events(key: BearerKey, Json(event): Json<Event>) -> Result<Json<Event>, ApiError> {
        Ok(Json(super::events(&key.0, event)?))
    }

    async fn code(Path(name): Path<String>) -> ApiError {
        super::code(&name).into()
    }

    async fn custom() -> ApiError {
        super::custom().into()
    }

    async fn internal() -> ApiError {
        super::internal().into()
    }

    async fn boom() -> &'static str {
        panic!("the handler fell over")
    }

    pub fn app() -> Router {
        Router::new()
            .route("/api/v1/sites/{siteId}/stats", get(stats))
            .route("/api/v1/no-site", get(no_site))
            .route("/api/v1/timeseries", get(timeseries))
            .route("/api/v1/events", post(events))
            .route("/codes/{code}", get(code))
            .route("/custom", get(custom))
            .route("/internal", get(internal))
            .route("/panic", get(boom))
            .with_contract(Contract::default())
    }
}

// ---------------------------------------------------------------------------------------------
// The same service on actix-web: one resource per path, HEAD next to GET (axum's `get` answers
// HEAD too), `{siteId:[^/]*}` (axum's router matches an empty segment).
// ---------------------------------------------------------------------------------------------

mod on_actix {
    use actix_web::body::MessageBody;
    use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
    use actix_web::{App, HttpResponse, Responder, web};
    use attractos_errors_actix::{
        ApiError, BearerKey, Contract, DateRange, Json, Query, SiteId, contract_app,
    };

    use super::{Event, Stats, StatsOptions, Timeseries};

    async fn stats(
        key: BearerKey,
        SiteId(site): SiteId,
        DateRange(range): DateRange,
        Query(options): Query<StatsOptions>,
    ) -> Result<Json<Stats>, ApiError> {
        Ok(Json(super::stats(&key.0, &site, range, options)?))
    }

    async fn no_site(SiteId(site): SiteId) -> String {
        site
    }

    async fn timeseries(Query(query): Query<Timeseries>) -> Result<String, ApiError> {
        Ok(super::timeseries(query)?)
    }

    async fn events(key: BearerKey, Json(event): Json<Event>) -> Result<Json<Event>, ApiError> {
        Ok(Json(super::events(&key.0, event)?))
    }

    async fn code(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
        Err(super::code(&name).into())
    }

    async fn custom() -> Result<HttpResponse, ApiError> {
        Err(super::custom().into())
    }

    async fn internal() -> Result<HttpResponse, ApiError> {
        Err(super::internal().into())
    }

    async fn boom() -> &'static str {
        panic!("the handler fell over")
    }

    fn get<F, Args>(path: &str, handler: F) -> actix_web::Resource
    where
        F: actix_web::Handler<Args> + Clone,
        Args: actix_web::FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        web::resource(path)
            .route(web::get().to(handler.clone()))
            .route(web::head().to(handler))
    }

    pub fn app() -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        contract_app(Contract::default())
            .service(get("/api/v1/sites/{siteId:[^/]*}/stats", stats))
            .service(get("/api/v1/no-site", no_site))
            .service(get("/api/v1/timeseries", timeseries))
            .service(web::resource("/api/v1/events").route(web::post().to(events)))
            .service(get("/codes/{code}", code))
            .service(get("/custom", custom))
            .service(get("/internal", internal))
            .service(get("/panic", boom))
    }
}

// ---------------------------------------------------------------------------------------------
// One request, described once, sent to both.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Payload {
    None,
    /// The whole body, with its `Content-Length`.
    Sized(Vec<u8>),
    /// The body in chunks, without a `Content-Length`.
    Chunked(Vec<Vec<u8>>),
    /// Some bytes, then the connection breaks.
    Broken(Vec<u8>),
}

#[derive(Debug, Clone)]
struct Req {
    method: &'static str,
    uri: String,
    headers: Vec<(&'static str, Vec<u8>)>,
    payload: Payload,
}

const REQUEST_ID: &str = "cross-adapter-id";

impl Req {
    fn new(method: &'static str, uri: impl Into<String>) -> Self {
        Req {
            method,
            uri: uri.into(),
            headers: vec![("x-request-id", REQUEST_ID.as_bytes().to_vec())],
            payload: Payload::None,
        }
    }

    fn get(uri: impl Into<String>) -> Self {
        Req::new("GET", uri)
    }

    fn header(mut self, name: &'static str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn key(self) -> Self {
        self.header("authorization", format!("Bearer {KEY}"))
    }

    fn json(self) -> Self {
        self.header("content-type", "application/json")
    }

    fn body(mut self, payload: Payload) -> Self {
        self.payload = payload;
        self
    }

    fn to_axum(&self) -> http::Request<axum::body::Body> {
        let mut builder = http::Request::builder()
            .method(self.method)
            .uri(self.uri.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(*name, value.as_slice());
        }
        let body = match &self.payload {
            Payload::None => axum::body::Body::empty(),
            Payload::Sized(bytes) => {
                builder = builder.header("content-length", bytes.len());
                axum::body::Body::from(bytes.clone())
            }
            Payload::Chunked(chunks) => {
                let chunks: Vec<Result<Bytes, std::io::Error>> =
                    chunks.iter().cloned().map(Bytes::from).map(Ok).collect();
                axum::body::Body::from_stream(futures_util::stream::iter(chunks))
            }
            Payload::Broken(bytes) => {
                let chunks = vec![
                    Ok(Bytes::from(bytes.clone())),
                    Err(std::io::Error::other("connection reset by peer")),
                ];
                axum::body::Body::from_stream(futures_util::stream::iter(chunks))
            }
        };
        builder.body(body).expect("a valid request")
    }

    fn to_actix(&self) -> actix_http::Request {
        let mut request = actix_web::test::TestRequest::default()
            .method(self.method.parse().expect("a method"))
            .uri(&self.uri);
        for (name, value) in &self.headers {
            request = request.append_header((
                *name,
                actix_web::http::header::HeaderValue::from_bytes(value).expect("a header value"),
            ));
        }
        let stream: Option<Vec<Result<Bytes, actix_web::error::PayloadError>>> = match &self.payload
        {
            Payload::None => None,
            Payload::Sized(bytes) => {
                request = request.set_payload(bytes.clone());
                None
            }
            Payload::Chunked(chunks) => {
                Some(chunks.iter().cloned().map(Bytes::from).map(Ok).collect())
            }
            Payload::Broken(bytes) => Some(vec![
                Ok(Bytes::from(bytes.clone())),
                Err(actix_web::error::PayloadError::Incomplete(Some(
                    std::io::Error::other("connection reset by peer"),
                ))),
            ]),
        };
        let request = request.to_request();
        match stream {
            None => request,
            Some(items) => {
                let stream: actix_http::BoxedPayloadStream =
                    Box::pin(futures_util::stream::iter(items));
                request.replace_payload(actix_http::Payload::from(stream)).0
            }
        }
    }
}

/// What is compared: the status, the contract headers, the body bytes.
#[derive(PartialEq, Eq)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, Vec<Vec<u8>>)>,
    body: Vec<u8>,
}

const COMPARED: [&str; 8] = [
    "content-type",
    "cache-control",
    "x-content-type-options",
    "www-authenticate",
    "retry-after",
    "allow",
    "x-request-id",
    "link",
];

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.status)?;
        for (name, values) in &self.headers {
            for value in values {
                writeln!(f, "{name}: {}", String::from_utf8_lossy(value))?;
            }
        }
        write!(f, "{}", String::from_utf8_lossy(&self.body))
    }
}

impl Answer {
    fn new<'a>(
        status: u16,
        header: impl Fn(&str) -> Vec<&'a [u8]>,
        body: impl Into<Vec<u8>>,
    ) -> Self {
        Answer {
            status,
            headers: COMPARED
                .iter()
                .map(|name| {
                    (
                        *name,
                        header(name).into_iter().map(<[u8]>::to_vec).collect(),
                    )
                })
                .collect(),
            body: body.into(),
        }
    }

    /// An error answer must be a complete contract error; a success is whatever the route says.
    fn check_contract(&self, what: &str) {
        if self.status < 400 {
            return;
        }
        let body = ErrorBody::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("{what}: {err}: {self:?}"));
        let code = body
            .code
            .known()
            .unwrap_or_else(|| panic!("{what}: {self:?}"));
        assert_eq!(code.status().as_u16(), self.status, "{what}: {self:?}");
    }
}

async fn on_axum(app: &axum::Router, req: &Req) -> Answer {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let response = app
        .clone()
        .oneshot(req.to_axum())
        .await
        .expect("the router is infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a body").to_bytes();
    Answer::new(
        parts.status.as_u16(),
        |name| {
            parts
                .headers
                .get_all(name)
                .iter()
                .map(|v| v.as_bytes())
                .collect()
        },
        body.to_vec(),
    )
}

async fn on_actix<S, B>(app: &S, req: &Req) -> Answer
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody + 'static,
{
    let response = match app.call(req.to_actix()).await {
        Ok(response) => response.into_parts().1.map_into_boxed_body(),
        // What actix-web's dispatcher sends for a middleware error (a caught panic).
        Err(err) => err.error_response(),
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_else(|_| panic!("a body"));
    Answer::new(
        status,
        |name| headers.get_all(name).map(|v| v.as_bytes()).collect(),
        body.to_vec(),
    )
}

/// Sends every request to both services and asserts equal, contract-clean answers.
fn assert_alike(corpus: Vec<(String, Req)>) {
    actix_web::rt::System::new().block_on(async move {
        let axum_app = on_axum::app();
        let actix_app = actix_web::test::init_service(on_actix::app()).await;
        for (what, req) in corpus {
            let from_axum = on_axum(&axum_app, &req).await;
            let from_actix = on_actix(&actix_app, &req).await;
            assert_eq!(from_axum, from_actix, "{what}: {req:?}");
            from_axum.check_contract(&what);
        }
    });
}

fn named(items: impl IntoIterator<Item = (impl Into<String>, Req)>) -> Vec<(String, Req)> {
    items
        .into_iter()
        .map(|(name, req)| (name.into(), req))
        .collect()
}

const STATS: &str = "/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-31";

fn stats_with_query(query: &str) -> Req {
    Req::get(format!("/api/v1/sites/site_demo/stats?{query}")).key()
}

fn stats_for_site(site: &str) -> Req {
    Req::get(format!(
        "/api/v1/sites/{site}/stats?start=2024-01-01&end=2024-01-02"
    ))
    .key()
}

fn post_event(payload: Payload) -> Req {
    Req::new("POST", "/api/v1/events")
        .key()
        .json()
        .body(payload)
}

// ---------------------------------------------------------------------------------------------
// The corpus.
// ---------------------------------------------------------------------------------------------

#[test]
fn every_code_custom_messages_internal_causes_and_panics() {
    let mut corpus = named(
        ErrorCode::ALL
            .iter()
            .map(|code| (format!("code {code}"), Req::get(format!("/codes/{code}")))),
    );
    corpus.extend(named([
        ("unknown code", Req::get("/codes/NOPE")),
        ("custom message", Req::get("/custom")),
        ("internal cause", Req::get("/internal")),
        ("domain internal", stats_for_site("site_offline")),
        ("panic", Req::get("/panic")),
        ("after a panic", Req::get(STATS).key()),
        ("success", Req::get(STATS).key()),
    ]));
    assert_alike(corpus);
}

#[test]
fn every_bearer_key_failure() {
    let with = |value: &[u8]| Req::get(STATS).header("authorization", value.to_vec());
    assert_alike(named([
        ("no header", Req::get(STATS)),
        ("basic", with(b"Basic dXNlcjpwYXNz")),
        ("scheme only", with(b"Bearer")),
        ("scheme and space", with(b"Bearer ")),
        ("empty", with(b"")),
        ("lowercase scheme", with(format!("bearer {KEY}").as_bytes())),
        ("padded", with(format!("BEARER  {KEY} ").as_bytes())),
        ("obs-text", with(b"Bearer ak_\xe9t\xe9")),
        ("tab", with(b"Bearer ak\tkey")),
        (
            "overlong",
            with(format!("Bearer {}", "k".repeat(600)).as_bytes()),
        ),
        ("unknown key", with(b"Bearer ak_someone_else")),
        ("two headers", Req::get(STATS).key().key()),
    ]));
}

#[test]
fn every_site_id_failure() {
    assert_alike(named([
        ("decoded and trimmed", stats_for_site("%20site_demo%20")),
        ("blank", stats_for_site("%20")),
        ("tab", stats_for_site("%09")),
        ("empty segment", stats_for_site("")),
        ("not UTF-8", stats_for_site("site%FF")),
        ("encoded slash", stats_for_site("a%2Fb")),
        ("unknown", stats_for_site("site_other")),
        ("route without the parameter", Req::get("/api/v1/no-site")),
    ]));
}

#[test]
fn every_date_range_and_query_failure() {
    let mut corpus = named(
        [
            "start=2024-1-15&end=2024-01-31",
            "start=2024-01-01&end=yesterday",
            "start=2024-02-30&end=2024-03-01",
            "start=2024-13-01&end=2024-12-31",
            "end=2024-01-31",
            "start=2024-01-01",
            "",
            "start=2024-02-01&end=2024-01-31",
            "start=2024-01-01&start=2024-01-02&end=2024-01-31",
            "start=2024%2D01%2D01&end=2024-01-03",
            "start=2024-01-01&end=2024-01-31&granularity=minute",
            "start=2024-01-01&end=2024-01-31&granularity=hour",
            "start=2024-01-01&end=2024-01-31&granularity=day",
        ]
        .map(|query| (format!("stats?{query}"), stats_with_query(query))),
    );
    corpus.push((
        "stats without a query".to_owned(),
        Req::get("/api/v1/sites/site_demo/stats").key(),
    ));
    corpus.extend(
        [
            "granularity=day&limit=5",
            "limit=5",
            "granularity=day&limit=-1",
            "granularity=hour",
            "",
        ]
        .map(|query| {
            (
                format!("timeseries?{query}"),
                Req::get(format!("/api/v1/timeseries?{query}")),
            )
        }),
    );
    assert_alike(corpus);
}

#[test]
fn every_json_body_failure() {
    let sized = |body: &[u8]| Payload::Sized(body.to_vec());
    let typed = |content_type: &str| {
        Req::new("POST", "/api/v1/events")
            .key()
            .header("content-type", content_type)
            .body(sized(br#"{"name":"a","count":1}"#))
    };
    assert_alike(named([
        (
            "valid",
            post_event(sized(br#"{"name":"pageview","count":3}"#)),
        ),
        (
            "valid in chunks",
            post_event(Payload::Chunked(vec![
                br#"{"name":"#.to_vec(),
                br#""pageview","count":3}"#.to_vec(),
            ])),
        ),
        ("charset", typed("application/json; charset=utf-8")),
        ("suffix", typed("application/vnd.attractos+json")),
        ("text/plain", typed("text/plain")),
        (
            "no content type",
            Req::new("POST", "/api/v1/events")
                .key()
                .body(sized(br#"{"name":"a","count":1}"#)),
        ),
        (
            "syntax",
            post_event(sized(b"{\n  \"name\": \"pageview\",\n  \"count\": 3,\n}")),
        ),
        ("truncated", post_event(sized(br#"{"name":"pageview""#))),
        ("wrong type", post_event(sized(br#"{"name":1,"count":1}"#))),
        ("missing field", post_event(sized(br#"{"name":"a"}"#))),
        (
            "negative count",
            post_event(sized(br#"{"name":"a","count":-1}"#)),
        ),
        (
            "not UTF-8",
            post_event(sized(b"{\"name\":\"caf\xe9\",\"count\":1}")),
        ),
        ("empty", post_event(sized(b""))),
        ("no body", post_event(Payload::None)),
        ("whitespace", post_event(sized(b"  \n"))),
        (
            "cut short",
            post_event(Payload::Broken(br#"{"name":"#.to_vec())),
        ),
        (
            "unknown key before the body",
            Req::new("POST", "/api/v1/events")
                .header("authorization", "Bearer nope")
                .json()
                .body(sized(b"{")),
        ),
    ]));
}

#[test]
fn routing_and_body_limits() {
    let over = vec![b' '; DEFAULT_BODY_LIMIT + 1];
    let mut at_limit = br#"{"name":"a","count":1}"#.to_vec();
    at_limit.resize(DEFAULT_BODY_LIMIT, b' ');
    let chunks_over: Vec<Vec<u8>> = over.chunks(4096).map(<[u8]>::to_vec).collect();
    let mut corpus = named(
        ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].map(|method| {
            (
                format!("{method} unknown path"),
                Req::new(method, "/api/v2/nothing"),
            )
        }),
    );
    corpus.extend(named([
        ("root", Req::get("/")),
        ("trailing slash", Req::get("/api/v1/no-site/")),
        ("extra segment", Req::get("/api/v1/events/extra")),
        ("GET on a POST route", Req::get("/api/v1/events")),
        ("PUT on a POST route", Req::new("PUT", "/api/v1/events")),
        ("DELETE on a GET route", Req::new("DELETE", STATS)),
        (
            "POST on a GET route",
            Req::new("POST", "/api/v1/timeseries"),
        ),
        ("OPTIONS on a GET route", Req::new("OPTIONS", "/panic")),
        ("413 by length", post_event(Payload::Sized(over.clone()))),
        (
            "413 on an unknown path",
            Req::new("POST", "/nowhere").body(Payload::Sized(over.clone())),
        ),
        (
            "413 on a GET route",
            Req::get(STATS).key().body(Payload::Sized(over)),
        ),
        (
            "413 while reading",
            post_event(Payload::Chunked(chunks_over)),
        ),
        ("exactly at the limit", post_event(Payload::Sized(at_limit))),
    ]));
    assert_alike(corpus);
}

// ---------------------------------------------------------------------------------------------
// Generated bad requests.
// ---------------------------------------------------------------------------------------------

fn header_byte() -> impl Strategy<Value = u8> {
    prop_oneof![Just(b'\t'), 0x20_u8..=0x7e, 0x80_u8..=0xff]
}

fn authorization() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        vec(header_byte(), 0..40).prop_map(Some),
        vec(header_byte(), 0..40).prop_map(|key| Some([b"Bearer ".as_slice(), &key].concat())),
        Just(Some(format!("Bearer {KEY}").into_bytes())),
    ]
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| encode(&s)),
        "[A-Za-z0-9%._~!$&'()*+,;=:@-]{0,20}",
        Just("site_demo".to_owned()),
        vec(any::<u8>(), 0..6).prop_map(|bytes| {
            bytes
                .iter()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        }),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let day = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
    prop_oneof![
        "[A-Za-z0-9%&=+._~!$'()*,;:@/?-]{0,40}",
        (day, day).prop_map(|(start, end)| format!("start={start}&end={end}")),
        (day, "(hour|day|minute|)")
            .prop_map(|(start, g)| { format!("start={start}&end=2024-12-31&granularity={g}") }),
        any::<String>().prop_map(|s| format!("start={}&end=2024-12-31", encode(&s))),
        "(granularity=[a-z]{0,6})?(&limit=-?[0-9]{0,12})?",
    ]
}

fn body() -> impl Strategy<Value = Payload> {
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..120),
        r#"\{"name":"[a-z]{0,8}","count":-?[0-9]{1,4}\}"#.prop_map(String::into_bytes),
        r#"[\{\}\[\]":,a-z0-9 ]{0,40}"#.prop_map(String::into_bytes),
    ];
    (bytes, 0_u8..3).prop_map(|(bytes, how)| match how {
        0 => Payload::Sized(bytes),
        1 => Payload::Chunked(bytes.chunks(7).map(<[u8]>::to_vec).collect()),
        _ => Payload::None,
    })
}

fn bad_request() -> impl Strategy<Value = Req> {
    let with_auth = |req: Req, auth: Option<Vec<u8>>| match auth {
        Some(value) => req.header("authorization", value),
        None => req,
    };
    prop_oneof![
        (segment(), query(), authorization()).prop_map(move |(site, query, auth)| {
            with_auth(
                Req::get(format!("/api/v1/sites/{site}/stats?{query}")),
                auth,
            )
        }),
        query().prop_map(|query| Req::get(format!("/api/v1/timeseries?{query}"))),
        (body(), any::<bool>(), authorization()).prop_map(move |(payload, typed, auth)| {
            let req = Req::new("POST", "/api/v1/events").body(payload);
            let req = if typed { req.json() } else { req };
            with_auth(req, auth)
        }),
        (
            prop_oneof![
                Just("GET"),
                Just("POST"),
                Just("PUT"),
                Just("DELETE"),
                Just("PATCH")
            ],
            prop_oneof![
                Just("/api/v1/events".to_owned()),
                Just("/api/v1/timeseries".to_owned()),
                Just("/api/v1/no-site".to_owned()),
                "/[a-z]{1,8}(/[a-z0-9]{1,8}){0,3}",
            ],
        )
            .prop_map(|(method, path)| Req::new(method, path)),
    ]
}

#[test]
fn generated_bad_requests_answer_alike() {
    let system = actix_web::rt::System::new();
    let actix_app = system.block_on(actix_web::test::init_service(on_actix::app()));
    let axum_app = on_axum::app();
    let mut runner = TestRunner::new(Config {
        cases: 320,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&bad_request(), |req| {
        prop_assume!(
            req.uri.parse::<http::Uri>().is_ok() && req.uri.parse::<actix_web::http::Uri>().is_ok(),
            "not a URI: {}",
            req.uri
        );
        let (from_axum, from_actix) = system.block_on(async {
            (
                on_axum(&axum_app, &req).await,
                on_actix(&actix_app, &req).await,
            )
        });
        prop_assert_eq!(&from_axum, &from_actix, "{:?}", req);
        if from_axum.status >= 400 {
            let body = ErrorBody::from_slice(&from_axum.body);
            prop_assert!(body.is_ok(), "not a contract body: {:?}", from_axum);
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
