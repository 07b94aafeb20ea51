//! The checker against services that misbehave at the HTTP level, each a few lines of raw TCP
//! on 127.0.0.1: whatever the service does, a run ends in bounded time and memory, nothing
//! panics, and the finding says what the service did.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use attractos_contract::case;
use attractos_contract::fixtures::Fixtures;
use attractos_contract::report;
use attractos_contract::rule::Level;
use attractos_contract::run::{self, GIVE_UP_AFTER, Report, Suite};
use attractos_contract::target::HttpTarget;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Each request's limit here: short, so a service that never answers costs little.
const TIMEOUT: Duration = Duration::from_millis(300);

/// The longest any run below may take before the test fails instead of hanging: far beyond
/// what a bounded run needs, far below a run that waits out every case.
const RUN_BOUND: Duration = Duration::from_secs(8);

/// A service on an ephemeral loopback port that reads each request's head and hands the
/// connection, with its number (0 for the first), to `answer`. It stops with the test's
/// runtime.
async fn serve<F, Fut>(answer: F) -> String
where
    F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("an ephemeral port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let answer = Arc::new(answer);
    let connections = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = Arc::clone(&answer);
            let number = connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                read_head(&mut stream).await;
                answer(stream, number).await;
            });
        }
    });
    url
}

/// Reads up to the end of a request head (the cases sent here carry no body).
async fn read_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buffer = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
}

/// A service that answers every request with `bytes`, then closes the connection.
async fn answering(bytes: Vec<u8>) -> String {
    let bytes = Arc::new(bytes);
    serve(move |mut stream, _| {
        let bytes = Arc::clone(&bytes);
        async move {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
    })
    .await
}

/// A service that sends `head`, then `piece` after `piece` every `pause` until the checker
/// closes the connection, which it reports on the returned channel.
async fn streaming(
    head: &'static str,
    piece: &'static [u8],
    pause: Duration,
) -> (String, mpsc::UnboundedReceiver<()>) {
    let (closed, closes) = mpsc::unbounded_channel();
    let url = serve(move |mut stream, _| {
        let closed = closed.clone();
        async move {
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            while stream.write_all(piece).await.is_ok() {
                tokio::time::sleep(pause).await;
            }
            let _ = closed.send(());
        }
    })
    .await;
    (url, closes)
}

/// Holds `stream` open without a word until the test ends.
async fn hold(stream: TcpStream) {
    std::future::pending::<()>().await;
    drop(stream);
}

/// Runs the cases whose name contains `filter` against `url`, with [`TIMEOUT`] per request.
async fn check(url: &str, filter: &str) -> Report {
    let target = HttpTarget::new(url)
        .expect("a valid URL")
        .with_timeout(TIMEOUT);
    let suite = Suite::new(Fixtures::reference()).only(filter);
    tokio::time::timeout(RUN_BOUND, run::run(&target, &suite, |_| {}))
        .await
        .expect("the run ends in bounded time")
}

/// The reasons `sites-ok` (`GET /api/v1/sites`, expecting a 200) failed with.
async fn sites_ok_fails_with(url: &str) -> String {
    let report = check(url, "sites-ok").await;
    let outcome = &report.outcomes[0];
    assert!(outcome.verdict.is_fail(), "{}", outcome.verdict);
    outcome.verdict.reasons().join("\n")
}

/// Waits for the service to see its connection closed by the checker.
async fn closed_by_the_checker(closes: &mut mpsc::UnboundedReceiver<()>) {
    tokio::time::timeout(RUN_BOUND, closes.recv())
        .await
        .expect("the checker closes the connection")
        .expect("the service reports it");
}

// 1. Silence.

#[tokio::test]
async fn a_service_that_accepts_and_never_answers_stops_the_run_after_its_first_cases() {
    let url = serve(|stream, _| hold(stream)).await;
    let report = check(&url, "").await;
    assert_eq!(
        report.outcomes.len(),
        GIVE_UP_AFTER,
        "{}",
        report::table(&report)
    );
    assert!(report.outcomes.iter().all(|o| o.got == "no response"));
    let stopped = report.stopped.as_ref().expect("the run stopped");
    assert_eq!(stopped.not_run, case::fixed().len() - GIVE_UP_AFTER);
    assert_eq!(
        stopped.reason,
        "the first 3 cases sent got no response: the service is unreachable or gives no answer \
         the checker can read"
    );
    assert!(!report.ok());
    let [group] = report.findings_by_rule.as_slice() else {
        panic!("one rule, said once: {:?}", report.findings_by_rule)
    };
    assert_eq!(
        (group.rule, group.cases, group.first_message.as_str()),
        ("answered", 3, "no response: nothing came within 300ms")
    );
}

#[tokio::test]
async fn a_refused_connection_is_said_once_in_the_table() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    drop(listener); // nothing listens there any more
    let report = check(&url, "").await;
    let table = report::table(&report);
    let not_run = case::fixed().len() - GIVE_UP_AFTER;
    let stop = format!(
        "the run stopped: the first 3 cases sent got no response: the service is unreachable \
         or gives no answer the checker can read; {not_run} cases were not run"
    );
    assert_eq!(table.matches(&stop).count(), 1, "{table}");
    assert_eq!(table.matches("Connection refused").count(), 1, "{table}");
    assert!(
        table.ends_with(&format!("{url}: 0 passed, 3 failed, {not_run} not run\n")),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_str(&report::json(
        std::slice::from_ref(&report),
        Level::default(),
    ))
    .expect("one JSON document");
    assert_eq!(json["ok"], false);
    assert_eq!(json["targets"][0]["stopped"]["not_run"], not_run);
    let junit = report::junit(std::slice::from_ref(&report), Level::default());
    assert!(
        junit.contains(&format!(
            "    <system-err>{stop}</system-err>\n  </testsuite>"
        )),
        "{junit}"
    );
}

#[tokio::test]
async fn once_a_service_has_answered_every_case_runs_even_if_it_then_goes_silent() {
    let url = serve(|mut stream, number| async move {
        if number == 0 {
            let _ = stream.write_all(NOT_JSON_401).await;
        } else {
            hold(stream).await;
        }
    })
    .await;
    // missing-key answered, then five silences: more than GIVE_UP_AFTER in a row.
    let report = check(&url, "key").await;
    assert_eq!(report.stopped, None, "{}", report::table(&report));
    let silent: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.got == "no response")
        .map(|o| o.case.as_str())
        .collect();
    assert_eq!(
        silent,
        [
            "missing-key-request-id-echo",
            "invalid-key-unknown",
            "invalid-key-scheme",
            "invalid-key-empty",
            "invalid-key-revoked"
        ]
    );
}

