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
mod limits {
    use super::*;
    use attractos_limits::{LimitContext, ProxyTrust};
    use axum::Extension;
    use axum::body::Body;
    use http::Request;
    use tower::ServiceExt;

    async fn client(Extension(context): Extension<LimitContext>) -> String {
        context.client().to_string()
    }

    fn app() -> ContractRouter {
        Router::new()
            .route("/peer", get(client))
            .with_contract(Default::default())
            .with_limits(ProxyTrust::default())
    }

    #[tokio::test]
    async fn the_limit_context_has_the_peer_address() {
        assert_eq!(served_peer(app()).await, (200, "127.0.0.1".to_owned()));
    }

    /// `GET /peer` from 192.0.2.9, as `into_make_service_with_connect_info` gives it.
    async fn client_seen_by<S>(app: S) -> String
    where
        S: tower::Service<Request<Body>, Response = axum::response::Response>,
        S::Error: std::fmt::Debug,
    {
        let peer = SocketAddr::from(([192, 0, 2, 9], 40_000));
        let request = Request::get("/peer").extension(ConnectInfo(peer));
        let response = app.oneshot(request.body(Body::empty()).unwrap()).await;
        let body = response.expect("an answer").into_body();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("a body");
        String::from_utf8(bytes.to_vec()).expect("UTF-8")
    }

    /// Mounted in a larger router, a contract router's glue comes along.
    #[tokio::test]
    async fn made_a_plain_router_the_limit_glue_comes_along() {
        assert_eq!(client_seen_by(app()).await, "192.0.2.9");
        assert_eq!(client_seen_by(app().into_router()).await, "192.0.2.9");
        assert_eq!(client_seen_by(Router::from(app())).await, "192.0.2.9");
        let mounted = Router::new().nest("/v2", app().into_router());
        let request = Request::get("/v2/peer").body(Body::empty()).unwrap();
        let sent = mounted.oneshot(request).await.expect("infallible");
        assert_eq!(sent.status(), 200, "the glue is there: no SERVER_ERROR");
    }
}
