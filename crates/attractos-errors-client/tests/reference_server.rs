//! The client against the real reference server (and a tiny proxy-like server) over HTTP:
//! real sends, real waits. A recording middleware below the retry middleware logs every
//! request that really went out, so each test can check what was sent and when.

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attractos_errors::{ErrorCode, header_names};
use attractos_errors_client::{
    Error, Pacer, Policy, RequestInfo, Retrier, RetryBudget, RetryMiddleware, RetryNote, Stop,
    check,
};
use attractos_reference::store::{keys, sites};
use attractos_reference::{Framework, Options, Server, serve};
use http::Extensions;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const RANGE: &str = "start=2024-01-01&end=2024-01-31";
const TRACE: &str = "x-test-trace";

/// One request as it really went out, and what came back.
#[derive(Debug, Clone)]
struct Sent {
    trace: String,
    sent: Instant,
    answered: Instant,
    status: u16,
    retry_after: Option<u64>,
    request_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct Log(Arc<Mutex<Vec<Sent>>>);

impl Log {
    fn all(&self) -> Vec<Sent> {
        self.0.lock().expect("the log").clone()
    }
    fn of(&self, trace: &str) -> Vec<Sent> {
        let mut sent: Vec<_> = self
            .all()
            .into_iter()
            .filter(|s| s.trace == trace)
            .collect();
        sent.sort_by_key(|s| s.sent);
        sent
    }
}

#[async_trait::async_trait]
impl Middleware for Log {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let trace = header(request.headers(), TRACE).unwrap_or_default();
        let sent = Instant::now();
        let response = next.run(request, extensions).await?;
        let headers = response.headers();
        self.0.lock().expect("the log").push(Sent {
            trace,
            sent,
            answered: Instant::now(),
            status: response.status().as_u16(),
            retry_after: header(headers, header_names::RETRY_AFTER).and_then(|v| v.parse().ok()),
            request_id: header(headers, header_names::X_REQUEST_ID),
        });
        Ok(response)
    }
}

fn header(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// The retries a retrier's hook saw.
#[derive(Debug, Clone, Default)]
struct Notes(Arc<Mutex<Vec<RetryNote>>>);

impl Notes {
    fn hooked(&self, retrier: Retrier) -> Retrier {
        let notes = self.clone();
        retrier.on_retry(move |note| notes.0.lock().expect("the notes").push(note.clone()))
    }
    fn all(&self) -> Vec<RetryNote> {
        self.0.lock().expect("the notes").clone()
    }
}

fn reference(options: Options) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    serve(Framework::Axum, listener, options).expect("the reference server starts")
}

fn client(retrier: Retrier, log: &Log) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(RetryMiddleware::new(retrier))
        .with(log.clone())
        .build()
}

/// Fast backoff so that the failing tests spend milliseconds, not seconds.
fn quick(attempts: u32) -> Policy {
    Policy::default()
        .max_attempts(attempts)
        .backoff(Duration::from_millis(20), Duration::from_secs(1))
}

/// The stats of the site whose every request fails with a `SERVER_ERROR`.
fn broken_stats(server: &Server) -> String {
    format!(
        "{}/api/v1/sites/{}/stats?{RANGE}",
        server.url(),
        sites::BROKEN
    )
}

async fn outcome(response: reqwest_middleware::Result<reqwest::Response>) -> Result<String, Error> {
    let response = check(response.expect("an answer")).await?;
    Ok(response.text().await.expect("a body"))
}

#[tokio::test]
async fn concurrent_requests_on_a_throttled_key_all_succeed_none_sent_early() {
    let server = reference(Options::default().rate_limit(NonZeroU32::new(1).expect("1")));
    let (log, notes) = (Log::default(), Notes::default());
    let jitter = Duration::from_millis(200);
    let policy = Policy::default()
        .max_attempts(6)
        .max_wait(Duration::from_secs(5))
        .rate_limit_jitter(jitter);
    let client = client(notes.hooked(Retrier::new(policy)), &log);
    let url = format!("{}/api/v1/sites", server.url());

    let requests = (0..3).map(|n| {
        let request = client
            .get(&url)
            .bearer_auth(keys::FREE)
            .header(TRACE, n.to_string());
        async move { outcome(request.send().await).await }
    });
    for (n, result) in futures_util::future::join_all(requests)
        .await
        .into_iter()
        .enumerate()
    {
        let body = result.unwrap_or_else(|err| panic!("request {n} failed: {err}"));
        assert!(body.contains("site_demo"), "request {n}: {body}");
    }

    let refused = log.all().iter().filter(|s| s.status == 429).count();
    assert!(
        refused >= 2,
        "3 requests at once on a burst of 1: at least 2 refused, got {refused}"
    );
    for n in 0..3 {
        let sent = log.of(&n.to_string());
        for pair in sent.windows(2) {
            let asked = Duration::from_secs(pair[0].retry_after.expect("a 429 says how long"));
            let waited = pair[1].sent - pair[0].answered;
            assert!(
                waited >= asked,
                "request {n} resent after {waited:?}, asked {asked:?}"
            );
        }
        assert_eq!(
            sent.last().map(|s| s.status),
            Some(200),
            "request {n} ends in a success"
        );
    }
    for note in notes.all() {
        assert!(
            note.wait <= Duration::from_secs(1) + jitter,
            "at 1/s a wait is the 1 s asked plus at most the jitter: {note}"
        );
    }
}

