//! The contract cases as data: a request template, the fixtures it needs, and what the
//! answer must be.
//!
//! ```
//! use attractos_contract::case::{self, Expect};
//! use attractos_contract::fixtures::Fixtures;
//! use attractos_errors::ErrorCode;
//!
//! let cases = case::fixed();
//! let missing_key = cases.iter().find(|c| c.name == "missing-key").unwrap();
//! assert_eq!(missing_key.expect, Expect::Error(ErrorCode::MissingKey));
//!
//! let request = missing_key.request.build(&Fixtures::reference(), 64 * 1024).unwrap();
//! assert_eq!(request.target, "/api/v1/sites");
//! assert!(request.headers.iter().all(|(name, _)| name != "authorization"));
//! ```

use std::fmt;

use attractos_errors::ErrorCode;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};

use crate::fixtures::{Fixture, Fixtures, KeyRef, SiteRef};

/// What a case's answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expect {
    /// A contract error with this code (and so its status).
    Error(ErrorCode),
    /// A success with this status.
    Status(u16),
    /// Anything, as long as it keeps the contract (generated requests).
    Any,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Error(code) => write!(f, "{} {code}", code.status().as_u16()),
            Expect::Status(status) => write!(f, "{status}"),
            Expect::Any => f.write_str("any contract answer"),
        }
    }
}

/// The `Authorization` header(s) of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <the fixture key>`.
    Key(KeyRef),
    /// These header values exactly, one header each (malformed ones on purpose).
    Raw(Vec<Vec<u8>>),
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// No body.
    Empty,
    /// This text, with `{site}` replaced by the case's site id.
    Text(String),
    /// These bytes, as they are.
    Bytes(Vec<u8>),
    /// A JSON event body padded to one byte over the run's body limit.
    OverLimit,
}

/// A request template: fixtures are filled in by [`RequestSpec::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// The method.
    pub method: Method,
    /// Path and query; `{site}` stands for the case's site id.
    pub path: String,
    /// The site `{site}` stands for, if the path or body uses it.
    pub site: Option<SiteRef>,
    /// The `Authorization` header(s).
    pub auth: Auth,
    /// Further headers (lowercase names), in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Body,
    /// How many times to send it: more than 1 means a burst, judged on the first answer that
    /// is not a success (or the last one).
    pub attempts: u32,
}

/// A concrete request, ready for any target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// Path and query, e.g. `/api/v1/sites?x=1`.
    pub target: String,
    /// The headers, in order; names may repeat.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Bytes,
}

impl Request {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }
}

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The run has no value for these fixtures the case needs.
    #[error("needs {}", list(.0))]
    Missing(Vec<Fixture>),
    /// The template produced an invalid header.
    #[error("invalid header {0:?}")]
    InvalidHeader(String),
}

impl RequestSpec {
    /// A `GET` of `path` with no headers.
    pub fn get(path: impl Into<String>) -> Self {
        RequestSpec::new(Method::GET, path)
    }

