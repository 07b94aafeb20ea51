//! The decision, answer by answer: exact waits, caps and attempt limits, so that a changed
//! boundary fails a test. Default policy: 3 attempts, longest wait 60 s, backoff 200 ms
//! doubling to 20 s (a wait drawn between half of it and all of it), rate-limit jitter 1 s.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use attractos_errors::{ErrorCode, Retry};
use attractos_errors_client::{
    Answer, Attempt, Decision, Policy, Reason, Reply, RequestInfo, Stop, retry_after_header,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

const NOW_SECS: u64 = 1_700_000_000;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// One answer to decide on, built up from the defaults: a GET, attempt 1, roll 0.
struct Case {
    policy: Policy,
    method: Method,
    request: HeaderMap,
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    attempt: u32,
    roll: f64,
}

fn answer(status: u16, body: &str) -> Case {
    Case {
        policy: Policy::default(),
        method: Method::GET,
        request: HeaderMap::new(),
        status,
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
        attempt: 1,
        roll: 0.0,
    }
}

fn contract(code: &str, retry_after: Option<u64>) -> String {
    match retry_after {
        Some(n) => format!(r#"{{"error":"m","code":"{code}","retry_after":{n}}}"#),
        None => format!(r#"{{"error":"m","code":"{code}"}}"#),
    }
}

/// A contract `RATE_LIMITED` answer whose body asks to wait `retry_after` seconds.
fn rate_limited(retry_after: u64) -> Case {
    answer(429, &contract("RATE_LIMITED", Some(retry_after)))
}

/// A contract `SERVER_ERROR` answer.
fn server_error() -> Case {
    answer(500, &contract("SERVER_ERROR", None))
}

impl Case {
    fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
    fn idempotency_key(mut self) -> Self {
        self.request
            .insert("idempotency-key", HeaderValue::from_static("k-1"));
        self
    }
    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers
            .insert(name, HeaderValue::from_str(value).expect("a header value"));
        self
    }
    fn attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }
    fn roll(mut self, roll: f64) -> Self {
        self.roll = roll;
        self
    }
    fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
    fn decide(&self) -> Decision {
        let status = StatusCode::from_u16(self.status).expect("a status");
        let reply = Reply::Answer(Answer::new(status, &self.headers, &self.body));
        self.decide_reply(&reply)
    }
    fn decide_no_answer(&self) -> Decision {
        self.decide_reply(&Reply::NoAnswer)
    }
    fn decide_reply(&self, reply: &Reply<'_>) -> Decision {
        let attempt = Attempt::new(self.attempt, now()).with_roll(self.roll);
        self.policy.decide(
            &RequestInfo::new(&self.method, &self.request),
            reply,
            &attempt,
        )
    }
}

fn retry(wait: Duration, reason: Reason) -> Decision {
    Decision::Retry { wait, reason }
}

#[test]
fn answers_below_400_are_accepted_whatever_their_body() {
    for status in [200, 201, 202, 204, 301, 304] {
        let body = contract("SERVER_ERROR", None);
        assert_eq!(answer(status, &body).decide(), Decision::Accept, "{status}");
    }
}

#[test]
fn never_retry_codes_stop_for_every_method_even_with_an_idempotency_key() {
    let never: Vec<_> = ErrorCode::ALL
        .iter()
        .filter(|code| code.retry() == Retry::Never)
        .collect();
    assert_eq!(
        never.len(),
        11,
        "every code but the two 429s and SERVER_ERROR"
    );
    for code in never {
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            let case = answer(code.status().as_u16(), &contract(code.as_str(), None))
                .method(method.clone())
                .idempotency_key();
            assert_eq!(
                case.decide(),
                Decision::Stop(Stop::NotRetryable),
                "{code} on {method}"
            );
        }
    }
}

#[test]
fn rate_limited_waits_the_larger_of_the_body_and_the_header() {
    let header_larger = rate_limited(3).header("retry-after", "5");
    assert_eq!(header_larger.decide(), retry(secs(5), Reason::RateLimited));
    let body_larger = rate_limited(7).header("retry-after", "2");
    assert_eq!(body_larger.decide(), retry(secs(7), Reason::RateLimited));
    let body_only = rate_limited(1);
    assert_eq!(body_only.decide(), retry(secs(1), Reason::RateLimited));
}

