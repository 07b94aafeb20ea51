//! Slow clients cannot take the server down (issue 16). The reference server binary runs with
//! its open-file limit lowered to [`OPEN_FILES`] for its process alone (`ulimit -n` in a shell
//! that then `exec`s it) and one-second head and body timeouts; each test holds more slow
//! connections open than the server has descriptors, on 127.0.0.1 only, and checks that:
//!
//! - a legitimate request is answered 200 within the timeout plus a margin;
//! - every slow-head connection is closed (or answered, actix-web's bare 408) within the head
//!   timeout plus a margin, and every slow-body request gets the contract's `INVALID_JSON` with
//!   the deadline in its message (the same bytes on both frameworks), or is closed;
//! - honest slow clients (a head byte by byte, a body in pieces, both inside the timeouts) are
//!   served, and an idle kept-alive connection is closed after the head timeout.
//!
//! Without the timeouts these tests fail: the slow connections stay open for as long as their
//! clients like, and the legitimate request waits behind them in the accept queue.

use std::io::BufRead;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use attractos_reference::Framework;

use crate::common::binary;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The server's open-file limit.
const OPEN_FILES: u32 = 256;
/// More slow connections than the server has descriptors.
const SLOW_CONNECTIONS: usize = 300;
/// The server's head and body timeouts in these tests.
const TIMEOUT: Duration = Duration::from_secs(1);
/// What "a few seconds" past a timeout means here: generous, for a machine busy with builds.
const MARGIN: Duration = Duration::from_secs(5);

const GOOD: &[u8] = b"GET /api/v1/sites HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ak_demo_free\r\nConnection: close\r\n\r\n";
const SLOW_HEAD: &[u8] = b"GET /api/v1/sites HTTP/1.1\r\nHost: localhost\r\n";
const EVENT: &[u8] = br#"{"site_id":"site_demo","name":"pageview","url":"https://demo.example/"}"#;

/// The reference server binary, started under a lowered open-file limit; killed on drop.
struct LimitedServer {
    child: Child,
    addr: String,
}

impl LimitedServer {
    fn start(framework: Framework, head_timeout: Duration, body_timeout: Duration) -> Self {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -n {OPEN_FILES} && exec \"$0\" \"$@\""))
            .arg(binary::PATH)
            .args(["--framework", framework.as_str(), "--addr", "127.0.0.1:0"])
            .args(["--head-timeout", &head_timeout.as_secs().to_string()])
            .args(["--body-timeout", &body_timeout.as_secs().to_string()])
            // Slow-body requests must reach the body; the rate limit would answer most first.
            .args(["--rate-limit", "1000000"])
            .env("RUST_LOG", "warn,attractos_reference=info");
        let started = binary::start(command);
        // Keep draining the log so that the server never blocks on a full pipe.
        let lines = started.stderr.lines();
        std::thread::spawn(move || for _ in lines {});
        LimitedServer {
            child: started.child,
            addr: started.addr,
        }
    }
}

impl Drop for LimitedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens `count` connections that each send `bytes` and then nothing.
async fn hold(addr: &str, count: usize, bytes: &'static [u8]) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = TcpStream::connect(addr).await.expect("connects");
        stream.write_all(bytes).await.expect("the bytes are sent");
        streams.push(stream);
    }
    streams
}

/// How each held connection ended: what the server sent before it closed, and when, from
/// `since`; `None` if it was still open after `bound`.
async fn endings(
    streams: Vec<TcpStream>,
    since: Instant,
    bound: Duration,
) -> Vec<Option<(Vec<u8>, Duration)>> {
    let reads = streams.into_iter().map(|mut stream| {
        tokio::spawn(async move {
            let mut received = Vec::new();
            let read =
                tokio::time::timeout_at((since + bound).into(), stream.read_to_end(&mut received))
                    .await;
            // Closed (EOF) or reset: either way the server let go of the connection.
            read.ok().map(|_| (received, since.elapsed()))
        })
    });
    let mut out = Vec::new();
    for read in reads.collect::<Vec<_>>() {
        out.push(read.await.expect("the reader task ends"));
    }
    out
}

/// Sends `GOOD` on a fresh connection; the status and how long the answer took.
async fn legitimate_request(addr: &str, bound: Duration) -> (Option<u16>, Duration) {
    let started = Instant::now();
    let answer = tokio::time::timeout(bound, async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream.write_all(GOOD).await.ok()?;
        let mut received = Vec::new();
        stream.read_to_end(&mut received).await.ok()?;
        status(&received)
    })
    .await
    .ok()
    .flatten();
    (answer, started.elapsed())
}

fn status(response: &[u8]) -> Option<u16> {
    let line = response.split(|b| *b == b'\n').next()?;
    std::str::from_utf8(line)
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

fn body(response: &[u8]) -> &[u8] {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |i| i + 4);
    &response[end..]
}

fn slowest(endings: &[Option<(Vec<u8>, Duration)>]) -> Duration {
    endings
        .iter()
        .flatten()
        .map(|(_, after)| *after)
        .max()
        .unwrap_or_default()
}

