//! What no handler answers: an unknown path is `NOT_FOUND` whatever the method, a known path
//! with the wrong method `METHOD_NOT_ALLOWED` with the route's `Allow`.

use attractos_errors::ErrorCode;

use crate::{Framework, Req};

/// Unknown paths, with every method.
pub async fn an_unknown_path_is_not_found_whatever_the_method(framework: Framework) {
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let sent = framework.send(Req::new(method, "/api/v2/nothing")).await;
        sent.assert_error(ErrorCode::NotFound);
        assert_eq!(sent.header("allow"), None, "{method}: {sent}");
    }
    for uri in [
        "/",
        "/api",
        "/api/v1/sites/site_demo",
        "/api/v1/events/extra",
    ] {
        let sent = framework.send(Req::get(uri)).await;
        sent.assert_error(ErrorCode::NotFound);
    }
}

/// GET on a POST route, DELETE on GET routes, PUT on a POST route.
pub async fn a_wrong_method_is_method_not_allowed_with_allow(framework: Framework) {
    for (method, uri, allow) in [
        ("GET", "/api/v1/events", "POST"),
        ("PUT", "/api/v1/events", "POST"),
        ("DELETE", "/api/v1/sites/site_demo/stats", "GET,HEAD"),
        ("DELETE", "/api/v1/timeseries", "GET,HEAD"),
    ] {
        let sent = framework.send(Req::new(method, uri)).await;
        sent.assert_error(ErrorCode::MethodNotAllowed);
        assert_eq!(
            sent.header_str("allow"),
            Some(allow),
            "{method} {uri}: {sent}"
        );
    }
}