#[test]
fn rate_limited_adds_up_to_the_configured_jitter() {
    let waited = |roll, policy| rate_limited(2).roll(roll).policy(policy).decide();
    let default = Policy::default();
    assert_eq!(waited(1.0, default), retry(secs(3), Reason::RateLimited));
    assert_eq!(waited(0.25, default), retry(ms(2250), Reason::RateLimited));
    let policy = Policy::default().rate_limit_jitter(ms(100));
    assert_eq!(waited(0.5, policy), retry(ms(2050), Reason::RateLimited));
}

#[test]
fn a_rate_limit_wait_is_capped_and_past_the_cap_it_gives_up() {
    assert_eq!(
        rate_limited(60).roll(1.0).decide(),
        retry(secs(60), Reason::RateLimited),
        "the jitter never takes the wait past the longest wait"
    );
    assert_eq!(
        rate_limited(61).decide(),
        Decision::Stop(Stop::WaitTooLong { asked: secs(61) })
    );
    let policy = Policy::default().max_wait(secs(5));
    let header_over = rate_limited(1).header("retry-after", "6").policy(policy);
    assert_eq!(
        header_over.decide(),
        Decision::Stop(Stop::WaitTooLong { asked: secs(6) })
    );
}

#[test]
fn a_rate_limited_post_is_retried_because_it_was_refused_not_run() {
    assert_eq!(
        rate_limited(1).method(Method::POST).decide(),
        retry(secs(1), Reason::RateLimited)
    );
}

#[test]
fn attempts_are_limited_for_every_kind_of_retry() {
    let exhausted = Decision::Stop(Stop::AttemptsExhausted);
    let second = rate_limited(1).attempt(2).decide();
    assert_eq!(second, retry(secs(1), Reason::RateLimited));
    assert_eq!(rate_limited(1).attempt(3).decide(), exhausted);
    assert_eq!(server_error().attempt(3).decide(), exhausted);
    let once = Policy::default().max_attempts(0);
    assert_eq!(once.attempts(), 1, "at least the first send");
    assert_eq!(server_error().policy(once).decide(), exhausted);
}

#[test]
fn limit_exceeded_never_waits_and_says_when_the_quota_resets() {
    let body = contract("LIMIT_EXCEEDED", Some(86_400));
    let quota = |resets_in| Decision::Stop(Stop::QuotaExhausted { resets_in });
    assert_eq!(answer(429, &body).decide(), quota(Some(secs(86_400))));
    assert_eq!(
        answer(429, &body)
            .method(Method::POST)
            .header("retry-after", "90000")
            .decide(),
        quota(Some(secs(90_000))),
        "the later of the two"
    );
    let short = contract("LIMIT_EXCEEDED", Some(1));
    assert_eq!(
        answer(429, &short).decide(),
        quota(Some(secs(1))),
        "even a second is not slept"
    );
    let silent = r#"{"error":"m","code":"LIMIT_EXCEEDED"}"#;
    assert_eq!(answer(429, silent).decide(), quota(None));
}

#[test]
fn server_error_backs_off_exponentially_between_half_and_all_of_the_backoff() {
    let policy = Policy::default().max_attempts(10);
    let wait = |attempt, roll| match server_error()
        .policy(policy)
        .attempt(attempt)
        .roll(roll)
        .decide()
    {
        Decision::Retry { wait, reason } => {
            assert_eq!(reason, Reason::ServerError);
            wait
        }
        other => panic!("attempt {attempt} should be retried, got {other:?}"),
    };
    assert_eq!(wait(1, 0.0), ms(100));
    assert_eq!(wait(1, 0.5), ms(150));
    assert_eq!(wait(1, 1.0), ms(200));
    assert_eq!(wait(2, 0.0), ms(200));
    assert_eq!(wait(2, 1.0), ms(400));
    assert_eq!(wait(3, 1.0), ms(800));
    // 200 ms * 2^7 = 25.6 s, over the 20 s backoff cap.
    assert_eq!(wait(8, 1.0), secs(20));
    assert_eq!(wait(8, 0.0), secs(10));
    assert_eq!(wait(9, 1.0), secs(20));
}

