//! The body limit: a `Content-Length` over it is `PAYLOAD_TOO_LARGE` before any handler runs;
//! a body without a length is cut off at the limit while it is read, by this crate's `Json`
//! and by actix-web's own body extractors alike.

use crate::common::{Sent, app_with, chunked, get_request, post_json, request, send, send_one};
use actix_web::{HttpResponse, test, web};
use attractos_errors::ErrorCode;
use attractos_errors::rules::DEFAULT_BODY_LIMIT;
use attractos_errors_actix::{Contract, contract_app};
use bytes::Bytes;

fn assert_too_large(sent: &Sent, limit: usize) {
    sent.assert_error(ErrorCode::PayloadTooLarge);
    assert_eq!(
        sent.message(),
        format!("The request body is larger than the {limit}-byte limit."),
        "{sent}"
    );
}

fn spaces(len: usize) -> Vec<Bytes> {
    vec![Bytes::from(vec![b' '; 1000]); len / 1000]
        .into_iter()
        .chain(std::iter::once(Bytes::from(vec![b' '; len % 1000])))
        .collect()
}

#[actix_web::test]
async fn a_content_length_over_the_limit_is_refused_on_any_route() {
    let body = vec![b' '; DEFAULT_BODY_LIMIT + 1];
    assert_too_large(
        &send_one(post_json("/api/v1/events", body.clone())).await,
        DEFAULT_BODY_LIMIT,
    );
    // Before routing: no handler, not even the 404, sees the request.
    assert_too_large(
        &send_one(post_json("/nowhere", body.clone())).await,
        DEFAULT_BODY_LIMIT,
    );
    assert_too_large(
        &send_one(get_request("/api/v1/timeseries?granularity=day").set_payload(body)).await,
        DEFAULT_BODY_LIMIT,
    );
}

#[actix_web::test]
async fn a_body_exactly_at_the_limit_is_read() {
    let mut body = br#"{"name":"a","count":1}"#.to_vec();
    body.resize(DEFAULT_BODY_LIMIT, b' ');
    let sent = send_one(post_json("/api/v1/events", body)).await;
    assert_eq!(sent.status, 200, "{sent}");
}

#[actix_web::test]
async fn a_chunked_body_over_the_limit_is_refused_while_reading() {
    let req = chunked(
        request("POST", "/api/v1/events").insert_header(("content-type", "application/json")),
        spaces(DEFAULT_BODY_LIMIT + 1),
    );
    assert_too_large(&send_one(req).await, DEFAULT_BODY_LIMIT);
}

#[actix_web::test]
async fn the_limit_is_configurable() {
    let app = test::init_service(app_with(Contract::default().with_body_limit(64))).await;
    let body = br#"{"name":"a much longer event name than fits","count":1}"#;
    assert!(body.len() < 64, "the fixture fits");
    let sent = send(&app, post_json("/api/v1/events", &body[..])).await;
    assert_eq!(sent.status, 200, "{sent}");
    let sent = send(&app, post_json("/api/v1/events", vec![b' '; 65])).await;
    assert_too_large(&sent, 64);
    let req = chunked(
        request("POST", "/api/v1/events").insert_header(("content-type", "application/json")),
        spaces(65),
    );
    assert_too_large(&send(&app, req).await, 64);
}

#[actix_web::test]
async fn actix_webs_own_body_extractors_share_the_limit() {
    let app = test::init_service(
        contract_app(Contract::default().with_body_limit(100))
            .route(
                "/json",
                web::post().to(|body: web::Json<serde_json::Value>| async move {
                    HttpResponse::Ok().json(body.into_inner())
                }),
            )
            .route("/bytes", web::post().to(|body: Bytes| async move { body }))
            .route("/text", web::post().to(|body: String| async move { body }))
            .route(
                "/form",
                web::post().to(
                    |form: web::Form<std::collections::HashMap<String, String>>| async move {
                        format!("{}", form.len())
                    },
                ),
            ),
    )
    .await;
    for (path, content_type) in [
        ("/json", "application/json"),
        ("/bytes", "application/octet-stream"),
        ("/text", "text/plain"),
        ("/form", "application/x-www-form-urlencoded"),
    ] {
        let req = chunked(
            request("POST", path).insert_header(("content-type", content_type)),
            spaces(150),
        );
        let sent = send(&app, req).await;
        assert_too_large(&sent, 100);
        let small = request("POST", path)
            .insert_header(("content-type", content_type))
            .set_payload(if path == "/json" { "[1]" } else { "a=b" });
        let sent = send(&app, small).await;
        assert_eq!(sent.status, 200, "{path}: {sent}");
    }
}
