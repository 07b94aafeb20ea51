//! The fault-injection routes: absent unless `Options::debug_routes(true)`; when on, a panic and
//! an internal failure on purpose, each answered `SERVER_ERROR` without its secret, on both
//! frameworks, the server answering normally afterwards.

use crate::common;

use attractos_reference::domain::DEBUG_FAULT_SECRET;
use attractos_reference::{Options, routes};
use common::{Req, Resp};

const SERVER_ERROR: &str =
    r#"{"error":"An unexpected error occurred on the server.","code":"SERVER_ERROR"}"#;

fn requests() -> Vec<Req> {
    vec![
        Req::get(routes::DEBUG_PANIC),
        Req::get(routes::DEBUG_FAIL),
        Req::get(routes::DEBUG_PANIC),
        Req::get(routes::SITES).key("ak_demo_free"),
    ]
}

fn check(framework: &str, responses: &[Resp]) {
    for response in &responses[..3] {
        assert_eq!(response.status, 500, "{framework}: {}", response.snapshot());
        assert_eq!(
            String::from_utf8_lossy(&response.body),
            SERVER_ERROR,
            "{framework}"
        );
        assert!(
            !response.snapshot().contains(DEBUG_FAULT_SECRET),
            "{framework} leaked the secret: {}",
            response.snapshot()
        );
    }
    assert_eq!(
        responses[3].status, 200,
        "{framework} serves on after faults"
    );
}

#[test]
fn debug_routes_are_not_served_by_default() {
    let off = Options::default();
    for response in common::axum(&off, &requests()[..2])
        .into_iter()
        .chain(common::actix(&off, &requests()[..2]))
    {
        assert_eq!(response.status, 404, "{}", response.snapshot());
    }
}

#[test]
fn with_debug_routes_panics_and_failures_answer_server_error_without_the_secret() {
    attractos_reference::domain::quiet_injected_panics();
    let on = Options::default().debug_routes(true);
    check("axum", &common::axum(&on, &requests()));
    check("actix", &actix(&on, &requests()));
}

/// Like `common::actix`, but a service error (a caught panic is one, in actix-web's test
/// harness) is rendered as the HTTP server renders it instead of failing the test.
fn actix(options: &Options, requests: &[Req]) -> Vec<Resp> {
    use actix_web::dev::Service;
    let state = attractos_reference::AppState::new(options.clone());
    actix_web::rt::System::new().block_on(async move {
        let app = actix_web::test::init_service(attractos_reference::actix_app::app(state)).await;
        let mut responses = Vec::new();
        for req in requests {
            let mut builder = actix_web::test::TestRequest::get().uri(&req.uri);
            for (name, value) in &req.headers {
                builder = builder.append_header((*name, value.as_str()));
            }
            let response = match app.call(builder.to_request()).await {
                Ok(response) => response.into_parts().1.map_into_boxed_body(),
                Err(err) => err.error_response(),
            };
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().expect("ASCII").to_owned()))
                .collect();
            let body = actix_web::body::to_bytes(response.into_body())
                .await
                .expect("a body")
                .to_vec();
            responses.push(Resp {
                status,
                headers,
                body,
            });
        }
        responses
    })
}
