//! The retry loop around a scripted client and a sleeper that only records: what it sends,
//! how long it waits, what the budget says, and the error it surfaces.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use attractos_errors::{Code, ErrorCode};
use attractos_errors_client::{Policy, Reason, RequestInfo, Retrier, RetryBudget, RetryNote, Stop};
use http::{HeaderMap, Method, StatusCode};

type Reply = Result<http::Response<Vec<u8>>, io::Error>;

fn answer(status: u16, body: &str) -> Reply {
    let mut response = http::Response::new(body.as_bytes().to_vec());
    *response.status_mut() = StatusCode::from_u16(status).expect("a status");
    response.headers_mut().insert(
        "x-request-id",
        format!("req-{status}").parse().expect("a value"),
    );
    Ok(response)
}

fn reset() -> Reply {
    Err(io::Error::new(
        io::ErrorKind::ConnectionReset,
        "connection reset",
    ))
}

const LIMITED: &str = r#"{"error":"m","code":"RATE_LIMITED","retry_after":1}"#;
const BROKEN: &str =
    r#"{"error":"An unexpected error occurred on the server.","code":"SERVER_ERROR"}"#;
const OK: &str = r#"{"sites":[]}"#;

type Outcome = Result<http::Response<Vec<u8>>, attractos_errors_client::Error>;

/// The outcome, the number of sends, the waits slept and the retries the hook saw.
type Run = (Outcome, usize, Vec<Duration>, Vec<RetryNote>);

/// Runs `retrier` on `method` against `script` (then 500s forever); returns the outcome, the
/// number of sends, the waits slept and the retries the hook saw.
fn run(retrier: Retrier, method: Method, script: Vec<Reply>) -> Run {
    let script = Mutex::new(VecDeque::from(script));
    let sends = Mutex::new(0);
    let slept = Mutex::new(Vec::new());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook_seen = Arc::clone(&seen);
    let retrier = retrier.on_retry(move |note| hook_seen.lock().unwrap().push(note.clone()));
    let headers = HeaderMap::new();
    let outcome = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(retrier.send(
            RequestInfo::new(&method, &headers),
            || {
                *sends.lock().unwrap() += 1;
                let reply = script
                    .lock()
                    .unwrap()
                    .pop_front()
                    .unwrap_or_else(|| answer(500, BROKEN));
                async move { reply }
            },
            |wait| {
                slept.lock().unwrap().push(wait);
                async {}
            },
        ));
    let seen = seen.lock().unwrap().clone();
    (
        outcome,
        sends.into_inner().unwrap(),
        slept.into_inner().unwrap(),
        seen,
    )
}

fn exact() -> Retrier {
    Retrier::new(Policy::default().max_attempts(4)).jitter(|| 0.0)
}

#[test]
fn a_rate_limit_is_waited_out_then_the_success_is_returned() {
    let (outcome, sends, slept, notes) = run(
        exact(),
        Method::GET,
        vec![answer(429, LIMITED), answer(429, LIMITED), answer(200, OK)],
    );
    let response = outcome.expect("the third attempt succeeds");
    assert_eq!(response.body(), OK.as_bytes());
    assert_eq!(sends, 3);
    assert_eq!(slept, [Duration::from_secs(1); 2]);
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0].attempt, 1);
    assert_eq!(notes[1].attempt, 2);
    assert_eq!(notes[0].status, Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(notes[0].code, Some(Code::Known(ErrorCode::RateLimited)));
    assert_eq!(notes[0].reason, Reason::RateLimited);
    assert_eq!(
        notes[0].to_string(),
        "attempt 1 got 429 RATE_LIMITED (rate limited): retrying in 1000 ms"
    );
}

#[test]
fn a_persistent_server_error_is_surfaced_with_its_request_id_after_growing_waits() {
    let (outcome, sends, slept, _) = run(exact(), Method::GET, vec![]);
    let err = outcome.expect_err("always 500");
    assert_eq!(sends, 4, "max_attempts");
    assert_eq!(
        slept,
        [
            Duration::from_millis(100),
            Duration::from_millis(200),
            Duration::from_millis(400)
        ]
    );
    assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(err.known_code(), Some(ErrorCode::ServerError));
    assert_eq!(err.request_id(), Some("req-500"));
    assert_eq!(err.stop(), Some(Stop::AttemptsExhausted));
    assert_eq!(err.retries().len(), 3);
    assert_eq!(
        err.to_string(),
        "500 SERVER_ERROR: An unexpected error occurred on the server. (request id req-500)"
    );
}

#[test]
fn a_post_is_not_sent_again_after_a_server_error() {
    let (outcome, sends, slept, _) = run(exact(), Method::POST, vec![]);
    assert_eq!(outcome.expect_err("500").stop(), Some(Stop::NotIdempotent));
    assert_eq!((sends, slept.len()), (1, 0));
}

