//! What to do with one reply, knowing no HTTP client: the catalogue's `Retry` column as code.

use std::time::{Duration, SystemTime};

use attractos_errors::{ErrorBody, ErrorCode, Retry, header_names};
use http::{HeaderMap, Method, StatusCode};

/// The request header that makes any request safe to send twice (the server deduplicates it).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The request a reply answers: what the decision needs of it.
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    method: &'a Method,
    headers: &'a HeaderMap,
}

impl<'a> RequestInfo<'a> {
    /// The request's method and headers.
    pub fn new(method: &'a Method, headers: &'a HeaderMap) -> Self {
        RequestInfo { method, headers }
    }

    /// Whether sending it twice does no more than sending it once: GET, HEAD, PUT, DELETE,
    /// OPTIONS and TRACE (RFC 9110, section 9.2.2), or any request carrying an
    /// `Idempotency-Key`.
    pub fn is_idempotent(&self) -> bool {
        self.method.is_idempotent() || self.headers.contains_key(IDEMPOTENCY_KEY)
    }

    /// Its `Authorization` value: which key a limit counts it against.
    pub(crate) fn authorization(&self) -> Option<&'a [u8]> {
        let value = self.headers.get(http::header::AUTHORIZATION)?;
        Some(value.as_bytes())
    }
}

/// An HTTP answer: status, headers and (a bounded prefix of) the body.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub(crate) status: StatusCode,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

impl<'a> Answer<'a> {
    /// An answer as received. An error body is a few hundred bytes: pass what was read of it.
    pub fn new(status: StatusCode, headers: &'a HeaderMap, body: &'a [u8]) -> Self {
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Whether the status is an error (4xx or 5xx); anything else is handed to the caller.
    pub fn is_error(&self) -> bool {
        self.status.is_client_error() || self.status.is_server_error()
    }

    /// The contract body, if the body is one (parsed by the core's [`ErrorBody`]).
    pub(crate) fn error_body(&self) -> Option<ErrorBody> {
        ErrorBody::from_slice(self.body).ok()
    }

    /// The longer of the body's `retry_after` and the `Retry-After` header, if either is there.
    fn asked_wait(&self, body: Option<&ErrorBody>, now: SystemTime) -> Option<Duration> {
        let from_body = body.and_then(|b| b.retry_after).map(Duration::from_secs);
        let from_header = retry_after_header(self.headers, now);
        from_body.max(from_header)
    }
}

/// What came back for one attempt.
///
/// Closed on purpose: an attempt either got an HTTP answer or none.
#[derive(Debug, Clone, Copy)]
pub enum Reply<'a> {
    /// An HTTP answer.
    Answer(Answer<'a>),
    /// No answer: the connection was refused, reset or timed out. Whether the server acted on
    /// the request is unknown, so only idempotent requests are sent again.
    NoAnswer,
}

/// Which attempt a reply answers, when it came, and the jitter roll for the wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attempt {
    number: u32,
    now: SystemTime,
    roll: f64,
}

impl Attempt {
    /// The first attempt, answered at `now`, with the middle roll (0.5).
    pub fn first(now: SystemTime) -> Self {
        Attempt {
            number: 1,
            now,
            roll: 0.5,
        }
    }

    /// Attempt `number` (1 for the first send), answered at `now`.
    pub fn new(number: u32, now: SystemTime) -> Self {
        Attempt {
            number,
            ..Attempt::first(now)
        }
    }

    /// The jitter roll, a number in `[0, 1]` (clamped; NaN counts as 0).
    pub fn with_roll(self, roll: f64) -> Self {
        let roll = if roll.is_nan() {
            0.0
        } else {
            roll.clamp(0.0, 1.0)
        };
        Attempt { roll, ..self }
    }

    /// The attempt number, 1 for the first send.
    pub fn number(&self) -> u32 {
        self.number
    }
}

/// What to do with a reply.
///
/// Closed on purpose: a caller must act on every decision, so a new one has to break its
/// `match` rather than fall into a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not an error (1xx, 2xx, 3xx): hand the answer to the caller.
    Accept,
    /// Send the request again after `wait`.
    Retry {
        /// How long to wait before sending again.
        wait: Duration,
        /// Why a retry can help.
        reason: Reason,
    },
    /// Stop and surface the error.
    Stop(Stop),
}

/// Why a retry can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// `RATE_LIMITED` or any other 429: the wait the server asked for, or backoff if it gave
    /// none.
    RateLimited,
    /// `SERVER_ERROR`: exponential backoff with jitter.
    ServerError,
    /// A 5xx that is not a known contract answer (a proxy's 502/503/504, an empty body,
    /// a code this build does not know): backoff, and at least its `Retry-After`.
    Unavailable,
    /// No answer came back (connection refused, reset, timed out).
    NoAnswer,
}