// 2. A body that drips or never ends.

#[tokio::test]
async fn a_body_dripping_a_byte_at_a_time_is_cut_at_the_time_limit() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    let (url, mut closes) = streaming(head, b"[", Duration::from_millis(40)).await;
    let why = sites_ok_fails_with(&url).await;
    assert!(
        why.starts_with("no response: a 200 whose body did not end within 300ms (")
            && why.ends_with(" bytes came)"),
        "{why}"
    );
    closed_by_the_checker(&mut closes).await;
}

#[tokio::test]
async fn a_head_whose_body_never_comes_is_cut_at_the_time_limit() {
    let url = serve(|mut stream, _| async move {
        let head = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 80\r\n\r\n";
        let _ = stream.write_all(head.as_bytes()).await;
        hold(stream).await;
    })
    .await;
    let why = sites_ok_fails_with(&url).await;
    assert_eq!(
        why,
        "no response: a 401 whose body did not end within 300ms (0 bytes came)"
    );
}

// 3. Endless or huge bodies: read up to the cap, never more.

const OVER_THE_CAP: &str = "no response: a 200 whose body ran past the most the checker reads \
                            (HttpTarget::MAX_BODY_BYTES, 1 MiB); it stopped reading there";

#[tokio::test]
async fn an_endless_body_is_read_up_to_the_cap_only() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
    let (url, mut closes) = streaming(head, &[b' '; 64 * 1024], Duration::ZERO).await;
    assert_eq!(sites_ok_fails_with(&url).await, OVER_THE_CAP);
    closed_by_the_checker(&mut closes).await;
}

#[tokio::test]
async fn an_endless_chunked_body_is_read_up_to_the_cap_only() {
    const CHUNK: &[u8] = &{
        // "4000\r\n" + 16 KiB of spaces + "\r\n": one 16 KiB chunk, sent forever.
        let mut chunk = [b' '; 6 + 0x4000 + 2];
        let size = *b"4000\r\n";
        let mut i = 0;
        while i < size.len() {
            chunk[i] = size[i];
            i += 1;
        }
        chunk[6 + 0x4000] = b'\r';
        chunk[6 + 0x4000 + 1] = b'\n';
        chunk
    };
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    let (url, mut closes) = streaming(head, CHUNK, Duration::ZERO).await;
    assert_eq!(sites_ok_fails_with(&url).await, OVER_THE_CAP);
    closed_by_the_checker(&mut closes).await;
}

#[tokio::test]
async fn a_content_length_over_the_cap_is_not_read_at_all() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                Content-Length: 10737418240\r\n\r\n";
    let (url, mut closes) = streaming(head, &[b' '; 64 * 1024], Duration::ZERO).await;
    assert_eq!(
        sites_ok_fails_with(&url).await,
        "no response: a 200 whose Content-Length, 10737418240 bytes, is over the most the \
         checker reads (HttpTarget::MAX_BODY_BYTES, 1 MiB); not read"
    );
    closed_by_the_checker(&mut closes).await;
}

/// A 200 with a JSON content type and a body of `len` spaces, framed by closing.
fn spaces_200(len: usize) -> Vec<u8> {
    let mut bytes = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec();
    bytes.resize(bytes.len() + len, b' ');
    bytes
}