#[test]
fn server_error_is_retried_only_for_idempotent_requests() {
    for method in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE] {
        assert_eq!(
            server_error().method(method.clone()).decide(),
            retry(ms(100), Reason::ServerError),
            "{method}"
        );
    }
    for method in [Method::POST, Method::PATCH] {
        assert_eq!(
            server_error().method(method.clone()).decide(),
            Decision::Stop(Stop::NotIdempotent),
            "{method}"
        );
        assert_eq!(
            server_error()
                .method(method.clone())
                .idempotency_key()
                .decide(),
            retry(ms(100), Reason::ServerError),
            "{method} with an Idempotency-Key"
        );
    }
    assert_eq!(
        server_error().method(Method::POST).attempt(3).decide(),
        Decision::Stop(Stop::NotIdempotent),
        "the reason that matters most is given first"
    );
}

#[test]
fn a_retry_after_on_a_server_error_is_a_floor_for_the_backoff() {
    assert_eq!(
        server_error().header("retry-after", "5").roll(1.0).decide(),
        retry(secs(5), Reason::ServerError)
    );
    assert_eq!(
        server_error().header("retry-after", "61").decide(),
        Decision::Stop(Stop::WaitTooLong { asked: secs(61) })
    );
}

#[test]
fn the_code_decides_not_the_status() {
    let broken = contract("SERVER_ERROR", None);
    assert_eq!(
        answer(503, &broken).decide(),
        retry(ms(100), Reason::ServerError)
    );
    let invalid_key = contract("INVALID_KEY", None);
    assert_eq!(
        answer(500, &invalid_key).decide(),
        Decision::Stop(Stop::NotRetryable)
    );
}

#[test]
fn a_proxy_html_503_with_retry_after_is_waited_for() {
    let html = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    for roll in [0.0, 1.0] {
        assert_eq!(
            answer(503, html)
                .header("retry-after", "2")
                .roll(roll)
                .decide(),
            retry(secs(2), Reason::Unavailable),
            "the backoff (at most 200 ms) is below the 2 s asked"
        );
    }
}

#[test]
fn non_contract_5xx_answers_back_off_for_idempotent_requests() {
    for status in [500, 502, 503, 504] {
        assert_eq!(
            answer(status, "").decide(),
            retry(ms(100), Reason::Unavailable),
            "{status} with an empty body"
        );
        assert_eq!(
            answer(status, "Bad Gateway").method(Method::POST).decide(),
            Decision::Stop(Stop::NotIdempotent),
            "{status} on a POST"
        );
    }
    let unknown = contract("DATABASE_ON_FIRE", None);
    assert_eq!(
        answer(503, &unknown).decide(),
        retry(ms(100), Reason::Unavailable),
        "a code this build does not know"
    );
}

#[test]
fn non_contract_4xx_answers_are_not_retried() {
    for status in [400, 401, 403, 404, 405, 409, 413, 418, 422] {
        assert_eq!(
            answer(status, "<html>nope</html>").decide(),
            Decision::Stop(Stop::NotRetryable),
            "{status}"
        );
        let unknown = contract("NEW_CLIENT_CODE", None);
        assert_eq!(
            answer(status, &unknown).decide(),
            Decision::Stop(Stop::NotRetryable),
            "{status} with an unknown code"
        );
    }
}

#[test]
fn a_429_without_a_contract_code_waits_its_retry_after_or_backs_off() {
    let unknown = contract("REQUESTS_THROTTLED", Some(4));
    assert_eq!(
        answer(429, &unknown).method(Method::POST).decide(),
        retry(secs(4), Reason::RateLimited)
    );
    assert_eq!(
        answer(429, "Too Many Requests")
            .header("retry-after", "3")
            .decide(),
        retry(secs(3), Reason::RateLimited)
    );
    assert_eq!(
        answer(429, "").method(Method::POST).decide(),
        retry(ms(100), Reason::RateLimited),
        "refused, so safe to resend; no wait given, so backoff"
    );
    let silent = r#"{"error":"m","code":"RATE_LIMITED"}"#;
    assert_eq!(
        answer(429, silent).decide(),
        retry(ms(100), Reason::RateLimited),
        "a RATE_LIMITED without a wait backs off instead of hammering"
    );
}