#[tokio::test]
async fn a_paced_client_sends_nothing_the_rate_would_refuse_and_an_unpaced_one_does() {
    let server = reference(Options::default().rate_limit(NonZeroU32::new(1).expect("1")));
    let url = &format!("{}/api/v1/sites", server.url());
    let refused = |retrier: Retrier, requests: usize| async move {
        let log = Log::default();
        let client = client(retrier.jitter(|| 0.0), &log);
        for _ in 0..requests {
            let response = client.get(url).bearer_auth(keys::FREE).send().await;
            let body = outcome(response).await.expect("a success in the end");
            assert!(body.contains("site_demo"), "{body}");
        }
        log.all().iter().filter(|sent| sent.status == 429).count()
    };
    // A burst of 1 a second: each 200 says `"requests";r=0;t=1`.
    assert_eq!(
        refused(Retrier::default().pace(Pacer::default()), 3).await,
        0,
        "a paced client waits out t before the key's next request"
    );
    assert!(
        refused(Retrier::default(), 2).await >= 1,
        "without pacing the second request in the same second is refused"
    );
}

#[tokio::test]
async fn a_streaming_body_is_sent_once_and_paced_like_any_other() {
    let server = reference(Options::default().rate_limit(NonZeroU32::new(1).expect("1")));
    let url = &format!("{}/api/v1/events", server.url());
    let event = format!(
        r#"{{"site_id":"{}","name":"pageview","url":"https://demo.example/"}}"#,
        sites::DEMO
    );
    let event = &event;
    let two_events = |retrier: Retrier| async move {
        let log = Log::default();
        let client = client(retrier, &log);
        for _ in 0..2 {
            // A body reqwest cannot copy: the retry middleware cannot send it twice.
            let chunks = [Ok::<_, std::io::Error>(event.clone())];
            let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
            let request = client.post(url).bearer_auth(keys::FREE).body(body);
            let _ = request
                .header("content-type", "application/json")
                .send()
                .await;
        }
        log.all()
    };
    // A burst of 1 a second: the first event's answer says `"requests";r=0;t=1`.
    let paced = two_events(Retrier::default().pace(Pacer::default())).await;
    let statuses: Vec<u16> = paced.iter().map(|sent| sent.status).collect();
    assert!(statuses.iter().all(|status| *status < 300), "{statuses:?}");
    let waited = paced[1].sent - paced[0].answered;
    assert!(
        waited >= Duration::from_secs(1),
        "sent {waited:?} after the first answer"
    );

    let unpaced = two_events(Retrier::default()).await;
    let statuses: Vec<u16> = unpaced.iter().map(|sent| sent.status).collect();
    assert_eq!(
        statuses[1], 429,
        "unpaced, sent once and refused: {statuses:?}"
    );
    assert_eq!(statuses.len(), 2, "never resent: {statuses:?}");
}

#[tokio::test]
async fn a_spent_quota_comes_back_at_once_with_the_next_month_as_its_reset() {
    let server = reference(Options::default());
    let log = Log::default();
    let client = client(Retrier::default(), &log);
    let event = format!(
        r#"{{"site_id":"{}","name":"pageview","url":"https://quota.example/"}}"#,
        sites::QUOTA
    );
    let response = client
        .post(format!("{}/api/v1/events", server.url()))
        .bearer_auth(keys::QUOTA)
        .header("content-type", "application/json")
        .body(event)
        .send()
        .await;
    let err = outcome(response).await.expect_err("the quota is spent");

    assert_eq!(log.all().len(), 1, "sent once, never slept on");
    assert!(err.is_quota_exhausted());
    assert!(
        matches!(
            err.stop(),
            Some(Stop::QuotaExhausted { resets_in: Some(_) })
        ),
        "{:?}",
        err.stop()
    );
    assert!(err.retries().is_empty());
    let resets_at = OffsetDateTime::from(err.quota_resets_at().expect("the reset moment"));
    let now = OffsetDateTime::now_utc();
    let (year, month) = match now.month() {
        time::Month::December => (now.year() + 1, time::Month::January),
        month => (now.year(), month.next()),
    };
    let next_month = time::Date::from_calendar_date(year, month, 1)
        .expect("a date")
        .midnight()
        .assume_utc();
    let off = (resets_at - next_month).abs();
    assert!(
        off <= time::Duration::seconds(2),
        "resets at {resets_at}, the month starts {next_month}"
    );
}

