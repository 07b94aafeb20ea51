//! Over real TCP (`axum::serve` on 127.0.0.1:0, raw `TcpStream`s): an error answered before
//! the request body was read never leaves a client holding a connection the server is
//! closing. hyper keeps a keep-alive connection when it can discard the unread rest of a body
//! at once, and otherwise closes it after the response; the response must then say
//! `Connection: close`, or the client reuses the connection and its next request gets no
//! answer. Bodies the handler read keep the connection open.

use std::net::SocketAddr;
use std::time::Duration;

use attractos_errors::ErrorCode;
use attractos_errors_axum::{ApiError, BearerKey, ContractExt, Json};
use attractos_testkit::Response;
use axum::Router;
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long a read may wait before the test gives up on a server that neither answers nor
/// closes (a hang guard, not a measurement).
const HANG_GUARD: Duration = Duration::from_secs(10);

const KEY: &str = "ak_test_1";

#[derive(Debug, Deserialize)]
struct Event {
    #[allow(dead_code)]
    name: String,
}

/// The key is checked before the body is read, like any authenticated upload.
async fn events(BearerKey(key): BearerKey, Json(_event): Json<Event>) -> Result<(), ApiError> {
    if key == KEY {
        Ok(())
    } else {
        Err(attractos_errors::ApiError::invalid_key().into())
    }
}

async fn sites() -> &'static str {
    "sites"
}

async fn start() -> SocketAddr {
    let app = Router::new()
        .route("/api/v1/events", post(events))
        .route("/api/v1/sites", get(sites))
        .with_contract(Default::default());
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A client connection that sends each write at once, as HTTP clients do (no Nagle delay).
async fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).await.expect("connects");
    stream.set_nodelay(true).expect("sets TCP_NODELAY");
    stream
}

/// Whether an answer says the server closes the connection after it.
fn says_close(answer: &Response) -> bool {
    answer
        .header_str("connection")
        .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
}

