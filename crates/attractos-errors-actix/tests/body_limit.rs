//! actix glue: actix-web's own body extractors share the contract's limit. (The limit itself
//! is in the conformance suite.)

use actix_web::{HttpResponse, web};
use attractos_errors::ErrorCode;
use attractos_errors_actix::{Contract, contract_app};
use attractos_testkit::{Payload, Req, Response, TestService};
use bytes::Bytes;

fn assert_too_large(sent: &Response, limit: usize) {
    let body = sent.assert_error(ErrorCode::PayloadTooLarge);
    assert_eq!(
        body.error,
        format!("The request body is larger than the {limit}-byte limit."),
        "{sent}"
    );
}

fn spaces(len: usize) -> Payload {
    Payload::Chunked(vec![b' '; len].chunks(1000).map(<[u8]>::to_vec).collect())
}

#[actix_web::test]
async fn actix_webs_own_body_extractors_share_the_limit() {
    let app = TestService::actix(
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
        let req = Req::new("POST", path)
            .header("content-type", content_type)
            .body(spaces(150));
        assert_too_large(&app.send(&req).await, 100);
        let small = Req::new("POST", path)
            .header("content-type", content_type)
            .sized(if path == "/json" { "[1]" } else { "a=b" });
        let sent = app.send(&small).await;
        assert_eq!(sent.status, 200, "{path}: {sent}");
    }
}
