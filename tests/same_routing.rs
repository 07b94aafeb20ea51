//! A route registered the way each adapter's docs show it (axum: `get(handler)` on
//! `{siteId}`; actix-web: `resource("…/{siteId}/…").route(web::get().to(handler))`) answers a
//! `HEAD`, a wrong method and an empty `siteId` byte for byte the same on both frameworks:
//! status, contract headers, `Allow`, `Content-Length` on `HEAD`, and body.

use attractos_errors::ErrorCode;
use bytes::Bytes;

const PATH: &str = "/api/v1/sites/{siteId}/stats";
const REQUEST_ID: &str = "same-routing-1";

/// The headers compared: the contract's, `Allow`, the request id.
const COMPARED: [&str; 7] = [
    "content-type",
    "cache-control",
    "x-content-type-options",
    "www-authenticate",
    "retry-after",
    "allow",
    "x-request-id",
];

#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Answer {
    fn new<'a>(
        status: u16,
        headers: impl Iterator<Item = (&'a str, &'a [u8])>,
        body: Bytes,
        head: bool,
    ) -> Self {
        let mut headers: Vec<(String, String)> = headers
            .filter(|(name, _)| COMPARED.contains(name) || (head && *name == "content-length"))
            .map(|(name, value)| (name.to_owned(), String::from_utf8_lossy(value).into_owned()))
            .collect();
        headers.sort();
        Answer {
            status,
            headers,
            body,
        }
    }
}

async fn on_axum(method: &str, uri: &str) -> Answer {
    use attractos_errors_axum::{Contract, ContractExt, SiteId};
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn stats(SiteId(site): SiteId) -> String {
        format!("stats of {site}")
    }
    let app = axum::Router::new()
        .route(PATH, get(stats))
        .with_contract(Contract::default());
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("x-request-id", REQUEST_ID)
        .body(axum::body::Body::empty())
        .expect("a request");
    let response = app.oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a body").to_bytes();
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()));
    Answer::new(parts.status.as_u16(), headers, body, method == "HEAD")
}

async fn on_actix(method: &str, uri: &str) -> Answer {
    use actix_web::{test, web};
    use attractos_errors_actix::{Contract, SiteId, contract_app, resource};

    async fn stats(SiteId(site): SiteId) -> String {
        format!("stats of {site}")
    }
    let app = test::init_service(
        contract_app(Contract::default()).service(resource(PATH).route(web::get().to(stats))),
    )
    .await;
    let request = test::TestRequest::default()
        .method(method.parse().expect("a method"))
        .uri(uri)
        .insert_header(("x-request-id", REQUEST_ID))
        .to_request();
    let response = test::call_service(&app, request).await;
    let status = response.status().as_u16();
    let names: Vec<(String, Vec<u8>)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let body = test::read_body(response).await;
    let headers = names.iter().map(|(n, v)| (n.as_str(), v.as_slice()));
    Answer::new(status, headers, body, method == "HEAD")
}

async fn same(method: &str, uri: &str) -> Answer {
    let axum = on_axum(method, uri).await;
    let actix = on_actix(method, uri).await;
    assert_eq!(axum, actix, "{method} {uri}: axum, then actix-web");
    axum
}

#[actix_web::test]
async fn head_is_answered_by_the_get_route_with_its_length_and_no_body() {
    let answer = same("HEAD", "/api/v1/sites/site_demo/stats").await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty());
    let length = answer
        .headers
        .iter()
        .find(|(name, _)| name == "content-length");
    let get_body = "stats of site_demo".len().to_string();
    assert_eq!(
        length.map(|(_, v)| v.as_str()),
        Some(&*get_body),
        "{answer:?}"
    );
}

#[actix_web::test]
async fn a_wrong_method_is_method_not_allowed_listing_get_and_head() {
    let answer = same("DELETE", "/api/v1/sites/site_demo/stats").await;
    assert_eq!(answer.status, ErrorCode::MethodNotAllowed.status().as_u16());
    let allow = answer.headers.iter().find(|(name, _)| name == "allow");
    assert_eq!(
        allow.map(|(_, v)| v.as_str()),
        Some("GET,HEAD"),
        "{answer:?}"
    );
}

#[actix_web::test]
async fn an_empty_site_id_is_missing_site_id_for_get_and_head() {
    let answer = same("GET", "/api/v1/sites//stats").await;
    let body = attractos_errors::ErrorBody::from_slice(&answer.body).expect("a contract body");
    assert_eq!(body.code.known(), Some(ErrorCode::MissingSiteId));
    let head = same("HEAD", "/api/v1/sites//stats").await;
    assert_eq!(head.status, ErrorCode::MissingSiteId.status().as_u16());
}