#[tokio::test]
async fn a_body_of_exactly_the_cap_is_read_and_judged() {
    let url = answering(spaces_200(HttpTarget::MAX_BODY_BYTES)).await;
    let report = check(&url, "sites-ok").await;
    let response = report.outcomes[0].response.as_ref().expect("an answer");
    assert_eq!(response.body.len(), HttpTarget::MAX_BODY_BYTES);
    let why = report.outcomes[0].verdict.reasons().join("\n");
    assert!(why.contains("the body is not JSON"), "{why}");

    let url = answering(spaces_200(HttpTarget::MAX_BODY_BYTES + 1)).await;
    assert_eq!(sites_ok_fails_with(&url).await, OVER_THE_CAP);
}

// 4. Not HTTP.

#[tokio::test]
async fn garbage_instead_of_http_is_no_response_saying_so() {
    let url = answering(b"\x16\x03\x01\x02\x00garbage\r\n\r\n".to_vec()).await;
    let why = sites_ok_fails_with(&url).await;
    assert!(why.ends_with("invalid HTTP version parsed"), "{why}");
}

#[tokio::test]
async fn a_connection_closed_mid_head_is_no_response_saying_so() {
    let url = answering(b"HTTP/1.1 401 Unauthorized\r\nContent-Ty".to_vec()).await;
    let why = sites_ok_fails_with(&url).await;
    assert!(
        why.ends_with("connection closed before message completed"),
        "{why}"
    );
}

#[tokio::test]
async fn a_connection_closed_mid_body_says_how_much_came() {
    let url =
        answering(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 100\r\n\r\n{\"error\"".to_vec())
            .await;
    let why = sites_ok_fails_with(&url).await;
    assert!(
        why.starts_with("no response: a 401 whose body broke off after 8 bytes: "),
        "{why}"
    );
}

// 5. Bodies the judge must survive: not UTF-8, not JSON, nested 100 000 deep.

/// A 401 with every header the contract asks for, and `body`.
fn contract_401(body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         WWW-Authenticate: Bearer\r\nX-Request-Id: r-1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

const NOT_JSON_401: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno";

/// The reasons `invalid-key-unknown` (expecting 401 INVALID_KEY) failed with.
async fn invalid_key_fails_with(response: Vec<u8>) -> String {
    let url = answering(response).await;
    let report = check(&url, "invalid-key-unknown").await;
    let outcome = &report.outcomes[0];
    assert!(outcome.verdict.is_fail(), "{}", outcome.verdict);
    assert_eq!(outcome.got, "401 (not a JSON error)");
    outcome.verdict.reasons().join("\n")
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_not_json_quoted_readably() {
    let why = invalid_key_fails_with(contract_401(b"\xff\xfe{\"error\":\x80}")).await;
    assert!(
        why.contains("the body is not JSON: \"\u{fffd}\u{fffd}{\\\"error\\\":\u{fffd}}\""),
        "{why}"
    );
}

#[tokio::test]
async fn an_html_body_is_not_json() {
    let why = invalid_key_fails_with(contract_401(b"<html>Unauthorized</html>")).await;
    assert!(
        why.contains("the body is not JSON: \"<html>Unauthorized</html>\""),
        "{why}"
    );
}

/// `depth` arrays, one inside the other.
fn nested(depth: usize) -> Vec<u8> {
    let mut body = vec![b'['; depth];
    body.resize(2 * depth, b']');
    body
}

#[tokio::test]
async fn json_nested_100k_deep_is_refused_without_overflowing_the_stack() {
    let why = invalid_key_fails_with(contract_401(&nested(100_000))).await;
    assert!(why.contains("the body is not JSON: \"[[[["), "{why}");

    // A success body goes through the judge's other path.
    let mut ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec();
    ok.extend_from_slice(&nested(100_000));
    let why = sites_ok_fails_with(&answering(ok).await).await;
    assert!(why.contains("the body is not JSON: \"[[[["), "{why}");
}

// 6. Headers: not UTF-8, gigantic, too many.

#[tokio::test]
async fn a_header_value_that_is_not_utf8_is_judged_quoted_readably() {
    let mut response = contract_401(br#"{"error":"Invalid API key.","code":"INVALID_KEY"}"#);
    let at = response
        .windows(16)
        .position(|w| w == b"application/json")
        .expect("a content type")
        + 16;
    response.insert(at, 0xff);
    let url = answering(response).await;
    let report = check(&url, "invalid-key-unknown").await;
    let why = report.outcomes[0].verdict.reasons().join("\n");
    assert_eq!(
        why,
        "content-type is \"application/json\u{fffd}\", expected application/json"
    );
}

#[tokio::test]
async fn a_gigantic_header_is_refused_by_hyper_as_too_large() {
    let mut response = b"HTTP/1.1 401 Unauthorized\r\nX-Big: ".to_vec();
    response.resize(response.len() + 1024 * 1024, b'a');
    response.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    let why = sites_ok_fails_with(&answering(response).await).await;
    assert!(why.ends_with("message head is too large"), "{why}");
}

#[tokio::test]
async fn more_headers_than_hyper_takes_are_refused() {
    let mut response = b"HTTP/1.1 401 Unauthorized\r\n".to_vec();
    for i in 0..200 {
        response.extend_from_slice(format!("X-Many-{i}: a\r\n").as_bytes());
    }
    response.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    let why = sites_ok_fails_with(&answering(response).await).await;
    assert!(why.ends_with("message head is too large"), "{why}");
}
