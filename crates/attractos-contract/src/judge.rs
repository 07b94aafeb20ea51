//! Judging one response against the contract, whatever produced it.
//!
//! Every error (status >= 400) must carry `Content-Type: application/json`,
//! `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`, a `WWW-Authenticate`
//! challenge on 401 and a `Retry-After` equal to the body's `retry_after` on 429; its body is
//! exactly `{"error": <non-empty string>, "code": <catalogue code>}` plus `retry_after`
//! (integer >= 1) on the 429 codes only, the status is the code's, and a 500 says nothing but
//! the catalogue's message. Every response carries `X-Request-Id` (the client's, if it sent
//! one), and none contains a forbidden string.
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

use attractos_errors::{ErrorCode, rules};
use bytes::Bytes;
use serde_json::Value;

use crate::case::{Expect, Request};

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

    /// The body's `code` field, if the body is a JSON object with a string `code`.
    pub fn code(&self) -> Option<String> {
        let value: Value = serde_json::from_slice(&self.body).ok()?;
        value.get("code")?.as_str().map(str::to_owned)
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

/// The outcome of judging one case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
pub enum Verdict {
    /// The response keeps the contract; the reason says what was checked.
    Pass {
        /// What was checked.
        reason: String,
    },
    /// The response breaks the contract, for these reasons.
    Fail {
        /// Every rule the response broke.
        reasons: Vec<String>,
    },
    /// The case was not run.
    Skip {
        /// Why.
        reason: String,
    },
}

impl Verdict {
    /// Whether the case passed.
    pub fn is_pass(&self) -> bool {
        matches!(self, Verdict::Pass { .. })
    }

    /// Whether the case failed.
    pub fn is_fail(&self) -> bool {
        matches!(self, Verdict::Fail { .. })
    }

    /// The reasons, one for a pass or a skip, one per broken rule for a failure.
    pub fn reasons(&self) -> Vec<&str> {
        match self {
            Verdict::Pass { reason } | Verdict::Skip { reason } => vec![reason],
            Verdict::Fail { reasons } => reasons.iter().map(String::as_str).collect(),
        }
    }

    /// `pass`, `FAIL` or `skip`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Pass { .. } => "pass",
            Verdict::Fail { .. } => "FAIL",
            Verdict::Skip { .. } => "skip",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.label(), self.reasons().join("; "))
    }
}

/// Rules beyond the contract's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JudgeOptions {
    /// Strings no response may contain, in a header or the body (e.g. a fixture's secret).
    pub forbidden: Vec<String>,
}

