//! Judging one response against the contract, whatever produced it.
//!
//! Every rule has a [`Level`] ([`crate::rule`]): the published page's promises (`contract`:
//! the status is the code's, the body is exactly `{"error": <non-empty string>, "code":
//! <catalogue code>}` plus `retry_after` >= 1 on the 429 codes only, a 500 says nothing but
//! the catalogue's message, JSON content type, the expected code, no forbidden text), the HTTP
//! RFCs' requirements (`http`: a Bearer `WWW-Authenticate` on 401, `Allow` on 405,
//! `Retry-After` on 429 equal to `retry_after`), and the house rules (`recommended`:
//! `Cache-Control: no-store`, `nosniff`, `X-Request-Id` echoing the client's, the docs `Link`
//! and the RateLimit fields when sent). [`findings`] lists every broken rule; [`judge`] turns
//! them into a [`Verdict`] at the options' level.
//!
//! ```
//! use attractos_contract::case::{Expect, Request};
//! use attractos_contract::judge::{judge, JudgeOptions, Response};
//! use attractos_errors::{ApiError, ErrorCode};
//!
//! let request = Request { method: http::Method::GET, target: "/api/v1/sites".into(),
//!                         headers: vec![], body: Default::default() };
//! let err = ApiError::missing_key();
//! let mut headers: Vec<(String, Vec<u8>)> =
//!     err.headers().map(|(n, v)| (n.to_owned(), v.to_string().into_bytes())).collect();
//! headers.push(("x-request-id".into(), b"r-1".to_vec()));
//! let response = Response { status: 401, headers, body: err.to_bytes() };
//!
//! let verdict = judge(&Expect::Error(ErrorCode::MissingKey), &request, &response, &JudgeOptions::default());
//! assert!(verdict.is_pass(), "{verdict}");
//!
//! let plain = Response { status: 404, headers: vec![], body: "Not Found".into() };
//! let verdict = judge(&Expect::Error(ErrorCode::NotFound), &request, &plain, &JudgeOptions::default());
//! assert!(verdict.reasons().iter().any(|r| r.contains("content-type")));
//! ```

use std::fmt;

use attractos_errors::{ErrorBody, ErrorCode, rules};
use bytes::Bytes;
use serde_json::Value;

use crate::case::{Expect, Request};
use crate::ratelimit;
use crate::rule::{Finding, Level, Rule};

/// A response as any target returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names lowercase, in order; names may repeat.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// The first HTTP/1.1 response in bytes read off a socket: a body with a `Content-Length`
    /// is cut to it (or to what came), a chunked one is decoded; `None` when nothing, or
    /// nothing that parses (an incomplete chunked body included), came.
    ///
    /// ```
    /// use attractos_contract::judge::Response;
    ///
    /// let raw = b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}extra";
    /// let response = Response::parse(raw).unwrap();
    /// assert_eq!((response.status, &response.body[..]), (404, &b"{}"[..]));
    /// assert_eq!(Response::parse(b"HTTP/1.1 200 OK\r\n"), None);
    /// ```
    pub fn parse(raw: &[u8]) -> Option<Response> {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&raw[..end]).ok()?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, Vec<u8>)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().as_bytes().to_vec()))
            .collect();
        let mut response = Response {
            status,
            headers,
            body: Bytes::new(),
        };
        let rest = &raw[end + 4..];
        let chunked = response
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case(b"chunked"));
        response.body = if chunked {
            Bytes::from(dechunk(rest)?)
        } else {
            let len = response
                .header("content-length")
                .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
                .unwrap_or(rest.len())
                .min(rest.len());
            Bytes::copy_from_slice(&rest[..len])
        };
        Some(response)
    }

    /// Every value of header `name` (lowercase).
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The body's `code` as clients read it: through the core's [`ErrorBody`] parser (the one
    /// `attractos-errors-client` uses), so a body it rejects has no code here either.
    pub fn code(&self) -> Option<String> {
        let body = ErrorBody::from_slice(&self.body).ok()?;
        Some(body.code.as_str().to_owned())
    }

    /// A short account of the response: `401 MISSING_KEY`, `200`, `404 (not a JSON error)`.
    pub fn summary(&self) -> String {
        if self.status < 400 {
            return self.status.to_string();
        }
        match self.code() {
            Some(code) => format!("{} {}", self.status, shorten(&code, 40)),
            None => format!("{} (not a JSON error)", self.status),
        }
    }
}

