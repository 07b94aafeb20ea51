//! Over real TCP (raw tokio `TcpStream`s to the reference server on an ephemeral loopback port),
//! each framework: malformed HTTP framing, a slow client, clients that vanish mid-body, and a
//! 10 MiB chunked body. After each, the server answers the next request correctly.
//!
//! Malformed framing is refused by the HTTP server itself (hyper, actix-http) before any app
//! code runs: those answers are printed and recorded in `docs/reliability.md`, and asserted
//! only to be a refusal (a 4xx/5xx status or a closed connection), never app output. Whatever
//! reaches the app is judged by the contract.

use crate::support;

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use attractos_contract::judge::{self, JudgeOptions, Response};
use attractos_reference::{Framework, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GOOD: &[u8] = b"GET /api/v1/sites HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ak_demo_free\r\nx-request-id: test-request-id\r\nConnection: close\r\n\r\n";
const SITES: &str = r#"{"sites":[{"id":"site_demo","domain":"demo.example"}]}"#;

/// Writes `bytes` (ignoring a reset: the server may answer and close first), keeping the
/// write side open (hyper drops a connection whose client half-closes), then reads until the
/// server closes or `wait` passes.
async fn exchange_within(addr: SocketAddr, bytes: &[u8], wait: Duration) -> Vec<u8> {
    let mut stream = connect(addr).await;
    let _ = stream.write_all(bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
    out
}

async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    exchange_within(addr, bytes, support::TIMEOUT).await
}

async fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(support::TIMEOUT, stream.read_to_end(&mut out)).await;
    out
}

/// Runs `check` against a reference server of each framework on its own loopback port, then
/// stops that server.
async fn on_each_server(check: impl AsyncFn(Framework, SocketAddr)) {
    for framework in Framework::ALL {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let server = serve(framework, listener, support::options()).expect("the server starts");
        check(framework, server.addr()).await;
        server.stop().expect("a clean stop");
    }
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("connects")
}

async fn assert_serves(addr: SocketAddr, framework: Framework, after: &str) {
    let raw = exchange(addr, GOOD).await;
    let response = Response::parse(&raw).unwrap_or_else(|| {
        panic!(
            "{framework} after {after}: no response: {:?}",
            String::from_utf8_lossy(&raw)
        )
    });
    assert_eq!(response.status, 200, "{framework} after {after}");
    assert_eq!(
        &response.body[..],
        SITES.as_bytes(),
        "{framework} after {after}"
    );
}

/// One line for the record: `400 Bad Request, body ""` or `connection closed, no response`.
fn describe(raw: &[u8]) -> String {
    match Response::parse(raw) {
        Some(r) => format!(
            "{} content-type {:?}, body {:?}",
            r.status,
            r.header("content-type")
                .map(|v| String::from_utf8_lossy(v).into_owned()),
            String::from_utf8_lossy(&r.body)
        ),
        None if raw.is_empty() => "connection closed, no response".to_owned(),
        None => format!("unparsable: {:?}", String::from_utf8_lossy(raw)),
    }
}

const MALFORMED: [(&str, &[u8]); 9] = [
    ("garbage request line", b"GARBAGE\r\n\r\n"),
    ("unknown HTTP version", b"GET /api/v1/sites HTTP/9.9\r\nHost: x\r\n\r\n"),
    ("header without a colon", b"GET /api/v1/sites HTTP/1.1\r\nHost x\r\n\r\n"),
    ("space in a header name", b"GET /api/v1/sites HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n"),
    ("NUL in a header value", b"GET /api/v1/sites HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"),
    (
        "Content-Length and Transfer-Encoding",
        b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ak_demo_pro\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    ),
    (
        "two different Content-Lengths",
        b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ak_demo_pro\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}",
    ),
    (
        "chunk size not hex",
        b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ak_demo_pro\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ),
    (
        "chunk size overflowing 64 bits",
        b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ak_demo_pro\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_framing_is_refused_and_the_server_serves_on() {
    on_each_server(async |framework, addr| {
        for (name, bytes) in MALFORMED {
            // A server still waiting for the rest of a message it cannot frame is a refusal too.
            let raw = exchange_within(addr, bytes, Duration::from_secs(2)).await;
            println!("{framework} | {name} | {}", describe(&raw));
            if let Some(response) = Response::parse(&raw) {
                assert!(
                    response.status >= 400,
                    "{framework} {name}: refused, not served: {}",
                    describe(&raw)
                );
                // If the app answered (a JSON body), it must be a contract answer.
                if response
                    .header("content-type")
                    .is_some_and(|ct| ct.starts_with(b"application/json"))
                {
                    // The malformed requests send no x-request-id: any id is fine.
                    let mut request = support::request("POST", "/api/v1/events", &[], Vec::new());
                    request.headers.clear();
                    let verdict = judge::judge(
                        &attractos_contract::case::Expect::Any,
                        &request,
                        &response,
                        &JudgeOptions::default(),
                    );
                    assert!(verdict.is_pass(), "{framework} {name}: {verdict}");
                }
            }
            assert_serves(addr, framework, name).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_sending_byte_by_byte_is_served() {
    on_each_server(async |framework, addr| {
        let mut stream = connect(addr).await;
        for byte in GOOD {
            stream
                .write_all(&[*byte])
                .await
                .expect("the server keeps reading");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let raw = read_all(&mut stream).await;
        let response = Response::parse(&raw).expect("a response");
        assert_eq!(response.status, 200, "{framework}: {}", describe(&raw));
        assert_eq!(&response.body[..], SITES.as_bytes(), "{framework}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_vanishing_mid_body_do_not_disturb_the_next_request() {
    on_each_server(async |framework, addr| {
        for i in 0..20 {
            let mut stream = connect(addr).await;
            let head = "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ak_demo_pro\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"site_id\":\"site_pro\",";
            stream.write_all(head.as_bytes()).await.expect("writes");
            drop(stream);
            if i % 5 == 4 {
                assert_serves(addr, framework, "a client vanished mid-body").await;
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mib_chunked_body_gets_the_contract_413() {
    on_each_server(async |framework, addr| {
        let mut stream = connect(addr).await;
        let head = "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ak_demo_pro\r\nContent-Type: application/json\r\nx-request-id: test-request-id\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        let _ = stream.write_all(head.as_bytes()).await;
        let chunk = [b' '; 64 * 1024];
        for _ in 0..160 {
            // The server may answer and close once past the limit: stop writing then.
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if stream.write_all(&framed).await.is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
        let raw = read_all(&mut stream).await;
        let response =
            Response::parse(&raw).unwrap_or_else(|| panic!("{framework}: {}", describe(&raw)));
        let request = support::request("POST", "/api/v1/events", &[], Vec::new());
        let verdict = judge::judge(
            &attractos_contract::case::Expect::Error(attractos_errors::ErrorCode::PayloadTooLarge),
            &request,
            &response,
            &JudgeOptions::default(),
        );
        assert!(verdict.is_pass(), "{framework}: {verdict}");
        assert_serves(addr, framework, "a 10 MiB chunked body").await;
    })
    .await;
}