impl Reason {
    /// A short phrase for logs: `"rate limited"`, `"server error"`, …
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::RateLimited => "rate limited",
            Reason::ServerError => "server error",
            Reason::Unavailable => "service unavailable",
            Reason::NoAnswer => "transport failure",
        }
    }
}

/// Why the client stopped instead of retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stop {
    /// The same request cannot succeed (auth, authorization, request and protocol codes, and
    /// any other 4xx): change the request, the key or the plan.
    NotRetryable,
    /// `LIMIT_EXCEEDED`: the monthly quota is spent; sleeping until the next billing cycle is
    /// never right. `resets_in` is the answer's `retry_after`, when it gave one.
    QuotaExhausted {
        /// How long until the quota resets, from the moment of the answer.
        resets_in: Option<Duration>,
    },
    /// The server asked for a longer wait than the policy's longest.
    WaitTooLong {
        /// What the server asked for.
        asked: Duration,
    },
    /// A server failure on a request that is not safe to send twice (a POST without an
    /// `Idempotency-Key`): it may have taken effect.
    NotIdempotent,
    /// The policy's attempts are used up.
    AttemptsExhausted,
    /// The client's shared retry budget is spent (decided by [`crate::RetryBudget`], not here).
    BudgetSpent,
}

impl Stop {
    /// A short phrase for logs: `"not retryable"`, `"quota exhausted"`, …
    pub const fn as_str(self) -> &'static str {
        match self {
            Stop::NotRetryable => "not retryable",
            Stop::QuotaExhausted { .. } => "quota exhausted",
            Stop::WaitTooLong { .. } => "asked to wait longer than the longest wait",
            Stop::NotIdempotent => "not idempotent",
            Stop::AttemptsExhausted => "attempts exhausted",
            Stop::BudgetSpent => "retry budget spent",
        }
    }
}

/// How the retry of an error is timed.
enum Timing {
    /// Wait what the server asked, plus up to `rate_limit_jitter`.
    AsAsked(Duration),
    /// Exponential backoff with jitter, and at least what the server asked.
    Backoff {
        asked: Option<Duration>,
        idempotent_only: bool,
    },
}

/// The retry policy: attempts, the longest wait, the backoff and the jitter.
///
/// Defaults: 3 attempts, a longest wait of 60 s, backoff from 200 ms doubling up to 20 s
/// (AWS's standard retry mode caps at 20 s too), up to 1 s of jitter on rate-limit waits.
///
/// [`Policy::decide`] is a pure function of the request (method, headers), the reply (an
/// answer, or none), the attempt number, the time and a jitter roll, so every boundary can be
/// tested without a network, a clock or a random number generator.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use attractos_errors_client::{Answer, Attempt, Decision, Policy, Reason, Reply, RequestInfo};
/// use http::{HeaderMap, Method, StatusCode};
///
/// let headers = HeaderMap::new();
/// let body = br#"{"error":"Slow down.","code":"RATE_LIMITED","retry_after":3}"#;
/// let reply = Reply::Answer(Answer::new(StatusCode::TOO_MANY_REQUESTS, &headers, body));
/// let attempt = Attempt::first(SystemTime::now()).with_roll(0.0);
/// let decision = Policy::default().decide(&RequestInfo::new(&Method::GET, &headers), &reply, &attempt);
/// assert_eq!(decision, Decision::Retry { wait: Duration::from_secs(3), reason: Reason::RateLimited });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    max_attempts: u32,
    max_wait: Duration,
    backoff_base: Duration,
    backoff_max: Duration,
    rate_limit_jitter: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 3,
            max_wait: Duration::from_secs(60),
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(20),
            rate_limit_jitter: Duration::from_secs(1),
        }
    }
}

impl Policy {
    /// How many times a request is sent at most, the first included (at least 1).
    pub fn max_attempts(self, attempts: u32) -> Self {
        Policy {
            max_attempts: attempts.max(1),
            ..self
        }
    }

    /// The longest wait before a retry. A server asking for more is not waited for: the error
    /// is surfaced with [`Stop::WaitTooLong`].
    pub fn max_wait(self, wait: Duration) -> Self {
        Policy {
            max_wait: wait,
            ..self
        }
    }

    /// The backoff of the first retry; each next one doubles, up to `max`. The wait is drawn
    /// between half the backoff and the whole of it ("equal jitter"), so waits never shrink.
    pub fn backoff(self, base: Duration, max: Duration) -> Self {
        Policy {
            backoff_base: base,
            backoff_max: max,
            ..self
        }
    }

    /// The most added to a rate-limit wait, so that clients told the same `retry_after` do not
    /// all come back in the same instant.
    pub fn rate_limit_jitter(self, jitter: Duration) -> Self {
        Policy {
            rate_limit_jitter: jitter,
            ..self
        }
    }

    /// The longest wait before a retry.
    pub fn longest_wait(&self) -> Duration {
        self.max_wait
    }