/// A chunked body decoded, up to its last (empty) chunk; `None` when it is cut short or
/// malformed.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line_end]).ok()?.trim();
        let size = usize::from_str_radix(size, 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        let data = line_end + 2;
        body.extend_from_slice(rest.get(data..data.checked_add(size)?)?);
        rest = rest.get(data + size + 2..)?;
    }
}

/// The outcome of judging one case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
pub enum Verdict {
    /// No rule at or below the run's level was broken; the reason says what was checked.
    Pass {
        /// What was checked.
        reason: String,
        /// Findings of rules above the run's level, reported but not failing.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<Finding>,
    },
    /// The response broke at least one rule at or below the run's level.
    Fail {
        /// The findings that fail the case.
        findings: Vec<Finding>,
        /// Findings of rules above the run's level, reported but not failing.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<Finding>,
    },
    /// The case was not run.
    Skip {
        /// Why.
        reason: String,
    },
}

impl Verdict {
    /// The verdict on `findings` for a run at `level`: findings of a rule above the level are
    /// warnings, and the case passes (with `passed` as its reason) when only warnings remain.
    pub fn from_findings(findings: Vec<Finding>, level: Level, passed: String) -> Verdict {
        let (failing, warnings): (Vec<Finding>, Vec<Finding>) = findings
            .into_iter()
            .partition(|finding| level.includes(finding.level()));
        if failing.is_empty() {
            Verdict::Pass {
                reason: passed,
                warnings,
            }
        } else {
            Verdict::Fail {
                findings: failing,
                warnings,
            }
        }
    }

    /// Whether the case passed (possibly with warnings).
    pub fn is_pass(&self) -> bool {
        matches!(self, Verdict::Pass { .. })
    }

    /// Whether the case failed.
    pub fn is_fail(&self) -> bool {
        matches!(self, Verdict::Fail { .. })
    }

    /// Whether the case passed with findings below the run's level.
    pub fn is_warned(&self) -> bool {
        matches!(self, Verdict::Pass { warnings, .. } if !warnings.is_empty())
    }

    /// The findings that fail the case (empty unless it failed).
    pub fn findings(&self) -> &[Finding] {
        match self {
            Verdict::Fail { findings, .. } => findings,
            _ => &[],
        }
    }

    /// The findings below the run's level.
    pub fn warnings(&self) -> &[Finding] {
        match self {
            Verdict::Pass { warnings, .. } | Verdict::Fail { warnings, .. } => warnings,
            Verdict::Skip { .. } => &[],
        }
    }

    /// The reasons: one for a pass or a skip, each failing finding's message for a failure.
    pub fn reasons(&self) -> Vec<&str> {
        match self {
            Verdict::Pass { reason, .. } | Verdict::Skip { reason } => vec![reason],
            Verdict::Fail { findings, .. } => findings.iter().map(|f| f.message.as_str()).collect(),
        }
    }

    /// `pass`, `warn` (passed with findings below the level), `FAIL` or `skip`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Pass { .. } if self.is_warned() => "warn",
            Verdict::Pass { .. } => "pass",
            Verdict::Fail { .. } => "FAIL",
            Verdict::Skip { .. } => "skip",
        }
    }

    /// Adds findings found after the first judgement (e.g. by comparing two cases' answers),
    /// judged at `level`.
    pub fn add(&mut self, findings: Vec<Finding>, level: Level) {
        let (reason, mut all) = match std::mem::replace(
            self,
            Verdict::Skip {
                reason: String::new(),
            },
        ) {
            Verdict::Pass { reason, warnings } => (reason, warnings),
            Verdict::Fail {
                mut findings,
                warnings,
            } => {
                findings.extend(warnings);
                (String::new(), findings)
            }
            skip @ Verdict::Skip { .. } => {
                *self = skip;
                return;
            }
        };
        all.extend(findings);
        *self = Verdict::from_findings(all, level, reason);
    }
}

