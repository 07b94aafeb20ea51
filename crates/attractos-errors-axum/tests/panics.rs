//! A panicking handler is a `SERVER_ERROR` (the panic message stays out of the body), and the
//! same service goes on serving.

mod common;

use attractos_errors::ErrorCode;
use attractos_errors_axum::{Contract, ContractExt};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use common::{Sent, get_request};
use http_body_util::BodyExt;
use tower::{Service, ServiceExt};

async fn call<S>(service: &mut S, request: Request<Body>) -> Sent
where
    S: Service<
            Request<Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        >,
{
    let response = service
        .ready()
        .await
        .expect("ready")
        .call(request)
        .await
        .expect("infallible");
    let (parts, body) = response.into_parts();
    Sent {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.expect("body").to_bytes(),
    }
}

async fn str_panic() -> &'static str {
    panic!("a &str payload")
}

async fn string_panic() -> &'static str {
    let id = 7;
    panic!("a String payload for {id}")
}

async fn other_panic() -> &'static str {
    std::panic::panic_any(42_u8)
}

async fn fine() -> &'static str {
    "still here"
}

#[tokio::test]
async fn every_kind_of_panic_is_server_error_and_the_service_serves_on() {
    let app = Router::new()
        .route("/str", get(str_panic))
        .route("/string", get(string_panic))
        .route("/other", get(other_panic))
        .route("/fine", get(fine))
        .with_contract(Contract::default());
    let mut service = app.into_service::<Body>();
    for uri in ["/str", "/string", "/other"] {
        let sent = call(&mut service, get_request(uri)).await;
        sent.assert_error(ErrorCode::ServerError);
        assert!(!sent.to_string().contains("payload"), "{sent}");

        let next = call(&mut service, get_request("/fine")).await;
        assert_eq!(next.status, 200, "after {uri}: {next}");
        assert_eq!(&next.body[..], b"still here");
    }
}
