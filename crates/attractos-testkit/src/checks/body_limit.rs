//! The body limit: a `Content-Length` over it is `PAYLOAD_TOO_LARGE` before any handler (or
//! the router's 404) runs; a body without a length is cut off at the limit while it is read.

use attractos_errors::ErrorCode;
use attractos_errors::rules::DEFAULT_BODY_LIMIT;

use crate::{Contract, Framework, Payload, Req, Response, TestService};

fn assert_too_large(sent: &Response, limit: usize) {
    let body = sent.assert_error(ErrorCode::PayloadTooLarge);
    let message = format!("The request body is larger than the {limit}-byte limit.");
    assert_eq!(body.error, message, "{sent}");
}

/// `len` spaces in chunks of at most `chunk` bytes.
fn spaces(len: usize, chunk: usize) -> Payload {
    Payload::Chunked(vec![b' '; len].chunks(chunk).map(<[u8]>::to_vec).collect())
}

fn post_events(payload: Payload) -> Req {
    Req::new("POST", "/api/v1/events")
        .key()
        .header("content-type", "application/json")
        .body(payload)
}

/// `limit + 1` bytes, by `Content-Length` and streamed in chunks of 6.
async fn refuses_one_byte_over(service: &TestService, limit: usize) {
    let by_length = Req::post_json("/api/v1/events", vec![b' '; limit + 1]);
    assert_too_large(&service.send(&by_length).await, limit);
    let streamed = post_events(spaces(limit + 1, 6));
    assert_too_large(&service.send(&streamed).await, limit);
}

/// On a route reading the body, a route taking none, and a path no route matches.
pub async fn a_content_length_over_the_limit_is_refused_on_any_route(framework: Framework) {
    let body = vec![b' '; DEFAULT_BODY_LIMIT + 1];
    for request in [
        Req::post_json("/api/v1/events", body.clone()),
        Req::post_json("/nowhere", body.clone()),
        Req::get("/api/v1/timeseries?granularity=day").sized(body.clone()),
        Req::post_json("/api/v1/timeseries?granularity=day", body.clone()),
    ] {
        let sent = framework.send(request).await;
        assert_too_large(&sent, DEFAULT_BODY_LIMIT);
    }
}

/// A document padded to exactly the limit.
pub async fn a_body_exactly_at_the_limit_is_read(framework: Framework) {
    let mut body = br#"{"name":"a","count":1}"#.to_vec();
    body.resize(DEFAULT_BODY_LIMIT, b' ');
    let sent = framework.send(Req::post_json("/api/v1/events", body)).await;
    assert_eq!(sent.status, 200, "{sent}");
}

/// Chunks with no `Content-Length`, one byte over in all.
pub async fn a_streamed_body_over_the_limit_is_refused_while_reading(framework: Framework) {
    for chunk in [1000, 4096] {
        let sent = framework
            .send(post_events(spaces(DEFAULT_BODY_LIMIT + 1, chunk)))
            .await;
        assert_too_large(&sent, DEFAULT_BODY_LIMIT);
    }
}

/// A contract with a small limit: by length, streamed, and what fits is judged as JSON.
pub async fn the_limit_is_configurable(framework: Framework) {
    let service = framework
        .start(Contract::default().with_body_limit(64))
        .await;
    let fits = br#"{"name":"a much longer event name than fits","count":1}"#;
    let sent = service
        .send(&Req::post_json("/api/v1/events", &fits[..]))
        .await;
    assert_eq!(sent.status, 200, "{sent}");
    refuses_one_byte_over(&service, 64).await;

    let service = framework
        .start(Contract::default().with_body_limit(16))
        .await;
    refuses_one_byte_over(&service, 16).await;
    // 16 bytes are read, and then judged as JSON.
    let sent = service
        .send(&Req::post_json("/api/v1/events", r#"{"name":"abcd" }"#))
        .await;
    let body = sent.assert_error(ErrorCode::InvalidJson);
    assert!(body.error.contains("missing field `count`"), "{sent}");
}