/// `pass: …`, or `FAIL: [contract catalogue-code] …; [http allow-on-405] …`; warnings follow
/// as `(below the level: …)`.
impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |findings: &[Finding]| {
            findings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        };
        match self {
            Verdict::Pass { reason, .. } | Verdict::Skip { reason } => {
                write!(f, "{}: {reason}", self.label())?;
            }
            Verdict::Fail { findings, .. } => write!(f, "FAIL: {}", join(findings))?,
        }
        if !self.warnings().is_empty() {
            write!(f, " (below the level: {})", join(self.warnings()))?;
        }
        Ok(())
    }
}

/// How a response is judged beyond the contract's own rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JudgeOptions {
    /// Strings no response may contain, in a header or the body (e.g. a fixture's secret).
    pub forbidden: Vec<String>,
    /// Findings of rules at or below this level fail; the others are warnings.
    pub level: Level,
}

impl JudgeOptions {
    /// Forbids `text` anywhere in a response.
    pub fn forbid(mut self, text: impl Into<String>) -> Self {
        self.forbidden.push(text.into());
        self
    }

    /// Fails on findings at or below `level` only ([`Level::Recommended`], every rule, by
    /// default).
    pub fn at_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}

/// Judges `response` to `request` against the contract and `expect`.
pub fn judge(
    expect: &Expect,
    request: &Request,
    response: &Response,
    options: &JudgeOptions,
) -> Verdict {
    let passed = if (200..300).contains(&response.status) {
        format!("{} with a JSON body", response.status)
    } else {
        match response.code() {
            Some(code) => format!(
                "{} {code} in the contract's body and headers",
                response.status
            ),
            None => String::new(),
        }
    };
    Verdict::from_findings(
        findings(expect, request, response, options),
        options.level,
        passed,
    )
}

/// Every rule `response` breaks, whatever its level.
pub fn findings(
    expect: &Expect,
    request: &Request,
    response: &Response,
    options: &JudgeOptions,
) -> Vec<Finding> {
    let mut found = Findings::default();
    check_request_id(request, response, &mut found);
    check_forbidden(response, options, &mut found);
    ratelimit::check(response, &mut found.0);
    let status = response.status;
    if (200..300).contains(&status) {
        check_success(expect, response, &mut found);
    } else if status >= 400 {
        match check_error(response, &mut found) {
            Some(code) => match expect {
                Expect::Error(expected) if *expected != code => found.push(
                    Rule::ExpectedAnswer,
                    format!("expected {expect}, got {status} {code}"),
                ),
                Expect::Status(expected) => found.push(
                    Rule::ExpectedAnswer,
                    format!("expected {expected}, got {status} {code}"),
                ),
                _ => {}
            },
            None if !matches!(expect, Expect::Any) => found.push(
                Rule::ExpectedAnswer,
                format!("expected {expect}, got {}", response.summary()),
            ),
            None => {}
        }
    } else {
        found.push(
            Rule::Answered,
            format!("status {status} is neither a success nor a contract error"),
        );
    }
    found.0
}

/// The findings of one response, in the order they were found.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, rule: Rule, message: impl Into<String>) {
        self.0.push(Finding::new(rule, message));
    }
}

fn check_request_id(request: &Request, response: &Response, found: &mut Findings) {
    let sent = request.header("x-request-id").map(|v| v.as_bytes());
    let message = match (response.header("x-request-id"), sent) {
        (None, _) => "no x-request-id header".to_owned(),
        (Some([]), _) => "x-request-id is empty".to_owned(),
        (Some(got), Some(sent)) if got != sent => format!(
            "x-request-id is {}, not the client's {}",
            show(got),
            show(sent)
        ),
        _ => return,
    };
    found.push(Rule::RequestId, message);
}

