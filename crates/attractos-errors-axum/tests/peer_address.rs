//! Over real TCP: `axum::serve(listener, app)` on a [`ContractRouter`] gives each request its
//! peer's address, as `into_make_service_with_connect_info` would, so the limits' glue counts
//! clients by address (without it every client is one, and one guesser spends every client's
//! failed-key allowance).

use std::net::SocketAddr;

use attractos_errors_axum::{ContractExt, ContractRouter};
use attractos_testkit::Response;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn peer(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
    peer.ip().to_string()
}

/// The body of `GET /peer` from `app` served by `axum::serve` on a loopback port.
async fn served_peer(app: ContractRouter) -> (u16, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let request = b"GET /peer HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    stream.write_all(request).await.expect("sends");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("reads");
    let response = Response::parse(&raw).expect("an HTTP response");
    let body = String::from_utf8(response.body.to_vec()).expect("UTF-8");
    (response.status, body)
}

#[tokio::test]
async fn axum_serve_gives_each_request_its_peer_address() {
    let app = Router::new()
        .route("/peer", get(peer))
        .with_contract(Default::default());
    assert_eq!(served_peer(app).await, (200, "127.0.0.1".to_owned()));
}

#[cfg(feature = "limits")]
#[tokio::test]
async fn the_limit_context_has_the_peer_address() {
    use attractos_errors_axum::LimitContextLayer;
    use attractos_limits::LimitContext;
    use axum::Extension;

    let client =
        |Extension(context): Extension<LimitContext>| async move { context.client().to_string() };
    let app = Router::new()
        .route("/peer", get(client))
        .layer(LimitContextLayer::default())
        .with_contract(Default::default());
    assert_eq!(served_peer(app).await, (200, "127.0.0.1".to_owned()));
}