#[test]
fn no_answer_is_retried_only_for_idempotent_requests() {
    assert_eq!(
        answer(200, "").decide_no_answer(),
        retry(ms(100), Reason::NoAnswer)
    );
    assert_eq!(
        answer(200, "").method(Method::POST).decide_no_answer(),
        Decision::Stop(Stop::NotIdempotent)
    );
    assert_eq!(
        answer(200, "")
            .method(Method::POST)
            .idempotency_key()
            .decide_no_answer(),
        retry(ms(100), Reason::NoAnswer)
    );
}

#[test]
fn retry_after_is_read_as_seconds_or_as_an_http_date() {
    let header = |value: &str| {
        let mut headers = HeaderMap::new();
        headers.insert(
            "retry-after",
            HeaderValue::from_str(value).expect("a value"),
        );
        retry_after_header(&headers, now())
    };
    assert_eq!(header("7"), Some(secs(7)));
    assert_eq!(header(" 0 "), Some(secs(0)));
    assert_eq!(header("99999999999999999999999"), Some(secs(u64::MAX)));
    let in_30s = httpdate::fmt_http_date(now() + secs(30));
    assert_eq!(header(&in_30s), Some(secs(30)));
    let past = httpdate::fmt_http_date(now() - secs(30));
    assert_eq!(header(&past), Some(Duration::ZERO), "a past date means now");
    for junk in ["", "soon", "-1", "1.5", "0x10"] {
        assert_eq!(header(junk), None, "{junk:?} is ignored");
    }
    assert_eq!(retry_after_header(&HeaderMap::new(), now()), None);
}

#[test]
fn absurd_waits_give_up_instead_of_panicking() {
    assert_eq!(
        rate_limited(u64::MAX).roll(1.0).decide(),
        Decision::Stop(Stop::WaitTooLong {
            asked: secs(u64::MAX)
        })
    );
    let huge = Policy::default()
        .max_wait(Duration::MAX)
        .rate_limit_jitter(Duration::MAX)
        .backoff(Duration::MAX, Duration::MAX)
        .max_attempts(u32::MAX);
    let decision = rate_limited(u64::MAX).roll(1.0).policy(huge).decide();
    assert_eq!(decision, retry(Duration::MAX, Reason::RateLimited));
    let decision = server_error()
        .policy(huge)
        .attempt(u32::MAX - 1)
        .roll(f64::NAN)
        .decide();
    assert!(matches!(decision, Decision::Retry { .. }), "{decision:?}");
}

#[test]
fn a_configured_backoff_replaces_both_the_base_and_the_cap() {
    let policy = Policy::default().backoff(ms(10), ms(50)).max_attempts(10);
    let wait = |attempt| {
        server_error()
            .policy(policy)
            .attempt(attempt)
            .roll(1.0)
            .decide()
    };
    assert_eq!(wait(1), retry(ms(10), Reason::ServerError));
    assert_eq!(wait(3), retry(ms(40), Reason::ServerError));
    assert_eq!(
        wait(4),
        retry(ms(50), Reason::ServerError),
        "80 ms capped at 50 ms"
    );
}

#[test]
fn an_attempt_knows_its_number() {
    assert_eq!(Attempt::first(now()).number(), 1);
    assert_eq!(Attempt::new(7, now()).with_roll(0.3).number(), 7);
}

#[test]
fn reasons_and_stops_read_as_phrases_for_logs() {
    let reasons = [
        Reason::RateLimited,
        Reason::ServerError,
        Reason::Unavailable,
        Reason::NoAnswer,
    ];
    let phrases: Vec<_> = reasons.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        phrases,
        [
            "rate limited",
            "server error",
            "service unavailable",
            "transport failure"
        ]
    );
    let stops = [
        Stop::NotRetryable,
        Stop::QuotaExhausted { resets_in: None },
        Stop::WaitTooLong { asked: secs(1) },
        Stop::NotIdempotent,
        Stop::AttemptsExhausted,
        Stop::BudgetSpent,
    ];
    let phrases: Vec<_> = stops.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        phrases,
        [
            "not retryable",
            "quota exhausted",
            "asked to wait longer than the longest wait",
            "not idempotent",
            "attempts exhausted",
            "retry budget spent",
        ]
    );
}