    /// A request of `method` to `path`, with no headers and no body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        RequestSpec {
            method,
            path: path.into(),
            site: None,
            auth: Auth::None,
            headers: Vec::new(),
            body: Body::Empty,
            attempts: 1,
        }
    }

    /// Authenticates with a fixture key.
    pub fn key(mut self, key: KeyRef) -> Self {
        self.auth = Auth::Key(key);
        self
    }

    /// Sends these raw `Authorization` header values.
    pub fn raw_auth<I, V>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Vec<u8>>,
    {
        self.auth = Auth::Raw(values.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the site `{site}` stands for.
    pub fn site(mut self, site: SiteRef) -> Self {
        self.site = Some(site);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// A JSON body (`Content-Type: application/json`), `{site}` replaced.
    pub fn json(self, text: &str) -> Self {
        self.header("content-type", "application/json")
            .body(Body::Text(text.to_owned()))
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Sends it up to `attempts` times (see [`RequestSpec::attempts`]).
    pub fn burst(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The fixtures this request needs.
    pub fn needs(&self) -> Vec<Fixture> {
        let mut needs = Vec::new();
        if let Auth::Key(key) = self.auth {
            needs.push(Fixture::Key(key));
        }
        if let Some(site) = self.site.filter(|s| *s != SiteRef::Unknown) {
            needs.push(Fixture::Site(site));
        }
        needs
    }

    /// The concrete request for `fixtures`; `body_limit` sizes [`Body::OverLimit`].
    pub fn build(&self, fixtures: &Fixtures, body_limit: usize) -> Result<Request, BuildError> {
        let missing: Vec<Fixture> = self
            .needs()
            .into_iter()
            .filter(|need| match need {
                Fixture::Key(key) => fixtures.key(*key).is_none(),
                Fixture::Site(site) => fixtures.site(*site).is_none(),
            })
            .collect();
        if !missing.is_empty() {
            return Err(BuildError::Missing(missing));
        }
        let site = self.site.and_then(|site| fixtures.site(site)).unwrap_or("");
        let mut headers = Vec::new();
        let mut push = |name: &str, value: &[u8]| -> Result<(), BuildError> {
            let invalid = || BuildError::InvalidHeader(name.to_owned());
            headers.push((
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?,
                HeaderValue::from_bytes(value).map_err(|_| invalid())?,
            ));
            Ok(())
        };
        match &self.auth {
            Auth::None => {}
            Auth::Key(key) => {
                let value = fixtures.key(*key).unwrap_or_default();
                push("authorization", format!("Bearer {value}").as_bytes())?;
            }
            Auth::Raw(values) => {
                for value in values {
                    push("authorization", value)?;
                }
            }
        }
        for (name, value) in &self.headers {
            push(name, value)?;
        }
        let body = match &self.body {
            Body::Empty => Bytes::new(),
            Body::Text(text) => Bytes::from(text.replace("{site}", site)),
            Body::Bytes(bytes) => Bytes::from(bytes.clone()),
            Body::OverLimit => Bytes::from(over_limit_body(site, body_limit)),
        };
        Ok(Request {
            method: self.method.clone(),
            target: self.path.replace("{site}", site),
            headers,
            body,
        })
    }
}

fn list(fixtures: &[Fixture]) -> String {
    let names: Vec<String> = fixtures.iter().map(ToString::to_string).collect();
    names.join(" and ")
}

/// A well-formed event body, padded inside its `url` to exactly `limit + 1` bytes.
fn over_limit_body(site: &str, limit: usize) -> Vec<u8> {
    let head = format!(r#"{{"site_id":"{site}","name":"pageview","url":"https://demo.example/"#);
    let tail = r#""}"#;
    let target = limit.saturating_add(1).max(head.len() + tail.len());
    let mut body = Vec::with_capacity(target);
    body.extend_from_slice(head.as_bytes());
    body.resize(target - tail.len(), b'a');
    body.extend_from_slice(tail.as_bytes());
    body
}

/// One contract case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// A short kebab-case name, unique in a suite.
    pub name: String,
    /// What it shows, in a sentence.
    pub about: String,
    /// The request.
    pub request: RequestSpec,
    /// What the answer must be.
    pub expect: Expect,
    /// A case whose answer this one's must equal in status, body and contract headers
    /// ([`CONTRACT_HEADERS`]), e.g. a foreign site's `SITE_NOT_FOUND` and an unknown one's.
    pub same_answer_as: Option<String>,
}

/// The headers two answers that must be indistinguishable have to agree on (request ids,
/// dates, lengths and rate-limit counters may differ).
pub const CONTRACT_HEADERS: [&str; 6] = [
    "content-type",
    "cache-control",
    "x-content-type-options",
    "www-authenticate",
    "retry-after",
    "link",
];

impl Case {
    /// A case.
    pub fn new(name: &str, about: &str, request: RequestSpec, expect: Expect) -> Self {
        Case {
            name: name.to_owned(),
            about: about.to_owned(),
            request,
            expect,
            same_answer_as: None,
        }
    }

    /// Requires this case's answer to equal case `other`'s (see [`Case::same_answer_as`]).
    pub fn same_answer_as(mut self, other: &str) -> Self {
        self.same_answer_as = Some(other.to_owned());
        self
    }
}

const RANGE: &str = "start=2024-01-01&end=2024-01-31";
const EVENT: &str = r#"{"site_id":"{site}","name":"pageview","url":"https://demo.example/"}"#;

/// How many requests the rate-limit case sends at most by default: well over the reference
/// server's 20 per second.
pub const DEFAULT_BURST: u32 = 100;

/// The fixed cases: every code of the catalogue, the successes around them, and the request
/// id rules. The rate-limit burst comes last, so it cannot throttle the others.
pub fn fixed() -> Vec<Case> {
    fixed_with_burst(DEFAULT_BURST)
}

/// [`fixed`], with the rate-limit case sending up to `burst` requests.
pub fn fixed_with_burst(burst: u32) -> Vec<Case> {
    use ErrorCode as C;
    use Expect::{Error, Status};
    let sites = || RequestSpec::get("/api/v1/sites");
    let events = || RequestSpec::new(Method::POST, "/api/v1/events");
    let stats = |range: &str| RequestSpec::get(format!("/api/v1/sites/{{site}}/stats?{range}"));
    let timeseries = |query: &str| {
        RequestSpec::get(format!("/api/v1/sites/{{site}}/timeseries?{RANGE}&{query}"))
    };
    // A key on a site of its own user, of either plan.
    let free_owner = |request: RequestSpec| request.key(KeyRef::Free).site(SiteRef::Free);
    let pro_owner = |request: RequestSpec| request.key(KeyRef::Pro).site(SiteRef::Pro);
    let mut cases = vec![
        // Successes, so a server that always fails cannot pass.
        Case::new(
            "sites-ok",
            "GET /api/v1/sites lists the caller's sites",
            sites().key(KeyRef::Free),
            Status(200),
        ),
        Case::new(
            "stats-ok",
            "stats for an owned site and a valid range",
            free_owner(stats(RANGE)),
            Status(200),
        ),
        Case::new(
            "timeseries-daily-ok",
            "a daily timeseries on the Free plan",
            free_owner(timeseries("granularity=daily")),
            Status(200),
        ),
        Case::new(
            "timeseries-hourly-pro-ok",
            "an hourly timeseries on the Pro plan",
            pro_owner(timeseries("granularity=hourly")),
            Status(200),
        ),
        Case::new(
            "event-ok",
            "POST /api/v1/events records an event",
            free_owner(events()).json(EVENT),
            Status(202),
        ),
        Case::new(
            "request-id-echo",
            "a success echoes the client's X-Request-Id",
            sites()
                .key(KeyRef::Free)
                .header("x-request-id", "contract-echo-1"),
            Status(200),
        ),
        // Authentication (401).
        Case::new(
            "missing-key",
            "no Authorization header",
            sites(),
            Error(C::MissingKey),
        ),
        Case::new(
            "missing-key-request-id-echo",
            "an error echoes the client's X-Request-Id too",
            sites().header("x-request-id", "contract-echo-2"),
            Error(C::MissingKey),
        ),
    ];
    let invalid_keys = [
        (
            "invalid-key-unknown",
            "a key the service never issued",
            "Bearer ak_contract_never_issued",
        ),
        (
            "invalid-key-scheme",
            "credentials in another scheme than Bearer",
            "Basic dXNlcjpwYXNz",
        ),
        (
            "invalid-key-empty",
            "the Bearer scheme without a key",
            "Bearer ",
        ),
    ];
    for (name, about, authorization) in invalid_keys {
        let request = sites().raw_auth([authorization]);
        cases.push(Case::new(name, about, request, Error(C::InvalidKey)));
    }
    cases.extend([
        Case::new(
            "invalid-key-revoked",
            "a revoked key",
            sites().key(KeyRef::Revoked),
            Error(C::InvalidKey),
        ),
        Case::new(
            "user-not-found",
            "a key whose user was deleted",
            sites().key(KeyRef::Orphan),
            Error(C::UserNotFound),
        ),
    ]);
    // Authorization (403).
    // The same caller cannot tell a site that exists but is not theirs from one that does
    // not exist, on any route that takes a site id.
    // Per route: the two cases' names, what the request asks for, and the request.
    let routes_with_a_site = [
        (
            "site-not-found-unknown",
            "site-not-found-foreign",
            "",
            stats(RANGE),
        ),
        (
            "site-not-found-unknown-timeseries",
            "site-not-found-foreign-timeseries",
            "a timeseries of ",
            timeseries("granularity=daily"),
        ),
        (
            "site-not-found-unknown-event",
            "site-not-found-foreign-event",
            "an event for ",
            events().json(EVENT),
        ),
    ];
    for (unknown, foreign, what, request) in routes_with_a_site {
        let request = request.key(KeyRef::Free);
        cases.push(Case::new(
            unknown,
            &format!("{what}a site id that does not exist"),
            request.clone().site(SiteRef::Unknown),
            Error(C::SiteNotFound),
        ));
        let foreign = Case::new(
            foreign,
            &format!("{what}someone else's site answers exactly like an unknown one"),
            request.site(SiteRef::Foreign),
            Error(C::SiteNotFound),
        );
        cases.push(foreign.same_answer_as(unknown));
    }
    cases.push(Case::new(
        "plan-required",
        "hourly granularity on the Free plan",
        free_owner(timeseries("granularity=hourly")),
        Error(C::PlanRequired),
    ));
    // Request (400).
    let no_site_ids = [
        ("missing-site-id-empty", "an empty siteId path segment", ""),
        (
            "missing-site-id-blank",
            "a blank siteId path segment",
            "%20",
        ),
    ];
    for (name, about, segment) in no_site_ids {
        let request = RequestSpec::get(format!("/api/v1/sites/{segment}/stats?{RANGE}"));
        let request = request.key(KeyRef::Free);
        cases.push(Case::new(name, about, request, Error(C::MissingSiteId)));
    }
    // Asked by the Pro plan, so only the range itself can be wrong.
    let invalid_ranges = [
        (
            "invalid-date-format",
            "a date that is not YYYY-MM-DD",
            stats("start=2024-1-5&end=2024-01-31"),
        ),
        (
            "invalid-date-calendar",
            "a date that is not a calendar day",
            stats("start=2024-02-30&end=2024-03-31"),
        ),
        (
            "invalid-date-reversed",
            "start after end",
            stats("start=2024-03-01&end=2024-02-01"),
        ),
        (
            "invalid-date-missing",
            "no end date",
            stats("start=2024-01-01"),
        ),
        (
            "invalid-granularity",
            "a granularity other than daily or hourly",
            timeseries("granularity=weekly"),
        ),
    ];
    for (name, about, request) in invalid_ranges {
        let request = pro_owner(request);
        cases.push(Case::new(name, about, request, Error(C::InvalidDateRange)));
    }
    let invalid_json = [
        (
            "invalid-json-syntax",
            "a body that is not JSON",
            events().json(r#"{"site_id": "#),
        ),
        (
            "invalid-json-shape",
            "JSON of the wrong shape",
            events().json(r#"{"site_id": 5, "name": "pageview"}"#),
        ),
        (
            "invalid-json-content-type",
            "a JSON body sent as text/plain",
            events()
                .site(SiteRef::Pro)
                .header("content-type", "text/plain")
                .body(Body::Text(EVENT.to_owned())),
        ),
    ];
    for (name, about, request) in invalid_json {
        let request = request.key(KeyRef::Pro);
        cases.push(Case::new(name, about, request, Error(C::InvalidJson)));
    }
    cases.extend([
        // Rate limits (429), except the burst, which runs last.
        Case::new(
            "limit-exceeded",
            "an event once the monthly quota is spent",
            events().key(KeyRef::Quota).site(SiteRef::Quota).json(EVENT),
            Error(C::LimitExceeded),
        ),
        // Server (500).
        Case::new(
            "server-error",
            "a failure inside the service is a SERVER_ERROR that leaks nothing",
            stats(RANGE).key(KeyRef::Pro).site(SiteRef::Broken),
            Error(C::ServerError),
        ),
        // Protocol (404, 405, 413).
        Case::new(
            "not-found",
            "a path no route matches",
            RequestSpec::get("/api/v1/no-such-endpoint"),
            Error(C::NotFound),
        ),
        Case::new(
            "method-not-allowed",
            "a known path with a method it does not take",
            RequestSpec::new(Method::DELETE, "/api/v1/sites").key(KeyRef::Free),
            Error(C::MethodNotAllowed),
        ),
        Case::new(
            "payload-too-large",
            "an event body one byte over the limit",
            free_owner(events())
                .header("content-type", "application/json")
                .body(Body::OverLimit),
            Error(C::PayloadTooLarge),
        ),
        Case::new(
            "rate-limited",
            "a burst over the per-key rate limit",
            sites().key(KeyRef::Free).burst(burst),
            Error(C::RateLimited),
        ),
    ]);
    cases
}