impl JudgeOptions {
    /// Forbids `text` anywhere in a response.
    pub fn forbid(mut self, text: impl Into<String>) -> Self {
        self.forbidden.push(text.into());
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
    let mut failures = Vec::new();
    check_request_id(request, response, &mut failures);
    check_forbidden(response, options, &mut failures);
    let status = response.status;
    let passed = if (200..300).contains(&status) {
        check_success(expect, response, &mut failures);
        format!("{status} with a JSON body and X-Request-Id")
    } else if status >= 400 {
        match check_error(response, &mut failures) {
            Some(code) => {
                if let Expect::Error(expected) = expect {
                    if *expected != code {
                        failures.push(format!("expected {expect}, got {status} {code}"));
                    }
                } else if let Expect::Status(expected) = expect {
                    failures.push(format!("expected {expected}, got {status} {code}"));
                }
                format!("{status} {code} in the contract's body and headers")
            }
            None => {
                if !matches!(expect, Expect::Any) {
                    failures.push(format!("expected {expect}, got {}", response.summary()));
                }
                String::new()
            }
        }
    } else {
        failures.push(format!(
            "status {status} is neither a success nor a contract error"
        ));
        String::new()
    };
    if failures.is_empty() {
        Verdict::Pass { reason: passed }
    } else {
        Verdict::Fail { reasons: failures }
    }
}

fn check_request_id(request: &Request, response: &Response, failures: &mut Vec<String>) {
    let sent = request.header("x-request-id").map(|v| v.as_bytes());
    match (response.header("x-request-id"), sent) {
        (None, _) => failures.push("no x-request-id header".to_owned()),
        (Some([]), _) => failures.push("x-request-id is empty".to_owned()),
        (Some(got), Some(sent)) if got != sent => failures.push(format!(
            "x-request-id is {}, not the client's {}",
            show(got),
            show(sent)
        )),
        _ => {}
    }
}

fn check_forbidden(response: &Response, options: &JudgeOptions, failures: &mut Vec<String>) {
    for text in options.forbidden.iter().filter(|t| !t.is_empty()) {
        let needle = text.as_bytes();
        let in_body = contains(&response.body, needle);
        let header = response
            .headers
            .iter()
            .find(|(name, value)| contains(name.as_bytes(), needle) || contains(value, needle));
        if in_body {
            failures.push(format!("the body contains the forbidden text {text:?}"));
        }
        if let Some((name, _)) = header {
            failures.push(format!(
                "header {name} contains the forbidden text {text:?}"
            ));
        }
    }
}

fn check_success(expect: &Expect, response: &Response, failures: &mut Vec<String>) {
    match expect {
        Expect::Error(_) => failures.push(format!("expected {expect}, got {}", response.status)),
        Expect::Status(expected) if *expected != response.status => {
            failures.push(format!("expected {expected}, got {}", response.status));
        }
        _ => {}
    }
    match response.header("content-type") {
        Some(ct) if rules::is_json_content_type(ct) => {}
        Some(ct) => failures.push(format!(
            "content-type is {}, expected application/json",
            show(ct)
        )),
        None => failures.push("no content-type header, expected application/json".to_owned()),
    }
    if serde_json::from_slice::<Value>(&response.body).is_err() {
        failures.push(format!("the body is not JSON: {}", show(&response.body)));
    }
}

/// Checks an error response; returns its catalogue code when the body names one.
fn check_error(response: &Response, failures: &mut Vec<String>) -> Option<ErrorCode> {
    let status = response.status;
    check_header(
        response,
        "content-type",
        failures,
        |v| essence(v).eq_ignore_ascii_case("application/json"),
        "application/json",
    );
    check_header(
        response,
        "cache-control",
        failures,
        |v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
        },
        "no-store",
    );
    check_header(
        response,
        "x-content-type-options",
        failures,
        |v| v.trim().eq_ignore_ascii_case("nosniff"),
        "nosniff",
    );
    if status == 401 {
        check_header(
            response,
            "www-authenticate",
            failures,
            |v| v.len() >= 6 && v[..6].eq_ignore_ascii_case("bearer"),
            "a Bearer challenge",
        );
    }

    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(value) => value,
        Err(_) => {
            failures.push(format!("the body is not JSON: {}", show(&response.body)));
            return None;
        }
    };
    let Some(object) = body.as_object() else {
        failures.push(format!(
            "the body is not a JSON object: {}",
            show(&response.body)
        ));
        return None;
    };
    let error = object.get("error");
    match error {
        Some(Value::String(text)) if text.trim().is_empty() => {
            failures.push("\"error\" is an empty string".to_owned());
        }
        Some(Value::String(_)) => {}
        Some(other) => failures.push(format!("\"error\" is {}, not a string", kind(other))),
        None => failures.push("the body has no \"error\" key".to_owned()),
    }
    let code = match object.get("code") {
        Some(Value::String(name)) => match name.parse::<ErrorCode>() {
            Ok(code) => Some(code),
            Err(_) => {
                failures.push(format!(
                    "code {} is not in the catalogue",
                    show(name.as_bytes())
                ));
                None
            }
        },
        Some(other) => {
            failures.push(format!("\"code\" is {}, not a string", kind(other)));
            None
        }
        None => {
            failures.push("the body has no \"code\" key".to_owned());
            None
        }
    };
    let extra: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "error" | "code" | "retry_after"))
        .collect();
    if !extra.is_empty() {
        failures.push(format!(
            "the body has keys beyond error/code/retry_after: {}",
            extra.join(", ")
        ));
    }
    let retry_after = object.get("retry_after");
    let carries = code.map_or(status == 429, ErrorCode::carries_retry_after);
    match (carries, retry_after) {
        (true, None) => failures.push("a 429 body needs \"retry_after\"".to_owned()),
        (false, Some(_)) => failures.push(format!(
            "\"retry_after\" appears on a {status}; it belongs to 429s only"
        )),
        (true, Some(value)) => check_retry_after(response, value, failures),
        (false, None) => {}
    }
    let code = code?;
    if code.status().as_u16() != status {
        failures.push(format!(
            "status {status} does not match {code}, which is {}",
            code.status().as_u16()
        ));
    }
    if code == ErrorCode::ServerError
        && let Some(Value::String(text)) = error
        && text != code.message()
    {
        failures.push(format!(
            "a SERVER_ERROR must say only the catalogue's message, not {}",
            show(text.as_bytes())
        ));
    }
    Some(code)
}

fn check_retry_after(response: &Response, value: &Value, failures: &mut Vec<String>) {
    let Some(seconds) = value.as_u64().filter(|s| *s >= 1) else {
        failures.push(format!(
            "\"retry_after\" is {value}, not a whole number of seconds >= 1"
        ));
        return;
    };
    match response.header("retry-after") {
        None => failures.push("a 429 needs a Retry-After header".to_owned()),
        Some(header) => {
            let parsed = std::str::from_utf8(header)
                .ok()
                .and_then(|h| h.trim().parse::<u64>().ok());
            if parsed != Some(seconds) {
                failures.push(format!(
                    "Retry-After is {}, but the body's retry_after is {seconds}",
                    show(header)
                ));
            }
        }
    }
}

fn check_header(
    response: &Response,
    name: &str,
    failures: &mut Vec<String>,
    ok: impl Fn(&str) -> bool,
    wanted: &str,
) {
    match response.header(name) {
        None => failures.push(format!("no {name} header, expected {wanted}")),
        Some(value) => match std::str::from_utf8(value) {
            Ok(text) if ok(text) => {}
            _ => failures.push(format!("{name} is {}, expected {wanted}", show(value))),
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