fn check_forbidden(response: &Response, options: &JudgeOptions, found: &mut Findings) {
    for text in options.forbidden.iter().filter(|t| !t.is_empty()) {
        let needle = text.as_bytes();
        let in_body = contains(&response.body, needle);
        let header = response
            .headers
            .iter()
            .find(|(name, value)| contains(name.as_bytes(), needle) || contains(value, needle));
        if in_body {
            found.push(
                Rule::ForbiddenText,
                format!("the body contains the forbidden text {text:?}"),
            );
        }
        if let Some((name, _)) = header {
            found.push(
                Rule::ForbiddenText,
                format!("header {name} contains the forbidden text {text:?}"),
            );
        }
    }
}

fn check_success(expect: &Expect, response: &Response, found: &mut Findings) {
    match expect {
        Expect::Error(_) => found.push(
            Rule::ExpectedAnswer,
            format!("expected {expect}, got {}", response.status),
        ),
        Expect::Status(expected) if *expected != response.status => found.push(
            Rule::ExpectedAnswer,
            format!("expected {expected}, got {}", response.status),
        ),
        _ => {}
    }
    match response.header("content-type") {
        Some(ct) if rules::is_json_content_type(ct) => {}
        Some(ct) => found.push(
            Rule::JsonContentType,
            format!("content-type is {}, expected application/json", show(ct)),
        ),
        None => found.push(
            Rule::JsonContentType,
            "no content-type header, expected application/json",
        ),
    }
    if serde_json::from_slice::<Value>(&response.body).is_err() {
        found.push(
            Rule::JsonContentType,
            format!("the body is not JSON: {}", show(&response.body)),
        );
    }
}

/// Checks an error response; returns its catalogue code when the body names one.
fn check_error(response: &Response, found: &mut Findings) -> Option<ErrorCode> {
    let status = response.status;
    check_header(
        response,
        "content-type",
        (Rule::JsonContentType, found),
        |v| essence(v).eq_ignore_ascii_case("application/json"),
        "application/json",
    );
    check_header(
        response,
        "cache-control",
        (Rule::CacheControlNoStore, found),
        |v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
        },
        "no-store",
    );
    check_header(
        response,
        "x-content-type-options",
        (Rule::Nosniff, found),
        |v| v.trim().eq_ignore_ascii_case("nosniff"),
        "nosniff",
    );
    if status == 401 {
        check_header(
            response,
            "www-authenticate",
            (Rule::WwwAuthenticateOn401, found),
            |v| v.len() >= 6 && v[..6].eq_ignore_ascii_case("bearer"),
            "a Bearer challenge",
        );
    }
    if status == 405 && response.header("allow").is_none() {
        found.push(Rule::AllowOn405, "a 405 needs an Allow header");
    }

    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(value) => value,
        Err(_) => {
            found.push(
                Rule::JsonContentType,
                format!("the body is not JSON: {}", show(&response.body)),
            );
            return None;
        }
    };
    let Some(object) = body.as_object() else {
        found.push(
            Rule::BodyShape,
            format!("the body is not a JSON object: {}", show(&response.body)),
        );
        return None;
    };
    let error = object.get("error");
    match error {
        Some(Value::String(text)) if text.trim().is_empty() => {
            found.push(Rule::BodyShape, "\"error\" is an empty string");
        }
        Some(Value::String(_)) => {}
        Some(other) => found.push(
            Rule::BodyShape,
            format!("\"error\" is {}, not a string", kind(other)),
        ),
        None => found.push(Rule::BodyShape, "the body has no \"error\" key"),
    }
    let code = match object.get("code") {
        Some(Value::String(name)) => match name.parse::<ErrorCode>() {
            Ok(code) => Some(code),
            Err(_) => {
                found.push(
                    Rule::CatalogueCode,
                    format!("code {} is not in the catalogue", show(name.as_bytes())),
                );
                None
            }
        },
        Some(other) => {
            found.push(
                Rule::BodyShape,
                format!("\"code\" is {}, not a string", kind(other)),
            );
            None
        }
        None => {
            found.push(Rule::BodyShape, "the body has no \"code\" key");
            None
        }
    };
    let extra: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "error" | "code" | "retry_after"))
        .collect();
    if !extra.is_empty() {
        found.push(
            Rule::NoExtraFields,
            format!(
                "the body has keys beyond error/code/retry_after: {}",
                extra.join(", ")
            ),
        );
    }
    let retry_after = object.get("retry_after");
    let carries = code.map_or(status == 429, ErrorCode::carries_retry_after);
    match (carries, retry_after) {
        (true, None) => found.push(Rule::RetryAfterField, "a 429 body needs \"retry_after\""),
        (false, Some(_)) => found.push(
            Rule::RetryAfterField,
            format!("\"retry_after\" appears on a {status}; it belongs to 429s only"),
        ),
        (true, Some(value)) => check_retry_after(response, value, found),
        (false, None) => {}
    }
    // The checks above explain a body field by field; clients read it with the core's
    // ErrorBody. A body that passes them but that parser rejects (a key sent twice, which a
    // JSON value silently collapses) still breaks every typed client.
    if let Err(err) = ErrorBody::from_slice(&response.body)
        && !found
            .0
            .iter()
            .any(|f| matches!(f.rule, Rule::BodyShape | Rule::RetryAfterField))
    {
        found.push(Rule::BodyShape, format!("clients cannot read it: {err}"));
    }
    let code = code?;
    if code.status().as_u16() != status {
        found.push(
            Rule::StatusMatchesCode,
            format!(
                "status {status} does not match {code}, which is {}",
                code.status().as_u16()
            ),
        );
    }
    if code == ErrorCode::ServerError
        && let Some(Value::String(text)) = error
        && text != code.message()
    {
        found.push(
            Rule::ServerErrorMessage,
            format!(
                "a SERVER_ERROR must say only the catalogue's message, not {}",
                show(text.as_bytes())
            ),
        );
    }
    check_docs_link(response, code, found);
    Some(code)
}