    /// The most times a request is sent.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// What to do with `reply` to attempt `attempt` of `request`.
    ///
    /// A known code decides by the catalogue's `Retry` column; an unknown code or a body that
    /// is not the contract's decides by the status class and `Retry-After`. Never panics.
    pub fn decide(
        &self,
        request: &RequestInfo<'_>,
        reply: &Reply<'_>,
        attempt: &Attempt,
    ) -> Decision {
        let (timing, reason) = match reply {
            Reply::NoAnswer => (
                Timing::Backoff {
                    asked: None,
                    idempotent_only: true,
                },
                Reason::NoAnswer,
            ),
            Reply::Answer(answer) if !answer.is_error() => return Decision::Accept,
            Reply::Answer(answer) => {
                let body = answer.error_body();
                let asked = answer.asked_wait(body.as_ref(), attempt.now);
                match body.and_then(|b| b.code.known()) {
                    Some(code) => match by_code(code, asked) {
                        Ok(plan) => plan,
                        Err(stop) => return Decision::Stop(stop),
                    },
                    None => match by_status(answer.status, asked) {
                        Ok(plan) => plan,
                        Err(stop) => return Decision::Stop(stop),
                    },
                }
            }
        };
        if let Timing::Backoff {
            idempotent_only: true,
            ..
        } = timing
        {
            if !request.is_idempotent() {
                return Decision::Stop(Stop::NotIdempotent);
            }
        }
        if attempt.number >= self.max_attempts {
            return Decision::Stop(Stop::AttemptsExhausted);
        }
        let (floor, wait) = match timing {
            Timing::AsAsked(asked) => (
                asked,
                asked.saturating_add(scale(self.rate_limit_jitter, attempt.roll)),
            ),
            Timing::Backoff { asked, .. } => {
                let backoff = self.backoff_for(attempt.number);
                let half = backoff / 2;
                let drawn = half.saturating_add(scale(backoff - half, attempt.roll));
                let asked = asked.unwrap_or(Duration::ZERO);
                (asked, drawn.max(asked))
            }
        };
        if floor > self.max_wait {
            return Decision::Stop(Stop::WaitTooLong { asked: floor });
        }
        Decision::Retry {
            wait: wait.min(self.max_wait),
            reason,
        }
    }

    /// The backoff after attempt `number`: `base * 2^(number - 1)`, at most `backoff_max`.
    fn backoff_for(&self, number: u32) -> Duration {
        let doublings = number.saturating_sub(1).min(31);
        self.backoff_base
            .saturating_mul(1 << doublings)
            .min(self.backoff_max)
    }
}

/// A catalogue code's plan: its `Retry` column, with `LIMIT_EXCEEDED` set apart.
fn by_code(code: ErrorCode, asked: Option<Duration>) -> Result<(Timing, Reason), Stop> {
    match code.retry() {
        // Both 429 codes carry retry_after; only the code tells seconds from a billing cycle.
        Retry::AfterRetryAfter if code == ErrorCode::LimitExceeded => {
            Err(Stop::QuotaExhausted { resets_in: asked })
        }
        // A RATE_LIMITED without a wait breaks the contract; back off rather than hammer.
        Retry::AfterRetryAfter => Ok(rate_limited(asked)),
        Retry::WithBackoff => Ok((
            Timing::Backoff {
                asked,
                idempotent_only: true,
            },
            Reason::ServerError,
        )),
        // `Never`, or a retry plan newer than this client (sending again on a guess could hammer).
        _ => Err(Stop::NotRetryable),
    }
}

/// The plan for a refused request (429): the wait it asked for, else a backoff for any method.
fn rate_limited(asked: Option<Duration>) -> (Timing, Reason) {
    let timing = match asked {
        Some(asked) => Timing::AsAsked(asked),
        None => Timing::Backoff {
            asked: None,
            idempotent_only: false,
        },
    };
    (timing, Reason::RateLimited)
}

/// The plan for an answer without a known code: by status class and `Retry-After`.
fn by_status(status: StatusCode, asked: Option<Duration>) -> Result<(Timing, Reason), Stop> {
    if status == StatusCode::TOO_MANY_REQUESTS {
        // A refused request was not acted on: safe to send again whatever its method.
        return Ok(rate_limited(asked));
    }
    if status.is_server_error() {
        return Ok((
            Timing::Backoff {
                asked,
                idempotent_only: true,
            },
            Reason::Unavailable,
        ));
    }
    Err(Stop::NotRetryable)
}

/// `duration * roll` for a roll in `[0, 1]`, never panicking on huge durations.
fn scale(duration: Duration, roll: f64) -> Duration {
    Duration::try_from_secs_f64(duration.as_secs_f64() * roll)
        .unwrap_or(duration)
        .min(duration)
}

/// The `Retry-After` header (RFC 9110, section 10.2.3): delay-seconds, or an HTTP-date taken
/// relative to `now` (a date in the past means no wait). An unreadable value is ignored; a
/// number too large for `u64` means "longer than any wait".
pub fn retry_after_header(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers
        .get(header_names::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(text.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}