#[test]
fn no_answer_is_retried_for_a_get_and_surfaced_with_its_cause() {
    let (outcome, sends, slept, notes) = run(exact(), Method::GET, vec![reset(), answer(200, OK)]);
    assert!(outcome.is_ok());
    assert_eq!((sends, slept), (2, vec![Duration::from_millis(100)]));
    assert_eq!(notes[0].status, None);
    assert_eq!(notes[0].reason, Reason::NoAnswer);

    let (outcome, sends, _, _) = run(exact(), Method::POST, vec![reset()]);
    let err = outcome.expect_err("a POST without an answer is not resent");
    assert_eq!(sends, 1);
    assert_eq!(err.status(), None);
    assert_eq!(err.code(), None);
    assert_eq!(err.stop(), Some(Stop::NotIdempotent));
    let source = std::error::Error::source(&err).expect("the transport error is the source");
    assert_eq!(source.to_string(), "connection reset");
}

#[test]
fn the_budget_stops_retries_across_requests_and_a_success_refunds_its_retry() {
    let budget = RetryBudget::with_costs(10, 5, 10, 1);
    let retrier = exact().budget(budget.clone());
    let (outcome, sends, _, _) = run(retrier.clone(), Method::GET, vec![]);
    assert_eq!(outcome.expect_err("500s").stop(), Some(Stop::BudgetSpent));
    assert_eq!(sends, 3, "two retries of 5 tokens empty a bucket of 10");
    assert_eq!(budget.available(), 0);
    let (outcome, sends, _, _) = run(retrier.clone(), Method::GET, vec![]);
    assert_eq!(outcome.expect_err("500s").stop(), Some(Stop::BudgetSpent));
    assert_eq!(sends, 1, "an empty bucket: the first failure is final");

    let budget = RetryBudget::with_costs(10, 5, 10, 1);
    let retrier = exact().budget(budget.clone());
    let (outcome, _, _, _) = run(
        retrier,
        Method::GET,
        vec![answer(500, BROKEN), answer(200, OK)],
    );
    assert!(outcome.is_ok());
    assert_eq!(
        budget.available(),
        10,
        "the retry that succeeded gave its 5 tokens back"
    );
}

#[test]
fn quota_and_never_retry_answers_end_the_loop_at_once() {
    let quota = r#"{"error":"m","code":"LIMIT_EXCEEDED","retry_after":3600}"#;
    let (outcome, sends, slept, _) = run(exact(), Method::POST, vec![answer(429, quota)]);
    let err = outcome.expect_err("quota");
    assert_eq!((sends, slept.len()), (1, 0));
    assert!(err.is_quota_exhausted());
    assert_eq!(err.message(), "m");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(
        err.stop(),
        Some(Stop::QuotaExhausted {
            resets_in: Some(Duration::from_secs(3600))
        })
    );
    assert!(err.quota_resets_at().is_some());

    let invalid = r#"{"error":"m","code":"INVALID_KEY"}"#;
    let (outcome, sends, _, _) = run(exact(), Method::GET, vec![answer(401, invalid)]);
    let err = outcome.expect_err("401");
    assert_eq!(sends, 1);
    assert_eq!(err.stop(), Some(Stop::NotRetryable));
    assert!(!err.is_quota_exhausted());
    assert_eq!(err.quota_resets_at(), None);
}

#[test]
fn the_default_jitter_spreads_rate_limit_waits_over_the_second_after_the_asked_one() {
    let (asked, jitter) = (Duration::from_secs(1), Duration::from_millis(500));
    let policy = Policy::default().max_attempts(4).rate_limit_jitter(jitter);
    let limited = || (0..3).map(|_| answer(429, LIMITED)).collect();
    let waits: Vec<Duration> = (0..4)
        .flat_map(|_| run(Retrier::new(policy), Method::GET, limited()).2)
        .collect();
    assert_eq!(waits.len(), 12, "three retries a run");
    assert!(
        waits
            .iter()
            .all(|wait| (asked..=asked + jitter).contains(wait)),
        "each wait is the asked second plus up to the jitter: {waits:?}"
    );
    let mut distinct = waits.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), waits.len(), "random rolls: {waits:?}");
}

#[test]
fn a_retrier_keeps_its_policy_and_shares_its_budget() {
    let policy = Policy::default().max_attempts(2);
    let budget = RetryBudget::new(10);
    let retrier = Retrier::new(policy).budget(budget.clone());
    assert_eq!(retrier.policy(), &policy);
    let _spent = budget.try_spend_retry(false).expect("a full budget");
    assert_eq!(retrier.retry_budget().available(), budget.available());
    assert!(budget.available() < 10);
    let shown = format!("{retrier:?}");
    assert!(
        shown.starts_with("Retrier {") && shown.contains("max_attempts: 2"),
        "{shown}"
    );
}