async fn slow_heads_do_not_starve_a_legitimate_request(framework: Framework) {
    let server = LimitedServer::start(framework, TIMEOUT, TIMEOUT);
    let opened = Instant::now();
    let slow = hold(&server.addr, SLOW_CONNECTIONS, SLOW_HEAD).await;

    let (answer, took) = legitimate_request(&server.addr, TIMEOUT + MARGIN).await;
    assert_eq!(
        answer,
        Some(200),
        "{framework}: with {SLOW_CONNECTIONS} slow heads held against {OPEN_FILES} descriptors, \
         a legitimate request is answered 200 within the head timeout plus {MARGIN:?} (waited {took:?})"
    );

    // The last slow connections wait in the accept queue for a slot: up to two timeouts.
    let ended = endings(slow, opened, 2 * TIMEOUT + MARGIN).await;
    let open = ended.iter().filter(|e| e.is_none()).count();
    assert_eq!(
        open, 0,
        "{framework}: every slow-head connection is closed within the head timeout plus a margin"
    );
    for (received, _) in ended.iter().flatten() {
        assert!(
            received.is_empty() || status(received) == Some(408),
            "{framework}: a slow head is closed, or answered only with the framework's 408: {:?}",
            String::from_utf8_lossy(received)
        );
    }
    eprintln!(
        "{framework}: legitimate request 200 after {took:?}; {SLOW_CONNECTIONS} slow heads closed, the last after {:?}",
        slowest(&ended)
    );
}

async fn slow_bodies_get_the_contract_answer(framework: Framework) {
    let server = LimitedServer::start(framework, TIMEOUT, TIMEOUT);
    let head = b"POST /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ak_demo_free\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
    let opened = Instant::now();
    let slow = hold(&server.addr, SLOW_CONNECTIONS, head).await;

    let (answer, took) = legitimate_request(&server.addr, 2 * TIMEOUT + MARGIN).await;
    assert_eq!(
        answer,
        Some(200),
        "{framework}: with {SLOW_CONNECTIONS} slow bodies held, a legitimate request is served (waited {took:?})"
    );

    let expected = attractos_errors::rules::body_timed_out(TIMEOUT).to_bytes();
    let ended = endings(slow, opened, 2 * TIMEOUT + MARGIN).await;
    let mut answered = 0;
    for ending in &ended {
        let (received, _) = ending.as_ref().unwrap_or_else(|| {
            panic!("{framework}: every slow-body connection is answered or closed in time")
        });
        if received.is_empty() {
            continue;
        }
        assert_eq!(
            (status(received), body(received)),
            (Some(400), &expected[..]),
            "{framework}: a slow body gets the contract's INVALID_JSON naming the deadline"
        );
        answered += 1;
    }
    assert!(
        answered > 0,
        "{framework}: the slow bodies the server read were answered in the contract, not just dropped"
    );
    eprintln!(
        "{framework}: legitimate request 200 after {took:?}; {answered} of {SLOW_CONNECTIONS} slow bodies answered INVALID_JSON, the rest closed; the last after {:?}",
        slowest(&ended)
    );
}

async fn honest_slow_clients_are_served(framework: Framework) {
    let timeout = Duration::from_secs(2);
    let server = LimitedServer::start(framework, timeout, timeout);

    // A head byte by byte, 5 ms apart: about 0.5 s, inside the 2 s head timeout.
    let mut stream = TcpStream::connect(&server.addr).await.expect("connects");
    for byte in GOOD {
        stream.write_all(&[*byte]).await.expect("the byte is sent");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut received = Vec::new();
    let _ = tokio::time::timeout(MARGIN, stream.read_to_end(&mut received)).await;
    assert_eq!(
        status(&received),
        Some(200),
        "{framework}: a head sent byte by byte inside the head timeout is served"
    );

    // A body in four pieces, 200 ms apart: inside the 2 s deadline. The connection is kept
    // alive afterwards.
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ak_demo_free\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        EVENT.len()
    );
    let mut stream = TcpStream::connect(&server.addr).await.expect("connects");
    stream.write_all(head.as_bytes()).await.expect("sent");
    for piece in EVENT.chunks(EVENT.len().div_ceil(4)) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stream.write_all(piece).await.expect("sent");
    }
    let mut buffer = vec![0; 4096];
    let read = tokio::time::timeout(MARGIN, stream.read(&mut buffer))
        .await
        .expect("answered")
        .expect("readable");
    assert_eq!(
        status(&buffer[..read]),
        Some(202),
        "{framework}: a body sent in pieces inside the deadline is accepted: {:?}",
        String::from_utf8_lossy(&buffer[..read])
    );

    // Then nothing: the idle kept-alive connection is closed after the head timeout.
    let idle = Instant::now();
    let closed = tokio::time::timeout(timeout + MARGIN, stream.read_to_end(&mut Vec::new())).await;
    assert!(
        closed.is_ok(),
        "{framework}: an idle kept-alive connection is closed within the head timeout plus a margin"
    );
    eprintln!(
        "{framework}: honest slow clients served; idle kept-alive connection closed after {:?}",
        idle.elapsed()
    );
}

/// A module per scenario with a test per framework (`slow_heads::axum`, `slow_heads::actix`).
macro_rules! on_each_framework {
    ($($module:ident => $scenario:ident),* $(,)?) => {$(
        mod $module {
            use attractos_reference::Framework;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn axum() {
                super::$scenario(Framework::Axum).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn actix() {
                super::$scenario(Framework::Actix).await;
            }
        }
    )*};
}

on_each_framework! {
    slow_heads => slow_heads_do_not_starve_a_legitimate_request,
    slow_bodies => slow_bodies_get_the_contract_answer,
    honest_slow_clients => honest_slow_clients_are_served,
}
