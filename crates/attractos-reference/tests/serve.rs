//! Serving over real sockets: both frameworks start on an ephemeral port, answer, stop cleanly
//! and release the port; the binary serves until Ctrl-C (SIGINT) and exits 0.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;

use attractos_reference::{Framework, Options, bind, serve};

use crate::common::binary;

/// One HTTP/1.1 request over a fresh connection; the raw response text.
fn raw_get(addr: SocketAddr, path: &str, headers: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("the server accepts");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )
    .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response is read");
    response
}

fn serves_and_stops(framework: Framework) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let server = serve(framework, listener, Options::default()).expect("the server starts");
    let addr = server.addr();
    assert_eq!(server.framework(), framework);
    assert_eq!(server.url(), format!("http://{addr}"));

    let ok = raw_get(
        addr,
        "/api/v1/sites",
        "Authorization: Bearer ak_demo_free\r\n",
    );
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(
        ok.ends_with(r#"{"sites":[{"id":"site_demo","domain":"demo.example"}]}"#),
        "{ok}"
    );

    let missing = raw_get(addr, "/api/v1/sites", "");
    assert!(
        missing.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{missing}"
    );
    let id_line = missing
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("x-request-id: "))
        .unwrap_or_else(|| panic!("no x-request-id in {missing}"));
    let id = &id_line["x-request-id: ".len()..];
    assert_eq!(id.len(), 36, "a generated UUID: {id}");
    assert_eq!(id.as_bytes()[14], b'4', "version 4: {id}");

    server.stop().expect("a clean stop");
    assert_stops_listening(addr, &format!("{framework} after stop"));
    let again = bind(framework, addr, Options::default()).expect("the port is free again");
    again.stop().expect("a clean stop");
}

#[test]
fn axum_serves_and_stops() {
    serves_and_stops(Framework::Axum);
}

#[test]
fn actix_serves_and_stops() {
    serves_and_stops(Framework::Actix);
}

#[test]
fn a_taken_port_is_an_error_not_a_panic() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let addr = taken.local_addr().expect("an address");
    for framework in Framework::ALL {
        let err = bind(framework, addr, Options::default()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{framework}");
    }
}

#[test]
fn dropping_a_server_stops_it() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let server = serve(Framework::Actix, listener, Options::default()).expect("starts");
    let addr = server.addr();
    drop(server);
    assert_stops_listening(addr, "actix after drop");
}

/// Nothing listens on `addr` within 2 s. actix-web's acceptor thread releases the socket on its
/// own schedule, shortly after the server is joined; on a loaded machine that lags a moment.
fn assert_stops_listening(addr: std::net::SocketAddr, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while TcpStream::connect(addr).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: something still listens 2 s later"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn framework_names_parse_and_print() {
    for framework in Framework::ALL {
        assert_eq!(framework.to_string().parse::<Framework>(), Ok(framework));
    }
    assert!("rocket".parse::<Framework>().is_err());
}

fn binary_serves_until_sigint(framework: &str) {
    let mut command = Command::new(binary::PATH);
    command
        .args([
            "--framework",
            framework,
            "--addr",
            "127.0.0.1:0",
            "--rate-limit",
            "5",
        ])
        .env("RUST_LOG", "info");
    let binary::Started {
        mut child,
        mut stderr,
        line,
        addr,
    } = binary::start(command);
    assert!(line.contains(&format!("framework={framework}")), "{line}");
    assert!(line.contains("rate_limit=5"), "{line}");
    let addr: SocketAddr = addr.parse().expect("a socket address");
    let response = raw_get(addr, "/api/v1/nope", "");
    assert!(
        response.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{response}"
    );
    let broken = raw_get(
        addr,
        "/api/v1/sites/site_broken/stats?start=2024-01-01&end=2024-01-02",
        "Authorization: Bearer ak_demo_pro\r\nX-Request-Id: log-check-7\r\n",
    );
    assert!(
        broken.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
        "{broken}"
    );
    assert!(!broken.contains("hunter2"), "{broken}");

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("the binary exits");
    let mut rest = String::new();
    stderr
        .read_to_string(&mut rest)
        .expect("the rest of stderr");
    assert!(exit.success(), "exit {exit:?}; stderr: {rest}");
    assert!(rest.contains("stopping"), "{rest}");
    let logged = rest
        .lines()
        .find(|l| l.contains("SERVER_ERROR"))
        .unwrap_or_else(|| panic!("no SERVER_ERROR log line in {rest}"));
    assert!(logged.contains("ERROR"), "logged at error level: {logged}");
    assert!(
        logged.contains("log-check-7"),
        "the line names the request: {logged}"
    );
    assert!(
        logged.contains("db-password=hunter2"),
        "the cause is logged: {logged}"
    );
}

#[test]
fn the_binary_serves_axum_until_ctrl_c() {
    binary_serves_until_sigint("axum");
}

#[test]
fn the_binary_serves_actix_until_ctrl_c() {
    binary_serves_until_sigint("actix");
}
