//! The typed error a caller matches on: the code (known or not), the message, the wait the
//! server asked for, the `X-Request-Id` to quote to support, and the status.

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime};

use attractos_errors::{Code, ErrorCode, header_names};
use http::StatusCode;

use crate::decision::{Answer, Stop, retry_after_header};
use crate::retrier::RetryNote;

type Source = Box<dyn StdError + Send + Sync + 'static>;

/// A request that failed: an error answer, or no answer at all.
///
/// ```
/// use attractos_errors::{Code, ErrorCode};
/// use attractos_errors_client::{Answer, Error};
/// use http::{HeaderMap, StatusCode};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-request-id", "req-42".parse().unwrap());
/// let body = br#"{"error":"The API key provided is invalid or has been revoked.","code":"INVALID_KEY"}"#;
/// let err = Error::from_answer(&Answer::new(StatusCode::UNAUTHORIZED, &headers, body));
/// assert_eq!(err.code(), Some(&Code::Known(ErrorCode::InvalidKey)));
/// assert_eq!(err.request_id(), Some("req-42"));
/// assert_eq!(err.to_string(), "401 INVALID_KEY: The API key provided is invalid or has been revoked. (request id req-42)");
/// ```
#[derive(Debug)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    status: Option<StatusCode>,
    code: Option<Code>,
    message: String,
    retry_after: Option<Duration>,
    request_id: Option<String>,
    received_at: SystemTime,
    stop: Option<Stop>,
    retries: Vec<RetryNote>,
    source: Option<Source>,
}

impl Error {
    /// The error an answer stands for, received now. The body is parsed by the core's
    /// `ErrorBody`; a body that is not the contract's (a proxy's HTML page, nothing) leaves
    /// the code empty and says so in the message.
    pub fn from_answer(answer: &Answer<'_>) -> Self {
        Error::from_answer_at(answer, SystemTime::now())
    }

    /// [`Error::from_answer`] for an answer received at `received_at`.
    pub fn from_answer_at(answer: &Answer<'_>, received_at: SystemTime) -> Self {
        let body = answer.error_body();
        let from_body = body
            .as_ref()
            .and_then(|b| b.retry_after)
            .map(Duration::from_secs);
        let retry_after = from_body.max(retry_after_header(answer.headers, received_at));
        let request_id = answer
            .headers
            .get(header_names::X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (code, message) = match body {
            Some(body) => (Some(body.code), body.error),
            None => (
                None,
                format!("{} (not an AttractOS error body)", answer.status),
            ),
        };
        Error {
            inner: Box::new(Inner {
                status: Some(answer.status),
                code,
                message,
                retry_after,
                request_id,
                received_at,
                stop: None,
                retries: Vec::new(),
                source: None,
            }),
        }
    }

    /// A request that got no answer (connection refused, reset, timed out).
    pub fn no_answer(source: impl Into<Source>) -> Self {
        let source = source.into();
        Error {
            inner: Box::new(Inner {
                status: None,
                code: None,
                message: format!("no answer: {source}"),
                retry_after: None,
                request_id: None,
                received_at: SystemTime::now(),
                stop: None,
                retries: Vec::new(),
                source: Some(source),
            }),
        }
    }

    /// The same error, noting why the retry loop stopped and the retries it made.
    pub fn with_history(mut self, stop: Stop, retries: Vec<RetryNote>) -> Self {
        self.inner.stop = Some(stop);
        self.inner.retries = retries;
        self
    }

    /// The status of the answer; `None` when none came.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The body's code, known to this build or not; `None` when the answer was not a contract
    /// body (or there was no answer).
    pub fn code(&self) -> Option<&Code> {
        self.inner.code.as_ref()
    }

    /// The catalogue code, if the body carried one this build knows.
    pub fn known_code(&self) -> Option<ErrorCode> {
        self.inner.code.as_ref().and_then(Code::known)
    }

    /// The body's human message, or a description of what came back instead.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The longer of the body's `retry_after` and the `Retry-After` header.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The answer's `X-Request-Id`: quote it when contacting support.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// Whether this is `LIMIT_EXCEEDED`: the monthly quota is spent, no retry helps before
    /// [`Error::quota_resets_at`].
    pub fn is_quota_exhausted(&self) -> bool {
        self.known_code() == Some(ErrorCode::LimitExceeded)
    }

    /// When the spent quota resets: the moment of the answer plus its `retry_after`. `None`
    /// unless [`Error::is_quota_exhausted`] and the answer said when.
    pub fn quota_resets_at(&self) -> Option<SystemTime> {
        if !self.is_quota_exhausted() {
            return None;
        }
        self.inner.received_at.checked_add(self.inner.retry_after?)
    }

    /// Why the retry loop stopped, when the error comes from one.
    pub fn stop(&self) -> Option<Stop> {
        self.inner.stop
    }

    /// The retries made before giving up, in order.
    pub fn retries(&self) -> &[RetryNote] {
        &self.inner.retries
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A non-contract answer's message already names its status.
        if let (Some(status), Some(code)) = (&self.inner.status, &self.inner.code) {
            write!(f, "{} {code}: ", status.as_u16())?;
        }
        f.write_str(&self.inner.message)?;
        if let Some(id) = &self.inner.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}