#[tokio::test]
async fn a_broken_site_is_retried_with_growing_waits_then_surfaced_with_its_request_id() {
    let server = reference(Options::default());
    let (log, notes) = (Log::default(), Notes::default());
    let client = client(notes.hooked(Retrier::new(quick(4))), &log);
    let response = client
        .get(broken_stats(&server))
        .bearer_auth(keys::PRO)
        .send()
        .await;
    let err = outcome(response)
        .await
        .expect_err("site_broken always fails");

    let sent = log.all();
    assert_eq!(sent.len(), 4, "every attempt of the policy");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.known_code(), Some(ErrorCode::ServerError));
    assert_eq!(err.stop(), Some(Stop::AttemptsExhausted));
    assert_eq!(
        err.request_id(),
        sent[3].request_id.as_deref(),
        "the last answer's id"
    );
    assert!(err.request_id().is_some_and(|id| !id.is_empty()));
    let waits: Vec<_> = notes.all().iter().map(|n| n.wait).collect();
    assert_eq!(waits.len(), 3);
    assert!(
        waits.windows(2).all(|w| w[0] <= w[1]),
        "waits grow: {waits:?}"
    );
    for (pair, wait) in sent.windows(2).zip(&waits) {
        assert!(
            pair[1].sent - pair[0].answered >= *wait,
            "resent before its {wait:?}"
        );
    }
}

#[tokio::test]
async fn a_post_to_a_broken_site_is_resent_only_with_an_idempotency_key() {
    let server = reference(Options::default());
    let url = format!("{}/api/v1/events", server.url());
    let event = format!(
        r#"{{"site_id":"{}","name":"pageview","url":"https://broken.example/"}}"#,
        sites::BROKEN
    );
    for (idempotency_key, sends, stop) in [
        (None, 1, Stop::NotIdempotent),
        (Some("evt-1"), 3, Stop::AttemptsExhausted),
    ] {
        let log = Log::default();
        let mut request = client(Retrier::new(quick(3)), &log)
            .post(&url)
            .bearer_auth(keys::PRO)
            .header("content-type", "application/json")
            .body(event.clone());
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let err = outcome(request.send().await)
            .await
            .expect_err("SERVER_ERROR");
        assert_eq!(err.known_code(), Some(ErrorCode::ServerError));
        assert_eq!(
            log.all().len(),
            sends,
            "Idempotency-Key {idempotency_key:?}"
        );
        assert_eq!(
            err.stop(),
            Some(stop),
            "Idempotency-Key {idempotency_key:?}"
        );
    }
}

#[tokio::test]
async fn an_invalid_key_is_never_retried_and_its_answer_is_handed_back_unchanged() {
    let server = reference(Options::default());
    let url = format!("{}/api/v1/sites", server.url());
    let plain = reqwest::Client::new()
        .get(&url)
        .bearer_auth(keys::REVOKED)
        .send()
        .await
        .expect("an answer");
    let (plain_status, plain_type) = (plain.status(), plain.headers()["content-type"].clone());
    let plain_body = plain.text().await.expect("a body");

    let log = Log::default();
    let response = client(Retrier::new(quick(5)), &log)
        .get(&url)
        .bearer_auth(keys::REVOKED)
        .send()
        .await
        .expect("an answer");
    assert_eq!(log.all().len(), 1, "INVALID_KEY is never retried");
    assert_eq!(response.status(), plain_status);
    assert_eq!(response.url().as_str(), url);
    assert_eq!(response.headers()["content-type"], plain_type);
    assert_eq!(
        response
            .headers()
            .get(header_names::X_REQUEST_ID)
            .map(|v| v.to_str().ok()),
        Some(log.all()[0].request_id.as_deref())
    );
    let err = check(response).await.expect_err("401");
    assert_eq!(err.known_code(), Some(ErrorCode::InvalidKey));
    assert_eq!(err.stop(), Some(Stop::NotRetryable));
    assert_eq!(err.message(), ErrorCode::InvalidKey.message());
    assert!(
        plain_body.contains(err.message()),
        "the same body: {plain_body}"
    );
}

