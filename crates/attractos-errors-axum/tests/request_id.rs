//! `X-Request-Id` on every response: the client's own value, else a fresh UUID v4.

mod common;

use attractos_errors_axum::{Contract, ContractExt};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use common::{REQUEST_ID, app, authorized_get, get_request, send};

#[tokio::test]
async fn the_clients_id_comes_back_on_successes_and_errors() {
    let requests = [
        authorized_get("/api/v1/sites/site_demo/stats?start=2024-01-01&end=2024-01-02"),
        get_request("/api/v1/sites/site_demo/stats"),
        get_request("/nowhere"),
        get_request("/panic"),
        get_request("/internal"),
    ];
    for request in requests {
        let uri = request.uri().to_string();
        let sent = send(&app(), request).await;
        assert_eq!(
            sent.header("x-request-id"),
            Some(REQUEST_ID),
            "{uri}: {sent}"
        );
    }
}

#[tokio::test]
async fn without_one_each_response_gets_a_new_uuid_v4() {
    async fn ok() -> &'static str {
        "ok"
    }
    let app = Router::new()
        .route("/ok", get(ok))
        .with_contract(Contract::default());
    let mut seen = Vec::new();
    for uri in ["/ok", "/ok", "/missing"] {
        let request = Request::get(uri)
            .body(Body::empty())
            .expect("a valid request");
        let sent = send(&app, request).await;
        let id = sent
            .header("x-request-id")
            .expect("an id on every response");
        let uuid = uuid::Uuid::parse_str(id).expect("a UUID");
        assert_eq!(uuid.get_version_num(), 4, "{id}");
        assert!(!seen.contains(&uuid), "{id} repeated");
        seen.push(uuid);
    }
}
