//! Served by `axum::serve` or by the adapter's `serve`, a contract router's routes are made
//! once, before its requests come: a stateless router's handlers would otherwise become
//! routes, their layers (the contract's among them) applied again, on every request (a plain
//! `Router` makes them again on every connection).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use attractos_errors_axum::{Contract, ContractExt, ContractRouter};
use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::Layer;

/// A layer that counts how often it wraps a service.
#[derive(Clone)]
struct Counted(Arc<AtomicUsize>);

impl<S> Layer<S> for Counted {
    type Service = S;

    fn layer(&self, inner: S) -> S {
        self.0.fetch_add(1, Ordering::Relaxed);
        inner
    }
}

/// How often a route layer is applied while `serve` serves five requests on two connections.
async fn applied_serving(serve: impl FnOnce(TcpListener, ContractRouter)) -> usize {
    let applied = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(Counted(applied.clone()))
        .with_contract(Default::default());
    let built = applied.load(Ordering::Relaxed);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    serve(listener, app);

    for requests in [2, 3] {
        let mut stream = TcpStream::connect(addr).await.expect("connects");
        let request = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
        let last = "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
        let sent = request.repeat(requests - 1) + last;
        stream.write_all(sent.as_bytes()).await.expect("sends");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("reads");
        let answers = String::from_utf8_lossy(&raw)
            .matches("HTTP/1.1 200 OK")
            .count();
        assert_eq!(answers, requests);
    }
    applied.load(Ordering::Relaxed) - built
}

#[tokio::test]
async fn axum_serve_makes_the_routes_once() {
    let applied = applied_serving(|listener, app| {
        tokio::spawn(async move { axum::serve(listener, app).await });
    });
    assert_eq!(applied.await, 1);
}

#[tokio::test]
async fn the_adapters_serve_makes_the_routes_once() {
    let applied = applied_serving(|listener, app| {
        let server = attractos_errors_axum::serve(listener, app, &Contract::default());
        tokio::spawn(server.into_future());
    });
    assert_eq!(applied.await, 1);
}