fn check_retry_after(response: &Response, value: &Value, found: &mut Findings) {
    let Some(seconds) = value.as_u64().filter(|s| *s >= 1) else {
        found.push(
            Rule::RetryAfterField,
            format!("\"retry_after\" is {value}, not a whole number of seconds >= 1"),
        );
        return;
    };
    match response.header("retry-after") {
        None => found.push(Rule::RetryAfterHeader, "a 429 needs a Retry-After header"),
        Some(header) => {
            if retry_after_seconds(header) != Some(seconds) {
                found.push(
                    Rule::RetryAfterHeader,
                    format!(
                        "Retry-After is {}, but the body's retry_after is {seconds}",
                        show(header)
                    ),
                );
            }
        }
    }
}

/// A `Retry-After` header's delay in seconds (not its HTTP-date form, which 429s here never use).
pub(crate) fn retry_after_seconds(header: &[u8]) -> Option<u64> {
    std::str::from_utf8(header)
        .ok()
        .and_then(|h| h.trim().parse::<u64>().ok())
}

/// A `Link` header, when an error sends one, points at its code's section with `rel="help"`.
fn check_docs_link(response: &Response, code: ErrorCode, found: &mut Findings) {
    let Some(link) = response.header("link") else {
        return;
    };
    let text = String::from_utf8_lossy(link);
    let anchor = format!("#{}>", code.anchor());
    let help = text.split(';').skip(1).any(|p| {
        p.trim().eq_ignore_ascii_case("rel=\"help\"") || p.trim().eq_ignore_ascii_case("rel=help")
    });
    if !(text.trim_start().starts_with('<') && text.contains(&anchor) && help) {
        found.push(
            Rule::DocsLink,
            format!(
                "link is {}, expected <…{}; rel=\"help\"",
                show(link),
                anchor
            ),
        );
    }
}

fn check_header(
    response: &Response,
    name: &str,
    (rule, found): (Rule, &mut Findings),
    ok: impl Fn(&str) -> bool,
    wanted: &str,
) {
    match response.header(name) {
        None => found.push(rule, format!("no {name} header, expected {wanted}")),
        Some(value) => match std::str::from_utf8(value) {
            Ok(text) if ok(text) => {}
            _ => found.push(
                rule,
                format!("{name} is {}, expected {wanted}", show(value)),
            ),
        },
    }
}

fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A quoted, shortened, printable excerpt of bytes from a response.
pub(crate) fn show(bytes: &[u8]) -> String {
    format!("{:?}", shorten(&String::from_utf8_lossy(bytes), 60))
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    }
}