#[tokio::test]
async fn a_spent_budget_stops_retries_against_a_service_that_always_fails() {
    let server = reference(Options::default());
    let url = broken_stats(&server);
    let log = Log::default();
    let budget = RetryBudget::with_costs(10, 5, 10, 1);
    let client = client(Retrier::new(quick(3)).budget(budget.clone()), &log);
    let mut stops = Vec::new();
    for n in 0..3 {
        let response = client
            .get(&url)
            .bearer_auth(keys::PRO)
            .header(TRACE, n.to_string())
            .send()
            .await;
        stops.push(outcome(response).await.expect_err("always 500").stop());
    }
    let sends: Vec<_> = (0..3).map(|n| log.of(&n.to_string()).len()).collect();
    assert_eq!(
        sends,
        [3, 1, 1],
        "two retries spend the 10 tokens, then none"
    );
    assert_eq!(
        stops,
        [
            Some(Stop::AttemptsExhausted),
            Some(Stop::BudgetSpent),
            Some(Stop::BudgetSpent)
        ]
    );
    assert_eq!(budget.available(), 0);
}

#[tokio::test]
async fn the_plain_function_retries_with_any_client() {
    let server = reference(Options::default());
    let url = broken_stats(&server);
    let http = reqwest::Client::new();
    let sends = Mutex::new(0);
    let headers = http::HeaderMap::new();
    let err = Retrier::new(quick(3))
        .send(
            RequestInfo::new(&http::Method::GET, &headers),
            || {
                *sends.lock().expect("the count") += 1;
                let request = http.get(&url).bearer_auth(keys::PRO);
                async move {
                    let response = request.send().await?;
                    let mut answer = http::Response::builder().status(response.status());
                    for (name, value) in response.headers() {
                        answer = answer.header(name, value);
                    }
                    let body = response.bytes().await?;
                    Ok::<_, reqwest::Error>(answer.body(body).expect("the parts of a real answer"))
                }
            },
            tokio::time::sleep,
        )
        .await
        .expect_err("site_broken");
    assert_eq!(*sends.lock().expect("the count"), 3);
    assert_eq!(err.known_code(), Some(ErrorCode::ServerError));
    assert!(err.request_id().is_some());
    assert_eq!(err.retries().len(), 2);
}

/// A proxy-like server on a loopback port: answers each connection with the next of
/// `answers` (raw HTTP/1.1) and records when each request arrived and its answer left.
async fn proxy(
    answers: Vec<Vec<u8>>,
) -> (String, tokio::task::JoinHandle<Vec<(Instant, Instant)>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let task = tokio::spawn(async move {
        let mut times = Vec::new();
        for answer in answers {
            let (mut socket, _) = listener.accept().await.expect("a connection");
            let mut head = Vec::new();
            let mut buffer = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buffer).await.expect("the request");
                assert!(n > 0, "the client closed before its request head ended");
                head.extend_from_slice(&buffer[..n]);
            }
            let arrived = Instant::now();
            socket.write_all(&answer).await.expect("the answer");
            socket.shutdown().await.expect("close");
            times.push((arrived, Instant::now()));
        }
        times
    });
    (url, task)
}

fn raw(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut answer = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body);
    answer
}

#[tokio::test]
async fn a_proxy_html_503_with_retry_after_is_waited_for() {
    let html = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    let (url, times) = proxy(vec![
        raw(
            "503 Service Unavailable",
            "Content-Type: text/html\r\nRetry-After: 2\r\n",
            html,
        ),
        raw(
            "200 OK",
            "Content-Type: application/json\r\n",
            br#"{"sites":[]}"#,
        ),
    ])
    .await;
    let notes = Notes::default();
    let client = client(
        notes.hooked(Retrier::new(Policy::default())),
        &Log::default(),
    );
    let body = outcome(client.get(format!("{url}/api/v1/sites")).send().await)
        .await
        .expect("the second answer is a success");
    assert_eq!(body, r#"{"sites":[]}"#);
    let times = times.await.expect("the proxy");
    let waited = times[1].0 - times[0].1;
    assert!(
        waited >= Duration::from_secs(2),
        "resent after {waited:?}, asked 2 s"
    );
    assert_eq!(notes.all().len(), 1);
    assert_eq!(notes.all()[0].code, None, "not a contract answer");
}

#[tokio::test]
async fn an_error_body_over_the_limit_is_not_read_past_it_and_is_handed_back_whole() {
    let page = vec![b'x'; 100 * 1024];
    let (url, _times) = proxy(vec![raw(
        "502 Bad Gateway",
        "Content-Type: text/html\r\n",
        &page,
    )])
    .await;
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(RetryMiddleware::new(Retrier::default()).body_limit(1024))
        .build();
    let response = client
        .post(format!("{url}/api/v1/events"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 502);
    let body = response.bytes().await.expect("the whole body");
    assert_eq!(
        body.len(),
        page.len(),
        "the bytes read and the rest, in order"
    );
    assert!(body.iter().all(|&b| b == b'x'));
}
