//! Invariants of the decision over any answer, request, attempt, roll and policy.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use attractos_errors::{ErrorCode, Retry};
use attractos_errors_client::{Answer, Attempt, Decision, Policy, Reply, RequestInfo, Stop};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use proptest::prelude::*;

/// What the body of a generated answer is.
#[derive(Debug, Clone)]
enum Body {
    Contract {
        code: ErrorCode,
        retry_after: Option<u64>,
    },
    UnknownCode(u16),
    Bytes(Vec<u8>),
}

impl Body {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Contract { code, retry_after } => {
                let mut text = format!(r#"{{"error":"m","code":"{code}""#);
                if let Some(n) = retry_after {
                    text.push_str(&format!(r#","retry_after":{n}"#));
                }
                text.push('}');
                text.into_bytes()
            }
            Body::UnknownCode(n) => format!(r#"{{"error":"m","code":"NEW_{n}"}}"#).into_bytes(),
            Body::Bytes(bytes) => bytes.clone(),
        }
    }

    fn code(&self) -> Option<ErrorCode> {
        match self {
            Body::Contract { code, .. } => Some(*code),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Exchange {
    method: Method,
    idempotency_key: bool,
    status: u16,
    body: Body,
    retry_after_header: Option<u64>,
    attempt: u32,
    roll: f64,
    policy: Policy,
}

impl Exchange {
    fn decide(&self) -> Decision {
        let mut request = HeaderMap::new();
        if self.idempotency_key {
            request.insert("idempotency-key", HeaderValue::from_static("k"));
        }
        let mut headers = HeaderMap::new();
        if let Some(n) = self.retry_after_header {
            headers.insert("retry-after", HeaderValue::from(n));
        }
        let body = self.body.bytes();
        let status = StatusCode::from_u16(self.status).expect("a valid status");
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        self.policy.decide(
            &RequestInfo::new(&self.method, &request),
            &Reply::Answer(Answer::new(status, &headers, &body)),
            &Attempt::new(self.attempt, now).with_roll(self.roll),
        )
    }

    /// What the server asked to wait: the body's `retry_after` (on a contract body) and the
    /// header, the larger.
    fn asked(&self) -> Duration {
        let from_body = match self.body {
            Body::Contract { retry_after, .. } => retry_after.unwrap_or(0),
            _ => 0,
        };
        Duration::from_secs(from_body.max(self.retry_after_header.unwrap_or(0)))
    }

    fn is_idempotent(&self) -> bool {
        self.idempotency_key || self.method.is_idempotent()
    }
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        3 => (
            proptest::sample::select(ErrorCode::ALL),
            proptest::option::of(0u64..1_000_000),
        )
            .prop_map(|(code, retry_after)| Body::Contract { code, retry_after }),
        1 => any::<u16>().prop_map(Body::UnknownCode),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Body::Bytes),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        0u32..6,
        0u64..120_000,
        0u64..2_000,
        0u64..30_000,
        0u64..2_000,
    )
        .prop_map(|(attempts, max_wait, base, max, jitter)| {
            Policy::default()
                .max_attempts(attempts)
                .max_wait(Duration::from_millis(max_wait))
                .backoff(Duration::from_millis(base), Duration::from_millis(max))
                .rate_limit_jitter(Duration::from_millis(jitter))
        })
}

fn exchange() -> impl Strategy<Value = Exchange> {
    let method = proptest::sample::select(vec![
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::POST,
        Method::PATCH,
        Method::OPTIONS,
    ]);
    (
        method,
        any::<bool>(),
        prop_oneof![4 => 400u16..600, 1 => 100u16..400],
        body(),
        proptest::option::of(0u64..200),
        1u32..8,
        0.0f64..=1.0,
        policy(),
    )
        .prop_map(
            |(method, idempotency_key, status, body, retry_after_header, attempt, roll, policy)| {
                Exchange {
                    method,
                    idempotency_key,
                    status,
                    body,
                    retry_after_header,
                    attempt,
                    roll,
                    policy,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_never_retry_code_is_never_retried(exchange in exchange()) {
        let decision = exchange.decide();
        if let Some(code) = exchange.body.code().filter(|c| c.retry() == Retry::Never) {
            if exchange.status >= 400 {
                prop_assert_eq!(
                    decision,
                    Decision::Stop(Stop::NotRetryable),
                    "{} must surface at once: {:?}", code, exchange
                );
            }
        }
    }

    #[test]
    fn a_retry_never_comes_before_the_server_asked(exchange in exchange()) {
        if let Decision::Retry { wait, .. } = exchange.decide() {
            prop_assert!(
                wait >= exchange.asked(),
                "waits {:?}, server asked {:?}: {:?}", wait, exchange.asked(), exchange
            );
        }
    }

    #[test]
    fn a_wait_never_exceeds_the_longest_wait(exchange in exchange()) {
        if let Decision::Retry { wait, .. } = exchange.decide() {
            prop_assert!(
                wait <= exchange.policy.longest_wait(),
                "waits {:?} over the cap {:?}: {:?}", wait, exchange.policy.longest_wait(), exchange
            );
        }
    }

    #[test]
    fn a_non_idempotent_request_is_never_retried_on_server_error(exchange in exchange()) {
        let server_error = exchange.body.code() == Some(ErrorCode::ServerError);
        if server_error && exchange.status >= 400 && !exchange.is_idempotent() {
            prop_assert_eq!(
                exchange.decide(),
                Decision::Stop(Stop::NotIdempotent),
                "a {} may have taken effect: {:?}", exchange.method, exchange
            );
        }
    }

    #[test]
    fn a_spent_quota_is_never_slept_on(exchange in exchange()) {
        if exchange.body.code() == Some(ErrorCode::LimitExceeded) && exchange.status >= 400 {
            let decision = exchange.decide();
            prop_assert!(
                matches!(decision, Decision::Stop(Stop::QuotaExhausted { .. })),
                "LIMIT_EXCEEDED decided {:?}: {:?}", decision, exchange
            );
        }
    }

    #[test]
    fn no_retry_past_the_last_attempt(exchange in exchange()) {
        if exchange.attempt >= exchange.policy.attempts() {
            let decision = exchange.decide();
            prop_assert!(
                !matches!(decision, Decision::Retry { .. }),
                "attempt {} of {} retried: {:?}", exchange.attempt, exchange.policy.attempts(), exchange
            );
        }
    }

    #[test]
    fn any_bytes_any_status_any_headers_decide_without_panicking(
        status in 100u16..1000,
        body in proptest::collection::vec(any::<u8>(), 0..256),
        retry_after in proptest::collection::vec(any::<u8>(), 0..40),
        attempt in any::<u32>(),
        roll in any::<f64>(),
    ) {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(&retry_after) {
            headers.insert("retry-after", value);
        }
        let now = SystemTime::now();
        let decision = Policy::default().decide(
            &RequestInfo::new(&Method::GET, &HeaderMap::new()),
            &Reply::Answer(Answer::new(StatusCode::from_u16(status).expect("100..1000"), &headers, &body)),
            &Attempt::new(attempt, now).with_roll(roll),
        );
        if status < 400 {
            prop_assert_eq!(decision, Decision::Accept, "{} is not an error", status);
        }
    }
}
