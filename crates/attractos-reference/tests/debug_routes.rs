//! The fault-injection routes: absent unless `Options::debug_routes(true)`; when on, a panic and
//! an internal failure on purpose, each answered `SERVER_ERROR` without its secret, on both
//! frameworks, the server answering normally afterwards.

use crate::common;

use attractos_reference::domain::DEBUG_FAULT_SECRET;
use attractos_reference::{Options, routes};
use common::{Req, Response, snapshot};

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

fn check(framework: &str, responses: &[Response]) {
    for response in &responses[..3] {
        assert_eq!(response.status, 500, "{framework}: {}", snapshot(response));
        assert_eq!(
            String::from_utf8_lossy(&response.body),
            SERVER_ERROR,
            "{framework}"
        );
        assert!(
            !snapshot(response).contains(DEBUG_FAULT_SECRET),
            "{framework} leaked the secret: {}",
            snapshot(response)
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
        assert_eq!(response.status, 404, "{}", snapshot(&response));
    }
}

#[test]
fn with_debug_routes_panics_and_failures_answer_server_error_without_the_secret() {
    attractos_reference::domain::quiet_injected_panics();
    let on = Options::default().debug_routes(true);
    check("axum", &common::axum(&on, &requests()));
    check("actix", &common::actix(&on, &requests()));
}
