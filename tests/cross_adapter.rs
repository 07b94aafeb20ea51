//! The same requests through the axum adapter and the actix-web adapter, each on the
//! testkit's service (every extractor, a handler per catalogue code, a custom message, an
//! internal cause, panicking routes), must get the same answer: status, contract headers
//! (`content-type`, `cache-control`, `x-content-type-options`, `www-authenticate`,
//! `retry-after`, `allow`, `x-request-id`, `link`) and body bytes. A fixed corpus covers every
//! code, every extractor failure, 404, 405, 413 and a panic; a few hundred generated bad
//! requests cover the rest. (What each answer must be is the conformance suite's,
//! `attractos_testkit::checks`, run by each adapter's own tests.)

use std::fmt;

use attractos_errors::ErrorBody;
use attractos_errors::ErrorCode;
use attractos_errors::rules::DEFAULT_BODY_LIMIT;
use attractos_testkit::strategies::{encode, header_byte, segment};
use attractos_testkit::{Contract, Framework, KEY, Payload, Req, Response};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

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
    fn new(response: &Response) -> Self {
        Answer {
            status: response.status,
            headers: COMPARED
                .iter()
                .map(|name| {
                    (
                        *name,
                        response.header_all(name).map(<[u8]>::to_vec).collect(),
                    )
                })
                .collect(),
            body: response.body.to_vec(),
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

/// Sends `req` to both services.
async fn on_both(services: &[attractos_testkit::TestService; 2], req: &Req) -> (Answer, Answer) {
    let from_axum = Answer::new(&services[0].send(req).await);
    let from_actix = Answer::new(&services[1].send(req).await);
    (from_axum, from_actix)
}

async fn start_both() -> [attractos_testkit::TestService; 2] {
    [
        Framework::Axum.start(Contract::default()).await,
        Framework::Actix.start(Contract::default()).await,
    ]
}

/// Sends every request to both services and asserts equal, contract-clean answers.
fn assert_alike(corpus: Vec<(String, Req)>) {
    Framework::Actix.block_on(async move {
        let services = start_both().await;
        for (what, req) in corpus {
            let (from_axum, from_actix) = on_both(&services, &req).await;
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
        .header("content-type", "application/json")
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
        ("panic with a String", Req::get("/panic/formatted")),
        ("panic with another payload", Req::get("/panic/any")),
        ("a 4xx with a cause", Req::get("/cause")),
        ("another layer's 418", Req::get("/teapot")),
        ("another layer's 429", Req::get("/throttled")),
        ("a bare 401", Req::get("/unauthorized")),
        ("a plain success", Req::get("/plain")),
        ("after a panic", Req::get(STATS).key()),
        ("success", Req::get(STATS).key()),
    ]));
    assert_alike(corpus);
}

#[test]
fn every_bearer_key_failure() {
    let with = |value: &[u8]| Req::get(STATS).header("authorization", value);
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
                .header("content-type", "application/json")
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

fn authorization() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        vec(header_byte(), 0..40).prop_map(Some),
        vec(header_byte(), 0..40).prop_map(|key| Some([b"Bearer ".as_slice(), &key].concat())),
        Just(Some(format!("Bearer {KEY}").into_bytes())),
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
            let req = if typed {
                req.header("content-type", "application/json")
            } else {
                req
            };
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
    let services = system.block_on(start_both());
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
        let (from_axum, from_actix) = system.block_on(on_both(&services, &req));
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