/// Reads exactly one response (its body framed by `Content-Length`) and drops it from
/// `buffer`; `None` when the server closed the connection first.
async fn read_answer(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Response> {
    loop {
        if let Some(answer) = Response::parse(buffer) {
            let length: usize = answer
                .header_str("content-length")
                .map(|v| v.parse().expect("a numeric length"))
                .expect("every answer here has a Content-Length");
            if answer.body.len() == length {
                let head = buffer.windows(4).position(|w| w == b"\r\n\r\n");
                buffer.drain(..head.expect("a parsed head") + 4 + length);
                return Some(answer);
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(HANG_GUARD, stream.read(&mut chunk))
            .await
            .expect("the server answers or closes")
            .unwrap_or(0);
        if n == 0 {
            let started = Response::parse(buffer).is_some();
            assert!(!started, "the connection closed inside a response body");
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// Whether the server closes the connection (reads to the end; bytes after the response would
/// be a protocol error).
async fn closes(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match tokio::time::timeout(HANG_GUARD, stream.read_to_end(&mut rest)).await {
        Ok(Ok(_)) => rest.is_empty(),
        // A reset is a close too (the server discarded the body the client was sending).
        Ok(Err(_)) => true,
        Err(_) => false,
    }
}

fn upload(authorization: Option<&str>, length: usize, body: &str) -> Vec<u8> {
    let mut head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
    );
    if let Some(value) = authorization {
        head.push_str(&format!("Authorization: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    head.into_bytes()
}

const GET_SITES: &[u8] = b"GET /api/v1/sites HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// A fresh connection is served after the previous one was closed.
async fn assert_serves(addr: SocketAddr) {
    let mut stream = connect(addr).await;
    stream.write_all(GET_SITES).await.expect("writes");
    let answer = read_answer(&mut stream, &mut Vec::new())
        .await
        .expect("a fresh connection is answered");
    assert_eq!(
        (answer.status, &answer.body[..]),
        (200, &b"sites"[..]),
        "{answer}"
    );
}

/// `request` sent on a fresh connection is answered with the error `code`, which says
/// `Connection: close` (the server cannot reuse a connection whose unread body bytes are still
/// owed); the server then closes it and serves a fresh one.
async fn assert_refused_with_close(request: &[u8], code: ErrorCode) {
    let addr = start().await;
    let mut stream = connect(addr).await;
    stream.write_all(request).await.expect("writes");
    let answer = read_answer(&mut stream, &mut Vec::new())
        .await
        .expect("the error is answered");
    let expected = (code.status().as_u16(), Some(code.as_str()));
    assert_eq!(
        (answer.status, answer.code().as_deref()),
        expected,
        "{answer}"
    );
    assert!(says_close(&answer), "{answer}");
    assert!(
        closes(&mut stream).await,
        "the server closes the connection"
    );
    assert_serves(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_sent_before_the_body_arrived_says_connection_close_and_closes() {
    // The head and 10 of the 100 announced bytes: the key is missing, so the handler answers
    // without reading, and the rest of the body never comes while the client waits.
    let request = upload(None, 100, r#"{"name":"a"#);
    assert_refused_with_close(&request, ErrorCode::MissingKey).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_length_over_the_limit_says_connection_close_and_closes() {
    let length = attractos_errors::rules::DEFAULT_BODY_LIMIT + 1;
    let request = upload(Some(&format!("Bearer {KEY}")), length, "{");
    assert_refused_with_close(&request, ErrorCode::PayloadTooLarge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_the_handler_read_keep_the_connection_open() {
    let addr = start().await;
    let mut stream = connect(addr).await;
    let mut buffer = Vec::new();
    let good = r#"{"name":"signup"}"#;
    let bad = r#"{"name":"#;
    let bearer = format!("Bearer {KEY}");
    // A success and an INVALID_JSON (the body read to its end), then a GET, on one connection.
    for (request, status) in [
        (upload(Some(&bearer), good.len(), good), 200),
        (upload(Some(&bearer), bad.len(), bad), 400),
        (GET_SITES.to_vec(), 200),
    ] {
        stream.write_all(&request).await.expect("writes");
        let answer = read_answer(&mut stream, &mut buffer)
            .await
            .expect("answered on the same connection");
        assert_eq!(answer.status, status, "{answer}");
        assert!(!says_close(&answer), "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_is_never_closed_without_saying_so() {
    let addr = start().await;
    // Early errors to requests whose whole body is sent right after the head, in a second
    // write as HTTP clients do: depending on whether the body has arrived when the handler
    // answers, hyper discards it and keeps the connection, or closes it. Either is fine;
    // closing without saying so is not.
    let bodies = [r#"{"name":"a"}"#, r#"{"name":"a much longer event name"}"#];
    let mut stream = connect(addr).await;
    let mut buffer = Vec::new();
    let (mut kept, mut closed) = (0, 0);
    for i in 0..200 {
        let body = bodies[i % bodies.len()];
        let authorization = (i % 3 == 0).then_some("Bearer ak_wrong");
        let request = upload(authorization, body.len(), body);
        let (head, rest) = request.split_at(request.len() - body.len());
        stream
            .write_all(head)
            .await
            .expect("writes on a connection the server kept open");
        tokio::task::yield_now().await;
        // The server may have answered and closed already: a failed write shows in the read.
        let _ = stream.write_all(rest).await;
        let answer = read_answer(&mut stream, &mut buffer)
            .await
            .unwrap_or_else(|| {
                panic!("request {i}: the server closed a connection it had not said it would close")
            });
        assert_eq!(answer.status, 401, "request {i}");
        if says_close(&answer) {
            closed += 1;
            assert!(closes(&mut stream).await, "request {i}: said close, closes");
            stream = connect(addr).await;
            buffer.clear();
        } else {
            kept += 1;
        }
    }
    println!("connections kept: {kept}, closed with Connection: close: {closed}");
    assert_serves(addr).await;
}
